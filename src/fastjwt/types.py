"""The ``options`` dictionaries, typed as PyJWT types them."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, TypedDict

JWKDict = Dict[str, Any]
HashlibHash = Callable[..., Any]


class SigOptions(TypedDict, total=False):
    """Options of :class:`fastjwt.PyJWS`."""

    verify_signature: bool
    enforce_minimum_key_length: bool


class Options(TypedDict, total=False):
    """Options of :func:`fastjwt.decode` (every key optional)."""

    verify_signature: bool
    require: List[str]
    strict_aud: bool
    verify_aud: bool
    verify_exp: bool
    verify_iat: bool
    verify_iss: bool
    verify_jti: bool
    verify_nbf: bool
    verify_sub: bool
    enforce_minimum_key_length: bool


class FullOptions(TypedDict):
    """Options after merging with the defaults (every key present)."""

    verify_signature: bool
    require: List[str]
    strict_aud: bool
    verify_aud: bool
    verify_exp: bool
    verify_iat: bool
    verify_iss: bool
    verify_jti: bool
    verify_nbf: bool
    verify_sub: bool
    enforce_minimum_key_length: bool
