"""The compiled core: strict base64url, segment splitting, JSON object parsing, DER signatures."""

from __future__ import annotations

import base64
import json
import os
import random
from typing import Any, List

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given
from hypothesis import strategies as st

from fastjwt import DecodeError
from fastjwt._core import HeaderVerdict, b64decode, b64encode, der_signature, load_claims, split


def seg(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def token(header: bytes = b'{"alg":"HS256"}', payload: bytes = b'{"a":1}', sig: bytes = b"\x01\x02") -> bytes:
    return b".".join((seg(header), seg(payload), seg(sig)))


# --- base64url -----------------------------------------------------------------


@pytest.mark.parametrize("size", range(0, 70))
def test_b64_round_trip_matches_stdlib(size: int) -> None:
    data = os.urandom(size)
    encoded = b64encode(data)
    assert encoded == seg(data)
    assert b64decode(encoded) == data
    assert b64decode(encoded.decode()) == data


@pytest.mark.parametrize("padded", [b"YQ==", b"YWI=", b"YWJj"])
def test_b64_accepts_aligned_padding_like_pyjwt(padded: bytes) -> None:
    # PyJWT 2.15 accepts '=' when the padded length is a multiple of 4 (AWS ALB).
    assert b64decode(padded) == base64.urlsafe_b64decode(padded)


@pytest.mark.parametrize(
    "bad",
    [
        b"Y",  # length 1 mod 4
        b"YQ=",  # padding not aligned
        b"YQ===",  # three '='
        b"====",
        b"Y=Q=",  # '=' in the middle
        b"YW+j",  # '+' is standard base64, not base64url
        b"YW/j",
        b"YW j",  # whitespace
        b"YWJ\n",
        b"YR",  # non-canonical: unused bits set (rem 2)
        b"YWK",  # non-canonical: unused bits set (rem 3)
        b"YR==",
        b"\xc3\xa9a",  # non-ASCII
        b"YW\x00j",
    ],
)
def test_b64_rejects(bad: bytes) -> None:
    with pytest.raises(DecodeError, match="^Invalid segment padding$"):
        b64decode(bad)


def test_b64_error_names_the_segment() -> None:
    with pytest.raises(DecodeError, match="^Invalid crypto padding$"):
        b64decode(b"Y", "crypto")


# --- split ---------------------------------------------------------------------


def test_split_returns_parts() -> None:
    tok = token()
    header, payload, signing_input, signature = split(tok, 8192)
    assert header == {"alg": "HS256"}
    assert payload == b'{"a":1}'
    assert signing_input == tok.rsplit(b".", 1)[0]
    assert signature == b"\x01\x02"
    assert split(tok.decode(), 8192) == (header, payload, signing_input, signature)


def test_split_accepts_empty_signature() -> None:
    tok = token(sig=b"")
    assert tok.endswith(b".")
    assert split(tok, 8192)[3] == b""


@pytest.mark.parametrize("bad", [None, 1, 1.5, ["a.b.c"], bytearray(b"a.b.c"), memoryview(b"a.b.c"), object()])
def test_split_rejects_non_str_bytes(bad: object) -> None:
    with pytest.raises(DecodeError, match=r"^Invalid token type. Token must be a <class 'bytes'>$"):
        split(bad, 8192)


@pytest.mark.parametrize("bad", [b"", b"abc", b"a.b", b".", "abc"])
def test_split_not_enough_segments(bad: object) -> None:
    with pytest.raises(DecodeError, match="^Not enough segments$"):
        split(bad, 8192)


def test_split_four_segments_fail_in_payload_like_pyjwt() -> None:
    tok = token() + b".eA"
    with pytest.raises(DecodeError, match="^Invalid payload padding$"):
        split(tok, 8192)


@pytest.mark.parametrize(
    ("which", "message"),
    [(0, "Invalid header padding"), (1, "Invalid payload padding"), (2, "Invalid crypto padding")],
)
def test_split_names_the_bad_segment(which: int, message: str) -> None:
    parts = token().split(b".")
    parts[which] = parts[which][:-1] + b"!"
    with pytest.raises(DecodeError, match=f"^{message}$"):
        split(b".".join(parts), 8192)


def test_split_max_length_is_checked_first() -> None:
    tok = token(payload=b'{"a":"' + b"x" * 9000 + b'"}')
    with pytest.raises(DecodeError, match="^Token is too long"):
        split(tok, 8192)
    with pytest.raises(DecodeError, match="^Token is too long"):
        split(tok.decode(), 8192)
    # Even garbage that is too long is refused for its length, before anything else.
    with pytest.raises(DecodeError, match="^Token is too long"):
        split(b"!" * 9000, 8192)
    assert split(tok, len(tok))[0] == {"alg": "HS256"}


def test_split_non_ascii_str_is_a_segment_error() -> None:
    tok = token().decode()
    with pytest.raises(DecodeError, match="^Invalid crypto padding$"):
        split(tok + "é", 8192)
    with pytest.raises(DecodeError, match="^Invalid crypto padding$"):
        split(tok + "\ud800", 8192)  # a lone surrogate: PyJWT leaks UnicodeEncodeError


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"[]", "Invalid header string: must be a json object"),
        (b'"alg"', "Invalid header string: must be a json object"),
        (b"1", "Invalid header string: must be a json object"),
        (b"null", "Invalid header string: must be a json object"),
        (b"{", "Invalid header string: "),
        (b"", "Invalid header string: "),
        (b'{"alg":NaN}', "Invalid header string: "),
        (b'{"alg":Infinity}', "Invalid header string: "),
        (b'\xef\xbb\xbf{"alg":"HS256"}', "Invalid header string: "),
        (b'{"alg":"\\ud800"}', "Invalid header string: "),
        (b'{"alg":"HS256","alg":"none"}', "Invalid header string: duplicate member names"),
        (b'{"alg":"HS256","x":{"a":1,"a":2},"alg":"RS256"}', "Invalid header string: duplicate member names"),
        (b"[" * 5000 + b"]" * 5000, "Invalid header string: "),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "Invalid header string: "),
    ],
)
def test_split_header_must_be_strict_json_object(header: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as info:
        split(token(header=header), 1 << 20)
    assert str(info.value).startswith(message)


def test_split_duplicate_check_ignores_colons_in_strings_and_nesting() -> None:
    header = b'{"alg":"HS256","x":"a:b\\":c","y":{"p":1,"q":[{"r":2}]}}'
    assert split(token(header=header), 8192)[0] == json.loads(header)


def test_split_b64_false_requires_empty_payload_segment() -> None:
    header = b'{"alg":"HS256","b64":false,"crit":["b64"]}'
    with pytest.raises(DecodeError, match="^Payload segment must be empty when 'b64' is false.$"):
        split(token(header=header), 8192)
    parts = token(header=header).split(b".")
    assert split(parts[0] + b".." + parts[2], 8192)[1] == b""


# --- claims --------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b'{"big":123456789012345678901234567890,"neg":-99999999999999999999,"s":"12345678901234567890123"}',
        b'{"exp":18446744073709551616}',  # 2**64: orjson would round it
        b'{"exp":18446744073709551615,"iat":-9223372036854775808}',  # still exact in orjson
        b'{"aud":["a",123456789012345678901234567890]}',  # nested in a list
        b'{"cnf":{"n":{"m":99999999999999999999}},"x":1}',  # nested in objects
        b'{"f":1.5,"big":99999999999999999999}',
    ],
)
def test_load_claims_keeps_big_integers_exact(payload: bytes) -> None:
    claims = load_claims(payload)
    assert claims == json.loads(payload)
    assert repr(claims) == repr(json.loads(payload))  # ints stay ints, digit for digit


