"""PyJWK and PyJWKSet, as PyJWT users call them.

The JWK parsing itself lives in :mod:`fastjwt.jwk` (one parser per key type);
this module binds a parsed key to its algorithm. Unlike PyJWT, error messages
never echo the JWK (it may hold private members).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any, Dict, List, Optional

from ._bound_key import BoundKey
from ._safe_text import describe as _describe
from ._safe_text import text as _shown
from .algorithms import Algorithm, get_default_algorithms, has_crypto, requires_cryptography  # noqa: F401
from .exceptions import (  # noqa: F401  (MissingCryptographyError: PyJWT's namespace)
    InvalidKeyError,
    MissingCryptographyError,
    PyJWKError,
    PyJWKSetError,
    PyJWTError,
)

__all__ = ["PyJWK", "PyJWKSet", "PyJWTSetWithTimestamp"]

_log = logging.getLogger("fastjwt.jwks")

_EC_DEFAULT_ALGORITHMS = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512", "secp256k1": "ES256K"}
_OKP_DEFAULT_ALGORITHMS = {"Ed25519": "EdDSA", "Ed448": "EdDSA"}


def _default_algorithm(kty: Any, crv: Any) -> str:
    """The algorithm PyJWT picks for a JWK without ``alg``.

    ``kty`` and ``crv`` may be any JSON value: only strings can match (PyJWT
    compares with ``==``, so a list is "Unsupported", never a TypeError).
    """
    if kty == "EC":
        if not crv:
            return "ES256"
        if isinstance(crv, str) and crv in _EC_DEFAULT_ALGORITHMS:
            return _EC_DEFAULT_ALGORITHMS[crv]
        raise InvalidKeyError(f"Unsupported crv: {_shown(crv)}")
    if kty == "RSA":
        return "RS256"
    if kty == "oct":
        return "HS256"
    if kty == "OKP":
        if not crv:
            raise InvalidKeyError("crv is not found")
        if isinstance(crv, str) and crv in _OKP_DEFAULT_ALGORITHMS:
            return _OKP_DEFAULT_ALGORITHMS[crv]
        raise InvalidKeyError(f"Unsupported crv: {_shown(crv)}")
    raise InvalidKeyError(f"Unsupported kty: {_shown(kty)}")


class PyJWK:
    """One JSON Web Key bound to one algorithm.

    Attributes: ``key`` (a ``cryptography`` key, or bytes for ``oct``),
    ``algorithm_name``, ``Algorithm``, ``key_type``, ``key_id``, ``public_key_use``.
    """

    def __init__(self, jwk_data: Dict[str, Any], algorithm: Optional[str] = None) -> None:
        self._jwk_data = jwk_data
        kty = jwk_data.get("kty")
        if not kty:
            raise InvalidKeyError("kty is not found")
        if not algorithm and isinstance(jwk_data, dict):
            algorithm = jwk_data.get("alg")
        if not algorithm:
            algorithm = _default_algorithm(kty, jwk_data.get("crv"))
        self.algorithm_name: str = algorithm
        if algorithm == "none":
            # PyJWT lets NoneAlgorithm.from_jwk's NotImplementedError escape.
            raise PyJWKError('A JWK cannot be used with the "none" algorithm')
        try:
            self.Algorithm: Algorithm = get_default_algorithms()[algorithm]
        except (KeyError, TypeError):
            raise PyJWKError(f"Unable to find an algorithm for key: {_shown(algorithm)!r}") from None
        try:
            self.key: Any = self.Algorithm.from_jwk(jwk_data)
        except KeyError as error:
            # PyJWT lets a KeyError escape here; a missing member is a bad key.
            raise InvalidKeyError(f"Unable to construct key from JWK: missing member {error}") from None
        except (TypeError, ValueError) as error:
            raise InvalidKeyError(f"Unable to construct key from JWK: {error}") from error

    @staticmethod
    def from_dict(obj: Dict[str, Any], algorithm: Optional[str] = None) -> PyJWK:
        """A PyJWK from a JWK dict."""
        return PyJWK(obj, algorithm)

    @staticmethod
    def from_json(data: str, algorithm: Optional[str] = None) -> PyJWK:
        """A PyJWK from JWK JSON text."""
        return PyJWK.from_dict(json.loads(data), algorithm)

    @property
    def key_type(self) -> Optional[str]:
        """The JWK's ``kty``."""
        return self._jwk_data.get("kty")

    @property
    def key_id(self) -> Optional[str]:
        """The JWK's ``kid``."""
        return self._jwk_data.get("kid")

    @property
    def public_key_use(self) -> Optional[str]:
        """The JWK's ``use``."""
        return self._jwk_data.get("use")


