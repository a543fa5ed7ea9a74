"""Key and KeySet: key forms, JWK policy (alg, use, key_ops), selection by kid, and the cache."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest
from _support import HMAC_SECRET
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from cryptography.x509.oid import NameOID

import fastjwt
from fastjwt import (
    InsecureKeyLengthWarning,
    InvalidAlgorithmError,
    InvalidKeyError,
    InvalidSignatureError,
    InvalidTokenError,
    Key,
    KeyNotFoundError,
    KeySet,
    PyJWKSetError,
    Validator,
)
from fastjwt.jwk import key_to_jwk
from fastjwt.keys import check_algorithm, prepare_key, short_key_warnings, warn_short_key

RSA_ALGS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
HS_ALGS = {"HS256", "HS384", "HS512"}
#: Family -> the algorithms a raw key of that family may verify.
FAMILY_ALGS = {
    "rsa": RSA_ALGS,
    "p256": {"ES256"},
    "p384": {"ES384"},
    "p521": {"ES512", "ES521"},  # ES521: PyJWT's alias, accepted for raw keys
    "k256": {"ES256K"},
    "ed25519": {"EdDSA"},
    "ed448": {"EdDSA"},
}
#: Family -> the algorithms a JWK of that family may be used with.
JWK_ALGS = {**FAMILY_ALGS, "p521": {"ES512"}}
SSH_FAMILIES = {"rsa", "p256", "p384", "p521", "ed25519"}


def sign(key: Any, alg: str, kid: Any = None, **claims: Any) -> str:
    headers = {"kid": kid} if kid is not None else None
    return fastjwt.encode({"sub": "alice", **claims}, key, algorithm=alg, headers=headers)


def certificate(private: Any) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    digest = None if isinstance(private, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)) else hashes.SHA256()
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
            .serial_number(1).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=1))
            .sign(private, digest))


FORMS: Dict[str, Callable[[Any], Any]] = {
    "private-object": lambda k: k,
    "public-object": lambda k: k.public_key(),
    "public-pem-bytes": lambda k: k.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
    "public-pem-str": lambda k: k.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode(),
    "public-der": lambda k: k.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),
    "private-pem": lambda k: k.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()),
    "certificate": certificate,
    "certificate-pem": lambda k: certificate(k).public_bytes(Encoding.PEM),
    "ssh": lambda k: k.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH),
}


@pytest.mark.parametrize("family,form", [
    (family, form) for family in sorted(FAMILY_ALGS) for form in sorted(FORMS)
    if form != "ssh" or family in SSH_FAMILIES  # OpenSSH has no secp256k1 or Ed448 key type
])
def test_key_from_every_form(keys: Dict[str, Any], family: str, form: str) -> None:
    key = Key(FORMS[form](keys[family]), kid="k1")
    assert set(key.algorithms) == FAMILY_ALGS[family]
    validator = Validator(keys=KeySet([key]), algorithms=sorted(FAMILY_ALGS[family] | HS_ALGS))
    for alg in sorted(FAMILY_ALGS[family]):
        assert validator.decode(sign(keys[family], alg, kid="k1", used=alg))["used"] == alg


@pytest.mark.parametrize("secret", [HMAC_SECRET, HMAC_SECRET.decode()], ids=["bytes", "str"])
def test_key_from_hmac_secret(secret: Any) -> None:
    key = Key(secret)
    assert set(key.algorithms) == HS_ALGS
    validator = Validator(keys=KeySet([key]), algorithms=sorted(HS_ALGS | RSA_ALGS))
    for alg in sorted(HS_ALGS):
        assert validator.decode(sign(HMAC_SECRET, alg))["sub"] == "alice"


@pytest.mark.parametrize("family", sorted(JWK_ALGS))
def test_key_from_jwk(keys: Dict[str, Any], family: str) -> None:
    private = keys[family]
    jwk = key_to_jwk(private.public_key(), kid=f"{family}-1")
    for source in (jwk, json.dumps(jwk), json.dumps(jwk).encode()):
        key = Key.from_jwk(source)
        assert key.kid == f"{family}-1" and key.alg is None
        assert set(key.algorithms) == JWK_ALGS[family]
    # A private JWK: only its public part is kept.
    key = Key.from_jwk(key_to_jwk(private, kid="p", include_private=True))
    assert not hasattr(key.public_key, "private_bytes")
    alg = sorted(JWK_ALGS[family])[0]
    assert Validator(keys=KeySet([key]), algorithms=[alg]).decode(sign(private, alg, kid="p"))["sub"] == "alice"


def test_key_from_oct_jwk() -> None:
    key = Key.from_jwk(key_to_jwk(HMAC_SECRET, kid="h", include_private=True))
    assert set(key.algorithms) == HS_ALGS and key.kid == "h"
    assert Validator(keys=KeySet([key]), algorithms=["HS384"]).decode(sign(HMAC_SECRET, "HS384", kid="h"))


# ---------------------------------------------------------------- alg binding, use, key_ops


def test_alg_binding_is_honoured(keys: Dict[str, Any]) -> None:
    rsa = keys["rsa"]
    jwk = key_to_jwk(rsa.public_key(), kid="r")
    bound = [
        Key(rsa.public_key(), kid="r", alg="RS256"),
        Key.from_jwk({**jwk, "alg": "RS256"}),
        Key.from_jwk(jwk, alg="RS256"),
        Key.from_jwk({**jwk, "alg": "RS256"}, alg="RS256"),
    ]
    for key in bound:
        assert key.algorithms == ("RS256",) and key.alg == "RS256"
        # The validator allows PS256, and the PS256 signature is genuine: still refused.
        validator = Validator(keys=KeySet([key]), algorithms=["RS256", "PS256"])
        assert validator.decode(sign(rsa, "RS256", kid="r"))["sub"] == "alice"
        for kid in ("r", None):
            with pytest.raises(KeyNotFoundError):
                validator.decode(sign(rsa, "PS256", kid=kid))


def test_jwk_use_and_key_ops(keys: Dict[str, Any]) -> None:
    jwk = key_to_jwk(keys["p256"].public_key(), kid="e")
    assert Key.from_jwk({**jwk, "use": "sig"}).algorithms == ("ES256",)
    assert Key.from_jwk({**jwk, "key_ops": ["verify"]}).algorithms == ("ES256",)
    assert Key.from_jwk({**jwk, "key_ops": ["sign", "verify"]}).algorithms == ("ES256",)
    for bad in ({"use": "enc"}, {"use": "Sig"}, {"key_ops": ["sign"]}, {"key_ops": ["encrypt", "wrapKey"]},
                {"key_ops": []}):
        with pytest.raises(InvalidKeyError):
            Key.from_jwk({**jwk, **bad})


@pytest.mark.parametrize("family,alg", [
    ("rsa", "ES256"), ("rsa", "HS256"), ("rsa", "EdDSA"), ("p256", "ES384"), ("p256", "RS256"),
    ("p384", "ES256"), ("p521", "ES521"), ("k256", "ES256"), ("ed25519", "ES256"), ("oct", "RS256"),
    ("oct", "none"), ("rsa", "none"), ("rsa", "XX256"),
])
def test_family_and_alg_mismatch_is_refused(keys: Dict[str, Any], family: str, alg: str) -> None:
    if family == "oct":
        jwk, raw = key_to_jwk(HMAC_SECRET, include_private=True), HMAC_SECRET
    else:
        jwk, raw = key_to_jwk(keys[family].public_key()), keys[family].public_key()
    with pytest.raises(InvalidKeyError):
        Key.from_jwk({**jwk, "alg": alg})
    with pytest.raises(InvalidKeyError):
        Key.from_jwk(jwk, alg=alg)
    if alg != "ES521":  # a raw P-521 key may be bound to PyJWT's ES521 alias
        with pytest.raises(InvalidKeyError):
            Key(raw, alg=alg)


def test_conflicting_alg_and_bad_arguments(keys: Dict[str, Any]) -> None:
    jwk = key_to_jwk(keys["rsa"].public_key(), alg="RS256")
    with pytest.raises(InvalidKeyError):
        Key.from_jwk(jwk, alg="PS256")
    with pytest.raises(TypeError):
        Key(HMAC_SECRET, kid=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidKeyError):
        Key(object())
    with pytest.raises(TypeError):
        KeySet([HMAC_SECRET])  # type: ignore[list-item]


def test_public_key_is_never_an_hmac_secret(keys: Dict[str, Any]) -> None:
    """RFC 8725 2.1: a token signed with the PEM text as HMAC secret is refused."""
    pem = keys["rsa"].public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    key = Key(pem, kid="r")
    assert set(key.algorithms) == RSA_ALGS
    validator = Validator(keys=KeySet([key]), algorithms=["RS256", "HS256"])
    header = base64.urlsafe_b64encode(b'{"alg":"HS256"}').rstrip(b"=")
    payload = base64.urlsafe_b64encode(b'{"sub":"mallory"}').rstrip(b"=")
    mac = hmac.new(pem, header + b"." + payload, hashlib.sha256).digest()
    token = b".".join([header, payload, base64.urlsafe_b64encode(mac).rstrip(b"=")]).decode()
    with pytest.raises(KeyNotFoundError):
        validator.decode(token)


def test_token_alg_a_key_cannot_verify_is_a_token_error(keys: Dict[str, Any]) -> None:
    pem = keys["rsa"].public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    validator = Validator(keys=KeySet([Key(pem, kid="r")]), algorithms=["RS256", "HS256"])
    with pytest.raises(KeyNotFoundError, match="^The key 'r' cannot verify 'HS256'$") as info:
        validator.decode(sign(HMAC_SECRET, "HS256", kid="r"))
    assert isinstance(info.value, InvalidTokenError)


# ---------------------------------------------------------------- KeySet selection


@pytest.fixture(scope="module")
def ec_keys() -> List[Any]:
    return [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]


def test_selection_by_kid(ec_keys: List[Any]) -> None:
    a, b = (Key(k.public_key(), kid=kid) for k, kid in zip(ec_keys, "ab"))
    key_set = KeySet([a, b])
    assert [key for key, _ in key_set.select("b", "ES256")] == [b]
    assert key_set.get("a") == (a,) and key_set.get("zz") == () and key_set.get(None) == ()
    assert key_set.has_kid("a") and not key_set.has_kid("c")
    assert len(key_set) == 2 and list(key_set) == [a, b] and a in key_set and Key(HMAC_SECRET) not in key_set
    validator = Validator(keys=key_set, algorithms=["ES256"])
    assert validator.decode(sign(ec_keys[1], "ES256", kid="b"))["sub"] == "alice"
    # Right kid, wrong key: a signature error, not "key not found".
    with pytest.raises(InvalidSignatureError):
        validator.decode(sign(ec_keys[0], "ES256", kid="b"))


def test_selections_are_indexed_and_failures_leave_nothing() -> None:
    key_set = KeySet([Key(HMAC_SECRET, kid="a", alg="HS256"), Key(b"x" * 64, kid="b", alg="HS512")])
    index = dict(key_set._by_kid_alg), dict(key_set._by_alg)
    first = key_set.select("a", "HS256")
    assert key_set.select("a", "HS256") is first and [key.kid for key, _ in first] == ["a"]
    for i in range(1000):  # a flood of unknown kids leaves nothing behind
        with pytest.raises(KeyNotFoundError, match="^Unable to find a signing key that matches"):
            key_set.select(f"unknown-{i}", "HS256")
    with pytest.raises(KeyNotFoundError):
        key_set.select("a", "HS512")  # known kid, wrong algorithm: still refused every time
    with pytest.raises(KeyNotFoundError):
        key_set.select(["unhashable"], "HS256")
    assert (key_set._by_kid_alg, key_set._by_alg) == index


def test_unknown_kid(ec_keys: List[Any]) -> None:
    validator = Validator(keys=KeySet([Key(ec_keys[0].public_key(), kid="a")]), algorithms=["ES256"])
    with pytest.raises(KeyNotFoundError) as info:
        validator.decode(sign(ec_keys[0], "ES256", kid="nope"))
    assert isinstance(info.value, InvalidKeyError) and isinstance(info.value, InvalidTokenError)
    assert "'nope'" in str(info.value)

    long_kid = "k" * 5000 + "\n\x1b[31m"
    with pytest.raises(KeyNotFoundError) as info:
        validator.decode(sign(ec_keys[0], "ES256", kid=long_kid))
    message = str(info.value)
    assert "'kkkkkkkkkk" in message and len(message) < 200 and message.endswith("...")
    with pytest.raises(KeyNotFoundError) as info:
        validator.decode(sign(ec_keys[0], "ES256", kid="x\n\x1b[31m"))
    assert "\n" not in str(info.value) and "\x1b" not in str(info.value)  # escaped by repr

    # A token with a kid never falls back to a key without one.
    anonymous = Validator(keys=KeySet([Key(ec_keys[0].public_key())]), algorithms=["ES256"])
    with pytest.raises(KeyNotFoundError):
        anonymous.decode(sign(ec_keys[0], "ES256", kid="a"))


def test_no_kid_needs_exactly_one_compatible_key(keys: Dict[str, Any], ec_keys: List[Any]) -> None:
    mixed = KeySet([Key(keys["rsa"].public_key(), kid="r"), Key(ec_keys[0].public_key(), kid="e")])
    validator = Validator(keys=mixed, algorithms=["ES256", "RS256", "ES384"])
    assert validator.decode(sign(ec_keys[0], "ES256"))["sub"] == "alice"  # the only ES256 key
    assert validator.decode(sign(keys["rsa"], "RS256"))["sub"] == "alice"
    with pytest.raises(KeyNotFoundError):
        validator.decode(sign(keys["p384"], "ES384"))  # no key for the alg at all

    two = KeySet([Key(k.public_key(), kid=kid) for k, kid in zip(ec_keys, "ab")])
    with pytest.raises(KeyNotFoundError, match="several keys"):
        Validator(keys=two, algorithms=["ES256"]).decode(sign(ec_keys[0], "ES256"))
    trying = Validator(keys=two, algorithms=["ES256"], try_keys=2)
    assert trying.decode(sign(ec_keys[0], "ES256"))["sub"] == "alice"
    assert trying.decode(sign(ec_keys[1], "ES256"))["sub"] == "alice"
    with pytest.raises(InvalidSignatureError):
        trying.decode(sign(ec_keys[2], "ES256"))  # tried both, neither verified

    three = KeySet([Key(k.public_key()) for k in ec_keys])
    with pytest.raises(KeyNotFoundError):
        Validator(keys=three, algorithms=["ES256"], try_keys=2).decode(sign(ec_keys[0], "ES256"))
    assert Validator(keys=three, algorithms=["ES256"], try_keys=3).decode(sign(ec_keys[2], "ES256"))


def test_duplicate_kids_are_all_tried(ec_keys: List[Any]) -> None:
    a, b = (Key(k.public_key(), kid="same") for k in ec_keys[:2])
    key_set = KeySet([a, b])
    assert key_set.get("same") == (a, b)
    assert [key for key, _ in key_set.select("same", "ES256")] == [a, b]
    validator = Validator(keys=key_set, algorithms=["ES256"])
    for private in ec_keys[:2]:
        assert validator.decode(sign(private, "ES256", kid="same"))["sub"] == "alice"
    with pytest.raises(InvalidSignatureError):
        validator.decode(sign(ec_keys[2], "ES256", kid="same"))


# ---------------------------------------------------------------- KeySet.from_jwks


def test_from_jwks_skips_unusable_members(keys: Dict[str, Any]) -> None:
    good = key_to_jwk(keys["rsa"].public_key(), kid="good")
    members = [
        good,
        {**key_to_jwk(keys["p256"].public_key(), kid="enc"), "use": "enc"},
        {**key_to_jwk(keys["p384"].public_key(), kid="ops"), "key_ops": ["encrypt"]},
        {"kty": "XYZ", "kid": "unknown"},
        {"kty": "RSA", "kid": "broken", "e": "AQAB"},
        {**key_to_jwk(keys["p256"].public_key(), kid="mismatch"), "alg": "RS256"},
        "not an object",
    ]
    document = {"keys": members}
    for source in (document, json.dumps(document), json.dumps(document).encode()):
        key_set = KeySet.from_jwks(source)
        assert [key.kid for key in key_set] == ["good"]
    for index in range(1, len(members)):
        with pytest.raises(InvalidKeyError):
            KeySet.from_jwks({"keys": [good, members[index]]}, skip_unusable=False)
    assert len(KeySet.from_jwks({"keys": [good]}, skip_unusable=False)) == 1


@pytest.mark.parametrize("document", [{"keys": []}, {"keys": [{"kty": "XYZ"}]}, {"keys": {}}, {}, [], "[]",
                                      {"keys": "x"}])
def test_from_jwks_without_usable_keys(document: Any) -> None:
    with pytest.raises(PyJWKSetError):
        KeySet.from_jwks(document)


# ---------------------------------------------------------------- repr


def test_repr_never_shows_key_material(keys: Dict[str, Any]) -> None:
    rsa = keys["rsa"]
    public_jwk = key_to_jwk(rsa.public_key())
    private_jwk = key_to_jwk(rsa, include_private=True)
    pem = rsa.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    members = [
        Key(HMAC_SECRET, kid="h"),
        Key(HMAC_SECRET.decode()),
        Key.from_jwk(key_to_jwk(HMAC_SECRET, include_private=True)),
        Key(rsa, kid="r"),
        Key(pem),
        Key.from_jwk(private_jwk),
    ]
    forbidden = [HMAC_SECRET.decode(), HMAC_SECRET.decode()[:16], repr(HMAC_SECRET)[:20],
                 key_to_jwk(HMAC_SECRET, include_private=True)["k"][:16], public_jwk["n"][:16],
                 private_jwk["d"][:16], str(rsa.private_numbers().d)[:16],
                 str(rsa.public_key().public_numbers().n)[:16], "PRIVATE", "BEGIN"]
    texts = [repr(key) for key in members] + [repr(KeySet(members)), str(KeySet(members))]
    for text in texts:
        for secret in forbidden:
            assert secret not in text, text
    assert repr(members[0]) == "Key(kid='h', algorithms=['HS256', 'HS384', 'HS512'])"


# ---------------------------------------------------------------- update_keys and the cache


def test_update_keys_purges_verifications_made_with_removed_keys(ec_keys: List[Any]) -> None:
    a, b = (Key(k.public_key(), kid=kid) for k, kid in zip(ec_keys, "ab"))
    validator = Validator(keys=KeySet([a, b]), algorithms=["ES256"])
    token_a, token_b = sign(ec_keys[0], "ES256", kid="a"), sign(ec_keys[1], "ES256", kid="b")
    anonymous_a = sign(ec_keys[0], "ES256")  # no kid: once a is gone, b is the only candidate
    validator.decode(token_a)
    validator.decode(token_b)
    assert validator.cache_info().currsize == 2

    validator.update_keys(KeySet([b]))  # a removed, b the very same Key object
    assert validator.cache_info().currsize == 1
    assert validator.key_set is not None and list(validator.key_set) == [b]
    with pytest.raises(KeyNotFoundError):
        validator.decode(token_a)
    hits = validator.cache_info().hits
    assert validator.decode(token_b)["sub"] == "alice"
    assert validator.cache_info().hits == hits + 1  # b's verification survived
    with pytest.raises(InvalidSignatureError):
        validator.decode(anonymous_a)  # tried against b only

    # Putting a back (as a new Key object) accepts its tokens again.
    validator.update_keys(KeySet([Key(ec_keys[0].public_key(), kid="a"), b]))
    assert validator.decode(token_a)["sub"] == "alice"


def test_update_keys_needs_a_fixed_key_set(tmp_path: Path, ec_keys: List[Any]) -> None:
    from fastjwt.key_directory import DirectoryKeySource

    single = Validator(ec_keys[0].public_key(), algorithms=["ES256"])
    sourced = Validator(keys=DirectoryKeySource(tmp_path), algorithms=["ES256"])
    fixed = Validator(keys=KeySet([Key(ec_keys[0].public_key())]), algorithms=["ES256"])
    for validator in (single, sourced):
        with pytest.raises(TypeError):
            validator.update_keys(KeySet())
    with pytest.raises(TypeError):
        fixed.update_keys([Key(ec_keys[0].public_key())])  # type: ignore[arg-type]
    assert single.key_set is None


# ---------------------------------------------------------------- RFC vectors


VECTORS = json.loads((Path(__file__).parent / "data" / "rfc-jws.json").read_text())["vectors"]
JWT_VECTORS = [v for v in VECTORS if v["valid"] and v["kind"] == "jwt"]


def test_there_are_jwt_vectors() -> None:
    assert {v["alg"] for v in JWT_VECTORS} >= {"HS256", "RS256", "ES256"}


@pytest.mark.parametrize("vector", JWT_VECTORS, ids=lambda v: v["id"])
def test_rfc_vectors_verify_through_a_key_set(vector: Dict[str, Any]) -> None:
    key = Key.from_jwk(vector["jwk"])
    validator = Validator(keys=KeySet([key]), algorithms=[vector["alg"]],
                          options={"verify_exp": vector["verify_exp"]})
    assert validator.decode(vector["token"]) == vector["expected_claims"]
    assert validator.decode(vector["token"]) == vector["expected_claims"]  # and from the cache


JWS_VECTORS = [v for v in VECTORS if v["valid"] and v["kind"] == "jws"]


@pytest.mark.parametrize("vector", JWS_VECTORS, ids=lambda v: v["id"])
def test_rfc_jws_vectors_verify_through_a_key_set(vector: Dict[str, Any]) -> None:
    """Payloads that are not JSON claims: the signature verifies through the
    key set (kid-selected where the vector has one), then the claims parser
    refuses the payload; a flipped signature bit fails earlier, at the signature."""
    key = Key.from_jwk(vector["jwk"])
    validator = Validator(keys=KeySet([key]), algorithms=[vector["alg"]], cache=False)
    with pytest.raises(fastjwt.DecodeError, match="^Invalid payload string") as info:
        validator.decode(vector["token"])
    assert not isinstance(info.value, fastjwt.InvalidSignatureError)
    head, _, signature = vector["token"].rpartition(".")
    raw = bytearray(fastjwt.utils.base64url_decode(signature))
    raw[0] ^= 0x80
    with pytest.raises(fastjwt.InvalidSignatureError):
        validator.decode(f"{head}.{fastjwt.utils.base64url_encode(bytes(raw)).decode()}")


# ---------------------------------------------------------------- symmetric keys from published documents


def test_a_jwks_document_never_yields_symmetric_keys_unless_trusted(keys: Dict[str, Any]) -> None:
    """Issue 8, finding 4: a JWK Set is published; an oct member is a secret its readers know."""
    from fastjwt._jwks_doc import SYMMETRIC_REFUSED

    oct_jwk = key_to_jwk(HMAC_SECRET, kid="k", include_private=True)
    document = {"keys": [key_to_jwk(keys["p256"].public_key(), kid="k"), oct_jwk]}
    for form in (document, json.dumps(document), json.dumps(document).encode()):
        assert [key.algorithms for key in KeySet.from_jwks(form)] == [("ES256",)]
        assert [key.algorithms for key in KeySet.from_jwks(form, allow_symmetric=True)] == [
            ("ES256",),
            tuple(sorted(HS_ALGS)),
        ]
    with pytest.raises(InvalidKeyError, match=re.escape(SYMMETRIC_REFUSED)):
        KeySet.from_jwks(document, skip_unusable=False)
    with pytest.raises(fastjwt.PyJWKSetError, match="^The JWK Set did not contain any usable keys$"):
        KeySet.from_jwks({"keys": [oct_jwk]})
    with pytest.raises(InvalidKeyError, match=re.escape(SYMMETRIC_REFUSED)):
        Key.from_jwk(oct_jwk, allow_symmetric=False)
    assert Key.from_jwk(oct_jwk).kid == "k"  # one JWK the caller holds: its own secret


def test_a_kid_less_token_against_5000_keys_scans_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 8, finding 8: a kid-less token against 5000 keys cost 1.4 ms (a scan of every key,
    at every token, when the outcome was a refusal); the set is now indexed when it is built."""
    members = [Key(b"secret-%05d-" % i + b"s" * 40, kid=f"k{i}", alg="HS256") for i in range(5000)]
    members.append(Key(keys_for_es256()[0], kid="e"))
    key_set = KeySet(members)
    asked: List[str] = []
    original = Key.verifier
    monkeypatch.setattr(Key, "verifier", lambda self, alg: asked.append(alg) or original(self, alg))
    with pytest.raises(KeyNotFoundError, match="^The token has no kid and several keys could verify it$"):
        key_set.select(None, "HS256")
    assert [key.kid for key, _ in key_set.select(None, "ES256")] == ["e"]
    assert [key.kid for key, _ in key_set.select("k4999", "HS256")] == ["k4999"]
    with pytest.raises(KeyNotFoundError, match="^The key 'k4999' cannot verify 'HS512'$"):
        key_set.select("k4999", "HS512")
    validator = Validator(keys=key_set, algorithms=["HS256", "ES256"])
    kid_less = fastjwt.encode({"sub": "x"}, b"secret-00007-" + b"s" * 40, algorithm="HS256")
    for _ in range(3):
        with pytest.raises(KeyNotFoundError, match="several keys"):
            validator.decode(kid_less)
    assert Validator(keys=key_set, algorithms=["HS256"], try_keys=5001).decode(kid_less) == {"sub": "x"}
    assert asked == []  # every candidate came from the index


