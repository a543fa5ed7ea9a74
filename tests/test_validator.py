"""Validator: the prepared fast path gives decode's results."""

from __future__ import annotations

import warnings
from typing import Any, Dict, List

import pytest
from _support import ALGORITHM_KEYS, HMAC_SECRET, signing_key, verifying_key
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import fastjwt
from fastjwt import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InsecureKeyLengthWarning,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidKeyError,
    InvalidSignatureError,
    InvalidTokenTypeError,
    MissingRequiredClaimError,
    Validator,
)
from fastjwt._core import HeaderVerdict

NOW = 1_700_000_000
CLAIMS = {"sub": "alice", "aud": "api", "iss": "https://issuer.example", "iat": NOW, "nbf": NOW, "exp": NOW + 600}


def clock_at(t: float):  # noqa: ANN201
    return lambda: t


@pytest.mark.parametrize("alg", sorted(ALGORITHM_KEYS))
def test_every_algorithm_verifies(keys: Dict[str, Any], alg: str) -> None:
    family = ALGORITHM_KEYS[alg]
    token = fastjwt.encode(CLAIMS, signing_key(keys, family), algorithm=alg, headers={"kid": "k1"})
    validator = Validator(
        verifying_key(keys, family), algorithms=[alg], audience="api", issuer="https://issuer.example",
        clock=clock_at(NOW + 1),
    )
    assert validator.decode(token) == CLAIMS
    complete = validator.decode_complete(token.encode())
    assert complete["header"] == {"alg": alg, "typ": "JWT", "kid": "k1"}
    assert complete["payload"] == CLAIMS
    # A flipped bit anywhere in the signature is refused.
    head, _, signature = token.rpartition(".")
    raw = bytearray(fastjwt.utils.base64url_decode(signature))
    raw[len(raw) // 2] ^= 0x01
    forged = f"{head}.{fastjwt.utils.base64url_encode(bytes(raw)).decode()}"
    with pytest.raises(InvalidSignatureError, match="^Signature verification failed$"):
        validator.decode(forged)


def test_ed448(keys: Dict[str, Any]) -> None:
    token = fastjwt.encode({"sub": "x"}, keys["ed448"], algorithm="EdDSA")
    assert Validator(keys["ed448"].public_key(), algorithms=["EdDSA"]).decode(token) == {"sub": "x"}


def test_ecdsa_signature_of_wrong_length_is_invalid(keys: Dict[str, Any]) -> None:
    token = fastjwt.encode({"sub": "x"}, keys["p256"], algorithm="ES256")
    head, _, signature = token.rpartition(".")
    raw = fastjwt.utils.base64url_decode(signature)
    validator = Validator(keys["p256"].public_key(), algorithms=["ES256"])
    for bad in (raw[:-1], raw + b"\x00", b"\x00" + raw[:-1] + b"\x00" * 2):
        with pytest.raises(InvalidSignatureError):
            validator.decode(f"{head}.{fastjwt.utils.base64url_encode(bad).decode()}")


def test_results_are_fresh_dicts() -> None:
    token = fastjwt.encode({"sub": "x", "roles": ["a"]}, HMAC_SECRET)
    validator = Validator(HMAC_SECRET, algorithms=["HS256"])
    first = validator.decode(token)
    first["sub"] = "mallory"
    first["roles"].append("admin")
    assert validator.decode(token) == {"sub": "x", "roles": ["a"]}


def test_headers_returned_by_decode_complete_are_private_copies() -> None:
    token = fastjwt.encode({"sub": "x"}, HMAC_SECRET, headers={"kid": "k1"})
    for cache in (True, False):
        validator = Validator(HMAC_SECRET, algorithms=["HS256"], cache=cache)
        first = validator.decode_complete(token)
        first["header"]["alg"] = "none"
        first["header"]["kid"] = "evil"
        assert validator.decode_complete(token)["header"] == {"alg": "HS256", "kid": "k1", "typ": "JWT"}
        assert validator.decode(token) == {"sub": "x"}


def test_clock_drives_time_claims() -> None:
    token = fastjwt.encode({"nbf": NOW, "exp": NOW + 10}, HMAC_SECRET)
    assert Validator(HMAC_SECRET, algorithms=["HS256"], clock=clock_at(NOW)).decode(token)["exp"] == NOW + 10
    with pytest.raises(ImmatureSignatureError):
        Validator(HMAC_SECRET, algorithms=["HS256"], clock=clock_at(NOW - 1)).decode(token)
    with pytest.raises(ExpiredSignatureError):
        Validator(HMAC_SECRET, algorithms=["HS256"], clock=clock_at(NOW + 10)).decode(token)
    assert Validator(HMAC_SECRET, algorithms=["HS256"], clock=clock_at(NOW + 10), leeway=1).decode(token)


def test_require_and_options() -> None:
    token = fastjwt.encode({"sub": "x"}, HMAC_SECRET)
    with pytest.raises(MissingRequiredClaimError, match='"exp"'):
        Validator(HMAC_SECRET, algorithms=["HS256"], require=["exp"]).decode(token)
    with pytest.raises(MissingRequiredClaimError, match='"jti"'):
        Validator(HMAC_SECRET, algorithms=["HS256"], options={"require": ["jti"]}, require=["sub"]).decode(token)
    options = {"verify_aud": False}
    audience_token = fastjwt.encode({"aud": "other"}, HMAC_SECRET)
    assert Validator(HMAC_SECRET, algorithms=["HS256"], audience="api", options=options).decode(audience_token)
    assert options == {"verify_aud": False}
    with pytest.raises(InvalidAudienceError):
        Validator(HMAC_SECRET, algorithms=["HS256"], audience="api").decode(audience_token)


@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "application/at+jwt"])
def test_expected_typ(typ: str) -> None:
    validator = Validator(HMAC_SECRET, algorithms=["HS256"], typ="at+JWT")
    assert validator.decode(fastjwt.encode({"sub": "x"}, HMAC_SECRET, headers={"typ": typ})) == {"sub": "x"}
    for wrong in ({"typ": "JWT"}, {"typ": None}, {"typ": "application/jwt"}, {"typ": 5}):
        with pytest.raises(InvalidTokenTypeError, match=r"^Invalid token type \(typ header\)$"):
            validator.decode(fastjwt.encode({"sub": "x"}, HMAC_SECRET, headers=wrong))


