"""Differential tests: PyJWT 2.15.1 is the oracle for fastjwt's PyJWT-compatible API.

Layout:
  * round trips for every algorithm, both directions, byte-identical where
    the algorithm is deterministic;
  * a large table of bad and edge inputs where both libraries must raise the
    same exception class with the same message (or return identical results),
    with the expected class asserted explicitly on both sides;
  * check order (tokens with several faults);
  * namespace and exception hierarchy;
  * PyJWT behaviours fastjwt deliberately changes, each with fastjwt's exact
    documented behaviour (these are NOT in the equality table);
  * ``fastjwt.Validator`` against ``fastjwt.decode`` over the same table.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import json
import re
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import jwt as pyjwt
import pytest
from _helpers_compat import (
    ALGORITHMS,
    DETERMINISTIC,
    HMAC_SECRET,
    Keys,
    Outcome,
    b64url,
    b64url_dec,
    get_keys,
    now,
    raw_token,
    run,
    same_outcome,
    sign,
    signing_key,
    strict_equal,
    verifying_key,
)
from cryptography.hazmat.primitives import serialization

import fastjwt
import fastjwt.exceptions

LIBS = (pyjwt, fastjwt)


@pytest.fixture(scope="module")
def keys() -> Keys:
    return get_keys()


# PyJWT 2.15.1 formats the allowed key classes of check_crypto_key_type with a
# generator expression, so its message contains "<generator object ... at 0x..>"
# (nondeterministic). Only that list is normalised; the rest must match.
_EXPECTED_ONE_OF = re.compile(r"^Expected one of .*?, got: ")


def normalize(message: Optional[str]) -> Optional[str]:
    if message is None:
        return None
    return _EXPECTED_ONE_OF.sub("Expected one of <classes>, got: ", message)


def assert_same(py: Outcome, fast: Outcome, *, compare_warnings: bool = True) -> None:
    py.message, fast.message = normalize(py.message), normalize(fast.message)
    assert same_outcome(py, fast, compare_warnings=compare_warnings), f"\nPyJWT:   {py!r}\nfastjwt: {fast!r}"


# ---------------------------------------------------------------------------
# 1. Round trips for every algorithm
# ---------------------------------------------------------------------------


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            return str(o)
        if isinstance(o, uuid.UUID):
            return o.hex
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        return super().default(o)


def _payload() -> Dict[str, Any]:
    t = now()
    return {
        "sub": "user-1",
        "iss": "https://issuer.example",
        "aud": ["api", "web"],
        "iat": t,
        "nbf": t - 10,
        "exp": t + 600,
        "jti": "j-1",
        "scope": ["read", "write"],
        "nested": {"a": [1, 2.5, None, True, False, {"b": "c"}], "z": {}},
        "unicode": "h\u00e9llo \u2713 \U0001f600",
        "big": 2**70,
        "neg_big": -(2**80),
        "float": 0.1,
        "empty": "",
    }


_HEADERS = {"kid": "key-1", "x5t": "abc", "cty": "JWT", "zzz": [1, {"y": None}]}


@pytest.mark.parametrize("case_id, alg, key_name", ALGORITHMS, ids=[a[0] for a in ALGORITHMS])
def test_pyjwt_tokens_decode_in_fastjwt(keys: Keys, case_id: str, alg: str, key_name: str) -> None:
    payload = _payload()
    token = pyjwt.encode(payload, signing_key(keys, key_name), algorithm=alg, headers=_HEADERS)
    kwargs = dict(algorithms=[alg], audience="api", issuer="https://issuer.example", subject="user-1")
    for verify_key in (verifying_key(keys, key_name),) + ((signing_key(keys, key_name),) if key_name != "hmac" else ()):
        py = run(pyjwt.decode_complete, token, verifying_key(keys, key_name), **kwargs)
        fast = run(fastjwt.decode_complete, token, verify_key, **kwargs)
        assert py.ok, py
        assert fast.ok, fast
        assert_same(py, fast)
        assert fast.value["payload"] == payload
        assert fast.value["header"] == {"alg": alg, "typ": "JWT", **_HEADERS}
    # str and bytes tokens alike
    fast_b = run(lambda: fastjwt.decode(token.encode(), verifying_key(keys, key_name), **kwargs))
    assert fast_b.ok and strict_equal(fast_b.value, payload), fast_b


@pytest.mark.parametrize("case_id, alg, key_name", ALGORITHMS, ids=[a[0] for a in ALGORITHMS])
def test_fastjwt_tokens_decode_in_pyjwt(keys: Keys, case_id: str, alg: str, key_name: str) -> None:
    payload = _payload()
    token = run(lambda: fastjwt.encode(payload, signing_key(keys, key_name), algorithm=alg, headers=_HEADERS))
    assert token.ok, token
    assert isinstance(token.value, str)
    kwargs = dict(algorithms=[alg], audience="web", issuer=["x", "https://issuer.example"])
    py = run(lambda: pyjwt.decode_complete(token.value, verifying_key(keys, key_name), **kwargs))
    fast = run(lambda: fastjwt.decode_complete(token.value, verifying_key(keys, key_name), **kwargs))
    assert py.ok, py
    assert fast.ok, fast
    assert_same(py, fast)
    assert py.value["payload"] == payload


_ENCODE_VARIANTS: List[Tuple[str, Callable[[], Dict[str, Any]]]] = [
    ("plain", lambda: dict(payload={"a": 1})),
    ("claims", lambda: dict(payload=_payload(), headers=_HEADERS)),
    ("unsorted-headers", lambda: dict(payload={"b": 1, "a": 2}, headers={"z": 1, "kid": "k", "a": 2}, sort_headers=False)),
    ("sorted-headers", lambda: dict(payload={"b": 1, "a": 2}, headers={"z": 1, "kid": "k", "a": 2}, sort_headers=True)),
    ("typ-none", lambda: dict(payload={"a": 1}, headers={"typ": None})),
    ("typ-empty", lambda: dict(payload={"a": 1}, headers={"typ": ""})),
    ("typ-custom", lambda: dict(payload={"a": 1}, headers={"typ": "at+jwt"})),
    ("b64-true", lambda: dict(payload={"a": 1}, headers={"b64": True})),
    ("empty-headers", lambda: dict(payload={}, headers={})),
    (
        "json-encoder",
        lambda: dict(
            payload={"d": decimal.Decimal("1.50"), "u": uuid.UUID(int=7), "s": {"b", "a"}},
            headers={"x": decimal.Decimal("2")},
            json_encoder=_Encoder,
        ),
    ),
    (
        "datetime-claims",
        lambda: dict(
            payload={
                "exp": datetime.datetime(2999, 1, 2, 3, 4, 5, 678, tzinfo=datetime.timezone.utc),
                "iat": datetime.datetime(2000, 1, 1),
                "nbf": datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=5))),
                "other": 1,
            }
        ),
    ),
    ("non-ascii", lambda: dict(payload={"\u00e9": "\u2713", "e": "\U0001f600"}, headers={"kid": "\u00e9"})),
]


@pytest.mark.parametrize("case_id, alg, key_name", [a for a in ALGORITHMS if a[1] in DETERMINISTIC], ids=[a[0] for a in ALGORITHMS if a[1] in DETERMINISTIC])
@pytest.mark.parametrize("variant", [v[0] for v in _ENCODE_VARIANTS])
def test_deterministic_encoders_are_byte_identical(keys: Keys, case_id: str, alg: str, key_name: str, variant: str) -> None:
    # One set of arguments for both: the claims variant reads the clock, and two
    # calls straddling a second would differ in iat.
    args = dict(_ENCODE_VARIANTS)[variant]()
    key = signing_key(keys, key_name)
    py = run(lambda: pyjwt.encode(key=key, algorithm=alg, **copy.deepcopy(args)))
    fast = run(lambda: fastjwt.encode(key=key, algorithm=alg, **copy.deepcopy(args)))
    assert py.ok, py
    assert fast.ok, fast
    assert_same(py, fast)


_ENCODE_CASES: List[Tuple[str, str, Callable[[Keys], Dict[str, Any]]]] = [
    # (id, expected PyJWT outcome class, kwargs)
    ("default-alg", "ok", lambda k: dict(payload={"a": 1}, key=k.hmac)),
    ("alg-from-headers", "ok", lambda k: dict(payload={"a": 1}, key=k.hmac, algorithm="HS256", headers={"alg": "HS512"})),
    ("headers-alg-empty", "ok", lambda k: dict(payload={"a": 1}, key=k.hmac, algorithm="HS384", headers={"alg": ""})),
    ("none-alg", "ok", lambda k: dict(payload={"a": 1}, key=None, algorithm="none")),
    ("algorithm-None-is-none", "ok", lambda k: dict(payload={"a": 1}, key=None, algorithm=None)),
    ("none-with-empty-key", "ok", lambda k: dict(payload={"a": 1}, key="", algorithm="none")),
    ("none-with-key", "InvalidKeyError", lambda k: dict(payload={"a": 1}, key="secret", algorithm="none")),
    ("short-hmac-key-warns", "ok", lambda k: dict(payload={"a": 1}, key="short", algorithm="HS256")),
    ("short-hmac-key-hs512-warns", "ok", lambda k: dict(payload={"a": 1}, key=b"x" * 63, algorithm="HS512")),
    ("short-rsa-key-warns", "ok", lambda k: dict(payload={"a": 1}, key=k.rsa_small, algorithm="RS256")),
    ("payload-not-dict", "TypeError", lambda k: dict(payload=[1], key=k.hmac)),
    ("payload-str", "TypeError", lambda k: dict(payload="{}", key=k.hmac)),
    ("iss-not-str", "TypeError", lambda k: dict(payload={"iss": 1}, key=k.hmac)),
    ("iss-none", "TypeError", lambda k: dict(payload={"iss": None}, key=k.hmac)),
    ("unknown-alg", "NotImplementedError", lambda k: dict(payload={}, key=k.hmac, algorithm="HS999")),
    ("miscased-alg", "NotImplementedError", lambda k: dict(payload={}, key=k.hmac, algorithm="hs256")),
    ("kid-int", "InvalidTokenError", lambda k: dict(payload={}, key=k.hmac, headers={"kid": 1})),
    ("kid-none", "InvalidTokenError", lambda k: dict(payload={}, key=k.hmac, headers={"kid": None})),
    ("crit-not-validated-on-encode", "ok", lambda k: dict(payload={}, key=k.hmac, headers={"crit": ["exp"]})),
    ("hmac-key-is-pem", "InvalidKeyError", lambda k: dict(payload={}, key=k.pem_public("rsa"), algorithm="HS256")),
    ("hmac-key-empty", "InvalidKeyError", lambda k: dict(payload={}, key=b"", algorithm="HS256")),
    ("b64-false", "ok", lambda k: dict(payload={"a": 1}, key=k.hmac, headers={"b64": False})),
    ("b64-false-with-crit", "ok", lambda k: dict(payload={"a": 1}, key=k.hmac, headers={"b64": False, "crit": ["b64"]})),
    ("b64-false-crit-not-list", "InvalidTokenError", lambda k: dict(payload={"a": 1}, key=k.hmac, headers={"b64": False, "crit": "x"})),
    ("b64-false-crit-none", "InvalidTokenError", lambda k: dict(payload={"a": 1}, key=k.hmac, headers={"b64": False, "crit": None})),
    ("datetime-naive-exp", "ok", lambda k: dict(payload={"exp": datetime.datetime(2100, 1, 1)}, key=k.hmac)),
]


@pytest.mark.parametrize("case_id, expected, make", _ENCODE_CASES, ids=[c[0] for c in _ENCODE_CASES])
def test_encode_matches_pyjwt(keys: Keys, case_id: str, expected: str, make: Callable[[Keys], Dict[str, Any]]) -> None:
    py = run(lambda: pyjwt.encode(**make(keys)))
    fast = run(lambda: fastjwt.encode(**make(keys)))
    assert py.name == expected, py
    assert fast.name == expected, fast
    assert_same(py, fast)


# ---------------------------------------------------------------------------
# 2. The equality table
# ---------------------------------------------------------------------------


class Lazy:
    """A value computed from the keys at test time."""

    def __init__(self, fn: Callable[[Keys], Any]) -> None:
        self.fn = fn


@dataclass
class JWK:
    """A JWK dict to be wrapped in each library's own PyJWK at test time."""

    data: Callable[[Keys], Dict[str, Any]]
    algorithm: Optional[str] = None


OMIT = object()


@dataclass
class Case:
    id: str
    token: Callable[[Keys], Any]
    expect: str  # PyJWT's outcome: "ok" or the exception class name
    kwargs: Dict[str, Any] = field(default_factory=dict)

    def resolved(self, keys: Keys, lib: Any) -> Dict[str, Any]:
        merged: Dict[str, Any] = {"key": Lazy(lambda k: k.hmac), "algorithms": ["HS256"]}
        merged.update(self.kwargs)
        out = {}
        for name, value in merged.items():
            if value is OMIT:
                continue
            if isinstance(value, Lazy):
                value = value.fn(keys)
            elif isinstance(value, JWK):
                value = lib.PyJWK(value.data(keys), value.algorithm)
            elif isinstance(value, dict) and name == "options":
                value = copy.deepcopy(value)
            out[name] = value
        return out


def T(payload: Any = None, header: Any = None, key_name: Optional[str] = None, **kw: Any) -> Callable[[Keys], str]:
    """A token builder; ``payload``/``header`` may be callables (evaluated at test time)."""

    def build(keys: Keys) -> str:
        p = payload() if callable(payload) else payload
        h = header() if callable(header) else header
        if key_name is not None:
            kw["key"] = keys.private(key_name)
        return raw_token(h, p, **kw)

    return build


def S(value: Any) -> Callable[[Keys], Any]:
    return lambda keys: value


def with_segments(header_seg: Optional[str] = None, payload_seg: Optional[str] = None, sig_seg: Optional[str] = None, sign_it: bool = True) -> Callable[[Keys], str]:
    """A token whose raw segments are replaced; signed over the raw signing input."""

    def build(keys: Keys) -> str:
        h = header_seg if header_seg is not None else b64url(b'{"alg":"HS256","typ":"JWT"}')
        p = payload_seg if payload_seg is not None else b64url(b'{"sub":"x"}')
        s = sig_seg
        if s is None:
            s = b64url(sign("HS256", keys.hmac, f"{h}.{p}".encode())) if sign_it else b64url(b"\0" * 32)
        return f"{h}.{p}.{s}"

    return build


def good(keys: Keys) -> str:
    return raw_token({"alg": "HS256", "typ": "JWT"}, {"sub": "x"})


def flip_last(seg: str) -> str:
    """Change the last base64url character to another canonical one."""
    return seg[:-1] + ("A" if seg[-1] != "A" else "Q")


def forged(keys: Keys, payload: Any = None) -> str:
    tok = raw_token({"alg": "HS256"}, payload() if callable(payload) else (payload or {"sub": "x"}))
    h, p, s = tok.split(".")
    return f"{h}.{p}.{b64url(bytes(32))}"


