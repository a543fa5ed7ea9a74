"""What the interceptors decided: one :class:`Decision` per call, and counters."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Dict, Optional

__all__ = ["ALLOWED", "PUBLIC", "UNAUTHENTICATED", "PERMISSION_DENIED", "OUTCOMES", "Decision", "Counters"]

ALLOWED = "allowed"
PUBLIC = "public"
UNAUTHENTICATED = "unauthenticated"
PERMISSION_DENIED = "permission_denied"
OUTCOMES = (ALLOWED, PUBLIC, UNAUTHENTICATED, PERMISSION_DENIED)


@dataclass(frozen=True)
class Decision:
    """The interceptor's verdict on one call, given to ``on_decision``.

    Attributes:
        method: the full method name, ``"/pkg.Service/Method"``.
        outcome: ``"allowed"``, ``"public"`` (a public method, served with or
            without a token), ``"unauthenticated"`` or ``"permission_denied"``.
        reason: the short reason of a refusal (``"expired"``, ``"missing
            scope"``...), None when the call goes ahead.
        cache_hit: the token was answered from the Validator's cache.
        latency: seconds the interceptor spent deciding.
    """

    method: str
    outcome: str
    reason: Optional[str]
    cache_hit: bool
    latency: float


def _value(counter: itertools.count[int]) -> int:
    # itertools.count is the one counter whose increment is atomic under the
    # GIL at C speed; its repr is the only public view of its value.
    return int(repr(counter)[6:-1])


class Counters:
    """Thread-safe call counters: one per outcome, plus cache hits and misses.

    Incremented with ``next()`` on ``itertools.count`` objects: atomic, no
    lock, about 30 ns, so the hot path can afford it. A call allowed (or
    served publicly) on a cache hit, the hot path, takes one ``next()``:
    ``allowed_hits`` (``public_hits``) counts it as both, in :meth:`snapshot`.
    """

    __slots__ = ("allowed", "public", "unauthenticated", "permission_denied", "cache_hits", "cache_misses",
                 "allowed_hits", "public_hits")

    def __init__(self) -> None:
        self.allowed = itertools.count()
        self.public = itertools.count()
        self.unauthenticated = itertools.count()
        self.permission_denied = itertools.count()
        self.cache_hits = itertools.count()
        self.cache_misses = itertools.count()
        self.allowed_hits = itertools.count()
        self.public_hits = itertools.count()

    def snapshot(self) -> Dict[str, int]:
        """The current counts, by name (``allowed``, ``public``,
        ``unauthenticated``, ``permission_denied``, ``cache_hits``, ``cache_misses``)."""
        allowed_hits, public_hits = _value(self.allowed_hits), _value(self.public_hits)
        return {
            "allowed": _value(self.allowed) + allowed_hits,
            "public": _value(self.public) + public_hits,
            "unauthenticated": _value(self.unauthenticated),
            "permission_denied": _value(self.permission_denied),
            "cache_hits": _value(self.cache_hits) + allowed_hits + public_hits,
            "cache_misses": _value(self.cache_misses),
        }
