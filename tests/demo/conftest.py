"""Fixtures of the demo token service tests: a settable clock, a store, a key ring, an issuer."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from _demo_support import AUDIENCE, CLIENT_ID, CLIENT_SECRET, ISSUER, PASSWORD, TEST_COST, USERNAME, Clock

from fastjwt.demo.issuer import TokenIssuer
from fastjwt.demo.keyring import KeyRing
from fastjwt.demo.store import TokenStore


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "tokens.db")


@pytest.fixture
def store(db_path: str) -> TokenStore:
    store = TokenStore(db_path, refresh_ttl=3600, family_ttl=86400, secret_cost=TEST_COST)
    store.add_principal("client", CLIENT_ID, CLIENT_SECRET, ("items:read", "items:write"))
    store.add_principal("user", USERNAME, PASSWORD, ("items:read",))
    return store


@pytest.fixture
def keyring(clock: Clock) -> KeyRing:
    return KeyRing("ES256", activation_delay=10, max_token_lifetime=300, leeway=5, clock=clock)


@pytest.fixture
def issuer(store: TokenStore, keyring: KeyRing, clock: Clock) -> Iterator[TokenIssuer]:
    yield TokenIssuer(store, keyring, issuer=ISSUER, audience=AUDIENCE, access_ttl=300, clock=clock)
