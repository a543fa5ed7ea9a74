"""The token service's logic, without any transport: logins, refreshes, revocations.

:class:`TokenIssuer` authenticates a client (id + secret) or a user (name +
password) against the salted hashes in a :class:`~fastjwt.demo.store.TokenStore`,
issues a short-lived access token (RFC 9068 shape: ``typ: at+jwt``, ``sub``,
``iss``, ``aud``, ``iat``, ``nbf``, ``exp``, ``jti``, ``scope``, ``client_id``)
signed by the :class:`~fastjwt.demo.keyring.KeyRing`'s current key, and an
opaque refresh token rotated on every use. The gRPC service
(:mod:`fastjwt.demo.token_service`) is a thin adapter over this class.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Tuple

from .keyring import KeyRing
from .secrets_hash import verify_secret
from .store import Grant, InvalidGrantError, RefreshReuseError, TokenStore

__all__ = [
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidScopeError",
    "RefreshReuseError",
    "TokenIssuer",
    "TokenSet",
]

log = logging.getLogger("fastjwt.demo.issuer")

#: Scope names are short printable words (RFC 6749 section 3.3); more than this many are refused.
MAX_SCOPES = 32


class InvalidClientError(Exception):
    """Wrong client id or secret, or wrong user name or password (one message for all:
    the caller learns nothing about which part was wrong)."""


class InvalidScopeError(Exception):
    """A requested scope the client or user is not granted."""


@dataclass(frozen=True)
class TokenSet:
    """A login or refresh result (OAuth token response)."""

    access_token: str
    expires_in: int
    refresh_token: str
    scope: str
    token_type: str = "Bearer"

    def __repr__(self) -> str:
        # Never the tokens: a TokenSet may end up in a log line.
        return f"TokenSet(expires_in={self.expires_in}, scope={self.scope!r})"


def _parse_scope(scope: str) -> Tuple[str, ...]:
    names = tuple(dict.fromkeys(scope.split()))
    if len(names) > MAX_SCOPES or any(len(n) > 128 or not n.isprintable() for n in names):
        raise InvalidScopeError("malformed scope")
    return names


class TokenIssuer:
    """Issues access and refresh tokens.

    Args:
        store: the SQLite state (principals, families).
        keyring: the signing keys; ``access_ttl`` may not exceed its ``max_token_lifetime``.
        issuer: the ``iss`` claim (the token service's identity).
        audience: the ``aud`` claim (the protected services' identity).
        access_ttl: access token lifetime in seconds (minutes, typically).
        clock: seconds since the epoch.
    """

    def __init__(self, store: TokenStore, keyring: KeyRing, *, issuer: str, audience: str,
                 access_ttl: float = 300.0, clock: Callable[[], float] = time.time) -> None:
        if not 1 <= access_ttl <= keyring.max_token_lifetime:
            raise ValueError("access_ttl must be at least 1 second and at most the key ring's max_token_lifetime")
        self.store = store
        self.keyring = keyring
        self.issuer = issuer
        self.audience = audience
        self.access_ttl = int(access_ttl)  # whole seconds: exp is an integer
        self._clock = clock

    # ------------------------------------------------------------------ logins

    def login_client(self, client_id: str, client_secret: str, scope: str = "") -> TokenSet:
        """Client credentials login.

        :raises InvalidClientError: unknown client or wrong secret.
        :raises InvalidScopeError: a requested scope is not granted to the client.
        """
        return self._login("client", client_id, client_secret, scope)

    def login_password(self, username: str, password: str, scope: str = "") -> TokenSet:
        """User name and password login (the user is its own client).

        :raises InvalidClientError: unknown user or wrong password.
        :raises InvalidScopeError: a requested scope is not granted to the user.
        """
        return self._login("user", username, password, scope)

    def _login(self, kind: str, name: str, secret: str, scope: str) -> TokenSet:
        principal = self.store.principal(kind, name) if 0 < len(name) <= 256 else None
        # verify_secret spends the same time when the principal is unknown.
        if not verify_secret(secret, principal.secret_hash if principal else None) or principal is None:
            log.info("login refused for a %s", kind)  # not the name: it may be a mistyped secret
            raise InvalidClientError("invalid client credentials" if kind == "client" else "invalid user credentials")
        granted = self._grant_scopes(principal.scopes, _parse_scope(scope))
        grant = self.store.start_family(name, name, " ".join(granted), self._clock())
        log.info("%s %s logged in with scope %r", kind, name, grant.scope)
        return self._tokens(grant)

    @staticmethod
    def _grant_scopes(allowed: Iterable[str], requested: Tuple[str, ...]) -> Tuple[str, ...]:
        allowed = tuple(allowed)
        if not requested:
            return allowed
        missing = [s for s in requested if s not in allowed]
        if missing:
            raise InvalidScopeError("scope not granted: " + " ".join(missing))
        return requested

    # ---------------------------------------------------------------- refreshes

    def refresh(self, refresh_token: str) -> TokenSet:
        """Spend a refresh token for a new access token and the family's next refresh token.

        :raises RefreshReuseError: the token was spent before; the family is revoked.
        :raises InvalidGrantError: unknown, expired or revoked.
        """
        return self._tokens(self.store.rotate(refresh_token, self._clock()))

    def revoke(self, refresh_token: str) -> bool:
        """Revoke the family of a refresh token (logout); False if the token is unknown."""
        return self.store.revoke(refresh_token, self._clock()) is not None

    # ------------------------------------------------------------------ tokens

    def access_token(self, subject: str, client_id: str, scope: str) -> str:
        """A signed access token for ``subject`` (used by logins and refreshes)."""
        now = int(self._clock())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + self.access_ttl,
            "jti": secrets.token_urlsafe(16),
            "scope": scope,
            "client_id": client_id,
        }
        return self.keyring.sign(claims, headers={"typ": "at+jwt"})

    def _tokens(self, grant: Grant) -> TokenSet:
        return TokenSet(
            access_token=self.access_token(grant.subject, grant.client_id, grant.scope),
            expires_in=self.access_ttl,
            refresh_token=grant.refresh_token,
            scope=grant.scope,
        )
