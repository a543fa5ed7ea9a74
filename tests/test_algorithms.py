"""The algorithm table: key preparation, signing, verification."""

from __future__ import annotations

import datetime
from typing import Any, Dict

import pytest
from _support import ALGORITHM_KEYS, HMAC_SECRET, signing_key, verifying_key
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from cryptography.x509.oid import NameOID

from fastjwt.algorithms import Algorithm, HMACAlgorithm, get_default_algorithms
from fastjwt.exceptions import InvalidKeyError

ALGORITHMS = get_default_algorithms()
MESSAGE = b"header.payload"


@pytest.mark.parametrize("alg", sorted(ALGORITHM_KEYS))
def test_sign_then_verify(keys: Dict[str, Any], alg: str) -> None:
    algorithm = ALGORITHMS[alg]
    family = ALGORITHM_KEYS[alg]
    private = algorithm.prepare_key(signing_key(keys, family))
    public = algorithm.prepare_key(verifying_key(keys, family))
    signature = algorithm.sign(MESSAGE, private)
    assert algorithm.verify(MESSAGE, public, signature) is True
    assert algorithm.verify(MESSAGE, private, signature) is True  # a private key verifies too
    assert algorithm.verify(MESSAGE + b"!", public, signature) is False
    assert algorithm.verifier(public)(MESSAGE, signature) is True
    assert algorithm.verifier(public)(MESSAGE, signature[:-1] + bytes([signature[-1] ^ 1])) is False


@pytest.mark.parametrize(("alg", "size"), [("ES256", 64), ("ES384", 96), ("ES512", 132)])
def test_ecdsa_signatures_are_raw_r_s(keys: Dict[str, Any], alg: str, size: int) -> None:
    algorithm = ALGORITHMS[alg]
    private = keys[ALGORITHM_KEYS[alg]]
    signature = algorithm.sign(MESSAGE, private)
    assert len(signature) == size
    assert algorithm.verify(MESSAGE, private.public_key(), signature + b"\x00") is False
    assert algorithm.verify(MESSAGE, private.public_key(), signature[:-1]) is False


def test_pss_uses_digest_sized_salt(keys: Dict[str, Any]) -> None:
    private = keys["rsa"]
    digest_salt = private.sign(MESSAGE, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    max_salt = private.sign(
        MESSAGE, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.MAX_LENGTH), hashes.SHA256()
    )
    assert ALGORITHMS["PS256"].verify(MESSAGE, private.public_key(), digest_salt) is True
    assert ALGORITHMS["PS256"].verify(MESSAGE, private.public_key(), max_salt) is False


def test_ec_curve_must_match(keys: Dict[str, Any]) -> None:
    with pytest.raises(
        InvalidKeyError,
        match="^The key's curve 'secp384r1' does not match the expected curve 'secp256r1' for this algorithm$",
    ):
        ALGORITHMS["ES256"].prepare_key(keys["p384"].public_key())


@pytest.mark.parametrize(
    ("alg", "family"), [("RS256", "p256"), ("ES256", "rsa"), ("EdDSA", "rsa"), ("PS256", "ed25519")]
)
def test_wrong_key_object_is_type_and_key_error(keys: Dict[str, Any], alg: str, family: str) -> None:
    with pytest.raises(InvalidKeyError, match="^Expecting a PEM-formatted key.$") as info:
        ALGORITHMS[alg].prepare_key(keys[family].public_key())
    assert isinstance(info.value, TypeError)  # PyJWT raises a bare TypeError here


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_unparsable_key_text_is_value_and_key_error(alg: str) -> None:
    with pytest.raises(InvalidKeyError, match="^Could not parse the provided public key.$") as info:
        ALGORITHMS[alg].prepare_key(b"-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(("alg", "other"), [("RS256", "p256"), ("ES256", "rsa"), ("EdDSA", "p256")])
def test_pem_of_another_family_is_refused(keys: Dict[str, Any], alg: str, other: str) -> None:
    pem = keys[other].public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(InvalidKeyError, match="^Expected one of"):
        ALGORITHMS[alg].prepare_key(pem)


def certificate_for(private_key: Any) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fastjwt-test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    # Ed25519/Ed448 certificates are signed without a separate hash.
    sign_hash = None if isinstance(private_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private_key.public_key())
        .serial_number(7).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(private_key, sign_hash)
    )


@pytest.mark.parametrize(("alg", "family"), [("RS256", "rsa"), ("ES256", "p256"), ("EdDSA", "ed25519")])
def test_key_forms_accepted(keys: Dict[str, Any], alg: str, family: str) -> None:
    algorithm = ALGORITHMS[alg]
    private = keys[family]
    public = private.public_key()
    signature = algorithm.sign(MESSAGE, private)
    certificate = certificate_for(private)
    forms = {
        "object": public,
        "certificate object": certificate,
        "PEM": public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        "PEM str": public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode(),
        "DER": public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),
        "SSH": public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH),
        "certificate PEM": certificate.public_bytes(Encoding.PEM),
        "certificate DER": certificate.public_bytes(Encoding.DER),
        "private PEM": private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()),
        "private DER": private.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption()),
    }
    for name, form in forms.items():
        assert algorithm.verify(MESSAGE, algorithm.prepare_key(form), signature) is True, name


def test_key_length_messages() -> None:
    assert HMACAlgorithm(HMACAlgorithm.SHA512).check_key_length(b"x" * 63) == (
        "The HMAC key is 63 bytes long, which is below the minimum recommended length of 64 bytes for SHA512. "
        "See RFC 7518 Section 3.2."
    )
    assert HMACAlgorithm(HMACAlgorithm.SHA256).check_key_length(b"x" * 32) is None
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    assert ALGORITHMS["RS256"].check_key_length(small.public_key()) == (
        "The RSA key is 1024 bits long, which is below the minimum recommended size of 2048 bits. See NIST SP 800-131A."
    )


def test_hmac_key_types() -> None:
    algorithm = ALGORITHMS["HS256"]
    assert algorithm.prepare_key("secret") == b"secret"
    with pytest.raises(InvalidKeyError, match="^HMAC key must not be empty.$"):
        algorithm.prepare_key(b"")
    with pytest.raises(InvalidKeyError, match="^Expected a string or bytes value$") as info:
        algorithm.prepare_key(12345)
    assert isinstance(info.value, TypeError)
    assert algorithm.verify(MESSAGE, HMAC_SECRET, algorithm.sign(MESSAGE, HMAC_SECRET)) is True


def test_compute_hash_digest() -> None:
    import hashlib

    assert ALGORITHMS["HS384"].compute_hash_digest(b"abc") == hashlib.sha384(b"abc").digest()
    assert ALGORITHMS["RS512"].compute_hash_digest(b"abc") == hashlib.sha512(b"abc").digest()


def test_table_and_abc() -> None:
    assert set(ALGORITHMS) == {
        "none", "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
        "ES256", "ES256K", "ES384", "ES512", "ES521", "EdDSA",
    }
    assert get_default_algorithms() is not get_default_algorithms()
    with pytest.raises(TypeError):
        Algorithm()  # type: ignore[abstract]
