"""RFC 8725 rules, each with an attack that would succeed without it."""

from __future__ import annotations

import base64
import json
from typing import Any, Dict, Tuple

import pytest
from _support import HMAC_SECRET
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
from fastjwt._safe_text import describe


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
    "name",
    ["rsa-pem", "rsa-pkcs1-pem", "rsa-der", "rsa-ssh", "ec-pem", "ec-ssh", "ed25519-ssh", "cert-pem", "cert-der"],
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


ASYMMETRIC_MESSAGE = (
    "^The specified key is an asymmetric key or x509 certificate and should not be used as an HMAC secret.$"
)


def relabel(pem: bytes, label: bytes) -> bytes:
    """The same PEM block under another armour label."""
    lines = pem.strip().split(b"\n")
    return b"\n".join([b"-----BEGIN " + label + b"-----", *lines[1:-1], b"-----END " + label + b"-----"]) + b"\n"


def test_x509_certificate_label_forges_nothing(keys: Dict[str, Any], tmp_path: Any, capsys: Any) -> None:
    """Issue 8, finding 1: cryptography reads ``BEGIN X509 CERTIFICATE`` as a certificate (so RS256
    tokens verify with it); the old label list did not know it, so the public certificate was
    an HMAC secret to anyone allowed HS256 next to RS256. Every path that takes a key."""
    from fastjwt.cli import main

    certificate = self_signed_certificate(keys["rsa"])
    pem = relabel(certificate.public_bytes(Encoding.PEM), b"X509 CERTIFICATE")
    assert x509.load_pem_x509_certificate(pem) == certificate  # cryptography accepts the label
    rs256 = fastjwt.encode({"sub": "alice"}, keys["rsa"], algorithm="RS256")
    forged = forge_hs256({"alg": "HS256", "typ": "JWT"}, {"sub": "admin"}, pem)
    allowed = ["HS256", "RS256"]
    # Validator
    validator = Validator(pem, algorithms=allowed)
    assert validator.decode(rs256) == {"sub": "alice"}
    with pytest.raises(InvalidKeyError, match=ASYMMETRIC_MESSAGE):
        validator.decode(forged)
    # fastjwt.decode (and the PyJWT-style classes under it)
    assert fastjwt.decode(rs256, pem, algorithms=allowed) == {"sub": "alice"}
    with pytest.raises(InvalidKeyError, match=ASYMMETRIC_MESSAGE):
        fastjwt.decode(forged, pem, algorithms=allowed)
    # Key(pem) without alg: only the RSA algorithms, so a key set never offers HS256
    key = fastjwt.Key(pem, kid="k1")
    assert key.algorithms == ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
    with pytest.raises(fastjwt.KeyNotFoundError, match="^The key 'k1' cannot verify 'HS256'$"):
        Validator(keys=fastjwt.KeySet([key]), algorithms=allowed).decode(
            forge_hs256({"alg": "HS256", "kid": "k1"}, {"sub": "admin"}, pem))
    # fastjwt verify
    path = tmp_path / "cert.pem"
    path.write_bytes(pem)
    assert main(["verify", forged, "--key", f"@{path}", "--alg", "HS256", "--alg", "RS256"]) == 1
    out = capsys.readouterr().out
    assert out.strip() == ("rejected: InvalidKeyError: The specified key is an asymmetric key or x509 "
                           "certificate and should not be used as an HMAC secret.")
    assert main(["verify", rs256, "--key", f"@{path}", "--alg", "HS256", "--alg", "RS256", "-q"]) == 0


