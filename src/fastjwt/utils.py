"""Small helpers PyJWT users import from ``jwt.utils``; base64url is the compiled one."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional, Union

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from ._core import b64decode as _b64decode
from ._core import b64encode as _b64encode
from ._core import der_signature

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurve

__all__ = [
    "force_bytes",
    "base64url_decode",
    "base64url_encode",
    "to_base64url_uint",
    "from_base64url_uint",
    "bytes_from_int",
    "der_to_raw_signature",
    "raw_to_der_signature",
    "is_pem_format",
    "is_ssh_key",
]


def force_bytes(value: Union[bytes, str]) -> bytes:
    """UTF-8 encode a str; pass bytes through; anything else is a TypeError."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return value
    raise TypeError("Expected a string or bytes value")


def base64url_decode(input: Union[bytes, str]) -> bytes:
    """Decode base64url, with or without padding (PyJWT's lenient helper).

    Token segments never go through this: they use the strict decoder in
    ``fastjwt._core``. This helper keeps PyJWT's behaviour for user code.
    """
    import base64

    data = force_bytes(input)
    data += b"=" * (-len(data) % 4)
    return base64.urlsafe_b64decode(data)


def base64url_encode(input: bytes) -> bytes:
    """Unpadded base64url encoding."""
    return _b64encode(bytes(input))


def strict_base64url_decode(input: Union[bytes, str], name: str = "segment") -> bytes:
    """Strict base64url decoding, as applied to token segments."""
    return _b64decode(input, name)


def bytes_from_int(val: int, *, bit_length: Optional[int] = None) -> bytes:
    """Big-endian unsigned bytes of ``val``, ``bit_length`` bits wide if given."""
    if bit_length is None:
        bit_length = val.bit_length()
    return val.to_bytes((bit_length + 7) // 8 or 1, "big", signed=False)


def to_base64url_uint(val: int, *, bit_length: Optional[int] = None) -> bytes:
    """JWK unsigned-integer encoding (RFC 7518 2)."""
    if val < 0:
        raise ValueError("Must be a positive integer")
    return base64url_encode(bytes_from_int(val, bit_length=bit_length))


def from_base64url_uint(val: Union[bytes, str]) -> int:
    """Inverse of :func:`to_base64url_uint`."""
    return int.from_bytes(base64url_decode(val), "big")


def der_to_raw_signature(der_sig: bytes, curve: EllipticCurve) -> bytes:
    """DER ECDSA signature to JWS raw ``r || s``."""
    size = (curve.key_size + 7) // 8
    r, s = decode_dss_signature(der_sig)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def raw_to_der_signature(raw_sig: bytes, curve: EllipticCurve) -> bytes:
    """JWS raw ``r || s`` to DER; a wrong length is a ValueError."""
    size = (curve.key_size + 7) // 8
    if len(raw_sig) != 2 * size:
        raise ValueError("Invalid signature")
    return der_signature(raw_sig)


# A PEM armour line of ANY label, written loosely (RFC 7468 BEGIN, or the
# "---- BEGIN" of RFC 4716 SSH2 keys; any case): a secret containing one is
# never an HMAC key. Listing labels would miss the ones a loader accepts that
# nobody listed (cryptography reads "X509 CERTIFICATE" as a certificate).
_PEM_MARKER = re.compile(b"----[- ]BEGIN ", re.IGNORECASE)
_SSH_PREFIXES = (
    b"ssh-ed25519",
    b"ssh-ed448",
    b"ssh-rsa",
    b"ssh-dss",
    b"ecdsa-sha2-nistp256",
    b"ecdsa-sha2-nistp384",
    b"ecdsa-sha2-nistp521",
    b"sk-ssh-ed25519@openssh.com",
    b"sk-ecdsa-sha2-nistp256@openssh.com",
)


def is_pem_format(key: bytes) -> bool:
    """True if ``key`` contains a PEM ``BEGIN`` armour line, whatever its label."""
    return _PEM_MARKER.search(key) is not None


def is_ssh_key(key: bytes) -> bool:
    """True if ``key`` starts like an OpenSSH public key line."""
    return key.lstrip().startswith(_SSH_PREFIXES)


# --------------------------------------------------------------------------- PyJWT's namespace
# Names PyJWT 2.15's jwt.utils also exposes (code written for PyJWT imports them from here).
import binascii  # noqa: E402

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurve  # noqa: E402,F811
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature  # noqa: E402,F401


def number_to_bytes(num: int, num_bytes: int) -> bytes:
    """``num`` as at least ``num_bytes`` big-endian bytes (PyJWT's helper, same results)."""
    return binascii.a2b_hex(f"{num:0{2 * num_bytes}x}".encode("ascii"))


def bytes_to_number(string: bytes) -> int:
    """Big-endian bytes as a non-negative int (PyJWT's helper, same results)."""
    return int(binascii.b2a_hex(string), 16)
