"""Every rule a token must pass after parsing: header rules and claim rules.

:class:`ClaimRules` is the one claim checker. It is compiled once from
PyJWT-style options and arguments (at ``Validator`` construction, or per call
in the module-level API) and then applied to each payload. The order of the
checks is PyJWT's: require, iat, nbf, exp, iss, aud, sub, jti; it decides
which exception a token with several faults raises.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from datetime import timedelta
from typing import Any, Dict, FrozenSet, Mapping, Optional, Tuple, Union

from .exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidJTIError,
    InvalidSubjectError,
    InvalidTokenError,
    MissingRequiredClaimError,
)

__all__ = [
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

#: ``crit`` extensions fastjwt understands. ``b64`` is understood so that it
#: can be refused precisely (fastjwt does not accept unencoded payloads).
SUPPORTED_CRIT = frozenset({"b64"})


_MARGIN = 0.001  # seconds; see ClaimRules.time_window
_ABSENT: Any = object()


#: fastjwt refuses RFC 7797 unencoded payloads (``b64: false``) in every decode.
UNENCODED_PAYLOAD_MESSAGE = "Unencoded payloads (b64: false) are not supported"


class InvalidTokenTypeError(InvalidTokenError):
    """The ``typ`` header is not the one the validator expects (fastjwt only)."""


def merge_options(base: Mapping[str, Any], options: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """PyJWT's merge: ``verify_signature=False`` turns the claim checks not set explicitly off."""
    if options is None:
        return dict(base)
    merged = dict(options)
    if not merged.get("verify_signature", True):
        for name in _VERIFY_CLAIM_OPTIONS:
            merged.setdefault(name, False)
    return {**base, **merged}


def check_header(header: Dict[str, Any]) -> None:
    """Header rules that hold with or without signature verification."""
    if "kid" in header and not isinstance(header["kid"], str):
        raise InvalidTokenError("Key ID header parameter must be a string")
    if "crit" in header:
        crit = header["crit"]
        if not isinstance(crit, list) or not crit:
            raise InvalidTokenError("Invalid 'crit' header: must be a non-empty list")
        for ext in crit:
            if not isinstance(ext, str):
                raise InvalidTokenError("Invalid 'crit' header: values must be strings")
            if ext not in SUPPORTED_CRIT:
                raise InvalidTokenError(f"Unsupported critical extension: {ext}")
            if ext not in header:
                raise InvalidTokenError(f"Critical extension '{ext}' is missing from headers")


def normalize_typ(typ: str) -> str:
    """RFC 7515 4.1.9: media types compare case-insensitively, ``application/`` optional."""
    typ = typ.lower()
    return typ[12:] if typ.startswith("application/") else typ


def numeric_date(payload: Dict[str, Any], name: str, error: type, message: str) -> int:
    """A NumericDate claim as an int, truncated as PyJWT's ``int()`` does.

    Stricter than PyJWT: only JSON numbers count. ``true`` and numeric
    strings such as ``"1638202770"`` are refused (RFC 7519 2).
    """
    value = payload[name]
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is float:
        return int(value)
    raise error(message)


def _leeway_seconds(leeway: Union[float, timedelta]) -> float:
    if isinstance(leeway, timedelta):
        return leeway.total_seconds()
    return leeway