def keys_for_es256() -> List[Any]:
    private = ec.generate_private_key(ec.SECP256R1())
    return [private.public_key(), private]


# --------------------------------------------------------------------------- key preparation

SHORT_HS256 = ("The HMAC key is 5 bytes long, which is below the minimum recommended length of 32 bytes for "
               "SHA256. See RFC 7518 Section 3.2.")


def test_prepare_key_gives_the_prepared_key_its_verifier_and_its_key_length_text() -> None:
    hs256 = fastjwt.get_algorithm_by_name("HS256")
    prepared, verify, weak = prepare_key(hs256, "short")
    assert prepared == b"short" and weak == SHORT_HS256
    signing_input = b"header.payload"
    assert verify is not None
    assert verify(signing_input, hmac.new(b"short", signing_input, hashlib.sha256).digest()) is True
    assert verify(signing_input, b"\0" * 32) is False
    assert prepare_key(hs256, HMAC_SECRET, verify=False) == (HMAC_SECRET, None, None)


def test_prepare_key_keeps_the_algorithms_own_checks() -> None:
    """The key-confusion checks stay in the algorithm (one place): the path only calls it."""
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(InvalidKeyError, match="^The specified key is an asymmetric key or x509 certificate"):
        prepare_key(fastjwt.get_algorithm_by_name("HS256"), pem)
    with pytest.raises(InvalidKeyError, match="^HMAC key must not be empty.$"):
        prepare_key(fastjwt.get_algorithm_by_name("HS256"), b"")


