"""The SQLite token store: refresh-token rotation, reuse detection, restarts, nothing in clear."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from pathlib import Path
from typing import List

import pytest
from _demo_support import CLIENT_ID, CLIENT_SECRET, PASSWORD, TEST_COST

from fastjwt.demo.store import MAX_REFRESH_TOKEN_LENGTH, InvalidGrantError, RefreshReuseError, TokenStore

NOW = 1_800_000_000.0


def test_rotation_issues_a_new_token_and_spends_the_old(store: TokenStore) -> None:
    first = store.start_family("alice", CLIENT_ID, "items:read", NOW)
    second = store.rotate(first.refresh_token, NOW + 1)
    assert second.refresh_token != first.refresh_token
    assert (second.family_id, second.subject, second.client_id, second.scope) == (
        first.family_id, "alice", CLIENT_ID, "items:read")
    third = store.rotate(second.refresh_token, NOW + 2)
    state = store.family(first.family_id)
    assert state is not None
    assert (state.tokens, state.spent, state.revoked_at) == (3, 2, None)
    assert len(third.refresh_token) == 43  # 256 random bits, base64url


def test_reuse_revokes_the_whole_family(store: TokenStore) -> None:
    stolen = store.start_family("alice", CLIENT_ID, "items:read", NOW)
    legit = store.rotate(stolen.refresh_token, NOW + 1)  # the client refreshes
    with pytest.raises(RefreshReuseError, match=r"^refresh token reused; its family is revoked$"):
        store.rotate(stolen.refresh_token, NOW + 2)  # the thief replays the spent token
    with pytest.raises(InvalidGrantError, match=r"^refresh token family revoked$"):
        store.rotate(legit.refresh_token, NOW + 3)  # ... and the client's current token is dead too
    state = store.family(stolen.family_id)
    assert state is not None
    assert (state.revoked_at, state.revoked_reason) == (NOW + 2, "reuse")
    other = store.start_family("bob", CLIENT_ID, "", NOW)  # other families are untouched
    store.rotate(other.refresh_token, NOW + 4)


def test_twenty_concurrent_refreshes_of_one_token(store: TokenStore) -> None:
    grant = store.start_family("alice", CLIENT_ID, "items:read", NOW)
    threads = 24
    barrier = threading.Barrier(threads)
    winners: List[str] = []
    errors: List[Exception] = []
    lock = threading.Lock()

    def refresh() -> None:
        barrier.wait(10)
        try:
            result = store.rotate(grant.refresh_token, NOW + 1)
        except InvalidGrantError as err:
            with lock:
                errors.append(err)
        else:
            with lock:
                winners.append(result.refresh_token)

    workers = [threading.Thread(target=refresh) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert not any(w.is_alive() for w in workers)
    assert len(winners) == 1
    # The first loser detects the reuse and revokes; everyone after it finds the family revoked.
    assert [type(e) for e in errors].count(RefreshReuseError) == 1
    revoked = [str(e) for e in errors if type(e) is InvalidGrantError]
    assert revoked == ["refresh token family revoked"] * (threads - 2)
    state = store.family(grant.family_id)
    assert state is not None
    assert (state.tokens, state.spent, state.revoked_reason) == (2, 1, "reuse")
    with pytest.raises(InvalidGrantError, match="^refresh token family revoked$"):
        store.rotate(winners[0], NOW + 2)


def test_restart_keeps_families_and_revocations(store: TokenStore, db_path: str) -> None:
    live = store.start_family("alice", CLIENT_ID, "items:read", NOW)
    live_next = store.rotate(live.refresh_token, NOW + 1)
    revoked = store.start_family("bob", CLIENT_ID, "items:read", NOW)
    revoked_next = store.rotate(revoked.refresh_token, NOW + 1)
    with pytest.raises(RefreshReuseError):
        store.rotate(revoked.refresh_token, NOW + 2)
    logged_out = store.start_family("carol", CLIENT_ID, "", NOW)
    assert store.revoke(logged_out.refresh_token, NOW + 2) == logged_out.family_id
    del store

    reopened = TokenStore(db_path, refresh_ttl=3600, family_ttl=86400)
    principal = reopened.principal("client", CLIENT_ID)
    assert principal is not None and principal.scopes == ("items:read", "items:write")
    with pytest.raises(InvalidGrantError, match="^refresh token family revoked$"):
        reopened.rotate(revoked_next.refresh_token, NOW + 3)
    with pytest.raises(InvalidGrantError, match="^refresh token family revoked$"):
        reopened.rotate(logged_out.refresh_token, NOW + 3)
    # A spent token is still spent after the restart: replaying it revokes its family.
    with pytest.raises(RefreshReuseError):
        reopened.rotate(live.refresh_token, NOW + 3)
    with pytest.raises(InvalidGrantError, match="^refresh token family revoked$"):
        reopened.rotate(live_next.refresh_token, NOW + 4)
    states = [reopened.family(g.family_id) for g in (live, revoked, logged_out)]
    assert [(s.revoked_reason if s else "missing") for s in states] == ["reuse", "reuse", "revoked"]


def test_restart_keeps_a_live_family_usable(store: TokenStore, db_path: str) -> None:
    grant = store.start_family("alice", CLIENT_ID, "items:read", NOW)
    reopened = TokenStore(db_path)
    after = reopened.rotate(grant.refresh_token, NOW + 1)
    assert after.family_id == grant.family_id and after.scope == "items:read"


def test_expiry_of_tokens_and_families(db_path: str) -> None:
    store = TokenStore(db_path, refresh_ttl=100, family_ttl=250, secret_cost=TEST_COST)
    grant = store.start_family("alice", CLIENT_ID, "", NOW)
    with pytest.raises(InvalidGrantError, match="^refresh token expired$"):
        store.rotate(grant.refresh_token, NOW + 100)
    grant = store.start_family("alice", CLIENT_ID, "", NOW)
    grant = store.rotate(grant.refresh_token, NOW + 90)
    grant = store.rotate(grant.refresh_token, NOW + 180)
    assert grant.expires_at == NOW + 250  # capped by the family's lifetime
    with pytest.raises(InvalidGrantError, match="^refresh token expired$"):
        store.rotate(grant.refresh_token, NOW + 250)
    assert store.purge(NOW + 250) == 2
    with pytest.raises(InvalidGrantError, match="^unknown refresh token$"):
        store.rotate(grant.refresh_token, NOW + 251)


@pytest.mark.parametrize("token", ["", "x" * (MAX_REFRESH_TOKEN_LENGTH + 1)])
def test_malformed_and_unknown_tokens(store: TokenStore, token: str) -> None:
    with pytest.raises(InvalidGrantError, match="^malformed refresh token$"):
        store.rotate(token, NOW)
    assert store.revoke(token, NOW) is None
    with pytest.raises(InvalidGrantError, match="^unknown refresh token$"):
        store.rotate("not-a-token-we-issued", NOW)
    assert store.revoke("not-a-token-we-issued", NOW) is None


def test_wal_mode_and_file_path_required(store: TokenStore, db_path: str) -> None:
    # closing(): a connection's own `with` ends a transaction, not the connection (Python 3.13 warns of it unclosed).
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with pytest.raises(ValueError, match="the token store needs a file path"):
        TokenStore(":memory:")
    with pytest.raises(ValueError, match='kind must be "client" or "user"'):
        store.add_principal("admin", "x", "y")


def test_nothing_secret_in_the_database_or_the_logs(
    store: TokenStore, db_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first = store.start_family("alice", CLIENT_ID, "items:read", NOW)
    second = store.rotate(first.refresh_token, NOW + 1)
    with pytest.raises(RefreshReuseError):
        store.rotate(first.refresh_token, NOW + 2)
    store.revoke(second.refresh_token, NOW + 3)
    # Every byte SQLite wrote: the database, its WAL and shared memory files.
    data = b"".join(p.read_bytes() for p in Path(db_path).parent.glob(Path(db_path).name + "*"))
    assert b"items:read" in data and CLIENT_ID.encode() in data  # the scan sees the plain columns ...
    for secret in (CLIENT_SECRET, PASSWORD, first.refresh_token, second.refresh_token):
        assert secret.encode() not in data  # ... and never a secret
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"refresh token reuse in family {first.family_id}: family revoked" in logged
    for secret in (CLIENT_SECRET, PASSWORD, first.refresh_token, second.refresh_token):
        assert secret not in logged
