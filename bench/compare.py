"""Compare fastjwt with the other Python JWT libraries and with the cost floors.

Usage::

    python -m bench.compare                 # full run, all algorithms
    python -m bench.compare --quick         # smoke run, about a minute
    python -m bench.compare --algs HS256,RS256 --out bench-results
    python -m bench.compare --shapes flat     # only the flat (Auth0-like) claim shape

For every algorithm and claim shape (flat, Auth0-like; nested, Keycloak-like)
this generates one key pair and one token, checks each implementation for
correctness, then times a full validating decode of the same token bytes in
each (the default ``Validator`` on first-seen tokens, its cache on), the
floors, the reject paths and a mixed workload.
The markdown table goes to stdout (and ``results.md`` with ``--out``).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Callable

from bench.fixtures import ALGORITHMS, SHAPES, Case, KeyMaterial, generate_keys, make_case
from bench.floors import CACHED, all_floors, uncached_floor_ns
from bench.peers import ADAPTERS, REFERENCE, Prepared, adapter_named, prepare
from bench.report import environment, markdown, write_all
from bench.results import CaseResult, Entry, RunResult
from bench.timing import ArgSource, Timed, TimingConfig, fresh_copies, measure_interleaved, rejecting
from bench.workload import WorkloadConfig, build_workload, workload_entry

REJECT_KINDS: tuple[str, ...] = ("tampered signature", "expired")
WORKLOAD_ADAPTERS: tuple[str, ...] = ("fastjwt Validator", "fastjwt Validator, cache=False", REFERENCE)
#: The floor of a reject row: raising and catching the error alone.
RAISE_FLOOR = "raise + catch the error (floor)"

Log = Callable[[str], None]


def _log(message: str) -> None:
    """Progress goes to stderr so stdout stays the markdown report."""
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run (about a minute)")
    parser.add_argument(
        "--algs", default=",".join(ALGORITHMS), help="comma-separated algorithms (default: all)"
    )
    parser.add_argument(
        "--shapes", default=",".join(SHAPES), help="comma-separated claim shapes (default: flat,nested)"
    )
    parser.add_argument("--out", type=Path, help="directory for results.md, results.json and results.png")
    parser.add_argument(
        "--tokens", type=int, help="distinct tokens in the mixed workload (default 10000; quick 200)"
    )
    parser.add_argument("--workload-runs", type=int, help="passes over the mixed workload (default 1)")
    parser.add_argument("--no-workload", action="store_true", help="skip the mixed workload")
    parser.add_argument("--repeats", type=int, help="timing repeats per measurement (default 9; quick 5)")
    args = parser.parse_args(argv)
    args.algs = [a.strip() for a in args.algs.split(",") if a.strip()]
    unknown = [a for a in args.algs if a not in ALGORITHMS]
    if unknown:
        parser.error(f"unknown algorithm(s) {', '.join(unknown)}; choose from {', '.join(ALGORITHMS)}")
    args.shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    if not args.shapes or any(s not in SHAPES for s in args.shapes):
        parser.error(f"shapes must be among {', '.join(SHAPES)}")
    return args


def _configs(args: argparse.Namespace) -> tuple[TimingConfig, WorkloadConfig]:
    """Timing and workload settings from the options."""
    timing = TimingConfig.quick() if args.quick else TimingConfig()
    workload = WorkloadConfig.quick() if args.quick else WorkloadConfig()
    if args.repeats:
        timing = TimingConfig(args.repeats, timing.target_ns, timing.max_inner)
    if args.tokens or args.workload_runs:
        workload = WorkloadConfig(
            args.tokens or workload.distinct,
            workload.per_token,
            args.workload_runs or workload.runs,
            workload.seed,
        )
    return timing, workload


def _untimed(prepared: Prepared) -> Entry:
    """An entry that carries only the reason it was not timed."""
    return Entry(prepared.adapter.name, prepared.adapter.family, status=prepared.label)


def _timed_entries(
    prepared: list[Prepared], make_fn: Callable[[Prepared], Timed], source: ArgSource, config: TimingConfig
) -> list[Entry]:
    """Time ``make_fn(item)`` for each correct implementation, interleaved; others untimed."""
    ready = [item for item in prepared if item.ok]
    timings = dict(
        zip((id(i) for i in ready), measure_interleaved([(make_fn(i), source) for i in ready], config))
    )
    return [
        Entry(item.adapter.name, item.adapter.family, timing=timings[id(item)]) if item.ok else _untimed(item)
        for item in prepared
    ]


def time_decodes_and_floors(
    case: Case, prepared: list[Prepared], config: TimingConfig
) -> tuple[list[Entry], list[Entry]]:
    """Time valid-token decodes and all floors in one interleaved group."""
    ready = [item for item in prepared if item.ok and item.decoder is not None]
    floors = all_floors(case)
    jobs: list[tuple[Timed, ArgSource]] = [
        (item.decoder, item.adapter.tokens(case, item.decoder) if item.adapter.tokens else fresh_copies(case.token))  # type: ignore[misc,arg-type]
        for item in ready
    ]
    jobs += [(floor.fn, floor.source) for floor in floors]
    timings = measure_interleaved(jobs, config)
    by_item = dict(zip((id(i) for i in ready), timings[: len(ready)]))
    decodes = [
        Entry(item.adapter.name, item.adapter.family, timing=by_item[id(item)])
        if id(item) in by_item
        else _untimed(item)
        for item in prepared
    ]
    floor_entries = [Entry(f.name, f.kind, timing=t) for f, t in zip(floors, timings[len(ready) :])]
    return decodes, floor_entries


def floor_totals(floors: list[Entry]) -> tuple[float | None, float | None]:
    """The uncached floor (cheapest primitive + b64 + json) and cached floor, in µs."""
    measured = {e.name: (e.family, e.timing.median_ns) for e in floors if e.timing is not None}
    uncached_ns = uncached_floor_ns(measured)
    cached = next((e.us for e in floors if e.family == CACHED), None)
    return (None if uncached_ns is None else uncached_ns / 1000.0), cached


def _raise_floor(kind: str) -> Timed:
    """Raising and catching fastjwt's error for ``kind``, nothing else."""
    from fastjwt import ExpiredSignatureError, InvalidSignatureError

    error, message = (
        (ExpiredSignatureError, "Signature has expired")
        if kind == "expired"
        else (InvalidSignatureError, "Signature verification failed")
    )

    def fn(_: object) -> None:
        try:
            raise error(message)
        except error:
            pass

    return fn


