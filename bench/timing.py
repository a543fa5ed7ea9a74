"""A calibrated ``time.perf_counter_ns`` timer.

Every timed callable takes exactly one argument.  The timer feeds it from a
list built outside the timed region: either the same object repeated, or --
for tokens -- a fresh ``str`` object per call (see :func:`fresh_copies`),
because a server receives a new string for every request and CPython caches
a string's hash on the object, which would flatter any cache keyed on it.
"""

from __future__ import annotations

import gc
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from time import perf_counter_ns
from typing import Any, Callable

Timed = Callable[[Any], Any]
ArgSource = Callable[[int], Sequence[Any]]


@dataclass(frozen=True)
class TimingConfig:
    """How long and how often to time one callable."""

    repeats: int = 9
    target_ns: int = 100_000_000
    max_inner: int = 200_000

    @classmethod
    def quick(cls) -> TimingConfig:
        """Settings for a smoke run: few, short repeats."""
        return cls(repeats=5, target_ns=8_000_000, max_inner=40_000)


@dataclass(frozen=True)
class Timing:
    """The outcome of timing one callable: nanoseconds per call."""

    median_ns: float
    min_ns: float
    max_ns: float
    inner: int
    repeats: int

    @property
    def median_us(self) -> float:
        """Median microseconds per call."""
        return self.median_ns / 1000.0

    def as_dict(self) -> dict[str, float | int]:
        """A JSON-ready form."""
        return asdict(self)


def same(arg: Any) -> ArgSource:
    """An argument source that passes the same object on every call."""
    return lambda n: [arg] * n


def fresh_copies(token: str) -> ArgSource:
    """An argument source that passes a distinct, never-hashed copy of ``token`` each call."""
    encoded = token.encode("ascii")
    return lambda n: [encoded.decode("ascii") for _ in range(n)]


def run_loop(fn: Timed, args: Sequence[Any]) -> int:
    """Call ``fn`` once per element of ``args`` with the GC paused; return elapsed ns."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = perf_counter_ns()
        for arg in args:
            fn(arg)
        return perf_counter_ns() - start
    finally:
        if gc_was_enabled:
            gc.enable()


def calibrate(fn: Timed, source: ArgSource, config: TimingConfig) -> int:
    """Find an inner loop count whose run takes about ``config.target_ns``."""
    inner = 1
    while True:
        elapsed = max(run_loop(fn, source(inner)), 1)
        if elapsed >= config.target_ns / 10 or inner >= config.max_inner:
            scaled = math.ceil(inner * config.target_ns / elapsed)
            return max(1, min(config.max_inner, scaled))
        inner = min(config.max_inner, inner * 10)


def _summarise(per_call: Sequence[float], inner: int) -> Timing:
    """Median, min and max of per-call times from the repeats."""
    return Timing(
        median_ns=statistics.median(per_call),
        min_ns=min(per_call),
        max_ns=max(per_call),
        inner=inner,
        repeats=len(per_call),
    )


def measure_interleaved(jobs: Sequence[tuple[Timed, ArgSource]], config: TimingConfig) -> list[Timing]:
    """Time several callables, round-robin per repeat.

    Every job is warmed up and calibrated first; then each repeat runs every
    job once in turn, so drift from other work on a shared machine is spread
    over all jobs instead of landing on whichever happened to run then.
    """
    inners = []
    for fn, source in jobs:
        fn(source(1)[0])  # warm up: imports, lazy init, caches a server would have warm
        inners.append(calibrate(fn, source, config))
    samples: list[list[float]] = [[] for _ in jobs]
    for _ in range(config.repeats):
        for (fn, source), inner, sample in zip(jobs, inners, samples):
            args = source(inner)
            sample.append(run_loop(fn, args) / inner)
            del args
    return [_summarise(sample, inner) for sample, inner in zip(samples, inners)]


def measure(fn: Timed, source: ArgSource, config: TimingConfig) -> Timing:
    """Median ns per call of ``fn`` over ``config.repeats`` calibrated loops."""
    return measure_interleaved([(fn, source)], config)[0]


def rejecting(fn: Timed, errors: tuple[type[BaseException], ...]) -> Timed:
    """Wrap ``fn`` so that raising one of ``errors`` is the expected outcome."""

    def call(token: Any) -> None:
        try:
            fn(token)
        except errors:
            return
        raise AssertionError("token was accepted but must be rejected")

    return call
