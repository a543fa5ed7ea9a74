"""The one way untrusted values (token headers and claims, JWK members) reach a message.

A token's sender chooses every value in it: a list nested a thousand deep
(``str()`` raises RecursionError), a megabyte-long string, terminal control
sequences (``ESC ] 0 ;`` retitles a terminal), Unicode bidi overrides. No
such value may reach ``str()``, ``repr()`` or an f-string directly: messages
go through :func:`describe` (any value, shown as ``repr`` would),
:func:`printable` (a str shown bare, as PyJWT's messages show it) or
:func:`text` (any value, shown as an f-string would). Both are
bounded in time and length, never recurse more than a few levels, and
escape every character ``str.isprintable`` refuses.
"""

from __future__ import annotations

from typing import Any, List

__all__ = ["describe", "printable", "text"]

#: Characters of a value shown in a message, at most (longer values end in "...").
LIMIT = 80
#: Nesting levels of a list or object shown; deeper ones read "[...]" / "{...}".
_DEPTH = 3


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str, limit: int = LIMIT) -> str:
    """``text`` as a message shows a str: itself, with non-printable characters
    escaped (``\\x1b``, ``\\u202e``) and cut to ``limit`` characters plus ``...``."""
    cut = text[:limit]
    if not cut.isprintable():  # the common case (printable) costs one C-level scan
        cut = "".join(char if char.isprintable() else _escape(char) for char in cut)
    return cut + "..." if len(text) > limit else cut


def text(value: Any, limit: int = LIMIT) -> str:
    """``value`` as an f-string would show it, safely: a str through
    :func:`printable`, anything else through :func:`describe`."""
    return printable(value, limit) if type(value) is str else describe(value, limit)


def describe(value: Any, limit: int = LIMIT) -> str:
    """``value`` as ``repr`` would show it, safely: strings quoted and escaped,
    numbers and literals as written, lists and objects a few levels deep,
    anything else by its type name; at most about ``limit`` characters."""
    text = _render(value, _DEPTH, limit)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _render(value: Any, depth: int, budget: int) -> str:
    kind = type(value)
    if kind is str:
        # repr of a str never recurses and escapes exactly what isprintable refuses.
        return repr(value[:budget]) + ("..." if len(value) > budget else "")
    if value is None or kind is bool or kind is float:
        return repr(value)
    if kind is int:
        # int -> str is quadratic, and refused beyond 4300 digits: big ones by size only.
        return repr(value) if value.bit_length() <= 128 else f"<int of {value.bit_length()} bits>"
    if kind in (list, tuple, dict):
        opening, closing = ("{", "}") if kind is dict else ("[", "]") if kind is list else ("(", ")")
        if depth <= 0:
            return opening + "..." + closing if value else opening + closing
        parts: List[str] = []
        used = 0
        items = value.items() if kind is dict else value
        for item in items:
            if used > budget:
                parts.append("...")
                break
            if kind is dict:
                part = _render(item[0], depth - 1, budget) + ": " + _render(item[1], depth - 1, budget)
            else:
                part = _render(item, depth - 1, budget)
            parts.append(part)
            used += len(part) + 2
        if kind is tuple and len(parts) == 1 and parts[0] != "...":
            parts[0] += ","
        return opening + ", ".join(parts) + closing
    return f"<{kind.__name__}>"