def noncanonical(seg: str) -> str:
    """Same bytes, but with non-zero unused bits in the last character (GHSA-hxm8)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    rem = len(seg) % 4
    assert rem in (2, 3), "needs a segment with unused bits"
    value = alphabet.index(seg[-1]) | (0x0F if rem == 2 else 0x03)
    return seg[:-1] + alphabet[value]


_HDR = b64url(b'{"alg":"HS256","typ":"JWT"}')  # 36 chars: aligned
_PAY = b64url(b'{"sub":"x"}')  # 15 chars (rem 3)


def _jwk_oct(keys: Keys, **extra: Any) -> Dict[str, Any]:
    return {"kty": "oct", "k": b64url(keys.hmac), **extra}


def _jwk_public(keys: Keys, name: str, **extra: Any) -> Dict[str, Any]:
    algo = {"rsa": pyjwt.algorithms.RSAAlgorithm, "ed25519": pyjwt.algorithms.OKPAlgorithm, "ed448": pyjwt.algorithms.OKPAlgorithm}.get(
        name, pyjwt.algorithms.ECAlgorithm
    )
    data = algo.to_jwk(keys.public(name), as_dict=True)
    data.update(extra)
    return data


def _future() -> int:
    return now() + 3600


def _past() -> int:
    return now() - 3600


CASES: List[Case] = [
    # --- token type and segments -------------------------------------------
    Case("valid", good, "ok"),
    Case("valid-bytes", lambda k: good(k).encode(), "ok"),
    Case("token-none", S(None), "DecodeError"),
    Case("token-int", S(123), "DecodeError"),
    Case("token-bytearray", lambda k: bytearray(good(k).encode()), "DecodeError"),
    Case("token-list", S(["a", "b", "c"]), "DecodeError"),
    Case("empty", S(""), "DecodeError"),
    Case("one-segment", S("abc"), "DecodeError"),
    Case("two-segments", lambda k: ".".join(good(k).split(".")[:2]), "DecodeError"),
    Case("four-segments", lambda k: good(k) + ".AAAA", "DecodeError"),
    Case("trailing-dot", lambda k: good(k) + ".", "DecodeError"),
    Case("only-dots", S(".."), "DecodeError"),
    Case("three-dots", S("..."), "DecodeError"),
    Case("empty-header", with_segments(header_seg=""), "DecodeError"),
    Case("empty-payload-segment", with_segments(payload_seg=""), "DecodeError"),
    Case("empty-signature", with_segments(sig_seg=""), "InvalidSignatureError"),
    Case("whitespace-around", lambda k: " " + good(k) + "\n", "DecodeError"),
    Case("non-ascii-in-header", lambda k: "\u00e9" + good(k), "DecodeError"),
    Case("non-ascii-in-signature", lambda k: good(k) + "\u00e9", "DecodeError"),
    Case("bytes-non-utf8", S(b"\xff\xfe.\x80.\x00"), "DecodeError"),
    Case("bytes-non-utf8-signature", lambda k: good(k).encode() + b"\xff", "DecodeError"),
    Case("nul-in-payload", with_segments(payload_seg=_PAY[:4] + "\0" + _PAY[4:]), "DecodeError"),
    # --- base64url in each segment ------------------------------------------
    Case("header-bad-char", with_segments(header_seg="!" + _HDR[1:]), "DecodeError"),
    Case("payload-bad-char", with_segments(payload_seg="!" + _PAY[1:]), "DecodeError"),
    Case("signature-bad-char", lambda k: good(k)[:-1] + "!", "DecodeError"),
    Case("header-plus-slash", with_segments(header_seg="+/" + _HDR[2:]), "DecodeError"),
    Case("payload-plus", with_segments(payload_seg="+" + _PAY[1:]), "DecodeError"),
    Case("signature-slash", lambda k: good(k)[:-2] + "/" + good(k)[-1], "DecodeError"),
    Case("header-len-1-mod-4", with_segments(header_seg=_HDR + "A"), "DecodeError"),
    Case("payload-len-1-mod-4", with_segments(payload_seg="AAAAA"), "DecodeError"),
    Case("signature-len-1-mod-4", lambda k: good(k) + "AA", "DecodeError"),
    Case("payload-noncanonical", with_segments(payload_seg=noncanonical(_PAY)), "DecodeError"),
    Case("header-noncanonical", with_segments(header_seg=noncanonical(b64url(b'{"alg":"HS256","typ":"JW"}'))), "DecodeError"),
    Case("signature-noncanonical", lambda k: ".".join(good(k).split(".")[:2] + [noncanonical(good(k).split(".")[2])]), "DecodeError"),
    Case("payload-one-pad-aligned", with_segments(payload_seg=_PAY + "="), "ok"),
    Case("payload-two-pads-aligned", with_segments(payload_seg=b64url(b'{"sub":""}') + "=="), "ok"),
    Case("payload-one-pad-needs-two", with_segments(payload_seg=b64url(b'{"sub":""}') + "="), "DecodeError"),
    Case("payload-three-pads", with_segments(payload_seg=_PAY + "==="), "DecodeError"),
    Case("payload-pad-unaligned", with_segments(payload_seg=_PAY + "=="), "DecodeError"),
    Case("payload-pad-in-middle", with_segments(payload_seg=_PAY[:4] + "=" + _PAY[4:]), "DecodeError"),
    Case("payload-only-pads", with_segments(payload_seg="===="), "DecodeError"),
    Case("payload-two-pads-only", with_segments(payload_seg="=="), "DecodeError"),
    Case("header-pad-aligned", with_segments(header_seg=b64url(b'{"alg":"HS256","x":123}') + "="), "ok"),
    Case("header-two-pads-aligned", with_segments(header_seg=b64url(b'{"alg":"HS256","x":12}') + "=="), "ok"),
    Case("header-pad-unaligned", with_segments(header_seg=b64url(b'{"alg":"HS256"}') + "="), "DecodeError"),
    Case("signature-pad-aligned", lambda k: good(k) + "=", "ok"),
    Case("signature-two-pads", lambda k: good(k) + "==", "DecodeError"),
    # --- header JSON ----------------------------------------------------------
    Case("header-array", T(header=[]), "DecodeError"),
    Case("header-string", T(header=b'"HS256"'), "DecodeError"),
    Case("header-number", T(header=b"1"), "DecodeError"),
    Case("header-null", T(header=b"null"), "DecodeError"),
    Case("header-true", T(header=b"true"), "DecodeError"),
    Case("header-empty-object", T(header={}), "InvalidAlgorithmError"),
    Case("header-truncated-json", T(header=b'{"alg":"HS256"'), "DecodeError"),
    Case("header-not-json", T(header=b"alg=HS256"), "DecodeError"),
    Case("header-empty-bytes", T(header=b""), "DecodeError"),
    Case("header-invalid-utf8", T(header=b'{"alg":"HS256","x":"\xff"}'), "DecodeError"),
    Case("header-whitespace", T(header=b' \n{ "alg" : "HS256" }\t'), "ok"),
    Case("header-unicode-escape-alg", T(header=b'{"alg":"\\u0048S256"}'), "ok"),
    Case("header-big-int-member", T(header=b'{"alg":"HS256","x":123456789012345678901234567890}'), "ok"),
    Case("header-big-negative-int", T(header=b'{"alg":"HS256","x":-18446744073709551617}'), "ok"),
    Case("header-u64-max", T(header=b'{"alg":"HS256","x":18446744073709551615}'), "ok"),
    Case("header-nested-duplicates", T(header=b'{"alg":"HS256","x":{"a":1,"a":2}}'), "ok"),
    Case("header-float-and-exp", T(header=b'{"alg":"HS256","x":1.5e3,"y":-0.0,"z":1E-7}'), "ok"),
    # --- alg / algorithms -----------------------------------------------------
    Case("alg-missing", T(header={"typ": "JWT"}), "InvalidAlgorithmError"),
    Case("alg-not-allowed", T(header={"alg": "HS512"}, alg="HS512"), "InvalidAlgorithmError"),
    Case("alg-lowercase", T(header={"alg": "hs256"}), "InvalidAlgorithmError"),
    Case("alg-null", T(header={"alg": None}), "InvalidAlgorithmError"),
    Case("alg-empty", T(header={"alg": ""}), "InvalidAlgorithmError"),
    Case("alg-int", T(header={"alg": 256}), "InvalidAlgorithmError"),
    Case("alg-list", T(header={"alg": ["HS256"]}), "InvalidAlgorithmError"),
    Case("alg-object", T(header={"alg": {"HS256": 1}}), "InvalidAlgorithmError"),
    Case("alg-unknown-but-allowed", T(header={"alg": "FOO"}), "InvalidAlgorithmError", {"algorithms": ["FOO"]}),
    Case("alg-ES521-allowed", T(header={"alg": "ES521"}, alg="ES521"), "ok", {"algorithms": ["ES521"], "key": Lazy(lambda k: k.public("p521"))}),
    Case("algorithms-missing", good, "DecodeError", {"algorithms": OMIT}),
    Case("algorithms-none", good, "DecodeError", {"algorithms": None}),
    Case("algorithms-empty-list", good, "DecodeError", {"algorithms": []}),
    Case("algorithms-empty-str", good, "DecodeError", {"algorithms": ""}),
    Case("algorithms-empty-tuple", good, "DecodeError", {"algorithms": ()}),
    Case("algorithms-missing-bad-token", S("garbage"), "DecodeError", {"algorithms": OMIT}),
    Case("algorithms-str-exact", good, "ok", {"algorithms": "HS256"}),
    Case("algorithms-str-substring", T(header={"alg": "HS2"}), "InvalidAlgorithmError", {"algorithms": "HS256"}),
    Case("algorithms-str-garbage", good, "InvalidAlgorithmError", {"algorithms": "garbage"}),
    Case("algorithms-tuple", good, "ok", {"algorithms": ("HS512", "HS256")}),
    Case("algorithms-set", good, "ok", {"algorithms": {"HS256"}}),
    Case("algorithms-mixed-families", good, "ok", {"algorithms": ["RS256", "HS256"]}),
    Case("algorithms-mixed-rs-token", T(alg="RS256", header={"alg": "RS256"}), "ok", {"algorithms": ["HS256", "RS256"], "key": Lazy(lambda k: k.pem_public("rsa"))}),
    # --- none -----------------------------------------------------------------
    Case("none-not-allowed", T(header={"alg": "none"}, alg="none"), "InvalidAlgorithmError"),
    Case("none-allowed-empty-key", T(header={"alg": "none"}, alg="none"), "InvalidSignatureError", {"algorithms": ["none"], "key": ""}),
    Case("none-allowed-key-none", T(header={"alg": "none"}, alg="none"), "InvalidSignatureError", {"algorithms": ["none"], "key": None}),
    Case("none-allowed-default-key", T(header={"alg": "none"}, alg="none"), "InvalidSignatureError", {"algorithms": ["none"], "key": OMIT}),
    Case("none-allowed-with-key", T(header={"alg": "none"}, alg="none"), "InvalidKeyError", {"algorithms": ["none"]}),
    Case("none-with-signature", T(header={"alg": "none"}, alg="none", signature=b"sig"), "InvalidSignatureError", {"algorithms": ["none"], "key": None}),
    Case("none-unverified", T(header={"alg": "none"}, alg="none"), "ok", {"algorithms": OMIT, "key": OMIT, "options": {"verify_signature": False}}),
    Case("none-unverified-with-key", T(header={"alg": "none"}, alg="none"), "ok", {"options": {"verify_signature": False}}),
    # --- kid ------------------------------------------------------------------
    Case("kid-string", T(header={"alg": "HS256", "kid": "k1"}), "ok"),
    Case("kid-empty", T(header={"alg": "HS256", "kid": ""}), "ok"),
    Case("kid-int", T(header={"alg": "HS256", "kid": 1}), "InvalidTokenError"),
    Case("kid-null", T(header={"alg": "HS256", "kid": None}), "InvalidTokenError"),
    Case("kid-list", T(header={"alg": "HS256", "kid": ["a"]}), "InvalidTokenError"),
    Case("kid-object", T(header={"alg": "HS256", "kid": {}}), "InvalidTokenError"),
    Case("kid-bool", T(header={"alg": "HS256", "kid": True}), "InvalidTokenError"),
    Case("kid-int-unverified", T(header={"alg": "HS256", "kid": 1}), "InvalidTokenError", {"options": {"verify_signature": False}}),
    # --- crit -----------------------------------------------------------------
    Case("crit-string", T(header={"alg": "HS256", "crit": "b64"}), "InvalidTokenError"),
    Case("crit-empty-list", T(header={"alg": "HS256", "crit": []}), "InvalidTokenError"),
    Case("crit-null", T(header={"alg": "HS256", "crit": None}), "InvalidTokenError"),
    Case("crit-object", T(header={"alg": "HS256", "crit": {"b64": 1}}), "InvalidTokenError"),
    Case("crit-int-member", T(header={"alg": "HS256", "crit": [1]}), "InvalidTokenError"),
    Case("crit-unsupported", T(header={"alg": "HS256", "crit": ["exp"], "exp": 1}), "InvalidTokenError"),
    Case("crit-unsupported-first", T(header={"alg": "HS256", "crit": ["zip", 1]}), "InvalidTokenError"),
    Case("crit-b64-missing-from-header", T(header={"alg": "HS256", "crit": ["b64"]}), "InvalidTokenError"),
    Case("crit-b64-with-b64-true", T(header={"alg": "HS256", "crit": ["b64"], "b64": True}), "ok"),
    Case("crit-unverified", T(header={"alg": "HS256", "crit": ["exp"]}), "InvalidTokenError", {"options": {"verify_signature": False}}),
    Case("b64-true-no-crit", T(header={"alg": "HS256", "b64": True}), "ok"),
    Case("b64-string-false", T(header={"alg": "HS256", "b64": "false"}), "ok"),
    Case("b64-zero", T(header={"alg": "HS256", "b64": 0}), "ok"),
    Case("detached-payload-without-b64-false", good, "DecodeError", {"detached_payload": b"{}"}),
    Case("detached-payload-empty-bytes", good, "DecodeError", {"detached_payload": b""}),
    # --- signatures -----------------------------------------------------------
    Case("forged-signature", forged, "InvalidSignatureError"),
    Case("wrong-hmac-secret", T(key=b"another-secret-of-sufficient-length-000"), "InvalidSignatureError"),
    Case("signature-truncated", lambda k: good(k).rsplit(".", 1)[0] + "." + b64url(b64url_dec(good(k).rsplit(".", 1)[1])[:-3]), "InvalidSignatureError"),
    Case("signature-of-other-alg", T(header={"alg": "HS256"}, alg="HS512"), "InvalidSignatureError"),
    Case("forged-unverified", forged, "ok", {"options": {"verify_signature": False}}),
    Case("forged-unverified-no-algorithms", forged, "ok", {"algorithms": OMIT, "options": {"verify_signature": False}}),
    Case("bad-alg-unverified", T(header={"alg": "FOO"}), "ok", {"options": {"verify_signature": False}}),
    Case("no-alg-unverified", T(header={"typ": "JWT"}), "ok", {"options": {"verify_signature": False}}),
    Case("bad-signature-b64-unverified", lambda k: good(k)[:-1] + "!", "DecodeError", {"options": {"verify_signature": False}}),
    Case("es256-short-signature", T(alg="ES256", header={"alg": "ES256"}, signature=b"\x01" * 63), "InvalidSignatureError", {"algorithms": ["ES256"], "key": Lazy(lambda k: k.public("p256"))}),
    Case("es256-der-signature", lambda k: _es_der_token(k), "InvalidSignatureError", {"algorithms": ["ES256"], "key": Lazy(lambda k: k.public("p256"))}),
    Case("es256-zero-signature", T(alg="ES256", header={"alg": "ES256"}, signature=bytes(64)), "InvalidSignatureError", {"algorithms": ["ES256"], "key": Lazy(lambda k: k.public("p256"))}),
    Case("eddsa-empty-signature", T(alg="EdDSA", header={"alg": "EdDSA"}, signature=b""), "InvalidSignatureError", {"algorithms": ["EdDSA"], "key": Lazy(lambda k: k.public("ed25519"))}),
    Case("rs256-empty-signature", T(alg="RS256", header={"alg": "RS256"}, signature=b""), "InvalidSignatureError", {"algorithms": ["RS256"], "key": Lazy(lambda k: k.public("rsa"))}),
    Case("ps256-token-as-rs256", T(alg="PS256", header={"alg": "RS256"}), "InvalidSignatureError", {"algorithms": ["RS256"], "key": Lazy(lambda k: k.public("rsa"))}),
    Case("ed448-token-with-ed25519-key", T(alg="EdDSA", header={"alg": "EdDSA"}, key_name="ed448"), "InvalidSignatureError", {"algorithms": ["EdDSA"], "key": Lazy(lambda k: k.public("ed25519"))}),
    # --- payload JSON ---------------------------------------------------------
    Case("payload-array", T(payload=[]), "DecodeError"),
    Case("payload-string", T(payload=b'"x"'), "DecodeError"),
    Case("payload-number", T(payload=b"1"), "DecodeError"),
    Case("payload-null", T(payload=b"null"), "DecodeError"),
    Case("payload-empty-bytes", T(payload=b""), "DecodeError"),
    Case("payload-truncated", T(payload=b'{"sub":'), "DecodeError"),
    Case("payload-invalid-utf8", T(payload=b'{"sub":"\xff"}'), "DecodeError"),
    Case("payload-trailing-garbage", T(payload=b'{"sub":"x"}x'), "DecodeError"),
    Case("payload-two-objects", T(payload=b'{}{}'), "DecodeError"),
    Case("payload-array-unverified", T(payload=[]), "DecodeError", {"options": {"verify_signature": False}}),
    Case("payload-whitespace", T(payload=b' \r\n{"sub" : "x"} \t'), "ok"),
    Case("payload-unicode-escapes", T(payload=b'{"s":"\\u00e9\\ud83d\\ude00\\n\\"","\\u0061":1}'), "ok"),
    Case("payload-raw-utf8", T(payload='{"s":"\u00e9\U0001f600"}'.encode()), "ok"),
    Case("payload-duplicate-claims-last-wins", T(payload=b'{"sub":"a","sub":"b","x":1,"x":{"y":2}}'), "ok"),
    Case("payload-duplicate-exp-last-wins", lambda k: raw_token({"alg": "HS256"}, f'{{"exp":{_past()},"exp":{_future()}}}'.encode()), "ok"),
    Case("payload-duplicate-exp-last-expired", lambda k: raw_token({"alg": "HS256"}, f'{{"exp":{_future()},"exp":{_past()}}}'.encode()), "ExpiredSignatureError"),
    Case("payload-big-ints", T(payload=b'{"a":123456789012345678901234567890,"b":-99999999999999999999,"c":[18446744073709551616],"d":{"e":9223372036854775808}}'), "ok"),
    Case("payload-big-int-exp", T(payload=b'{"exp":99999999999999999999999999}'), "ok"),
    Case("payload-big-negative-exp", T(payload=b'{"exp":-99999999999999999999999999}'), "ExpiredSignatureError"),
    Case("payload-long-digits-in-strings", T(payload=b'{"a":"12345678901234567890123","b":1}'), "ok"),
    Case("payload-long-float", T(payload=b'{"a":1.2345678901234567890123,"b":12345678901234567890.5,"c":1e-300}'), "ok"),
    Case("payload-nested-deep-ok", T(payload=b'{"a":' + b"[" * 200 + b"]" * 200 + b"}"), "ok"),
    Case("payload-escaped-quotes-with-digits", T(payload=b'{"a":"\\"12345678901234567890\\"","b":2}'), "ok"),
    # --- exp --------------------------------------------------------------------
    Case("exp-future", T(payload=lambda: {"exp": _future()}), "ok"),
    Case("exp-past", T(payload=lambda: {"exp": _past()}), "ExpiredSignatureError"),
    Case("exp-equals-now", T(payload=lambda: {"exp": now()}), "ExpiredSignatureError"),
    Case("exp-float-past", T(payload=lambda: {"exp": now() - 10.5}), "ExpiredSignatureError"),
    Case("exp-float-truncated-to-now", T(payload=lambda: {"exp": now() + 0.999}), "ExpiredSignatureError"),
    Case("exp-float-future", T(payload=lambda: {"exp": _future() + 0.5}), "ok"),
    Case("exp-zero", T(payload={"exp": 0}), "ExpiredSignatureError"),
    Case("exp-negative", T(payload={"exp": -1}), "ExpiredSignatureError"),
    Case("exp-huge-float", T(payload={"exp": 1e300}), "ok"),
    Case("exp-null", T(payload={"exp": None}), "DecodeError"),
    Case("exp-list", T(payload={"exp": [1]}), "DecodeError"),
    Case("exp-object", T(payload={"exp": {}}), "DecodeError"),
    Case("exp-non-numeric-string", T(payload={"exp": "soon"}), "DecodeError"),
    Case("exp-past-verify-exp-false", T(payload=lambda: {"exp": _past()}), "ok", {"options": {"verify_exp": False}}),
    Case("exp-null-verify-exp-false", T(payload={"exp": None}), "ok", {"options": {"verify_exp": False}}),
    Case("exp-leeway-number", T(payload=lambda: {"exp": now() - 50}), "ok", {"leeway": 100}),
    Case("exp-leeway-float", T(payload=lambda: {"exp": now() - 50}), "ok", {"leeway": 100.5}),
    Case("exp-leeway-timedelta", T(payload=lambda: {"exp": now() - 50}), "ok", {"leeway": datetime.timedelta(seconds=100)}),
    Case("exp-leeway-too-small", T(payload=lambda: {"exp": now() - 500}), "ExpiredSignatureError", {"leeway": 100}),
    Case("exp-leeway-timedelta-too-small", T(payload=lambda: {"exp": now() - 500}), "ExpiredSignatureError", {"leeway": datetime.timedelta(minutes=1)}),
    Case("exp-negative-leeway", T(payload=lambda: {"exp": now() + 50}), "ExpiredSignatureError", {"leeway": -100}),
    # --- nbf --------------------------------------------------------------------
    Case("nbf-past", T(payload=lambda: {"nbf": _past()}), "ok"),
    Case("nbf-now", T(payload=lambda: {"nbf": now()}), "ok"),
    Case("nbf-future", T(payload=lambda: {"nbf": _future()}), "ImmatureSignatureError"),
    Case("nbf-float-future", T(payload=lambda: {"nbf": now() + 100.7}), "ImmatureSignatureError"),
    Case("nbf-null", T(payload={"nbf": None}), "DecodeError"),
    Case("nbf-list", T(payload={"nbf": []}), "DecodeError"),
    Case("nbf-string", T(payload={"nbf": "x"}), "DecodeError"),
    Case("nbf-future-leeway", T(payload=lambda: {"nbf": now() + 50}), "ok", {"leeway": 100}),
    Case("nbf-future-leeway-timedelta", T(payload=lambda: {"nbf": now() + 50}), "ok", {"leeway": datetime.timedelta(seconds=100)}),
    Case("nbf-future-small-leeway", T(payload=lambda: {"nbf": now() + 500}), "ImmatureSignatureError", {"leeway": datetime.timedelta(seconds=100)}),
    Case("nbf-future-verify-nbf-false", T(payload=lambda: {"nbf": _future()}), "ok", {"options": {"verify_nbf": False}}),
    # --- iat --------------------------------------------------------------------
    Case("iat-past", T(payload=lambda: {"iat": _past()}), "ok"),
    Case("iat-future", T(payload=lambda: {"iat": _future()}), "ImmatureSignatureError"),
    Case("iat-future-leeway", T(payload=lambda: {"iat": now() + 50}), "ok", {"leeway": 100}),
    Case("iat-future-leeway-timedelta", T(payload=lambda: {"iat": now() + 50}), "ok", {"leeway": datetime.timedelta(seconds=100)}),
    Case("iat-float-future", T(payload=lambda: {"iat": now() + 100.2}), "ImmatureSignatureError"),
    Case("iat-null", T(payload={"iat": None}), "InvalidIssuedAtError"),
    Case("iat-string", T(payload={"iat": "yesterday"}), "InvalidIssuedAtError"),
    Case("iat-object", T(payload={"iat": {"t": 1}}), "InvalidIssuedAtError"),
    Case("iat-future-verify-iat-false", T(payload=lambda: {"iat": _future()}), "ok", {"options": {"verify_iat": False}}),
    Case("iat-bad-verify-iat-false", T(payload={"iat": "x"}), "ok", {"options": {"verify_iat": False}}),
    # --- aud --------------------------------------------------------------------
    Case("aud-match", T(payload={"aud": "a"}), "ok", {"audience": "a"}),
    Case("aud-list-claim-match", T(payload={"aud": ["x", "a"]}), "ok", {"audience": "a"}),
    Case("aud-list-audience-match", T(payload={"aud": "a"}), "ok", {"audience": ["b", "a"]}),
    Case("aud-tuple-audience", T(payload={"aud": "a"}), "ok", {"audience": ("a",)}),
    Case("aud-set-audience", T(payload={"aud": ["a"]}), "ok", {"audience": {"a"}}),
    Case("aud-dict-audience", T(payload={"aud": ["a"]}), "ok", {"audience": {"a": 1}}),
    Case("aud-generator-audience", T(payload={"aud": ["a"]}), "ok", {"audience": Lazy(lambda k: (x for x in ["b", "a"]))}),
    Case("aud-empty-list-audience", T(payload={"aud": ["a"]}), "InvalidAudienceError", {"audience": []}),
    Case("aud-mismatch", T(payload={"aud": "a"}), "InvalidAudienceError", {"audience": "b"}),
    Case("aud-substring-no-match", T(payload={"aud": "abc"}), "InvalidAudienceError", {"audience": "b"}),
    Case("aud-superstring-no-match", T(payload={"aud": "a"}), "InvalidAudienceError", {"audience": "ab"}),
    Case("aud-case-sensitive", T(payload={"aud": "A"}), "InvalidAudienceError", {"audience": "a"}),
    Case("aud-no-audience-given", T(payload={"aud": "a"}), "InvalidAudienceError"),
    Case("aud-empty-string-no-audience", T(payload={"aud": ""}), "ok"),
    Case("aud-empty-list-no-audience", T(payload={"aud": []}), "ok"),
    Case("aud-null-no-audience", T(payload={"aud": None}), "ok"),
    Case("aud-zero-no-audience", T(payload={"aud": 0}), "ok"),
    Case("aud-int-no-audience", T(payload={"aud": 1}), "InvalidAudienceError"),
    Case("aud-missing-with-audience", T(payload={}), "MissingRequiredClaimError", {"audience": "a"}),
    Case("aud-empty-with-audience", T(payload={"aud": ""}), "MissingRequiredClaimError", {"audience": "a"}),
    Case("aud-empty-list-with-audience", T(payload={"aud": []}), "MissingRequiredClaimError", {"audience": "a"}),
    Case("aud-null-with-audience", T(payload={"aud": None}), "MissingRequiredClaimError", {"audience": "a"}),
    Case("aud-empty-audience-string", T(payload={"aud": ""}), "MissingRequiredClaimError", {"audience": ""}),
    Case("aud-empty-string-in-audience-list", T(payload={"aud": ""}), "MissingRequiredClaimError", {"audience": ["", "a"]}),
    Case("aud-empty-audience-string-strict", T(payload={"aud": ""}), "MissingRequiredClaimError", {"audience": "", "options": {"strict_aud": True}}),
    Case("aud-int-claim", T(payload={"aud": 1}), "InvalidAudienceError", {"audience": "a"}),
    Case("aud-object-claim", T(payload={"aud": {"a": 1}}), "InvalidAudienceError", {"audience": "a"}),
    Case("aud-list-with-int", T(payload={"aud": ["a", 1]}), "InvalidAudienceError", {"audience": "a"}),
    Case("aud-list-with-null", T(payload={"aud": ["a", None]}), "InvalidAudienceError", {"audience": "a"}),
    Case("aud-nested-list", T(payload={"aud": [["a"]]}), "InvalidAudienceError", {"audience": "a"}),
    Case("aud-bytes-audience", T(payload={"aud": "a"}), "InvalidAudienceError", {"audience": b"a"}),
    Case("aud-int-audience", T(payload={"aud": "a"}), "TypeError", {"audience": 1}),
    Case("aud-float-audience", T(payload={}), "TypeError", {"audience": 1.5}),
    Case("aud-audience-list-with-int", T(payload={"aud": "a"}), "ok", {"audience": [1, "a"]}),
    Case("aud-audience-list-unhashable", T(payload={"aud": "a"}), "ok", {"audience": [["x"], "a"]}),
    Case("aud-audience-list-unhashable-mismatch", T(payload={"aud": "a"}), "InvalidAudienceError", {"audience": [["a"]]}),
    Case("aud-mismatch-verify-aud-false", T(payload={"aud": "a"}), "ok", {"audience": "b", "options": {"verify_aud": False}}),
    Case("aud-no-audience-verify-aud-false", T(payload={"aud": "a"}), "ok", {"options": {"verify_aud": False}}),
    Case("strict-aud-match", T(payload={"aud": "a"}), "ok", {"audience": "a", "options": {"strict_aud": True}}),
    Case("strict-aud-list-claim", T(payload={"aud": ["a"]}), "InvalidAudienceError", {"audience": "a", "options": {"strict_aud": True}}),
    Case("strict-aud-list-audience", T(payload={"aud": "a"}), "InvalidAudienceError", {"audience": ["a"], "options": {"strict_aud": True}}),
    Case("strict-aud-mismatch", T(payload={"aud": "a"}), "InvalidAudienceError", {"audience": "b", "options": {"strict_aud": True}}),
    Case("strict-aud-missing", T(payload={}), "MissingRequiredClaimError", {"audience": "a", "options": {"strict_aud": True}}),
    Case("strict-aud-no-audience", T(payload={"aud": "a"}), "InvalidAudienceError", {"options": {"strict_aud": True}}),
    Case("strict-aud-int-claim", T(payload={"aud": 5}), "InvalidAudienceError", {"audience": "a", "options": {"strict_aud": True}}),
    # --- iss --------------------------------------------------------------------
    Case("iss-match", T(payload={"iss": "x"}), "ok", {"issuer": "x"}),
    Case("iss-mismatch", T(payload={"iss": "y"}), "InvalidIssuerError", {"issuer": "x"}),
    Case("iss-substring", T(payload={"iss": "x"}), "InvalidIssuerError", {"issuer": "xyz"}),
    Case("iss-superstring", T(payload={"iss": "xyz"}), "InvalidIssuerError", {"issuer": "x"}),
    Case("iss-missing", T(payload={}), "MissingRequiredClaimError", {"issuer": "x"}),
    Case("iss-null", T(payload={"iss": None}), "InvalidIssuerError", {"issuer": "x"}),
    Case("iss-int", T(payload={"iss": 1}), "InvalidIssuerError", {"issuer": "x"}),
    Case("iss-list-claim", T(payload={"iss": ["x"]}), "InvalidIssuerError", {"issuer": ["x"]}),
    Case("iss-list-issuer", T(payload={"iss": "y"}), "ok", {"issuer": ["x", "y"]}),
    Case("iss-tuple-issuer", T(payload={"iss": "y"}), "ok", {"issuer": ("y",)}),
    Case("iss-set-issuer", T(payload={"iss": "y"}), "ok", {"issuer": {"y"}}),
    Case("iss-frozenset-issuer-mismatch", T(payload={"iss": "z"}), "InvalidIssuerError", {"issuer": frozenset({"y"})}),
    Case("iss-dict-issuer", T(payload={"iss": "y"}), "ok", {"issuer": {"y": 1}}),
    Case("iss-list-issuer-mismatch", T(payload={"iss": "z"}), "InvalidIssuerError", {"issuer": ["x", "y"]}),
    Case("iss-list-issuer-substring", T(payload={"iss": "x"}), "InvalidIssuerError", {"issuer": ["xy"]}),
    Case("iss-list-issuer-mixed-types", T(payload={"iss": "x"}), "ok", {"issuer": [1, "x"]}),
    Case("iss-empty-list-issuer", T(payload={"iss": "x"}), "InvalidIssuerError", {"issuer": []}),
    Case("iss-int-issuer", T(payload={"iss": "x"}), "InvalidIssuerError", {"issuer": 5}),
    Case("iss-bytes-issuer", T(payload={"iss": "x"}), "InvalidIssuerError", {"issuer": b"x"}),
    Case("iss-empty-string", T(payload={"iss": ""}), "ok", {"issuer": ""}),
    Case("iss-mismatch-verify-iss-false", T(payload={"iss": "y"}), "ok", {"issuer": "x", "options": {"verify_iss": False}}),
    Case("iss-without-issuer", T(payload={"iss": 1}), "ok"),
    # --- sub / jti --------------------------------------------------------------
    Case("sub-match", T(payload={"sub": "s"}), "ok", {"subject": "s"}),
    Case("sub-mismatch", T(payload={"sub": "s"}), "InvalidSubjectError", {"subject": "t"}),
    Case("sub-int", T(payload={"sub": 1}), "InvalidSubjectError"),
    Case("sub-null", T(payload={"sub": None}), "InvalidSubjectError"),
    Case("sub-list", T(payload={"sub": ["s"]}), "InvalidSubjectError", {"subject": "s"}),
    Case("sub-missing-with-subject", T(payload={}), "ok", {"subject": "s"}),
    Case("sub-empty-string", T(payload={"sub": ""}), "InvalidSubjectError", {"subject": "s"}),
    Case("sub-int-verify-sub-false", T(payload={"sub": 1}), "ok", {"subject": "s", "options": {"verify_sub": False}}),
    Case("jti-string", T(payload={"jti": "j"}), "ok"),
    Case("jti-int", T(payload={"jti": 1}), "InvalidJTIError"),
    Case("jti-null", T(payload={"jti": None}), "InvalidJTIError"),
    Case("jti-object", T(payload={"jti": {}}), "InvalidJTIError"),
    Case("jti-int-verify-jti-false", T(payload={"jti": 1}), "ok", {"options": {"verify_jti": False}}),
    # --- require ----------------------------------------------------------------
    Case("require-present", T(payload=lambda: {"exp": _future()}), "ok", {"options": {"require": ["exp"]}}),
    Case("require-missing", T(payload={}), "MissingRequiredClaimError", {"options": {"require": ["exp"]}}),
    Case("require-null", T(payload={"exp": None}), "MissingRequiredClaimError", {"options": {"require": ["exp"]}}),
    Case("require-falsy-present", T(payload={"sub": "", "x": 0, "y": False, "z": []}), "ok", {"options": {"require": ["sub", "x", "y", "z"]}}),
    Case("require-custom-claim", T(payload={"a": 1}), "MissingRequiredClaimError", {"options": {"require": ["a", "b"]}}),
    Case("require-order", T(payload={}), "MissingRequiredClaimError", {"options": {"require": ["iss", "aud", "exp"]}}),
    Case("require-tuple", T(payload={}), "MissingRequiredClaimError", {"options": {"require": ("sub",)}}),
    Case("require-unverified", T(payload={}), "MissingRequiredClaimError", {"options": {"verify_signature": False, "require": ["exp"]}}),
    Case("require-forged-unverified", lambda k: forged(k, {}), "MissingRequiredClaimError", {"options": {"verify_signature": False, "require": ["jti"]}}),
    # --- verify_signature=False and other options --------------------------------
    Case("unverified-expired", T(payload=lambda: {"exp": _past()}), "ok", {"options": {"verify_signature": False}}),
    Case("unverified-expired-verify-exp", T(payload=lambda: {"exp": _past()}), "ExpiredSignatureError", {"options": {"verify_signature": False, "verify_exp": True}}),
    Case("unverified-nbf-future-verify-nbf", T(payload=lambda: {"nbf": _future()}), "ImmatureSignatureError", {"options": {"verify_signature": False, "verify_nbf": True}}),
    Case("unverified-iat-future-verify-iat", T(payload=lambda: {"iat": _future()}), "ImmatureSignatureError", {"options": {"verify_signature": False, "verify_iat": True}}),
    Case("unverified-aud", T(payload={"aud": "a"}), "ok", {"audience": "b", "options": {"verify_signature": False}}),
    Case("unverified-aud-verify-aud", T(payload={"aud": "a"}), "InvalidAudienceError", {"audience": "b", "options": {"verify_signature": False, "verify_aud": True}}),
    Case("unverified-iss-verify-iss", T(payload={"iss": "a"}), "InvalidIssuerError", {"issuer": "b", "options": {"verify_signature": False, "verify_iss": True}}),
    Case("unverified-sub", T(payload={"sub": 1}), "ok", {"options": {"verify_signature": False}}),
    Case("unverified-sub-verify-sub", T(payload={"sub": 1}), "InvalidSubjectError", {"options": {"verify_signature": False, "verify_sub": True}}),
    Case("unverified-jti-verify-jti", T(payload={"jti": 1}), "InvalidJTIError", {"options": {"verify_signature": False, "verify_jti": True}}),
    Case("unverified-bad-exp-type", T(payload={"exp": "x"}), "ok", {"options": {"verify_signature": False}}),
    Case("unverified-wrong-key", T(key=b"another-secret-of-sufficient-length-000"), "ok", {"options": {"verify_signature": False}}),
    Case("unverified-key-is-pem", good, "ok", {"key": Lazy(lambda k: k.pem_public("rsa")), "options": {"verify_signature": False}}),
    Case("verify-signature-false-explicit-options-true", forged, "InvalidSignatureError", {"options": {"verify_signature": True, "verify_exp": False}}),
    Case("options-empty", good, "ok", {"options": {}}),
    Case("options-unknown-key", good, "ok", {"options": {"frobnicate": True, "verify_foo": False}}),
    Case("options-all-claims-off", T(payload=lambda: {"exp": _past(), "nbf": _future(), "iat": _future(), "aud": "a", "iss": 1, "sub": 1, "jti": 1}), "ok", {"options": {"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False, "verify_iss": False, "verify_sub": False, "verify_jti": False}}),
    Case("verify-kwarg-false-warns", good, "ok", {"verify": False}),
    Case("verify-kwarg-true", good, "ok", {"verify": True}),
    Case("verify-kwarg-matches-option", forged, "ok", {"verify": False, "options": {"verify_signature": False}}),
    Case("extra-kwargs-warn", good, "ok", {"foo": 1, "bar": None}),
    Case("extra-kwargs-warn-then-fail", forged, "InvalidSignatureError", {"foo": 1}),
    # --- keys: HMAC -------------------------------------------------------------
    Case("hmac-key-str", T(key=b"a-string-secret-that-is-32-bytes"), "ok", {"key": "a-string-secret-that-is-32-bytes"}),
    Case("hmac-key-non-ascii-str", T(key="\u00e9t\u00e9-secret-with-enough-length-xx".encode()), "ok", {"key": "\u00e9t\u00e9-secret-with-enough-length-xx"}),
    Case("hmac-key-short-warns", T(key=b"secret"), "ok", {"key": "secret"}),
    Case("hmac-key-short-hs384-warns", T(alg="HS384", header={"alg": "HS384"}, key=b"k" * 47), "ok", {"key": b"k" * 47, "algorithms": ["HS384"]}),
    Case("hmac-key-exact-length", T(key=b"k" * 32), "ok", {"key": b"k" * 32}),
    Case("hmac-key-short-enforced", T(key=b"secret"), "InvalidKeyError", {"key": "secret", "options": {"enforce_minimum_key_length": True}}),
    Case("hmac-key-short-enforced-hs512", T(alg="HS512", header={"alg": "HS512"}, key=b"k" * 63), "InvalidKeyError", {"key": b"k" * 63, "algorithms": ["HS512"], "options": {"enforce_minimum_key_length": True}}),
    Case("hmac-key-short-enforced-bad-token", S("a.b"), "DecodeError", {"key": "secret", "options": {"enforce_minimum_key_length": True}}),
    Case("hmac-key-empty-str", good, "InvalidKeyError", {"key": ""}),
    Case("hmac-key-empty-bytes", good, "InvalidKeyError", {"key": b""}),
    Case("hmac-key-default", good, "InvalidKeyError", {"key": OMIT}),
    Case("hmac-key-rsa-public-pem", good, "InvalidKeyError", {"key": Lazy(lambda k: k.pem_public("rsa"))}),
    Case("hmac-key-rsa-public-pem-str", good, "InvalidKeyError", {"key": Lazy(lambda k: k.pem_public("rsa").decode())}),
    Case("hmac-key-rsa-private-pem", good, "InvalidKeyError", {"key": Lazy(lambda k: k.pem_private("rsa"))}),
    Case("hmac-key-ec-public-pem", good, "InvalidKeyError", {"key": Lazy(lambda k: k.pem_public("p256"))}),
    Case("hmac-key-ed25519-public-pem", good, "InvalidKeyError", {"key": Lazy(lambda k: k.pem_public("ed25519"))}),
    Case("hmac-key-pkcs1-rsa-public-pem", good, "InvalidKeyError", {"key": Lazy(lambda k: k.public("rsa").public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1))}),
    Case("hmac-key-certificate-pem", good, "InvalidKeyError", {"key": Lazy(lambda k: k.cert_pem("rsa"))}),
    Case("hmac-key-certificate-der", good, "InvalidKeyError", {"key": Lazy(lambda k: k.cert_der("p256"))}),
    Case("hmac-key-der-public", good, "InvalidKeyError", {"key": Lazy(lambda k: k.der_public("rsa"))}),
    Case("hmac-key-der-ec-public", good, "InvalidKeyError", {"key": Lazy(lambda k: k.der_public("p256"))}),
    Case("hmac-key-ssh-rsa", good, "InvalidKeyError", {"key": Lazy(lambda k: k.ssh_public("rsa"))}),
    Case("hmac-key-ssh-ed25519", good, "InvalidKeyError", {"key": Lazy(lambda k: k.ssh_public("ed25519"))}),
    Case("hmac-key-ssh-ecdsa", good, "InvalidKeyError", {"key": Lazy(lambda k: k.ssh_public("p384").decode())}),
    Case("hmac-key-pem-lenient-marker", good, "InvalidKeyError", {"key": Lazy(lambda k: k.pem_public("rsa").replace(b"-----BEGIN", b"---- BEGIN").replace(b"-----END", b"---- END"))}),
    Case("hmac-key-pem-embedded", good, "InvalidKeyError", {"key": Lazy(lambda k: b"prefix text\n" + k.pem_public("p256") + b"\nsuffix")}),
    Case("hmac-key-jwk-json", good, "InvalidKeyError", {"key": Lazy(lambda k: json.dumps(_jwk_public(k, "rsa")))}),
    Case("hmac-key-jwk-oct-json", good, "InvalidKeyError", {"key": Lazy(lambda k: json.dumps(_jwk_oct(k)))}),
    Case("hmac-key-jwks-json", good, "InvalidKeyError", {"key": Lazy(lambda k: json.dumps({"keys": [_jwk_public(k, "p256")]}))}),
    Case("hmac-key-jwk-array", good, "InvalidKeyError", {"key": Lazy(lambda k: json.dumps([{"x": 1}, _jwk_oct(k)]).encode())}),
    Case("hmac-key-jwk-bom", good, "InvalidKeyError", {"key": Lazy(lambda k: b"\xef\xbb\xbf" + json.dumps(_jwk_oct(k)).encode())}),
    Case("hmac-key-jwk-utf16", good, "InvalidKeyError", {"key": Lazy(lambda k: json.dumps(_jwk_oct(k)).encode("utf-16"))}),
    Case("hmac-key-jwk-utf16-le", good, "InvalidKeyError", {"key": Lazy(lambda k: json.dumps(_jwk_oct(k)).encode("utf-16-le"))}),
    Case("hmac-key-jwk-utf32", good, "InvalidKeyError", {"key": Lazy(lambda k: json.dumps(_jwk_oct(k)).encode("utf-32"))}),
    Case("hmac-key-jwk-utf32-be", good, "InvalidKeyError", {"key": Lazy(lambda k: json.dumps(_jwk_oct(k)).encode("utf-32-be"))}),
    Case("hmac-key-jwk-escaped-member-name", good, "InvalidKeyError", {"key": '{"k\\u0074y":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}'}),
    Case("hmac-key-jwk-nested-kty", good, "InvalidKeyError", {"key": '{"a":{"b":[{"kty":1}]},"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}'}),
    Case("hmac-key-deep-json-with-kty", good, "InvalidKeyError", {"key": b'{"a":' * 20000 + b'{"kty":"oct"}' + b"}" * 20000}),
    Case("hmac-key-deep-json-object-without-kty", good, "InvalidKeyError", {"key": b'{"a":' * 20000 + b"1" + b"}" * 20000}),
    Case("hmac-key-json-without-kty", T(key=b'{"secret":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}'), "ok", {"key": '{"secret":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}'}),
    Case("hmac-key-kty-in-plain-text", T(key=b"my kty is a secret of 32 bytes..."), "ok", {"key": "my kty is a secret of 32 bytes..."}),
    Case("hmac-key-lone-surrogate", good, "UnicodeEncodeError", {"key": "\ud800" * 40}),
    Case("hmac-key-mixed-algorithms", good, "InvalidKeyError", {"algorithms": ["HS256", "RS256"], "key": Lazy(lambda k: k.pem_public("rsa"))}),
    # --- keys: asymmetric ---------------------------------------------------------
    Case("rs256-public-pem", T(alg="RS256", header={"alg": "RS256"}), "ok", {"algorithms": ["RS256"], "key": Lazy(lambda k: k.pem_public("rsa"))}),
    Case("rs256-public-pem-str", T(alg="RS256", header={"alg": "RS256"}), "ok", {"algorithms": ["RS256"], "key": Lazy(lambda k: k.pem_public("rsa").decode())}),
    Case("rs256-pkcs1-public-pem", T(alg="RS256", header={"alg": "RS256"}), "ok", {"algorithms": ["RS256"], "key": Lazy(lambda k: k.public("rsa").public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1))}),
    Case("rs256-ssh-key", T(alg="RS256", header={"alg": "RS256"}), "ok", {"algorithms": ["RS256"], "key": Lazy(lambda k: k.ssh_public("rsa"))}),
    Case("ps384-public-key-object", T(alg="PS384", header={"alg": "PS384"}), "ok", {"algorithms": ["PS384"], "key": Lazy(lambda k: k.public("rsa"))}),
    Case("rs256-small-key-warns", T(alg="RS256", header={"alg": "RS256"}, key_name="rsa_small"), "ok", {"algorithms": ["RS256"], "key": Lazy(lambda k: k.public("rsa_small"))}),
    Case("rs256-small-key-enforced", T(alg="RS256", header={"alg": "RS256"}, key_name="rsa_small"), "InvalidKeyError", {"algorithms": ["RS256"], "key": Lazy(lambda k: k.public("rsa_small")), "options": {"enforce_minimum_key_length": True}}),
    Case("rs256-ec-public-pem", T(alg="RS256", header={"alg": "RS256"}), "InvalidKeyError", {"algorithms": ["RS256"], "key": Lazy(lambda k: k.pem_public("p256"))}),
    Case("rs256-ec-private-pem", T(alg="RS256", header={"alg": "RS256"}), "InvalidKeyError", {"algorithms": ["RS256"], "key": Lazy(lambda k: k.pem_private("p256"))}),
    Case("es256-public-pem", T(alg="ES256", header={"alg": "ES256"}), "ok", {"algorithms": ["ES256"], "key": Lazy(lambda k: k.pem_public("p256"))}),
    Case("es256-private-pem", T(alg="ES256", header={"alg": "ES256"}), "ok", {"algorithms": ["ES256"], "key": Lazy(lambda k: k.pem_private("p256"))}),
    Case("es256-private-object", T(alg="ES256", header={"alg": "ES256"}), "ok", {"algorithms": ["ES256"], "key": Lazy(lambda k: k.private("p256"))}),
    Case("es384-ssh-key", T(alg="ES384", header={"alg": "ES384"}), "ok", {"algorithms": ["ES384"], "key": Lazy(lambda k: k.ssh_public("p384"))}),
    Case("es256-curve-mismatch-p384", T(alg="ES256", header={"alg": "ES256"}), "InvalidKeyError", {"algorithms": ["ES256"], "key": Lazy(lambda k: k.public("p384"))}),
    Case("es256-curve-mismatch-pem", T(alg="ES256", header={"alg": "ES256"}), "InvalidKeyError", {"algorithms": ["ES256"], "key": Lazy(lambda k: k.pem_public("p521"))}),
    Case("es256-curve-mismatch-k256", T(alg="ES256", header={"alg": "ES256"}), "InvalidKeyError", {"algorithms": ["ES256"], "key": Lazy(lambda k: k.public("k256"))}),
    Case("es256k-curve-mismatch-p256", T(alg="ES256K", header={"alg": "ES256K"}), "InvalidKeyError", {"algorithms": ["ES256K"], "key": Lazy(lambda k: k.public("p256"))}),
    Case("es512-curve-mismatch-private", T(alg="ES512", header={"alg": "ES512"}), "InvalidKeyError", {"algorithms": ["ES512"], "key": Lazy(lambda k: k.private("p384"))}),
    Case("es384-curve-mismatch-ssh", T(alg="ES384", header={"alg": "ES384"}), "InvalidKeyError", {"algorithms": ["ES384"], "key": Lazy(lambda k: k.ssh_public("p256"))}),
    Case("es256-rsa-public-pem", T(alg="ES256", header={"alg": "ES256"}), "InvalidKeyError", {"algorithms": ["ES256"], "key": Lazy(lambda k: k.pem_public("rsa"))}),
    Case("eddsa-rsa-public-pem", T(alg="EdDSA", header={"alg": "EdDSA"}), "InvalidKeyError", {"algorithms": ["EdDSA"], "key": Lazy(lambda k: k.pem_public("rsa"))}),
    Case("eddsa-ed448-public-pem", T(alg="EdDSA", header={"alg": "EdDSA"}, key_name="ed448"), "ok", {"algorithms": ["EdDSA"], "key": Lazy(lambda k: k.pem_public("ed448"))}),
    Case("eddsa-ssh-key", T(alg="EdDSA", header={"alg": "EdDSA"}), "ok", {"algorithms": ["EdDSA"], "key": Lazy(lambda k: k.ssh_public("ed25519"))}),
    Case("eddsa-private-pem", T(alg="EdDSA", header={"alg": "EdDSA"}), "ok", {"algorithms": ["EdDSA"], "key": Lazy(lambda k: k.pem_private("ed25519"))}),
    Case("eddsa-private-object", T(alg="EdDSA", header={"alg": "EdDSA"}, key_name="ed448"), "ok", {"algorithms": ["EdDSA"], "key": Lazy(lambda k: k.private("ed448"))}),
    # --- PyJWK keys -------------------------------------------------------------
    Case("pyjwk-oct", good, "ok", {"key": JWK(lambda k: _jwk_oct(k))}),
    Case("pyjwk-oct-no-algorithms", good, "ok", {"key": JWK(lambda k: _jwk_oct(k)), "algorithms": OMIT}),
    Case("pyjwk-oct-empty-algorithms", good, "InvalidAlgorithmError", {"key": JWK(lambda k: _jwk_oct(k)), "algorithms": []}),
    Case("pyjwk-alg-mismatch", good, "InvalidAlgorithmError", {"key": JWK(lambda k: _jwk_oct(k), "HS512"), "algorithms": ["HS256", "HS512"]}),
    Case("pyjwk-alg-mismatch-from-jwk", good, "InvalidAlgorithmError", {"key": JWK(lambda k: _jwk_oct(k, alg="HS384")), "algorithms": ["HS256"]}),
    Case("pyjwk-alg-not-allowed-default", good, "InvalidAlgorithmError", {"key": JWK(lambda k: _jwk_oct(k), "HS512"), "algorithms": OMIT}),
    Case("pyjwk-rsa", T(alg="RS256", header={"alg": "RS256"}), "ok", {"key": JWK(lambda k: _jwk_public(k, "rsa")), "algorithms": OMIT}),
    Case("pyjwk-rsa-as-ps256", T(alg="PS256", header={"alg": "PS256"}), "ok", {"key": JWK(lambda k: _jwk_public(k, "rsa"), "PS256"), "algorithms": ["PS256"]}),
    Case("pyjwk-ec", T(alg="ES256", header={"alg": "ES256"}), "ok", {"key": JWK(lambda k: _jwk_public(k, "p256")), "algorithms": OMIT}),
    Case("pyjwk-ec-p384", T(alg="ES384", header={"alg": "ES384"}), "ok", {"key": JWK(lambda k: _jwk_public(k, "p384")), "algorithms": ["ES384"]}),
    Case("pyjwk-ec-k256", T(alg="ES256K", header={"alg": "ES256K"}), "ok", {"key": JWK(lambda k: _jwk_public(k, "k256")), "algorithms": OMIT}),
    Case("pyjwk-ed25519", T(alg="EdDSA", header={"alg": "EdDSA"}), "ok", {"key": JWK(lambda k: _jwk_public(k, "ed25519")), "algorithms": ["EdDSA"]}),
    Case("pyjwk-ed448-explicit-alg", T(alg="EdDSA", header={"alg": "EdDSA"}, key_name="ed448"), "ok", {"key": JWK(lambda k: _jwk_public(k, "ed448"), "EdDSA"), "algorithms": ["EdDSA"]}),
    Case("pyjwk-hs-token-rsa-jwk", good, "InvalidAlgorithmError", {"key": JWK(lambda k: _jwk_public(k, "rsa")), "algorithms": ["HS256", "RS256"]}),
    # An allowed alg the registry lacks: a PyJWK's binding is checked first ("does not match", not "not supported").
    Case("pyjwk-alg-allowed-but-unknown", T(header={"alg": "XX999"}), "InvalidAlgorithmError", {"key": JWK(lambda k: _jwk_oct(k)), "algorithms": ["HS256", "XX999"]}),
    Case("pyjwk-rsa-forged", lambda k: forged(k), "InvalidAlgorithmError", {"key": JWK(lambda k: _jwk_public(k, "rsa")), "algorithms": OMIT}),
    Case("pyjwk-unsupported-kty", good, "InvalidKeyError", {"key": JWK(lambda k: {"kty": "XYZ"})}),
    Case("pyjwk-unsupported-crv", good, "InvalidKeyError", {"key": JWK(lambda k: {"kty": "EC", "crv": "P-999", "x": "AA", "y": "AA"})}),
    Case("pyjwk-empty-oct", good, "InvalidKeyError", {"key": JWK(lambda k: {"kty": "oct", "k": ""})}),
    Case("pyjwk-ec-bad-coords", good, "InvalidKeyError", {"key": JWK(lambda k: {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"})}),
    # --- the claims of a complete, realistic token --------------------------------
    Case("realistic-all-claims", T(payload=lambda: {"iss": "i", "sub": "s", "aud": ["a", "b"], "exp": _future(), "nbf": now() - 5, "iat": now() - 5, "jti": "j"}), "ok", {"audience": "b", "issuer": ("i",), "subject": "s", "options": {"require": ["exp", "iat", "sub"]}}),
]


def _es_der_token(keys: Keys) -> str:
    """An ES256 token carrying a DER (not raw r||s) signature: must not verify."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    h = b64url(b'{"alg":"ES256"}')
    p = b64url(b"{}")
    der = keys.p256.sign(f"{h}.{p}".encode(), ec.ECDSA(hashes.SHA256()))
    return f"{h}.{p}.{b64url(der)}"