def test_typ_is_checked_after_the_signature() -> None:
    # A forged token never learns anything from the typ check.
    token = fastjwt.encode({"sub": "x"}, b"another-secret-another-secret-another-secret!", headers={"typ": "JWT"})
    with pytest.raises(InvalidSignatureError):
        Validator(HMAC_SECRET, algorithms=["HS256"], typ="at+jwt").decode(token)


def test_headers_are_remembered_only_from_verified_tokens_and_boundedly() -> None:
    validator = Validator(HMAC_SECRET, algorithms=["HS256"], typ="at+jwt", cache=False)
    forger = b"another-secret-another-secret-another-secret!"
    for i in range(100):  # forged tokens with distinct headers cannot fill the memo
        token = fastjwt.encode({"sub": "x"}, forger, headers={"kid": f"f{i}", "typ": "at+jwt"})
        with pytest.raises(InvalidSignatureError):
            validator.decode(token)
    assert validator._pipeline.memo == {}
    # A verified token whose typ is wrong: refused every time, never remembered.
    wrong_typ = fastjwt.encode({"sub": "x"}, HMAC_SECRET, headers={"typ": "JWT"})
    for _ in range(2):
        with pytest.raises(InvalidTokenTypeError):
            validator.decode(wrong_typ)
    assert validator._pipeline.memo == {}
    token = fastjwt.encode({"sub": "x"}, HMAC_SECRET, headers={"typ": "at+jwt", "kid": "real"})
    assert validator.decode(token) == {"sub": "x"}
    assert list(validator._pipeline.memo) == [token.split(".")[0].encode()]
    verdict = validator._pipeline.memo[token.split(".")[0].encode()]
    assert verdict.header == {"alg": "HS256", "typ": "at+jwt", "kid": "real"}
    assert (verdict.alg, verdict.typ_ok) == ("HS256", True)
    # Remembered: the same verdict, and a forgery under that header still fails.
    assert validator.decode(token) == {"sub": "x"}
    head, payload, _ = token.split(".")
    with pytest.raises(InvalidSignatureError):
        validator.decode(f"{head}.{payload}.{fastjwt.utils.base64url_encode(b'x' * 32).decode()}")
    for i in range(200):
        validator.decode(fastjwt.encode({"sub": "x"}, HMAC_SECRET, headers={"typ": "at+jwt", "kid": f"k{i}"}))
    assert len(validator._pipeline.memo) == 64
    big = fastjwt.encode({"sub": "x"}, HMAC_SECRET, headers={"typ": "at+jwt", "pad": "y" * 600})
    fresh = Validator(HMAC_SECRET, algorithms=["HS256"], cache=False)
    assert fresh.decode(big) == {"sub": "x"}
    assert fresh._pipeline.memo == {}  # large headers are never remembered


