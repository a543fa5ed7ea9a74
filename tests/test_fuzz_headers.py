"""Fuzz target (hypothesis): header fields that reach messages and policies.

``typ``, ``crit``, ``kid`` and ``cty`` carry any JSON value (every type,
nested, huge numbers, control characters, bidi overrides, long strings) in
tokens whose signature is valid, so every header rule and policy sees them.
Properties, through ``Validator`` (one key, and a key set), ``fastjwt.decode``,
``get_unverified_header`` and ``fastjwt verify``:

* the outcome is a dict or an ``InvalidTokenError`` subclass, never another
  exception (``RecursionError``, ``TypeError``...);
* every message is printable (no control character reaches a terminal or a
  log line) and short;
* the Validator's verdict is the policy's, computed by a model below: the
  ``kid`` type rule, then ``crit``, then (with a key set) the ``kid`` lookup,
  then ``typ`` (a non-string ``typ`` is a mismatch); ``cty`` is ignored.

Derandomized, no example database, a bounded number of examples: a few
seconds, the same run every time, so CI runs it with the suite.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from typing import Any, Dict, Tuple

from _support import HMAC_SECRET
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import fastjwt
from fastjwt import InvalidTokenError, InvalidTokenTypeError, KeyNotFoundError, Validator
from fastjwt._safe_text import describe, printable
from fastjwt.cli import main

FIELDS = ("typ", "crit", "kid", "cty")
EXPECTED_TYP = "at+jwt"

#: Characters that break naive output: C0/C1 controls, DEL, bidi and invisible format characters.
_HOSTILE = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0), 0x202E, 0x2066, 0x200B, 0xFEFF, 0xE0001)]
_text = st.text(alphabet=st.one_of(st.sampled_from(_HOSTILE), st.characters(exclude_categories=("Cs",))), max_size=24)
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), _text,
    st.sampled_from(["at+jwt", "AT+JWT", "application/at+jwt", "JWT", "b64", "k1", "exp", ""]),
)
_json_values = st.recursive(
    _scalars, lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(_text, children, max_size=3)),
    max_leaves=12,
)
_headers = st.fixed_dictionaries(
    {},
    optional={
        "typ": st.one_of(st.sampled_from(["at+jwt", "Application/AT+JWT", "at+jwt "]), _json_values),
        "crit": st.one_of(st.lists(st.one_of(st.sampled_from(["b64", "exp"]), _text), max_size=3), _json_values),
        "kid": st.one_of(st.just("k1"), _text, _json_values),
        "cty": _json_values,
    },
)

_KEY_SET = fastjwt.KeySet([fastjwt.Key(HMAC_SECRET, kid="k1", alg="HS256")])
_SINGLE = Validator(HMAC_SECRET, algorithms=["HS256"], typ=EXPECTED_TYP, cache=False)
_WITH_SET = Validator(keys=_KEY_SET, algorithms=["HS256"], typ=EXPECTED_TYP, cache=False)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(header: Dict[str, Any]) -> str:
    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(b'{"sub":"alice"}')
    return f"{signing_input}.{_b64(hmac.new(HMAC_SECRET, signing_input.encode(), hashlib.sha256).digest())}"


def _outcome(call: Any) -> Tuple[type, str]:
    try:
        result = call()
    except InvalidTokenError as err:
        return type(err), str(err)
    assert isinstance(result, dict), result
    return dict, ""


def _model(header: Dict[str, Any], key_set: bool) -> Tuple[type, str]:
    """What the policy says of ``header``, in the Validator's order."""
    missing = object()
    kid = header.get("kid", missing)
    if kid is not missing and not isinstance(kid, str):
        return InvalidTokenError, "Key ID header parameter must be a string"
    if "crit" in header:
        crit = header["crit"]
        if not isinstance(crit, list) or not crit:
            return InvalidTokenError, "Invalid 'crit' header: must be a non-empty list"
        for ext in crit:
            if not isinstance(ext, str):
                return InvalidTokenError, "Invalid 'crit' header: values must be strings"
            if ext != "b64":
                return InvalidTokenError, f"Unsupported critical extension: {printable(ext)}"
            if ext not in header:
                return InvalidTokenError, f"Critical extension '{printable(ext)}' is missing from headers"
    if key_set and kid is not missing and kid != "k1":
        return KeyNotFoundError, f"Unable to find a signing key that matches: {describe(kid)}"
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() not in (EXPECTED_TYP, "application/" + EXPECTED_TYP):
        return InvalidTokenTypeError, "Invalid token type (typ header)"
    return dict, ""


def _deep(depth: int) -> Any:
    value: Any = "\x1b]0;t\x07"
    for _ in range(depth):
        value = [value]
    return value


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(header=_headers)
@example(header={"typ": _deep(200)})
@example(header={"crit": [_deep(200)], "kid": "k1"})
@example(header={"crit": ["\x1b]0;retitled\x07"], "typ": "at+jwt"})
@example(header={"kid": "\u202e" + "k" * 5000, "typ": "at+jwt"})
@example(header={"cty": {"a": _deep(150)}, "typ": "at+jwt", "kid": "k1"})
def test_header_fields_reach_messages_and_policies_safely(header: Dict[str, Any]) -> None:
    token = _sign({"alg": "HS256", **header})
    single = _outcome(lambda: _SINGLE.decode(token))
    with_set = _outcome(lambda: _WITH_SET.decode(token))
    assert single == _model(header, key_set=False)
    assert with_set == _model(header, key_set=True)
    for kind, message in (
        single,
        with_set,
        _outcome(lambda: fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256"])),
        _outcome(lambda: fastjwt.get_unverified_header(token)),
    ):
        assert kind is dict or issubclass(kind, InvalidTokenError)
        assert message.isprintable() and len(message) <= 160, message
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["verify", token, "--key", HMAC_SECRET.decode(), "--alg", "HS256", "--typ", EXPECTED_TYP, "-q"])
    expected = "" if single[0] is dict else f"rejected: {single[0].__name__}: {single[1]}\n"
    assert (code, out.getvalue(), err.getvalue()) == (0 if single[0] is dict else 1, expected, "")