#: Armour labels: RFC 7468's, OpenSSL's and OpenSSH's, the ones cryptography reads in
#: unexpected spellings, and made-up ones. The rule is "any label", so none may pass.
ARMOUR_LABELS = [
    b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE", b"X509 CRL", b"CERTIFICATE REQUEST",
    b"NEW CERTIFICATE REQUEST", b"PUBLIC KEY", b"RSA PUBLIC KEY", b"PRIVATE KEY", b"RSA PRIVATE KEY",
    b"EC PRIVATE KEY", b"DSA PRIVATE KEY", b"ENCRYPTED PRIVATE KEY", b"OPENSSH PRIVATE KEY",
    b"SSH2 PUBLIC KEY", b"SSH2 ENCRYPTED PRIVATE KEY", b"PKCS7", b"CMS", b"ATTRIBUTE CERTIFICATE",
    b"DH PARAMETERS", b"X9.42 DH PARAMETERS", b"EC PARAMETERS", b"PARAMETERS", b"ANY LABEL AT ALL",
    b"x509 certificate", b"", b"\xff\xfe",
]


@pytest.mark.parametrize("label", ARMOUR_LABELS, ids=lambda label: label.decode("latin-1") or "empty")
@pytest.mark.parametrize("body", ["certificate", "marker-only"])
def test_no_armour_label_makes_an_hmac_secret(keys: Dict[str, Any], label: bytes, body: str) -> None:
    if body == "certificate":
        secret = relabel(self_signed_certificate(keys["p256"]).public_bytes(Encoding.PEM), label)
    else:
        secret = b"prefix -----BEGIN " + label + b"----- and then anything, long enough"
    forged = forge_hs256({"alg": "HS256"}, {"sub": "admin"}, secret)
    for key in (secret, secret.decode("latin-1")):
        with pytest.raises(InvalidKeyError, match=ASYMMETRIC_MESSAGE):
            fastjwt.decode(forged, key, algorithms=["HS256"])
        with pytest.raises(InvalidKeyError, match=ASYMMETRIC_MESSAGE):
            Validator(key, algorithms=["HS256"])
        with pytest.raises(InvalidKeyError, match=ASYMMETRIC_MESSAGE):
            fastjwt.Key(key, alg="HS256")
    assert fastjwt.utils.is_pem_format(secret)


def loader_forms(keys: Dict[str, Any]) -> Dict[str, bytes]:
    """Every form of key material some asymmetric loader of cryptography accepts."""
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, NoEncryption, PrivateFormat, ssh

    rsa_key, p256, ed25519 = keys["rsa"], keys["p256"], keys["ed25519"]
    certificate = self_signed_certificate(p256)
    ssh_certificate = (
        ssh.SSHCertificateBuilder().public_key(ed25519.public_key()).serial(1).type(ssh.SSHCertificateType.USER)
        .valid_principals([b"alice"]).valid_after(0).valid_before(2**63).sign(p256)
    )
    forms = {
        "cert-pem": certificate.public_bytes(Encoding.PEM),
        "cert-der": certificate.public_bytes(Encoding.DER),
        "spki-pem": rsa_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        "spki-der": p256.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),
        "pkcs1-pem": rsa_key.public_key().public_bytes(Encoding.PEM, PublicFormat.PKCS1),
        "pkcs1-der": rsa_key.public_key().public_bytes(Encoding.DER, PublicFormat.PKCS1),
        "ssh-public": ed25519.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH),
        "ssh-certificate": ssh_certificate.public_bytes(),
        "ssh-private": ed25519.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption()),
    }
    for name, encoding in (("pem", Encoding.PEM), ("der", Encoding.DER)):
        forms[f"pkcs8-{name}"] = p256.private_bytes(encoding, PrivateFormat.PKCS8, NoEncryption())
        forms[f"pkcs8-encrypted-{name}"] = p256.private_bytes(
            encoding, PrivateFormat.PKCS8, BestAvailableEncryption(b"pw")
        )
        forms[f"traditional-{name}"] = rsa_key.private_bytes(encoding, PrivateFormat.TraditionalOpenSSL, NoEncryption())
    return forms


LOADER_FORMS = [
    "cert-pem", "cert-der", "spki-pem", "spki-der", "pkcs1-pem", "pkcs1-der", "ssh-public", "ssh-certificate",
    "ssh-private", "pkcs8-pem", "pkcs8-der", "pkcs8-encrypted-pem", "pkcs8-encrypted-der",
    "traditional-pem", "traditional-der",
]