def test_a_remembered_header_is_neither_parsed_nor_judged_again() -> None:
    validator = Validator(HMAC_SECRET, algorithms=["HS256"], typ="at+jwt", cache=False)
    token = fastjwt.encode({"sub": "x"}, HMAC_SECRET, headers={"typ": "at+jwt"})
    assert validator.decode(token) == {"sub": "x"}
    segment = token.split(".")[0].encode()
    kept = validator._pipeline.memo[segment]
    # The memo's verdict decides: one that says typ does not fit is obeyed.
    validator._pipeline.memo[segment] = HeaderVerdict({"alg": "HS256", "mark": 1}, "HS256", kept.verify, False)
    with pytest.raises(InvalidTokenTypeError, match=r"^Invalid token type \(typ header\)$"):
        validator.decode(token)
    validator._pipeline.memo[segment] = HeaderVerdict({"alg": "HS256", "mark": 1}, "HS256", kept.verify, True)
    assert validator.decode_complete(token)["header"] == {"alg": "HS256", "mark": 1}
    assert len(validator._pipeline.memo) == 1


@pytest.mark.parametrize("cache", [True, False])
def test_the_most_recent_header_answers_only_its_own_bytes(cache: bool) -> None:
    # The header last remembered is compared before the memo is looked up:
    # a header of the same length naming another algorithm is its own.
    validator = Validator(HMAC_SECRET, algorithms=["HS256", "HS384"], cache=cache)
    heads = set()
    for i in range(3):  # new tokens each round: with the cache on, misses too
        hs256 = fastjwt.encode({"sub": f"a{i}"}, HMAC_SECRET, algorithm="HS256")
        hs384 = fastjwt.encode({"sub": f"b{i}"}, HMAC_SECRET, algorithm="HS384")
        head256, head384 = hs256.split(".")[0], hs384.split(".")[0]
        assert len(head256) == len(head384)
        heads |= {head256.encode(), head384.encode()}
        swapped = ".".join([head384, *hs256.split(".")[1:]])  # an HS256 signature under the HS384 header
        assert validator.decode(hs256) == {"sub": f"a{i}"}
        with pytest.raises(InvalidSignatureError):
            validator.decode(swapped)
        assert validator.decode_complete(hs384)["header"]["alg"] == "HS384"
        assert validator.decode_complete(hs256)["header"]["alg"] == "HS256"
        assert validator.decode(hs384) == {"sub": f"b{i}"}
        with pytest.raises(InvalidSignatureError):
            validator.decode(swapped)
    assert set(validator._pipeline.memo) == heads


def test_remembered_header_verdicts_follow_the_key_set(keys: Dict[str, Any]) -> None:
    one, two = fastjwt.Key(HMAC_SECRET, kid="a", alg="HS256"), fastjwt.Key(b"b" * 32, kid="a", alg="HS256")
    validator = Validator(keys=fastjwt.KeySet([one]), algorithms=["HS256"], cache=False)
    token = fastjwt.encode({"sub": "x"}, HMAC_SECRET, headers={"kid": "a"})
    assert validator.decode(token) == {"sub": "x"}
    verdicts = list(validator._pipeline.memo.values())
    assert [v.verify for v in verdicts] == [None]  # remembered, but keys are still chosen per token
    validator.update_keys(fastjwt.KeySet([two]))
    with pytest.raises(InvalidSignatureError):
        validator.decode(token)


def test_max_age() -> None:
    token = fastjwt.encode({"iat": NOW}, HMAC_SECRET)
    assert Validator(HMAC_SECRET, algorithms=["HS256"], max_age=60, clock=clock_at(NOW + 59)).decode(token)
    with pytest.raises(ExpiredSignatureError, match=r"^The token is too old \(iat\)$"):
        Validator(HMAC_SECRET, algorithms=["HS256"], max_age=60, clock=clock_at(NOW + 60)).decode(token)


