"""The verified-token cache of one :class:`fastjwt.Validator`.

A gateway sees the same access token on every call of a session. Once a
token's signature and its time-independent claims (audience, issuer,
subject, required claims, ``typ``) have passed, the validator remembers it;
an entry answers only the *very same token*, compared byte for byte: a forged
token differs somewhere in its bytes and can never hit another token's entry
(the store's key is only the token's end, see ``_cache.token_key``). A hit costs a dictionary lookup plus the
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
from a thread pool, and cachetools' caches are not thread-safe. The hot
operations (lookup, insert, eviction) run in compiled code
(``_cache.TokenStore``, driven by ``_pipeline.Pipeline.decode``); this module
builds the stores and keeps the rare operations.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Dict, NamedTuple, Optional, Tuple, Union

from cachetools import LRUCache

from ._cache import Entry, LRUView, TokenStore

__all__ = ["CacheInfo", "Entry", "TokenCache", "DEFAULT_CACHE_SIZE", "DEFAULT_REJECTED_CACHE_SIZE"]

DEFAULT_CACHE_SIZE = 65536
DEFAULT_REJECTED_CACHE_SIZE = 4096

Token = Union[str, bytes]


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
    """An LRU cache that counts the evictions its public protocol makes."""

    evictions = 0

    def popitem(self) -> Tuple[Any, Any]:
        item = super().popitem()
        self.evictions += 1
        return item


def _direct_parts(lru: _CountingLRU) -> Optional[Tuple[Dict[Any, Any], OrderedDict[Any, None], Dict[str, Any]]]:
    """``(data, order, attributes)`` of ``lru`` for compiled access, or None.

    Through cachetools' public protocol a hit runs three Python-level
    methods and an insert five, most of a cached decode's cost. cachetools
    keeps an LRU's entries in a dict, its recency in an OrderedDict and its
    size in a counter; the compiled store (``_cache.LRUView``) reads and
    writes those directly, exactly as cachetools' own methods would. Should a
    cachetools release move or retype any of them (or size entries with
    ``getsizeof``), the public protocol serves instead, with the same results.
    """
    attributes = getattr(lru, "__dict__", None)
    if type(attributes) is not dict:
        return None
    data = attributes.get("_Cache__data")
    order = attributes.get("_LRUCache__order")
    size = attributes.get("_Cache__currsize")
    if (
        type(data) is dict
        and type(order) is OrderedDict
        and type(size) is int
        and attributes.get("_Cache__size") is None
        and attributes.get("_Cache__maxsize") == lru.maxsize
        and len(data) == len(order) == size
    ):
        return data, order, attributes
    return None


def _view(maxsize: int) -> LRUView:
    lru = _CountingLRU(maxsize)
    return LRUView(lru, _direct_parts(lru))


class TokenCache(TokenStore):
    """Verified tokens (LRU, ``maxsize``) and rejected tokens (LRU, ``rejected_maxsize``).

    Entries are ``_cache.Entry`` objects (claims, key, time window).
    Verdicts are ``(key_state, error_type, error_args, since, token)``;
    both stores are keyed by ``_cache.token_key`` (see there).
    """

    def __init__(self, maxsize: int = DEFAULT_CACHE_SIZE, rejected_maxsize: int = DEFAULT_REJECTED_CACHE_SIZE) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._maxsize = maxsize
        self._rejected_maxsize = max(rejected_maxsize, 1)
        self._past_evictions = 0  # of stores replaced by clear()
        self.attach(_view(self._maxsize), _view(self._rejected_maxsize))

    def purge(self, keep: Callable[[Entry], bool]) -> int:
        """Drop every verified entry for which ``keep`` is false; return how many."""
        with self.lock:
            lru = self.verified.lru
            doomed = [token for token, entry in lru.items() if not keep(entry)]
            for token in doomed:
                del lru[token]  # the public protocol keeps dict, order and size in step
            return len(doomed)

    def info(self) -> CacheInfo:
        """A snapshot of the statistics."""
        with self.lock:
            return CacheInfo(
                hits=self.hits,
                misses=self.misses,
                evictions=self._past_evictions + self.verified.evictions + self.verified.lru.evictions,
                currsize=len(self.verified.lru),
                maxsize=self._maxsize,
                rejected_hits=self.rejected_hits,
                rejected_size=len(self.rejected.lru),
            )

    def clear(self) -> None:
        """Forget everything (statistics are kept)."""
        # New stores rather than .clear(), which would count evictions.
        self._past_evictions += self.attach(_view(self._maxsize), _view(self._rejected_maxsize))
