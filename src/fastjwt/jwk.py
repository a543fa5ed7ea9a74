"""JSON Web Keys (RFC 7517, 7518, 8037) to and from ``cryptography`` keys.

This is the only module that converts between JWK members and key objects.
It has two front doors over one parser and one serializer per ``kty``:

* :func:`load_jwk`, :func:`key_to_jwk` and :func:`thumbprint` are fastjwt's
  own API. Loading is strict: every defect is an :class:`InvalidKeyError`
  whose message names the member at fault and never echoes key material.
* ``rsa_from_jwk`` ... ``hmac_to_jwk`` reproduce PyJWT 2.15.1's
  ``Algorithm.from_jwk`` / ``to_jwk``, down to their lenient base64url
  decoding and the ``TypeError``, ``KeyError`` and ``ValueError`` they let
  escape, so that :mod:`fastjwt.algorithms` can delegate to them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Literal, Union, overload

from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from ._safe_text import text as _shown
from .algorithms import MAX_RSA_PUBLIC_EXPONENT, RSA_EXPONENT_MESSAGE
from .exceptions import InvalidKeyError

__all__ = [
    "ParsedJWK",
    "load_jwk",
    "key_to_jwk",
    "thumbprint",
    "rsa_from_jwk",
    "rsa_to_jwk",
    "ec_from_jwk",
    "ec_to_jwk",
    "okp_from_jwk",
    "okp_to_jwk",
    "hmac_from_jwk",
    "hmac_to_jwk",
]

RSAKey = Union[rsa.RSAPrivateKey, rsa.RSAPublicKey]
ECKey = Union[ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey]
OKPKey = Union[
    ed25519.Ed25519PrivateKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PrivateKey,
    ed448.Ed448PublicKey,
]
JWKKey = Union[RSAKey, ECKey, OKPKey, bytes]

# crv -> (curve class, coordinate size in bytes, RFC 7518 section 6.2.1.2)
_EC_CURVES: dict[str, tuple[type[ec.EllipticCurve], int]] = {
    "P-256": (ec.SECP256R1, 32),
    "P-384": (ec.SECP384R1, 48),
    "P-521": (ec.SECP521R1, 66),
    "secp256k1": (ec.SECP256K1, 32),
}
_OKP_CURVES: dict[str, tuple[Any, Any]] = {
    "Ed25519": (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey),
    "Ed448": (ed448.Ed448PublicKey, ed448.Ed448PrivateKey),
}
_OKP_KEYS = tuple(cls for pair in _OKP_CURVES.values() for cls in pair)
_PRIVATE_KEYS = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)
# RFC 7638 section 3.2 and RFC 8037 section 2, already in lexicographic order.
_THUMBPRINT_MEMBERS = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
    "oct": ("k", "kty"),
}
_RSA_MAX_BITS = 16384
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True, repr=False)
class ParsedJWK:
    """A validated JWK: the key object plus the members callers decide policy on.

    ``key`` is a ``cryptography`` key object, or ``bytes`` for ``kty`` "oct".
    ``use``, ``key_ops`` and ``alg`` are recorded as found (type-checked,
    not enforced).
    """

    # Written out rather than dataclass(slots=True), which needs Python 3.10.
    __slots__ = ("kty", "key", "kid", "alg", "use", "key_ops", "crv")
    kty: str
    key: JWKKey
    kid: str | None
    alg: str | None
    use: str | None
    key_ops: tuple[str, ...] | None
    crv: str | None

    def __repr__(self) -> str:
        # An oct key *is* the secret: never let it reach a log line.
        key = f"<{len(self.key)}-byte secret>" if isinstance(self.key, bytes) else repr(self.key)
        return (
            f"ParsedJWK(kty={self.kty!r}, key={key}, kid={self.kid!r}, alg={self.alg!r}, "
            f"use={self.use!r}, key_ops={self.key_ops!r}, crv={self.crv!r})"
        )


# ---------------------------------------------------------------- base64url


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint_b64(value: int, size: int | None = None) -> str:
    """Base64urlUInt (RFC 7518 section 2), left-padded to ``size`` bytes if given."""
    length = (value.bit_length() + 7) // 8 if size is None else size
    return _b64encode(value.to_bytes(length or 1, "big"))


def _force_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return value
    raise TypeError("Expected a string or bytes value")


def _b64decode_strict(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidKeyError(f'JWK member "{name}" must be a string')
    data = value.rstrip("=")
    padding = len(value) - len(data)
    # Same rule as the token decoder in _core: correct '=' padding is tolerated.
    if (
        not _B64URL.fullmatch(data)
        or len(data) % 4 == 1
        or (padding and (padding > 2 or len(value) % 4))
    ):
        raise InvalidKeyError(f'JWK member "{name}" is not valid base64url')
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    if _b64encode(raw) != data:
        raise InvalidKeyError(f'JWK member "{name}" is not canonical base64url (non-zero trailing bits)')
    return raw


def _b64decode_lenient(value: Any) -> bytes:
    # PyJWT's utils.base64url_decode: pad, then let the stdlib skip stray characters.
    data = _force_bytes(value)
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


def _member(obj: Mapping[str, Any], name: str, strict: bool) -> bytes:
    """Decode the base64url member ``name`` (a KeyError when missing in PyJWT mode, as there)."""
    if not strict:
        return _b64decode_lenient(obj[name])
    if name not in obj:
        raise InvalidKeyError(f'JWK member "{name}" is missing')
    return _b64decode_strict(obj[name], name)


def _uint(obj: Mapping[str, Any], name: str, strict: bool) -> int:
    return int.from_bytes(_member(obj, name, strict), "big")


def _text(obj: Mapping[str, Any], name: str) -> str | None:
    if name not in obj:
        return None
    value = obj[name]
    if not isinstance(value, str):
        raise InvalidKeyError(f'JWK member "{name}" must be a string')
    return value


def _required_text(obj: Mapping[str, Any], name: str) -> str:
    if name not in obj:
        raise InvalidKeyError(f'JWK member "{name}" is missing')
    return _text(obj, name)  # type: ignore[return-value]


@contextmanager
def _crypto_errors(strict: bool, message: str) -> Iterator[None]:
    """Strict mode: cryptography's ValueError becomes InvalidKeyError(message).

    ``{}`` in ``message`` receives cryptography's own (static) reason. PyJWT
    lets the ValueError escape, so PyJWT mode re-raises it unchanged.
    """
    try:
        yield
    except ValueError as err:
        if not strict:
            raise
        raise InvalidKeyError(message.format(err)) from None


# ------------------------------------------------------- parsers, one per kty
# Each takes the JWK object, ``strict`` (fastjwt rules, or PyJWT's) and
# ``private`` (return a private key when private members are present).


def _rsa_key(obj: Mapping[str, Any], *, strict: bool, private: bool) -> RSAKey:
    if not strict and ("n" not in obj or "e" not in obj):
        raise InvalidKeyError("Not a public or private key")
    if private and "d" in obj:
        return _rsa_private_key(obj, strict)
    with _crypto_errors(strict, "Invalid RSA public key: {}"):
        return _rsa_public_numbers(obj, strict).public_key()


def _rsa_public_numbers(obj: Mapping[str, Any], strict: bool) -> rsa.RSAPublicNumbers:
    public = rsa.RSAPublicNumbers(_uint(obj, "e", strict), _uint(obj, "n", strict))
    if strict:
        # cryptography accepts both, yet neither is a usable RSA key (OpenSSL
        # refuses to verify with a modulus over 16384 bits).
        if public.n % 2 == 0:
            raise InvalidKeyError('Invalid RSA public key: "n" must be odd')
        if public.n.bit_length() > _RSA_MAX_BITS:
            raise InvalidKeyError(f'Invalid RSA public key: "n" is longer than {_RSA_MAX_BITS} bits')
        if public.e > MAX_RSA_PUBLIC_EXPONENT:
            raise InvalidKeyError(RSA_EXPONENT_MESSAGE)
        with _crypto_errors(strict, "Invalid RSA public key: {}"):
            public.public_key()
    return public


def _rsa_private_key(obj: Mapping[str, Any], strict: bool) -> rsa.RSAPrivateKey:
    if "oth" in obj:
        raise InvalidKeyError("Unsupported RSA private key: > 2 primes not supported")
    crt_found = [name in obj for name in ("p", "q", "dp", "dq", "qi")]
    if any(crt_found) and not all(crt_found):
        raise InvalidKeyError("RSA key must include all parameters if any are present besides d")
    public = _rsa_public_numbers(obj, strict)
    if all(crt_found):
        numbers = rsa.RSAPrivateNumbers(
            d=_uint(obj, "d", strict),
            p=_uint(obj, "p", strict),
            q=_uint(obj, "q", strict),
            dmp1=_uint(obj, "dp", strict),
            dmq1=_uint(obj, "dq", strict),
            iqmp=_uint(obj, "qi", strict),
            public_numbers=public,
        )
    else:
        # Only d: recover the primes and CRT values, as PyJWT does.
        d = _uint(obj, "d", strict)
        with _crypto_errors(strict, 'RSA member "d" does not match "n" and "e"'):
            p, q = rsa.rsa_recover_prime_factors(public.n, d, public.e)
        numbers = rsa.RSAPrivateNumbers(
            d=d,
            p=p,
            q=q,
            dmp1=rsa.rsa_crt_dmp1(d, p),
            dmq1=rsa.rsa_crt_dmq1(d, q),
            iqmp=rsa.rsa_crt_iqmp(p, q),
            public_numbers=public,
        )
    with _crypto_errors(strict, "RSA private key members are inconsistent"):
        return numbers.private_key()


def _ec_key(obj: Mapping[str, Any], *, strict: bool, private: bool) -> ECKey:
    if not strict and ("x" not in obj or "y" not in obj):
        raise InvalidKeyError("Not an Elliptic curve key")
    x = _member(obj, "x", strict)
    y = _member(obj, "y", strict)
    crv = _required_text(obj, "crv") if strict else obj.get("crv")
    curve = _EC_CURVES.get(crv) if isinstance(crv, str) else None
    if curve is None:
        raise InvalidKeyError(f"Invalid curve: {_shown(crv)}")
    curve_class, size = curve
    if not len(x) == len(y) == size:
        raise InvalidKeyError(f"Coords should be {size} bytes for curve {_shown(crv)}")
    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(x, "big"), int.from_bytes(y, "big"), curve_class()
    )
    with_d = private and "d" in obj
    if strict or not with_d:
        with _crypto_errors(strict, f"EC point is not on curve {_shown(crv)}"):
            public_key = public.public_key()
        # cryptography reduces coordinates modulo p; a JWK must carry them reduced.
        if strict and public_key.public_numbers() != public:
            raise InvalidKeyError(f"EC coordinates are out of range for curve {_shown(crv)}")
        if not with_d:
            return public_key
    d = _member(obj, "d", strict)
    if len(d) != size:
        if strict:
            raise InvalidKeyError(f'EC member "d" should be {size} bytes for curve {_shown(crv)}')
        # PyJWT hands the format arguments to the exception unformatted.
        raise InvalidKeyError("D should be {} bytes for curve {}", len(x), crv)
    with _crypto_errors(strict, 'EC member "d" does not match the public point'):
        return ec.EllipticCurvePrivateNumbers(int.from_bytes(d, "big"), public).private_key()


def _okp_key(obj: Mapping[str, Any], *, strict: bool, private: bool) -> OKPKey:
    crv = _required_text(obj, "crv") if strict else obj.get("crv")
    classes = _OKP_CURVES.get(crv) if isinstance(crv, str) else None
    if classes is None:
        raise InvalidKeyError(f"Invalid curve: {_shown(crv)}")
    if not strict and "x" not in obj:
        raise InvalidKeyError('OKP should have "x" parameter')
    x = _member(obj, "x", strict)
    public_class, private_class = classes
    try:
        if not (private and "d" in obj):
            return public_class.from_public_bytes(x)  # type: ignore[no-any-return]
        key = private_class.from_private_bytes(_member(obj, "d", strict))
        if key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) != x:
            raise InvalidKeyError("Public key does not match private key")
        return key  # type: ignore[no-any-return]
    except ValueError as err:
        if strict:
            raise InvalidKeyError(f"Invalid {_shown(crv)} key: {err}") from None
        raise InvalidKeyError("Invalid key parameter") from err


def _oct_key(obj: Mapping[str, Any], *, strict: bool, private: bool) -> bytes:
    key = _member(obj, "k", strict)
    if not key:
        raise InvalidKeyError("HMAC key must not be empty.")
    return key


_Parser = Callable[..., JWKKey]
_PARSERS: dict[str, _Parser] = {"RSA": _rsa_key, "EC": _ec_key, "OKP": _okp_key, "oct": _oct_key}


def _public_of(key: Any) -> Any:
    return key.public_key() if isinstance(key, _PRIVATE_KEYS) else key


# ---------------------------------------------- serializers, one per kty
# Each returns exactly the dict PyJWT's to_jwk(as_dict=True) returns.


def _rsa_jwk(key: Any) -> dict[str, Any]:
    # PyJWT duck-types here (and only here); so do we, for identical errors.
    if hasattr(key, "private_numbers"):
        numbers = key.private_numbers()
        public = numbers.public_numbers
        return {
            "kty": "RSA",
            "key_ops": ["sign"],
            "n": _uint_b64(public.n),
            "e": _uint_b64(public.e),
            "d": _uint_b64(numbers.d),
            "p": _uint_b64(numbers.p),
            "q": _uint_b64(numbers.q),
            "dp": _uint_b64(numbers.dmp1),
            "dq": _uint_b64(numbers.dmq1),
            "qi": _uint_b64(numbers.iqmp),
        }
    if hasattr(key, "verify"):
        public = key.public_numbers()
        return {"kty": "RSA", "key_ops": ["verify"], "n": _uint_b64(public.n), "e": _uint_b64(public.e)}
    raise InvalidKeyError("Not a public or private key")


def _ec_jwk(key: Any) -> dict[str, Any]:
    if not isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        raise InvalidKeyError("Not a public or private key")
    public = _public_of(key).public_numbers()
    found = next(((crv, size) for crv, (curve_class, size) in _EC_CURVES.items()
                  if isinstance(key.curve, curve_class)), None)
    if found is None:
        raise InvalidKeyError(f"Invalid curve: {key.curve}")
    crv, size = found
    obj = {"kty": "EC", "crv": crv, "x": _uint_b64(public.x, size), "y": _uint_b64(public.y, size)}
    if isinstance(key, ec.EllipticCurvePrivateKey):
        obj["d"] = _uint_b64(key.private_numbers().private_value, size)
    return obj


def _okp_jwk(key: Any) -> dict[str, Any]:
    if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        public, d = key, None
    elif isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        public = key.public_key()
        d = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    else:
        raise InvalidKeyError("Not a public or private key")
    obj = {"x": _b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw))}
    if d is not None:
        obj["d"] = _b64encode(d)
    obj["kty"] = "OKP"
    obj["crv"] = "Ed25519" if isinstance(public, ed25519.Ed25519PublicKey) else "Ed448"
    return obj


def _oct_jwk(key: Any) -> dict[str, Any]:
    return {"k": _b64encode(_force_bytes(key)), "kty": "oct"}


# ------------------------------------------------------------ fastjwt API


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        # RFC 7517 section 4: reject rather than silently keep the last one.
        raise InvalidKeyError("JWK has duplicate member names")
    return obj


def _json_object(data: Mapping[str, Any] | str | bytes) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    if not isinstance(data, (str, bytes, bytearray)):
        raise InvalidKeyError(f"JWK must be a dict or JSON text, not {type(data).__name__}")
    try:
        obj = json.loads(data, object_pairs_hook=_unique_members)
    except (ValueError, RecursionError):
        raise InvalidKeyError("JWK is not valid JSON") from None
    if not isinstance(obj, dict):
        raise InvalidKeyError("JWK must be a JSON object")
    return obj


def load_jwk(data: Mapping[str, Any] | str | bytes, *, public_only: bool = True) -> ParsedJWK:
    """Parse and validate one JWK (a dict, or its JSON text as str or bytes).

    Supports ``kty`` RSA, EC (P-256, P-384, P-521, secp256k1), OKP (Ed25519,
    Ed448) and oct. With ``public_only`` (the default) private members such as
    ``d``, ``p`` and ``q`` are ignored and the public key is returned;
    otherwise a private key is returned when they are present. An oct key is
    a secret either way and is returned as ``bytes``.

    ``kid``, ``alg`` and ``use`` must be strings and ``key_ops`` a list of
    distinct strings when present; acting on them is the caller's policy.

    :raises InvalidKeyError: for any defect; the message never contains key
        material.
    """
    obj = _json_object(data)
    kty = _required_text(obj, "kty")
    parser = _PARSERS.get(kty)
    if parser is None:
        raise InvalidKeyError(f'Unsupported kty "{_shown(kty)}"')
    kid, alg, use = _text(obj, "kid"), _text(obj, "alg"), _text(obj, "use")
    key_ops = None
    if "key_ops" in obj:
        ops = obj["key_ops"]
        if not isinstance(ops, list) or not all(isinstance(op, str) for op in ops):
            raise InvalidKeyError('JWK member "key_ops" must be a list of strings')
        if len(set(ops)) != len(ops):
            raise InvalidKeyError('JWK member "key_ops" has duplicate values')
        key_ops = tuple(ops)
    key = parser(obj, strict=True, private=not public_only)
    crv = obj["crv"] if kty in ("EC", "OKP") else None
    return ParsedJWK(kty, key, kid, alg, use, key_ops, crv)


def key_to_jwk(
    key: JWKKey,
    *,
    kid: str | None = None,
    alg: str | None = None,
    include_private: bool = False,
) -> dict[str, Any]:
    """Serialize a ``cryptography`` key (or ``bytes`` for oct) as a JWK dict.

    Only the public members are written unless ``include_private`` is true.
    Because an oct key is nothing but its secret, exporting one requires
    ``include_private=True``. ``kid`` and ``alg`` are added when given.

    :raises InvalidKeyError: for an unsupported key type or curve, an empty
        oct key, or an oct key without ``include_private``.
    """
    for name, value in (("kid", kid), ("alg", alg)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a string")
    if isinstance(key, bytes):
        if not include_private:
            raise InvalidKeyError("An oct key is secret; pass include_private=True to export it")
        if not key:
            raise InvalidKeyError("HMAC key must not be empty.")
        members = _oct_jwk(key)
    else:
        if not include_private:
            key = _public_of(key)
        if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
            members = _rsa_jwk(key)
            del members["key_ops"]  # PyJWT's addition, not a property of the key
        elif isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
            members = _ec_jwk(key)
        elif isinstance(key, _OKP_KEYS):
            members = _okp_jwk(key)
        else:
            raise InvalidKeyError(f"Unsupported key type: {type(key).__name__}")
    jwk: dict[str, Any] = {"kty": members.pop("kty")}
    if "crv" in members:
        jwk["crv"] = members.pop("crv")
    if kid is not None:
        jwk["kid"] = kid
    if alg is not None:
        jwk["alg"] = alg
    jwk.update(members)
    return jwk


def thumbprint(jwk: Mapping[str, Any], hash_name: str = "sha256") -> str:
    """RFC 7638 JWK thumbprint: base64url of the hash of the required members.

    The required members of the key's ``kty`` are serialized in lexicographic
    order without whitespace (RFC 7638 section 3, RFC 8037 section 2 for OKP);
    other members are ignored. ``hash_name`` is any :func:`hashlib.new` name.

    :raises InvalidKeyError: if ``kty`` is unsupported or a required member
        is missing or not a string.
    :raises ValueError: if ``hash_name`` is unknown to hashlib.
    """
    kty = _required_text(jwk, "kty")
    names = _THUMBPRINT_MEMBERS.get(kty)
    if names is None:
        raise InvalidKeyError(f'Unsupported kty "{_shown(kty)}"')
    members = {name: _required_text(jwk, name) for name in names}
    canonical = json.dumps(members, separators=(",", ":"), ensure_ascii=False)
    return _b64encode(hashlib.new(hash_name, canonical.encode("utf-8")).digest())


# ------------------------------------------------------- PyJWT-compatible


def _pyjwt_load(jwk: Any, kty: str, wrong_kty: str) -> Any:
    if isinstance(jwk, dict):
        obj = jwk
    else:
        try:
            if not isinstance(jwk, str):
                raise ValueError
            obj = json.loads(jwk)
        except ValueError:
            raise InvalidKeyError("Key is not valid JSON") from None
    # Valid JSON that is not an object fails here with AttributeError, as in PyJWT.
    if obj.get("kty") != kty:
        raise InvalidKeyError(wrong_kty)
    return _PARSERS[kty](obj, strict=False, private=True)


def _pyjwt_dump(obj: dict[str, Any], as_dict: bool) -> dict[str, Any] | str:
    return obj if as_dict else json.dumps(obj)


def rsa_from_jwk(jwk: str | dict[str, Any]) -> RSAKey:
    """PyJWT's ``RSAAlgorithm.from_jwk``: a private key when ``d`` is present.

    Missing CRT members (p, q, dp, dq, qi all absent) are recovered from d.
    """
    return _pyjwt_load(jwk, "RSA", "Not an RSA key")  # type: ignore[no-any-return]


def ec_from_jwk(jwk: str | dict[str, Any]) -> ECKey:
    """PyJWT's ``ECAlgorithm.from_jwk``: a private key when ``d`` is present."""
    return _pyjwt_load(jwk, "EC", "Not an Elliptic curve key")  # type: ignore[no-any-return]