def _log_skipped(index: int, member: Dict[str, Any], error: Exception) -> None:
    kid = member.get("kid")
    kid_text = _describe(kid) if isinstance(kid, str) else "none"
    if isinstance(error, PyJWTError):
        # fastjwt's own messages never carry key material.
        _log.info("JWK Set member #%d (kid %s) skipped: %s: %s", index, kid_text, type(error).__name__,
                  _shown(str(error), 200))
    else:
        # Another library's message might quote the member: its class only.
        _log.warning("JWK Set member #%d (kid %s) skipped: malformed (%s)", index, kid_text, type(error).__name__)


class PyJWKSet:
    """A JWK Set: the usable keys of a ``{"keys": [...]}`` document."""

    def __init__(self, keys: List[Dict[str, Any]]) -> None:
        self.keys: List[PyJWK] = []
        if not keys:
            raise PyJWKSetError("The JWK Set did not contain any keys")
        if not isinstance(keys, list):
            raise PyJWKSetError("Invalid JWK Set value")
        for index, key in enumerate(keys):
            if not isinstance(key, dict):
                _log.info("JWK Set member #%d skipped: not a JSON object", index)
                continue
            try:
                self.keys.append(PyJWK(key))
            except Exception as error:  # noqa: BLE001 - one bad member must not break the set
                # Unusable members are skipped, as in PyJWT; unlike PyJWT, a
                # malformed one (any exception) is skipped too. The log names
                # the member, never its key material.
                _log_skipped(index, key, error)
        if not self.keys:
            raise PyJWKSetError(
                "The JWK Set did not contain any usable keys. Perhaps 'cryptography' is not installed?"
            )

    @staticmethod
    def from_dict(obj: Dict[str, Any]) -> PyJWKSet:
        """A PyJWKSet from a JWKS dict."""
        return PyJWKSet(obj.get("keys", []))

    @staticmethod
    def from_json(data: str) -> PyJWKSet:
        """A PyJWKSet from JWKS JSON text."""
        return PyJWKSet.from_dict(json.loads(data))

    def __getitem__(self, kid: str) -> PyJWK:
        for key in self.keys:
            if key.key_id == kid:
                return key
        raise KeyError(f"keyset has no key for kid: {kid}")

    def __iter__(self) -> Iterator[PyJWK]:
        return iter(self.keys)


# The native core (Key, Validator) takes a PyJWK as a key bound to its algorithm.
BoundKey.register(PyJWK)


class PyJWTSetWithTimestamp:
    """A :class:`PyJWKSet` with the ``time.monotonic()`` time it was stored
    (or ``timestamp``, read from another clock).

    PyJWT defines it in ``jwt.api_jwk``; :mod:`fastjwt.jwk_set_cache` uses it.
    """

    def __init__(self, jwk_set: PyJWKSet, timestamp: Optional[float] = None) -> None:
        self.jwk_set = jwk_set
        self.timestamp = time.monotonic() if timestamp is None else timestamp

    def get_jwk_set(self) -> PyJWKSet:
        """The stored set."""
        return self.jwk_set

    def get_timestamp(self) -> float:
        """When the set was stored (``time.monotonic()`` seconds)."""
        return self.timestamp
