"""The refresh rules shared by :class:`fastjwt.JWKSClient` and :class:`fastjwt.AsyncJWKSClient`.

:class:`_Endpoint` is where and how to fetch (and build a key set);
:class:`_RefreshPolicy` decides when to fetch and what to serve, on an
injected monotonic clock. Neither knows about threads or event loops: each
client drives the same two objects with its own concurrency (this shape is
the model for the sync and aio gRPC interceptors).
"""

from __future__ import annotations

import logging
import math
import time
from ssl import SSLContext
from typing import Any, Dict, Mapping, NamedTuple, Optional, Tuple, Union

from ._jwks_doc import jwks_members, parse_members
from ._jwks_fetch import _describe, _display_url, _fetch_json
from .exceptions import PyJWKClientConnectionError, PyJWKSetError
from .keys import Key, KeySet

_log = logging.getLogger("fastjwt.jwks")


class _Loaded(NamedTuple):
    """A successful fetch: the key set, its keys by member digest, and the response's max-age."""

    key_set: KeySet
    members: Dict[str, Key]
    max_age: Optional[float]


def _build_key_set(document: Any, previous: Mapping[str, Key], allow_symmetric: bool = False,
                   source: str = "a fetched JWK Set") -> Tuple[KeySet, Dict[str, Key]]:
    """The key set of a JWKS document, reusing the :class:`Key` of every member seen before.

    A member is identified by a digest of its canonical JSON (a digest, so no
    key material is kept beyond the Key itself): a JWK republished unchanged
    keeps its Key object, so tokens a Validator cached as verified by it stay
    cached; a changed or removed JWK's Key is gone from the new set.
    Symmetric (``kty: oct``) members are skipped unless ``allow_symmetric``:
    a fetched JWKS is public, and an HMAC key in it lets its readers sign.
    Skipped members (see :mod:`fastjwt._jwks_doc`) are logged at DEBUG.
    """
    members = jwks_members(document)
    if members is None:
        raise PyJWKSetError("Invalid JWK Set value")
    parsed = parse_members(members, to_key=lambda member: Key.from_jwk(member, allow_symmetric=allow_symmetric),
                           allow_symmetric=allow_symmetric, previous=previous, source=source, logger=_log)
    if not parsed.keys:
        raise PyJWKSetError("The JWK Set did not contain any usable keys")
    return KeySet(parsed.keys), parsed.by_digest


class _Endpoint:
    """Where and how to fetch: the URL and the request options."""

    def __init__(self, url: str, headers: Mapping[str, Any], timeout: float, ssl_context: Optional[SSLContext],
                 max_bytes: int, allow_symmetric: bool = False) -> None:
        self.url, self.headers, self.timeout = url, headers, timeout
        self.ssl_context, self.max_bytes = ssl_context, max_bytes
        self.allow_symmetric = allow_symmetric

    def load(self, previous: Mapping[str, Key]) -> Union[_Loaded, Exception]:
        """Fetch and build the key set; a failure is returned, not raised (the caller keeps the old set)."""
        try:
            document, max_age = _fetch_json(self.url, headers=self.headers, timeout=self.timeout,
                                            ssl_context=self.ssl_context, max_bytes=self.max_bytes)
            key_set, members = _build_key_set(document, previous, self.allow_symmetric, _display_url(self.url))
        except Exception as error:  # whatever went wrong, the answer is the same: keep the last good set
            return error
        return _Loaded(key_set, members, max_age)



