"""Every rule a token must pass after parsing: header rules and claim rules.

:class:`ClaimRules` is the one claim checker. It is compiled once from
PyJWT-style options and arguments (at ``Validator`` construction, or per call
in the module-level API) and then applied to each payload. The order of the
checks is PyJWT's: require, iat, nbf, exp, iss, aud, sub, jti; it decides
which exception a token with several faults raises.

The checks themselves run on every token, so they are compiled: they live
in ``_rules.pyx``. This module holds PyJWT's options and the rules that are
not per token.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from ._rules import SUPPORTED_CRIT, ClaimRules, check_header, numeric_date
from .exceptions import InvalidTokenTypeError

__all__ = [
    "DEFAULT_MAX_TOKEN_LENGTH",
    "DEFAULT_OPTIONS",
    "SUPPORTED_CRIT",
    "UNENCODED_PAYLOAD_MESSAGE",
    "ClaimRules",
    "InvalidTokenTypeError",
    "check_header",
    "merge_options",
    "normalize_typ",
    "numeric_date",
]

#: Tokens longer than this (bytes) are refused before any other work.
DEFAULT_MAX_TOKEN_LENGTH = 8192

#: PyJWT's option defaults (``decode`` and ``PyJWT()``).
DEFAULT_OPTIONS: Dict[str, Any] = {
    "verify_signature": True,
    "verify_exp": True,
    "verify_nbf": True,
    "verify_iat": True,
    "verify_aud": True,
    "verify_iss": True,
    "verify_sub": True,
    "verify_jti": True,
    "require": [],
    "strict_aud": False,
    "enforce_minimum_key_length": False,
}
_VERIFY_CLAIM_OPTIONS = (
    "verify_exp", "verify_nbf", "verify_iat", "verify_aud", "verify_iss", "verify_sub", "verify_jti",
)

#: fastjwt refuses RFC 7797 unencoded payloads (``b64: false``) in every decode.
UNENCODED_PAYLOAD_MESSAGE = "Unencoded payloads (b64: false) are not supported"


def merge_options(base: Mapping[str, Any], options: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """PyJWT's merge: ``verify_signature=False`` turns the claim checks not set explicitly off."""
    if options is None:
        return dict(base)
    merged = dict(options)
    if not merged.get("verify_signature", True):
        for name in _VERIFY_CLAIM_OPTIONS:
            merged.setdefault(name, False)
    return {**base, **merged}


def normalize_typ(typ: str) -> str:
    """RFC 7515 4.1.9: media types compare case-insensitively, ``application/`` optional."""
    typ = typ.lower()
    return typ[12:] if typ.startswith("application/") else typ
