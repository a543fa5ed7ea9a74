"""The mixed workload: many distinct tokens, each presented many times.

``distinct`` valid tokens are each presented ``per_token`` times in a random
(fixed-seed) order, every presentation a fresh ``str`` object as a server
would receive it.  Each run starts from a new decoder, so a cache starts cold
and the first sight of every token is a miss.  The figure reported is the
total time divided by the number of decodes.  One pass (200,000 decodes by
default) is long enough to average over; ``runs`` > 1 repeats it and
reports the median.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

from bench.fixtures import Case, make_claims, make_token
from bench.peers import Adapter, Decoder, Unsupported, validator_of
from bench.timing import run_loop


@dataclass(frozen=True)
class WorkloadConfig:
    """Size and repetition of the mixed workload."""

    distinct: int = 10_000
    per_token: int = 20
    runs: int = 1
    seed: int = 20_240_601

    @classmethod
    def quick(cls) -> WorkloadConfig:
        """A small workload for smoke runs."""
        return cls(distinct=200, per_token=20, runs=1)


@dataclass(frozen=True)
class Workload:
    """The distinct tokens, their claims, and the presentation order."""

    case: Case
    tokens: list[str]
    claims: list[dict[str, Any]]
    order: list[int]

    def presentations(self) -> list[str]:
        """One fresh, never-hashed string per presentation, in order."""
        encoded = [token.encode("ascii") for token in self.tokens]
        return [encoded[i].decode("ascii") for i in self.order]


@dataclass(frozen=True)
class WorkloadResult:
    """Median ns per decode over the runs, plus cache statistics if any."""

    name: str
    median_ns: float | None
    runs: int
    decodes: int
    status: str = "ok"
    cache_info: str | None = None

    @property
    def median_us(self) -> float | None:
        """Median microseconds per decode."""
        return None if self.median_ns is None else self.median_ns / 1000.0


def build_workload(case: Case, config: WorkloadConfig) -> Workload:
    """Sign ``config.distinct`` tokens with ``case``'s key and shuffle their presentations."""
    rng = random.Random(config.seed)
    now = int(time.time())
    claims = [make_claims(now, rng, case.shape) for _ in range(config.distinct)]
    tokens = [make_token(case.keys, c) for c in claims]
    order = [i for i in range(config.distinct) for _ in range(config.per_token)]
    rng.shuffle(order)
    return Workload(case, tokens, claims, order)


def _check_sample(decoder: Decoder, workload: Workload, sample: int = 3) -> None:
    """Fail loudly if the decoder does not return the claims it was given."""
    for token, expected in list(zip(workload.tokens, workload.claims))[:sample]:
        got: Mapping[str, Any] = decoder(token)
        if dict(got) != expected:
            raise AssertionError(f"unexpected claims {got!r}")


def _cache_info(decoder: Decoder) -> str | None:
    """``cache_info()`` of the Validator behind a bound ``decode``, if it has one."""
    info: Callable[[], Any] | None = getattr(validator_of(decoder), "cache_info", None)
    return str(info()) if callable(info) else None


def run_workload(
    name: str, make_decoder: Callable[[], Decoder], workload: Workload, runs: int
) -> WorkloadResult:
    """Time ``runs`` passes of the workload, each with a brand-new decoder."""
    per_decode: list[float] = []
    info = None
    for _ in range(runs):
        _check_sample(make_decoder(), workload)
        decoder = make_decoder()
        presentations = workload.presentations()
        per_decode.append(run_loop(decoder, presentations) / len(presentations))
        info = _cache_info(decoder)
    return WorkloadResult(name, statistics.median(per_decode), runs, len(workload.order), cache_info=info)


def workload_entry(adapter: Adapter, workload: Workload, runs: int) -> WorkloadResult:
    """Run the workload through ``adapter``, or say why it cannot."""
    try:
        adapter.build(workload.case)
    except (ImportError, Unsupported) as exc:
        return WorkloadResult(adapter.name, None, 0, len(workload.order), status=f"n/a: {exc}")
    return run_workload(adapter.name, lambda: adapter.build(workload.case), workload, runs)
