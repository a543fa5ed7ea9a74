"""The token service's state in SQLite: principals, refresh-token families, revocations.

Refresh tokens are opaque random strings (:func:`secrets.token_urlsafe`, 256
bits) handed out once and stored only as their SHA-256 hash. Every refresh
token belongs to a *family* started by one login. A refresh spends its token
and issues the next one of the family, in one ``BEGIN IMMEDIATE`` transaction:
SQLite takes the write lock before the token is read, so two concurrent
refreshes of the same token are serialized and the second one sees it spent.
Presenting a spent token again revokes the whole family (OAuth 2.0 Security
BCP, RFC 9700 section 4.14): whichever of the legitimate client and a thief
comes second, both lose the family, and the user logs in again.

The database runs in WAL mode with ``synchronous=FULL``: a committed refresh
survives a crash or restart, so a spent token stays spent. Client secrets and
passwords are stored as salted scrypt hashes (:mod:`fastjwt.demo.secrets_hash`),
refresh tokens as SHA-256 hashes (they are 256-bit random, so a fast hash
cannot be brute-forced); nothing secret is stored or logged in clear.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Iterator, Optional, Tuple

from .secrets_hash import hash_secret

__all__ = [
    "FamilyState",
    "Grant",
    "InvalidGrantError",
    "Principal",
    "RefreshReuseError",
    "TokenStore",
]

log = logging.getLogger("fastjwt.demo.store")

#: Refresh tokens longer than this are refused before hashing (they are 43 characters).
MAX_REFRESH_TOKEN_LENGTH = 256

_SCHEMA = """
CREATE TABLE IF NOT EXISTS principals (
    kind TEXT NOT NULL CHECK (kind IN ('client', 'user')),
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    PRIMARY KEY (kind, name)
);
CREATE TABLE IF NOT EXISTS families (
    id TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    revoked_at REAL,
    revoked_reason TEXT
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash BLOB PRIMARY KEY,
    family_id TEXT NOT NULL REFERENCES families (id),
    issued_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE INDEX IF NOT EXISTS refresh_tokens_by_family ON refresh_tokens (family_id);
"""


class InvalidGrantError(Exception):
    """A refresh token that is unknown, expired, spent or of a revoked family
    (OAuth ``invalid_grant``). The message is a short reason, never the token."""


class RefreshReuseError(InvalidGrantError):
    """A spent refresh token was presented again: its family is now revoked."""


@dataclass(frozen=True)
class Principal:
    """A client or user: the stored hash of its secret and the scopes it may ask for."""

    kind: str
    name: str
    secret_hash: str
    scopes: Tuple[str, ...]


@dataclass(frozen=True)
class Grant:
    """What a login or refresh yields: the new refresh token (to hand out once,
    never stored in clear) and the family it belongs to."""

    refresh_token: str
    family_id: str
    subject: str
    client_id: str
    scope: str
    expires_at: float


@dataclass(frozen=True)
class FamilyState:
    """A family as stored (for operators and tests)."""

    id: str
    subject: str
    client_id: str
    scope: str
    revoked_at: Optional[float]
    revoked_reason: Optional[str]
    tokens: int
    spent: int


def _digest(refresh_token: str) -> bytes:
    return hashlib.sha256(refresh_token.encode("utf-8")).digest()


def _new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


class TokenStore:
    """The SQLite state of a token service, safe to share between threads.

    Args:
        path: the database file (created if missing; keeps its state across restarts).
        refresh_ttl: seconds a refresh token stays usable.
        family_ttl: seconds a family lives from its login, however often it is refreshed.
        timeout: seconds a transaction waits for another one's write lock.
        secret_cost: scrypt cost (log2 n) for new client secrets and passwords.
    """

    def __init__(self, path: str, *, refresh_ttl: float = 86400.0, family_ttl: float = 30 * 86400.0,
                 timeout: float = 30.0, secret_cost: Optional[int] = None) -> None:
        if path == ":memory:" or not path:
            # Each operation opens its own connection: an in-memory database would be a new one each time.
            raise ValueError("the token store needs a file path")
        self.path = path
        self.refresh_ttl = float(refresh_ttl)
        self.family_ttl = float(family_ttl)
        self._timeout = timeout
        self._secret_cost = secret_cost
        with contextlib.closing(self._connect()) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # One connection per operation: a connection is not shareable between threads mid-transaction,
        # and gRPC handlers run on a pool. isolation_level=None: we issue BEGIN ourselves.
        conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on an exception other than an InvalidGrantError,
        which commits: a reuse detection must keep the revocation it wrote)."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except InvalidGrantError:
                conn.execute("COMMIT")
                raise
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    # ------------------------------------------------------------ principals

    def add_principal(self, kind: str, name: str, secret: str, scopes: Tuple[str, ...] = ()) -> None:
        """Create or replace a client (``kind="client"``) or user (``"user"``); only a
        salted hash of ``secret`` is stored."""
        if kind not in ("client", "user"):
            raise ValueError('kind must be "client" or "user"')
        cost = {} if self._secret_cost is None else {"log2_n": self._secret_cost}
        hashed = hash_secret(secret, **cost)
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO principals (kind, name, secret_hash, scopes) VALUES (?, ?, ?, ?)",
                (kind, name, hashed, " ".join(scopes)),
            )

    def principal(self, kind: str, name: str) -> Optional[Principal]:
        """The stored client or user, or None."""
        with contextlib.closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT secret_hash, scopes FROM principals WHERE kind = ? AND name = ?", (kind, name)
            ).fetchone()
        if row is None:
            return None
        return Principal(kind, name, row[0], tuple(row[1].split()))

    # --------------------------------------------------------------- families

    def start_family(self, subject: str, client_id: str, scope: str, now: float) -> Grant:
        """A login: a new family and its first refresh token."""
        family_id = secrets.token_hex(8)
        token = _new_refresh_token()
        expires_at = min(now + self.refresh_ttl, now + self.family_ttl)
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO families (id, subject, client_id, scope, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (family_id, subject, client_id, scope, now, now + self.family_ttl),
            )
            conn.execute(
                "INSERT INTO refresh_tokens (token_hash, family_id, issued_at, expires_at) VALUES (?, ?, ?, ?)",
                (_digest(token), family_id, now, expires_at),
            )
        log.info("family %s started for %s", family_id, subject)
        return Grant(token, family_id, subject, client_id, scope, expires_at)

    def rotate(self, refresh_token: str, now: float) -> Grant:
        """Spend ``refresh_token`` and issue the next token of its family, atomically.

        :raises RefreshReuseError: the token was already spent; the family is now revoked.
        :raises InvalidGrantError: the token is unknown or expired, or its family is revoked or expired.
        """
        if not isinstance(refresh_token, str) or not 0 < len(refresh_token) <= MAX_REFRESH_TOKEN_LENGTH:
            raise InvalidGrantError("malformed refresh token")
        digest = _digest(refresh_token)
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT t.family_id, t.expires_at, t.used_at, f.subject, f.client_id, f.scope, f.expires_at, "
                "f.revoked_at FROM refresh_tokens t JOIN families f ON f.id = t.family_id WHERE t.token_hash = ?",
                (digest,),
            ).fetchone()
            if row is None:
                raise InvalidGrantError("unknown refresh token")
            family_id, expires_at, used_at, subject, client_id, scope, family_expires, revoked_at = row
            if revoked_at is not None:
                raise InvalidGrantError("refresh token family revoked")
            if used_at is not None:
                conn.execute(
                    "UPDATE families SET revoked_at = ?, revoked_reason = 'reuse' WHERE id = ?", (now, family_id)
                )
                log.warning("refresh token reuse in family %s: family revoked", family_id)
                raise RefreshReuseError("refresh token reused; its family is revoked")
            if now >= expires_at or now >= family_expires:
                raise InvalidGrantError("refresh token expired")
            conn.execute("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?", (now, digest))
            token = _new_refresh_token()
            new_expiry = min(now + self.refresh_ttl, family_expires)
            conn.execute(
                "INSERT INTO refresh_tokens (token_hash, family_id, issued_at, expires_at) VALUES (?, ?, ?, ?)",
                (_digest(token), family_id, now, new_expiry),
            )
        log.info("family %s rotated", family_id)
        return Grant(token, family_id, subject, client_id, scope, new_expiry)

    def revoke(self, refresh_token: str, now: float, reason: str = "revoked") -> Optional[str]:
        """Revoke the family of ``refresh_token`` (logout); returns its id, or None if unknown."""
        if not isinstance(refresh_token, str) or not 0 < len(refresh_token) <= MAX_REFRESH_TOKEN_LENGTH:
            return None
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT family_id FROM refresh_tokens WHERE token_hash = ?", (_digest(refresh_token),)
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE families SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL",
                (now, reason, row[0]),
            )
        log.info("family %s revoked (%s)", row[0], reason)
        return str(row[0])

    def family(self, family_id: str) -> Optional[FamilyState]:
        """The stored state of a family, or None."""
        with contextlib.closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT f.id, f.subject, f.client_id, f.scope, f.revoked_at, f.revoked_reason, "
                "COUNT(t.token_hash), COUNT(t.used_at) "
                "FROM families f LEFT JOIN refresh_tokens t ON t.family_id = f.id WHERE f.id = ? GROUP BY f.id",
                (family_id,),
            ).fetchone()
        return None if row is None else FamilyState(*row)

    def purge(self, now: float) -> int:
        """Delete families (and their tokens) that expired; returns how many."""
        with self._transaction() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM families WHERE expires_at <= ?", (now,))]
            conn.executemany("DELETE FROM refresh_tokens WHERE family_id = ?", [(i,) for i in ids])
            conn.executemany("DELETE FROM families WHERE id = ?", [(i,) for i in ids])
        return len(ids)