# Whitespace around DER is not DER (no loader reads it), and may even be part of it: text forms only.
LOADER_CASES = [(form, wrap) for form in LOADER_FORMS for wrap in ("as-is", "surrounded-by-whitespace", "latin-1-str")
                if not (form.endswith("-der") and wrap == "surrounded-by-whitespace")]


@pytest.mark.parametrize("form, wrap", LOADER_CASES)
def test_nothing_an_asymmetric_loader_accepts_is_an_hmac_secret(keys: Dict[str, Any], form: str, wrap: str) -> None:
    material = loader_forms(keys)[form]
    key: Any = {"as-is": material, "surrounded-by-whitespace": b"\n " + material + b" \n",
                "latin-1-str": material.decode("latin-1")}[wrap]
    forged = forge_hs256({"alg": "HS256"}, {"sub": "admin"}, material)
    with pytest.raises(InvalidKeyError, match=ASYMMETRIC_MESSAGE):
        fastjwt.decode(forged, key, algorithms=["HS256", "HS384", "HS512"])
    with pytest.raises(InvalidKeyError, match=ASYMMETRIC_MESSAGE):
        Validator(key, algorithms=["HS256"])
    with pytest.raises(InvalidKeyError, match=ASYMMETRIC_MESSAGE):
        fastjwt.Key(key, alg="HS512")
    with pytest.raises(InvalidKeyError, match=ASYMMETRIC_MESSAGE):
        fastjwt.encode({"sub": "admin"}, key, algorithm="HS256")


@pytest.mark.parametrize("form", LOADER_FORMS)
def test_the_loader_probe_alone_recognises_every_form(keys: Dict[str, Any], form: str) -> None:
    """Independently of the armour check: the probe's format gates never hide a loadable form."""
    from fastjwt.algorithms import _loads_as_asymmetric_key

    material = loader_forms(keys)[form]
    variants = [material] if form.endswith("-der") else [material, b"\r\n\t " + material + b"\n",
                                                          material.replace(b"\n", b"\r\n")]
    for variant in variants:
        assert _loads_as_asymmetric_key(variant), variant[:40]


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
        lambda: fastjwt.decode(
            token, b"-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----", algorithms=["RS256"]
        ),
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


# --- untrusted header values never reach str()/repr() unchecked (issue 8, findings 3 and 7) ----------


def signed_with_raw_header(header_json: str, claims: Dict[str, Any], secret: bytes = HMAC_SECRET) -> str:
    """An HS256 token whose header is exactly ``header_json`` (json.dumps cannot write 1000-deep values)."""
    signing_input = f"{b64(header_json.encode())}.{b64(json.dumps(claims).encode())}"
    mac = crypto_hmac.HMAC(secret, hashes.SHA256())
    mac.update(signing_input.encode())
    return f"{signing_input}.{b64(mac.finalize())}"


def test_a_deeply_nested_typ_is_a_mismatch_not_a_recursion_error(capsys: Any) -> None:
    """Issue 8, finding 3: ``str()`` of a 1000-deep list raised RecursionError out of decode,
    before any signature check; the CLI's --typ too."""
    from fastjwt.cli import main

    deep = "[" * 1000 + "]" * 1000
    header = '{"alg":"HS256","typ":' + deep + "}"
    validator = Validator(HMAC_SECRET, algorithms=["HS256"], typ="at+jwt")
    forged = signed_with_raw_header(header, {"sub": "admin"}, secret=b"not-the-key-not-the-key-not-the-key!")
    with pytest.raises(InvalidSignatureError, match="^Signature verification failed$"):
        validator.decode(forged)
    signed = signed_with_raw_header(header, {"sub": "alice"})
    with pytest.raises(fastjwt.InvalidTokenTypeError, match=r"^Invalid token type \(typ header\)$"):
        validator.decode(signed)
    key_set = fastjwt.KeySet([fastjwt.Key(HMAC_SECRET, kid="k1", alg="HS256")])
    with pytest.raises(fastjwt.InvalidTokenTypeError, match=r"^Invalid token type \(typ header\)$"):
        Validator(keys=key_set, algorithms=["HS256"], typ="at+jwt").decode(signed)
    secret = HMAC_SECRET.decode()
    assert main(["verify", signed, "--key", secret, "--alg", "HS256", "--typ", "at+jwt"]) == 1
    assert capsys.readouterr().out == "rejected: InvalidTokenTypeError: Invalid token type (typ header)\n"
    assert main(["verify", forged, "--key", secret, "--alg", "HS256", "--typ", "at+jwt"]) == 1
    assert capsys.readouterr().out == "rejected: InvalidSignatureError: Signature verification failed\n"