_CASE_IDS = [c.id for c in CASES]
assert len(_CASE_IDS) == len(set(_CASE_IDS)), "duplicate case ids"


def _call(lib: Any, fn: str, token: Any, kwargs: Dict[str, Any]) -> Any:
    kwargs = dict(kwargs)
    if fn == "decode":
        return lib.decode(token, **kwargs)
    return lib.decode_complete(token, **kwargs)


def _lib_outcome(case: Case, keys: Keys, lib: Any, fn: str, token: Any) -> Tuple[Outcome, Dict[str, Any]]:
    holder: Dict[str, Any] = {}

    def call() -> Any:
        holder["kwargs"] = case.resolved(keys, lib)  # PyJWK construction counts as part of the call
        return _call(lib, fn, token, holder["kwargs"])

    return run(call), holder.get("kwargs", {})


@pytest.mark.parametrize("case", CASES, ids=_CASE_IDS)
def test_equality_table(keys: Keys, case: Case) -> None:
    token = case.token(keys)
    for fn in ("decode", "decode_complete"):
        py, py_kwargs = _lib_outcome(case, keys, pyjwt, fn, token)
        fast, fast_kwargs = _lib_outcome(case, keys, fastjwt, fn, token)
        assert py.name == case.expect, f"PyJWT {fn}: expected {case.expect}, got {py!r}"
        assert fast.name == case.expect, f"fastjwt {fn}: expected {case.expect}, got {fast!r}\nPyJWT: {py!r}"
        assert_same(py, fast)
        # Neither library mutates the options it was given.
        if "options" in case.kwargs:
            assert fast_kwargs.get("options") == case.kwargs["options"]
            assert py_kwargs.get("options") == case.kwargs["options"]


