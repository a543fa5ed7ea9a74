"""The claim checker and header rules, with an explicit clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict

import pytest

from fastjwt.exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidJTIError,
    InvalidSubjectError,
    InvalidTokenError,
    MissingRequiredClaimError,
)
from fastjwt.rules import DEFAULT_OPTIONS, ClaimRules, check_header, merge_options, normalize_typ

NOW = 1_700_000_000.0


def rules(**kwargs: Any) -> ClaimRules:
    options = merge_options(DEFAULT_OPTIONS, kwargs.pop("options", None))
    return ClaimRules(options, **kwargs)


def check(payload: Dict[str, Any], now: float = NOW, **kwargs: Any) -> None:
    rules(**kwargs).check(payload, now)


# --- time claims -------------------------------------------------------------------


def test_exp_equal_to_now_is_expired() -> None:
    with pytest.raises(ExpiredSignatureError, match="^Signature has expired$"):
        check({"exp": int(NOW)})
    check({"exp": int(NOW) + 1})


@pytest.mark.parametrize("leeway", [10, 10.0, timedelta(seconds=10)])
def test_leeway_as_number_or_timedelta(leeway: Any) -> None:
    check({"exp": int(NOW) - 9, "nbf": int(NOW) + 9, "iat": int(NOW) + 9}, leeway=leeway)
    with pytest.raises(ExpiredSignatureError):
        check({"exp": int(NOW) - 10}, leeway=leeway)
    with pytest.raises(ImmatureSignatureError, match=r"^The token is not yet valid \(nbf\)$"):
        check({"nbf": int(NOW) + 11}, leeway=leeway)
    with pytest.raises(ImmatureSignatureError, match=r"^The token is not yet valid \(iat\)$"):
        check({"iat": int(NOW) + 11}, leeway=leeway)


def test_float_dates_truncate_like_pyjwt() -> None:
    check({"exp": NOW + 1.9})
    # int(NOW + 1.9) == NOW + 1, so at NOW + 1.5 the token has expired.
    with pytest.raises(ExpiredSignatureError):
        check({"exp": NOW + 1.9}, now=NOW + 1.5)


@pytest.mark.parametrize("value", [True, False, "1700000100", None, [1], {"a": 1}])
def test_non_numeric_dates_are_rejected(value: Any) -> None:
    with pytest.raises(DecodeError, match=r"^Expiration Time claim \(exp\) must be an integer.$"):
        check({"exp": value})
    with pytest.raises(DecodeError, match=r"^Not Before claim \(nbf\) must be an integer.$"):
        check({"nbf": value})
    with pytest.raises(InvalidIssuedAtError, match=r"^Issued At claim \(iat\) must be an integer.$"):
        check({"iat": value})


def test_time_checks_can_be_turned_off() -> None:
    check({"exp": 1, "nbf": 2**40, "iat": "x"}, options={"verify_exp": False, "verify_nbf": False, "verify_iat": False})


def test_max_age_from_iat() -> None:
    check({"iat": int(NOW) - 59}, max_age=60)
    with pytest.raises(ExpiredSignatureError, match=r"^The token is too old \(iat\)$"):
        check({"iat": int(NOW) - 60}, max_age=timedelta(minutes=1))
    check({"iat": int(NOW) - 60}, max_age=60, leeway=5)
    with pytest.raises(MissingRequiredClaimError, match='^Token is missing the "iat" claim$'):
        check({}, max_age=60)


# --- required claims -------------------------------------------------------------------


def test_required_claims_must_be_present_and_not_null() -> None:
    check({"sub": "x"}, options={"require": ["sub"]})
    for payload in ({}, {"sub": None}):
        with pytest.raises(MissingRequiredClaimError) as info:
            check(payload, options={"require": ["sub"]})
        assert info.value.claim == "sub"
        assert str(info.value) == 'Token is missing the "sub" claim'


def test_required_claims_are_checked_in_the_order_given() -> None:
    # Registered claims are read from the checker's one walk, others looked
    # up; either way the first missing or null one in `require` is named.
    require = {"require": ["tenant", "exp", "sub", "jti"]}
    check({"tenant": "t", "exp": int(NOW) + 5, "sub": "s", "jti": "j"}, options=require)
    for payload, missing in [
        ({"exp": int(NOW) + 5, "sub": "s", "jti": "j"}, "tenant"),
        ({"tenant": "t", "exp": None, "sub": "s", "jti": "j"}, "exp"),
        ({"tenant": "t", "exp": int(NOW) + 5, "jti": "j"}, "sub"),
        ({"tenant": None, "sub": None}, "tenant"),
        ({1: "x", "tenant": "t", "exp": int(NOW) + 5, "sub": "s"}, "jti"),
    ]:
        with pytest.raises(MissingRequiredClaimError) as info:
            check(payload, options=require)
        assert info.value.claim == missing
    with pytest.raises(TypeError):  # as payload.get([]) would
        check({"sub": "s"}, options={"require": [["sub"]]})


def test_require_still_applies_without_signature_verification() -> None:
    with pytest.raises(MissingRequiredClaimError):
        check({}, options={"verify_signature": False, "require": ["exp"]})


# --- audience -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("audience", "claim", "error", "message"),
    [
        (None, "api", InvalidAudienceError, "Invalid audience"),
        ("api", None, MissingRequiredClaimError, 'Token is missing the "aud" claim'),
        ("api", [], MissingRequiredClaimError, 'Token is missing the "aud" claim'),
        ("api", "web", InvalidAudienceError, "Audience doesn't match"),
        ("api", ["web", "cli"], InvalidAudienceError, "Audience doesn't match"),
        (["web", "cli"], "api", InvalidAudienceError, "Audience doesn't match"),
        ("api", 5, InvalidAudienceError, "Invalid claim format in token"),
        ("api", ["api", 5], InvalidAudienceError, "Invalid claim format in token"),
        ("api", {"api": 1}, InvalidAudienceError, "Invalid claim format in token"),
        ("ap", "api", InvalidAudienceError, "Audience doesn't match"),  # never a substring match
        ([], "api", InvalidAudienceError, "Audience doesn't match"),
    ],
)
def test_audience_failures(audience: Any, claim: Any, error: type, message: str) -> None:
    payload = {} if claim is None else {"aud": claim}
    with pytest.raises(error) as info:
        check(payload, audience=audience)
    assert type(info.value) is error
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("audience", "claim"),
    [("api", "api"), ("api", ["web", "api"]), (["web", "api"], "api"), ({"api", "x"}, ["api"]), (None, ""), (None, [])],
)
def test_audience_matches(audience: Any, claim: Any) -> None:
    check({"aud": claim}, audience=audience)


def test_audience_generator_is_consumed_once() -> None:
    compiled = rules(audience=(a for a in ["api", "web"]))
    compiled.check({"aud": "web"}, NOW)
    compiled.check({"aud": "api"}, NOW)


def test_audience_type_is_checked() -> None:
    with pytest.raises(TypeError, match="^audience must be a string, iterable or None$"):
        rules(audience=5)


@pytest.mark.parametrize(
    ("audience", "claim", "message"),
    [
        (["api"], "api", "Invalid audience (strict)"),
        ("api", ["api"], "Invalid claim format in token (strict)"),
        ("api", "web", "Audience doesn't match (strict)"),
    ],
)
def test_strict_audience(audience: Any, claim: Any, message: str) -> None:
    with pytest.raises(InvalidAudienceError) as info:
        check({"aud": claim}, audience=audience, options={"strict_aud": True})
    assert str(info.value) == message
    check({"aud": "api"}, audience="api", options={"strict_aud": True})


# --- issuer, subject, jti ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("issuer", "payload", "error", "message"),
    [
        ("https://a", {}, MissingRequiredClaimError, 'Token is missing the "iss" claim'),
        ("https://a", {"iss": 5}, InvalidIssuerError, "Payload Issuer (iss) must be a string"),
        ("https://a", {"iss": "https://b"}, InvalidIssuerError, "Invalid issuer"),
        ("https://ab", {"iss": "https://a"}, InvalidIssuerError, "Invalid issuer"),  # no substring match
        (["https://a", "https://b"], {"iss": "https://c"}, InvalidIssuerError, "Invalid issuer"),
        (5, {"iss": "https://a"}, InvalidIssuerError, 'Issuer param must be "str" or "Container[str]"'),
    ],
)
def test_issuer_failures(issuer: Any, payload: Dict[str, Any], error: type, message: str) -> None:
    with pytest.raises(error) as info:
        check(payload, issuer=issuer)
    assert type(info.value) is error
    assert str(info.value) == message


@pytest.mark.parametrize("issuer", ["https://a", ["https://b", "https://a"], ("https://a",), {"https://a"}])
def test_issuer_matches(issuer: Any) -> None:
    check({"iss": "https://a"}, issuer=issuer)


def test_issuer_ignored_without_expected_issuer() -> None:
    check({"iss": 5})


def test_subject_and_jti() -> None:
    check({"sub": "alice", "jti": "1"}, subject="alice")
    with pytest.raises(InvalidSubjectError, match="^Subject must be a string$"):
        check({"sub": 1})
    with pytest.raises(InvalidSubjectError, match="^Invalid subject$"):
        check({"sub": "bob"}, subject="alice")
    with pytest.raises(InvalidJTIError, match="^JWT ID must be a string$"):
        check({"jti": 1})
    check({"sub": 1, "jti": 1}, options={"verify_sub": False, "verify_jti": False})


# --- order --------------------------------------------------------------------------


def test_check_order_is_pyjwts() -> None:
    # require, iat, nbf, exp, iss, aud, sub, jti
    payload = {"iat": int(NOW) + 100, "nbf": int(NOW) + 100, "exp": 1, "iss": "x", "aud": "x", "sub": 1, "jti": 1}
    kwargs = {"audience": "api", "issuer": "https://a"}
    with pytest.raises(MissingRequiredClaimError):
        check(payload, options={"require": ["scope"]}, **kwargs)
    with pytest.raises(ImmatureSignatureError, match=r"\(iat\)"):
        check(payload, **kwargs)
    with pytest.raises(ImmatureSignatureError, match=r"\(nbf\)"):
        check(payload, options={"verify_iat": False}, **kwargs)
    with pytest.raises(ExpiredSignatureError):
        check(payload, options={"verify_iat": False, "verify_nbf": False}, **kwargs)
    with pytest.raises(InvalidIssuerError):
        check(payload, options={"verify_iat": False, "verify_nbf": False, "verify_exp": False}, **kwargs)
    with pytest.raises(InvalidAudienceError):
        check(
            payload,
            options={"verify_iat": False, "verify_nbf": False, "verify_exp": False, "verify_iss": False},
            **kwargs,
        )
    with pytest.raises(InvalidSubjectError):
        check(payload, audience="x", options={"verify_iat": False, "verify_nbf": False, "verify_exp": False})
    with pytest.raises(InvalidJTIError):
        check(
            payload,
            audience="x",
            options={"verify_iat": False, "verify_nbf": False, "verify_exp": False, "verify_sub": False},
        )


# --- options ----------------------------------------------------------------------------


def test_merge_options_turns_unset_checks_off_without_signature() -> None:
    given = {"verify_signature": False, "verify_exp": True}
    merged = merge_options(DEFAULT_OPTIONS, given)
    assert given == {"verify_signature": False, "verify_exp": True}  # never mutated
    assert merged["verify_exp"] is True
    assert merged["verify_aud"] is False and merged["verify_iat"] is False
    assert merge_options(DEFAULT_OPTIONS, None) == DEFAULT_OPTIONS
    assert merge_options(DEFAULT_OPTIONS, {"unknown": 1})["unknown"] == 1


# --- header ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ({"alg": "HS256", "kid": 5}, "Key ID header parameter must be a string"),
        ({"alg": "HS256", "crit": []}, "Invalid 'crit' header: must be a non-empty list"),
        ({"alg": "HS256", "crit": "b64"}, "Invalid 'crit' header: must be a non-empty list"),
        ({"alg": "HS256", "crit": [1]}, "Invalid 'crit' header: values must be strings"),
        ({"alg": "HS256", "crit": ["x"], "x": 1}, "Unsupported critical extension: x"),
        ({"alg": "HS256", "crit": ["b64"]}, "Critical extension 'b64' is missing from headers"),
    ],
)
def test_header_rules(header: Dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidTokenError) as info:
        check_header(header)
    assert type(info.value) is InvalidTokenError
    assert str(info.value) == message


def test_header_rules_accept() -> None:
    check_header({"alg": "HS256", "kid": "k1", "typ": "JWT", "crit": ["b64"], "b64": True})


@pytest.mark.parametrize(
    ("typ", "expected"),
    [
        ("at+jwt", "at+jwt"),
        ("AT+JWT", "at+jwt"),
        ("application/at+jwt", "at+jwt"),
        ("Application/AT+JWT", "at+jwt"),
        ("JWT", "jwt"),
    ],
)
def test_normalize_typ(typ: str, expected: str) -> None:
    assert normalize_typ(typ) == expected


@pytest.mark.parametrize(
    "claim, value, error",
    [
        ("exp", 2**53 + 1, None),  # beyond exact doubles: compared as Python ints
        ("exp", 2**80, None),
        ("exp", -(2**80), ExpiredSignatureError),
        ("exp", int(NOW), ExpiredSignatureError),
        ("nbf", 2**64, ImmatureSignatureError),
        ("iat", 2**64, ImmatureSignatureError),
        ("nbf", -(2**64), None),
        ("exp", True, DecodeError),  # a bool is not a NumericDate
        ("iat", None, InvalidIssuedAtError),
        ("nbf", "1", DecodeError),
    ],
)
def test_numeric_dates_compare_exactly_at_any_magnitude(claim: str, value: Any, error: Any) -> None:
    if error is None:
        check({claim: value})
    else:
        with pytest.raises(error):
            check({claim: value})


def test_claims_under_keys_that_are_not_plain_str_are_still_found() -> None:
    # The checker finds claims in one walk over exact str keys (a JSON
    # parser's); any other key sends it to lookups by name, which match a str
    # subclass of equal text as before.
    class Name(str):
        pass

    with pytest.raises(ExpiredSignatureError):
        check({1: "x", "exp": int(NOW)})
    with pytest.raises(ExpiredSignatureError):
        check({Name("exp"): int(NOW)})
    with pytest.raises(InvalidAudienceError, match="^Audience doesn't match$"):
        check({Name("aud"): "web", "exp": int(NOW) + 5}, audience="api")


def test_dates_compare_exactly_around_now_with_fractional_clocks() -> None:
    # exp is an int, now a float: Python's exact int/float comparison.
    check({"exp": int(NOW) + 1}, now=NOW + 0.999999)
    with pytest.raises(ExpiredSignatureError):
        check({"exp": int(NOW) + 1}, now=NOW + 1.0)
    check({"nbf": int(NOW) + 1}, now=NOW + 1.0)
    with pytest.raises(ImmatureSignatureError):
        check({"nbf": int(NOW) + 1}, now=NOW + 0.999999)
