"""Keys, claims and signed tokens for the benchmarks.

Tokens are signed here with ``cryptography`` directly, not with any of the
libraries under test, so every library verifies bytes that none of them
produced.  Each :class:`Case` holds one key pair, one valid token and a set of
tokens that a correctly configured validator must reject.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

ALGORITHMS: tuple[str, ...] = ("HS256", "HS512", "RS256", "PS256", "ES256", "ES384", "EdDSA")
AUDIENCE = "api"
ISSUER = "https://issuer.example"
KEY_ID = "bench-key-1"
SCOPE = "openid profile email orders:read orders:write invoices:read"
LIFETIME = 3600

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_CURVES: dict[str, ec.EllipticCurve] = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1()}


def b64url_encode(data: bytes) -> str:
    """Encode ``data`` as unpadded base64url text."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url text."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def json_bytes(obj: Mapping[str, Any]) -> bytes:
    """Serialise ``obj`` as compact JSON, the way issuers usually do."""
    return json.dumps(obj, separators=(",", ":")).encode()


def hash_for(alg: str) -> hashes.HashAlgorithm:
    """The ``cryptography`` hash object for an algorithm name like ``ES384``."""
    return _HASHES[alg[-3:]]() if alg != "EdDSA" else hashes.SHA512()


def pss_padding() -> padding.PSS:
    """RSASSA-PSS padding as JWA requires it: MGF1 with SHA-256, salt = hash length."""
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)


@dataclass(frozen=True)
class KeyMaterial:
    """One key (pair) for one algorithm.

    For HMAC algorithms ``signing_key`` and ``verifying_key`` are both the
    shared secret (bytes); otherwise they are ``cryptography`` key objects.
    """

    alg: str
    signing_key: Any
    verifying_key: Any
    public_pem: bytes | None = None

    @property
    def is_hmac(self) -> bool:
        """True for the HS* algorithms."""
        return self.alg.startswith("HS")

    @property
    def secret(self) -> bytes:
        """The HMAC secret (only for HS* algorithms)."""
        if not self.is_hmac:
            raise ValueError(f"{self.alg} has no shared secret")
        return self.signing_key


def generate_keys(alg: str) -> KeyMaterial:
    """Generate a fresh key (pair) for ``alg`` (RSA keys are 2048 bits)."""
    if alg.startswith("HS"):
        secret = secrets.token_bytes(int(alg[2:]) // 8)
        return KeyMaterial(alg, secret, secret)
    if alg[:2] in ("RS", "PS"):
        private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif alg.startswith("ES"):
        private = ec.generate_private_key(_CURVES[alg])
    elif alg == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        raise ValueError(f"unsupported algorithm {alg}")
    public = private.public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return KeyMaterial(alg, private, public, pem)


def ecdsa_raw_to_der(raw: bytes) -> bytes:
    """Convert a JWS (r || s) ECDSA signature to the DER form ``cryptography`` wants."""
    half = len(raw) // 2
    return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))


def _sign_ecdsa(key: ec.EllipticCurvePrivateKey, alg: str, data: bytes) -> bytes:
    """Sign with ECDSA and return the fixed-width JWS (r || s) form."""
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hash_for(alg))))
    width = (key.curve.key_size + 7) // 8
    return r.to_bytes(width, "big") + s.to_bytes(width, "big")


def sign(alg: str, key: Any, data: bytes) -> bytes:
    """Produce the raw JWS signature of ``data`` with ``key`` under ``alg``."""
    if alg.startswith("HS"):
        return hmac.digest(key, data, getattr(hashlib, f"sha{alg[2:]}"))
    if alg.startswith("RS"):
        return key.sign(data, padding.PKCS1v15(), hash_for(alg))
    if alg.startswith("PS"):
        return key.sign(data, pss_padding(), hash_for(alg))
    if alg.startswith("ES"):
        return _sign_ecdsa(key, alg, data)
    if alg == "EdDSA":
        return key.sign(data)
    if alg == "none":
        return b""
    raise ValueError(f"unsupported algorithm {alg}")