@pytest.mark.parametrize("case", CASES, ids=_CASE_IDS)
def test_get_unverified_header_table(keys: Keys, case: Case) -> None:
    token = case.token(keys)
    py = run(lambda: pyjwt.get_unverified_header(token))
    fast = run(lambda: fastjwt.get_unverified_header(token))
    assert py.name == fast.name, f"\nPyJWT:   {py!r}\nfastjwt: {fast!r}"
    assert_same(py, fast)


# ---------------------------------------------------------------------------
# 3. Check order: several faults, one exception
# ---------------------------------------------------------------------------


def _two_faults(header: Dict[str, Any], payload: Callable[[], Dict[str, Any]], *, forge: bool = False, **kw: Any) -> Callable[[Keys], str]:
    def build(keys: Keys) -> str:
        tok = raw_token(header, payload(), **kw)
        if forge:
            h, p, _ = tok.split(".")
            tok = f"{h}.{p}.{b64url(bytes(32))}"
        return tok

    return build


ORDER_CASES: List[Case] = [
    Case("forged-and-expired", _two_faults({"alg": "HS256"}, lambda: {"exp": _past()}, forge=True), "InvalidSignatureError"),
    Case("forged-and-payload-not-json", lambda k: ".".join([b64url(b'{"alg":"HS256"}'), b64url(b"not json"), b64url(bytes(32))]), "InvalidSignatureError"),
    Case("forged-and-missing-required", _two_faults({"alg": "HS256"}, lambda: {}, forge=True), "InvalidSignatureError", {"options": {"require": ["exp"]}}),
    Case("expired-and-wrong-audience", _two_faults({"alg": "HS256"}, lambda: {"exp": _past(), "aud": "x"}), "ExpiredSignatureError", {"audience": "y"}),
    Case("expired-and-wrong-issuer", _two_faults({"alg": "HS256"}, lambda: {"exp": _past(), "iss": "x"}), "ExpiredSignatureError", {"issuer": "y"}),
    Case("nbf-future-and-expired", _two_faults({"alg": "HS256"}, lambda: {"exp": _past(), "nbf": _future()}), "ImmatureSignatureError"),
    Case("iat-future-and-nbf-future", _two_faults({"alg": "HS256"}, lambda: {"iat": now() + 7200, "nbf": _future()}), "ImmatureSignatureError"),
    Case("iat-bad-and-exp-bad", _two_faults({"alg": "HS256"}, lambda: {"iat": "x", "exp": "y"}), "InvalidIssuedAtError"),
    Case("nbf-bad-and-exp-past", _two_faults({"alg": "HS256"}, lambda: {"nbf": None, "exp": _past()}), "DecodeError"),
    Case("missing-required-and-expired", _two_faults({"alg": "HS256"}, lambda: {"exp": _past()}), "MissingRequiredClaimError", {"options": {"require": ["sub"]}}),
    Case("missing-required-and-iat-bad", _two_faults({"alg": "HS256"}, lambda: {"iat": "bad"}), "MissingRequiredClaimError", {"options": {"require": ["jti"]}}),
    Case("wrong-issuer-and-wrong-audience", _two_faults({"alg": "HS256"}, lambda: {"iss": "x", "aud": "x"}), "InvalidIssuerError", {"issuer": "y", "audience": "y"}),
    Case("wrong-audience-and-bad-subject", _two_faults({"alg": "HS256"}, lambda: {"aud": "x", "sub": 1}), "InvalidAudienceError", {"audience": "y"}),
    Case("bad-subject-and-bad-jti", _two_faults({"alg": "HS256"}, lambda: {"sub": 1, "jti": 1}), "InvalidSubjectError"),
    Case("issuer-missing-and-audience-missing", _two_faults({"alg": "HS256"}, lambda: {}), "MissingRequiredClaimError", {"issuer": "i", "audience": "a"}),
    Case("kid-bad-and-forged", _two_faults({"alg": "HS256", "kid": 1}, lambda: {}, forge=True), "InvalidTokenError"),
    Case("crit-bad-and-alg-not-allowed", _two_faults({"alg": "RS256", "crit": ["x"]}, lambda: {}), "InvalidTokenError"),
    Case("kid-bad-and-crit-bad", _two_faults({"alg": "HS256", "kid": 1, "crit": []}, lambda: {}), "InvalidTokenError"),
    Case("crit-bad-and-detached-payload", _two_faults({"alg": "HS256", "crit": []}, lambda: {}), "InvalidTokenError", {"detached_payload": b"x"}),
    Case("detached-payload-and-alg-not-allowed", _two_faults({"alg": "RS256"}, lambda: {}), "DecodeError", {"detached_payload": b"x"}),
    Case("alg-not-allowed-and-forged", _two_faults({"alg": "HS512"}, lambda: {}, forge=True), "InvalidAlgorithmError"),
    Case("alg-missing-and-forged", _two_faults({"typ": "JWT"}, lambda: {}, forge=True), "InvalidAlgorithmError"),
    Case("alg-not-allowed-and-pem-secret", _two_faults({"alg": "HS512"}, lambda: {}), "InvalidAlgorithmError", {"key": Lazy(lambda k: k.pem_public("rsa"))}),
    Case("alg-unknown-and-pem-secret", _two_faults({"alg": "XX1"}, lambda: {}), "InvalidAlgorithmError", {"algorithms": ["XX1", "HS256"], "key": Lazy(lambda k: k.pem_public("rsa"))}),
    Case("pem-secret-and-forged", _two_faults({"alg": "HS256"}, lambda: {}, forge=True), "InvalidKeyError", {"key": Lazy(lambda k: k.pem_public("rsa"))}),
    Case("short-key-enforced-and-forged", _two_faults({"alg": "HS256"}, lambda: {}, forge=True), "InvalidKeyError", {"key": "short", "options": {"enforce_minimum_key_length": True}}),
    Case("short-key-warning-and-expired", _two_faults({"alg": "HS256"}, lambda: {"exp": _past()}, key=b"short"), "ExpiredSignatureError", {"key": "short"}),
    Case("bad-crypto-b64-and-alg-not-allowed", lambda k: raw_token({"alg": "RS256"}, {}, alg="RS256")[:-1] + "!", "DecodeError"),
    Case("bad-payload-b64-and-bad-header-json-object", lambda k: f"{b64url(b'[]')}.!!!!.{b64url(bytes(32))}", "DecodeError"),
    Case("bad-header-b64-and-bad-payload-b64", S("!!!!.!!!!.AAAA"), "DecodeError"),
    Case("algorithms-missing-and-garbage-token", S("x"), "DecodeError", {"algorithms": None}),
    Case("algorithms-missing-and-token-not-str", S(12), "DecodeError", {"algorithms": None}),
    Case("token-not-str-and-pem-secret", S(12), "DecodeError", {"key": Lazy(lambda k: k.pem_public("rsa"))}),
    Case("none-token-with-key-and-expired", _two_faults({"alg": "none"}, lambda: {"exp": _past()}, alg="none"), "InvalidKeyError", {"algorithms": ["none"]}),
    Case("payload-not-object-and-expired-looking", lambda k: raw_token({"alg": "HS256"}, b'[{"exp":0}]'), "DecodeError"),
    Case("audience-type-error-and-expired", _two_faults({"alg": "HS256"}, lambda: {"exp": _past()}), "TypeError", {"audience": 5}),
    Case("audience-type-error-and-forged", _two_faults({"alg": "HS256"}, lambda: {}, forge=True), "InvalidSignatureError", {"audience": 5}),
    Case("issuer-param-bad-and-aud-bad", _two_faults({"alg": "HS256"}, lambda: {"iss": "x", "aud": 1}), "InvalidIssuerError", {"issuer": 5, "audience": "a"}),
    Case("pyjwk-mismatch-and-forged", _two_faults({"alg": "HS256"}, lambda: {}, forge=True), "InvalidAlgorithmError", {"key": JWK(lambda k: _jwk_oct(k), "HS512"), "algorithms": ["HS256", "HS512"]}),
]


