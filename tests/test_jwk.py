"""fastjwt.jwk: strict loading, serialization, RFC 7638 thumbprints, PyJWT parity.

PyJWT 2.15.1 is the oracle for the ``*_from_jwk`` / ``*_to_jwk`` helpers:
same key numbers, same output, same exception class and arguments.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x25519
from hypothesis import given
from hypothesis import strategies as st
from jwt.algorithms import ECAlgorithm, HMACAlgorithm, OKPAlgorithm, RSAAlgorithm

from fastjwt import jwk
from fastjwt.exceptions import InvalidKeyError

VECTORS = json.loads((Path(__file__).parent / "data" / "jwk" / "rfc_vectors.json").read_text())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def shorter(text: str) -> str:
    """The base64url member one octet shorter."""
    return b64(unb64(text)[:-1])


def uint(value: int, size: int) -> str:
    return b64(value.to_bytes(size, "big"))


def numbers(key: Any) -> Any:
    """What identifies a key: its private or public numbers (raw bytes for OKP)."""
    if isinstance(key, bytes):
        return key
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        return ("private", type(key).__name__, key.private_bytes_raw())
    if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return ("public", type(key).__name__, key.public_bytes_raw())
    if isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        return ("private", key.private_numbers())
    return ("public", key.public_numbers())


def outcome(fn: Callable[..., Any], *args: Any) -> tuple[Any, ...]:
    """("ok", key numbers) or (exception class name, exception args)."""
    try:
        result = fn(*args)
    except Exception as exc:
        return (type(exc).__name__, exc.args)
    return ("ok", numbers(result))


# ------------------------------------------------------------------ keys

KEY_NAMES = ["RSA", "P-256", "P-384", "P-521", "secp256k1", "Ed25519", "Ed448"]
EC_CURVES: dict[str, Any] = {
    "P-256": ec.SECP256R1,
    "P-384": ec.SECP384R1,
    "P-521": ec.SECP521R1,
    "secp256k1": ec.SECP256K1,
}
KTY = {"RSA": "RSA", "Ed25519": "OKP", "Ed448": "OKP", **{name: "EC" for name in EC_CURVES}}
# kty -> (fastjwt from_jwk, fastjwt to_jwk, PyJWT algorithm class)
COMPAT: dict[str, tuple[Callable[..., Any], Callable[..., Any], Any]] = {
    "RSA": (jwk.rsa_from_jwk, jwk.rsa_to_jwk, RSAAlgorithm),
    "EC": (jwk.ec_from_jwk, jwk.ec_to_jwk, ECAlgorithm),
    "OKP": (jwk.okp_from_jwk, jwk.okp_to_jwk, OKPAlgorithm),
    "oct": (jwk.hmac_from_jwk, jwk.hmac_to_jwk, HMACAlgorithm),
}


def generate(name: str) -> Any:
    if name == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if name == "Ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if name == "Ed448":
        return ed448.Ed448PrivateKey.generate()
    return ec.generate_private_key(EC_CURVES[name]())


def type_name(key: Any) -> str:
    """The KEY_NAMES entry of a generated private key."""
    if isinstance(key, rsa.RSAPrivateKey):
        return "RSA"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PrivateKey):
        return "Ed448"
    return next(name for name, cls in EC_CURVES.items() if isinstance(key.curve, cls))


@pytest.fixture(scope="module", params=KEY_NAMES)
def private_key(request: pytest.FixtureRequest) -> Any:
    return generate(request.param)


# Fixed material for the parametrized malformed-input tables.
RSA_KEY = generate("RSA")
P256_KEY = generate("P-256")
ED_KEY = generate("Ed25519")
RSA_PRIV = RSAAlgorithm.to_jwk(RSA_KEY, as_dict=True)
RSA_PUB = {"kty": "RSA", "n": RSA_PRIV["n"], "e": RSA_PRIV["e"]}
EC_PRIV = ECAlgorithm.to_jwk(P256_KEY, as_dict=True)
EC_PUB = {k: v for k, v in EC_PRIV.items() if k != "d"}
ED_PRIV = OKPAlgorithm.to_jwk(ED_KEY, as_dict=True)
ED_PUB = {k: v for k, v in ED_PRIV.items() if k != "d"}
OTHER_EC_D = ECAlgorithm.to_jwk(generate("P-256"), as_dict=True)["d"]
OTHER_ED_D = OKPAlgorithm.to_jwk(generate("Ed25519"), as_dict=True)["d"]
_p256 = P256_KEY.public_key().public_numbers()
OFF_CURVE_Y = uint(_p256.y + 1, 32)


_K1_P = 2**256 - 2**32 - 977  # the secp256k1 field prime


def _secp256k1_point_with_small_x() -> tuple[int, int]:
    for x in range(1, 100):
        rhs = (x**3 + 7) % _K1_P
        y = pow(rhs, (_K1_P + 1) // 4, _K1_P)  # a square root, as p = 3 (mod 4)
        if y * y % _K1_P == rhs:
            return x, y
    raise AssertionError("no point found")


_k1_x, _k1_y = _secp256k1_point_with_small_x()
# x + p still fits in 32 bytes: cryptography silently reduces it, a JWK must not carry it.
K1_REDUCED = {"kty": "EC", "crv": "secp256k1", "x": uint(_k1_x, 32), "y": uint(_k1_y, 32)}
K1_UNREDUCED = {**K1_REDUCED, "x": uint(_k1_x + _K1_P, 32)}


DROP = object()


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """``base`` with members replaced, added, or removed (value DROP)."""
    out = {**base, **changes}
    return {k: v for k, v in out.items() if v is not DROP}


# ----------------------------------------------------- round trips (strict)


def test_round_trip_private(private_key: Any) -> None:
    data = jwk.key_to_jwk(private_key, include_private=True)
    for form in (data, json.dumps(data), json.dumps(data).encode()):
        parsed = jwk.load_jwk(form, public_only=False)
        assert numbers(parsed.key) == numbers(private_key)
        assert parsed.kty == data["kty"]
        assert parsed.crv == data.get("crv")


def test_round_trip_public(private_key: Any) -> None:
    public = private_key.public_key()
    data = jwk.key_to_jwk(private_key)  # a private key, but include_private=False
    assert data == jwk.key_to_jwk(public)
    assert not {"d", "p", "q", "dp", "dq", "qi"} & data.keys()
    for public_only in (True, False):
        assert numbers(jwk.load_jwk(data, public_only=public_only).key) == numbers(public)


def test_public_only_drops_the_private_part(private_key: Any) -> None:
    data = jwk.key_to_jwk(private_key, include_private=True)
    assert "d" in data
    parsed = jwk.load_jwk(data)
    assert numbers(parsed.key) == numbers(private_key.public_key())


def test_public_only_ignores_malformed_private_members() -> None:
    for data in (
        with_(RSA_PUB, d=5, p="!!", oth=[]),
        with_(EC_PUB, d="A"),
        with_(ED_PUB, d=OTHER_ED_D),
    ):
        assert numbers(jwk.load_jwk(data).key)[0] == "public"


def test_curve_names() -> None:
    for name in KEY_NAMES[1:]:
        assert jwk.load_jwk(jwk.key_to_jwk(generate(name))).crv == name


def test_load_jwk_records_metadata() -> None:
    parsed = jwk.load_jwk(
        with_(EC_PUB, kid="k1", alg="ES256", use="enc", key_ops=["verify", "encrypt"], x5t="ignored")
    )
    assert (parsed.kty, parsed.kid, parsed.alg, parsed.use, parsed.key_ops, parsed.crv) == (
        "EC",
        "k1",
        "ES256",
        "enc",
        ("verify", "encrypt"),
        "P-256",
    )
    bare = jwk.load_jwk(RSA_PUB)
    assert (bare.kid, bare.alg, bare.use, bare.key_ops, bare.crv) == (None, None, None, None, None)


def test_parsed_jwk_is_frozen_and_hides_secrets() -> None:
    parsed = jwk.load_jwk({"kty": "oct", "k": b64(b"super-secret-value"), "kid": "h"})
    assert parsed.key == b"super-secret-value"
    assert repr(parsed) == (
        "ParsedJWK(kty='oct', key=<18-byte secret>, kid='h', alg=None, use=None, key_ops=None, crv=None)"
    )
    with pytest.raises(AttributeError):
        parsed.kid = "other"  # type: ignore[misc]
    assert not hasattr(parsed, "__dict__")


@given(st.binary(min_size=1, max_size=80))
def test_oct_round_trip(secret: bytes) -> None:
    data = jwk.key_to_jwk(secret, kid="s", include_private=True)
    assert data == {"kty": "oct", "kid": "s", "k": b64(secret)}
    assert jwk.load_jwk(data).key == secret
    assert jwk.hmac_from_jwk(data) == HMACAlgorithm.from_jwk(data) == secret
    assert jwk.hmac_to_jwk(secret) == HMACAlgorithm.to_jwk(secret)
    assert jwk.hmac_to_jwk(secret, as_dict=True) == HMACAlgorithm.to_jwk(secret, as_dict=True)


@given(st.text(alphabet="ABCDEFGHQRSTabgwxyz0189-_=+/", max_size=12))
def test_strict_base64url_accepts_exactly_canonical_text(text: str) -> None:
    try:
        key = jwk.load_jwk({"kty": "oct", "k": text}).key
    except InvalidKeyError:
        return
    data = text.rstrip("=")
    assert isinstance(key, bytes) and b64(key) == data
    assert len(text) == len(data) or len(text) % 4 == 0


# ------------------------------------------------------------- key_to_jwk


def test_key_to_jwk_members() -> None:
    assert jwk.key_to_jwk(RSA_KEY, kid="r1", alg="RS256") == {
        "kty": "RSA",
        "kid": "r1",
        "alg": "RS256",
        "n": RSA_PRIV["n"],
        "e": "AQAB",
    }
    assert list(jwk.key_to_jwk(ED_KEY, include_private=True)) == ["kty", "crv", "x", "d"]
    assert list(jwk.key_to_jwk(P256_KEY, kid="e")) == ["kty", "crv", "kid", "x", "y"]
    assert jwk.key_to_jwk(RSA_KEY, include_private=True) == {
        k: v for k, v in RSA_PRIV.items() if k != "key_ops"
    }


def test_key_to_jwk_pads_ec_coordinates_to_the_field_size() -> None:
    for name, size in (("P-256", 32), ("P-384", 48), ("P-521", 66), ("secp256k1", 32)):
        data = jwk.key_to_jwk(generate(name), include_private=True)
        assert {len(unb64(data[m])) for m in ("x", "y", "d")} == {size}


@pytest.mark.parametrize(
    ("key", "kwargs", "exc", "message"),
    [
        (b"secret", {}, InvalidKeyError, "An oct key is secret; pass include_private=True to export it"),
        (b"", {"include_private": True}, InvalidKeyError, "HMAC key must not be empty."),
        ("secret", {"include_private": True}, InvalidKeyError, "Unsupported key type: str"),
        (x25519.X25519PrivateKey.generate(), {}, InvalidKeyError, "Unsupported key type: X25519PrivateKey"),
        (ED_KEY, {"kid": 1}, TypeError, "kid must be a string"),
        (ED_KEY, {"alg": b"EdDSA"}, TypeError, "alg must be a string"),
    ],
)
def test_key_to_jwk_rejects(key: Any, kwargs: dict[str, Any], exc: type[Exception], message: str) -> None:
    with pytest.raises(exc) as info:
        jwk.key_to_jwk(key, **kwargs)
    assert type(info.value) is exc and str(info.value) == message


def test_key_to_jwk_rejects_unsupported_curve() -> None:
    key = ec.generate_private_key(ec.BrainpoolP256R1())
    with pytest.raises(InvalidKeyError, match=r"^Invalid curve: <cryptography\..*BrainpoolP256R1"):
        jwk.key_to_jwk(key)


# ----------------------------------------------------------- thumbprints


def test_thumbprint_rfc7638_example() -> None:
    vector = VECTORS["rfc7638_3_1"]
    assert jwk.thumbprint(vector["jwk"]) == vector["thumbprint_sha256"]
    assert vector["thumbprint_sha256"] == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_thumbprint_rfc8037_example() -> None:
    vector = VECTORS["rfc8037_a_1"]
    assert jwk.thumbprint(vector["jwk"]) == vector["thumbprint_sha256"]
    # The vector's d really derives x: the loader checks it.
    assert isinstance(jwk.load_jwk(vector["jwk"], public_only=False).key, ed25519.Ed25519PrivateKey)


def test_thumbprint_uses_required_members_only(private_key: Any) -> None:
    private = jwk.key_to_jwk(private_key, kid="x", alg="y", include_private=True)
    public = jwk.key_to_jwk(private_key)
    assert jwk.thumbprint(private) == jwk.thumbprint(public)
    assert len(jwk.thumbprint(public, "sha512")) == 86
    assert jwk.thumbprint({"kty": "oct", "k": "AAAA", "alg": "HS256"}) == b64(
        hashlib.sha256(b'{"k":"AAAA","kty":"oct"}').digest()
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, 'JWK member "kty" is missing'),
        ({"kty": "RSA", "n": RSA_PUB["n"]}, 'JWK member "e" is missing'),
        ({"kty": "EC", "crv": "P-256", "x": "AA", "y": 0}, 'JWK member "y" must be a string'),
        ({"kty": "X"}, 'Unsupported kty "X"'),
    ],
)
def test_thumbprint_rejects(data: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidKeyError) as info:
        jwk.thumbprint(data)
    assert str(info.value) == message


def test_thumbprint_unknown_hash() -> None:
    with pytest.raises(ValueError):
        jwk.thumbprint(RSA_PUB, "no-such-hash")


# ----------------------------------------------- strict load_jwk failures

STRICT_FAILURES: list[tuple[Any, bool, str | re.Pattern[str]]] = [
    # (input, public_only, exact message or pattern)
    ("not json", True, "JWK is not valid JSON"),
    (b"\xff{}", True, "JWK is not valid JSON"),
    ("[1]", True, "JWK must be a JSON object"),
    ('{"kty":"oct","k":"AA","k":"AB"}', True, "JWK has duplicate member names"),
    (42, True, "JWK must be a dict or JSON text, not int"),
    ({}, True, 'JWK member "kty" is missing'),
    ({"kty": 1}, True, 'JWK member "kty" must be a string'),
    ({"kty": "rsa"}, True, 'Unsupported kty "rsa"'),
    (with_(RSA_PUB, kid=1), True, 'JWK member "kid" must be a string'),
    (with_(RSA_PUB, alg=None), True, 'JWK member "alg" must be a string'),
    (with_(RSA_PUB, use=["sig"]), True, 'JWK member "use" must be a string'),
    (with_(RSA_PUB, key_ops="verify"), True, 'JWK member "key_ops" must be a list of strings'),
    (with_(RSA_PUB, key_ops=[1]), True, 'JWK member "key_ops" must be a list of strings'),
    (with_(RSA_PUB, key_ops=["verify", "verify"]), True, 'JWK member "key_ops" has duplicate values'),
    # RSA
    (with_(RSA_PUB, n=DROP), True, 'JWK member "n" is missing'),
    (with_(RSA_PUB, e=DROP), True, 'JWK member "e" is missing'),
    (with_(RSA_PUB, e=65537), True, 'JWK member "e" must be a string'),
    (with_(RSA_PUB, n=RSA_PUB["n"].encode()), True, 'JWK member "n" must be a string'),
    (with_(RSA_PUB, n="+" + RSA_PUB["n"][1:]), True, 'JWK member "n" is not valid base64url'),
    (with_(RSA_PUB, n=RSA_PUB["n"] + "="), True, 'JWK member "n" is not valid base64url'),
    (with_(RSA_PUB, n=RSA_PUB["n"] + "==="), True, 'JWK member "n" is not valid base64url'),
    (with_(RSA_PUB, n=RSA_PUB["n"][:-1]), True, 'JWK member "n" is not valid base64url'),
    (with_(RSA_PUB, e="AQ B"), True, 'JWK member "e" is not valid base64url'),
    (with_(RSA_PUB, e="AQA\u00e9"), True, 'JWK member "e" is not valid base64url'),
    (with_(RSA_PUB, e="AQD"), True, 'JWK member "e" is not canonical base64url (non-zero trailing bits)'),
    (with_(RSA_PUB, e="AQAA"), True, re.compile(r"Invalid RSA public key: .+")),
    (with_(RSA_PUB, e="Aw", n="Ag"), True, re.compile(r"Invalid RSA public key: .+")),
    (with_(RSA_PUB, e=RSA_PUB["n"]), True, re.compile(r"Invalid RSA public key: .+")),
    (with_(RSA_PUB, n=uint(2**2048, 257)), True, 'Invalid RSA public key: "n" must be odd'),
    (with_(RSA_PUB, e="Aw", n=uint(2**16384 + 1, 2049)), True,
     'Invalid RSA public key: "n" is longer than 16384 bits'),
    ({**RSA_PUB, "n": uint(2**2048, 257), "d": "AQAB"}, False, 'Invalid RSA public key: "n" must be odd'),
    (with_(RSA_PRIV, oth=[]), False, "Unsupported RSA private key: > 2 primes not supported"),
    (with_(RSA_PRIV, qi=DROP), False, "RSA key must include all parameters if any are present besides d"),
    ({**RSA_PUB, "d": "AQAB"}, False, 'RSA member "d" does not match "n" and "e"'),
    (with_(RSA_PRIV, qi=RSA_PRIV["dp"]), False, "RSA private key members are inconsistent"),
    (with_(RSA_PRIV, d=5), False, 'JWK member "d" must be a string'),
    # EC
    (with_(EC_PUB, x=DROP), True, 'JWK member "x" is missing'),
    (with_(EC_PUB, y=None), True, 'JWK member "y" must be a string'),
    (with_(EC_PUB, crv=DROP), True, 'JWK member "crv" is missing'),
    (with_(EC_PUB, crv=256), True, 'JWK member "crv" must be a string'),
    (with_(EC_PUB, crv="P-192"), True, "Invalid curve: P-192"),
    (with_(EC_PUB, x=shorter(EC_PUB["x"])), True, "Coords should be 32 bytes for curve P-256"),
    (with_(EC_PUB, y=b64(b"\0" + unb64(EC_PUB["y"]))), True,
     "Coords should be 32 bytes for curve P-256"),
    (with_(EC_PUB, crv="P-384"), True, "Coords should be 48 bytes for curve P-384"),
    (with_(EC_PUB, crv="P-521"), True, "Coords should be 66 bytes for curve P-521"),
    (with_(EC_PUB, y=OFF_CURVE_Y), True, "EC point is not on curve P-256"),
    (with_(EC_PRIV, y=OFF_CURVE_Y), False, "EC point is not on curve P-256"),
    (K1_UNREDUCED, True, "EC coordinates are out of range for curve secp256k1"),
    (with_(EC_PRIV, d=shorter(EC_PRIV["d"])), False, 'EC member "d" should be 32 bytes for curve P-256'),
    (with_(EC_PRIV, d=OTHER_EC_D), False, 'EC member "d" does not match the public point'),
    (with_(EC_PRIV, d=uint(0, 32)), False, 'EC member "d" does not match the public point'),
    # OKP
    (with_(ED_PUB, crv="X25519"), True, "Invalid curve: X25519"),
    (with_(ED_PUB, crv=DROP), True, 'JWK member "crv" is missing'),
    (with_(ED_PUB, x=DROP), True, 'JWK member "x" is missing'),
    (with_(ED_PUB, x=shorter(ED_PUB["x"])), True, re.compile(r"Invalid Ed25519 key: .+")),
    (with_(ED_PUB, crv="Ed448"), True, re.compile(r"Invalid Ed448 key: .+")),
    (with_(ED_PRIV, d=shorter(ED_PRIV["d"])), False, re.compile(r"Invalid Ed25519 key: .+")),
    (with_(ED_PRIV, d=OTHER_ED_D), False, "Public key does not match private key"),
    # oct
    ({"kty": "oct"}, True, 'JWK member "k" is missing'),
    ({"kty": "oct", "k": ""}, True, "HMAC key must not be empty."),
    ({"kty": "oct", "k": b"c2VjcmV0"}, True, 'JWK member "k" must be a string'),
    ({"kty": "oct", "k": "AB"}, True, 'JWK member "k" is not canonical base64url (non-zero trailing bits)'),
]


@pytest.mark.parametrize(("data", "public_only", "expected"), STRICT_FAILURES)
def test_load_jwk_rejects(data: Any, public_only: bool, expected: str | re.Pattern[str]) -> None:
    with pytest.raises(InvalidKeyError) as info:
        jwk.load_jwk(data, public_only=public_only)
    assert type(info.value) is InvalidKeyError
    message = str(info.value)
    if isinstance(expected, str):
        assert message == expected
    else:
        assert expected.fullmatch(message), message
    # Nothing chained either: a cryptography error text must not ride along.
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__ or info.value.__context__ is None
    if isinstance(data, dict):  # no key material in the message
        for name, value in data.items():
            if isinstance(value, str) and name not in ("kty", "crv") and len(value) >= 4:
                assert value not in message


def test_load_jwk_accepts_padding_and_canonical_edge_cases() -> None:
    assert jwk.load_jwk({"kty": "oct", "k": "AA=="}).key == b"\0"
    assert jwk.load_jwk({"kty": "oct", "k": "AAA="}).key == b"\0\0"
    assert jwk.load_jwk({"kty": "oct", "k": "AA"}).key == b"\0"
    assert numbers(jwk.load_jwk(K1_REDUCED).key)[1].x == _k1_x  # K1_UNREDUCED, reduced
    # Leading zero octets in RSA integers (a common Java encoder artifact) are tolerated.
    n = b64(b"\0" + unb64(RSA_PUB["n"]))
    assert numbers(jwk.load_jwk(with_(RSA_PUB, n=n)).key) == numbers(RSA_KEY.public_key())


def test_strict_rejections_that_pyjwt_accepts() -> None:
    """load_jwk is stricter than PyJWT, whose helpers we keep lenient for parity."""
    for data, helper, oracle in (
        (with_(RSA_PUB, n=RSA_PUB["n"] + "="), jwk.rsa_from_jwk, RSAAlgorithm.from_jwk),
        ({"kty": "oct", "k": "c2Vj cmV0"}, jwk.hmac_from_jwk, HMACAlgorithm.from_jwk),
        ({"kty": "oct", "k": "c2Vj!!cmV0"}, jwk.hmac_from_jwk, HMACAlgorithm.from_jwk),
        ({"kty": "oct", "k": "AB"}, jwk.hmac_from_jwk, HMACAlgorithm.from_jwk),
        ({"kty": "oct", "k": "c2Vj+/cmV0"}, jwk.hmac_from_jwk, HMACAlgorithm.from_jwk),
        (K1_UNREDUCED, jwk.ec_from_jwk, ECAlgorithm.from_jwk),
    ):
        with pytest.raises(InvalidKeyError):
            jwk.load_jwk(data)
        assert outcome(helper, data) == outcome(oracle, data)
        assert outcome(helper, data)[0] == "ok"


# ------------------------------------------------------- PyJWT parity


def test_to_jwk_matches_pyjwt(private_key: Any) -> None:
    _, to_jwk, algorithm = COMPAT[KTY[type_name(private_key)]]
    for key in (private_key, private_key.public_key()):
        assert to_jwk(key) == algorithm.to_jwk(key)
        assert to_jwk(key, as_dict=True) == algorithm.to_jwk(key, as_dict=True)
        assert list(to_jwk(key, as_dict=True)) == list(algorithm.to_jwk(key, as_dict=True))


def test_from_jwk_matches_pyjwt(private_key: Any) -> None:
    from_jwk, _, algorithm = COMPAT[KTY[type_name(private_key)]]
    for key in (private_key, private_key.public_key()):
        for data in (algorithm.to_jwk(key, as_dict=True), algorithm.to_jwk(key)):
            assert outcome(from_jwk, data) == outcome(algorithm.from_jwk, data) == ("ok", numbers(key))


def test_rsa_private_key_without_crt_members() -> None:
    data = {k: RSA_PRIV[k] for k in ("kty", "n", "e", "d")}
    assert outcome(jwk.rsa_from_jwk, data) == outcome(RSAAlgorithm.from_jwk, data) == ("ok", numbers(RSA_KEY))
    assert numbers(jwk.load_jwk(data, public_only=False).key) == numbers(RSA_KEY)


def test_pyjwt_parameter_names() -> None:
    assert jwk.okp_to_jwk(key=ED_KEY, as_dict=True) == OKPAlgorithm.to_jwk(key=ED_KEY, as_dict=True)
    assert jwk.rsa_to_jwk(key_obj=RSA_KEY) == RSAAlgorithm.to_jwk(key_obj=RSA_KEY)
    assert jwk.ec_to_jwk(key_obj=P256_KEY) == ECAlgorithm.to_jwk(key_obj=P256_KEY)
    assert jwk.hmac_to_jwk(key_obj="sécret") == HMACAlgorithm.to_jwk(key_obj="sécret")
    assert jwk.hmac_from_jwk(jwk=jwk.hmac_to_jwk("k")) == b"k"


# (kty, input, expected class, expected args; None = "whatever PyJWT says",
# used where the text comes from the stdlib or cryptography)
BASE64_ERROR = binascii.Error
FROM_JWK_CASES: list[tuple[str, Any, type[BaseException] | str, tuple[Any, ...] | None]] = [
    # input handling, shared by all four
    *[(kty, b"{}", InvalidKeyError, ("Key is not valid JSON",)) for kty in COMPAT],
    *[(kty, "{not json", InvalidKeyError, ("Key is not valid JSON",)) for kty in COMPAT],
    *[(kty, None, InvalidKeyError, ("Key is not valid JSON",)) for kty in COMPAT],
    ("RSA", "[1]", AttributeError, ("'list' object has no attribute 'get'",)),
    ("EC", "null", AttributeError, ("'NoneType' object has no attribute 'get'",)),
    ("RSA", {}, InvalidKeyError, ("Not an RSA key",)),
    ("EC", RSA_PUB, InvalidKeyError, ("Not an Elliptic curve key",)),
    ("OKP", EC_PUB, InvalidKeyError, ("Not an Octet Key Pair",)),
    ("oct", ED_PUB, InvalidKeyError, ("Not an HMAC key",)),
    ("RSA", json.dumps(EC_PUB), InvalidKeyError, ("Not an RSA key",)),
    # RSA
    ("RSA", with_(RSA_PUB, e=DROP), InvalidKeyError, ("Not a public or private key",)),
    ("RSA", with_(RSA_PRIV, n=DROP), InvalidKeyError, ("Not a public or private key",)),
    ("RSA", with_(RSA_PUB, e=65537), TypeError, ("Expected a string or bytes value",)),
    ("RSA", with_(RSA_PUB, n=RSA_PUB["n"][:-1]), BASE64_ERROR, None),
    ("RSA", with_(RSA_PUB, e="AQAA"), ValueError, None),
    ("RSA", with_(RSA_PUB, e="AAAA"), ValueError, None),
    ("RSA", with_(RSA_PRIV, oth=[]), InvalidKeyError, ("Unsupported RSA private key: > 2 primes not supported",)),
    ("RSA", with_(RSA_PRIV, dq=DROP), InvalidKeyError,
     ("RSA key must include all parameters if any are present besides d",)),
    ("RSA", {**RSA_PUB, "d": "AQAB"}, ValueError, None),
    ("RSA", with_(RSA_PRIV, qi=RSA_PRIV["dp"]), ValueError, None),
    ("RSA", with_(RSA_PRIV, p=None), TypeError, ("Expected a string or bytes value",)),
    ("RSA", with_(RSA_PUB, n=RSA_PUB["n"] + "=="), "ok", None),
    ("RSA", with_(RSA_PUB, e=b"AQAB"), "ok", None),
    ("RSA", with_(RSA_PUB, n=uint(2**2048, 257)), "ok", None),  # even n: strict mode only
    # EC
    ("EC", with_(EC_PUB, y=DROP), InvalidKeyError, ("Not an Elliptic curve key",)),
    ("EC", with_(EC_PUB, x=3), TypeError, ("Expected a string or bytes value",)),
    ("EC", with_(EC_PUB, x="A"), BASE64_ERROR, None),
    ("EC", with_(EC_PUB, crv=DROP), InvalidKeyError, ("Invalid curve: None",)),
    ("EC", with_(EC_PUB, crv=["P-256"]), InvalidKeyError, ("Invalid curve: ['P-256']",)),
    ("EC", with_(EC_PUB, crv="P-192"), InvalidKeyError, ("Invalid curve: P-192",)),
    ("EC", with_(EC_PUB, x=shorter(EC_PUB["x"])), InvalidKeyError, ("Coords should be 32 bytes for curve P-256",)),
    ("EC", with_(EC_PUB, crv="P-384"), InvalidKeyError, ("Coords should be 48 bytes for curve P-384",)),
    ("EC", with_(EC_PUB, crv="P-521"), InvalidKeyError, ("Coords should be 66 bytes for curve P-521",)),
    ("EC", with_(EC_PUB, crv="secp256k1"), ValueError, None),
    ("EC", with_(EC_PUB, y=OFF_CURVE_Y), ValueError, None),
    ("EC", with_(EC_PRIV, y=OFF_CURVE_Y), ValueError, None),
    ("EC", with_(EC_PRIV, d=shorter(EC_PRIV["d"])), InvalidKeyError,
     ("D should be {} bytes for curve {}", 32, "P-256")),
    ("EC", with_(EC_PRIV, d=OTHER_EC_D), ValueError, None),
    ("EC", with_(EC_PRIV, d=None), TypeError, ("Expected a string or bytes value",)),
    ("EC", K1_UNREDUCED, "ok", None),
    # OKP
    ("OKP", with_(ED_PUB, crv=DROP), InvalidKeyError, ("Invalid curve: None",)),
    ("OKP", with_(ED_PUB, crv="X25519"), InvalidKeyError, ("Invalid curve: X25519",)),
    ("OKP", with_(ED_PUB, crv={"a": 1}), InvalidKeyError, ("Invalid curve: {'a': 1}",)),
    ("OKP", with_(ED_PUB, x=DROP), InvalidKeyError, ('OKP should have "x" parameter',)),
    ("OKP", with_(ED_PRIV, x=DROP), InvalidKeyError, ('OKP should have "x" parameter',)),
    ("OKP", with_(ED_PUB, x=shorter(ED_PUB["x"])), InvalidKeyError, ("Invalid key parameter",)),
    ("OKP", with_(ED_PUB, crv="Ed448"), InvalidKeyError, ("Invalid key parameter",)),
    ("OKP", with_(ED_PRIV, d=shorter(ED_PRIV["d"])), InvalidKeyError, ("Invalid key parameter",)),
    ("OKP", with_(ED_PRIV, d="A"), InvalidKeyError, ("Invalid key parameter",)),
    ("OKP", with_(ED_PRIV, d=OTHER_ED_D), InvalidKeyError, ("Public key does not match private key",)),
    ("OKP", with_(ED_PRIV, x=shorter(ED_PUB["x"])), InvalidKeyError, ("Public key does not match private key",)),
    ("OKP", with_(ED_PUB, x="A"), BASE64_ERROR, None),
    ("OKP", with_(ED_PUB, x=None), TypeError, ("Expected a string or bytes value",)),
    ("OKP", with_(ED_PRIV, d=7), TypeError, ("Expected a string or bytes value",)),
    # oct
    ("oct", {"kty": "oct"}, KeyError, ("k",)),
    ("oct", {"kty": "oct", "k": ""}, InvalidKeyError, ("HMAC key must not be empty.",)),
    ("oct", {"kty": "oct", "k": "="}, InvalidKeyError, ("HMAC key must not be empty.",)),
    ("oct", {"kty": "oct", "k": "A"}, BASE64_ERROR, None),
    ("oct", {"kty": "oct", "k": 1}, TypeError, ("Expected a string or bytes value",)),
    ("oct", {"kty": "oct", "k": b"c2VjcmV0"}, "ok", None),
    ("oct", '{"kty": "oct", "k": "c2VjcmV0Zm9vYg=="}', "ok", None),
]


@pytest.mark.parametrize(("kty", "data", "exc", "args"), FROM_JWK_CASES)
def test_from_jwk_errors_match_pyjwt(
    kty: str, data: Any, exc: type[BaseException] | str, args: tuple[Any, ...] | None
) -> None:
    from_jwk, _, algorithm = COMPAT[kty]
    ours, theirs = outcome(from_jwk, data), outcome(algorithm.from_jwk, data)
    assert ours == theirs
    if exc == "ok":
        assert ours[0] == "ok"
        return
    with pytest.raises(BaseException) as info:
        from_jwk(data)
    assert type(info.value) is exc
    if args is not None:
        assert info.value.args == args


@pytest.mark.parametrize(
    ("kty", "key"),
    [
        ("RSA", P256_KEY),  # duck-typed: has private_numbers, but no .n
        ("RSA", ED_KEY.public_key()),  # has verify, but no public_numbers
        ("RSA", "not a key"),
        ("EC", RSA_KEY),
        ("EC", ec.generate_private_key(ec.BrainpoolP256R1())),
        ("OKP", RSA_KEY),
        ("OKP", x25519.X25519PrivateKey.generate()),
        ("oct", 42),
    ],
)
def test_to_jwk_errors_match_pyjwt(kty: str, key: Any) -> None:
    _, to_jwk, algorithm = COMPAT[kty]
    with pytest.raises(Exception) as ours:
        to_jwk(key)
    with pytest.raises(Exception) as theirs:
        algorithm.to_jwk(key)
    assert type(ours.value).__name__ == type(theirs.value).__name__
    assert ours.value.args == theirs.value.args
    if not isinstance(ours.value, InvalidKeyError):
        assert type(ours.value) is type(theirs.value)


def test_compat_helpers_return_private_keys_like_pyjwt() -> None:
    assert isinstance(jwk.rsa_from_jwk(RSA_PRIV), rsa.RSAPrivateKey)
    assert isinstance(jwk.ec_from_jwk(json.dumps(EC_PRIV)), ec.EllipticCurvePrivateKey)
    assert isinstance(jwk.okp_from_jwk(ED_PRIV), ed25519.Ed25519PrivateKey)
    assert isinstance(jwk.rsa_from_jwk(RSA_PUB), rsa.RSAPublicKey)


@pytest.mark.parametrize("crv, shown", [
    ("P-256\x1b]0;t\x07", "P-256\\x1b]0;t\\x07"),
    ("\u202e" + "z" * 500, "\\u202e" + "z" * 79 + "..."),
    ([["P-256"]], "[['P-256']]"),
    ({"a": 1}, "{'a': 1}"),
])
@pytest.mark.parametrize("kty", ["EC", "OKP"])
def test_jwk_messages_show_untrusted_members_safely(kty: str, crv: Any, shown: str) -> None:
    """A fetched JWKS is attacker-controlled too: its members reach messages (and logs)
    escaped and bounded, as PyJWT's wording ("Invalid curve: ...") would show them."""
    from fastjwt.algorithms import ECAlgorithm, OKPAlgorithm

    jwk = {"kty": kty, "crv": crv, "x": "AAAA", "y": "AAAA"}
    loader = ECAlgorithm.from_jwk if kty == "EC" else OKPAlgorithm.from_jwk
    with pytest.raises(InvalidKeyError) as caught:
        loader(jwk)
    assert str(caught.value) == f"Invalid curve: {shown}"


def test_a_deeply_nested_crv_is_not_a_recursion_error() -> None:
    from fastjwt.algorithms import ECAlgorithm

    deep: Any = "P-256"
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(InvalidKeyError, match=r"^Invalid curve: \[\[\[\[\.\.\.\]\]\]\]$"):
        ECAlgorithm.from_jwk({"kty": "EC", "crv": deep, "x": "AAAA", "y": "AAAA"})
    with pytest.raises(InvalidKeyError) as caught:
        jwk.load_jwk({"kty": "\x1b[2J" * 100})
    assert str(caught.value) == 'Unsupported kty "' + "\\x1b[2J" * 20 + '..."'
