"""Shared fixtures: keys are generated at test time, once per session."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa


@pytest.fixture(scope="session")
def keys() -> Dict[str, Any]:
    """Private keys by family (RSA 2048, P-256/384/521, secp256k1, Ed25519, Ed448)."""
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "p521": ec.generate_private_key(ec.SECP521R1()),
        "k256": ec.generate_private_key(ec.SECP256K1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
        "ed448": ed448.Ed448PrivateKey.generate(),
    }