@pytest.mark.parametrize("case", ORDER_CASES, ids=[c.id for c in ORDER_CASES])
def test_check_order(keys: Keys, case: Case) -> None:
    token = case.token(keys)
    py, _ = _lib_outcome(case, keys, pyjwt, "decode", token)
    fast, _ = _lib_outcome(case, keys, fastjwt, "decode", token)
    assert py.name == case.expect, py
    assert fast.name == case.expect, f"{fast!r}\nPyJWT: {py!r}"
    assert_same(py, fast)


# ---------------------------------------------------------------------------
# The same table with the decode cache: the first call (a first sighting), the
# second (the validator is built) and the third (answered from its cache) must
# each give PyJWT's outcome; so must the same calls with the cache off.

@pytest.fixture
def fresh_decode_cache() -> Any:
    fastjwt.configure(decode_cache=True)
    yield
    fastjwt.configure(decode_cache=True)


def _cached_outcomes(case: Case, keys: Keys, fn: str, token: Any) -> List[Tuple[Outcome, Outcome]]:
    """Four calls in each library, with arguments resolved once per library: the same
    PyJWK object (as PyJWKClient returns) and options dict on every call (and the
    same generator, consumed alike by both)."""
    py_resolved, fast_resolved = run(lambda: case.resolved(keys, pyjwt)), run(lambda: case.resolved(keys, fastjwt))
    if not (py_resolved.ok and fast_resolved.ok):  # a PyJWK that cannot be built: no call to make
        return [(py_resolved, fast_resolved)]
    py_kwargs, fast_kwargs = py_resolved.value, fast_resolved.value
    options_before = copy.deepcopy(fast_kwargs.get("options"))
    pairs = [
        (run(lambda: _call(pyjwt, fn, token, py_kwargs)), run(lambda: _call(fastjwt, fn, token, fast_kwargs)))
        for _ in range(4)
    ]
    assert fast_kwargs.get("options") == options_before
    return pairs


def _check_cached(keys: Keys, case: Case) -> None:
    token = case.token(keys)
    for fn in ("decode", "decode_complete"):
        fastjwt.decode_cache_clear()
        hits = fastjwt.decode_cache_info().hits
        pairs = _cached_outcomes(case, keys, fn, token)
        assert pairs[0][0].name == case.expect, pairs[0][0]
        for call, (py, fast) in enumerate(pairs, 1):
            assert fast.name == py.name, f"fastjwt {fn} call {call}: {fast!r}\nPyJWT: {py!r}"
            assert_same(py, fast)
        info = fastjwt.decode_cache_info()
        if info.validators and case.expect == "ok":
            assert info.hits - hits >= 2, info  # calls 3 and 4 were hits


