"""fastjwt._safe_text: how untrusted values reach messages (bounded, escaped, never recursive)."""

from __future__ import annotations

from typing import Any

import pytest

from fastjwt._safe_text import LIMIT, describe, printable


def nested(depth: int, leaf: Any = "x", kind: type = list) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if kind is list else {"a": value}
    return value


@pytest.mark.parametrize(
    "value, shown",
    [
        ("at+jwt", "'at+jwt'"),
        ("it's", '"it\'s"'),
        ("\x1b]0;pwned\x07", "'\\x1b]0;pwned\\x07'"),
        ("\u202eabc", "'\\u202eabc'"),
        ("é✓", "'é✓'"),
        (None, "None"),
        (True, "True"),
        (1.5, "1.5"),
        (-7, "-7"),
        (2**200, "<int of 201 bits>"),
        ([], "[]"),
        ({}, "{}"),
        (["HS256", 1, None], "['HS256', 1, None]"),
        ({"a": [1, {"b": 2}]}, "{'a': [1, {'b': 2}]}"),
        (nested(4), "[[[[...]]]]"),
        (("a",), "('a',)"),
        (b"raw", "<bytes>"),
        (object(), "<object>"),
    ],
)
def test_describe_shows_values_as_repr_would(value: Any, shown: str) -> None:
    assert describe(value) == shown


@pytest.mark.parametrize("kind", [list, dict])
def test_describe_never_recurses_deeply(kind: type) -> None:
    value = nested(100_000, kind=kind)  # repr() of this raises RecursionError
    with pytest.raises(RecursionError):
        repr(value)
    text = describe(value)
    assert text == ("[[[[...]]]]" if kind is list else "{'a': {'a': {'a': {...}}}}")


@pytest.mark.parametrize(
    "value",
    ["y" * 100_000, ["y" * 10_000] * 10_000, {str(i): i for i in range(10_000)}, [[["\x00" * 500] * 50] * 50] * 50],
    ids=["long-str", "long-list", "big-object", "wide-and-deep"],
)
def test_describe_is_bounded(value: Any) -> None:
    text = describe(value)
    assert len(text) <= LIMIT and text.endswith("...")
    assert text.isprintable()


@pytest.mark.parametrize(
    "text, shown",
    [
        ("exp", "exp"),
        ("\x1b]0;retitled\x07", "\\x1b]0;retitled\\x07"),
        ("a\nb\r\tc\x00", "a\\x0ab\\x0d\\x09c\\x00"),
        ("\u202e\u2066\ufeff\U000e0001", "\\u202e\\u2066\\ufeff\\U000e0001"),
        ("\x7f\x9b[31m", "\\x7f\\x9b[31m"),  # DEL and the 8-bit CSI
        ("back\\slash 'quoted'", "back\\slash 'quoted'"),
    ],
)
def test_printable_escapes_what_a_terminal_would_act_on(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert printable(text).isprintable()


def test_printable_is_bounded() -> None:
    assert printable("z" * 1000) == "z" * LIMIT + "..."
    assert printable("\x1b" * 1000) == "\\x1b" * LIMIT + "..."


def test_every_code_point_comes_out_printable() -> None:
    every = "".join(chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF)
    for start in range(0, len(every), 4096):
        chunk = every[start:start + 4096]
        assert printable(chunk, limit=4096).isprintable()
        assert describe(chunk, limit=10**6).isprintable()
