"""Test helpers shared by the test modules (imported as ``_support``): the one
test secret, the test keys and the algorithm table.

The keys are generated at test time, once per process (:func:`get_keys`);
the ``keys`` fixture (conftest.py) hands out the same ones.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Dict

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

#: The one HMAC test secret: 64 bytes, long enough for HS512, so no key-length warnings.
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

#: The asymmetric key families of the ``keys`` fixture.
FAMILIES = ("rsa", "p256", "p384", "p521", "k256", "ed25519", "ed448")


def _pem_public(key: Any) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _pem_private(key: Any) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass
class Keys:
    """Every key the tests use; generated once per process."""

    hmac: bytes
    rsa: rsa.RSAPrivateKey
    p256: ec.EllipticCurvePrivateKey
    k256: ec.EllipticCurvePrivateKey
    p384: ec.EllipticCurvePrivateKey
    p521: ec.EllipticCurvePrivateKey
    ed25519: ed25519.Ed25519PrivateKey
    ed448: ed448.Ed448PrivateKey
    rsa_small: rsa.RSAPrivateKey
    cache: Dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def private(self, name: str) -> Any:
        return getattr(self, name)

    def public(self, name: str) -> Any:
        return getattr(self, name).public_key()

    def pem_public(self, name: str) -> bytes:
        return _pem_public(getattr(self, name))

    def pem_private(self, name: str) -> bytes:
        return _pem_private(getattr(self, name))

    def ssh_public(self, name: str) -> bytes:
        return self.public(name).public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)

    def der_public(self, name: str) -> bytes:
        return self.public(name).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def certificate(self, name: str) -> Any:
        """A self-signed X.509 certificate (object) for the named key."""
        if ("cert", name) not in self.cache:
            import datetime

            from cryptography import x509
            from cryptography.hazmat.primitives import hashes
            from cryptography.x509.oid import NameOID

            key = getattr(self, name)
            subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fastjwt-test")])
            start = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
            cert = (
                x509.CertificateBuilder()
                .subject_name(subject)
                .issuer_name(subject)
                .public_key(key.public_key())
                .serial_number(1)
                .not_valid_before(start)
                .not_valid_after(start + datetime.timedelta(days=36500))
                .sign(key, None if name.startswith("ed") else hashes.SHA256())
            )
            self.cache[("cert", name)] = cert
        return self.cache[("cert", name)]

    def cert_pem(self, name: str) -> bytes:
        return self.certificate(name).public_bytes(serialization.Encoding.PEM)

    def cert_der(self, name: str) -> bytes:
        return self.certificate(name).public_bytes(serialization.Encoding.DER)


@functools.cache
def get_keys() -> Keys:
    return Keys(
        hmac=HMAC_SECRET,
        rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        p256=ec.generate_private_key(ec.SECP256R1()),
        k256=ec.generate_private_key(ec.SECP256K1()),
        p384=ec.generate_private_key(ec.SECP384R1()),
        p521=ec.generate_private_key(ec.SECP521R1()),
        ed25519=ed25519.Ed25519PrivateKey.generate(),
        ed448=ed448.Ed448PrivateKey.generate(),
        rsa_small=rsa.generate_private_key(public_exponent=65537, key_size=1024),
    )


def signing_key(keys: Any, family: str) -> Any:
    """The private key (or HMAC secret) of a family; ``keys``: the fixture's dict or :class:`Keys`."""
    return HMAC_SECRET if family == "hmac" else keys[family]


def verifying_key(keys: Any, family: str) -> Any:
    """The public key (or HMAC secret) of a family; ``keys``: the fixture's dict or :class:`Keys`."""
    return HMAC_SECRET if family == "hmac" else keys[family].public_key()