class ClaimRules:
    """The claim checks of one configuration, compiled once.

    ``check(payload, now)`` raises the exception PyJWT would raise for the
    first failing check, or returns None.
    """

    __slots__ = (
        "require", "verify_iat", "verify_nbf", "verify_exp", "verify_iss", "verify_aud",
        "verify_sub", "verify_jti", "strict_aud", "audience", "audiences", "issuer",
        "issuers", "subject", "leeway", "max_age",
    )

    def __init__(
        self,
        options: Mapping[str, Any],
        audience: Union[str, Iterable[str], None] = None,
        issuer: Union[str, Container[str], None] = None,
        subject: Optional[str] = None,
        leeway: Union[float, timedelta] = 0,
        max_age: Union[float, timedelta, None] = None,
    ) -> None:
        if audience is not None and not isinstance(audience, (str, Iterable)):
            raise TypeError("audience must be a string, iterable or None")
        self.require: Tuple[str, ...] = tuple(options["require"])
        self.verify_iat: bool = bool(options["verify_iat"])
        self.verify_nbf: bool = bool(options["verify_nbf"])
        self.verify_exp: bool = bool(options["verify_exp"])
        self.verify_iss: bool = bool(options["verify_iss"]) and issuer is not None
        self.verify_aud: bool = bool(options["verify_aud"])
        self.verify_sub: bool = bool(options["verify_sub"])
        self.verify_jti: bool = bool(options["verify_jti"])
        self.strict_aud: bool = bool(options.get("strict_aud", False))
        self.audience = audience
        # Sets are built once; a str audience is one member, never a substring.
        self.audiences: Optional[FrozenSet[Any]] = None
        if isinstance(audience, str):
            self.audiences = frozenset((audience,))
        elif audience is not None:
            audience = list(audience)
            self.audience = audience
            self.audiences = frozenset(a for a in audience if _hashable(a))
        self.issuer = issuer
        self.issuers: Optional[FrozenSet[str]] = None
        if isinstance(issuer, (list, tuple, set, frozenset)) and all(isinstance(i, str) for i in issuer):
            self.issuers = frozenset(issuer)
        self.subject = subject
        self.leeway: float = _leeway_seconds(leeway)
        self.max_age: Optional[float] = None if max_age is None else _leeway_seconds(max_age)

    def check(self, payload: Dict[str, Any], now: float) -> None:
        """Apply every rule to ``payload`` at time ``now`` (seconds since the epoch)."""
        # Hot path: common cases are inlined; the precise error (and PyJWT's
        # message) comes from the slower helpers when a check does not pass.
        if self.require:
            self.check_required(payload)
        self.check_times(payload, now)
        if self.verify_iss:
            iss = payload.get("iss")
            if not (type(iss) is str and (iss == self.issuer or (self.issuers is not None and iss in self.issuers))):
                self.check_iss(payload)
        if self.verify_aud:
            aud = payload.get("aud")
            if not (type(aud) is str and aud and not self.strict_aud and self.audiences is not None and aud in self.audiences):
                self.check_aud(payload)
        if self.verify_sub and (sub := payload.get("sub", _ABSENT)) is not _ABSENT:
            if type(sub) is not str or (self.subject is not None and sub != self.subject):
                if not isinstance(sub, str):
                    raise InvalidSubjectError("Subject must be a string")
                if sub != self.subject:
                    raise InvalidSubjectError("Invalid subject")
        if self.verify_jti and not isinstance(payload.get("jti", ""), str):
            raise InvalidJTIError("JWT ID must be a string")

    def check_times(self, payload: Dict[str, Any], now: float) -> None:
        """The time-dependent rules (iat, nbf, exp, max_age), in PyJWT's order.

        A verified-token cache re-runs exactly these on every hit.
        """
        leeway = self.leeway
        if self.verify_iat and (iat := payload.get("iat", _ABSENT)) is not _ABSENT:
            if type(iat) is not int:
                iat = numeric_date(payload, "iat", InvalidIssuedAtError, "Issued At claim (iat) must be an integer.")
            if iat > now + leeway:
                raise ImmatureSignatureError("The token is not yet valid (iat)")
        if self.verify_nbf and (nbf := payload.get("nbf", _ABSENT)) is not _ABSENT:
            if type(nbf) is not int:
                nbf = numeric_date(payload, "nbf", DecodeError, "Not Before claim (nbf) must be an integer.")
            if nbf > now + leeway:
                raise ImmatureSignatureError("The token is not yet valid (nbf)")
        if self.verify_exp and (exp := payload.get("exp", _ABSENT)) is not _ABSENT:
            if type(exp) is not int:
                exp = numeric_date(payload, "exp", DecodeError, "Expiration Time claim (exp) must be an integer.")
            if exp <= now - leeway:
                raise ExpiredSignatureError("Signature has expired")
        if self.max_age is not None:
            self._check_age(payload, now)

    def time_window(self, payload: Dict[str, Any]) -> Tuple[float, float]:
        """An open interval of clock values in which :meth:`check_times` passes.

        For a payload that already passed :meth:`check`. A cache answers a
        hit whose clock lies inside the window without re-running the
        checks, and asks :meth:`check_times` (the exact rules and messages)
        otherwise. The window is narrowed by a millisecond on each side, so
        float rounding at a boundary always takes the exact path.
        """
        start, end = float("-inf"), float("inf")
        if self.verify_iat and "iat" in payload:
            start = int(payload["iat"]) - self.leeway
        if self.verify_nbf and "nbf" in payload:
            start = max(start, int(payload["nbf"]) - self.leeway)
        if self.verify_exp and "exp" in payload:
            end = int(payload["exp"]) + self.leeway
        if self.max_age is not None:
            end = min(end, int(payload["iat"]) + self.max_age + self.leeway)
        return start + _MARGIN, end - _MARGIN

    def check_required(self, payload: Dict[str, Any]) -> None:
        """Every required claim must be present and not null."""
        for claim in self.require:
            if payload.get(claim) is None:
                raise MissingRequiredClaimError(claim)

    def _check_age(self, payload: Dict[str, Any], now: float) -> None:
        if payload.get("iat") is None:
            raise MissingRequiredClaimError("iat")
        iat = numeric_date(payload, "iat", InvalidIssuedAtError, "Issued At claim (iat) must be an integer.")
        assert self.max_age is not None
        if iat + self.max_age <= now - self.leeway:
            raise ExpiredSignatureError("The token is too old (iat)")

    def check_iss(self, payload: Dict[str, Any]) -> None:
        """``iss`` must equal the issuer (str) or belong to it (container)."""
        issuer = self.issuer
        if issuer is None:
            return
        if "iss" not in payload:
            raise MissingRequiredClaimError("iss")
        iss = payload["iss"]
        if not isinstance(iss, str):
            raise InvalidIssuerError("Payload Issuer (iss) must be a string")
        if isinstance(issuer, str):
            if iss != issuer:
                raise InvalidIssuerError("Invalid issuer")
            return
        issuers = self.issuers
        try:
            found = iss in issuers if issuers is not None else iss in issuer
        except TypeError:
            raise InvalidIssuerError('Issuer param must be "str" or "Container[str]"') from None
        if not found:
            raise InvalidIssuerError("Invalid issuer")

    def check_aud(self, payload: Dict[str, Any]) -> None:
        """PyJWT's audience rules, strict mode included."""
        audience = self.audience
        claim = payload.get("aud")
        if audience is None:
            if claim:
                raise InvalidAudienceError("Invalid audience")
            return
        if not claim:
            raise MissingRequiredClaimError("aud")
        if self.strict_aud:
            if not isinstance(audience, str):
                raise InvalidAudienceError("Invalid audience (strict)")
            if not isinstance(claim, str):
                raise InvalidAudienceError("Invalid claim format in token (strict)")
            if audience != claim:
                raise InvalidAudienceError("Audience doesn't match (strict)")
            return
        if isinstance(claim, str):
            claim = [claim]
        elif not isinstance(claim, list) or not all(isinstance(c, str) for c in claim):
            raise InvalidAudienceError("Invalid claim format in token")
        audiences = self.audiences
        assert audiences is not None
        if audiences.isdisjoint(claim):
            raise InvalidAudienceError("Audience doesn't match")


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
