"""Validator: the reusable fast path for servers.

Everything that does not change between calls (key loading, algorithm
resolution, per-algorithm verification contexts, option merging, audience
and issuer sets) is done once in ``__init__``. ``decode`` then answers a
repeated token from the verified-token cache (a lookup plus the time checks),
or runs the compiled split, one signature check and the compiled claim rules.
It gives the same results and raises the same exceptions as
``fastjwt.decode`` with the same arguments.
"""

from __future__ import annotations

import time
from collections.abc import Container, Iterable, Sequence
from datetime import timedelta
from typing import Any, Callable, Dict, Mapping, NoReturn, Optional, Tuple, Union

from ._cache import copy_json
from ._core import HeaderVerdict
from ._pipeline import Pipeline
from .algorithms import Verifier, get_default_algorithms
from .cache import DEFAULT_CACHE_SIZE, DEFAULT_REJECTED_CACHE_SIZE, CacheInfo, Entry, TokenCache
from .exceptions import (
    DecodeError,
    ExpiredSignatureError,
    InvalidAlgorithmError,
    InvalidSignatureError,
)
from .keys import Key, KeyNotFoundError, KeySet, KeySource, check_algorithm, short_key_warnings, warn_short_key
from .rules import (
    DEFAULT_MAX_TOKEN_LENGTH,
    DEFAULT_OPTIONS,
    UNENCODED_PAYLOAD_MESSAGE,
    ClaimRules,
    check_header,
    merge_options,
    normalize_typ,
)

__all__ = ["Validator"]

_NO_KEY: Any = object()
#: The key state a single-key validator's remembered rejections are tied to.
_SINGLE_KEY = object()
_KNOWN_ALGORITHMS = frozenset(name for name in get_default_algorithms() if name != "none")


class _StaticKeys:
    """A fixed :class:`KeySet` seen through the :class:`KeySource` interface."""

    __slots__ = ("current",)

    def __init__(self, key_set: KeySet) -> None:
        self.current = key_set

    def key_set(self) -> KeySet:
        return self.current

    def key_set_for(self, kid: str) -> KeySet:
        return self.current


