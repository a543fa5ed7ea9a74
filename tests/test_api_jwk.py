"""PyJWK and PyJWKSet: malformed members are refused as keys and skipped by sets, with a log line."""

from __future__ import annotations

import logging
from typing import Any, Dict

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from fastjwt.algorithms import ECAlgorithm
from fastjwt.api_jwk import PyJWK, PyJWKSet
from fastjwt.exceptions import InvalidKeyError, PyJWKError, PyJWKSetError

#: An oct secret whose base64url text must never reach a log line.
SECRET_K = "VGhpcy1zZWNyZXQtbXVzdC1uZXZlci1yZWFjaC1hLWxvZy1saW5lLTEyMzQ1Njc4OQ"


@pytest.fixture(scope="module")
def good() -> Dict[str, Any]:
    jwk = ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key(), as_dict=True)
    jwk.update(kid="good", use="sig")
    return jwk


@pytest.mark.parametrize(
    "member, message",
    [
        ({"kty": "EC", "crv": ["P-256"], "x": "AA", "y": "AA"}, "Unsupported crv: ['P-256']"),
        ({"kty": "EC", "crv": {"name": "P-256"}, "x": "AA", "y": "AA"}, "Unsupported crv: {'name': 'P-256'}"),
        ({"kty": "OKP", "crv": ["Ed25519"], "x": "AA"}, "Unsupported crv: ['Ed25519']"),
        ({"kty": "OKP", "crv": 7, "x": "AA"}, "Unsupported crv: 7"),
        ({"kty": ["RSA"]}, "Unsupported kty: ['RSA']"),
    ],
    ids=["ec crv list", "ec crv object", "okp crv list", "okp crv number", "kty list"],
)
def test_non_string_crv_or_kty_is_unsupported_as_in_pyjwt(member: Dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidKeyError) as ours:
        PyJWK(member)
    with pytest.raises(pyjwt.exceptions.InvalidKeyError) as theirs:
        pyjwt.PyJWK(member)
    assert str(ours.value) == str(theirs.value) == message


def test_member_values_in_messages_are_bounded() -> None:
    deep: Any = "P-256"
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(InvalidKeyError, match=r"^Unsupported crv: \[\[\[\[\.\.\.\]\]\]\]$"):
        PyJWK({"kty": "EC", "crv": deep})
    with pytest.raises(InvalidKeyError) as caught:
        PyJWK({"kty": "EC", "crv": ["x" * 1000]})
    assert str(caught.value) == "Unsupported crv: ['" + "x" * 75 + "..."
    assert len(str(caught.value)) == len("Unsupported crv: ") + 80
    with pytest.raises(InvalidKeyError, match=r"^Unsupported kty: OCT\\x1b\]0;x\\x07$"):
        PyJWK({"kty": "OCT\x1b]0;x\x07"})  # a terminal control sequence is escaped


def test_alg_none_is_a_pyjwk_error() -> None:
    """PyJWT lets NotImplementedError escape; a JWK can never be a "none" key."""
    with pytest.raises(PyJWKError) as caught:
        PyJWK({"kty": "oct", "k": SECRET_K, "alg": "none"})
    assert type(caught.value) is PyJWKError
    assert str(caught.value) == 'A JWK cannot be used with the "none" algorithm'
    with pytest.raises(NotImplementedError):
        pyjwt.PyJWK({"kty": "oct", "k": SECRET_K, "alg": "none"})
    with pytest.raises(PyJWKError, match=r"^A JWK cannot be used with the \"none\" algorithm$"):
        PyJWK({"kty": "oct", "k": SECRET_K}, algorithm="none")


def test_a_set_skips_malformed_members_keeps_the_rest_and_logs_why(
    good: Dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fastjwt.jwks")
    members = [
        {"kty": "EC", "crv": ["P-256"], "x": good["x"], "y": good["y"], "kid": "crv-list"},
        {"kty": "oct", "k": SECRET_K, "alg": "none", "kid": "alg-none"},
        "not an object",
        {"kty": "oct", "k": SECRET_K, "alg": ["HS256"]},
        good,
    ]
    key_set = PyJWKSet(members)
    assert [key.key_id for key in key_set.keys] == ["good"]
    assert key_set["good"].algorithm_name == "ES256"
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "JWK Set member #0 (kid 'crv-list') skipped: InvalidKeyError: Unsupported crv: ['P-256']"),
        ("INFO", "JWK Set member #1 (kid 'alg-none') skipped: PyJWKError: "
                 'A JWK cannot be used with the "none" algorithm'),
        ("INFO", "JWK Set member #2 skipped: not a JSON object"),
        ("INFO", "JWK Set member #3 (kid none) skipped: PyJWKError: "
                 "Unable to find an algorithm for key: \"['HS256']\""),
    ]
    assert SECRET_K not in caplog.text and good["x"] not in caplog.text


def test_a_member_failing_in_another_library_is_skipped_with_its_class_only(
    good: Dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    class Exploding(dict):  # a member whose every read fails: any exception, not only PyJWT's
        def get(self, name: str, default: Any = None) -> Any:
            if name == "kty":
                raise RuntimeError(SECRET_K)
            return super().get(name, default)

    caplog.set_level(logging.INFO, logger="fastjwt.jwks")
    key_set = PyJWKSet([Exploding(kty="oct", k=SECRET_K, kid="boom"), good])
    assert [key.key_id for key in key_set.keys] == ["good"]
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "JWK Set member #0 (kid 'boom') skipped: malformed (RuntimeError)"),
    ]
    assert SECRET_K not in caplog.text


def test_a_set_of_only_unusable_members_still_fails_as_in_pyjwt() -> None:
    members = [{"kty": "EC", "crv": ["P-256"]}, {"kty": "oct", "k": SECRET_K, "alg": "none"}]
    with pytest.raises(PyJWKSetError, match=r"^The JWK Set did not contain any usable keys\. Perhaps"):
        PyJWKSet(members)
    with pytest.raises(PyJWKSetError, match=r"^The JWK Set did not contain any keys$"):
        PyJWKSet([])
