"""fastjwt._bound_key: how the native core recognises a key bound to its algorithm (PyJWK)."""

from __future__ import annotations

import base64

import pytest
from _support import HMAC_SECRET

import fastjwt
from fastjwt._bound_key import BoundKey

_JWK = {"kty": "oct", "k": base64.urlsafe_b64encode(HMAC_SECRET).rstrip(b"=").decode(), "kid": "a", "alg": "HS384"}


def test_pyjwk_is_registered_without_becoming_a_subclass() -> None:
    jwk = fastjwt.PyJWK(_JWK)
    assert isinstance(jwk, BoundKey)
    assert type(fastjwt.PyJWK) is type  # a plain class: its own isinstance checks stay fast
    assert fastjwt.PyJWK.__mro__ == (fastjwt.PyJWK, object)


def test_key_and_validator_take_the_bound_id_and_algorithm() -> None:
    key = fastjwt.Key(fastjwt.PyJWK(_JWK))
    assert (key.kid, key.alg) == ("a", "HS384")
    token = fastjwt.encode({"sub": "alice"}, HMAC_SECRET, algorithm="HS256")
    validator = fastjwt.Validator(fastjwt.PyJWK(_JWK), algorithms=["HS256", "HS384"])
    with pytest.raises(fastjwt.InvalidAlgorithmError, match="^Token algorithm 'HS256' does not match the key's "
                                                          "algorithm 'HS384'$"):
        validator.decode(token)


def test_a_lookalike_that_is_not_registered_is_not_a_bound_key() -> None:
    class Lookalike:
        key = HMAC_SECRET
        key_id = "x"
        algorithm_name = "HS256"

    assert not isinstance(Lookalike(), BoundKey)
    with pytest.raises(fastjwt.InvalidKeyError, match="^The key cannot verify any supported algorithm$"):
        fastjwt.Key(Lookalike())
