"""Cost floors: the least work any validator of a given token must do.

* ``primitive`` -- the bare signature check through ``cryptography`` with the
  public key already loaded and the signature already decoded (ECDSA's DER
  conversion done beforehand); for HMAC also stdlib ``hmac.digest`` plus
  ``hmac.compare_digest`` for reference.
* ``b64`` -- splitting the token and base64url-decoding its three segments.
* ``json`` -- ``orjson`` parsing the decoded header and payload.
* ``cached`` -- hashing a fresh token string and looking it up in a dict.
* ``overhead`` -- the timing loop calling a do-nothing function.

The composite "uncached floor" (cheapest primitive + b64 + json) is added up
by :func:`uncached_floor_ns` from the measured parts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric import ec, padding

from bench.fixtures import Case, b64url_decode, ecdsa_raw_to_der, hash_for, pss_padding
from bench.timing import ArgSource, Timed, fresh_copies, same

PRIMITIVE, B64, JSON, CACHED, OVERHEAD = "primitive", "b64", "json", "cached", "overhead"


@dataclass(frozen=True)
class Floor:
    """One floor measurement: what to call, with what, and which part it is."""

    name: str
    kind: str
    fn: Timed
    source: ArgSource


def _signed_parts(token: str) -> tuple[bytes, bytes]:
    """The signing input and the raw (decoded) signature of ``token``."""
    signing_input, _, signature = token.rpartition(".")
    return signing_input.encode("ascii"), b64url_decode(signature)


def _hmac_floors(case: Case, data: bytes, sig: bytes) -> list[Floor]:
    """HMAC via ``cryptography`` and, for reference, via the stdlib."""
    secret, bits = case.keys.secret, case.alg[2:]
    crypto_hash = hash_for(case.alg)
    digest_name = getattr(hashlib, f"sha{bits}")

    def crypto(_: Any) -> None:
        mac = crypto_hmac.HMAC(secret, crypto_hash)
        mac.update(data)
        mac.verify(sig)

    def stdlib(_: Any) -> bool:
        return hmac.compare_digest(hmac.digest(secret, data, digest_name), sig)

    return [
        Floor("HMAC (cryptography)", PRIMITIVE, crypto, same(None)),
        Floor("HMAC (stdlib hmac.digest)", PRIMITIVE, stdlib, same(None)),
    ]


def _verify_call(case: Case, data: bytes, sig: bytes) -> Timed:
    """A one-argument call doing the bare public-key verification."""
    public, alg = case.keys.verifying_key, case.alg
    if alg[:2] in ("RS", "PS"):
        pad: padding.AsymmetricPadding = padding.PKCS1v15() if alg.startswith("RS") else pss_padding()
        digest = hash_for(alg)
        return lambda _: public.verify(sig, data, pad, digest)
    if alg.startswith("ES"):
        der, scheme = ecdsa_raw_to_der(sig), ec.ECDSA(hash_for(alg))
        return lambda _: public.verify(der, data, scheme)
    return lambda _: public.verify(sig, data)


def primitive_floors(case: Case) -> list[Floor]:
    """The signature check alone, with everything pre-loaded."""
    data, sig = _signed_parts(case.token)
    if case.keys.is_hmac:
        return _hmac_floors(case, data, sig)
    return [Floor("verify (cryptography)", PRIMITIVE, _verify_call(case, data, sig), same(None))]


def _b64_segments(token: str) -> list[bytes]:
    """Split ``token`` and base64url-decode the three segments (stdlib)."""
    return [base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in token.split(".")]


def parse_floors(case: Case) -> list[Floor]:
    """base64url decoding of the segments and orjson parsing of header + payload."""
    header, payload, _ = _b64_segments(case.token)

    def parse(_: Any) -> tuple[Any, Any]:
        return orjson.loads(header), orjson.loads(payload)

    return [
        Floor("base64url x3 (stdlib)", B64, _b64_segments, fresh_copies(case.token)),
        Floor("orjson header+payload", JSON, parse, same(None)),
    ]


def cached_floor(case: Case) -> Floor:
    """Hashing a never-hashed token string and one dict lookup."""
    table: dict[str, Mapping[str, Any]] = {case.token: case.claims}
    return Floor("cached floor (hash + dict lookup)", CACHED, table.get, fresh_copies(case.token))


def overhead_floor() -> Floor:
    """The timing loop's own cost per call (a do-nothing function)."""
    return Floor("loop + call overhead", OVERHEAD, lambda _: None, same(None))


def all_floors(case: Case) -> list[Floor]:
    """Every floor measured for ``case``."""
    return [*primitive_floors(case), *parse_floors(case), cached_floor(case), overhead_floor()]


def uncached_floor_ns(measured: Mapping[str, tuple[str, float]]) -> float | None:
    """Cheapest primitive + b64 + json, from ``{name: (kind, median_ns)}``."""
    by_kind: dict[str, list[float]] = {}
    for kind, ns in measured.values():
        by_kind.setdefault(kind, []).append(ns)
    if not all(by_kind.get(kind) for kind in (PRIMITIVE, B64, JSON)):
        return None
    return min(by_kind[PRIMITIVE]) + min(by_kind[B64]) + min(by_kind[JSON])