@given(
    st.lists(
        st.integers(min_value=-(10**30), max_value=10**30) | st.text(alphabet="0123456789ab", max_size=40),
        min_size=1,
        max_size=12,
    )
)
def test_load_claims_finds_big_integers_wherever_they_stand(values: List[Any]) -> None:
    # The scan for long digit runs reads about one byte in nineteen: any
    # integer orjson would round must still send the payload to the exact parser.
    payload = json.dumps({"v": values, "t": "".join(map(str, values))}, separators=(",", ":")).encode()
    assert repr(load_claims(payload)) == repr(json.loads(payload))


@pytest.mark.parametrize("offset", range(45))
@pytest.mark.parametrize("number", [b"-9999999999999999999", b"18446744073709551616", b"-99999999999999999999"])
def test_load_claims_finds_a_big_integer_at_any_offset(offset: int, number: bytes) -> None:
    # 19 digits below -2**63, or 2**64: orjson rounds both; at every alignment
    # of the scan's stride, the exact parser must take over.
    filler = (b"x1" * 30)[:offset]
    payload = b'{"p":"' + filler + b'","v":[' + number + b"]}"
    claims = load_claims(payload)
    assert type(claims["v"][0]) is int and claims["v"][0] == int(number)


def test_load_claims_last_duplicate_wins_like_pyjwt() -> None:
    assert load_claims(b'{"sub":"a","sub":"b"}') == {"sub": "b"}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"[1]", "Invalid payload string: must be a json object"),
        (b"{", "Invalid payload string: "),
        (b'{"exp":NaN}', "Invalid payload string: "),
        (b"[" * 100000 + b"]" * 100000, "Invalid payload string: "),
        (b'{"a":' + b"[" * 5000 + b"1" * 30 + b"]" * 5000 + b"}", "Invalid payload string: "),
    ],
)
def test_load_claims_rejects(payload: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as info:
        load_claims(payload)
    assert str(info.value).startswith(message)


def test_header_verdict_has_named_fields() -> None:
    verify = object()
    verdict = HeaderVerdict({"alg": "HS256"}, "HS256", verify, True)
    assert (verdict.header, verdict.alg, verdict.verify, verdict.typ_ok) == ({"alg": "HS256"}, "HS256", verify, True)
    assert repr(verdict) == "HeaderVerdict(alg='HS256', typ_ok=True)"
    with pytest.raises(AttributeError):
        verdict.alg = "none"  # type: ignore[misc]
    with pytest.raises(TypeError):
        HeaderVerdict([], "HS256", None, True)  # type: ignore[arg-type]


def test_split_parses_the_header_as_a_strict_json_object() -> None:
    with pytest.raises(DecodeError, match="^Invalid header string: duplicate member names$"):
        split(token(header=b'{"alg":"HS256","alg":"none"}'), 8192)


@pytest.mark.parametrize("half", [32, 48, 66])  # P-256, P-384, P-521
def test_der_signature_matches_cryptography(half: int) -> None:
    rng = random.Random(half)
    edges = [bytes(2 * half), b"\xff" * 2 * half, b"\x80" + bytes(2 * half - 1),
             bytes(half - 1) + b"\x01" + b"\x00\x80" + bytes(half - 2)]
    for raw in edges + [rng.randbytes(2 * half) for _ in range(500)]:
        r, s = int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
        assert der_signature(raw) == encode_dss_signature(r, s)


@pytest.mark.parametrize("raw", [b"", b"a", b"abc", b"a" * 134])
def test_der_signature_refuses_odd_or_oversized_input(raw: bytes) -> None:
    with pytest.raises(ValueError, match="^Invalid signature$"):
        der_signature(raw)
