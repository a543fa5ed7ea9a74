"""PyJWS: the signature layer of the PyJWT-compatible API.

``decode_complete`` checks, in PyJWT's order: the algorithms argument, the
segments (via the compiled core), the header rules, and the signature. The
payload comes back as bytes; :mod:`fastjwt.api_jwt` parses it and checks claims.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Dict, Hashable, List, Optional, Tuple, Type

from . import _core, decode_cache
from .algorithms import Algorithm, Verifier, get_default_algorithms, has_crypto, requires_cryptography  # noqa: F401
from .api_jwk import PyJWK
from .exceptions import (
    DecodeError,
    InvalidAlgorithmError,
    InvalidKeyError,  # noqa: F401  (PyJWT's namespace)
    InvalidSignatureError,
    InvalidTokenError,
)
from .keys import check_algorithm, prepare_key, warn_short_key
from .rules import DEFAULT_MAX_TOKEN_LENGTH, UNENCODED_PAYLOAD_MESSAGE, check_header
from .utils import base64url_decode, base64url_encode  # noqa: F401  (PyJWT's namespace)
from .warnings import InsecureKeyLengthWarning, RemovedInPyjwt3Warning  # noqa: F401  (PyJWT's namespace)

__all__ = [
    "PyJWS",
    "DEFAULT_MAX_TOKEN_LENGTH",
    "prepared_verifier",
    "json_bytes",
    "encode",
    "decode",
    "decode_complete",
    "get_unverified_header",
    "register_algorithm",
    "unregister_algorithm",
    "get_algorithm_by_name",
]

_ALGORITHM_UNSET: Any = object()


class _PreparedKeys:
    """A bounded LRU of verifiers, so repeated module-level calls with the
    same key skip key loading and context set-up.

    Only immutable keys are remembered: ``str``/``bytes`` by value, and key
    objects (immutable in ``cryptography``) by identity. The algorithm object
    is part of the entry key, so re-registering an ``alg`` never reuses it.
    """

    def __init__(self, maxsize: int = 128) -> None:
        self._maxsize = maxsize
        self._entries: OrderedDict[Hashable, Tuple[Verifier, Optional[str], Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, alg_obj: Algorithm, key: Any) -> Tuple[Verifier, Optional[str]]:
        """``(verifier, key-length warning or None)`` for ``key`` under ``alg_obj``."""
        if type(alg_obj) not in _BUILTIN_ALGORITHM_TYPES:
            # A registered algorithm's prepare_key may depend on anything.
            _, verifier, warning = prepare_key(alg_obj, key)
            return verifier, warning  # type: ignore[return-value]
        # Entries hold the key object itself, so its id stays unique while cached.
        by_value = isinstance(key, (str, bytes))
        entry_key: Hashable = (alg_obj, type(key), key) if by_value else (alg_obj, id(key))
        with self._lock:
            found = self._entries.get(entry_key)
            if found is not None:
                self._entries.move_to_end(entry_key)
                return found[0], found[1]
        _, verifier, warning = prepare_key(alg_obj, key)
        assert verifier is not None
        with self._lock:
            self._entries[entry_key] = (verifier, warning, key)
            if len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)
        return verifier, warning


_BUILTIN_ALGORITHM_TYPES = frozenset(type(alg) for alg in get_default_algorithms().values())
_prepared = _PreparedKeys()


def prepared_verifier(alg_obj: Algorithm, key: Any) -> Tuple[Verifier, Optional[str]]:
    """A cached ``(verifier, key-length warning)`` for a key under an algorithm."""
    return _prepared.get(alg_obj, key)


def json_bytes(obj: Any, json_encoder: Optional[Type[json.JSONEncoder]], what: str, sort_keys: bool = False) -> bytes:
    """Compact JSON of a header or payload, as PyJWT writes it, refusing non-finite numbers.

    PyJWT writes ``NaN``/``Infinity``, which are not JSON (RFC 8259) and which
    fastjwt's own decoder refuses: a token fastjwt signs must be one it reads.
    """
    try:
        text = json.dumps(obj, separators=(",", ":"), cls=json_encoder, sort_keys=sort_keys, allow_nan=False)
    except ValueError as err:
        if not str(err).startswith("Out of range float values"):
            raise
        raise ValueError(
            f"The {what} contains a non-finite number (NaN, Infinity or -Infinity), "
            "which JSON (RFC 8259) cannot represent"
        ) from None
    return text.encode("utf-8")


def _warn_extra_kwargs(function: str, kwargs: Dict[str, Any]) -> None:
    warnings.warn(
        f"passing additional kwargs to {function}() is deprecated and will be removed in "
        f"pyjwt version 3. Unsupported kwargs: {tuple(kwargs.keys())}",
        RemovedInPyjwt3Warning,
        stacklevel=3,
    )


def _is_pyjwk(key: Any) -> bool:
    return isinstance(key, PyJWK)


class PyJWS(metaclass=decode_cache.GuardedClass):
    """JWS encoding and decoding with an algorithm registry, as PyJWT's ``PyJWS``."""

    header_typ = "JWT"

    def __init__(self, algorithms: Optional[Sequence[str]] = None, options: Optional[Dict[str, Any]] = None) -> None:
        self._algorithms: Dict[str, Algorithm] = get_default_algorithms()
        self._builtin_algorithms = dict(self._algorithms)
        self._valid_algs = set(algorithms) if algorithms is not None else set(self._algorithms)
        for name in list(self._algorithms):
            if name not in self._valid_algs:
                del self._algorithms[name]
        self.options: Dict[str, Any] = self._get_default_options()
        if options is not None:
            self.options = {**self.options, **options}
        self.max_token_length = DEFAULT_MAX_TOKEN_LENGTH

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in PyJWS.__dict__ and "_max_token_length" in self.__dict__:
            self._memo_changed()  # a method replaced on this instance

    def __delattr__(self, name: str) -> None:
        super().__delattr__(name)
        if name in PyJWS.__dict__:
            self._memo_changed()

    @property
    def max_token_length(self) -> int:
        """Tokens longer than this (bytes) are refused before any other work."""
        return self._max_token_length

    @max_token_length.setter
    def max_token_length(self, value: int) -> None:
        self._max_token_length = value
        self._memo_changed()

    def _memo_changed(self) -> None:
        """What the decode cache keys this registry's state on; UNCACHEABLE when the
        registry differs from the built-in table or a subclass may decide otherwise."""
        # Every built-in algorithm present and untouched (a register/unregister round
        # trip restores that), and no method replaced on this instance (as
        # mock.patch.object does): the decode cache's validators, built from the
        # built-in table, then decide as this registry does.
        plain = (
            type(self) is PyJWS
            and self._algorithms == self._builtin_algorithms
            and not any(name in PyJWS.__dict__ for name in self.__dict__)
        )
        self._memo_state: Any = self._max_token_length if plain else decode_cache.UNCACHEABLE
        decode_cache.changed()

    @staticmethod
    def _get_default_options() -> Dict[str, Any]:
        return {"verify_signature": True, "enforce_minimum_key_length": False}

    def register_algorithm(self, alg_id: str, alg_obj: Algorithm) -> None:
        """Add an algorithm to this registry."""
        if alg_id in self._algorithms:
            raise ValueError("Algorithm already has a handler.")
        if not isinstance(alg_obj, Algorithm):
            raise TypeError("Object is not of type `Algorithm`")
        self._algorithms[alg_id] = alg_obj
        self._valid_algs.add(alg_id)
        self._memo_changed()

    def unregister_algorithm(self, alg_id: str) -> None:
        """Remove an algorithm from this registry."""
        if alg_id not in self._algorithms:
            raise KeyError("The specified algorithm could not be removed because it is not registered.")
        del self._algorithms[alg_id]
        self._valid_algs.remove(alg_id)
        self._memo_changed()

    def get_algorithms(self) -> List[str]:
        """The names this registry accepts."""
        return list(self._valid_algs)

    def get_algorithm_by_name(self, alg_name: str) -> Algorithm:
        """The implementation of ``alg_name``; NotImplementedError if unknown."""
        try:
            return self._algorithms[alg_name]
        except (KeyError, TypeError):
            raise NotImplementedError("Algorithm not supported") from None

    def _registered(self, alg_name: Any) -> Optional[Algorithm]:
        """The algorithm registered as ``alg_name``, or None (through
        :meth:`get_algorithm_by_name`, which a subclass may override)."""
        try:
            return self.get_algorithm_by_name(alg_name)
        except NotImplementedError:
            return None

    def encode(
        self,
        payload: bytes,
        key: Any,
        algorithm: Optional[str] = _ALGORITHM_UNSET,
        headers: Optional[Dict[str, Any]] = None,
        json_encoder: Optional[Type[json.JSONEncoder]] = None,
        is_payload_detached: bool = False,
        sort_headers: bool = True,
    ) -> str:
        """Sign ``payload`` (bytes) and return the compact JWS as a str."""
        is_jwk = _is_pyjwk(key)
        if algorithm is _ALGORITHM_UNSET:
            alg_name = key.algorithm_name if is_jwk else "HS256"
        elif algorithm is None:
            alg_name = key.algorithm_name if is_jwk else "none"
        else:
            alg_name = algorithm
        if headers:
            if headers.get("alg"):
                alg_name = headers["alg"]
            if headers.get("b64") is False:
                is_payload_detached = True

        header: Dict[str, Any] = {"typ": self.header_typ, "alg": alg_name}
        if headers:
            if "kid" in headers and not isinstance(headers["kid"], str):
                raise InvalidTokenError("Key ID header parameter must be a string")
            header.update(headers)
        if not header["typ"]:
            del header["typ"]
        if is_payload_detached:
            header["b64"] = False
            crit = header.get("crit", [])
            if not isinstance(crit, list):
                raise InvalidTokenError("Invalid 'crit' header: must be a list")
            if "b64" not in crit:
                header["crit"] = [*crit, "b64"]
        elif "b64" in header:
            del header["b64"]  # true is the default

        json_header = json_bytes(header, json_encoder, "header", sort_keys=sort_headers)
        header_segment = _core.b64encode(json_header)
        payload_segment = payload if is_payload_detached else _core.b64encode(payload)
        signing_input = header_segment + b"." + payload_segment

        alg_obj = self.get_algorithm_by_name(alg_name)
        prepared, _, weak = prepare_key(alg_obj, key.key if is_jwk else key, verify=False)
        if weak:
            warn_short_key(weak, enforce=self.options.get("enforce_minimum_key_length", False), stacklevel=3)
        signature = alg_obj.sign(signing_input, prepared)
        if is_payload_detached:
            payload_segment = b""
        return b".".join((header_segment, payload_segment, _core.b64encode(signature))).decode("ascii")

    def decode_complete(
        self,
        jwt: Any,
        key: Any = "",
        algorithms: Optional[Sequence[str]] = None,
        options: Optional[Dict[str, Any]] = None,
        detached_payload: Optional[bytes] = None,
        **kwargs: Any,
    ) -> Dict[str, Any]:
        """Verify a compact JWS; return ``{"payload": bytes, "header": dict, "signature": bytes}``."""
        if kwargs:
            _warn_extra_kwargs("decode_complete", kwargs)
        merged = self.options if options is None else {**self.options, **options}
        verify_signature = merged["verify_signature"]
        if verify_signature and not algorithms and not _is_pyjwk(key):
            raise DecodeError(
                'It is required that you pass in a value for the "algorithms" argument when calling decode().'
            )
        header, payload, signing_input, signature = _core.split(jwt, self.max_token_length)
        check_header(header)
        b64 = header.get("b64", True) is not False
        if detached_payload is not None and b64:
            raise DecodeError(
                'It is only valid to pass "detached_payload" when the protected header has "b64" set to false.'
            )
        if not b64:
            # RFC 7797 unencoded payloads are refused outright (RFC 8725 3.x:
            # fewer formats, fewer parser differentials).
            raise DecodeError(UNENCODED_PAYLOAD_MESSAGE)
        if verify_signature:
            self._verify_signature(signing_input, header, signature, key, algorithms, merged)
        return {"payload": payload, "header": header, "signature": signature}

    def decode(
        self,
        jwt: Any,
        key: Any = "",
        algorithms: Optional[Sequence[str]] = None,
        options: Optional[Dict[str, Any]] = None,
        detached_payload: Optional[bytes] = None,
        **kwargs: Any,
    ) -> Any:
        """Verify a compact JWS and return its payload bytes."""
        if kwargs:
            _warn_extra_kwargs("decode", kwargs)
        return self.decode_complete(jwt, key, algorithms, options, detached_payload=detached_payload)["payload"]

    def get_unverified_header(self, jwt: Any) -> Dict[str, Any]:
        """The header, parsed and checked but NOT authenticated: never trust it."""
        header = _core.split(jwt, self.max_token_length)[0]
        check_header(header)
        return header

    def _verify_signature(
        self,
        signing_input: bytes,
        header: Dict[str, Any],
        signature: bytes,
        key: Any = "",
        algorithms: Optional[Sequence[str]] = None,
        options: Optional[Dict[str, Any]] = None,
    ) -> None:
        options = self.options if options is None else options
        is_jwk = _is_pyjwk(key)
        if algorithms is None and is_jwk:
            algorithms = [key.algorithm_name]
        if "alg" not in header:
            raise InvalidAlgorithmError("Algorithm not specified")
        alg = header["alg"]
        if is_jwk:
            check_algorithm(alg, algorithms, bound=key.algorithm_name)
            alg_obj, key = key.Algorithm, key.key
        else:
            # The table's own lookup (no Python frame) unless a subclass changed get_algorithm_by_name.
            plain = type(self).get_algorithm_by_name is PyJWS.get_algorithm_by_name
            alg_obj = check_algorithm(alg, algorithms, self._algorithms.get if plain else self._registered)
        verify, length_warning = prepared_verifier(alg_obj, key)
        if length_warning:
            warn_short_key(length_warning, enforce=options.get("enforce_minimum_key_length", False), stacklevel=5)
        if not verify(signing_input, signature):
            raise InvalidSignatureError("Signature verification failed")

    @staticmethod
    def _decode_base64url_segment(segment: bytes, name: str) -> bytes:
        """PyJWT's private segment decoder (its suite and some users call it): the
        compiled strict base64url, with PyJWT's rules and message ("Invalid {name} padding")."""
        return _core.b64decode(segment, name)

    def _validate_headers(self, headers: Dict[str, Any], *, encoding: bool = False) -> None:
        if encoding:
            if "kid" in headers and not isinstance(headers["kid"], str):
                raise InvalidTokenError("Key ID header parameter must be a string")
            return
        check_header(headers)


decode_cache.guard(PyJWS)
_jws_global_obj = PyJWS()

# PyJWT's module-level names, bound to the global PyJWS: the same object the
# top-level ``fastjwt.decode`` uses, so a registered algorithm is seen by both.
encode = _jws_global_obj.encode
decode_complete = _jws_global_obj.decode_complete
decode = _jws_global_obj.decode
get_unverified_header = _jws_global_obj.get_unverified_header
register_algorithm = _jws_global_obj.register_algorithm
unregister_algorithm = _jws_global_obj.unregister_algorithm
get_algorithm_by_name = _jws_global_obj.get_algorithm_by_name
