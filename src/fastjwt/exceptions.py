"""The error hierarchy: PyJWT's names, inheritance and messages, in one place.

``except jwt.InvalidTokenError`` code keeps working after ``import fastjwt as
jwt``. Note that, as in PyJWT, :class:`InvalidKeyError` is *not* an
``InvalidTokenError``: it reports a problem with the key the application
passed, not with the token.
"""

from __future__ import annotations

__all__ = [
    "PyJWTError",
    "InvalidTokenError",
    "DecodeError",
    "InvalidSignatureError",
    "ExpiredSignatureError",
    "InvalidAudienceError",
    "InvalidIssuerError",
    "InvalidIssuedAtError",
    "ImmatureSignatureError",
    "InvalidKeyError",
    "InvalidAlgorithmError",
    "MissingRequiredClaimError",
    "PyJWKError",
    "MissingCryptographyError",
    "PyJWKSetError",
    "PyJWKClientError",
    "PyJWKClientConnectionError",
    "InvalidSubjectError",
    "InvalidJTIError",
    "InvalidTokenTypeError",
]


class PyJWTError(Exception):
    """Base class of every error fastjwt raises on purpose."""


class InvalidTokenError(PyJWTError):
    """The token was rejected; every token-caused failure is a subclass."""


class DecodeError(InvalidTokenError):
    """The token is malformed: segments, base64url, JSON or claim types."""


class InvalidSignatureError(DecodeError):
    """The signature does not verify with the given key."""


class ExpiredSignatureError(InvalidTokenError):
    """The ``exp`` claim is in the past (beyond the leeway)."""


class InvalidAudienceError(InvalidTokenError):
    """The ``aud`` claim does not match the expected audience."""


class InvalidIssuerError(InvalidTokenError):
    """The ``iss`` claim does not match the expected issuer."""


class InvalidIssuedAtError(InvalidTokenError):
    """The ``iat`` claim is not a number (or the token is older than allowed)."""


class ImmatureSignatureError(InvalidTokenError):
    """The ``nbf`` or ``iat`` claim is in the future (beyond the leeway)."""


class InvalidKeyError(PyJWTError):
    """The key is unusable: wrong type, wrong curve, too short, or an
    asymmetric key offered as an HMAC secret."""


class InvalidAlgorithmError(InvalidTokenError):
    """The token's ``alg`` is missing, not allowed, or not supported."""


class MissingRequiredClaimError(InvalidTokenError):
    """A claim the policy requires is absent (or null)."""

    def __init__(self, claim: str) -> None:
        # PyJWT does not call super().__init__, yet .args == (claim,) because
        # BaseException.__new__ stores the constructor arguments.
        self.claim = claim

    def __str__(self) -> str:
        return f'Token is missing the "{self.claim}" claim'


class PyJWKError(PyJWTError):
    """A JWK could not be used."""


class MissingCryptographyError(PyJWKError):
    """Kept for PyJWT compatibility; fastjwt always has ``cryptography``."""


class PyJWKSetError(PyJWTError):
    """A JWK Set could not be used."""


class PyJWKClientError(PyJWTError):
    """A remote JWK Set could not provide a signing key."""


class PyJWKClientConnectionError(PyJWKClientError):
    """A remote JWK Set could not be fetched."""


class InvalidSubjectError(InvalidTokenError):
    """The ``sub`` claim is not a string or does not match."""


class InvalidJTIError(InvalidTokenError):
    """The ``jti`` claim is not a string."""


class InvalidTokenTypeError(InvalidTokenError):
    """The ``typ`` header is not the one the validator expects (fastjwt only)."""
