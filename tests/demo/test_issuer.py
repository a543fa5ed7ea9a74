"""The token issuer: logins, access token claims, refresh rotation, nothing secret logged."""

from __future__ import annotations

import logging

import pytest
from _demo_support import AUDIENCE, CLIENT_ID, CLIENT_SECRET, ISSUER, PASSWORD, USERNAME, Clock

import fastjwt
from fastjwt.demo.issuer import (
    InvalidClientError,
    InvalidGrantError,
    InvalidScopeError,
    RefreshReuseError,
    TokenIssuer,
)
from fastjwt.demo.keyring import KeyRing
from fastjwt.demo.store import TokenStore


def _validator(issuer: TokenIssuer, clock: Clock) -> fastjwt.Validator:
    return fastjwt.Validator(keys=fastjwt.KeySet.from_jwks(issuer.keyring.jwks()), algorithms=["ES256"],
                             audience=AUDIENCE, issuer=ISSUER, typ="at+jwt", clock=clock,
                             require=["exp", "iat", "nbf", "sub", "jti"])


def test_client_login_issues_an_rfc9068_access_token(issuer: TokenIssuer, clock: Clock) -> None:
    tokens = issuer.login_client(CLIENT_ID, CLIENT_SECRET)
    assert (tokens.token_type, tokens.expires_in, tokens.scope) == ("Bearer", 300, "items:read items:write")
    header = fastjwt.get_unverified_header(tokens.access_token)
    assert header == {"alg": "ES256", "kid": issuer.keyring.signing_key().kid, "typ": "at+jwt"}
    claims = _validator(issuer, clock).decode(tokens.access_token)
    now = int(clock())
    jti = claims.pop("jti")
    assert len(jti) == 22
    assert claims == {"iss": ISSUER, "sub": CLIENT_ID, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 300,
                      "scope": "items:read items:write", "client_id": CLIENT_ID}
    assert issuer.login_client(CLIENT_ID, CLIENT_SECRET).access_token != tokens.access_token  # fresh jti


def test_password_login_and_scopes(issuer: TokenIssuer, clock: Clock) -> None:
    tokens = issuer.login_password(USERNAME, PASSWORD)
    assert _validator(issuer, clock).decode(tokens.access_token)["sub"] == USERNAME
    narrowed = issuer.login_client(CLIENT_ID, CLIENT_SECRET, scope="items:write")
    assert narrowed.scope == "items:write"
    with pytest.raises(InvalidScopeError, match="^scope not granted: items:admin$"):
        issuer.login_client(CLIENT_ID, CLIENT_SECRET, scope="items:read items:admin")
    with pytest.raises(InvalidScopeError, match="^scope not granted: items:write$"):
        issuer.login_password(USERNAME, PASSWORD, scope="items:write")
    with pytest.raises(InvalidScopeError, match="^malformed scope$"):
        issuer.login_client(CLIENT_ID, CLIENT_SECRET, scope=" ".join(f"s{i}" for i in range(33)))


@pytest.mark.parametrize(
    ("kind", "name", "secret"),
    [
        ("client", CLIENT_ID, CLIENT_SECRET + "x"),
        ("client", "no-such-client", CLIENT_SECRET),
        ("client", "", CLIENT_SECRET),
        ("client", USERNAME, PASSWORD),  # a user is not a client
        ("user", USERNAME, PASSWORD.upper()),
        ("user", "mallory", PASSWORD),
        ("user", CLIENT_ID, CLIENT_SECRET),
    ],
)
def test_wrong_credentials_say_nothing_more(issuer: TokenIssuer, kind: str, name: str, secret: str) -> None:
    login = issuer.login_client if kind == "client" else issuer.login_password
    with pytest.raises(InvalidClientError, match=f"^invalid {kind} credentials$"):
        login(name, secret)


def test_refresh_rotates_and_detects_reuse(issuer: TokenIssuer, clock: Clock) -> None:
    first = issuer.login_client(CLIENT_ID, CLIENT_SECRET, scope="items:read")
    clock.advance(60)
    second = issuer.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    claims = _validator(issuer, clock).decode(second.access_token)
    assert (claims["sub"], claims["scope"], claims["iat"]) == (CLIENT_ID, "items:read", int(clock()))
    with pytest.raises(RefreshReuseError):
        issuer.refresh(first.refresh_token)
    with pytest.raises(InvalidGrantError, match="^refresh token family revoked$"):
        issuer.refresh(second.refresh_token)
    third = issuer.login_client(CLIENT_ID, CLIENT_SECRET)  # a new login starts a new family
    assert issuer.revoke(third.refresh_token) is True
    assert issuer.revoke("unknown") is False
    with pytest.raises(InvalidGrantError, match="^refresh token family revoked$"):
        issuer.refresh(third.refresh_token)


def test_access_tokens_follow_key_rotation(issuer: TokenIssuer, clock: Clock) -> None:
    before = issuer.login_client(CLIENT_ID, CLIENT_SECRET)
    new_key = issuer.keyring.rotate()
    clock.advance(issuer.keyring.activation_delay)
    after = issuer.refresh(before.refresh_token)
    assert fastjwt.get_unverified_header(after.access_token)["kid"] == new_key.kid
    validator = _validator(issuer, clock)  # the JWKS now holds both keys
    assert validator.decode(before.access_token)["sub"] == validator.decode(after.access_token)["sub"]


def test_access_ttl_bounds(store: TokenStore, keyring: KeyRing) -> None:
    for ttl in (0, keyring.max_token_lifetime + 1):
        with pytest.raises(ValueError, match="^access_ttl must be at least 1 second"):
            TokenIssuer(store, keyring, issuer=ISSUER, audience=AUDIENCE, access_ttl=ttl)


def test_no_secret_or_token_in_logs_or_reprs(issuer: TokenIssuer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = issuer.login_client(CLIENT_ID, CLIENT_SECRET)
    user = issuer.login_password(USERNAME, PASSWORD)
    for name, secret in ((CLIENT_ID, "wrong-" + CLIENT_SECRET), ("mallory", PASSWORD)):
        with pytest.raises(InvalidClientError):
            issuer.login_client(name, secret)
    second = issuer.refresh(tokens.refresh_token)
    with pytest.raises(RefreshReuseError):
        issuer.refresh(tokens.refresh_token)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "client demo-client logged in" in logged and "login refused for a client" in logged
    reprs = repr(tokens) + repr(second)
    assert reprs == "TokenSet(expires_in=300, scope='items:read items:write')" * 2
    for secret in (CLIENT_SECRET, PASSWORD, tokens.access_token, tokens.refresh_token, user.refresh_token,
                   second.refresh_token, second.access_token):
        assert secret not in logged
        assert secret not in reprs