def encode_token(header: Mapping[str, Any], claims: Mapping[str, Any], alg: str, key: Any) -> str:
    """Build a compact JWS from ``header`` and ``claims`` signed under ``alg``."""
    signing_input = f"{b64url_encode(json_bytes(header))}.{b64url_encode(json_bytes(claims))}"
    signature = sign(alg, key, signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


def standard_header(alg: str) -> dict[str, Any]:
    """The JOSE header every benchmark token carries."""
    return {"alg": alg, "typ": "JWT", "kid": KEY_ID}


#: Claim shapes every table reports: ``flat`` (Auth0-like: strings and
#: NumericDates only) and ``nested`` (Keycloak-like: an ``aud`` list,
#: ``realm_access.roles``, ``resource_access``; about 700 bytes of payload).
SHAPES: tuple[str, ...] = ("flat", "nested")

_GIVEN = ("Jane", "Arjun", "Mei", "Olu", "Sofia", "Lars", "Amara", "Diego")
_FAMILY = ("Doe", "Patel", "Chen", "Adeyemi", "Rossi", "Berg", "Okafor", "Garcia")


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _flat_claims(now: int, rng: random.Random) -> dict[str, Any]:
    """An Auth0-style access token: strings and NumericDates only."""
    return {
        "iss": ISSUER,
        "sub": f"auth0|{rng.getrandbits(96):024x}",
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + LIFETIME,
        "jti": f"{rng.getrandbits(128):032x}",
        "scope": SCOPE,
        "azp": "bench-client-7f3a",
    }


def _nested_claims(now: int, rng: random.Random) -> dict[str, Any]:
    """A Keycloak-style access token: an ``aud`` list, realm and client roles, profile claims."""
    given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
    user = f"{given}.{family}{rng.randrange(1000)}".lower()
    return {
        "exp": now + LIFETIME,
        "iat": now,
        "nbf": now,
        "jti": _uuid(rng),
        "iss": ISSUER,
        "aud": [AUDIENCE, "account"],
        "sub": _uuid(rng),
        "typ": "Bearer",
        "azp": "web-frontend",
        "sid": _uuid(rng),
        "allowed-origins": ["https://app.example.com"],
        "realm_access": {"roles": ["offline_access", "uma_authorization", "default-roles-acme"]},
        "resource_access": {
            "api": {"roles": ["orders:read", "orders:write"]},
            "account": {"roles": ["manage-account", "manage-account-links", "view-profile"]},
        },
        "scope": "openid email profile",
        "email_verified": True,
        "name": f"{given} {family}",
        "preferred_username": user,
        "family_name": family,
        "email": f"{user}@example.com",
    }


_SHAPE_BUILDERS: dict[str, Callable[[int, random.Random], dict[str, Any]]] = {
    "flat": _flat_claims,
    "nested": _nested_claims,
}


def make_claims(now: int, rng: random.Random | None = None, shape: str = "flat", **overrides: Any) -> dict[str, Any]:
    """Realistic access-token claims of ``shape`` (see :data:`SHAPES`), valid from ``now`` for one hour."""
    rng = rng or random.Random(now)
    claims = _SHAPE_BUILDERS[shape](now, rng)
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def make_token(keys: KeyMaterial, claims: Mapping[str, Any]) -> str:
    """Sign ``claims`` with ``keys`` under the standard header."""
    return encode_token(standard_header(keys.alg), claims, keys.alg, keys.signing_key)


def tamper_signature(token: str) -> str:
    """Flip one bit in the first signature byte (never just base64 padding bits)."""
    head, payload, sig = token.split(".")
    raw = bytearray(b64url_decode(sig))
    raw[0] ^= 0x01
    return f"{head}.{payload}.{b64url_encode(bytes(raw))}"


def _other_alg_token(keys: KeyMaterial, claims: Mapping[str, Any]) -> str:
    """A token under an algorithm outside the allowlist.

    For HMAC it is the other HS hash with the same secret; for public-key
    algorithms it is the classic confusion attack: HS256 keyed with the
    public key PEM.
    """
    if keys.is_hmac:
        other = "HS512" if keys.alg != "HS512" else "HS256"
        return encode_token(standard_header(other), claims, other, keys.secret)
    assert keys.public_pem is not None
    return encode_token(standard_header("HS256"), claims, "HS256", keys.public_pem)


def _bad_tokens(keys: KeyMaterial, now: int, claims: Mapping[str, Any]) -> dict[str, str]:
    """Tokens that must be rejected, keyed by what is wrong with them."""
    token = make_token(keys, claims)
    variants: dict[str, Callable[[], str]] = {
        "tampered signature": lambda: tamper_signature(token),
        "expired": lambda: make_token(
            keys, {**claims, "iat": now - 2 * LIFETIME, "nbf": now - 2 * LIFETIME, "exp": now - LIFETIME}
        ),
        "not yet valid": lambda: make_token(
            keys, {**claims, "nbf": now + LIFETIME, "exp": now + 2 * LIFETIME}
        ),
        "wrong audience": lambda: make_token(keys, {**claims, "aud": "other-api"}),
        "wrong issuer": lambda: make_token(keys, {**claims, "iss": "https://evil.example"}),
        "missing exp": lambda: make_token(keys, {k: v for k, v in claims.items() if k != "exp"}),
        "disallowed alg": lambda: _other_alg_token(keys, claims),
        "alg none": lambda: encode_token(standard_header("none"), claims, "none", None),
    }
    return {name: build() for name, build in variants.items()}


@dataclass(frozen=True)
class Case:
    """Everything one algorithm's benchmarks need."""

    alg: str
    keys: KeyMaterial
    claims: dict[str, Any]
    token: str
    bad_tokens: dict[str, str] = field(default_factory=dict)
    shape: str = "flat"

    @property
    def label(self) -> str:
        """``alg`` for the flat shape, ``alg nested`` for the nested one (table columns)."""
        return self.alg if self.shape == "flat" else f"{self.alg} {self.shape}"

    @property
    def expired_token(self) -> str:
        """A correctly signed token whose ``exp`` lies an hour in the past."""
        return self.bad_tokens["expired"]

    @property
    def tampered_token(self) -> str:
        """The valid token with one signature bit flipped."""
        return self.bad_tokens["tampered signature"]


def make_case(alg: str, now: int | None = None, seed: int = 1234, shape: str = "flat",
              keys: KeyMaterial | None = None) -> Case:
    """Generate (or reuse) a key pair, a valid token of ``shape`` and the must-reject tokens for ``alg``."""
    now = int(time.time()) if now is None else now
    keys = generate_keys(alg) if keys is None else keys
    claims = make_claims(now, random.Random(seed), shape)
    return Case(alg, keys, claims, make_token(keys, claims), _bad_tokens(keys, now, claims), shape)


#: Seconds over which ``make_distinct_tokens`` spreads the tokens' issue times.
ISSUED_SPREAD = 600


def make_distinct_tokens(keys: KeyMaterial, count: int, seed: int, now: int | None = None,
                         shape: str = "flat") -> list[str]:
    """``count`` valid tokens of ``shape`` with distinct ``sub``/``jti`` values,
    each issued at its own second of the ten minutes before ``now`` (as a
    server meets them: consecutive tokens rarely share ``iat``/``exp``)."""
    now = int(time.time()) if now is None else now
    rng = random.Random(seed)
    return [make_token(keys, make_claims(now - rng.randrange(ISSUED_SPREAD), rng, shape)) for _ in range(count)]