class _RefreshPolicy:
    """When to fetch and what to serve, with the state those rules need; shared by both clients.

    Every time it is given (``now``) is read from the client's injected
    monotonic clock; it reads no clock itself but the wall clock for
    ``stats()["last_success"]``. Not thread-safe: :class:`JWKSClient` calls it under its lock and
    :class:`AsyncJWKSClient` from its event loop. The per-token fast path
    reads only ``serving``, replaced whole, so it is never seen half-updated.
    """

    def __init__(self, url: str, *, min_refresh: float, max_refresh: float, default_refresh: float,
                 max_stale: float, unknown_kid_cooldown: float) -> None:
        if not 0 < min_refresh <= max_refresh:
            raise ValueError("min_refresh and max_refresh need 0 < min_refresh <= max_refresh")
        if max_stale < 0 or unknown_kid_cooldown < 0:
            raise ValueError("max_stale and unknown_kid_cooldown must not be negative")
        self.url = url
        self.min_refresh, self.max_refresh, self.default_refresh = min_refresh, max_refresh, default_refresh
        self.max_stale, self.unknown_kid_cooldown = max_stale, unknown_kid_cooldown
        self.key_set: Optional[KeySet] = None
        self.members: Dict[str, Key] = {}
        #: (key_set, until): the set may be served without any other check while the
        #: client's clock reads < until (no refresh due, not stale); until is -inf with no set.
        self.serving: Tuple[Optional[KeySet], float] = (None, -math.inf)
        self.next_refresh = -math.inf  # nothing loaded: due now
        self.last_unknown_kid_fetch = -math.inf
        self.last_success: Optional[float] = None  # on the client's (monotonic) clock
        self.last_success_time: Optional[float] = None  # epoch seconds, for stats()
        self.last_error: Optional[str] = None
        self.consecutive_failures = 0
        self.fetches = self.failures = self.unknown_kid_fetches = 0

    def begin(self, reason: str, now: float) -> bool:
        """Whether a fetch for ``reason`` (``"refresh"`` or ``"unknown_kid"``) may start now; if so it is counted."""
        if reason == "unknown_kid":
            # A flood of tokens with made-up kids costs at most one fetch per cooldown.
            if now - self.last_unknown_kid_fetch < self.unknown_kid_cooldown:
                return False
            self.last_unknown_kid_fetch = now
            self.unknown_kid_fetches += 1
        elif now < self.next_refresh:
            return False
        self.fetches += 1
        return True

    def record(self, outcome: Union[_Loaded, Exception], now: float) -> None:
        """Apply a fetch's outcome: swap in the new set, or keep the last good one and schedule a retry."""
        if isinstance(outcome, Exception):
            self.failures += 1
            self.consecutive_failures += 1
            self.last_error = _describe(outcome)
            # Retry sooner than a refresh would come, backing off 1, 2, 4... seconds up to min_refresh.
            self.next_refresh = now + min(2.0 ** (self.consecutive_failures - 1), self.min_refresh)
            _log.warning("JWKS fetch from %s failed (%d in a row, %s): %s", self.url, self.consecutive_failures,
                         "keeping the last good key set" if self.key_set is not None else "no key set yet",
                         self.last_error)
        else:
            key_set = outcome.key_set
            if self.key_set is not None and self.key_set.keys == key_set.keys:
                key_set = self.key_set  # unchanged: keep the very object (the validator's forgery memory is tied to it)
            elif self.key_set is not None:
                _log.info("JWKS from %s changed: %d keys", self.url, len(key_set))
            self.key_set, self.members = key_set, outcome.members
            self.last_success, self.last_success_time = now, time.time()
            self.consecutive_failures, self.last_error = 0, None
            max_age = self.default_refresh if outcome.max_age is None else outcome.max_age
            ttl = min(max(max_age, self.min_refresh), self.max_refresh)
            # A little before max-age runs out, so a background refresh lands before the document is stale.
            self.next_refresh = now + ttl - min(ttl * 0.1, 10.0)
        if self.last_success is not None:
            self.serving = (self.key_set, min(self.next_refresh, self.last_success + self.max_stale))

    def current(self, now: float) -> KeySet:
        """The key set to serve now.

        :raises PyJWKClientConnectionError: none was ever fetched, or the last
            success is more than ``max_stale`` seconds old (fail closed).
        """
        if self.key_set is None or self.last_success is None:
            reason = self.last_error or "not fetched yet"
            raise PyJWKClientConnectionError(f"No JWK Set could be fetched from {self.url}: {reason}")
        if now - self.last_success > self.max_stale:
            raise PyJWKClientConnectionError(
                f"The JWK Set from {self.url} could not be refreshed for more than {self.max_stale:g} s "
                f"(max_stale): {self.last_error}")
        return self.key_set

    def stats(self) -> Dict[str, Any]:
        return {
            "fetches": self.fetches,
            "failures": self.failures,
            "unknown_kid_fetches": self.unknown_kid_fetches,
            "consecutive_failures": self.consecutive_failures,
            "keys": 0 if self.key_set is None else len(self.key_set),
            "last_success": self.last_success_time,
            "last_error": self.last_error,
        }

