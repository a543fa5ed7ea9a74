"""Salted scrypt hashes of client secrets and passwords."""

from __future__ import annotations

import pytest

from fastjwt.demo.secrets_hash import DEFAULT_LOG2_N, MAX_SECRET_BYTES, hash_secret, verify_secret


def test_default_cost_round_trip() -> None:
    stored = hash_secret("s3cret")
    scheme, log2_n, r, p, salt, digest = stored.split("$")
    assert (scheme, int(log2_n), int(r), int(p)) == ("scrypt", DEFAULT_LOG2_N, 8, 1)
    assert len(salt) == 22 and len(digest) == 43  # 16 and 32 bytes, base64url
    assert "s3cret" not in stored
    assert verify_secret("s3cret", stored) is True
    assert verify_secret("s3cret ", stored) is False


def test_salted_so_equal_secrets_hash_differently() -> None:
    first, second = hash_secret("same", log2_n=4), hash_secret("same", log2_n=4)
    assert first != second
    assert verify_secret("same", first) and verify_secret("same", second)


@pytest.mark.parametrize(
    "stored",
    [None, "", "bcrypt$4$8$1$AAAA$AAAA", "scrypt$4$8$1$AAAA", "scrypt$x$8$1$AAAA$AAAA", "scrypt$4$8$1$!!$AAAA"],
)
def test_unknown_or_malformed_hash_never_matches(stored: object) -> None:
    assert verify_secret("anything", stored) is False  # type: ignore[arg-type]


def test_oversized_secret_refused() -> None:
    with pytest.raises(ValueError, match="secret too long"):
        hash_secret("x" * (MAX_SECRET_BYTES + 1), log2_n=4)
    assert verify_secret("x" * (MAX_SECRET_BYTES + 1), hash_secret("y", log2_n=4)) is False


def test_cost_bounds() -> None:
    with pytest.raises(ValueError, match="log2_n must be between 1 and 20"):
        hash_secret("x", log2_n=0)
