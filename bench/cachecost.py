"""What the cache costs and saves, as paired ratios robust to a noisy machine.

``python -m bench.cachecost [--pairs 31] [--tokens 400]``

Like ``bench.overhead``: each ratio compares two short runs taken a few
milliseconds apart, alternating which goes first, and the median of many
such ratios is reported (plus the ratio of the fastest runs). HS256, both
claim shapes (``bench.fixtures.SHAPES``), each call a fresh ``str``:

* first-seen ÷ ``cache=False``: the default Validator on tokens it has not
  seen (its cache emptied before each run, outside the timing) against the
  same tokens through ``Validator(..., cache=False)``
* cache full ÷ first-seen: every token evicts one (``cache_size`` = tokens - 1,
  round-robin) against inserts into a cache with room
* PyJWT ÷ first-seen: how many times faster than ``jwt.decode`` on the same tokens
* nested hit ÷ flat hit: a remembered token of each shape
* repeated forgery ÷ (hit + raise): a forged token refused from the store of
  refusals against a hit plus raising and catching the error alone
* repeated forgery ÷ (hit + raise through a call): the same, against a hit plus
  the error raised by a called function and caught by its caller, as any
  ``decode`` signals a refusal (``_refusing`` wraps both alike)
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, Dict, List, Sequence

import fastjwt
from bench.fixtures import AUDIENCE, ISSUER, SHAPES, generate_keys, make_case, make_distinct_tokens, tamper_signature

Run = Callable[[], float]  # one timed run: µs per call


def _timed(fn: Callable[[str], object], tokens: Sequence[str], before: Callable[[], None] = lambda: None) -> Run:
    """A run of ``fn`` over fresh copies of ``tokens`` (copies and ``before`` untimed)."""
    encoded = [t.encode("ascii") for t in tokens]

    def run() -> float:
        fresh = [e.decode("ascii") for e in encoded]
        before()
        start = time.perf_counter_ns()
        for token in fresh:
            fn(token)
        return (time.perf_counter_ns() - start) / len(fresh) / 1000

    return run


def _refusing(fn: Callable[[str], object], error: type[BaseException]) -> Callable[[str], object]:
    def call(token: str) -> None:
        try:
            fn(token)
        except error:
            return
        raise AssertionError("accepted")

    return call


def paired(numerator: Run, denominators: Sequence[Run], pairs: int) -> Dict[str, float]:
    """Median over ``pairs`` of numerator ÷ sum(denominators), runs adjacent, order alternating."""
    ratios: List[float] = []
    tops: List[float] = []
    bottoms: List[float] = []
    for i in range(pairs):
        if i % 2:
            bottom = sum(run() for run in denominators)
            top = numerator()
        else:
            top = numerator()
            bottom = sum(run() for run in denominators)
        ratios.append(top / bottom)
        tops.append(top)
        bottoms.append(bottom)
    return {"ratio": statistics.median(ratios), "fastest": min(tops) / min(bottoms),
            "top_us": statistics.median(tops), "bottom_us": statistics.median(bottoms)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=31)
    parser.add_argument("--tokens", type=int, default=400, help="distinct tokens per run")
    parser.add_argument("--no-pyjwt", action="store_true")
    args = parser.parse_args(argv)
    keys = generate_keys("HS256")
    options = {"algorithms": ["HS256"], "audience": AUDIENCE, "issuer": ISSUER, "require": ["exp"]}
    print("| comparison (HS256) | shape | numerator µs | denominator µs | median paired ratio "
          "| ratio of fastest runs |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    hits: Dict[str, Run] = {}

    def report(name: str, shape: str, result: Dict[str, float]) -> None:
        print(f"| {name} | {shape} | {result['top_us']:.3f} | {result['bottom_us']:.3f} | {result['ratio']:.3f}× "
              f"| {result['fastest']:.3f}× |", flush=True)

    for shape in SHAPES:
        case = make_case("HS256", shape=shape, keys=keys)
        tokens = make_distinct_tokens(keys, args.tokens, seed=11, shape=shape)
        default = fastjwt.Validator(keys.secret, **options)  # type: ignore[arg-type]
        uncached = fastjwt.Validator(keys.secret, cache=False, **options)  # type: ignore[arg-type]
        full = fastjwt.Validator(keys.secret, cache_size=len(tokens) - 1, **options)  # type: ignore[arg-type]
        for token in tokens:
            assert default.decode(token) == uncached.decode(token) == full.decode(token)
        first_seen = _timed(default.decode, tokens, before=default.cache_clear)
        report("first-seen ÷ cache=False", shape, paired(first_seen, [_timed(uncached.decode, tokens)], args.pairs))
        report("cache full ÷ first-seen", shape, paired(_timed(full.decode, tokens), [first_seen], args.pairs))
        if not args.no_pyjwt:
            import jwt

            def pyjwt(token: str) -> object:
                return jwt.decode(token, keys.secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER,
                                  options={"require": ["exp"]})

            report("PyJWT ÷ first-seen", shape,
                   paired(_timed(pyjwt, tokens[:50]), [first_seen], max(args.pairs // 3, 5)))
        same = [case.token] * len(tokens)
        default.decode(case.token)
        hits[shape] = _timed(default.decode, same)
        forged = tamper_signature(case.token)
        error = fastjwt.InvalidSignatureError
        refuse = _refusing(default.decode, error)
        refuse(forged)

        def raise_alone(_: str, error: type = error) -> None:
            try:
                raise error("Signature verification failed")
            except error:
                pass

        def thrower(_: str, error: type = error) -> None:
            raise error("Signature verification failed")

        report("repeated forgery ÷ (hit + raise)", shape,
               paired(_timed(refuse, [forged] * len(tokens)), [hits[shape], _timed(raise_alone, same)], args.pairs))
        report("repeated forgery ÷ (hit + raise through a call)", shape,
               paired(_timed(refuse, [forged] * len(tokens)), [hits[shape], _timed(_refusing(thrower, error), same)],
                      args.pairs))
    report("nested hit ÷ flat hit", "both", paired(hits["nested"], [hits["flat"]], args.pairs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
