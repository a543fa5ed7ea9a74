"""RFC 8725 rules, each with an attack that would succeed without it."""

from __future__ import annotations

import base64
import json
from typing import Any, Dict

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

import fastjwt
from fastjwt import (
    DecodeError,
    InvalidAlgorithmError,
    InvalidKeyError,
    InvalidSignatureError,
    InvalidTokenError,
    Validator,
)

from _support import HMAC_SECRET


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge_hs256(header: Dict[str, Any], claims: Dict[str, Any], secret: bytes) -> str:
    """An HS256 token made by hand, so no library check can stop its creation."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    mac = crypto_hmac.HMAC(secret, hashes.SHA256())
    mac.update(signing_input.encode())
    return f"{signing_input}.{b64(mac.finalize())}"


def self_signed_certificate(private_key: Any) -> x509.Certificate:
    import datetime

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fastjwt-test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(private_key, hashes.SHA256())
    )


# --- alg: none ------------------------------------------------------------------


def unsecured(claims: Dict[str, Any]) -> str:
    return b64(b'{"alg":"none"}') + "." + b64(json.dumps(claims).encode()) + "."


def test_none_is_never_accepted_when_verifying() -> None:
    token = unsecured({"sub": "admin"})
    with pytest.raises(InvalidAlgorithmError, match="^The specified alg value is not allowed$"):
        fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256"])
    # Even when the application allows it by name, it never verifies.
    with pytest.raises(InvalidSignatureError, match="^Signature verification failed$"):
        fastjwt.decode(token, None, algorithms=["none"])
    with pytest.raises(InvalidKeyError, match='^When alg = "none", key value must be None.$'):
        fastjwt.decode(token, HMAC_SECRET, algorithms=["none"])
    with pytest.raises(ValueError, match="none"):
        Validator(HMAC_SECRET, algorithms=["HS256", "none"])
    # Readable only when the caller explicitly opts out of verification.
    assert fastjwt.decode(token, options={"verify_signature": False}) == {"sub": "admin"}


@pytest.mark.parametrize("alg", ["None", "NONE", "nOnE"])
def test_none_case_variants_are_unknown(alg: str) -> None:
    token = f"{b64(json.dumps({'alg': alg}).encode())}.{b64(b'{}')}."
    with pytest.raises(InvalidAlgorithmError, match="^Algorithm not supported$"):
        fastjwt.decode(token, HMAC_SECRET, algorithms=[alg])
    with pytest.raises(InvalidAlgorithmError, match="^The specified alg value is not allowed$"):
        Validator(HMAC_SECRET, algorithms=["HS256"]).decode(token)


# --- the allowlist decides, not the header ----------------------------------------


def test_algorithms_are_required_before_parsing() -> None:
    for algorithms in (None, [], ""):
        with pytest.raises(DecodeError, match='^It is required that you pass in a value for the "algorithms"'):
            fastjwt.decode("garbage", HMAC_SECRET, algorithms=algorithms)
    with pytest.raises(ValueError):
        Validator(HMAC_SECRET, algorithms=[])


def test_header_alg_only_selects_among_allowed(keys: Dict[str, Any]) -> None:
    token = fastjwt.encode({"sub": "x"}, HMAC_SECRET, algorithm="HS512")
    with pytest.raises(InvalidAlgorithmError, match="^The specified alg value is not allowed$"):
        fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256"])
    with pytest.raises(InvalidAlgorithmError, match="^The specified alg value is not allowed$"):
        Validator(HMAC_SECRET, algorithms=["HS256"]).decode(token)


def test_alg_must_match_key_type(keys: Dict[str, Any]) -> None:
    # An EC key allowed together with RS256: an RS256 token is refused because
    # the key is not an RSA key, not because the signature happens to fail.
    ec_public = keys["p256"].public_key()
    token = fastjwt.encode({"sub": "x"}, keys["rsa"], algorithm="RS256")
    validator = Validator(ec_public, algorithms=["ES256", "RS256"])
    with pytest.raises(InvalidKeyError):
        validator.decode(token)
    with pytest.raises(InvalidKeyError):
        fastjwt.decode(token, ec_public, algorithms=["ES256", "RS256"])


# --- algorithm confusion: public keys are never HMAC secrets ----------------------------


def public_key_texts(keys: Dict[str, Any]) -> Dict[str, bytes]:
    rsa_public = keys["rsa"].public_key()
    certificate = self_signed_certificate(keys["p256"])
    return {
        "rsa-pem": rsa_public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        "rsa-pkcs1-pem": rsa_public.public_bytes(Encoding.PEM, PublicFormat.PKCS1),
        "rsa-der": rsa_public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),
        "rsa-ssh": rsa_public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH),
        "ec-pem": keys["p256"].public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        "ec-ssh": keys["p256"].public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH),
        "ed25519-ssh": keys["ed25519"].public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH),
        "cert-pem": certificate.public_bytes(Encoding.PEM),
        "cert-der": certificate.public_bytes(Encoding.DER),
    }


@pytest.mark.parametrize(
    "name", ["rsa-pem", "rsa-pkcs1-pem", "rsa-der", "rsa-ssh", "ec-pem", "ec-ssh", "ed25519-ssh", "cert-pem", "cert-der"]
)
def test_public_key_can_never_be_an_hmac_secret(keys: Dict[str, Any], name: str) -> None:
    public_text = public_key_texts(keys)[name]
    # The classic attack: the public key is public, so the attacker HMACs with it.
    forged = forge_hs256({"alg": "HS256", "typ": "JWT"}, {"sub": "admin"}, public_text)
    message = "^The specified key is an asymmetric key or x509 certificate and should not be used as an HMAC secret.$"
    for key in (public_text, public_text.decode("latin-1")):
        with pytest.raises(InvalidKeyError, match=message):
            fastjwt.decode(forged, key, algorithms=["HS256", "RS256", "ES256", "EdDSA"])
    # A Validator for the asymmetric algorithms still builds, but never honours HS256 with it.
    validator = Validator(public_text, algorithms=["HS256", "RS256", "ES256", "EdDSA"])
    with pytest.raises(InvalidKeyError, match=message):
        validator.decode(forged)
    with pytest.raises(InvalidKeyError, match=message):
        Validator(public_text, algorithms=["HS256"])


@pytest.mark.parametrize(
    "secret",
    [
        b'{"kty":"oct","k":"c2VjcmV0"}',
        b'[{"kty":"RSA","n":"AQAB","e":"AQAB"}]',
        b'{"keys":[{"kty":"EC"}]}',
        '\ufeff{"kty":"oct"}'.encode("utf-8"),
        '{"kty":"oct"}'.encode("utf-16"),
        '{"kty":"oct"}'.encode("utf-32-le"),
        b'{"a":' * 3000 + b'{"kty":"oct"}' + b"}" * 3000,
    ],
)
def test_jwk_json_can_never_be_an_hmac_secret(secret: bytes) -> None:
    forged = forge_hs256({"alg": "HS256"}, {"sub": "admin"}, secret)
    with pytest.raises(InvalidKeyError, match="^The specified key looks like a JWK"):
        fastjwt.decode(forged, secret, algorithms=["HS256"])
    with pytest.raises(InvalidKeyError, match="^The specified key looks like a JWK"):
        Validator(secret, algorithms=["HS256"])


def test_ordinary_secrets_mentioning_json_or_pem_words_still_work() -> None:
    for secret in (b'{"not":"a jwk"}-padding-padding-padding', b"BEGIN PUBLIC KEY but not PEM, long enough!!"):
        token = fastjwt.encode({"sub": "x"}, secret, algorithm="HS256")
        assert fastjwt.decode(token, secret, algorithms=["HS256"]) == {"sub": "x"}


# --- crit, b64 and key-locating headers ------------------------------------------------


def test_unknown_crit_extension_is_rejected() -> None:
    token = forge_hs256({"alg": "HS256", "crit": ["exp"], "exp": 1}, {"sub": "x"}, HMAC_SECRET)
    with pytest.raises(InvalidTokenError, match="^Unsupported critical extension: exp$"):
        fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256"])
    with pytest.raises(InvalidTokenError, match="^Unsupported critical extension: exp$"):
        Validator(HMAC_SECRET, algorithms=["HS256"]).decode(token)
    with pytest.raises(InvalidTokenError, match="^Unsupported critical extension: exp$"):
        fastjwt.get_unverified_header(token)


def test_b64_false_is_rejected_even_with_detached_payload() -> None:
    header = {"alg": "HS256", "b64": False, "crit": ["b64"]}
    signing_input = f"{b64(json.dumps(header).encode())}.$.02"
    mac = crypto_hmac.HMAC(HMAC_SECRET, hashes.SHA256())
    mac.update(signing_input.encode())
    token = f"{b64(json.dumps(header).encode())}..{b64(mac.finalize())}"
    with pytest.raises(DecodeError, match=r"^Unencoded payloads \(b64: false\) are not supported$"):
        fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256"], detached_payload=b"$.02")
    with pytest.raises(DecodeError, match=r"^Unencoded payloads \(b64: false\) are not supported$"):
        Validator(HMAC_SECRET, algorithms=["HS256"]).decode(token)


@pytest.mark.parametrize("header_name", ["jku", "x5u", "jwk", "x5c"])
def test_key_locating_headers_are_never_used(keys: Dict[str, Any], header_name: str) -> None:
    # The attacker signs with their own key and points at it from the header.
    attacker = keys["p384"]
    attacker_jwk = json.loads(fastjwt.algorithms.ECAlgorithm.to_jwk(attacker.public_key()))
    values = {
        "jku": "http://127.0.0.1:9/jwks.json",
        "x5u": "http://127.0.0.1:9/cert.pem",
        "jwk": attacker_jwk,
        "x5c": [b64(self_signed_certificate(attacker).public_bytes(Encoding.DER))],
    }
    token = fastjwt.encode({"sub": "admin"}, attacker, algorithm="ES384", headers={header_name: values[header_name]})
    trusted = ec.generate_private_key(ec.SECP384R1()).public_key()
    with pytest.raises(InvalidSignatureError, match="^Signature verification failed$"):
        fastjwt.decode(token, trusted, algorithms=["ES384"])
    with pytest.raises(InvalidSignatureError, match="^Signature verification failed$"):
        Validator(trusted, algorithms=["ES384"]).decode(token)
    # The same token verifies with the attacker's key, so only the key choice rejected it.
    assert fastjwt.decode(token, attacker.public_key(), algorithms=["ES384"]) == {"sub": "admin"}


# --- only InvalidTokenError escapes, and no key material in messages -------------------------


GARBAGE = [
    None, 0, 1.5, b"", "", ".", "..", "...", "a.b.c", b"\x00\xff.\x00.\x00", "é.é.é", "\ud800.a.b",
    b"e30.e30.", b"W10.e30.", b"bnVsbA.e30.", "eyJhbGciOiJIUzI1NiJ9." * 400, b"." * 9000,
    ["a", "b"], {"a": 1}, bytearray(b"a.b.c"), object(),
]


@pytest.mark.parametrize("garbage", GARBAGE, ids=lambda g: type(g).__name__)
def test_garbage_raises_only_invalid_token_errors(garbage: Any) -> None:
    validator = Validator(HMAC_SECRET, algorithms=["HS256"])
    for call in (
        lambda: fastjwt.decode(garbage, HMAC_SECRET, algorithms=["HS256"]),
        lambda: validator.decode(garbage),
    ):
        with pytest.raises(InvalidTokenError):
            call()


def test_unverified_decode_of_a_well_formed_unsigned_token_is_allowed() -> None:
    assert fastjwt.decode(b"e30.e30.", options={"verify_signature": False}) == {}
    with pytest.raises(InvalidAlgorithmError, match="^Algorithm not specified$"):
        fastjwt.decode(b"e30.e30.", HMAC_SECRET, algorithms=["HS256"])


def test_error_messages_never_contain_key_material(keys: Dict[str, Any]) -> None:
    secret = b"s3cr3t-value-that-must-not-leak-0123456789"
    token = fastjwt.encode({"sub": "x", "exp": 1}, secret, algorithm="HS256")
    pem = public_key_texts(keys)["rsa-pem"]
    attempts = [
        lambda: fastjwt.decode(token, secret + b"!", algorithms=["HS256"]),
        lambda: fastjwt.decode(token, secret, algorithms=["HS256"]),
        lambda: fastjwt.decode(token, pem, algorithms=["HS256"]),
        lambda: fastjwt.decode(token, b"-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----", algorithms=["RS256"]),
        lambda: fastjwt.PyJWK({"kty": "oct"}),
        lambda: fastjwt.PyJWK({"kty": "RSA", "n": "secret-n", "e": "AQAB", "d": "secret-d"}, algorithm="XX999"),
        lambda: fastjwt.PyJWK({"k": "c2VjcmV0LWstdmFsdWU"}),
    ]
    for attempt in attempts:
        with pytest.raises(fastjwt.PyJWTError) as info:
            attempt()
        text = str(info.value)
        for fragment in ("s3cr3t", "MIIB", "secret-n", "secret-d", "c2VjcmV0"):
            assert fragment not in text