#: Every JSON type, as JSON text, with the values that break naive messages and comparisons.
HEADER_VALUES = {
    "null": "null", "true": "true", "false": "false", "zero": "0", "negative": "-1", "float": "1.5",
    "huge-float": "1e308", "big-int": str(2**80), "empty-str": '""', "at+jwt": '"application/AT+JWT"',
    "b64": '"b64"', "osc-title": json.dumps("\x1b]0;pwned\x07"), "csi-clear": json.dumps("\x1b[2J\x9b31m"),
    "bidi": json.dumps("\u202egnp.exe"), "nul": json.dumps("a\x00b\n"), "long-str": json.dumps("x" * 3000),
    "empty-list": "[]", "list-of-b64": '["b64"]', "list-with-control": json.dumps(["\x1b]0;x\x07"]),
    "list-long-str": json.dumps(["y" * 3000]), "mixed-list": '[1, "a"]', "deep-list": "[" * 1000 + "]" * 1000,
    "empty-object": "{}", "object": '{"a": [1, {"b": null}]}', "deep-object": '{"a":' * 900 + "1" + "}" * 900,
}
HEADER_FIELDS = ["typ", "crit", "kid", "cty", "alg", "b64", "jku", "x5u", "x5c", "jwk", "zip", "enc"]


def expected_outcome(field: str, value: Any) -> Tuple[type, str]:
    """What a Validator (HS256 allowed, typ "at+jwt" expected) says of a header ``{alg, field: value}``,
    as (exception class or dict, message); the message shows a str value escaped and bounded."""
    from fastjwt._safe_text import printable

    if field == "alg":
        return (dict, "") if value == "HS256" else (InvalidAlgorithmError, "The specified alg value is not allowed")
    if field == "kid" and not isinstance(value, str):
        return InvalidTokenError, "Key ID header parameter must be a string"
    if field == "crit":
        if not isinstance(value, list) or not value:
            return InvalidTokenError, "Invalid 'crit' header: must be a non-empty list"
        first = value[0]
        if not isinstance(first, str):
            return InvalidTokenError, "Invalid 'crit' header: values must be strings"
        if first != "b64":
            return InvalidTokenError, f"Unsupported critical extension: {printable(first)}"
        return InvalidTokenError, "Critical extension 'b64' is missing from headers"
    if field == "b64" and value is False:
        return DecodeError, "Payload segment must be empty when 'b64' is false."
    if field != "typ" or (isinstance(value, str) and value.lower() in ("at+jwt", "application/at+jwt")):
        return dict, ""
    return fastjwt.InvalidTokenTypeError, "Invalid token type (typ header)"


def outcome_of(call: Any) -> Tuple[type, str]:
    try:
        result = call()
    except InvalidTokenError as err:  # KeyNotFoundError is one too
        return type(err), str(err)
    except InvalidKeyError as err:
        return type(err), str(err)
    assert isinstance(result, dict)
    return dict, ""


def header_json(field: str, value_json: str) -> str:
    if field == "alg":
        return '{"alg":' + value_json + ', "typ": "at+jwt"}'
    typ = "" if field == "typ" else ', "typ": "at+jwt"'
    return '{"alg":"HS256"' + typ + ', "' + field + '":' + value_json + "}"


