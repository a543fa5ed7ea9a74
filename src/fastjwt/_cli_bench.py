"""``fastjwt bench``: how fast is validation here?

From a source checkout (a ``bench/`` package beside ``src/``, or in the current
directory), this runs the comparison suite's quick mode,
``python -m bench.compare --quick``, and prints its markdown table. Elsewhere
(an installed package), or with ``--builtin``, it runs a small built-in
comparison of the three ways to validate a token with fastjwt: a
:class:`fastjwt.Validator` cache hit, a Validator with the cache off (a full
verification), and module-level :func:`fastjwt.decode`, for HS256 and ES256.
Each figure is the best of a few repeats of a loop of about 20 ms, so the whole
run takes about a second; numbers on a busy machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

__all__ = ["add_parser", "builtin_rows", "checkout_root"]

_ALGS = ("HS256", "ES256")
_SECRET = b"fastjwt-bench-secret-0123456789abcdef-0123456789abcdef"


def checkout_root() -> Optional[Path]:
    """A directory with the comparison suite (``bench/compare.py``), or None:
    the current directory, or the checkout this fastjwt was imported from."""
    here = Path(__file__).resolve().parent.parent.parent  # src/fastjwt/ -> the checkout
    for root in (Path.cwd(), here):
        if (root / "bench" / "compare.py").is_file() and (root / "bench" / "__init__.py").is_file():
            return root
    return None


def _calibrate(fn: Callable[[], Any], target: float) -> int:
    """How many calls of ``fn`` take about ``target`` seconds."""
    loops = 1
    while True:  # double the loop until it takes a fifth of the target
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= target / 5 or loops >= 1 << 20:
            return max(1, int(loops * target / max(elapsed, 1e-9)))
        loops *= 2


def _time_per_call(fns: Dict[str, Callable[[], Any]], repeats: int, target: float = 0.02) -> Dict[str, float]:
    """Best-of-``repeats`` seconds per call of each function; the functions take turns
    within each repeat, so a burst of load elsewhere hits them alike."""
    loops = {name: _calibrate(fn, target) for name, fn in fns.items()}
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            count = loops[name]
            start = time.perf_counter()
            for _ in range(count):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / count)
    return best


def _paths(
    cached: Any, uncached: Any, token: str, verifying: Any, options: Dict[str, Any]
) -> Dict[str, Callable[[], Any]]:
    """The timed calls for one algorithm (built here so that each lambda binds this call's objects)."""
    import fastjwt

    return {
        "Validator cache hit": lambda: cached.decode(token),
        "Validator, cache off": lambda: uncached.decode(token),
        "fastjwt.decode": lambda: fastjwt.decode(token, verifying, **options),
    }


def builtin_rows(repeats: int = 3) -> List[Dict[str, Any]]:
    """Per algorithm: microseconds per call of a Validator hit, a Validator miss
    (cache off) and ``fastjwt.decode``, with the speed-up over ``fastjwt.decode``."""
    from cryptography.hazmat.primitives.asymmetric import ec

    import fastjwt

    rows: List[Dict[str, Any]] = []
    claims = {"sub": "bench", "aud": "api", "iss": "https://id.example", "exp": 4102444800}
    for alg in _ALGS:
        if alg == "HS256":
            signing: Any = _SECRET
            verifying: Any = _SECRET
        else:
            signing = ec.generate_private_key(ec.SECP256R1())
            verifying = signing.public_key()
        token = fastjwt.encode(claims, signing, algorithm=alg)
        options: Dict[str, Any] = {"algorithms": [alg], "audience": "api", "issuer": "https://id.example"}
        cached = fastjwt.Validator(verifying, **options)
        uncached = fastjwt.Validator(verifying, cache=False, **options)
        cached.decode(token)
        timings = _time_per_call(_paths(cached, uncached, token, verifying, options), repeats)
        baseline = timings["fastjwt.decode"]
        for name, seconds in timings.items():
            rows.append({"alg": alg, "path": name, "us_per_call": round(seconds * 1e6, 2),
                         "calls_per_s": int(1 / seconds), "speedup_vs_decode": round(baseline / seconds, 1)})
    return rows


def _table(rows: List[Dict[str, Any]]) -> str:
    lines = ["| alg | path | µs/call | calls/s | × fastjwt.decode |", "|---|---|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row['alg']} | {row['path']} | {row['us_per_call']:.2f} | {row['calls_per_s']:,} "
                     f"| {row['speedup_vs_decode']:.1f} |")
    return "\n".join(lines)


def _bench(args: argparse.Namespace) -> int:
    root = None if (args.builtin or args.json) else checkout_root()
    if root is not None:
        import fastjwt

        # The suite imports this very fastjwt (the checkout's src/ or wherever it was imported from).
        paths = [str(root), str(Path(fastjwt.__file__).resolve().parent.parent)]
        python_path = os.pathsep.join(paths + [os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env = {**os.environ, "PYTHONPATH": python_path}
        print(f"fastjwt bench: running python -m bench.compare --quick in {root}", file=sys.stderr)
        return subprocess.call([sys.executable, "-m", "bench.compare", "--quick"], cwd=str(root), env=env)
    rows = builtin_rows(args.repeats)
    if args.json:
        print(json.dumps({"rows": rows}, indent=2))
    else:
        print(_table(rows))
        print(f"\nbest of {args.repeats} repeats of ~20 ms loops; a busy machine gives noisy figures",
              file=sys.stderr)
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 20:
        raise argparse.ArgumentTypeError("must be between 1 and 20")
    return value


def add_parser(commands: Any) -> None:
    """Register ``bench`` on the ``fastjwt`` sub-command parser."""
    bench = commands.add_parser(
        "bench", help="quick speed comparison",
        description="In a source checkout: run the comparison suite's quick mode (python -m bench.compare "
                    "--quick) and print its table. Otherwise (or with --builtin): time a Validator cache hit, "
                    "a Validator with the cache off and fastjwt.decode for HS256 and ES256 (about a second).",
    )
    bench.add_argument("--builtin", action="store_true", help="the built-in comparison even in a checkout")
    bench.add_argument("--json", action="store_true", help="the built-in comparison's rows as JSON")
    bench.add_argument("--repeats", type=_positive, default=3, help="repeats per figure, best kept (default 3)")
    bench.set_defaults(run=_bench)