def time_rejects(case: Case, prepared: list[Prepared], config: TimingConfig) -> dict[str, list[Entry]]:
    """Time rejecting a tampered and an expired token in every correct
    implementation, and raising the error alone (a repeated token refused from
    a cache costs a lookup plus this), in one interleaved group per kind."""
    rejects: dict[str, list[Entry]] = {}
    for kind in REJECT_KINDS:
        ready = [item for item in prepared if item.ok]
        source = fresh_copies(case.bad_tokens[kind])
        jobs: list[tuple[Timed, ArgSource]] = [(rejecting(item.decoder, item.errors), source) for item in ready]  # type: ignore[arg-type]
        timings = measure_interleaved([*jobs, (_raise_floor(kind), source)], config)
        by_item = dict(zip((id(i) for i in ready), timings))
        rejects[kind] = [
            Entry(item.adapter.name, item.adapter.family, timing=by_item[id(item)]) if item.ok else _untimed(item)
            for item in prepared
        ] + [Entry(RAISE_FLOOR, "floor", timing=timings[-1])]
    return rejects


def run_case(
    alg: str,
    timing: TimingConfig,
    workload: WorkloadConfig | None,
    log: Log = _log,
    shape: str = "flat",
    keys: KeyMaterial | None = None,
) -> CaseResult:
    """Everything for one algorithm and claim shape."""
    case = make_case(alg, shape=shape, keys=keys)
    alg = case.label
    log(f"[{alg}] keys, token, correctness checks")
    prepared = [prepare(adapter, case) for adapter in ADAPTERS]
    for item in prepared:
        if not item.ok:
            log(f"[{alg}]   {item.adapter.name}: {item.label}")
    result = CaseResult(alg, len(case.token), shape=shape)
    log(f"[{alg}] timing decodes and floors")
    result.decode, result.floors = time_decodes_and_floors(case, prepared, timing)
    result.uncached_floor_us, result.cached_floor_us = floor_totals(result.floors)
    log(f"[{alg}] timing reject paths")
    result.rejects = time_rejects(case, prepared, timing)
    if workload is not None:
        log(f"[{alg}] mixed workload: {workload.distinct} tokens x {workload.per_token}")
        mixed = build_workload(case, workload)
        result.workload = [workload_entry(adapter_named(n), mixed, workload.runs) for n in WORKLOAD_ADAPTERS]
    return result


def _notes() -> dict[str, str]:
    """Per-library setup notes from the adapter table."""
    return {adapter.name: adapter.note for adapter in ADAPTERS if adapter.note}


def command_line(argv: Sequence[str] | None) -> str:
    """The command as the user would type it."""
    args = sys.argv[1:] if argv is None else list(argv)
    return "python -m bench.compare" + ("" if not args else " " + shlex.join(args))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison, print the markdown, write files with ``--out``."""
    args = parse_args(argv)
    timing, workload = _configs(args)
    cases = []
    for alg in args.algs:
        keys = generate_keys(alg)  # one key per algorithm, every shape signed with it
        for shape in args.shapes:
            cases.append(run_case(alg, timing, None if args.no_workload else workload, shape=shape, keys=keys))
    run = RunResult(cases, environment(command_line(argv)), _notes())
    print(markdown(run))
    if args.out:
        for path in write_all(run, args.out):
            _log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