@pytest.mark.parametrize("case", CASES + ORDER_CASES, ids=[c.id for c in CASES + ORDER_CASES])
def test_equality_table_with_the_decode_cache(keys: Keys, case: Case, fresh_decode_cache: Any) -> None:
    _check_cached(keys, case)


@pytest.mark.parametrize("case", CASES + ORDER_CASES, ids=[c.id for c in CASES + ORDER_CASES])
def test_equality_table_with_the_decode_cache_off(keys: Keys, case: Case, fresh_decode_cache: Any) -> None:
    fastjwt.configure(decode_cache=False)
    token = case.token(keys)
    for fn in ("decode", "decode_complete"):
        for py, fast in _cached_outcomes(case, keys, fn, token):
            assert_same(py, fast)
    assert fastjwt.decode_cache_info() == fastjwt.DecodeCacheInfo(
        enabled=False, hits=0, misses=0, currsize=0, maxsize=8 * 4096, validators=0, maxvalidators=8,
        bypassed=fastjwt.decode_cache_info().bypassed,
    )


def _key_forms(keys: Keys, alg: str, key_name: str) -> List[Tuple[str, Callable[[Any], Any]]]:
    """(form, make(lib)): each verification key form applications pass, made once per library."""
    if key_name == "hmac":
        jwk = {"kty": "oct", "k": b64url(keys.hmac), "alg": alg}
        return [("bytes", lambda lib: keys.hmac), ("str", lambda lib: keys.hmac.decode()),
                ("pyjwk", lambda lib: lib.PyJWK(jwk))]
    algo = {"rsa": pyjwt.algorithms.RSAAlgorithm, "ed25519": pyjwt.algorithms.OKPAlgorithm,
            "ed448": pyjwt.algorithms.OKPAlgorithm}.get(key_name, pyjwt.algorithms.ECAlgorithm)
    jwk = {**algo.to_jwk(keys.public(key_name), as_dict=True), "alg": alg}
    return [
        ("object", lambda lib: keys.public(key_name)),
        ("pem-str", lambda lib: keys.pem_public(key_name).decode()),
        ("pem-bytes", lambda lib: keys.pem_public(key_name)),
        ("pyjwk", lambda lib: lib.PyJWK(jwk)),
    ]


_CACHED_VARIANTS: List[Tuple[str, Dict[str, Any], str]] = [
    # (id, extra decode arguments, which token)
    ("valid", {}, "valid"),
    ("valid-leeway-timedelta", {"leeway": datetime.timedelta(seconds=30)}, "valid"),
    ("valid-aud-list-iss-list", {"audience": ["web", "x"], "issuer": ["https://issuer.example", "y"]}, "valid"),
    ("expired", {}, "expired"),
    ("expired-with-leeway", {"leeway": 10**6}, "expired"),
    ("expired-verify-exp-off", {"options": {"verify_exp": False}}, "expired"),
    ("forged", {}, "forged"),
    ("wrong-audience", {"audience": "other"}, "valid"),
    ("strict-aud", {"options": {"strict_aud": True}}, "valid"),
    ("wrong-subject", {"subject": "user-2"}, "valid"),
    ("require-missing", {"options": {"require": ["exp", "email"]}}, "valid"),
    ("alg-not-allowed", {"algorithms": ["HS512"]}, "valid"),
]


@pytest.mark.parametrize("case_id, alg, key_name", ALGORITHMS, ids=[a[0] for a in ALGORITHMS])
def test_every_algorithm_and_key_form_cached(keys: Keys, case_id: str, alg: str, key_name: str,
                                            fresh_decode_cache: Any) -> None:
    """Every algorithm, every key form and a dozen argument variants: four calls each
    (first sighting, validator built, two cache hits) give PyJWT's outcomes."""
    t = now()
    base = {"sub": "user-1", "iss": "https://issuer.example", "aud": ["api", "web"], "iat": t - 5, "exp": t + 600,
            "nested": {"roles": ["a", "b"]}}
    valid = pyjwt.encode(base, signing_key(keys, key_name), algorithm=alg)
    tokens = {
        "valid": valid,
        "expired": pyjwt.encode({**base, "exp": t - 60}, signing_key(keys, key_name), algorithm=alg),
        "forged": valid[:-6] + ("AAAAAA" if not valid.endswith("AAAAAA") else "BBBBBB"),
    }
    served = 0
    for form, make in _key_forms(keys, alg, key_name):
        py_key, fast_key = make(pyjwt), make(fastjwt)
        for variant, extra, which in _CACHED_VARIANTS:
            fastjwt.decode_cache_clear()
            kwargs: Dict[str, Any] = {"algorithms": [alg], "audience": "api", "issuer": "https://issuer.example",
                                      "subject": "user-1", **extra}
            for fn in ("decode", "decode_complete"):
                for call in range(4):
                    py = run(_call, pyjwt, fn, tokens[which], {"key": py_key, **copy.deepcopy(kwargs)})
                    fast = run(_call, fastjwt, fn, tokens[which], {"key": fast_key, **copy.deepcopy(kwargs)})
                    assert fast.name == py.name, f"{form} {variant} {fn} call {call + 1}: {fast!r}\nPyJWT: {py!r}"
                    assert_same(py, fast)
            served += fastjwt.decode_cache_info().validators
    print(f"\n{case_id}: {served} of {len(_key_forms(keys, alg, key_name)) * len(_CACHED_VARIANTS)} served by the cache")
    # Each form has one call the cache never serves: an allowlist its key cannot verify.
    assert served >= len(_key_forms(keys, alg, key_name)) * (len(_CACHED_VARIANTS) - 1)


def test_the_cached_table_exercises_the_cache(keys: Keys, fresh_decode_cache: Any) -> None:
    """Most of the table goes through validators (the rest is never cached, by design)."""
    served = []
    for case in CASES + ORDER_CASES:
        fastjwt.decode_cache_clear()
        resolved = run(case.resolved, keys, fastjwt)
        if resolved.ok:
            token = case.token(keys)
            for _ in range(2):
                run(_call, fastjwt, "decode", token, resolved.value)
            if fastjwt.decode_cache_info().validators:
                served.append(case.id)
    print(f"\n{len(served)} of {len(CASES + ORDER_CASES)} cases served by a cached validator")
    assert len(served) >= 280, served
    for expected in ("valid", "valid-bytes", "forged-and-expired", "expired-and-wrong-audience"):
        assert expected in served
    for never in ("short-key-warning-and-expired", "none-token-with-key-and-expired", "crit-bad-and-detached-payload"):
        assert never not in served


# ---------------------------------------------------------------------------
# Options dictionaries
# ---------------------------------------------------------------------------


def test_options_dicts_are_never_mutated(keys: Keys) -> None:
    expired = raw_token({"alg": "HS256"}, {"exp": _past()})
    for lib in LIBS:
        unverified = {"verify_signature": False}
        snapshot = dict(unverified)
        assert "exp" in lib.decode(expired, keys.hmac, algorithms=["HS256"], options=unverified)
        assert unverified == snapshot, lib.__name__
        # Reusing the same dict later must not have disabled the claim checks.
        out = run(lib.decode, expired, keys.hmac, algorithms=["HS256"])
        assert out.name == "ExpiredSignatureError", (lib.__name__, out)
        options = {"require": ["exp"], "verify_aud": True}
        before = copy.deepcopy(options)
        run(lib.decode, expired, keys.hmac, algorithms=["HS256"], options=options, leeway=10**9)
        assert options == before, lib.__name__


def test_decode_returns_a_new_dict_each_call(keys: Keys) -> None:
    token = raw_token({"alg": "HS256"}, {"a": [1], "exp": _future()})
    first = fastjwt.decode(token, keys.hmac, algorithms=["HS256"])
    first["a"].append(2)
    first["b"] = 1
    second = fastjwt.decode(token, keys.hmac, algorithms=["HS256"])
    assert second == pyjwt.decode(token, keys.hmac, algorithms=["HS256"])
    assert second["a"] == [1] and "b" not in second
    # An expired token is rejected even after a successful decode of the same
    # token (no stale cache): same key, same arguments, different clock result.
    soon = raw_token({"alg": "HS256"}, {"exp": now()})
    assert run(lambda: fastjwt.decode(soon, keys.hmac, algorithms=["HS256"])).name == "ExpiredSignatureError"


# ---------------------------------------------------------------------------
# The same table through the class APIs: PyJWS (signature layer only) and
# PyJWT instances with instance-level options.
# ---------------------------------------------------------------------------

_SIG_KWARGS = ("key", "algorithms", "detached_payload")


@pytest.mark.parametrize("case", CASES + ORDER_CASES, ids=[c.id for c in CASES + ORDER_CASES])
def test_pyjws_decode_complete_table(keys: Keys, case: Case) -> None:
    token = case.token(keys)

    def call(lib: Any) -> Any:
        kwargs = case.resolved(keys, lib)
        options = kwargs.get("options") or {}
        sig_kwargs = {n: v for n, v in kwargs.items() if n in _SIG_KWARGS}
        sig_options = {n: options[n] for n in ("verify_signature", "enforce_minimum_key_length") if n in options}
        result = lib.PyJWS().decode_complete(token, options=sig_options or None, **sig_kwargs)
        assert isinstance(result["payload"], bytes)
        return result

    py, fast = run(lambda: call(pyjwt)), run(lambda: call(fastjwt))
    if py.ok or fast.ok:
        assert py.ok and fast.ok, f"\nPyJWT:   {py!r}\nfastjwt: {fast!r}"
    assert_same(py, fast)


_INSTANCE_CASES: List[Tuple[str, Dict[str, Any], Optional[Dict[str, Any]], Callable[[Keys], str], str]] = [
    # (id, instance options, per-call options, token, expected PyJWT outcome)
    ("instance-verify-exp-off", {"verify_exp": False}, None, T(payload=lambda: {"exp": _past()}), "ok"),
    ("instance-verify-exp-off-call-on", {"verify_exp": False}, {"verify_exp": True}, T(payload=lambda: {"exp": _past()}), "ExpiredSignatureError"),
    ("instance-unverified-call-none", {"verify_signature": False}, None, forged, "InvalidSignatureError"),
    ("instance-unverified-call-unverified", {"verify_signature": False}, {"verify_signature": False}, forged, "ok"),
    ("instance-unverified-claims-default-off", {"verify_signature": False}, None, T(payload=lambda: {"exp": _past()}), "ok"),
    ("instance-require", {"require": ["sub"]}, None, T(payload={}), "MissingRequiredClaimError"),
    ("instance-require-overridden", {"require": ["sub"]}, {"require": []}, T(payload={}), "ok"),
    ("instance-strict-aud", {"strict_aud": True}, None, T(payload={"aud": ["a"]}), "InvalidAudienceError"),
    ("instance-enforce-key-length", {"enforce_minimum_key_length": True}, None, T(key=b"short"), "InvalidKeyError"),
]


@pytest.mark.parametrize("case_id, instance_options, call_options, make_token, expected", _INSTANCE_CASES, ids=[c[0] for c in _INSTANCE_CASES])
def test_pyjwt_instance_options(keys: Keys, case_id: str, instance_options: Dict[str, Any], call_options: Optional[Dict[str, Any]], make_token: Callable[[Keys], str], expected: str) -> None:
    token = make_token(keys)
    key = b"short" if "key-length" in case_id else keys.hmac
    kwargs: Dict[str, Any] = dict(algorithms=["HS256"], options=copy.deepcopy(call_options), audience="a" if "aud" in case_id else None)
    py = run(lambda: pyjwt.PyJWT(copy.deepcopy(instance_options)).decode(token, key, **kwargs))
    fast = run(lambda: fastjwt.PyJWT(copy.deepcopy(instance_options)).decode(token, key, **kwargs))
    assert py.name == expected, py
    assert fast.name == expected, f"{fast!r}\nPyJWT: {py!r}"
    assert_same(py, fast)
    assert fastjwt.PyJWT(copy.deepcopy(instance_options)).options == pyjwt.PyJWT(copy.deepcopy(instance_options)).options


# ---------------------------------------------------------------------------
# 4. Namespace and exception hierarchy
# ---------------------------------------------------------------------------


def _kind(obj: Any) -> str:
    import types

    if isinstance(obj, type):
        if issubclass(obj, Warning):
            return "warning class"
        if issubclass(obj, BaseException):
            return "exception class"
        return "class"
    if isinstance(obj, types.ModuleType):
        return "module"
    if callable(obj):
        return "callable"
    return type(obj).__name__


@pytest.mark.parametrize("name", sorted(pyjwt.__all__))
def test_namespace_name_exists_with_same_kind(name: str) -> None:
    assert hasattr(fastjwt, name), f"fastjwt.{name} is missing"
    assert _kind(getattr(fastjwt, name)) == _kind(getattr(pyjwt, name))
    assert name in fastjwt.__all__


def _exception_names(module: Any) -> List[str]:
    return sorted(
        n for n, v in vars(module).items() if isinstance(v, type) and issubclass(v, BaseException) and v.__module__ == module.__name__
    )


@pytest.mark.parametrize("name", _exception_names(pyjwt.exceptions))
def test_exceptions_have_the_same_hierarchy(name: str) -> None:
    ours = getattr(fastjwt.exceptions, name, None)
    assert ours is not None, f"fastjwt.exceptions.{name} is missing"
    theirs = getattr(pyjwt.exceptions, name)
    assert [c.__name__ for c in ours.__mro__] == [c.__name__ for c in theirs.__mro__]
    if hasattr(pyjwt, name):
        assert getattr(fastjwt, name) is ours


_PUBLIC_NAMES_FILE = __import__("pathlib").Path(__file__).parent / "data" / "pyjwt_public_names.json"
_PUBLIC_NAMES: Dict[str, List[str]] = json.loads(_PUBLIC_NAMES_FILE.read_text())["modules"]
# Standard-library homes of the typing helpers and imports that PyJWT's modules
# happen to expose; they are not PyJWT's API (tests/data/pyjwt_public_names.json says so).
_NOT_API_HOMES = frozenset((
    "typing", "typing_extensions", "collections.abc", "abc", "functools", "datetime", "calendar",
    "__future__", "builtins", "urllib.error", "urllib.parse", "ssl", "http.client",
))


def _pyjwt_public_names(module: Any) -> List[str]:
    import types

    return sorted(
        name for name in dir(module)
        if not name.startswith("_") and name not in ("annotations", "TYPE_CHECKING")
        and not isinstance(getattr(module, name), types.ModuleType)
        and getattr(getattr(module, name), "__module__", None) not in _NOT_API_HOMES
    )


def test_public_names_list_is_pyjwts() -> None:
    """tests/data/pyjwt_public_names.json is exactly what the installed PyJWT exposes."""
    import importlib

    assert pyjwt.__version__ == "2.15.1"
    assert sorted(_PUBLIC_NAMES) == sorted((
        "api_jws", "api_jwt", "api_jwk", "algorithms", "exceptions", "jwks_client", "jwk_set_cache",
        "utils", "types", "warnings", "help",
    ))
    for module, names in _PUBLIC_NAMES.items():
        assert names == _pyjwt_public_names(importlib.import_module(f"jwt.{module}")), module


@pytest.mark.parametrize(
    "module, name", [(module, name) for module, names in sorted(_PUBLIC_NAMES.items()) for name in names]
)
def test_every_pyjwt_submodule_name_exists_in_fastjwt(module: str, name: str) -> None:
    import importlib

    ours = importlib.import_module(f"fastjwt.{module}")
    theirs = importlib.import_module(f"jwt.{module}")
    assert hasattr(ours, name), f"fastjwt.{module}.{name} is missing"
    assert _kind(getattr(ours, name)) == _kind(getattr(theirs, name))


def test_submodule_functions_are_bound_to_the_global_objects() -> None:
    """As in PyJWT: jwt.api_jws.* and jwt.api_jwt.* are the top-level functions' objects."""
    import fastjwt.api_jws
    import fastjwt.api_jwt

    jws = fastjwt.api_jws._jws_global_obj
    for name in ("encode", "decode", "decode_complete", "get_unverified_header", "register_algorithm",
                 "unregister_algorithm", "get_algorithm_by_name"):
        bound = getattr(fastjwt.api_jws, name)
        assert bound.__self__ is jws and bound.__func__ is getattr(fastjwt.PyJWS, name)
    jwt_obj = fastjwt.api_jwt._jwt_global_obj
    for name in ("encode", "decode", "decode_complete"):
        bound = getattr(fastjwt.api_jwt, name)
        assert bound.__self__ is jwt_obj and bound.__func__ is getattr(fastjwt.PyJWT, name)
        assert getattr(fastjwt, name).__self__ is jwt_obj
    assert jwt_obj._jws is jws
    assert fastjwt.get_unverified_header.__self__ is jws


