"""Test helpers shared by several test modules (imported as ``_support``)."""

from __future__ import annotations

from typing import Any, Dict

HMAC_SECRET = b"a-very-long-and-random-test-secret-0123456789abcdef-0123456789ab"

#: Every algorithm, with the key family that signs it.
ALGORITHM_KEYS = {
    "HS256": "hmac",
    "HS384": "hmac",
    "HS512": "hmac",
    "RS256": "rsa",
    "RS384": "rsa",
    "RS512": "rsa",
    "PS256": "rsa",
    "PS384": "rsa",
    "PS512": "rsa",
    "ES256": "p256",
    "ES256K": "k256",
    "ES384": "p384",
    "ES512": "p521",
    "EdDSA": "ed25519",
}


def signing_key(keys: Dict[str, Any], family: str) -> Any:
    """The private key (or HMAC secret) of a family."""
    return HMAC_SECRET if family == "hmac" else keys[family]


def verifying_key(keys: Dict[str, Any], family: str) -> Any:
    """The public key (or HMAC secret) of a family."""
    return HMAC_SECRET if family == "hmac" else keys[family].public_key()