@pytest.mark.parametrize("value_name", sorted(HEADER_VALUES))
@pytest.mark.parametrize("field", HEADER_FIELDS)
def test_every_json_type_in_every_header_field(field: str, value_name: str, capsys: Any) -> None:
    """Validator (single key and key set), fastjwt.decode, get_unverified_header and fastjwt verify:
    each gives a dict or an InvalidTokenError (never RecursionError, TypeError...), and every message
    is printable and short, whatever the token carries."""
    import orjson

    from fastjwt.cli import main

    value_json = HEADER_VALUES[value_name]
    token = signed_with_raw_header(header_json(field, value_json), {"sub": "alice"})
    value = orjson.loads(value_json)  # the stdlib parser cannot read 1000-deep values

    single = outcome_of(lambda: Validator(HMAC_SECRET, algorithms=["HS256"], typ="at+jwt").decode(token))
    assert single == expected_outcome(field, value)

    key_set = fastjwt.KeySet([fastjwt.Key(HMAC_SECRET, kid="k1", alg="HS256")])
    outcomes = [
        single,
        outcome_of(lambda: Validator(keys=key_set, algorithms=["HS256"], typ="at+jwt").decode(token)),
        outcome_of(lambda: fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256"])),
        outcome_of(lambda: fastjwt.get_unverified_header(token)),
    ]
    if field == "kid" and isinstance(value, str):  # an unknown kid in a key set
        assert outcomes[1] == (
            fastjwt.KeyNotFoundError,
            f"Unable to find a signing key that matches: {describe(value)}",
        )
    for kind, message in outcomes:
        assert kind is dict or issubclass(kind, InvalidTokenError), (kind, message)
        assert message.isprintable() and len(message) <= 160, message

    code = main(["verify", token, "--key", HMAC_SECRET.decode(), "--alg", "HS256", "--typ", "at+jwt", "-q"])
    out, err = capsys.readouterr()
    if single[0] is dict:
        assert (code, out, err) == (0, "", "")
    else:
        assert (code, out, err) == (1, f"rejected: {single[0].__name__}: {single[1]}\n", "")


# --- key properties that multiply per-token cost (issue 8, finding 8) ------------------------------------


def rsa_with_exponent(private: Any, e: int, step: int = 2) -> Any:
    """An RSA private key with ``private``'s primes and the first public exponent from ``e`` on
    (by ``step``) that is coprime to lambda(n)."""
    import math

    from cryptography.hazmat.primitives.asymmetric import rsa

    numbers = private.private_numbers()
    p, q = numbers.p, numbers.q
    lam = math.lcm(p - 1, q - 1)
    while math.gcd(e, lam) != 1:
        e += step
    d = pow(e, -1, lam)
    return rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
                                 rsa.RSAPublicNumbers(e, p * q)).private_key(), e


def rsa_key_forms(private: Any, signer: Any) -> Dict[str, Any]:
    """Every form a verification key can take, for one RSA key."""
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    from fastjwt.jwk import key_to_jwk

    public = private.public_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "big-e")])
    import datetime

    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(public).serial_number(1)
                   .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                   .sign(signer, hashes.SHA256()))
    return {
        "public-object": public,
        "private-object": private,
        "spki-pem": public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        "pkcs1-pem": public.public_bytes(Encoding.PEM, PublicFormat.PKCS1),
        "spki-der": public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),
        "ssh": public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH),
        "private-pem": private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()),
        "certificate-object": certificate,
        "certificate-pem": certificate.public_bytes(Encoding.PEM),
        "jwk": fastjwt.PyJWK(key_to_jwk(public, kid="big", alg="RS256")),
    }


def rs256_token(private: Any, claims: Dict[str, Any]) -> str:
    """Signed by cryptography directly: fastjwt refuses to sign with such keys too."""
    from cryptography.hazmat.primitives.asymmetric import padding

    signing_input = f"{b64(json.dumps({'alg': 'RS256'}).encode())}.{b64(json.dumps(claims).encode())}"
    signature = private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64(signature)}"


