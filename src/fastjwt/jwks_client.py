"""Remote JWK Sets: :class:`JWKSClient`, :class:`AsyncJWKSClient` and PyJWT's :class:`PyJWKClient`.

``JWKSClient`` and ``AsyncJWKSClient`` are :class:`fastjwt.KeySource` objects
for ``Validator(keys=client, algorithms=[...])``. They keep the last good key
set and replace it in one assignment when a fetch succeeds, so validation
never waits on the network once a set has been loaded:

* refresh follows the response's ``Cache-Control: max-age`` clamped to
  ``[min_refresh, max_refresh]`` (``default_refresh`` without one), on a
  background thread (or asyncio task) shortly before it runs out;
* a token whose ``kid`` is not in the set triggers one refetch, at most once
  per ``unknown_kid_cooldown`` seconds, shared by every caller waiting on it;
* a failed fetch (connection, timeout, status, malformed or oversized body,
  no usable key) keeps the last good set serving until ``max_stale`` seconds
  after the last success; after that the set is refused (fail closed);
* a JWK republished unchanged keeps its :class:`fastjwt.Key` object, so the
  validator's cached verifications survive refreshes; removed keys vanish.

Rotation works as issuers are told to do it: publish the new key, let clients
pick it up (one refresh interval, or the first token naming it), then sign
with it; remove the old key once its tokens have expired.

``PyJWKClient`` is PyJWT 2.15.1's client (same constructor, methods, errors
and messages) with four of its problems fixed: ``cache_keys`` no longer serves
a removed key forever (PyJWT #1051); an expired set whose refresh fails keeps
serving until ``max_stale`` instead of failing every token (#1162); the
unknown-``kid`` refetch (#929) is throttled by ``cooldown_duration``, failed
fetches included; and asyncio code has :class:`AsyncJWKSClient`, or can
call it as ``await asyncio.to_thread(client.get_signing_key_from_jwt, token)``
(#1120).

Every fetch goes through ``urllib.request.build_opener(...).open(request,
timeout=...)`` with redirects refused, under one deadline for the whole
exchange (see :func:`_fetch_json`); nothing here fetches a URL taken from a
token (``jku``, ``x5u``). Failures are logged on the ``fastjwt.jwks`` logger,
never with key material or response bodies.

Where things live: fetching in :mod:`fastjwt._jwks_fetch`; the refresh
rules both clients share (``_Endpoint``, ``_RefreshPolicy``) in
:mod:`fastjwt._jwks_refresh`; ``JWKSClient`` and ``AsyncJWKSClient`` in
:mod:`fastjwt.remote_keys`; the JWK Set member policy in
:mod:`fastjwt._jwks_doc`. This module is PyJWT's ``PyJWKClient`` and keeps
every name it had (re-exported). Every client takes ``clock=`` (a monotonic
clock) for refresh times, staleness, cooldowns and cache lifespans.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import warnings
from collections import OrderedDict
from ssl import SSLContext
from typing import Any, Callable, Dict, List, Optional, Tuple, Union
from urllib.parse import urlsplit

from ._jwks_doc import SYMMETRIC_REFUSED

# Re-exported: this module's names before the split (fetching, refresh policy and clients moved).
from ._jwks_fetch import (  # noqa: F401
    DEFAULT_MAX_RESPONSE_BYTES,
    _as_jwk_set_payload,
    _check_url,
    _describe,
    _display_url,
    _fetch_json,
    _is_loopback,
    _NoRedirectHandler,
)
from ._jwks_refresh import _build_key_set, _Endpoint, _Loaded, _RefreshPolicy  # noqa: F401
from ._safe_text import text
from .api_jwk import PyJWK, PyJWKSet
from .api_jwt import decode_complete as decode_token
from .exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWTError  # noqa: F401
from .jwk_set_cache import JWKSetCache
from .remote_keys import AsyncJWKSClient, JWKSClient
from .warnings import InsecureTransportWarning

__all__ = ["JWKSClient", "AsyncJWKSClient", "PyJWKClient", "DEFAULT_MAX_RESPONSE_BYTES"]

_log = logging.getLogger("fastjwt.jwks")


# --------------------------------------------------------------------------- PyJWT's client


def _is_plain_http_off_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() == "http" and not _is_loopback(parts.hostname)


class PyJWKClient:
    """PyJWT's JWKS client: same constructor, methods, errors and messages.

    Args (PyJWT's): ``uri``; ``cache_keys``/``max_cached_keys`` (a per-kid
    key cache); ``cache_jwk_set``/``lifespan`` (the JWK Set cache, see
    :class:`fastjwt.jwk_set_cache.JWKSetCache`); ``headers``; ``timeout``;
    ``ssl_context``; ``cooldown_duration`` (minimum seconds between
    refetches for an unknown ``kid``; every fetch, including the first,
    starts it). Keyword-only additions: ``max_stale`` (how long an expired
    set keeps serving while refreshes fail), ``max_response_bytes`` and
    ``clock`` (the monotonic clock of every time above, also the JWK Set cache's).

    Differences from PyJWT, all fixes: the ``cache_keys`` cache is cleared
    whenever a new set is fetched and its entries live ``lifespan`` seconds,
    so a key removed from the JWKS stops being served; when the cached set
    has expired and the refresh fails, the last good set keeps serving (for
    ``max_stale`` seconds after it was fetched), with the endpoint retried at
    most once per ``cooldown_duration``; a failed fetch also starts the
    unknown-kid cooldown; responses over ``max_response_bytes`` or not JSON
    raise :class:`PyJWKClientError` (PyJWT lets ``json`` errors escape).
    For asyncio, use :class:`AsyncJWKSClient`, or
    ``await asyncio.to_thread(client.get_signing_key_from_jwt, token)``.
    """

    def __init__(
        self,
        uri: str,
        cache_keys: bool = False,
        max_cached_keys: int = 16,
        cache_jwk_set: bool = True,
        lifespan: float = 300,
        headers: Optional[Dict[str, Any]] = None,
        timeout: float = 30,
        ssl_context: Optional[SSLContext] = None,
        cooldown_duration: float = 30,
        *,
        max_stale: float = 86400,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        clock: Callable[[], float] = time.monotonic,
        allow_symmetric_keys: bool = False,
    ) -> None:
        if headers is None:
            headers = {}
        _check_url(uri, allow_insecure_http=True)  # PyJWT accepts http to any host
        if _is_plain_http_off_loopback(uri):
            # Accepted for drop-in users, but never silently (once per client: here).
            warnings.warn(
                f"PyJWKClient fetches keys from {_display_url(uri)} over plain http: keys fetched without TLS "
                "can be replaced in transit, letting anyone on the path forge tokens. Use https.",
                InsecureTransportWarning,
                stacklevel=2,
            )
        self.uri = uri
        self.jwk_set_cache: Optional[JWKSetCache] = None
        self.headers = headers
        self.timeout = timeout
        self.ssl_context = ssl_context
        if cooldown_duration < 0:
            raise PyJWKClientError(
                f'Cooldown duration must be greater than or equal to 0, the input is "{cooldown_duration}"')
        if not math.isfinite(cooldown_duration):
            raise PyJWKClientError(f'Cooldown duration must be finite, the input is "{cooldown_duration}"')
        self.cooldown_duration = cooldown_duration
        self.max_stale = max_stale
        self.max_response_bytes = max_response_bytes
        if cache_jwk_set:
            if lifespan <= 0:
                raise PyJWKClientError(f'Lifespan must be greater than 0, the input is "{lifespan}"')
            self.jwk_set_cache = JWKSetCache(lifespan, clock=clock)
        self._lifespan = lifespan
        self._clock = clock
        self._lock = threading.Lock()  # guards the fields below
        self._refetch_lock = threading.Lock()  # one unknown-kid refetch at a time
        # PyJWT's name: monotonic time of the last successful fetch (code and
        # tests written for PyJWT set it to end a cooldown).
        self._last_successful_fetch: Optional[float] = None
        self._failed_at: Optional[float] = None  # monotonic time of the last failed fetch, if it failed
        # (payload dict, its PyJWKSet) of the last fetch_data: get_jwk_set parses a fetch once.
        self._parsed: Optional[Tuple[Any, PyJWKSet]] = None
        self._cache_keys = cache_keys
        self._max_cached_keys = max_cached_keys
        self._allow_symmetric = allow_symmetric_keys
        self._key_cache: OrderedDict[str, Tuple[PyJWK, float]] = OrderedDict()

    def fetch_data(self) -> Any:
        """Fetch the JWK Set from ``uri``; return the JSON object (and store it in the cache, if enabled).

        :raises PyJWKClientConnectionError: the HTTP request failed.
        :raises PyJWKClientError: the response is not a JSON object.
        :raises PyJWKSetError: the cache is enabled and the set has no usable keys.
        """
        try:
            data, _ = _fetch_json(self.uri, headers=self.headers, timeout=self.timeout,
                                  ssl_context=self.ssl_context, max_bytes=self.max_response_bytes)
            jwk_set = _as_jwk_set_payload(data)
            # Only a good response reaches the cache: a failure never wipes the last good set.
            if self.jwk_set_cache is not None:
                parsed = PyJWKSet.from_dict(jwk_set)
                self.jwk_set_cache.put(parsed)
                self._parsed = (jwk_set, parsed)
        except PyJWTError as error:
            with self._lock:
                self._failed_at = self._clock()
            _log.warning("JWKS fetch from %s failed: %s", _display_url(self.uri), _describe(error))
            raise
        with self._lock:
            self._failed_at = None
            self._last_successful_fetch = self._clock()
        return jwk_set

    def get_jwk_set(self, refresh: bool = False) -> PyJWKSet:
        """The JWK Set: from the cache, or fetched (always fetched with ``refresh=True``).

        If the cached set has expired and the refresh fails, the last good
        set is returned while it is younger than ``max_stale``, and the
        endpoint is not retried within ``cooldown_duration``.

        :raises PyJWKClientError: the fetch failed and no set can be served.
        """
        cache = self.jwk_set_cache
        if cache is not None and not refresh:
            cached = cache.get()
            if cached is not None:
                return cached
            stale = self._stale_set()
            if stale is not None and self._failed_recently():
                return stale  # the endpoint failed moments ago: don't ask it again on every call
        try:
            data = self.fetch_data()
        except PyJWTError:
            stale = None if refresh else self._stale_set()
            if stale is None:
                raise
            return stale
        # fetch_data may be overridden: parse (and cache) what it returned,
        # unless it is the very payload fetch_data has just parsed.
        parsed, self._parsed = self._parsed, None
        if isinstance(data, PyJWKSet):
            jwk_set = data
        elif parsed is not None and parsed[0] is data:
            jwk_set = parsed[1]
        else:
            jwk_set = PyJWKSet.from_dict(_as_jwk_set_payload(data))
        if cache is not None:
            cache.put(jwk_set)
        with self._lock:
            self._key_cache.clear()  # keys of the previous set must not outlive it
        return jwk_set

    def get_signing_keys(self, refresh: bool = False) -> List[PyJWK]:
        """The keys with ``use`` "sig" (or none) and a ``kid``.

        :raises PyJWKClientError: there is no such key.
        """
        keys = self._get_signing_keys_from_jwk_set(self.get_jwk_set(refresh))
        if self._allow_symmetric:
            return keys
        # A published JWKS is public: anyone who reads an oct member's secret could sign
        # HS256 tokens with it (issue 8, finding 4). Skipped unless the caller opts in.
        usable = [key for key in keys if key.key_type != "oct"]
        if len(usable) != len(keys):
            _log.warning("JWKS from %s: %d symmetric (oct) member(s) skipped: %s", _display_url(self.uri),
                         len(keys) - len(usable), SYMMETRIC_REFUSED)
        if not usable:
            raise PyJWKClientError("The JWKS endpoint did not contain any signing keys")
        return usable

    _as_jwk_set_payload = staticmethod(_as_jwk_set_payload)  # PyJWT has it here; subclasses may call it

    @staticmethod
    def _get_signing_keys_from_jwk_set(jwk_set: PyJWKSet) -> List[PyJWK]:
        signing_keys = [key for key in jwk_set.keys if key.public_key_use in ("sig", None) and key.key_id]
        if not signing_keys:
            raise PyJWKClientError("The JWKS endpoint did not contain any signing keys")
        return signing_keys

    def get_signing_key(self, kid: str) -> PyJWK:
        """The signing key with this ``kid``; an unknown kid refetches the set once
        per ``cooldown_duration``.

        :raises PyJWKClientError: no key matches.
        """
        key = self._cached_key(kid)
        if key is not None:
            return key
        key = self.match_kid(self.get_signing_keys(), kid)
        if key is None:
            with self._refetch_lock:
                if self.jwk_set_cache is not None:
                    # A caller that waited here finds what the refetch before it brought.
                    key = self.match_kid(self.get_signing_keys(), kid)
                if key is None and self._refetch_allowed():
                    try:
                        key = self.match_kid(self.get_signing_keys(refresh=True), kid)
                    finally:
                        # As PyJWT: the refetch starts the cooldown (whatever fetch_data is).
                        with self._lock:
                            self._last_successful_fetch = self._clock()
            if key is None:
                raise PyJWKClientError(f'Unable to find a signing key that matches: "{text(kid)}"')
        self._remember_key(kid, key)
        return key

    def get_signing_key_from_jwt(self, token: Union[str, bytes]) -> PyJWK:
        """The signing key named by the token's (unverified) ``kid`` header."""
        unverified = decode_token(token, options={"verify_signature": False})
        return self.get_signing_key(unverified["header"].get("kid"))

    @staticmethod
    def match_kid(signing_keys: List[PyJWK], kid: str) -> Optional[PyJWK]:
        """The first key of ``signing_keys`` with this ``kid``, or None."""
        for key in signing_keys:
            if key.key_id == kid:
                return key
        return None

    # ------------------------------------------------------------------ fixes' helpers

    def _stale_set(self) -> Optional[PyJWKSet]:
        """The last good set, expired or not, if it was fetched less than ``max_stale`` ago."""
        entry = None if self.jwk_set_cache is None else self.jwk_set_cache.jwk_set_with_timestamp
        if entry is None or self._clock() - entry.get_timestamp() > self.max_stale:
            return None
        return entry.get_jwk_set()

    def _failed_recently(self) -> bool:
        with self._lock:
            return self._failed_at is not None and self._clock() - self._failed_at < self.cooldown_duration

    def _refetch_allowed(self) -> bool:
        """Whether an unknown kid may refetch now: no fetch, good or failed,
        within ``cooldown_duration``. Called under ``_refetch_lock``, so
        concurrent misses wait for one refetch and then find it recent."""
        if self.jwk_set_cache is None:
            return True  # as in PyJWT: without a set cache every call fetches anyway
        with self._lock:
            now = self._clock()
            return not any(
                when is not None and now - when < self.cooldown_duration
                for when in (self._last_successful_fetch, self._failed_at)
            )

    def _cached_key(self, kid: str) -> Optional[PyJWK]:
        if not self._cache_keys or not isinstance(kid, str):
            return None
        with self._lock:
            entry = self._key_cache.get(kid)
            if entry is None:
                return None
            if self._clock() >= entry[1]:
                del self._key_cache[kid]
                return None
            self._key_cache.move_to_end(kid)
            return entry[0]

    def _remember_key(self, kid: str, key: PyJWK) -> None:
        if not self._cache_keys or not isinstance(kid, str):
            return
        with self._lock:
            self._key_cache[kid] = (key, self._clock() + self._lifespan)
            self._key_cache.move_to_end(kid)
            while self._max_cached_keys is not None and len(self._key_cache) > max(self._max_cached_keys, 0):
                self._key_cache.popitem(last=False)