def okp_from_jwk(jwk: str | dict[str, Any]) -> OKPKey:
    """PyJWT's ``OKPAlgorithm.from_jwk`` (Ed25519, Ed448): private when ``d`` is present."""
    return _pyjwt_load(jwk, "OKP", "Not an Octet Key Pair")  # type: ignore[no-any-return]


def hmac_from_jwk(jwk: str | dict[str, Any]) -> bytes:
    """PyJWT's ``HMACAlgorithm.from_jwk``: the decoded ``k`` member."""
    return _pyjwt_load(jwk, "oct", "Not an HMAC key")  # type: ignore[no-any-return]


@overload
def rsa_to_jwk(key_obj: RSAKey, as_dict: Literal[True]) -> dict[str, Any]: ...
@overload
def rsa_to_jwk(key_obj: RSAKey, as_dict: Literal[False] = False) -> str: ...
@overload
def rsa_to_jwk(key_obj: RSAKey, as_dict: bool = False) -> dict[str, Any] | str: ...
def rsa_to_jwk(key_obj: RSAKey, as_dict: bool = False) -> dict[str, Any] | str:
    """PyJWT's ``RSAAlgorithm.to_jwk``: a dict, or its ``json.dumps`` text."""
    return _pyjwt_dump(_rsa_jwk(key_obj), as_dict)


