"""Writing a run out: ``results.md``, ``results.json`` and ``results.png``."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bench.peers import ADAPTERS, REFERENCE, version_of
from bench.results import CaseResult, Entry, RunResult, ratio

REPORTED_DISTS: tuple[str, ...] = (
    "fastjwt-validator",
    "cryptography",
    "orjson",
    "cachetools",
    "Cython",
    "PyJWT",
    "joserfc",
    "authlib",
    "jwcrypto",
    "python-jose",
    "oxyjwt",
    "pytest-benchmark",
    "matplotlib",
)


# ---------------------------------------------------------------- environment


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, or the platform's idea of it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_revision() -> str:
    """The work tree's commit (or "no commits") and whether it has local changes."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], check=False, cwd=root, capture_output=True, text=True, timeout=10
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    try:
        head = git("rev-parse", "--short", "HEAD") or "no commits"
        dirty = bool(git("status", "--porcelain"))
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{' (uncommitted changes)' if dirty else ''}"


def environment(command: str) -> dict[str, Any]:
    """Machine, interpreter, library versions, command and date for reproducing a run."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.replace("\n", " "),
        "versions": {dist: version_of(dist) for dist in REPORTED_DISTS},
        "git": _git_revision(),
        "command": command,
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


# ---------------------------------------------------------------- formatting


def fmt_us(value: float | None) -> str:
    """µs with precision that suits the magnitude."""
    if value is None:
        return "n/a"
    if value < 1:
        return f"{value:.3f}"
    return f"{value:.2f}" if value < 100 else f"{value:.1f}"


def fmt_ratio(value: float | None) -> str:
    """A time ratio like ``0.42×`` (two significant digits below 0.1)."""
    if value is None:
        return "n/a"
    return f"{value:.2f}×" if value >= 0.1 else f"{value:.2g}×"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], text: Sequence[int] = (0,)) -> list[str]:
    """A markdown table: columns listed in ``text`` left-aligned, the rest (numbers) right."""
    align = ["---" if i in text else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _status(entry: Entry) -> str:
    """What to print instead of a number."""
    return "ok" if entry.us is not None else entry.status.replace("|", "/")


# ---------------------------------------------------------------- sections


def summary_section(run: RunResult) -> list[str]:
    """One row per implementation, one column per algorithm: median µs per call."""
    algs = [c.alg for c in run.cases]
    rows = []
    for adapter in ADAPTERS:
        cells = []
        for case in run.cases:
            entry = case.entry(adapter.name)
            cells.append(
                "—" if entry is None else (fmt_us(entry.us) if entry.us is not None else _short(entry.status))
            )
        rows.append([adapter.name, *cells])
    rows.append(["*uncached floor*", *(fmt_us(c.uncached_floor_us) for c in run.cases)])
    rows.append(["*cached floor*", *(fmt_us(c.cached_floor_us) for c in run.cases)])
    rows.append(["*token bytes*", *(str(c.token_bytes) for c in run.cases)])
    return [
        "## Summary: full validating decode, median µs per call",
        "",
        *_table(["implementation", *algs], rows),
        "",
    ]


def _short(status: str) -> str:
    """The status without its detail, for the summary grid."""
    return status.split(":", 1)[0]


def case_section(case: CaseResult) -> list[str]:
    """The detailed decode table for one algorithm, with ratios."""
    reference = case.entry(REFERENCE)
    best = case.best_peer()
    rows = []
    for entry in case.decode:
        rows.append(
            [
                entry.name,
                fmt_us(entry.us),
                fmt_ratio(ratio(entry.us, reference.us if reference else None)),
                fmt_ratio(ratio(entry.us, best.us if best else None)),
                fmt_ratio(ratio(entry.us, case.floor_for(entry))),
                _status(entry),
            ]
        )
    header = ["implementation", "µs/call (median)", "÷ PyJWT", "÷ best peer", "÷ floor", "status"]
    best_name = best.name if best else "n/a"
    return [
        f"### {case.alg} (token {case.token_bytes} bytes; best peer: {best_name})",
        "",
        *_table(header, rows, (0, 5)),
        "",
    ]


def floors_section(run: RunResult) -> list[str]:
    """Every floor measurement, per algorithm."""
    rows = []
    for case in run.cases:
        for entry in case.floors:
            rows.append([case.alg, entry.name, fmt_us(entry.us)])
        rows.append(
            [
                case.alg,
                "**uncached floor** (cheapest primitive + b64 + orjson)",
                fmt_us(case.uncached_floor_us),
            ]
        )
    return ["## Floors", "", *_table(["alg", "floor", "µs/call (median)"], rows, (0, 1)), ""]


def rejects_section(run: RunResult) -> list[str]:
    """Time to reject a tampered and an expired token."""
    kinds = list(dict.fromkeys(kind for case in run.cases for kind in case.rejects))
    rows = []
    for case in run.cases:
        names = [e.name for e in next(iter(case.rejects.values()), [])]
        for name in names:
            cells = []
            for kind in kinds:
                entry = next((e for e in case.rejects.get(kind, []) if e.name == name), None)
                cells.append(
                    "n/a"
                    if entry is None
                    else fmt_us(entry.us)
                    if entry.us is not None
                    else _short(entry.status)
                )
            rows.append([case.alg, name, *cells])
    header = ["alg", "implementation", *(f"{k} µs" for k in kinds)]
    return ["## Reject paths, median µs per rejected token", "", *_table(header, rows, (0, 1)), ""]


def workload_section(run: RunResult) -> list[str]:
    """The mixed-workload results."""
    rows = []
    for case in run.cases:
        reference = next((w for w in case.workload if w.name == REFERENCE), None)
        for result in case.workload:
            rows.append(
                [
                    case.alg,
                    result.name,
                    fmt_us(result.median_us),
                    fmt_ratio(ratio(result.median_us, reference.median_us if reference else None)),
                    str(result.decodes),
                    result.cache_info or ("" if result.status == "ok" else result.status),
                ]
            )
    header = ["alg", "implementation", "µs/decode (median)", "÷ PyJWT", "decodes", "cache / status"]
    intro = (
        "Distinct tokens each presented many times in a fixed-seed random order, a fresh string per "
        "presentation; each run starts with a new (cold) decoder. Time per decode over the whole run."
    )
    return ["## Mixed workload", "", intro, "", *_table(header, rows, (0, 1, 5)), ""]


def notes_section(run: RunResult) -> list[str]:
    """Why entries are missing, and per-library setup notes."""
    lines = ["## Notes", ""]
    lines += [f"- **{name}**: {text}" for name, text in run.notes.items()]
    problems = {
        (e.name, e.status)
        for case in run.cases
        for e in case.decode
        if e.us is None and not e.status.startswith("unsupported")
    }
    lines += [f"- {name}: {status}" for name, status in sorted(problems)]
    return [*lines, ""]


def reproducing_section(meta: dict[str, Any]) -> list[str]:
    """Everything needed to make the run again."""
    versions = "\n".join(f"  {dist}: {ver or 'not installed'}" for dist, ver in meta["versions"].items())
    return [
        "## Reproducing",
        "",
        "```",
        f"machine:  {meta['cpu']}, {meta['cores']} cores ({meta['platform']})",
        f"python:   {meta['python']}",
        f"fastjwt:  git {meta['git']}",
        "versions:",
        versions,
        f"command:  {meta['command']}",
        f"date:     {meta['date']}",
        "```",
        "",
    ]


LEGEND = (
    "Times are the median of repeated `perf_counter_ns` loops, µs per call, each call given a fresh "
    "copy of the same token string, except two rows: `fastjwt Validator` is the default Validator "
    "(cache on) handed a token it has not seen on every call (lookup, verify, remember: what a server "
    "pays at the start of each session and after each token refresh), and `fastjwt Validator, cache "
    "full` a Validator whose cache (1000 entries) is full, so every new token evicts one. `cache=False` "
    "verifies every call and remembers nothing; `cached hit` is a repeated token. Columns are "
    "algorithm and claim shape: flat (Auth0-like strings and dates) and nested (Keycloak-like: an "
    "`aud` list, realm and client roles, about 700 bytes of payload). "
    "Ratios are time ratios (lower is better: 0.25× = 4× faster). "
    "“÷ floor” compares with the uncached floor (cheapest signature primitive + base64url + orjson), "
    "or for the cache hit with the cached floor (hash of a fresh token string + dict lookup). "
    "Every timed implementation first returned the expected claims and rejected a tampered, expired, "
    "not-yet-valid, wrong-audience, wrong-issuer, exp-less, disallowed-alg and alg=none token. "
    "The floors are Python-level (stdlib base64), so native code can come in under them."
)


def markdown(run: RunResult) -> str:
    """The full ``results.md`` text."""
    lines = ["# fastjwt benchmark results", "", LEGEND, "", *summary_section(run), "## Per algorithm", ""]
    for case in run.cases:
        lines += case_section(case)
    lines += floors_section(run) + rejects_section(run) + workload_section(run)
    lines += notes_section(run) + reproducing_section(run.meta)
    return "\n".join(lines)


# ---------------------------------------------------------------- files


def write_json(run: RunResult, path: Path) -> None:
    """Write ``results.json``."""
    path.write_text(json.dumps(run.as_dict(), indent=2, default=str) + "\n")


def write_png(run: RunResult, path: Path) -> None:
    """Write ``results.png``: grouped bars per algorithm, log-scale µs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [a.name for a in ADAPTERS] + ["uncached floor", "cached floor"]
    series = [n for n in names if any(_series_value(c, n) is not None for c in run.cases)]
    width = 0.85 / max(1, len(series))
    fig, ax = plt.subplots(figsize=(max(9, 1.9 * len(run.cases)), 6.5))
    for index, name in enumerate(series):
        xs, ys = [], []
        for position, case in enumerate(run.cases):
            value = _series_value(case, name)
            if value is not None:
                xs.append(position - 0.425 + width * (index + 0.5))
                ys.append(value)
        ax.bar(xs, ys, width=width, label=name, edgecolor="black", linewidth=0.3, **_bar_style(name))
    ax.set_yscale("log")
    ax.set_xticks(range(len(run.cases)), [c.alg for c in run.cases])
    ax.set_ylabel("µs per validating decode (median, log scale)")
    ax.set_title("JWT validation in Python: lower is better")
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.legend(fontsize="small", ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


_PEER_COLORS = ("#ff7f0e", "#2ca02c", "#9467bd", "#bcbd22", "#8c564b", "#d62728", "#e377c2", "#17becf")


def _bar_style(name: str) -> dict[str, Any]:
    """Blues for fastjwt, hatched greys for floors, distinct warm/green colours for peers."""
    if name.startswith("fastjwt"):
        shades = {"fastjwt.decode": "#6baed6", "fastjwt Validator": "#2171b5"}
        return {"color": shades.get(name, "#08306b")}
    if "floor" in name:
        return {"color": "0.85" if name.startswith("uncached") else "0.55", "hatch": "//"}
    peers = [a.name for a in ADAPTERS if a.family == "peer"]
    return {"color": _PEER_COLORS[peers.index(name) % len(_PEER_COLORS)]}


def _series_value(case: CaseResult, name: str) -> float | None:
    """The bar height of series ``name`` for ``case``."""
    if name == "uncached floor":
        return case.uncached_floor_us
    if name == "cached floor":
        return case.cached_floor_us
    entry = case.entry(name)
    return None if entry is None else entry.us


def write_all(run: RunResult, out_dir: Path) -> list[Path]:
    """Write the markdown, JSON and PNG files into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md, js, png = out_dir / "results.md", out_dir / "results.json", out_dir / "results.png"
    md.write_text(markdown(run) + "\n")
    write_json(run, js)
    write_png(run, png)
    return [md, js, png]
