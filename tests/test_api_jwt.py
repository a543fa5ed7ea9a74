"""PyJWT-compatible module API: parameters, options and warnings."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from _support import HMAC_SECRET

import fastjwt
from fastjwt.warnings import RemovedInPyjwt3Warning


def test_round_trip_and_complete() -> None:
    claims = {"sub": "alice", "exp": int(time.time()) + 60, "nested": {"list": [1, 2.5, None, True]}}
    token = fastjwt.encode(claims, HMAC_SECRET, headers={"kid": "v1"})
    assert isinstance(token, str)
    assert fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256"]) == claims
    complete = fastjwt.decode_complete(token.encode(), HMAC_SECRET, algorithms=["HS256"])
    assert complete["header"] == {"alg": "HS256", "kid": "v1", "typ": "JWT"}
    assert complete["payload"] == claims
    assert isinstance(complete["signature"], bytes) and len(complete["signature"]) == 32


def test_datetime_claims_and_json_encoder() -> None:
    class DecimalEncoder(json.JSONEncoder):
        def default(self, o: Any) -> Any:
            return str(o) if isinstance(o, Decimal) else super().default(o)

    exp = datetime(2100, 1, 1, tzinfo=timezone.utc)
    token = fastjwt.encode({"exp": exp, "price": Decimal("1.10")}, HMAC_SECRET, json_encoder=DecimalEncoder)
    assert fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256"]) == {"exp": 4102444800, "price": "1.10"}


def test_encode_errors() -> None:
    with pytest.raises(TypeError, match="^Expecting a dict object"):
        fastjwt.encode(["a"], HMAC_SECRET)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^Issuer \(iss\) must be a string.$"):
        fastjwt.encode({"iss": 1}, HMAC_SECRET)
    with pytest.raises(NotImplementedError, match="^Algorithm not supported$"):
        fastjwt.encode({}, HMAC_SECRET, algorithm="hs256")


_NON_FINITE = (float("nan"), float("inf"), float("-inf"))


@pytest.mark.parametrize("value", _NON_FINITE, ids=("nan", "inf", "-inf"))
@pytest.mark.parametrize(
    "where",
    (
        lambda v: {"iat": v},
        lambda v: {"exp": 4102444800, "nested": {"deeper": [1, v]}},
        lambda v: {"list": [[v]]},
    ),
    ids=("claim", "nested object", "nested list"),
)
def test_encode_refuses_non_finite_numbers_in_the_payload(value: float, where: Any) -> None:
    message = (
        "^The payload contains a non-finite number \\(NaN, Infinity or -Infinity\\), "
        "which JSON \\(RFC 8259\\) cannot represent$"
    )
    with pytest.raises(ValueError, match=message):
        fastjwt.encode(where(value), HMAC_SECRET)
    with pytest.raises(ValueError, match=message):
        fastjwt.PyJWT().encode(where(value), HMAC_SECRET, algorithm="HS512")


@pytest.mark.parametrize("value", _NON_FINITE, ids=("nan", "inf", "-inf"))
def test_encode_refuses_non_finite_numbers_in_the_header(value: float) -> None:
    message = "^The header contains a non-finite number \\(NaN, Infinity or -Infinity\\)"
    with pytest.raises(ValueError, match=message):
        fastjwt.encode({"sub": "a"}, HMAC_SECRET, headers={"x-extra": {"v": [value]}})
    with pytest.raises(ValueError, match=message):
        fastjwt.PyJWS().encode(b"{}", HMAC_SECRET, algorithm="HS256", headers={"x-extra": value}, sort_headers=False)


def test_encode_refuses_non_finite_numbers_from_a_json_encoder() -> None:
    class NaNEncoder(json.JSONEncoder):
        def default(self, o: Any) -> Any:
            return float("nan") if isinstance(o, Decimal) else super().default(o)

    with pytest.raises(ValueError, match="^The payload contains a non-finite number"):
        fastjwt.encode({"price": Decimal("1.10")}, HMAC_SECRET, json_encoder=NaNEncoder)
    with pytest.raises(ValueError, match="^The header contains a non-finite number"):
        fastjwt.encode({}, HMAC_SECRET, headers={"price": Decimal("1")}, json_encoder=NaNEncoder)


def test_encode_keeps_other_json_errors_and_finite_floats() -> None:
    circular: dict = {}
    circular["self"] = circular
    with pytest.raises(ValueError, match="^Circular reference detected$"):
        fastjwt.encode(circular, HMAC_SECRET)
    with pytest.raises(TypeError, match="is not JSON serializable"):
        fastjwt.encode({"x": object()}, HMAC_SECRET)
    claims = {"exp": 4102444800.5, "big": 1.7976931348623157e308, "tiny": -5e-324}
    token = fastjwt.encode(claims, HMAC_SECRET)
    assert fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256"]) == claims


def test_extra_kwargs_warn_and_are_ignored() -> None:
    token = fastjwt.encode({"a": 1}, HMAC_SECRET)
    with pytest.warns(RemovedInPyjwt3Warning, match=r"Unsupported kwargs: \('foo',\)"):
        assert fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256"], foo=1) == {"a": 1}


def test_verify_argument_mismatch_warns() -> None:
    token = fastjwt.encode({"a": 1}, HMAC_SECRET)
    with pytest.warns(DeprecationWarning, match="The `verify` argument to `decode` does nothing"):
        fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256"], verify=False)


def test_options_dicts_are_not_mutated_or_sticky() -> None:
    options = {"verify_signature": False}
    expired = fastjwt.encode({"exp": 1}, HMAC_SECRET)
    assert fastjwt.decode(expired, options=options) == {"exp": 1}
    assert options == {"verify_signature": False}
    with pytest.raises(fastjwt.ExpiredSignatureError):
        fastjwt.decode(expired, HMAC_SECRET, algorithms=["HS256"])


def test_instance_options_merge() -> None:
    instance = fastjwt.PyJWT(options={"verify_exp": False})
    expired = fastjwt.encode({"exp": 1}, HMAC_SECRET)
    assert instance.decode(expired, HMAC_SECRET, algorithms=["HS256"]) == {"exp": 1}
    assert instance.options["verify_exp"] is False and instance.options["verify_aud"] is True


def test_leeway_timedelta() -> None:
    token = fastjwt.encode({"exp": int(time.time()) - 5}, HMAC_SECRET)
    assert fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256"], leeway=timedelta(seconds=30))
    with pytest.raises(fastjwt.ExpiredSignatureError):
        fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256"], leeway=1)


def test_subclass_hooks_are_called() -> None:
    class Upper(fastjwt.PyJWT):
        def _decode_payload(self, decoded: Any) -> Any:
            claims = super()._decode_payload(decoded)
            return {k: v.upper() if isinstance(v, str) else v for k, v in claims.items()}

    token = fastjwt.encode({"sub": "alice"}, HMAC_SECRET)
    assert Upper().decode(token, HMAC_SECRET, algorithms=["HS256"]) == {"sub": "ALICE"}


def test_private_validators_pyjwt_users_call() -> None:
    instance = fastjwt.PyJWT()
    instance._validate_iss({"iss": "a"}, "a")
    with pytest.raises(fastjwt.InvalidIssuerError):
        instance._validate_iss({"iss": "a"}, "b")
    with pytest.raises(fastjwt.InvalidAudienceError, match=r"^Invalid audience \(strict\)$"):
        instance._validate_aud({"aud": "a"}, ["a"], strict=True)
    with pytest.raises(fastjwt.MissingRequiredClaimError):
        instance._validate_required_claims({"exp": 1}, ["sub"])
    instance._validate_required_claims({"exp": 1}, ["exp"])  # nothing else is checked: exp=1 is expired
