"""The data a comparison run produces, and the ratios derived from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.timing import Timing
from bench.workload import WorkloadResult

FASTJWT_CACHED = "fastjwt Validator cached hit"


@dataclass
class Entry:
    """One timed (or untimed, with a reason) line: an implementation or a floor."""

    name: str
    family: str
    status: str = "ok"
    timing: Timing | None = None
    note: str = ""

    @property
    def us(self) -> float | None:
        """Median µs per call, or None when not timed."""
        return None if self.timing is None else self.timing.median_us

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "name": self.name,
            "family": self.family,
            "status": self.status,
            "median_us": self.us,
            "timing": None if self.timing is None else self.timing.as_dict(),
            "note": self.note,
        }


@dataclass
class CaseResult:
    """All measurements for one algorithm and claim shape; ``alg`` is the
    column label (``HS256`` for the flat shape, ``HS256 nested``)."""

    alg: str
    token_bytes: int
    decode: list[Entry] = field(default_factory=list)
    floors: list[Entry] = field(default_factory=list)
    rejects: dict[str, list[Entry]] = field(default_factory=dict)
    workload: list[WorkloadResult] = field(default_factory=list)
    uncached_floor_us: float | None = None
    cached_floor_us: float | None = None
    shape: str = "flat"

    def entry(self, name: str) -> Entry | None:
        """The decode entry called ``name``, if any."""
        return next((e for e in self.decode if e.name == name), None)

    def best_peer(self) -> Entry | None:
        """The fastest correctly validating peer (fastjwt excluded)."""
        timed = [e for e in self.decode if e.family == "peer" and e.us is not None]
        return min(timed, key=lambda e: e.us or 0.0, default=None)

    def floor_for(self, entry: Entry) -> float | None:
        """The floor an entry is measured against: cached for cache hits, else uncached."""
        return self.cached_floor_us if entry.name == FASTJWT_CACHED else self.uncached_floor_us

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "alg": self.alg,
            "shape": self.shape,
            "token_bytes": self.token_bytes,
            "uncached_floor_us": self.uncached_floor_us,
            "cached_floor_us": self.cached_floor_us,
            "decode": [e.as_dict() for e in self.decode],
            "floors": [e.as_dict() for e in self.floors],
            "rejects": {k: [e.as_dict() for e in v] for k, v in self.rejects.items()},
            "workload": [vars(w) | {"median_us": w.median_us} for w in self.workload],
        }


@dataclass
class RunResult:
    """A whole run: per-algorithm results plus how the run was made."""

    cases: list[CaseResult]
    meta: dict[str, Any]
    notes: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"meta": self.meta, "notes": self.notes, "cases": [c.as_dict() for c in self.cases]}


def ratio(value: float | None, reference: float | None) -> float | None:
    """``value / reference`` when both are known and the reference is positive."""
    if value is None or reference is None or reference <= 0:
        return None
    return value / reference