def test_warn_short_key_warns_at_the_callers_line_or_refuses() -> None:
    with pytest.warns(InsecureKeyLengthWarning) as caught:
        warn_short_key(SHORT_HS256, enforce=False)
    assert [(str(w.message), w.filename) for w in caught] == [(SHORT_HS256, __file__)]
    with pytest.raises(InvalidKeyError) as info:
        warn_short_key(SHORT_HS256, enforce=True)
    assert type(info.value) is InvalidKeyError and str(info.value) == SHORT_HS256


def test_short_key_warnings_are_per_text_for_the_algorithms_asked() -> None:
    unbound = Key(b"x" * 40)  # long enough for HS256 only: no warning of its own
    assert short_key_warnings(unbound, {"HS256"}) == ()
    assert short_key_warnings(unbound, {"HS256", "HS512", "HS384"}) == (
        "The HMAC key is 40 bytes long, which is below the minimum recommended length of 48 bytes for SHA384. "
        "See RFC 7518 Section 3.2.",
        "The HMAC key is 40 bytes long, which is below the minimum recommended length of 64 bytes for SHA512. "
        "See RFC 7518 Section 3.2.",
    )


#: (alg, allowed, supported, bound) -> the InvalidAlgorithmError message, or None (passes).
_ALG_CHECKS = [
    ("HS256", ["HS256"], {"HS256"}.__contains__, None, None),
    ("HS256", None, {"HS256"}.__contains__, None, None),
    ("HS256", "xxHS256xx", {"HS256"}.__contains__, None, None),  # PyJWT's `in`: a str allowlist matches substrings
    ("HS384", ["HS256"], {"HS384"}.__contains__, None, "The specified alg value is not allowed"),
    ("", [""], {""}.__contains__, None, "The specified alg value is not allowed"),
    (None, None, {None}.__contains__, None, "The specified alg value is not allowed"),
    (["HS256"], {"HS256"}, {"HS256"}.__contains__, None, "The specified alg value is not allowed"),  # unhashable
    (["HS256"], [["HS256"]], {"HS256"}.__contains__, None, "Algorithm not supported"),  # unhashable, allowed
    ("XX999", ["XX999"], {"HS256"}.__contains__, None, "Algorithm not supported"),
    ("XX999", ["XX999"], None, "HS256", "Token algorithm 'XX999' does not match the key's algorithm 'HS256'"),
    ("HS256", ["HS256"], None, "HS256", None),
    ("HS512", ["HS256"], None, "HS512", "The specified alg value is not allowed"),  # the allowlist first
]


@pytest.mark.parametrize("alg, allowed, supported, bound, message", _ALG_CHECKS)
def test_check_algorithm_raises_pyjwts_error_in_pyjwts_order(alg: Any, allowed: Any, supported: Any, bound: Any,
                                                            message: Any) -> None:
    if message is None:
        assert check_algorithm(alg, allowed, supported, bound=bound) is (None if bound else True)
    else:
        with pytest.raises(InvalidAlgorithmError) as info:
            check_algorithm(alg, allowed, supported, bound=bound)
        assert type(info.value) is InvalidAlgorithmError and str(info.value) == message


def test_check_algorithm_returns_what_supported_gives() -> None:
    table = fastjwt.algorithms.get_default_algorithms()
    assert check_algorithm("ES256", ["ES256"], table.get) is table["ES256"]
