"""Signing keys: publish first, switch after a delay, retire after the last token expired."""

from __future__ import annotations

import pytest
from _demo_support import Clock

import fastjwt
from fastjwt.demo.keyring import KeyRing
from fastjwt.jwk import thumbprint


def _validator(keyring: KeyRing, clock: Clock, alg: str = "ES256", leeway: float = 0) -> fastjwt.Validator:
    return fastjwt.Validator(keys=fastjwt.KeySet.from_jwks(keyring.jwks()), algorithms=[alg], clock=clock,
                             leeway=leeway)


def test_first_key_signs_at_once(keyring: KeyRing, clock: Clock) -> None:
    jwks = keyring.jwks()
    assert len(jwks["keys"]) == 1
    jwk = jwks["keys"][0]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig")
    assert jwk["kid"] == thumbprint(jwk)  # RFC 7638 thumbprint as kid
    assert "d" not in jwk  # never the private part
    token = keyring.sign({"sub": "a", "exp": clock() + 60})
    assert fastjwt.get_unverified_header(token) == {"alg": "ES256", "kid": jwk["kid"], "typ": "JWT"}
    assert _validator(keyring, clock).decode(token)["sub"] == "a"


def test_rotation_schedule(keyring: KeyRing, clock: Clock) -> None:
    old = keyring.signing_key()
    start = clock()
    new = keyring.rotate()  # activation_delay=10, max_token_lifetime=300, leeway=5
    assert [k["kid"] for k in keyring.schedule()] == [old.kid, new.kid]
    assert (new.published_at, new.active_from) == (start, start + 10)
    assert old.retire_at == start + 10 + 300 + 5
    # 1. Published at once, but not yet signing: verifiers fetch it first.
    assert keyring.signing_key() is old
    clock.advance(9)
    assert keyring.signing_key() is old
    last_old_token = keyring.sign({"sub": "old", "exp": clock() + 300})  # expires at start + 309
    # 2. The switch.
    clock.advance(1)
    assert keyring.signing_key() is new
    new_token = keyring.sign({"sub": "new", "exp": clock() + 300})
    assert fastjwt.get_unverified_header(new_token)["kid"] == new.kid
    # 3. Both keys stay published while tokens of the old one can be valid (with the verifiers' leeway).
    clock.advance(303)
    assert [k.kid for k in keyring.published()] == [old.kid, new.kid]
    validator = _validator(keyring, clock, leeway=5)
    assert validator.decode(last_old_token)["sub"] == "old"
    assert validator.decode(new_token)["sub"] == "new"
    clock.advance(1.999)
    assert [k.kid for k in keyring.published()] == [old.kid, new.kid]
    clock.advance(0.001)
    assert [k.kid for k in keyring.published()] == [new.kid]
    assert new.retire_at is None


def test_rotation_before_the_previous_switch_keeps_the_order(keyring: KeyRing, clock: Clock) -> None:
    first = keyring.signing_key()
    second = keyring.rotate()
    clock.advance(1)
    third = keyring.rotate()
    assert third.active_from == second.active_from + 1
    clock.advance(9)
    assert keyring.signing_key() is second
    clock.advance(1)
    assert keyring.signing_key() is third
    clock.advance(10_000)
    assert keyring.published() == [third]
    assert first.retire_at is not None and second.retire_at is not None


def test_eddsa(clock: Clock) -> None:
    keyring = KeyRing("EdDSA", clock=clock)
    jwk = keyring.jwks()["keys"][0]
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("OKP", "Ed25519", "EdDSA")
    token = keyring.sign({"sub": "a"})
    assert _validator(keyring, clock, "EdDSA").decode(token) == {"sub": "a"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"alg": "HS256"}, "alg must be one of ES256, EdDSA"),
        ({"alg": "RS256"}, "alg must be one of ES256, EdDSA"),
        ({"activation_delay": -1}, "activation_delay and leeway must be >= 0, max_token_lifetime > 0"),
        ({"max_token_lifetime": 0}, "activation_delay and leeway must be >= 0, max_token_lifetime > 0"),
    ],
)
def test_bad_settings(args: dict, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        KeyRing(**args)


def test_repr_has_no_key_material(keyring: KeyRing) -> None:
    text = repr(keyring.signing_key())
    assert "private_key" not in text and keyring.signing_key().kid in text