RSA_FORMS = ["public-object", "private-object", "spki-pem", "pkcs1-pem", "spki-der", "ssh", "private-pem",
             "certificate-object", "certificate-pem", "jwk"]
EXPONENT_MESSAGE = "^Invalid RSA public key: the public exponent is larger than 2\\*\\*32$"


@pytest.fixture(scope="module")
def big_exponent_keys(keys: Dict[str, Any]) -> Dict[int, Any]:
    """RSA keys with the largest allowed exponent, just above it, and a 2001-bit one.

    (The issue had 3071 bits, with a longer modulus.)
    """
    made = {}
    for label, e, step in (("at-limit", 2**32 - 1, -2), ("above", 2**32 + 1, 2), ("2001-bit", 2**2000 + 1, 2)):
        made[label], _ = rsa_with_exponent(keys["rsa"], e, step)
    return made


@pytest.mark.parametrize("form", RSA_FORMS)
@pytest.mark.parametrize("size", ["above", "2001-bit"])
def test_rsa_public_exponent_is_bounded_on_every_path(keys: Dict[str, Any], big_exponent_keys: Dict[str, Any],
                                                      form: str, size: str) -> None:
    """A 3071-bit exponent made each forged token cost 9 ms instead of 0.15 ms."""
    private = big_exponent_keys[size]
    key = rsa_key_forms(private, keys["p256"])[form]
    token = rs256_token(private, {"sub": "x"})
    with pytest.raises(InvalidKeyError, match=EXPONENT_MESSAGE):
        Validator(key, algorithms=["RS256", "PS256"])
    with pytest.raises(InvalidKeyError, match=EXPONENT_MESSAGE):
        fastjwt.decode(token, key, algorithms=["RS256"])
    with pytest.raises(InvalidKeyError, match=EXPONENT_MESSAGE):
        fastjwt.Key(key, alg="PS512")
    # Unbound, the HMAC algorithms refuse it for another reason (a PyJWK is bound to its alg: RS256).
    unbound = EXPONENT_MESSAGE if form == "jwk" else "^The key cannot verify any supported algorithm$"
    with pytest.raises(InvalidKeyError, match=unbound):
        fastjwt.Key(key)
    if form.startswith("private"):
        with pytest.raises(InvalidKeyError, match=EXPONENT_MESSAGE):
            fastjwt.encode({"sub": "x"}, key, algorithm="RS256")


def test_rsa_exponent_bound_in_jwk_documents(big_exponent_keys: Dict[str, Any], keys: Dict[str, Any]) -> None:
    from fastjwt.jwk import key_to_jwk, load_jwk

    big = key_to_jwk(big_exponent_keys["2001-bit"].public_key(), kid="big")
    normal = key_to_jwk(keys["rsa"].public_key(), kid="normal")
    with pytest.raises(InvalidKeyError, match=EXPONENT_MESSAGE):
        load_jwk(big)
    with pytest.raises(InvalidKeyError, match=EXPONENT_MESSAGE):
        fastjwt.Key.from_jwk(big)
    assert [key.kid for key in fastjwt.KeySet.from_jwks({"keys": [big, normal]})] == ["normal"]


@pytest.mark.parametrize("form", RSA_FORMS)
def test_rsa_exponent_at_the_limit_still_works(
    keys: Dict[str, Any], big_exponent_keys: Dict[str, Any], form: str
) -> None:
    private = big_exponent_keys["at-limit"]
    assert 2**31 < private.public_key().public_numbers().e <= 2**32
    key = rsa_key_forms(private, keys["p256"])[form]
    token = rs256_token(private, {"sub": "x"})
    assert Validator(key, algorithms=["RS256"]).decode(token) == {"sub": "x"}
    assert fastjwt.decode(token, key, algorithms=["RS256"]) == {"sub": "x"}