@overload
def ec_to_jwk(key_obj: ECKey, as_dict: Literal[True]) -> dict[str, Any]: ...
@overload
def ec_to_jwk(key_obj: ECKey, as_dict: Literal[False] = False) -> str: ...
@overload
def ec_to_jwk(key_obj: ECKey, as_dict: bool = False) -> dict[str, Any] | str: ...
def ec_to_jwk(key_obj: ECKey, as_dict: bool = False) -> dict[str, Any] | str:
    """PyJWT's ``ECAlgorithm.to_jwk``: a dict, or its ``json.dumps`` text."""
    return _pyjwt_dump(_ec_jwk(key_obj), as_dict)


@overload
def okp_to_jwk(key: OKPKey, as_dict: Literal[True]) -> dict[str, Any]: ...
@overload
def okp_to_jwk(key: OKPKey, as_dict: Literal[False] = False) -> str: ...
@overload
def okp_to_jwk(key: OKPKey, as_dict: bool = False) -> dict[str, Any] | str: ...
def okp_to_jwk(key: OKPKey, as_dict: bool = False) -> dict[str, Any] | str:
    """PyJWT's ``OKPAlgorithm.to_jwk`` (its parameter is ``key``, not ``key_obj``)."""
    return _pyjwt_dump(_okp_jwk(key), as_dict)


@overload
def hmac_to_jwk(key_obj: str | bytes, as_dict: Literal[True]) -> dict[str, Any]: ...
@overload
def hmac_to_jwk(key_obj: str | bytes, as_dict: Literal[False] = False) -> str: ...
@overload
def hmac_to_jwk(key_obj: str | bytes, as_dict: bool = False) -> dict[str, Any] | str: ...
def hmac_to_jwk(key_obj: str | bytes, as_dict: bool = False) -> dict[str, Any] | str:
    """PyJWT's ``HMACAlgorithm.to_jwk``: a str secret is UTF-8 encoded first."""
    return _pyjwt_dump(_oct_jwk(key_obj), as_dict)
