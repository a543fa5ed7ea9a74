"""Published JWS/JWT vectors (RFC 7515, 7519, 7520, 7797, 8037), loaded through fastjwt's JWK parser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

import fastjwt
from fastjwt import Validator
from fastjwt.jwk import load_jwk

DATA = json.loads((Path(__file__).parent / "data" / "rfc-jws.json").read_text())
VECTORS: List[Dict[str, Any]] = DATA["vectors"]
VALID = [v for v in VECTORS if v["valid"]]
INVALID = [v for v in VECTORS if not v["valid"]]


def vector_key(vector: Dict[str, Any]) -> Any:
    return load_jwk(vector["jwk"]).key


def options_for(vector: Dict[str, Any]) -> Dict[str, Any]:
    return {"verify_exp": vector.get("verify_exp", True)}


def test_the_vector_file_is_complete() -> None:
    assert len(VECTORS) == 16
    assert {v["alg"] for v in VALID} == {"HS256", "RS256", "ES256", "ES512", "PS384", "EdDSA"}
    assert len(INVALID) == 5


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v["id"])
def test_valid_vectors_verify(vector: Dict[str, Any]) -> None:
    key = vector_key(vector)
    algorithms = [vector["alg"]]
    if vector["kind"] == "jwt":
        claims = fastjwt.decode(vector["token"], key, algorithms=algorithms, options=options_for(vector))
        assert claims == vector["expected_claims"]
        complete = Validator(key, algorithms=algorithms, options=options_for(vector)).decode_complete(vector["token"])
        assert complete["payload"] == vector["expected_claims"]
        assert complete["header"] == vector["expected_header"]
        return
    # A JWS whose payload is not a JSON object: the signature layer verifies it...
    jws = fastjwt.PyJWS().decode_complete(vector["token"], key, algorithms=algorithms)
    assert jws["header"] == vector["expected_header"]
    assert fastjwt.utils.base64url_encode(jws["payload"]).decode() == vector["expected_payload_b64"]
    # ...and a JWT-claims decoder rejects it as a DecodeError, after the signature check.
    with pytest.raises(fastjwt.DecodeError, match="^Invalid payload string"):
        fastjwt.decode(vector["token"], key, algorithms=algorithms)
    with pytest.raises(fastjwt.DecodeError, match="^Invalid payload string"):
        Validator(key, algorithms=algorithms).decode(vector["token"])


@pytest.mark.parametrize("vector", [v for v in VALID if v.get("reproducible")], ids=lambda v: v["id"])
def test_deterministic_vectors_re_sign_byte_exact(vector: Dict[str, Any]) -> None:
    signing = load_jwk(vector.get("signing_jwk", vector["jwk"]), public_only=False).key
    header_b64, payload_b64, signature_b64 = vector["token"].split(".")
    algorithm = fastjwt.get_algorithm_by_name(vector["alg"])
    signature = algorithm.sign(f"{header_b64}.{payload_b64}".encode(), algorithm.prepare_key(signing))
    assert fastjwt.utils.base64url_encode(signature).decode() == signature_b64


@pytest.mark.parametrize("vector", INVALID, ids=lambda v: v["id"])
def test_invalid_vectors_are_rejected(vector: Dict[str, Any]) -> None:
    key = vector_key(vector)
    algorithms = vector.get("verify_algorithms", [vector["alg"]])
    algorithms = [a for a in algorithms if a != "none"]
    accepted = tuple(
        getattr(fastjwt.exceptions, name)
        for name in vector.get("acceptable_error_kinds", [vector["expected_error_kind"]])
    )
    expected = getattr(fastjwt.exceptions, vector["expected_error_kind"])
    with pytest.raises(accepted) as info:
        fastjwt.decode(vector["token"], key, algorithms=algorithms, options=options_for(vector))
    assert isinstance(info.value, accepted)
    with pytest.raises(accepted):
        Validator(key, algorithms=algorithms, options=options_for(vector)).decode(vector["token"])
    if "acceptable_error_kinds" not in vector:
        assert type(info.value) is expected
