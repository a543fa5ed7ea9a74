"""Shared helpers for the PyJWT differential tests and the fuzz tests.

Nothing here imports fastjwt internals: tokens are built from raw bytes and
signed with PyJWT's algorithm objects (or the stdlib ``hmac``), so fastjwt is
never used to produce the inputs it is tested on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple, Union

import jwt as pyjwt
from _support import HMAC_SECRET, Keys, get_keys, signing_key, verifying_key  # noqa: F401  (re-exported)

import fastjwt

# ---------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------

#: (test id, alg, key name) for every algorithm both libraries implement.
ALGORITHMS: Tuple[Tuple[str, str, str], ...] = (
    ("HS256", "HS256", "hmac"),
    ("HS384", "HS384", "hmac"),
    ("HS512", "HS512", "hmac"),
    ("RS256", "RS256", "rsa"),
    ("RS384", "RS384", "rsa"),
    ("RS512", "RS512", "rsa"),
    ("PS256", "PS256", "rsa"),
    ("PS384", "PS384", "rsa"),
    ("PS512", "PS512", "rsa"),
    ("ES256", "ES256", "p256"),
    ("ES256K", "ES256K", "k256"),
    ("ES384", "ES384", "p384"),
    ("ES512", "ES512", "p521"),
    ("EdDSA-Ed25519", "EdDSA", "ed25519"),
    ("EdDSA-Ed448", "EdDSA", "ed448"),
)
DETERMINISTIC = frozenset({"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "EdDSA"})
DEFAULT_KEY_FOR_ALG = {alg: name for _, alg, name in ALGORITHMS if alg != "EdDSA"}
DEFAULT_KEY_FOR_ALG["EdDSA"] = "ed25519"
DEFAULT_KEY_FOR_ALG["ES521"] = "p521"


# ---------------------------------------------------------------------------
# Raw token construction (independent of fastjwt)
# ---------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_dec(segment: Union[str, bytes]) -> bytes:
    if isinstance(segment, str):
        segment = segment.encode("ascii")
    segment = segment.rstrip(b"=")
    return base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))


def compact_json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def sign(alg: str, key: Any, signing_input: bytes) -> bytes:
    """Sign with the stdlib (HMAC) or PyJWT's algorithm objects (the oracle)."""
    if alg.startswith("HS"):
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        return hmac.new(key, signing_input, digest).digest()
    if alg == "none":
        return b""
    algo = pyjwt.get_algorithm_by_name(alg)
    return algo.sign(signing_input, algo.prepare_key(key))


def raw_token(
    header: Union[Dict[str, Any], bytes, None] = None,
    payload: Union[Dict[str, Any], bytes, None] = None,
    *,
    alg: str = "HS256",
    key: Any = None,
    header_seg: Optional[str] = None,
    payload_seg: Optional[str] = None,
    signature: Optional[bytes] = None,
    sig_seg: Optional[str] = None,
) -> str:
    """A compact JWS from raw parts, signed over exactly the segments given.

    ``header``/``payload`` may be dicts (compact JSON) or raw bytes; the
    ``*_seg`` arguments replace a whole base64url segment verbatim.
    """
    if header is None:
        header = {"alg": alg, "typ": "JWT"}
    if payload is None:
        payload = {}
    h = header_seg if header_seg is not None else b64url(header if isinstance(header, bytes) else compact_json(header))
    p = payload_seg if payload_seg is not None else b64url(
        payload if isinstance(payload, bytes) else compact_json(payload))
    signing_input = f"{h}.{p}".encode("ascii", "surrogatepass")
    if sig_seg is None:
        if signature is None:
            if key is None:
                keys = get_keys()
                key = signing_key(keys, DEFAULT_KEY_FOR_ALG.get(alg, "hmac"))
            signature = sign(alg, key, signing_input)
        sig_seg = b64url(signature)
    return f"{h}.{p}.{sig_seg}"


def now() -> int:
    return int(time.time())


# ---------------------------------------------------------------------------
# Outcomes: what a call did, comparable across the two libraries
# ---------------------------------------------------------------------------


def _family(cls: type) -> Tuple[str, str]:
    """A library-neutral identity for an exception or warning class.

    PyJWT's ``jwt.exceptions.X`` and fastjwt's ``fastjwt.exceptions.X`` map to
    the same identity only when each is the *public* class of that name; a
    private subclass (e.g. a class that is both TypeError and InvalidKeyError)
    keeps its module, so it never compares equal to PyJWT's class.
    """
    name = cls.__name__
    module = cls.__module__
    if module == "builtins":
        return ("builtins", name)
    libraries = ((pyjwt, (pyjwt.exceptions, pyjwt.warnings)), (fastjwt, (fastjwt.exceptions, fastjwt.warnings)))
    for lib, modules in libraries:
        if module.split(".")[0] == lib.__name__:
            if any(getattr(m, name, None) is cls for m in modules):
                return ("jwt", name)
            return (module, name)
    return (module, name)


@dataclass
class Outcome:
    ok: bool
    value: Any = None
    exc_type: Optional[type] = None
    message: Optional[str] = None
    warnings: Tuple[Tuple[Tuple[str, str], str], ...] = ()

    @property
    def kind(self) -> Tuple[str, str]:
        return ("ok", "") if self.ok else _family(self.exc_type)  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        return "ok" if self.ok else self.exc_type.__name__  # type: ignore[union-attr]

    def __repr__(self) -> str:
        body = f"ok {self.value!r}" if self.ok else f"{self.exc_type.__module__}.{self.name}({self.message!r})"  # type: ignore[union-attr]
        return f"<{body} warnings={list(self.warnings)!r}>"


def run(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Outcome:
    """Call ``fn(*args, **kwargs)``; record its result or exception and every warning it emitted.

    Passing the arguments (rather than a lambda) binds them now: a lambda made in
    a loop would read the loop's variables when called (ruff B023).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - recording is the point
            out = Outcome(False, exc_type=type(exc), message=str(exc))
        else:
            out = Outcome(True, value=value)
    out.warnings = tuple((_family(w.category), str(w.message)) for w in caught)
    return out


def strict_equal(a: Any, b: Any) -> bool:
    """Deep equality that also requires equal types (1 != 1.0 != True) and key order.

    Iterative, so deeply nested values cannot exhaust the stack.
    """
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, dict):
            if list(x) != list(y):
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif isinstance(x, (list, tuple)):
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y))
        elif isinstance(x, float):
            if math.isnan(x):
                if not math.isnan(y):
                    return False
            elif x != y or math.copysign(1.0, x) != math.copysign(1.0, y):
                return False
        elif x != y:
            return False
    return True


_COMPLETE_KEYS = ("header", "payload", "signature")


def _is_complete(value: Any) -> bool:
    return isinstance(value, dict) and sorted(value) == sorted(_COMPLETE_KEYS)


def same_outcome(a: Outcome, b: Outcome, *, compare_warnings: bool = True) -> bool:
    if a.kind != b.kind:
        return False
    if a.ok and _is_complete(a.value) and _is_complete(b.value):
        # decode_complete's own dict: the order of its three keys is cosmetic.
        same = all(strict_equal(a.value[k], b.value[k]) for k in _COMPLETE_KEYS)
    elif a.ok:
        same = strict_equal(a.value, b.value)
    else:
        same = a.message == b.message
    if compare_warnings:
        same = same and a.warnings == b.warnings
    return same