def test_submodule_functions_work_as_in_pyjwt(keys: Keys) -> None:
    """jwt.api_jws.encode(bytes) / jwt.api_jwt.decode: social-auth-core's MediaWiki backend calls these."""
    import fastjwt.api_jws
    import fastjwt.api_jwt

    for lib_jws, lib_jwt in ((pyjwt.api_jws, pyjwt.api_jwt), (fastjwt.api_jws, fastjwt.api_jwt)):
        token = lib_jws.encode(b'{"sub":"alice"}', HMAC_SECRET, algorithm="HS256")
        assert lib_jws.decode(token, HMAC_SECRET, algorithms=["HS256"]) == b'{"sub":"alice"}'
        assert lib_jws.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
        assert lib_jwt.decode(token, HMAC_SECRET, algorithms=["HS256"]) == {"sub": "alice"}
        assert lib_jwt.decode_complete(token, HMAC_SECRET, algorithms=["HS256"])["payload"] == {"sub": "alice"}
        assert lib_jwt.encode({"sub": "alice"}, HMAC_SECRET, algorithm="HS256") == token
        assert type(lib_jws.get_algorithm_by_name("HS256")).__name__ == "HMACAlgorithm"


def test_pyjwt_helper_functions_of_utils_match() -> None:
    import fastjwt.utils

    for num, size in ((0, 1), (255, 1), (256, 2), (1, 4), (2**68, 3)):
        assert fastjwt.utils.number_to_bytes(num, size) == pyjwt.utils.number_to_bytes(num, size)
    for data in (b"\x00", b"\x01\x00", b"\xff" * 40):
        assert fastjwt.utils.bytes_to_number(data) == pyjwt.utils.bytes_to_number(data)


def test_exceptions_only_in_submodule() -> None:
    from fastjwt.exceptions import InvalidJTIError, InvalidSubjectError, MissingCryptographyError

    assert issubclass(InvalidSubjectError, fastjwt.InvalidTokenError)
    assert issubclass(InvalidJTIError, fastjwt.InvalidTokenError)
    assert issubclass(MissingCryptographyError, fastjwt.PyJWKError)
    assert not issubclass(fastjwt.InvalidKeyError, fastjwt.InvalidTokenError)


def test_warning_classes_match() -> None:
    import fastjwt.warnings

    for name in ("RemovedInPyjwt3Warning", "InsecureKeyLengthWarning"):
        ours, theirs = getattr(fastjwt.warnings, name), getattr(pyjwt.warnings, name)
        assert [c.__name__ for c in ours.__mro__] == [c.__name__ for c in theirs.__mro__]
    assert fastjwt.InsecureKeyLengthWarning is fastjwt.warnings.InsecureKeyLengthWarning


def test_missing_required_claim_error_args_and_str() -> None:
    for lib in LIBS:
        err = lib.exceptions.MissingRequiredClaimError("x")
        assert err.args == ("x",)
        assert err.claim == "x"
        assert str(err) == 'Token is missing the "x" claim'
        assert isinstance(err, lib.InvalidTokenError)


# ---------------------------------------------------------------------------
# 5. Deliberate differences: fastjwt's documented behaviour (not in the table)
# ---------------------------------------------------------------------------


def test_deep_json_secret_is_refused() -> None:
    # PyJWT accepts a 20,000-deep JSON array without "kty" as an HMAC secret;
    # fastjwt refuses any JSON secret too deep to inspect for a JWK.
    secret = b"[" * 20000 + b"]" * 20000
    token = raw_token({"alg": "HS256"}, b"{}", key=secret)
    with pytest.raises(fastjwt.InvalidKeyError, match="^The specified key looks like a JWK"):
        fastjwt.decode(token, secret, algorithms=["HS256"])
    assert pyjwt.decode(token, secret, algorithms=["HS256"]) == {}


def _fast(token: Any, key: Any = HMAC_SECRET, **kw: Any) -> Outcome:
    kw.setdefault("algorithms", ["HS256"])
    return run(lambda: fastjwt.decode(token, key, **kw))


def _py(token: Any, key: Any = HMAC_SECRET, **kw: Any) -> Outcome:
    kw.setdefault("algorithms", ["HS256"])
    return run(lambda: pyjwt.decode(token, key, **kw))


def _validator(token: Any, key: Any = HMAC_SECRET, **kw: Any) -> Outcome:
    kw.setdefault("algorithms", ["HS256"])
    return run(lambda: fastjwt.Validator(key, **kw).decode(token))


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":NaN}',
        b'{"a":Infinity}',
        b'{"a":-Infinity}',
        b'{"exp":NaN}',
        b'\xef\xbb\xbf{"a":1}',
        b'{"a":"\\ud800"}',
        b'{"a":"\\udc00x"}',
        b'{"a":["\\ud83d"]}',
        '{"a":1}'.encode("utf-16"),
        '{"a":1}'.encode("utf-16-le"),
        '{"a":1}'.encode("utf-32-be"),
    ],
    ids=["nan", "infinity", "minus-infinity", "nan-exp", "bom", "lone-high-surrogate", "lone-low-surrogate", "surrogate-in-list", "utf16", "utf16-le", "utf32-be"],
)
@pytest.mark.parametrize("where", ["payload", "header"])
def test_json_strictness(keys: Keys, raw: bytes, where: str) -> None:
    if where == "payload":
        token = raw_token({"alg": "HS256"}, raw)
    elif raw.startswith((b"{", b"\xef")):
        token = raw_token(raw.replace(b"{", b'{"alg":"HS256",', 1), {"sub": "x"})
    else:  # UTF-16/32: re-encode the header text in the same encoding
        encoding = {b"\xff\xfe": "utf-16", b"{\x00": "utf-16-le", b"\x00\x00": "utf-32-be"}[raw[:2]]
        token = raw_token('{"alg":"HS256","a":1}'.encode(encoding), {"sub": "x"})
    py = run(lambda: pyjwt.decode_complete(token, keys.hmac, algorithms=["HS256"]))
    assert py.ok or py.name == "DecodeError", py  # PyJWT accepts (nan-exp: int(nan) fails)
    for out in (_fast(token), _validator(token), run(lambda: fastjwt.decode(token, options={"verify_signature": False}))):
        assert out.exc_type is fastjwt.DecodeError, out
        assert out.message.startswith(f"Invalid {where} string: "), out
    if where == "header":
        out = run(lambda: fastjwt.get_unverified_header(token))
        assert out.exc_type is fastjwt.DecodeError, out


@pytest.mark.parametrize(
    "raw", [b"NaN", b"[NaN]", b"\xef\xbb\xbf[1]", b"[" * 1100 + b"]" * 1100], ids=["nan", "nan-list", "bom-list", "deep-list"]
)
def test_payloads_orjson_refuses_that_are_no_object_get_pyjwts_message(raw: bytes) -> None:
    # The standard library reads each as something other than an object (deep-list: from Python 3.13 on; before,
    # it gives up with the message PyJWT reports), so PyJWT says "must be a json object", whatever orjson said.
    token = raw_token({"alg": "HS256"}, raw)
    py = _py(token)
    if not raw.startswith(b"[[") or sys.version_info >= (3, 13):
        assert (py.name, py.message) == ("DecodeError", "Invalid payload string: must be a json object"), py
    for out in (_fast(token), _validator(token), run(lambda: fastjwt.decode(token, options={"verify_signature": False}))):
        assert (out.name, out.message) == (py.name, py.message), out


@pytest.mark.parametrize(
    "header",
    [
        b'{"alg":"HS256","alg":"none"}',
        b'{"alg":"none","alg":"HS256"}',
        b'{"alg":"HS256","kid":"a","kid":"b"}',
        b'{"alg":"HS256", "typ" : "JWT","typ":"JWT"}',
        b'{"alg":"HS256","\\u0061lg":"HS256"}',
        b'{"alg":"HS256","crit":["b64"],"crit":[]}',
    ],
    ids=["alg-then-none", "none-then-alg", "kid", "same-value", "escaped-name", "crit"],
)
def test_duplicate_header_members_are_rejected(keys: Keys, header: bytes) -> None:
    token = raw_token(header, {"sub": "x"})
    py = run(lambda: pyjwt.get_unverified_header(token))
    assert py.ok or py.name == "InvalidTokenError", py  # PyJWT: last one wins
    for out in (_fast(token), _validator(token), run(lambda: fastjwt.get_unverified_header(token))):
        assert out.exc_type is fastjwt.DecodeError, out
        assert out.message.startswith("Invalid header string: "), out


def test_duplicate_claims_last_wins_in_both(keys: Keys) -> None:
    token = raw_token({"alg": "HS256"}, b'{"aud":"x","aud":"y","n":1,"n":2}')
    for out in (_py(token, audience="y"), _fast(token, audience="y"), _validator(token, audience="y")):
        assert out.ok and out.value == {"aud": "y", "n": 2}, out


_TIME_STRICT = [
    ("exp", True, fastjwt.DecodeError, "Expiration Time claim (exp) must be an integer."),
    ("exp", False, fastjwt.DecodeError, "Expiration Time claim (exp) must be an integer."),
    ("exp", "99999999999", fastjwt.DecodeError, "Expiration Time claim (exp) must be an integer."),
    ("exp", "1.5", fastjwt.DecodeError, "Expiration Time claim (exp) must be an integer."),
    ("nbf", True, fastjwt.DecodeError, "Not Before claim (nbf) must be an integer."),
    ("nbf", False, fastjwt.DecodeError, "Not Before claim (nbf) must be an integer."),
    ("nbf", "1000", fastjwt.DecodeError, "Not Before claim (nbf) must be an integer."),
    ("iat", True, fastjwt.exceptions.InvalidIssuedAtError, "Issued At claim (iat) must be an integer."),
    ("iat", False, fastjwt.exceptions.InvalidIssuedAtError, "Issued At claim (iat) must be an integer."),
    ("iat", "1000", fastjwt.exceptions.InvalidIssuedAtError, "Issued At claim (iat) must be an integer."),
    ("iat", " 1000 ", fastjwt.exceptions.InvalidIssuedAtError, "Issued At claim (iat) must be an integer."),
]


@pytest.mark.parametrize("claim, value, exc, message", _TIME_STRICT, ids=[f"{c}-{v!r}" for c, v, _, _ in _TIME_STRICT])
def test_time_claims_must_be_json_numbers(keys: Keys, claim: str, value: Any, exc: type, message: str) -> None:
    token = raw_token({"alg": "HS256"}, {claim: value})
    for out in (_fast(token), _validator(token)):
        assert out.exc_type is exc, out
        assert out.message == message, out
    # Unverified decode with the claim check still on, too.
    out = run(lambda: fastjwt.decode(token, options={"verify_signature": False, f"verify_{claim}": True}))
    assert out.exc_type is exc and out.message == message, out


@pytest.mark.parametrize(
    "value, expect",
    [(lambda: now() + 0.9, "ExpiredSignatureError"), (lambda: now() - 1.999, "ExpiredSignatureError"), (lambda: _future() + 0.75, "ok")],
    ids=["now-plus-fraction", "past-fraction", "future-fraction"],
)
def test_float_times_are_truncated_like_pyjwt(keys: Keys, value: Callable[[], float], expect: str) -> None:
    token = raw_token({"alg": "HS256"}, {"exp": value()})
    py, fast, val = _py(token), _fast(token), _validator(token)
    assert py.name == fast.name == val.name == expect, (py, fast, val)
    assert_same(py, fast)
    assert_same(fast, val)


def test_b64_false_tokens_are_rejected(keys: Keys) -> None:
    payload = b'{"sub":"x"}'
    token = pyjwt.api_jws.PyJWS().encode(payload, keys.hmac, algorithm="HS256", is_payload_detached=True)
    # PyJWT accepts it with the detached payload.
    assert pyjwt.api_jws.PyJWS().decode(token, keys.hmac, algorithms=["HS256"], detached_payload=payload) == payload
    assert pyjwt.decode(token, keys.hmac, algorithms=["HS256"], detached_payload=payload) == {"sub": "x"}
    outcomes = [
        run(lambda: fastjwt.decode(token, keys.hmac, algorithms=["HS256"], detached_payload=payload)),
        run(lambda: fastjwt.decode(token, keys.hmac, algorithms=["HS256"])),
        run(lambda: fastjwt.decode_complete(token, keys.hmac, algorithms=["HS256"], detached_payload=payload)),
        run(lambda: fastjwt.decode(token, options={"verify_signature": False}, detached_payload=payload)),
        run(lambda: fastjwt.PyJWS().decode(token, keys.hmac, algorithms=["HS256"], detached_payload=payload)),
        run(lambda: fastjwt.Validator(keys.hmac, algorithms=["HS256"]).decode(token)),
    ]
    for out in outcomes:
        assert out.exc_type is fastjwt.DecodeError, out
        assert "b64" in out.message, out
    # b64=false without "b64" in crit: also a DecodeError (PyJWT: InvalidTokenError).
    no_crit = raw_token({"alg": "HS256", "b64": False}, payload_seg="")
    out = run(lambda: fastjwt.decode(no_crit, keys.hmac, algorithms=["HS256"], detached_payload=payload))
    assert isinstance(out.exc_type, type) and issubclass(out.exc_type, fastjwt.DecodeError), out
    # The header itself reads the same in both.
    assert_same(run(lambda: pyjwt.get_unverified_header(token)), run(lambda: fastjwt.get_unverified_header(token)))
    # A non-empty payload segment with b64=false: same message as PyJWT.
    non_empty = raw_token({"alg": "HS256", "b64": False, "crit": ["b64"]}, payload)
    for lib in LIBS:
        out = run(lib.decode, non_empty, keys.hmac, algorithms=["HS256"], detached_payload=payload)
        assert out.name == "DecodeError" and out.message == "Payload segment must be empty when 'b64' is false.", out


