"""fastjwt: fast JSON Web Token validation with a PyJWT-compatible API.

``import fastjwt as jwt`` works where ``import jwt`` (PyJWT 2.x) did for
encoding and decoding. For servers, build one :class:`Validator` per key and
policy and call :meth:`Validator.decode` per request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__ as __version__
from .api_jwk import PyJWK, PyJWKSet
from .api_jws import PyJWS, get_algorithm_by_name, get_unverified_header, register_algorithm, unregister_algorithm
from .api_jwt import PyJWT, decode, decode_complete, encode
from .cache import CacheInfo
from .decode_cache import DecodeCacheInfo, configure, decode_cache_clear, decode_cache_info
from .exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidKeyError,
    InvalidSignatureError,
    InvalidTokenError,
    InvalidTokenTypeError,
    MissingRequiredClaimError,
    PyJWKClientConnectionError,
    PyJWKClientError,
    PyJWKError,
    PyJWKSetError,
    PyJWTError,
)
from .keys import Key, KeyNotFoundError, KeySet, KeySource
from .validator import Validator
from .warnings import InsecureKeyLengthWarning

if TYPE_CHECKING:
    # Type checkers see the lazily loaded names' real types; at run time
    # __getattr__ below loads them on first use.
    from .jwks_client import PyJWKClient
    from .key_directory import DirectoryKeySource
    from .remote_keys import AsyncJWKSClient, JWKSClient

# Network and file-watching key sources load on first use: `import fastjwt`
# stays free of urllib, asyncio and threads for programs that never fetch keys.
_LAZY = {
    "PyJWKClient": "jwks_client",
    "JWKSClient": "remote_keys",
    "AsyncJWKSClient": "remote_keys",
    "DirectoryKeySource": "key_directory",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "PyJWS",
    "PyJWT",
    "PyJWK",
    "PyJWKSet",
    "PyJWKClient",
    "JWKSClient",
    "AsyncJWKSClient",
    "DirectoryKeySource",
    "Validator",
    "Key",
    "KeySet",
    "KeySource",
    "KeyNotFoundError",
    "CacheInfo",
    "DecodeCacheInfo",
    "configure",
    "decode_cache_info",
    "decode_cache_clear",
    "decode",
    "decode_complete",
    "encode",
    "get_unverified_header",
    "register_algorithm",
    "unregister_algorithm",
    "get_algorithm_by_name",
    "InsecureKeyLengthWarning",
    "DecodeError",
    "ExpiredSignatureError",
    "ImmatureSignatureError",
    "InvalidAlgorithmError",
    "InvalidAudienceError",
    "InvalidIssuedAtError",
    "InvalidIssuerError",
    "InvalidKeyError",
    "InvalidSignatureError",
    "InvalidTokenError",
    "InvalidTokenTypeError",
    "MissingRequiredClaimError",
    "PyJWKClientConnectionError",
    "PyJWKClientError",
    "PyJWKError",
    "PyJWKSetError",
    "PyJWTError",
]