def test_max_token_length() -> None:
    token = fastjwt.encode({"pad": "x" * 200}, HMAC_SECRET)
    assert Validator(HMAC_SECRET, algorithms=["HS256"], max_token_length=len(token)).decode(token)
    with pytest.raises(DecodeError, match="^Token is too long"):
        Validator(HMAC_SECRET, algorithms=["HS256"], max_token_length=len(token) - 1).decode(token)


@pytest.mark.parametrize(
    ("header", "error", "message"),
    [
        ({"alg": "HS384"}, InvalidAlgorithmError, "The specified alg value is not allowed"),
        ({"alg": ["HS256"]}, InvalidAlgorithmError, "The specified alg value is not allowed"),
        ({"alg": {"a": 1}}, InvalidAlgorithmError, "The specified alg value is not allowed"),
        ({"alg": ""}, InvalidAlgorithmError, "The specified alg value is not allowed"),
        ({"alg": None}, InvalidAlgorithmError, "The specified alg value is not allowed"),
        ({"alg": "XX512"}, InvalidAlgorithmError, "Algorithm not supported"),
        ({"typ": "JWT"}, InvalidAlgorithmError, "Algorithm not specified"),
    ],
)
def test_alg_errors_match_decode(header: Dict[str, Any], error: type, message: str) -> None:
    import base64
    import json

    def b64(data: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    token = f"{b64(header)}.{b64({'sub': 'x'})}.c2ln"
    algorithms: List[str] = ["HS256", "XX512"]
    validator = Validator(HMAC_SECRET, algorithms=algorithms)
    for call in (lambda: validator.decode(token), lambda: fastjwt.decode(token, HMAC_SECRET, algorithms=algorithms)):
        with pytest.raises(error) as info:
            call()
        assert type(info.value) is error
        assert str(info.value) == message


def test_construction_errors(keys: Dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Validator(HMAC_SECRET, algorithms="HS256")  # a str is a substring test in PyJWT: refused here
    with pytest.raises(ValueError):
        Validator(HMAC_SECRET, algorithms=["HS256"], options={"verify_signature": False})
    with pytest.raises(InvalidAlgorithmError, match="^Algorithm not supported$"):
        Validator(HMAC_SECRET, algorithms=["XX256"])
    with pytest.raises(InvalidKeyError):
        Validator(keys["rsa"].public_key(), algorithms=["ES256", "EdDSA"])
    with pytest.raises(TypeError, match="^audience must be a string, iterable or None$"):
        Validator(HMAC_SECRET, algorithms=["HS256"], audience=5)


def test_key_errors_are_raised_per_token_for_mixed_allowlists(keys: Dict[str, Any]) -> None:
    pem = keys["rsa"].public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    validator = Validator(pem, algorithms=["RS256", "ES256"])
    es_token = fastjwt.encode({"sub": "x"}, keys["p256"], algorithm="ES256")
    for _ in range(3):  # a fresh exception each time
        with pytest.raises(InvalidKeyError) as info:
            validator.decode(es_token)
        assert info.value.__traceback__ is not None
    assert validator.decode(fastjwt.encode({"sub": "x"}, keys["rsa"], algorithm="RS256")) == {"sub": "x"}


def test_key_length_warns_once_at_construction_or_raises() -> None:
    short = b"short-secret"
    token = fastjwt.encode({"sub": "x"}, b"short-secret-but-not-for-encode-0123456789")
    with pytest.warns(InsecureKeyLengthWarning, match="^The HMAC key is 12 bytes long"):
        validator = Validator(short, algorithms=["HS256"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InvalidSignatureError):
            validator.decode(token)
    with pytest.raises(InvalidKeyError, match="^The HMAC key is 12 bytes long"):
        Validator(short, algorithms=["HS256"], options={"enforce_minimum_key_length": True})


def _short_text(length: int, minimum: int, name: str) -> str:
    return (f"The HMAC key is {length} bytes long, which is below the minimum recommended length of {minimum} bytes "
            f"for {name}. See RFC 7518 Section 3.2.")


def test_key_length_warning_points_at_the_callers_line_once_per_text(keys: Dict[str, Any]) -> None:
    with pytest.warns(InsecureKeyLengthWarning) as caught:
        Validator(b"short", algorithms=["HS256", "HS384"])
    assert [(str(w.message), w.filename) for w in caught] == [
        (_short_text(5, 32, "SHA256"), __file__), (_short_text(5, 48, "SHA384"), __file__)]
    small = fastjwt.algorithms.RSAAlgorithm.from_jwk(_small_rsa_jwk())
    with pytest.warns(InsecureKeyLengthWarning) as caught:
        Validator(small, algorithms=["RS256", "PS256"])  # one text for both: one warning
    assert [str(w.message) for w in caught] == [
        "The RSA key is 1024 bits long, which is below the minimum recommended size of 2048 bits. "
        "See NIST SP 800-131A."
    ]


def _small_rsa_jwk() -> Dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return fastjwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)  # type: ignore[no-any-return]


def test_an_unbound_short_key_in_a_key_set_warns_when_it_meets_the_allowlist() -> None:
    """The known gap, closed: an unbound Key does not know its algorithms; a Validator does."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unbound, forty = fastjwt.Key(b"short", kid="a"), fastjwt.Key(b"f" * 40, kid="b")  # no warning: no use yet
        Validator(keys=fastjwt.KeySet([forty]), algorithms=["HS256"])  # long enough for what it may verify
    with pytest.warns(InsecureKeyLengthWarning) as caught:
        validator = Validator(keys=fastjwt.KeySet([unbound, forty]), algorithms=["HS256", "HS384"])
    assert [(str(w.message), w.filename) for w in caught] == [
        (_short_text(5, 32, "SHA256"), __file__), (_short_text(5, 48, "SHA384"), __file__),
        (_short_text(40, 48, "SHA384"), __file__)]
    with pytest.warns(InsecureKeyLengthWarning) as caught:
        validator.update_keys(fastjwt.KeySet([fastjwt.Key(b"tiny", kid="c")]))
    assert [(str(w.message), w.filename) for w in caught] == [
        (_short_text(4, 32, "SHA256"), __file__), (_short_text(4, 48, "SHA384"), __file__)]
    # From a JWK Set too (kty oct without alg: unbound).
    jwks = {"keys": [{"kty": "oct", "kid": "d", "k": "c2hvcnQ"}]}
    with pytest.warns(InsecureKeyLengthWarning, match="^The HMAC key is 5 bytes long"):
        Validator(keys=fastjwt.KeySet.from_jwks(jwks, allow_symmetric=True), algorithms=["HS256"])


def test_a_bound_short_key_warns_once_when_made_and_enforcing_refuses_it_per_token() -> None:
    with pytest.warns(InsecureKeyLengthWarning, match="^The HMAC key is 5 bytes long") as caught:
        bound = fastjwt.Key(b"short", kid="a", alg="HS256")
    assert [w.filename for w in caught] == [__file__]
    token = fastjwt.encode({"sub": "x"}, HMAC_SECRET, algorithm="HS256", headers={"kid": "a"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Validator(keys=fastjwt.KeySet([bound]), algorithms=["HS256"])  # warned already
        unbound = fastjwt.Key(b"short", kid="a")
        enforcing = Validator(keys=fastjwt.KeySet([unbound]), algorithms=["HS256"],
                              options={"enforce_minimum_key_length": True})
        with pytest.raises(fastjwt.KeyNotFoundError) as info:
            enforcing.decode(token)
    assert str(info.value) == _short_text(5, 32, "SHA256")


def test_pyjwk_key(keys: Dict[str, Any]) -> None:
    jwk = fastjwt.PyJWK(fastjwt.algorithms.ECAlgorithm.to_jwk(keys["p256"].public_key(), as_dict=True))
    token = fastjwt.encode({"sub": "x"}, keys["p256"], algorithm="ES256")
    assert Validator(jwk, algorithms=["ES256"]).decode(token) == {"sub": "x"}
    with pytest.raises(
        InvalidAlgorithmError, match="^Token algorithm 'ES384' does not match the key's algorithm 'ES256'$"
    ):
        Validator(jwk, algorithms=["ES256", "ES384"]).decode(
            fastjwt.encode({"sub": "x"}, keys["p384"], algorithm="ES384")
        )


def test_key_forms(keys: Dict[str, Any]) -> None:
    public = keys["rsa"].public_key()
    token = fastjwt.encode({"sub": "x"}, keys["rsa"], algorithm="RS256")
    forms = [
        public,
        keys["rsa"],  # a private key verifies too
        public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode(),
        public.public_bytes(Encoding.PEM, PublicFormat.PKCS1),
        public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),
        public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH),
    ]
    for key in forms:
        assert Validator(key, algorithms=["RS256"]).decode(token) == {"sub": "x"}
