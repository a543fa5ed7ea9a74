"""Salted, slow hashes for client secrets and passwords (standard library only).

A stored hash reads ``scrypt$<log2 n>$<r>$<p>$<salt>$<hash>`` (base64url).
:func:`verify_secret` compares with :func:`hmac.compare_digest`, and
:func:`burn_time` spends the same work when there is no stored hash, so a
caller cannot tell an unknown id from a wrong secret by the time it takes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Optional

__all__ = ["DEFAULT_LOG2_N", "burn_time", "hash_secret", "verify_secret"]

#: scrypt cost: n = 2**14, r = 8, p = 1 (16 MiB, tens of milliseconds): the
#: interactive-login parameters recommended for scrypt.
DEFAULT_LOG2_N = 14
_R = 8
_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32
#: Refuse absurd secrets before spending scrypt on them.
MAX_SECRET_BYTES = 1024


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(secret: bytes, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    n = 1 << log2_n
    # maxmem: OpenSSL's default (32 MiB) is just too small for n=2**14, r=8 with its bookkeeping.
    return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, dklen=_HASH_BYTES, maxmem=128 * r * (n + p + 2) + (1 << 20))


def _encode(secret: str) -> bytes:
    data = secret.encode("utf-8")
    if len(data) > MAX_SECRET_BYTES:
        raise ValueError("secret too long")
    return data


def hash_secret(secret: str, *, log2_n: int = DEFAULT_LOG2_N) -> str:
    """A new salted scrypt hash of ``secret``, in the stored format."""
    if not 1 <= log2_n <= 20:
        raise ValueError("log2_n must be between 1 and 20")
    salt = os.urandom(_SALT_BYTES)
    digest = _scrypt(_encode(secret), salt, log2_n, _R, _P)
    return f"scrypt${log2_n}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: Optional[str]) -> bool:
    """Whether ``secret`` matches the stored hash; with ``stored=None``, spend the
    time of a check and return False."""
    try:
        data = _encode(secret)
    except ValueError:
        return False
    if stored is None:
        burn_time(data)
        return False
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = _scrypt(data, _unb64(salt), int(log2_n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


_DUMMY_SALT = os.urandom(_SALT_BYTES)


def burn_time(data: bytes = b"") -> None:
    """The work of one check at the default cost, for ids that do not exist."""
    _scrypt(data, _DUMMY_SALT, DEFAULT_LOG2_N, _R, _P)