def _padded_token(keys: Keys, length: int) -> str:
    """A valid HS256 token of exactly ``length`` characters."""
    for extra in range(6):
        header = {"alg": "HS256", "x": "y" * extra}
        base = len(raw_token(header, {"p": ""}))
        estimate = max(0, (length - base) * 3 // 4 - 4)
        for filler in range(estimate, estimate + 10):
            token = raw_token(header, {"p": "x" * filler})
            if len(token) == length:
                return token
    raise AssertionError(f"could not build a token of {length} characters")


def test_tokens_longer_than_8192_bytes_are_rejected(keys: Keys) -> None:
    at_limit = _padded_token(keys, 8192)
    over = _padded_token(keys, 8193)
    assert len(at_limit) == 8192 and len(over) == 8193
    for tok in (at_limit, at_limit.encode()):
        assert _fast(tok).ok, _fast(tok)
        assert _validator(tok).ok
    huge = raw_token({"alg": "HS256"}, {"p": "x" * 100_000})
    for tok in (over, over.encode(), huge, huge.encode()):
        assert _py(tok).ok  # PyJWT has no limit
        for out in (
            _fast(tok),
            _validator(tok),
            run(fastjwt.decode, tok, options={"verify_signature": False}),
            run(fastjwt.get_unverified_header, tok),
        ):
            assert out.exc_type is fastjwt.DecodeError, out
    # Non-ASCII text is measured in UTF-8 bytes: 4100 two-byte characters.
    out = _fast("\u00e9" * 4100 + ".a.b")
    assert out.exc_type is fastjwt.DecodeError, out


@pytest.mark.parametrize("where", [0, 1, 2], ids=["header", "payload", "signature"])
def test_str_token_with_lone_surrogate_is_a_decode_error(keys: Keys, where: int) -> None:
    parts = raw_token({"alg": "HS256"}, {"sub": "x"}).split(".")
    parts[where] = parts[where][:2] + "\ud800" + parts[where][2:]
    token = ".".join(parts)
    assert _py(token).exc_type is UnicodeEncodeError
    for out in (_fast(token), _validator(token), run(lambda: fastjwt.decode(token, options={"verify_signature": False}))):
        assert out.exc_type is fastjwt.DecodeError, out
    assert run(lambda: fastjwt.get_unverified_header(token)).exc_type is fastjwt.DecodeError


_WRONG_TYPE_KEYS: List[Tuple[str, str, Callable[[Keys], Any], str]] = [
    ("rsa-public-for-es256", "ES256", lambda k: k.public("rsa"), "Expecting a PEM-formatted key."),
    ("ec-public-for-rs256", "RS256", lambda k: k.public("p256"), "Expecting a PEM-formatted key."),
    ("ed25519-for-ps256", "PS256", lambda k: k.public("ed25519"), "Expecting a PEM-formatted key."),
    ("rsa-public-for-eddsa", "EdDSA", lambda k: k.public("rsa"), "Expecting a PEM-formatted key."),
    ("ec-private-for-eddsa", "EdDSA", lambda k: k.private("p256"), "Expecting a PEM-formatted key."),
    ("none-for-rs256", "RS256", lambda k: None, "Expecting a PEM-formatted key."),
    ("int-for-es384", "ES384", lambda k: 12345, "Expecting a PEM-formatted key."),
    ("dict-for-eddsa", "EdDSA", lambda k: {"kty": "OKP"}, "Expecting a PEM-formatted key."),
    ("rsa-public-for-hs256", "HS256", lambda k: k.public("rsa"), "Expected a string or bytes value"),
    ("none-for-hs256", "HS256", lambda k: None, "Expected a string or bytes value"),
    ("int-for-hs512", "HS512", lambda k: 7, "Expected a string or bytes value"),
    ("bytearray-for-hs256", "HS256", lambda k: bytearray(b"x" * 32), "Expected a string or bytes value"),
]


@pytest.mark.parametrize("case_id, alg, make_key, message", _WRONG_TYPE_KEYS, ids=[c[0] for c in _WRONG_TYPE_KEYS])
def test_wrong_type_key_objects(keys: Keys, case_id: str, alg: str, make_key: Callable[[Keys], Any], message: str) -> None:
    key = make_key(keys)
    token = raw_token({"alg": alg}, {"sub": "x"}, alg=alg)
    py = run(lambda: pyjwt.decode(token, key, algorithms=[alg]))
    assert not py.ok
    if issubclass(py.exc_type, TypeError):
        assert py.message == message  # the message fastjwt keeps
    outcomes = [
        run(lambda: fastjwt.decode(token, key, algorithms=[alg])),
        run(lambda: fastjwt.Validator(key, algorithms=[alg]).decode(token)),
    ]
    for out in outcomes:
        assert not out.ok, out
        assert issubclass(out.exc_type, TypeError) and issubclass(out.exc_type, fastjwt.InvalidKeyError), out
        assert out.message == message, out
    if alg.startswith("HS"):
        enc = run(lambda: fastjwt.encode({}, key, algorithm=alg))
        assert issubclass(enc.exc_type, TypeError) and issubclass(enc.exc_type, fastjwt.InvalidKeyError), enc


_UNPARSABLE_KEYS: List[Tuple[str, str, Callable[[Keys], Any]]] = [
    ("garbage-rs256", "RS256", lambda k: "not a key"),
    ("garbage-ps512-bytes", "PS512", lambda k: b"\x00\x01garbage"),
    ("garbage-es256", "ES256", lambda k: "not a key"),
    ("ssh-rsa-for-es256", "ES256", lambda k: k.ssh_public("rsa")),
    ("truncated-pem-es384", "ES384", lambda k: k.pem_public("p384")[:60]),
    ("garbage-eddsa", "EdDSA", lambda k: "not a key"),
    ("empty-eddsa", "EdDSA", lambda k: ""),
    ("empty-rs256", "RS256", lambda k: b""),
    ("truncated-pem-rs256", "RS256", lambda k: k.pem_public("rsa")[:100]),
    ("ssh-ed25519-for-rs256", "RS256", lambda k: k.ssh_public("ed25519")),
    ("ssh-ecdsa-for-rs256", "RS256", lambda k: k.ssh_public("p256")),
]


@pytest.mark.parametrize("case_id, alg, make_key", _UNPARSABLE_KEYS, ids=[c[0] for c in _UNPARSABLE_KEYS])
def test_unparsable_key_text(keys: Keys, case_id: str, alg: str, make_key: Callable[[Keys], Any]) -> None:
    key = make_key(keys)
    token = raw_token({"alg": alg}, {"sub": "x"}, alg=alg)
    py = run(lambda: pyjwt.decode(token, key, algorithms=[alg]))
    assert not py.ok and (issubclass(py.exc_type, ValueError) or py.name == "InvalidKeyError"), py
    for out in (
        run(lambda: fastjwt.decode(token, key, algorithms=[alg])),
        run(lambda: fastjwt.Validator(key, algorithms=[alg]).decode(token)),
    ):
        assert not out.ok, out
        assert issubclass(out.exc_type, ValueError) and issubclass(out.exc_type, fastjwt.InvalidKeyError), out
        if alg[:2] in ("RS", "PS"):
            assert out.message == "Could not parse the provided public key.", out  # PyJWT's RSA message


_SECRET = "c2VjcmV0LW1hdGVyaWFsLXNob3VsZC1uZXZlci1sZWFr"  # base64url of a recognisable secret

_PYJWK_ERRORS: List[Tuple[str, Dict[str, Any], Optional[str], str]] = [
    ("no-kty", {"k": _SECRET, "d": _SECRET}, None, "InvalidKeyError"),
    ("empty-kty", {"kty": "", "d": _SECRET}, None, "InvalidKeyError"),
    ("okp-no-crv", {"kty": "OKP", "d": _SECRET, "x": _SECRET}, None, "InvalidKeyError"),
    ("unknown-alg", {"kty": "RSA", "alg": "XX999", "d": _SECRET, "n": _SECRET, "e": "AQAB"}, None, "PyJWKError"),
    ("unknown-alg-argument", {"kty": "oct", "k": _SECRET}, "HS999", "PyJWKError"),
    ("rsa-bad-numbers", {"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": _SECRET}, None, "InvalidKeyError"),
    ("ec-bad-coords", {"kty": "EC", "crv": "P-256", "x": _SECRET, "y": _SECRET, "d": _SECRET}, None, "InvalidKeyError"),
    ("ec-wrong-curve-for-alg", {"kty": "EC", "crv": "P-384", "x": _SECRET, "y": _SECRET, "d": _SECRET}, "ES256", "InvalidKeyError"),
    ("okp-bad-x", {"kty": "OKP", "crv": "Ed25519", "x": _SECRET, "d": _SECRET}, None, "InvalidKeyError"),
]


@pytest.mark.parametrize("case_id, data, alg, expect", _PYJWK_ERRORS, ids=[c[0] for c in _PYJWK_ERRORS])
def test_pyjwk_errors_never_include_key_material(case_id: str, data: Dict[str, Any], alg: Optional[str], expect: str) -> None:
    py = run(lambda: pyjwt.PyJWK(dict(data), alg))
    fast = run(lambda: fastjwt.PyJWK(dict(data), alg))
    assert py.name == expect, py
    assert fast.kind == py.kind, (fast, py)
    assert _SECRET not in fast.message, fast
    assert _SECRET[:12] not in fast.message, fast
    if alg is None:
        # Through PyJWKSet the bad key is skipped (and the error names no material either).
        out = run(lambda: fastjwt.PyJWKSet([dict(data)]))
        assert out.name == "PyJWKSetError" and _SECRET not in out.message, out


def test_ed448_jwk_without_alg_is_eddsa(keys: Keys) -> None:
    data = _jwk_public(keys, "ed448")
    assert run(lambda: pyjwt.PyJWK(dict(data))).message == "Unsupported crv: Ed448"
    jwk = fastjwt.PyJWK(dict(data))
    assert jwk.algorithm_name == "EdDSA"
    token = pyjwt.encode({"sub": "x"}, keys.ed448, algorithm="EdDSA")
    assert fastjwt.decode(token, jwk) == {"sub": "x"}
    assert fastjwt.decode(token, jwk, algorithms=["EdDSA"]) == {"sub": "x"}
    assert fastjwt.Validator(jwk, algorithms=["EdDSA"]).decode(token) == {"sub": "x"}


@pytest.mark.parametrize("data", [{"kty": "oct"}, {"kty": "oct", "alg": "HS256"}, {"kty": "oct", "k": None}], ids=["no-k", "no-k-with-alg", "k-null"])
def test_oct_jwk_without_k_is_invalid_key_error(data: Dict[str, Any]) -> None:
    py = run(lambda: pyjwt.PyJWK(dict(data)))
    assert not py.ok, py
    if "k" not in data:
        assert py.exc_type is KeyError, py  # PyJWT lets the KeyError escape
    out = run(lambda: fastjwt.PyJWK(dict(data)))
    assert out.exc_type is not None and issubclass(out.exc_type, fastjwt.InvalidKeyError), out


_HMAC_CONFUSION_EXTRAS: List[Tuple[str, Callable[[Keys], Any]]] = [
    ("begin-marker-without-end", lambda k: b"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A" + b"x" * 40),
    ("begin-certificate-without-end", lambda k: "-----BEGIN CERTIFICATE-----" + "y" * 40),
    ("der-public-key-in-str", lambda k: k.der_public("rsa").decode("latin-1")),
    ("der-certificate-in-str", lambda k: k.cert_der("p256").decode("latin-1")),
]


@pytest.mark.parametrize("case_id, make_key", _HMAC_CONFUSION_EXTRAS, ids=[c[0] for c in _HMAC_CONFUSION_EXTRAS])
def test_hmac_secret_confusion_beyond_pyjwt(keys: Keys, case_id: str, make_key: Callable[[Keys], Any]) -> None:
    key = make_key(keys)
    secret = key.encode("utf-8") if isinstance(key, str) else key
    token = raw_token({"alg": "HS256"}, {"sub": "x"}, key=secret)
    assert _py(token, key).ok  # PyJWT uses it as a shared secret
    message = "The specified key is an asymmetric key or x509 certificate and should not be used as an HMAC secret."
    for out in (_fast(token, key), _validator(token, key), run(lambda: fastjwt.encode({"a": 1}, key, algorithm="HS256"))):
        assert out.exc_type is fastjwt.InvalidKeyError and out.message == message, out


@pytest.mark.parametrize(
    "alg, algorithms",
    [(["HS256"], {"HS256"}), ({"a": 1}, frozenset({"HS256"})), (["HS256"], "HS256"), ({"HS256": 1}, "HS256"), (1, "HS256")],
    ids=["list-alg-set-algorithms", "object-alg-frozenset", "list-alg-str-algorithms", "object-alg-str-algorithms", "int-alg-str-algorithms"],
)
def test_odd_alg_types_are_not_allowed(keys: Keys, alg: Any, algorithms: Any) -> None:
    """PyJWT leaks TypeError from ``alg in algorithms`` here; fastjwt reports the alg as not allowed."""
    token = raw_token({"alg": alg}, {"sub": "x"})
    py = _py(token, algorithms=algorithms)
    assert py.exc_type is TypeError, py
    for out in (_fast(token, algorithms=algorithms), _validator(token, algorithms=list(algorithms) if not isinstance(algorithms, str) else [algorithms])):
        assert out.exc_type is fastjwt.InvalidAlgorithmError, out
        assert out.message == "The specified alg value is not allowed", out


@pytest.mark.parametrize(
    "alg, key_name, form",
    [("RS256", "rsa", "object"), ("RS512", "rsa", "pem"), ("PS256", "rsa", "object"), ("PS384", "rsa", "pem"), ("ES256", "p256", "object"), ("EdDSA", "ed25519", "pem")],
)
def test_verifying_with_a_private_key_works(keys: Keys, alg: str, key_name: str, form: str) -> None:
    token = pyjwt.encode({"sub": "x"}, keys.private(key_name), algorithm=alg)
    key = keys.private(key_name) if form == "object" else keys.pem_private(key_name)
    py = run(lambda: pyjwt.decode(token, key, algorithms=[alg]))
    if alg[:2] in ("RS", "PS"):
        assert py.exc_type is AttributeError, py  # PyJWT: RSAPrivateKey has no verify()
    for out in (run(lambda: fastjwt.decode(token, key, algorithms=[alg])), run(lambda: fastjwt.Validator(key, algorithms=[alg]).decode(token))):
        assert out.ok and out.value == {"sub": "x"}, out
    forged_token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    out = run(lambda: fastjwt.decode(forged_token, key, algorithms=[alg]))
    assert out.exc_type in (fastjwt.InvalidSignatureError, fastjwt.DecodeError), out


@pytest.mark.parametrize("form", ["pem", "der", "object"])
@pytest.mark.parametrize("alg, key_name", [("RS256", "rsa"), ("ES256", "p256"), ("EdDSA", "ed25519")])
def test_certificates_are_accepted_as_verification_keys(keys: Keys, alg: str, key_name: str, form: str) -> None:
    """Documented fastjwt extension (Validator docstring): X.509 certificates as keys."""
    token = pyjwt.encode({"sub": "x"}, keys.private(key_name), algorithm=alg)
    key = {"pem": keys.cert_pem(key_name), "der": keys.cert_der(key_name), "object": keys.certificate(key_name)}[form]
    for out in (run(lambda: fastjwt.decode(token, key, algorithms=[alg])), run(lambda: fastjwt.Validator(key, algorithms=[alg]).decode(token))):
        assert out.ok and out.value == {"sub": "x"}, out


# ---------------------------------------------------------------------------
# 6. Validator == fastjwt.decode over the same table
# ---------------------------------------------------------------------------

_VALIDATOR_ARGS = ("key", "algorithms", "options", "audience", "issuer", "subject", "leeway")


def _validator_eligible(case: Case) -> bool:
    kw = {"key": None, "algorithms": ["HS256"], **case.kwargs}
    if any(name not in _VALIDATOR_ARGS for name in kw):
        return False
    algorithms = kw["algorithms"]
    if algorithms is OMIT or isinstance(algorithms, str) or not algorithms or "none" in algorithms:
        return False
    options = kw.get("options") or {}
    if options.get("verify_signature", True) is False:
        return False
    if kw.get("key") is OMIT:
        return False
    return True


_VALIDATOR_CASES = [c for c in CASES + ORDER_CASES if _validator_eligible(c)]
_KEY_ERRORS = (fastjwt.InvalidKeyError, TypeError, ValueError)


@pytest.mark.parametrize("case", _VALIDATOR_CASES, ids=[c.id for c in _VALIDATOR_CASES])
def test_validator_matches_decode(keys: Keys, case: Case) -> None:
    token = case.token(keys)
    for fn in ("decode", "decode_complete"):
        # case.resolved inside the call: run records what it raises; fn=fn binds this iteration's name.
        decoded = run(lambda fn=fn: _call(fastjwt, fn, token, case.resolved(keys, fastjwt)))

        def build() -> Any:
            kwargs = case.resolved(keys, fastjwt)  # fresh: generators are consumed once
            key = kwargs.pop("key")
            options = dict(kwargs.pop("options", None) or {})
            require = options.pop("require", None)
            if require is not None and len(case.id) % 2:
                kwargs["require"] = require  # via the require= argument ...
            elif require is not None:
                options["require"] = require  # ... or via options, alternately
            if options:
                kwargs["options"] = options
            return fastjwt.Validator(key, **kwargs)

        built = run(build)
        if not built.ok:
            # A fail-fast constructor is accepted for problems with the key or
            # the arguments: decode must fail too, with the same exception
            # whenever it reaches that check (it may stop earlier on a token fault).
            assert not decoded.ok, f"Validator() raised {built!r} but decode returned {decoded!r}"
            assert issubclass(built.exc_type, _KEY_ERRORS) or built.exc_type is fastjwt.InvalidAlgorithmError, built
            if issubclass(decoded.exc_type, _KEY_ERRORS) or decoded.name == built.name:
                assert_same(decoded, built, compare_warnings=False)
            continue
        method = built.value.decode if fn == "decode" else built.value.decode_complete
        via_validator = run(method, token)
        assert_same(decoded, via_validator, compare_warnings=False)
        # Whatever decode warns about, the Validator warned about at construction.
        assert set(decoded.warnings) <= set(built.warnings) | set(via_validator.warnings), (decoded, built)
        # A Validator is reusable: the same token gives the same result again.
        assert_same(via_validator, run(method, token), compare_warnings=False)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"algorithms": "HS256"},
        {"algorithms": []},
        {"algorithms": ()},
        {"algorithms": None},
        {"algorithms": ["none"]},
        {"algorithms": ["HS256", "none"]},
        {"algorithms": ["HS256"], "options": {"verify_signature": False}},
        {"algorithms": ["HS256"], "options": {"verify_signature": 0}},
    ],
    ids=["str", "empty-list", "empty-tuple", "None", "none-only", "none-mixed", "verify-signature-false", "verify-signature-falsy"],
)
def test_validator_refuses_unsafe_configurations(keys: Keys, kwargs: Dict[str, Any]) -> None:
    out = run(lambda: fastjwt.Validator(keys.hmac, **kwargs))
    assert out.exc_type is ValueError, out
