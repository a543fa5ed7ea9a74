"""The verified-token cache of one :class:`fastjwt.Validator`.

A gateway sees the same access token on every call of a session. Once a
token's signature and its time-independent claims (audience, issuer,
subject, required claims, ``typ``) have passed, the validator remembers it,
keyed by the *full token*: a forged token differs somewhere in its bytes and
can never hit another token's entry. A hit costs a dictionary lookup plus the
time checks (``iat``, ``nbf``, ``exp``, ``max_age``), which always run
against the current clock.

Tokens rejected for good are remembered too, in a separate small store:
a signature that does not verify, or a token that has expired. Each verdict
is tagged with the key set it was reached with, so a key rotation forgets it,
and with the clock reading it holds from: an expired token stays expired as
time moves on, but a clock corrected backwards must see it again (a verdict
read at an earlier time is dropped and the token judged afresh). A flood of
the same forged or replayed-expired token costs a lookup. Verdicts that time
can change (``nbf`` or ``iat`` in the future) are never stored.

Every operation takes the cache's lock: gRPC's sync servers call validators
from a thread pool, and cachetools' caches are not thread-safe.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Dict, NamedTuple, Optional, Tuple, Union

from cachetools import LRUCache

__all__ = ["CacheInfo", "TokenCache", "DEFAULT_CACHE_SIZE", "DEFAULT_REJECTED_CACHE_SIZE"]

DEFAULT_CACHE_SIZE = 65536
DEFAULT_REJECTED_CACHE_SIZE = 4096

Token = Union[str, bytes]
#: What a hit needs: the claims (never handed out: each hit gets its own
#: ``copy_json`` of them), the key that verified the token (None for a
#: single-key validator), and the open interval of clock values in which its
#: time claims surely pass (ClaimRules.time_window).
Entry = Tuple[Dict[str, Any], Any, float, float]


class CacheInfo(NamedTuple):
    """Cache statistics of a validator (see :meth:`Validator.cache_info`)."""

    hits: int
    misses: int
    evictions: int
    currsize: int
    maxsize: int
    rejected_hits: int
    rejected_size: int


class _CountingLRU(LRUCache):  # type: ignore[type-arg]
    """An LRU cache that counts its evictions."""

    evictions = 0

    def popitem(self) -> Tuple[Any, Any]:
        item = super().popitem()
        self.evictions += 1
        return item


def _lookup_functions(lru: _CountingLRU) -> Tuple[Callable[[Token], Any], Callable[[Token], None]]:
    """``(get, touch)``: read an entry (None if absent), then mark it most recently used.

    ``token in cache`` then ``cache[token]`` runs three Python-level methods,
    most of a hit's cost. cachetools keeps its entries in a dict and its LRU
    order in an OrderedDict; reading those directly makes a hit two C calls.
    Should a cachetools release rename them, its public (slower) protocol
    serves instead, with the same results.
    """
    data = getattr(lru, "_Cache__data", None)
    order = getattr(lru, "_LRUCache__order", None)
    if type(data) is dict and type(order) is OrderedDict and len(data) == len(order):
        return data.get, order.move_to_end
    return (lambda token: lru[token] if token in lru else None), (lambda token: None)


#: Distinct short strings shared between cached claims (bounded; see template).
_POOL_SIZE = 4096
_POOLED_LENGTH = 256


class TokenCache:
    """Verified tokens (LRU, ``maxsize``) and rejected tokens (LRU, ``rejected_maxsize``)."""

    def __init__(self, maxsize: int = DEFAULT_CACHE_SIZE, rejected_maxsize: int = DEFAULT_REJECTED_CACHE_SIZE) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._new_store(maxsize)
        self._new_rejected_store(max(rejected_maxsize, 1))
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.rejected_hits = 0
        self._pool: Dict[str, str] = {}

    def get(self, token: Token) -> Optional[Entry]:
        """The entry of a verified token (now the most recently used), or None."""
        # acquire/release rather than `with`, whose __enter__/__exit__ cost
        # as much as the lookup itself: this is the hot path of a hit.
        lock = self.lock
        lock.acquire()
        try:
            entry = self._get(token)
            if entry is None:
                self.misses += 1
            else:
                self._touch(token)
                self.hits += 1
        finally:
            lock.release()
        return entry  # type: ignore[no-any-return]

    def _new_store(self, maxsize: int) -> None:
        self.verified = _CountingLRU(maxsize)
        self._get, self._touch = _lookup_functions(self.verified)

    def _new_rejected_store(self, maxsize: int) -> None:
        self.rejected = _CountingLRU(maxsize)
        self._rejected_get, self._rejected_touch = _lookup_functions(self.rejected)

    def template(self, claims: Dict[str, Any]) -> Dict[str, Any]:
        """What to remember of verified claims (never handed out: hits copy it).

        Strings that repeat across tokens (issuer, audience, scope, client
        id) are stored once: about a third of an entry's memory otherwise.
        """
        pool = self._pool
        if len(pool) >= _POOL_SIZE:
            pool.clear()  # bounded: tokens full of unique strings cannot grow it
        return {
            name: pool.setdefault(value, value) if type(value) is str and len(value) <= _POOLED_LENGTH else value
            for name, value in claims.items()
        }

    def put(self, token: Token, entry: Entry) -> None:
        """Remember a verified token."""
        with self.lock:
            self.verified[token] = entry

    def forget(self, token: Token) -> None:
        """Drop a verified token (its key is gone)."""
        with self.lock:
            self.verified.pop(token, None)

    def purge(self, keep: Callable[[Entry], bool]) -> int:
        """Drop every verified entry for which ``keep`` is false; return how many."""
        with self.lock:
            doomed = [token for token, entry in self.verified.items() if not keep(entry)]
            for token in doomed:
                del self.verified[token]
            return len(doomed)

    def reject(self, token: Token, key_state: Any, error: Exception, since: float = float("-inf")) -> None:
        """Remember that ``token`` was refused for good (``error``) under ``key_state``,
        a verdict that holds at every clock reading from ``since`` on (an expiry:
        the reading it was found at; a forgery: always); a verified entry of the
        same token is dropped (it expired)."""
        with self.lock:
            self.verified.pop(token, None)
            self.rejected[token] = (key_state, type(error), error.args, since)

    def rejection(self, token: Token, key_state: Any, now: float) -> Optional[Exception]:
        """A fresh copy of the error ``token`` was refused with under this very
        ``key_state``, or None. A verdict that does not hold at ``now`` (the
        clock was set back before it) is forgotten."""
        lock = self.lock
        lock.acquire()
        try:
            verdict = self._rejected_get(token)
            if verdict is None or verdict[0] is not key_state:
                return None
            if now < verdict[3]:
                self.rejected.pop(token, None)
                return None
            self._rejected_touch(token)
            self.rejected_hits += 1
        finally:
            lock.release()
        return verdict[1](*verdict[2])  # type: ignore[no-any-return]

    def info(self) -> CacheInfo:
        """A snapshot of the statistics."""
        with self.lock:
            return CacheInfo(
                hits=self.hits,
                misses=self.misses,
                evictions=self.verified.evictions,
                currsize=len(self.verified),
                maxsize=int(self.verified.maxsize),
                rejected_hits=self.rejected_hits,
                rejected_size=len(self.rejected),
            )

    def clear(self) -> None:
        """Forget everything (statistics are kept)."""
        with self.lock:
            # New stores rather than .clear(), which would count evictions.
            evictions = self.verified.evictions
            self._new_store(int(self.verified.maxsize))
            self.verified.evictions = evictions
            self._new_rejected_store(int(self.rejected.maxsize))