class Validator:
    """Validate tokens under one policy, with one key or a key set.

    Args:
        key: a single verification key, in any form ``fastjwt.decode``
            accepts (HMAC secret, PEM/DER/SSH text, X.509 certificate, a
            ``cryptography`` key object, or a :class:`fastjwt.PyJWK`). As in
            PyJWT, the token's ``kid`` is not consulted.
        algorithms: the allowlist. The token's ``alg`` only selects among
            these; ``none`` is refused.
        keys: instead of ``key``, a :class:`fastjwt.KeySet` or a
            :class:`fastjwt.KeySource` (e.g. a JWKS client); tokens then
            select their key by ``kid``.
        try_keys: with ``keys``, how many keys a token without ``kid`` may
            be tried against (default 1: only when exactly one key fits).
        audience, issuer, subject, leeway, options: as in ``fastjwt.decode``.
        require: claims that must be present (added to ``options["require"]``).
        typ: expected ``typ`` header, e.g. ``"at+jwt"`` (RFC 9068); compared
            case-insensitively, with an optional ``application/`` prefix.
        max_age: maximum age of the token from its ``iat`` (seconds or
            timedelta); makes ``iat`` required.
        max_token_length: tokens longer than this many bytes are refused
            before any other work.
        cache: remember verified tokens (on by default); ``cache_size`` bounds
            the number remembered, ``cache_size=0`` turns the cache off;
            ``rejected_cache_size`` bounds the tokens remembered as refused for
            good (forged or expired).
        clock: returns the current time in seconds since the epoch.
    """

    def __init__(
        self,
        key: Any = _NO_KEY,
        algorithms: Sequence[str] = (),
        *,
        keys: Union[KeySet, KeySource, None] = None,
        try_keys: int = 1,
        audience: Union[str, Iterable[str], None] = None,
        issuer: Union[str, Container[str], None] = None,
        subject: Optional[str] = None,
        leeway: Union[float, timedelta] = 0,
        require: Iterable[str] = (),
        options: Optional[Mapping[str, Any]] = None,
        typ: Optional[str] = None,
        max_age: Union[float, timedelta, None] = None,
        max_token_length: int = DEFAULT_MAX_TOKEN_LENGTH,
        cache: bool = True,
        cache_size: int = DEFAULT_CACHE_SIZE,
        rejected_cache_size: int = DEFAULT_REJECTED_CACHE_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(algorithms, str) or not algorithms:
            raise ValueError("algorithms must be a non-empty list of algorithm names")
        if "none" in algorithms:
            raise ValueError("'none' cannot verify anything; remove it from algorithms")
        if (key is _NO_KEY) == (keys is None):
            raise ValueError("pass exactly one of key= or keys=")
        merged = merge_options(DEFAULT_OPTIONS, dict(options) if options else None)
        if not merged["verify_signature"]:
            raise ValueError("a Validator always verifies signatures; use fastjwt.decode to read unverified tokens")
        merged["require"] = list(merged["require"]) + [c for c in require if c not in merged["require"]]
        self._rules = ClaimRules(merged, audience=audience, issuer=issuer, subject=subject, leeway=leeway,
                                 max_age=max_age)
        self._allowed = frozenset(algorithms)
        self._typ = None if typ is None else normalize_typ(typ)
        self._max_length = max_token_length
        self._clock = clock
        self._cache = TokenCache(cache_size, rejected_cache_size) if cache and cache_size > 0 else None
        self._try_keys = try_keys
        self._enforce_length = bool(merged["enforce_minimum_key_length"])
        # Single-key mode: the verifier per allowed alg, or the key's error for it.
        self._verifiers: Dict[str, Verifier] = {}
        self._key_errors: Dict[str, Tuple[type, Tuple[Any, ...]]] = {}
        self._bound: Optional[str] = None  # a PyJWK's algorithm
        self._source: Optional[KeySource] = None
        if keys is not None:
            self._source = _StaticKeys(keys) if isinstance(keys, KeySet) else keys
            if not isinstance(self._source, KeySource):
                raise TypeError("keys must be a KeySet or a KeySource")
            if isinstance(keys, KeySet):
                self._warn_short_keys(keys)
        else:
            self._prepare(key, algorithms, self._enforce_length)
        # The pipeline remembers the headers of verified tokens (Pipeline.memo);
        # the hooks below (_judge_header, ...) hold the policy it applies.
        self._pipeline = Pipeline(self._max_length, self._rules, clock, self._judge_header, self._verify_with_keys,
                                  cache=self._cache, key_state=None if self._source is None else self._key_set,
                                  single=_SINGLE_KEY, stale=self._claims_from)
        if type(self).decode is Validator.decode:  # not overridden by a subclass
            # The compiled call itself, without a Python frame in between: a
            # tenth of a cache hit. Validator.decode documents it.
            self.decode = self._pipeline.decode  # type: ignore[method-assign]

    def _prepare(self, key: Any, algorithms: Sequence[str], enforce_length: bool) -> None:
        """Single-key mode: a verifier per allowed algorithm, or the error to raise
        (PyJWT's, at decode time) for the algorithms the key cannot serve; the key
        meets its algorithms here, so a short key is warned about (or refused) here."""
        from ._bound_key import BoundKey as PyJWK  # PyJWK, registered by the PyJWT layer

        if isinstance(key, PyJWK):  # bound to its algorithm, as in PyJWT
            self._bound, key = key.algorithm_name, key.key
        candidates = [
            alg for alg in algorithms if alg in _KNOWN_ALGORITHMS and (self._bound is None or alg == self._bound)
        ]
        if not candidates:
            for alg in algorithms:
                self._check_allowed(alg)  # raises what a token with this alg would get
            raise InvalidAlgorithmError("Algorithm not supported")
        prepared = Key(key, algorithms=candidates)  # raises if it serves none of them
        for alg in candidates:
            verifier = prepared.verifier(alg)
            if verifier is None:
                self._key_errors[alg] = prepared.failure(alg)  # type: ignore[assignment]
            else:
                self._verifiers[alg] = verifier
        for message in short_key_warnings(prepared, candidates) if prepared.weak else ():
            warn_short_key(message, enforce=enforce_length, stacklevel=3)

    def _warn_short_keys(self, key_set: KeySet) -> None:
        """A fixed key set's unbound keys meet their algorithms here (a bound key
        warned when it was made): one warning per short-key text."""
        if self._enforce_length:
            return  # such keys are refused per token instead (_verify_with_keys)
        texts = [text for key in key_set if key.alg is None for text in short_key_warnings(key, self._allowed)]
        for text in dict.fromkeys(texts):
            warn_short_key(text, enforce=False, stacklevel=3)

    # ------------------------------------------------------------------ decoding

    def decode(self, token: Union[str, bytes]) -> Dict[str, Any]:
        """Verify ``token`` and check its claims; return the claims (a new dict)."""
        return self._pipeline.decode(token)

    def decode_complete(self, token: Union[str, bytes]) -> Dict[str, Any]:
        """Like :meth:`decode`, returning ``{"header", "payload", "signature"}``
        (the header, too, a copy of the caller's own)."""
        header, claims, signature = self._pipeline.decode_complete(token)
        return {"header": header, "payload": claims, "signature": signature}

    def try_decode_cached(self, token: Union[str, bytes]) -> Optional[Dict[str, Any]]:
        """Answer from the cache alone, without verifying a signature.

        Returns the claims of a cached valid token, raises as :meth:`decode`
        would for a cached token that is now invalid or a token remembered
        as refused for good (forged, expired), and returns None when the token
        is not cached: the caller then runs :meth:`decode`, e.g. on a worker
        thread. It never verifies a signature; with a remote key source it
        reads the source's current key set, which blocks only for the very
        first load of a JWKS.
        """
        return self._pipeline.cached(token)

    def _cached_shared(self, token: Union[str, bytes]) -> Optional[Dict[str, Any]]:
        """:meth:`try_decode_cached` without the copy, for integrations (the gRPC interceptors).

        The same checks and outcomes (time window on every hit, remembered
        refusals raised, None when not cached), but a hit returns the cached
        claims themselves, shared by every caller of the token: the returned
        mapping must never be mutated nor handed to application code (copy it
        with ``fastjwt._cache.copy_json`` first).
        """
        return self._pipeline.cached_shared(token)

    def _claims_from(self, token: Union[str, bytes], entry: Entry) -> Optional[Dict[str, Any]]:
        """A hit outside its time window, or whose key may be gone: the exact
        checks (the compiled pipeline's ``stale`` hook). None: verify afresh."""
        template, key = entry.claims, entry.key
        if key is not None and key not in self._key_set():
            self._cache.forget(token)  # type: ignore[union-attr]  # verified with a key that is gone
            return None
        claims = copy_json(template)
        now = self._clock()
        try:
            self._rules.check_times(claims, now)
        except ExpiredSignatureError as err:
            self._cache.reject(token, self._key_state(), err, now)  # type: ignore[union-attr]  # for good
            raise
        return claims

    def _judge_header(self, header: Dict[str, Any]) -> HeaderVerdict:
        """The header rules, in PyJWT's order (the pipeline's ``judge`` hook, for
        a header not in its memo): raises PyJWT's error, or returns the verdict
        (with ``header`` None: the pipeline remembers it once a token verified)."""
        check_header(header)
        if header.get("b64", True) is False:
            raise DecodeError(UNENCODED_PAYLOAD_MESSAGE)
        if "alg" not in header:
            raise InvalidAlgorithmError("Algorithm not specified")
        alg = header["alg"]
        verify: Optional[Verifier] = None
        if self._source is None:
            try:
                verify = self._verifiers[alg]
            except (KeyError, TypeError):
                self._raise_for_alg(alg)
        else:
            self._check_allowed(alg)
        # A typ that is not a str (a list nested 1000 deep, say) is a mismatch: never str() it.
        typ = header.get("typ", "")
        typ_ok = self._typ is None or (isinstance(typ, str) and normalize_typ(typ) == self._typ)
        return HeaderVerdict(None, alg, verify, typ_ok)

    def _verify_with_keys(
        self, token: Union[str, bytes], header: Dict[str, Any], alg: str, signing_input: bytes, signature: bytes
    ) -> Key:
        """Verify against the key set; return the key that verified.

        A forgery is remembered with the very set it failed against, so a
        rotation that brings in its key forgets the verdict.
        """
        assert self._source is not None
        kid = header.get("kid")
        key_set = self._source.key_set()
        if kid is not None and not key_set.has_kid(kid):
            key_set = self._source.key_set_for(kid)  # a throttled refresh, for a rotated-in key
        for key, verify in key_set.select(kid, alg, self._try_keys):
            if self._enforce_length and alg in key.weak:
                raise KeyNotFoundError(key.weak[alg])
            if verify(signing_input, signature):
                return key
        error = InvalidSignatureError("Signature verification failed")
        if self._cache is not None:
            self._cache.reject(token, key_set, error)
        raise error

    def _check_allowed(self, alg: Any) -> None:
        check_algorithm(alg, self._allowed, _KNOWN_ALGORITHMS.__contains__, bound=self._bound)

    def _raise_for_alg(self, alg: Any) -> NoReturn:
        self._check_allowed(alg)
        # A fresh exception each time: re-raising one instance grows its traceback.
        error_type, args = self._key_errors.get(alg, (InvalidAlgorithmError, ("Algorithm not supported",)))
        raise error_type(*args)

    # ------------------------------------------------------------------ keys

    def _key_set(self) -> KeySet:
        assert self._source is not None
        return self._source.key_set()

    def _key_state(self) -> Any:
        """What a remembered rejection is tied to: the key set it was reached with."""
        return _SINGLE_KEY if self._source is None else self._source.key_set()

    def update_keys(self, keys: KeySet) -> None:
        """Replace a fixed key set atomically; forget tokens verified with removed keys."""
        if not isinstance(self._source, _StaticKeys):
            raise TypeError("update_keys needs a Validator built with keys=KeySet(...)")
        if not isinstance(keys, KeySet):
            raise TypeError("keys must be a KeySet")
        self._warn_short_keys(keys)
        self._source.current = keys
        if self._cache is not None:
            self._cache.purge(lambda entry: entry.key is None or entry.key in keys)

    @property
    def key_set(self) -> Optional[KeySet]:
        """The current key set (None for a single-key validator)."""
        return None if self._source is None else self._source.key_set()

    # ------------------------------------------------------------------ cache

    def cache_info(self) -> Optional[CacheInfo]:
        """Hits, misses, evictions and sizes of the verified-token cache (None if off)."""
        return None if self._cache is None else self._cache.info()

    def cache_clear(self) -> None:
        """Forget every cached token."""
        if self._cache is not None:
            self._cache.clear()
