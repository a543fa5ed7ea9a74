"""The JWKS endpoint on loopback: the published keys, caching headers, a JWKS client following a rotation."""

from __future__ import annotations

import http.client
import json
from typing import Iterator

import pytest
from _demo_support import Clock

import fastjwt
from fastjwt.demo.jwks_http import JWKS_PATH, JWKSServer
from fastjwt.demo.keyring import KeyRing


@pytest.fixture
def server(keyring: KeyRing) -> Iterator[JWKSServer]:
    with JWKSServer(keyring, max_age=7) as server:
        yield server


def _get(server: JWKSServer, path: str, method: str = "GET") -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request(method, path)
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


@pytest.mark.network
def test_serves_the_published_keys(server: JWKSServer, keyring: KeyRing) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}{JWKS_PATH}"
    response = _get(server, JWKS_PATH)
    assert response.status == 200
    assert response.getheader("Cache-Control") == "public, max-age=7"
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(response.body) == keyring.jwks()  # type: ignore[attr-defined]
    keyring.rotate()
    assert len(json.loads(_get(server, JWKS_PATH).body)["keys"]) == 2  # type: ignore[attr-defined]
    head = _get(server, JWKS_PATH, "HEAD")
    assert (head.status, head.body) == (200, b"")  # type: ignore[attr-defined]
    assert server.requests == 3


@pytest.mark.network
def test_other_paths_are_not_found(server: JWKSServer) -> None:
    response = _get(server, "/jwks.json")
    assert (response.status, response.getheader("Cache-Control")) == (404, "no-store")


@pytest.mark.network
def test_a_jwks_client_follows_a_rotation(server: JWKSServer, keyring: KeyRing, clock: Clock) -> None:
    with fastjwt.JWKSClient(server.url, unknown_kid_cooldown=0, min_refresh=1) as jwks:
        validator = fastjwt.Validator(keys=jwks, algorithms=["ES256"], clock=clock)
        assert validator.decode(keyring.sign({"sub": "before"})) == {"sub": "before"}
        keyring.rotate()
        clock.advance(keyring.activation_delay)
        token = keyring.sign({"sub": "after"})  # a kid the client has not seen: one refetch finds it
        assert validator.decode(token) == {"sub": "after"}
        assert jwks.stats()["fetches"] == 2


def test_close_releases_the_port(keyring: KeyRing) -> None:
    server = JWKSServer(keyring).start()
    port = server.port
    server.close()
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", JWKS_PATH)
