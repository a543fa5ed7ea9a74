"""JWKS clients against a real HTTP server on 127.0.0.1 (tests/_jwks_server.py).

Covers JWKSClient (rotation, failures, fail closed, unknown-kid throttling,
Cache-Control, redirects, http rules, key identity), AsyncJWKSClient, and
PyJWKClient: side by side with PyJWT's on the same server, under the
``urllib.request.build_opener`` patch PyJWT users' tests rely on, and the
PyJWT issues it fixes. Every wait is bounded. Refresh times, staleness and
throttling run on a :class:`FakeClock` the tests move by hand; only the
socket deadlines (``timeout``) and server delays are real time.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import io
import json
import logging
import math
import re
import ssl
import sys
import threading
import time
import urllib.request
import uuid
from email.message import Message
from typing import Any, Callable, Dict, Iterator, List, Tuple
from unittest import mock
from urllib.error import HTTPError, URLError

import jwt as pyjwt
import pytest
from _drip_server import DripServer, response_parts
from _jwks_server import JWKSServer
from cryptography.hazmat.primitives.asymmetric import ec

import fastjwt
from fastjwt import DecodeError, KeyNotFoundError, PyJWKClientConnectionError, PyJWKClientError, Validator
from fastjwt.algorithms import ECAlgorithm
from fastjwt.api_jwk import PyJWKSet
from fastjwt.exceptions import PyJWKSetError
from fastjwt.jwk_set_cache import JWKSetCache
from fastjwt.jwks_client import AsyncJWKSClient, JWKSClient, PyJWKClient, _NoRedirectHandler
from fastjwt.warnings import InsecureTransportWarning

pytestmark = pytest.mark.network

SECRET_MARKER = "RESPONSE-BODY-MUST-NOT-BE-LOGGED"


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def signers() -> Dict[str, Any]:
    """Issuer signing keys by kid (P-256: fast to make and to sign with)."""
    return {kid: ec.generate_private_key(ec.SECP256R1()) for kid in ("A", "B", "C")}


@pytest.fixture
def server() -> Iterator[JWKSServer]:
    with JWKSServer() as running:
        yield running


def public_jwk(kid: str, private_key: Any, **members: Any) -> Dict[str, Any]:
    jwk = ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    jwk.update(kid=kid, alg="ES256", use="sig")
    jwk.update(members)
    return jwk


def jwks(signers: Dict[str, Any], *kids: str) -> Dict[str, Any]:
    return {"keys": [public_jwk(kid, signers[kid]) for kid in kids]}


def sign(signers: Dict[str, Any], kid: str, signer: str = "") -> str:
    """A valid token naming ``kid``, signed by ``signer`` (default: the key of that kid)."""
    claims = {"sub": "alice", "jti": uuid.uuid4().hex, "exp": int(time.time()) + 600}
    return fastjwt.encode(claims, signers[signer or kid], algorithm="ES256", headers={"kid": kid})


def wait_until(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


class FakeClock:
    """A monotonic clock the test moves by hand; moving it wakes the watched clients' refresh thread or task."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._clients: List[Any] = []

    def __call__(self) -> float:
        return self.now

    def watch(self, client: Any) -> Any:
        self._clients.append(client)
        return client

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for client in self._clients:
            client._wake()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def advance_until(clock: FakeClock, predicate: Callable[[], bool], step: float, timeout: float = 3.0) -> None:
    """Move the clock ``step`` seconds at a time until ``predicate`` holds (bounded in real time)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        clock.advance(step)
        time.sleep(0.002)  # let a woken refresh thread run


async def advance_until_async(clock: FakeClock, predicate: Callable[[], bool], step: float,
                              timeout: float = 3.0) -> None:
    """:func:`advance_until` for a client whose refresh task runs on this loop."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        clock.advance(step)
        await asyncio.sleep(0.002)


def refreshes(client: JWKSClient, server: JWKSServer, count: int) -> Callable[[], bool]:
    """A predicate: calls key_set() (which refreshes inline when background=False) until ``count`` requests."""
    def done() -> bool:
        with contextlib.suppress(PyJWKClientConnectionError):
            client.key_set()
        return server.requests >= count
    return done


# --------------------------------------------------------------------------- JWKSClient


def test_loads_once_and_validates(server: JWKSServer, signers: Dict[str, Any]) -> None:
    server.jwks = jwks(signers, "A")
    with JWKSClient(server.url, headers={"X-Api-Key": "k"}, background=False) as client:
        assert isinstance(client, fastjwt.KeySource)
        validator = Validator(keys=client, algorithms=["ES256"])
        for _ in range(20):
            assert validator.decode(sign(signers, "A"))["sub"] == "alice"
        assert server.requests == 1
        assert server.last_headers["X-Api-Key"] == "k"
        assert server.last_headers["User-Agent"].startswith("fastjwt/")
        stats = client.stats()
        assert (stats["fetches"], stats["failures"], stats["keys"]) == (1, 0, 1)
        assert stats["last_success"] == pytest.approx(time.time(), abs=5)


def test_rotation_has_no_wrong_rejections(server: JWKSServer, signers: Dict[str, Any], clock: FakeClock) -> None:
    """A only; A and B; B only, while a thread validates tokens of every key the issuer signs with."""
    server.jwks = jwks(signers, "A")
    server.cache_control = "max-age=0"  # refresh at min_refresh: many refreshes during the test
    with clock.watch(JWKSClient(server.url, min_refresh=60, unknown_kid_cooldown=300, timeout=2,
                                clock=clock)) as client:
        validator = Validator(keys=client, algorithms=["ES256"])
        signing = {"A": sign(signers, "A")}  # kid -> a token reused (served from the validator's cache)
        accepted: collections.Counter = collections.Counter()
        wrong: List[str] = []
        rounds = [0]
        stop = threading.Event()

        def validate() -> None:
            while not stop.is_set():
                for kid, repeated in list(signing.items()):
                    for token in (repeated, sign(signers, kid)):  # cached, and a fresh one
                        try:
                            validator.decode(token)
                            accepted[kid] += 1
                        except Exception as error:  # noqa: BLE001 - every rejection here is wrong
                            wrong.append(f"{kid}: {error!r}")
                rounds[0] += 1

        thread = threading.Thread(target=validate)
        thread.start()
        try:
            wait_until(lambda: accepted["A"] > 20)
            key_a = client.key_set().get("A")[0]
            # Publish B; sign with it once clients have it (within one refresh interval).
            server.jwks = jwks(signers, "A", "B")
            advance_until(clock, lambda: client.key_set().has_kid("B"), step=20)
            assert client.key_set().get("A")[0] is key_a  # A's Key survives the refresh
            signing["B"] = sign(signers, "B")
            overlap_start = server.requests
            advance_until(clock, lambda: server.requests - overlap_start >= 3 and accepted["B"] > 20, step=20)
            # Retire A: stop signing with it, let the validator thread finish its round, unpublish it.
            cached_a = signing.pop("A")
            seen = rounds[0]
            wait_until(lambda: rounds[0] >= seen + 2)
            server.jwks = jwks(signers, "B")
            advance_until(clock, lambda: not client.key_set().has_kid("A"), step=20)
            seen = rounds[0]
            wait_until(lambda: rounds[0] >= seen + 2)
        finally:
            stop.set()
            thread.join(5)
        assert wrong == []
        assert accepted["A"] > 20 and accepted["B"] > 20
        print(f"\nrotation: accepted {dict(accepted)}, wrongly rejected {len(wrong)}, fetches {server.requests}")
        with pytest.raises(KeyNotFoundError):
            validator.decode(sign(signers, "A"))
        with pytest.raises(KeyNotFoundError):  # cached as valid until now: dropped with its key
            validator.decode(cached_a)
        assert validator.decode(signing["B"])["sub"] == "alice"


def test_cached_token_of_removed_key_is_rejected(server: JWKSServer, signers: Dict[str, Any],
                                                 clock: FakeClock) -> None:
    server.jwks = jwks(signers, "A", "B")
    server.cache_control = "max-age=0"
    with JWKSClient(server.url, min_refresh=60, background=False, clock=clock) as client:
        validator = Validator(keys=client, algorithms=["ES256"])
        token_a = sign(signers, "A")
        validator.decode(token_a)
        server.jwks = jwks(signers, "B")
        clock.advance(53.5)
        assert refreshes(client, server, 2)() is False  # not due yet (refreshed 10 % early, at 54 s)
        clock.advance(0.5)
        assert refreshes(client, server, 2)() is True
        with pytest.raises(KeyNotFoundError):
            validator.decode(token_a)


def test_new_key_is_fetched_on_first_sight(server: JWKSServer, signers: Dict[str, Any]) -> None:
    server.jwks = jwks(signers, "A")
    with JWKSClient(server.url, background=False) as client:
        validator = Validator(keys=client, algorithms=["ES256"])
        validator.decode(sign(signers, "A"))
        server.jwks = jwks(signers, "A", "B")
        assert validator.decode(sign(signers, "B"))["sub"] == "alice"
        assert server.requests == 2
        assert client.stats()["unknown_kid_fetches"] == 1


def test_unknown_kid_flood_is_throttled(server: JWKSServer, signers: Dict[str, Any], clock: FakeClock) -> None:
    server.jwks = jwks(signers, "A")
    cooldown = 30
    with JWKSClient(server.url, unknown_kid_cooldown=cooldown, background=False, clock=clock) as client:
        validator = Validator(keys=client, algorithms=["ES256"])
        good = sign(signers, "A")
        validator.decode(good)
        rejected: List[int] = []

        def flood(count: int) -> None:
            for _ in range(count):
                with pytest.raises(KeyNotFoundError):
                    validator.decode(sign(signers, uuid.uuid4().hex, signer="A"))
                rejected.append(1)

        threads = [threading.Thread(target=flood, args=(25,)) for _ in range(8)]  # 200 tokens
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
        assert len(rejected) == 200
        burst = server.requests
        assert burst == 2  # the first load, then one refetch for the whole burst

        # Keep flooding for 100 seconds: one refetch per cooldown (at 30, 60 and 90 s).
        for _ in range(20):
            clock.advance(5)
            flood(5)
            assert validator.decode(good)["sub"] == "alice"  # valid tokens are unaffected
        sustained = server.requests - burst
        assert sustained == 3
        assert client.stats()["unknown_kid_fetches"] == 4


def test_concurrent_first_load_is_single_flight(server: JWKSServer, signers: Dict[str, Any]) -> None:
    server.jwks = jwks(signers, "A")
    server.delay = 0.3
    with JWKSClient(server.url, background=False) as client:
        results: List[Any] = []
        threads = [threading.Thread(target=lambda: results.append(client.key_set())) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
        assert len(results) == 10 and all(result is results[0] for result in results)
        assert server.requests == 1


def _garbage(server: JWKSServer) -> None:
    server.body = (SECRET_MARKER + "{not json").encode()


def _oversized(server: JWKSServer) -> None:
    server.body = json.dumps({"keys": [], "pad": SECRET_MARKER * 80_000}).encode()  # ~2.6 MB


def _unusable(server: JWKSServer) -> None:
    server.jwks = {"keys": [{"kty": "EC", "crv": "P-256", "x": SECRET_MARKER, "y": "y"},
                            {"kty": "oct", "k": "c2VjcmV0", "use": "enc"}]}


#: failure name -> (how the server misbehaves, what stats()["last_error"] says)
FAILURES: Dict[str, Tuple[Callable[[JWKSServer], None], str]] = {
    "status-500": (lambda s: setattr(s, "status", 500), "HTTP Error 500"),
    "status-404": (lambda s: setattr(s, "status", 404), "HTTP Error 404"),
    "timeout": (lambda s: setattr(s, "hang", True), "timed out"),
    "slow-drip": (lambda s: setattr(s, "drip", 0.05), "took longer than the timeout"),
    "malformed-json": (_garbage, "did not return valid JSON"),
    "oversized": (_oversized, "larger than 1048576 bytes"),
    "json-array": (lambda s: setattr(s, "body", b"[1, 2]"), "Invalid JWK Set value"),
    "no-keys-member": (lambda s: setattr(s, "body", json.dumps({"secret": SECRET_MARKER}).encode()),
                       "Invalid JWK Set value"),
    "no-usable-keys": (_unusable, "did not contain any usable keys"),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_failed_refresh_keeps_last_good_keys(server: JWKSServer, signers: Dict[str, Any], failure: str,
                                             caplog: pytest.LogCaptureFixture, clock: FakeClock) -> None:
    caplog.set_level(logging.WARNING, logger="fastjwt.jwks")
    server.jwks = jwks(signers, "A")
    server.cache_control = "max-age=0"
    # A short deadline where running out of time is the failure; elsewhere a
    # loaded machine must not turn a quick loopback fetch into a timeout.
    timeout = 0.3 if failure in ("timeout", "slow-drip") else 10.0
    with JWKSClient(server.url, min_refresh=60, timeout=timeout, background=False, clock=clock) as client:
        validator = Validator(keys=client, algorithms=["ES256"])
        cached = sign(signers, "A")
        validator.decode(cached)
        misbehave, error = FAILURES[failure]
        misbehave(server)
        for retry_after in (60, 1):  # the refresh, then its retry after a failure (backing off 1, 2, 4... s)
            clock.advance(retry_after)
            client.key_set()
        assert (server.requests, client.stats()["failures"]) == (3, 2)
        assert validator.decode(cached)["sub"] == "alice"
        assert validator.decode(sign(signers, "A"))["sub"] == "alice"
        stats = client.stats()
        assert stats["keys"] == 1 and error in stats["last_error"]
    assert "JWKS fetch from" in caplog.text
    assert SECRET_MARKER not in caplog.text and "c2VjcmV0" not in caplog.text


def test_a_dripping_server_cannot_stretch_a_fetch(server: JWKSServer, signers: Dict[str, Any]) -> None:
    # One byte every 50 ms: each socket read is quick, the whole body would take ~10 s.
    server.jwks = jwks(signers, "A")
    server.drip = 0.05
    client = JWKSClient(server.url, timeout=0.3, background=False)
    started = time.monotonic()
    with pytest.raises(PyJWKClientConnectionError, match="took longer than the timeout"):
        client.key_set()
    assert time.monotonic() - started < 2.0
    client.close()


def test_background_refresh_survives_failures(server: JWKSServer, signers: Dict[str, Any], clock: FakeClock) -> None:
    server.jwks = jwks(signers, "A")
    server.cache_control = "max-age=0"
    with clock.watch(JWKSClient(server.url, min_refresh=60, timeout=10.0, clock=clock)) as client:  # 503s, not timeouts
        validator = Validator(keys=client, algorithms=["ES256"])
        validator.decode(sign(signers, "A"))
        server.status = 503
        advance_until(clock, lambda: client.stats()["failures"] >= 3, step=10)  # the thread keeps retrying
        assert validator.decode(sign(signers, "A"))["sub"] == "alice"
        server.status = 200
        server.jwks = jwks(signers, "A", "B")
        advance_until(clock, lambda: client.key_set().has_kid("B"), step=10)
        assert client.stats()["consecutive_failures"] == 0


def test_failed_unknown_kid_fetch_brings_the_background_retry_forward(server: JWKSServer, signers: Dict[str, Any],
                                                                     clock: FakeClock) -> None:
    server.jwks = jwks(signers, "A")
    server.cache_control = "max-age=1000"  # the next scheduled refresh is far away
    with clock.watch(JWKSClient(server.url, min_refresh=60, unknown_kid_cooldown=0, clock=clock)) as client:
        client.key_set()
        server.status = 500
        client.key_set_for("unknown")  # fails: the retry is now due in 1 s (backing off), not in ~900 s
        server.status = 200
        server.jwks = jwks(signers, "A", "B")
        assert client.stats()["consecutive_failures"] == 1
        clock.advance(1)
        wait_until(lambda: client.stats()["consecutive_failures"] == 0, timeout=2)  # the thread retried
        assert client.key_set().has_kid("B")


def test_fail_closed_after_max_stale(server: JWKSServer, signers: Dict[str, Any], clock: FakeClock) -> None:
    server.jwks = jwks(signers, "A")
    server.cache_control = "max-age=0"
    with JWKSClient(server.url, min_refresh=60, max_stale=400, background=False, clock=clock) as client:
        validator = Validator(keys=client, algorithms=["ES256"])
        cached = sign(signers, "A")
        validator.decode(cached)
        server.status = 500
        clock.advance(400)
        assert validator.decode(cached)["sub"] == "alice"  # stale but within max_stale
        clock.advance(0.5)
        with pytest.raises(PyJWKClientConnectionError, match="max_stale"):
            validator.decode(sign(signers, "A"))
        with pytest.raises(PyJWKClientConnectionError):  # no answer from the cache either
            validator.decode(cached)
        server.status = 200  # the endpoint recovers: so does validation
        advance_until(clock, lambda: refreshes(client, server, server.requests + 1)()
                      and client.stats()["failures"] > 0 and client.stats()["consecutive_failures"] == 0, step=1)
        assert validator.decode(cached)["sub"] == "alice"


def test_first_fetch_failure_raises_and_is_throttled(server: JWKSServer) -> None:
    server.status = 500
    with JWKSClient(server.url, background=False) as client:
        for _ in range(5):
            with pytest.raises(PyJWKClientConnectionError, match="No JWK Set could be fetched"):
                client.key_set()
        assert server.requests == 1  # retries back off instead of one request per call
        with pytest.raises(PyJWKClientConnectionError):
            Validator(keys=client, algorithms=["ES256"]).decode(
                fastjwt.encode({"a": 1}, ec.generate_private_key(ec.SECP256R1()), "ES256", headers={"kid": "A"}))


@pytest.mark.parametrize(
    "cache_control, min_refresh, max_refresh, default_refresh, refreshed_after",
    [
        ("max-age=100", 10, 1000, 500, 90),  # honoured, refreshed 10 % early...
        ("max-age=600", 10, 1000, 500, 590),  # ...but at most 10 s early
        ("public, max-age=0", 30, 1000, 500, 27),  # clamped up to min_refresh
        ("max-age=86400, must-revalidate", 10, 400, 500, 390),  # clamped down to max_refresh
        ("no-cache", 30, 1000, 500, 27),  # no-cache (or no-store) is max-age=0
        (None, 10, 1000, 50, 45),  # absent: default_refresh
    ],
)
def test_cache_control_max_age_is_respected_and_clamped(
    server: JWKSServer, signers: Dict[str, Any], clock: FakeClock, cache_control: Any, min_refresh: float,
    max_refresh: float, default_refresh: float, refreshed_after: float,
) -> None:
    server.jwks = jwks(signers, "A")
    server.cache_control = cache_control
    with JWKSClient(server.url, min_refresh=min_refresh, max_refresh=max_refresh, default_refresh=default_refresh,
                    background=False, clock=clock) as client:
        client.key_set()
        clock.advance(refreshed_after - 0.5)
        client.key_set()
        assert server.requests == 1
        clock.advance(0.5)
        client.key_set()
        assert server.requests == 2


def test_background_thread_refreshes_and_close_stops_it(server: JWKSServer, signers: Dict[str, Any],
                                                         clock: FakeClock) -> None:
    server.jwks = jwks(signers, "A")
    server.cache_control = "max-age=0"
    client = clock.watch(JWKSClient(server.url, min_refresh=60, clock=clock))
    client.key_set()
    for count in (2, 3, 4):  # no key_set() calls: the thread refreshes once per min_refresh
        clock.advance(54)  # 6 s (10 %) early
        wait_until(lambda expected=count: server.requests == expected)
    thread = client._thread
    assert thread is not None and thread.daemon
    client.close()
    assert not thread.is_alive()
    count = server.requests
    clock.advance(1000)
    time.sleep(0.02)
    assert server.requests == count
    assert client.key_set().has_kid("A")  # still serving (until max_stale)


def test_redirects_are_refused(server: JWKSServer, signers: Dict[str, Any]) -> None:
    with JWKSServer() as target:
        target.jwks = jwks(signers, "A")
        server.status, server.location = 302, target.url
        with JWKSClient(server.url, headers={"Authorization": "secret"}, background=False) as client:
            with pytest.raises(PyJWKClientConnectionError, match="302"):
                client.key_set()
        with pytest.raises(PyJWKClientConnectionError):
            PyJWKClient(server.url, headers={"Authorization": "secret"}).fetch_data()
        assert target.requests == 0
    assert _NoRedirectHandler().redirect_request(mock.Mock(), None, 302, "Found", {}, "https://x.test") is None


@pytest.mark.parametrize("url", ["http://example.com/jwks", "http://10.0.0.1/jwks", "http://localhost.example/jwks"])
def test_plain_http_is_refused_for_non_loopback_hosts(url: str) -> None:
    with pytest.raises(PyJWKClientError, match="https"):
        JWKSClient(url)
    with pytest.raises(PyJWKClientError, match="https"):
        AsyncJWKSClient(url)
    JWKSClient(url, allow_insecure_http=True).close()
    with pytest.warns(InsecureTransportWarning):
        PyJWKClient(url)  # PyJWT accepts http to any host, and so does its drop-in (with a warning)


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/jwks", "http://127.3.4.5/jwks", "http://[::1]:8080/jwks",
                                 "http://localhost/jwks", "https://example.com/jwks"])
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    JWKSClient(url).close()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/keys.json", "/etc/passwd",
                                 'data:application/json,{"keys":[]}'])
def test_other_schemes_are_refused(url: str) -> None:
    for client_class in (JWKSClient, PyJWKClient, pyjwt.PyJWKClient):
        with pytest.raises(Exception, match="Invalid JWKS URI scheme") as caught:
            client_class(url)
        assert type(caught.value).__name__ == "PyJWKClientError"


def test_unchanged_jwks_keep_their_key_objects(server: JWKSServer, signers: Dict[str, Any], clock: FakeClock) -> None:
    server.jwks = jwks(signers, "A", "B")
    server.cache_control = "max-age=0"
    with JWKSClient(server.url, min_refresh=60, background=False, clock=clock) as client:
        validator = Validator(keys=client, algorithms=["ES256"])
        token_a, token_b = sign(signers, "A"), sign(signers, "B")
        validator.decode(token_a)
        validator.decode(token_b)
        first = client.key_set()
        key_a, key_b = first.get("A")[0], first.get("B")[0]
        advance_until(clock, refreshes(client, server, 3), step=60)
        assert client.key_set() is first  # nothing changed: even the set is the same object
        hits = validator.cache_info().hits
        validator.decode(token_a)
        assert validator.cache_info().hits == hits + 1  # the cached verification survived the refreshes

        # Same kid "A", reordered members with one re-published unchanged, B's material replaced by C's.
        server.jwks = {
            "keys": [public_jwk("B", signers["C"]), dict(reversed(list(public_jwk("A", signers["A"]).items())))]
        }
        advance_until(clock, refreshes(client, server, 5), step=60)
        current = client.key_set()
        assert current.get("A")[0] is key_a  # equal members, in any order: the same Key
        assert current.get("B")[0] is not key_b and key_b not in current
        with pytest.raises(fastjwt.InvalidSignatureError):  # B's old key is gone, cached verification too
            validator.decode(token_b)
        assert validator.decode(sign(signers, "B", signer="C"))["sub"] == "alice"


def test_options_are_validated() -> None:
    url = "https://example.com/jwks"
    for bad in ({"min_refresh": 0}, {"min_refresh": 10, "max_refresh": 5}, {"max_stale": -1},
                {"unknown_kid_cooldown": -1}, {"timeout": 0}, {"max_response_bytes": 0}):
        with pytest.raises(ValueError):
            JWKSClient(url, **bad)


# --------------------------------------------------------------------------- AsyncJWKSClient


def test_async_client(server: JWKSServer, signers: Dict[str, Any], clock: FakeClock) -> None:
    server.jwks = jwks(signers, "A")

    async def main() -> None:
        async with clock.watch(AsyncJWKSClient(server.url, unknown_kid_cooldown=30, timeout=2, clock=clock)) as client:
            assert server.requests == 1
            validator = Validator(keys=client, algorithms=["ES256"])
            assert validator.decode(sign(signers, "A"))["sub"] == "alice"

            # A new key: the sync path never waits (the token is judged now, a refetch is scheduled)...
            server.jwks = jwks(signers, "A", "B")
            server.delay = 0.3
            token_b = sign(signers, "B")
            with pytest.raises(KeyNotFoundError):
                validator.decode(token_b)
            ticks = 0
            started = time.monotonic()
            while time.monotonic() - started < 0.2:  # ...and the loop keeps running during the fetch
                await asyncio.sleep(0.01)
                ticks += 1
            assert ticks >= 10
            # ...while key_set_for_async joins that same fetch.
            assert (await client.key_set_for_async("B")).has_kid("B")
            assert validator.decode(token_b)["sub"] == "alice"
            assert server.requests == 2

            # A flood of unknown kids, from the loop and from worker threads: one refetch per cooldown.
            server.delay = 0
            clock.advance(30)
            loop = asyncio.get_running_loop()
            for _ in range(100):
                with pytest.raises(KeyNotFoundError):
                    validator.decode(sign(signers, uuid.uuid4().hex, signer="A"))
                with pytest.raises(KeyNotFoundError):
                    await loop.run_in_executor(None, validator.decode, sign(signers, uuid.uuid4().hex, signer="A"))
                await client.key_set_for_async(uuid.uuid4().hex)
            await asyncio.sleep(0.1)
            assert server.requests == 3
            assert client.stats()["unknown_kid_fetches"] == 2

    asyncio.run(asyncio.wait_for(main(), 10))


def test_async_background_refresh_failures_and_fail_closed(server: JWKSServer, signers: Dict[str, Any],
                                                           clock: FakeClock) -> None:
    server.jwks = jwks(signers, "A")
    server.cache_control = "max-age=0"

    async def main() -> None:
        # max_stale far beyond what advance_until_async can reach in its 3 s (1,500 steps of
        # 30 s): a failed fetch slow in real time must not make the set stale before the check.
        client = clock.watch(AsyncJWKSClient(server.url, min_refresh=60, max_stale=100_000, timeout=1, clock=clock))
        await client.start()
        try:
            validator = Validator(keys=client, algorithms=["ES256"])
            await advance_until_async(clock, lambda: server.requests >= 3, step=30)  # the refresh task
            server.status = 500
            await advance_until_async(clock, lambda: client.stats()["failures"] >= 1, step=30)
            assert validator.decode(sign(signers, "A"))["sub"] == "alice"  # last good set
            clock.advance(100_000)
            with pytest.raises(PyJWKClientConnectionError, match="max_stale"):
                validator.decode(sign(signers, "A"))
        finally:
            await client.aclose()
        count = server.requests
        clock.advance(1000)
        await asyncio.sleep(0.02)
        assert server.requests == count  # aclose stopped the task

    asyncio.run(asyncio.wait_for(main(), 10))


def test_async_start_fails_without_a_set(server: JWKSServer) -> None:
    server.status = 500

    async def main() -> None:
        client = AsyncJWKSClient(server.url, background=False)
        with pytest.raises(PyJWKClientConnectionError):
            await client.start()
        with pytest.raises(PyJWKClientConnectionError):
            client.key_set()
        await client.aclose()

    asyncio.run(asyncio.wait_for(main(), 10))


# --------------------------------------------------------------------------- PyJWKClient vs PyJWT


def _pyjwk_client_scenario(client_class: type, server: JWKSServer, token: str) -> List[Any]:
    """The PyJWKClient API, called the same way; what it returns and raises, and what it fetched."""
    before = server.requests
    client = client_class(server.url, cache_keys=True)
    out: List[Any] = [sorted(str(k.key_id) for k in client.get_jwk_set().keys)]
    out.append([k.key_id for k in client.get_signing_keys()])
    key = client.get_signing_key("A")
    out.append((key.key_id, key.key_type, key.algorithm_name, key.public_key_use, key.key.public_numbers()))
    out.append(client.get_signing_key_from_jwt(token).key_id)
    out.append(client.match_kid(client.get_signing_keys(), "B").key_id)
    out.append(client.match_kid(client.get_signing_keys(), "nope"))
    for call in (lambda: client.get_signing_key("nope"), lambda: client.get_signing_key_from_jwt("x.y")):
        try:
            call()
        except Exception as error:  # noqa: BLE001 - compared by name and message
            out.append((type(error).__name__, str(error)))
    out.append(len(client.get_jwk_set(refresh=True).keys))
    out.append(server.requests - before)
    return out


def test_pyjwk_client_matches_pyjwt_on_the_same_server(server: JWKSServer, signers: Dict[str, Any]) -> None:
    without_use = public_jwk("B", signers["B"])
    del without_use["use"]
    server.jwks = {"keys": [public_jwk("A", signers["A"]), without_use, public_jwk("C", signers["C"], use="enc"),
                            {"kty": "EC", "crv": "P-256"}]}  # a signing key, one without use, an enc key, junk
    token = sign(signers, "A")
    ours = _pyjwk_client_scenario(PyJWKClient, server, token)
    theirs = _pyjwk_client_scenario(pyjwt.PyJWKClient, server, token)
    assert ours == theirs
    print(f"\nPyJWKClient parity: {ours[:2] + ours[3:]}")
    key = PyJWKClient(server.url).get_signing_key_from_jwt(token)
    assert fastjwt.decode(token, key, algorithms=["ES256"]) == pyjwt.decode(token, key.key, algorithms=["ES256"])


# The same doubles PyJWT users' tests install: urllib.request.build_opener patched.

@pytest.fixture(params=[PyJWKClient, pyjwt.PyJWKClient], ids=["fastjwt", "pyjwt"])
def client_class(request: pytest.FixtureRequest) -> type:
    return request.param


@contextlib.contextmanager
def patched_opener(*bodies: Any, error: Any = None) -> Iterator[mock.Mock]:
    with mock.patch("urllib.request.build_opener") as build_opener:
        response = mock.Mock()
        response.__enter__ = mock.Mock(return_value=response)
        response.__exit__ = mock.Mock()
        response.read.side_effect = [json.dumps(body) for body in bodies]
        build_opener.return_value.open.return_value = response
        if error is not None:
            build_opener.return_value.open.side_effect = error
        yield build_opener


URL = "https://issuer.example/.well-known/jwks.json"


def test_patched_opener_gets_request_headers_timeout(client_class: type, signers: Dict[str, Any]) -> None:
    with patched_opener(jwks(signers, "A")) as build_opener:
        client = client_class(URL, headers={"User-agent": "my-agent", "X-Key": "k"}, timeout=7)
        assert [k.key_id for k in client.get_jwk_set().keys] == ["A"]
        request = build_opener.return_value.open.call_args.args[0]
        assert request.full_url == URL
        assert request.headers == {"User-agent": "my-agent", "X-key": "k"}
        assert build_opener.return_value.open.call_args.kwargs == {"timeout": 7}
        assert any(isinstance(h, urllib.request.HTTPRedirectHandler) for h in build_opener.call_args.args)


def test_patched_opener_ssl_context(client_class: type, signers: Dict[str, Any]) -> None:
    context = ssl.create_default_context()
    with patched_opener(jwks(signers, "A")) as build_opener:
        client_class(URL, ssl_context=context).get_jwk_set()
        assert any(getattr(h, "_context", None) is context for h in build_opener.call_args.args)


@pytest.mark.parametrize("error, message", [
    (TimeoutError("timed out"), 'Fail to fetch data from the url, err: "timed out"'),
    (URLError("Fail to process the request."), "Fail to fetch data from the url"),
])
def test_patched_opener_failures(client_class: type, error: Exception, message: str) -> None:
    with patched_opener(error=error):
        with pytest.raises(Exception, match=message) as caught:
            client_class(URL).get_signing_key_from_jwt(sign_any())
    assert type(caught.value).__name__ == "PyJWKClientConnectionError"


def sign_any() -> str:
    return fastjwt.encode({"a": 1}, "a-secret-long-enough-for-hs256-0123456789", "HS256", headers={"kid": "A"})


def test_patched_opener_http_error_is_closed(client_class: type) -> None:
    http_error = HTTPError(URL, 401, "Unauthorized", Message(), io.BytesIO(b""))
    with patched_opener(error=http_error):
        with pytest.raises(Exception, match="HTTP Error 401"):
            client_class(URL).get_jwk_set()
    assert http_error.closed


def test_patched_opener_caching(client_class: type, signers: Dict[str, Any]) -> None:
    client = client_class(URL, cache_keys=True)
    with patched_opener(jwks(signers, "A")):
        client.get_signing_key("A")
    with patched_opener(jwks(signers, "A")) as again:
        client.get_signing_key("A")
        client.get_jwk_set()
    assert again.return_value.open.call_count == 0
    uncached = client_class(URL, cache_jwk_set=False)
    assert uncached.jwk_set_cache is None
    with patched_opener(jwks(signers, "A"), jwks(signers, "A")) as twice:
        uncached.get_signing_key("A")
        uncached.get_signing_key("A")
    assert twice.return_value.open.call_count == 2


def test_patched_opener_unknown_kid(client_class: type, signers: Dict[str, Any]) -> None:
    with patched_opener(jwks(signers, "B"), jwks(signers, "A")) as opener:
        assert client_class(URL, cooldown_duration=0).get_signing_key("A").key_id == "A"
    assert opener.return_value.open.call_count == 2
    with patched_opener(jwks(signers, "B"), jwks(signers, "A")) as opener:  # the first fetch starts the cooldown
        with pytest.raises(Exception, match='Unable to find a signing key that matches: "A"'):
            client_class(URL).get_signing_key("A")
    assert opener.return_value.open.call_count == 1


def test_patched_opener_content_errors(client_class: type, signers: Dict[str, Any]) -> None:
    with patched_opener([1, 2]):
        with pytest.raises(Exception, match="The JWKS endpoint did not return a JSON object"):
            client_class(URL).get_jwk_set()
    enc_only = {"keys": [public_jwk("A", signers["A"], use="enc")]}
    with patched_opener(enc_only):
        with pytest.raises(Exception, match="The JWKS endpoint did not contain any signing keys"):
            client_class(URL).get_signing_keys()


def test_patched_opener_failed_refresh_keeps_cache(client_class: type, signers: Dict[str, Any]) -> None:
    client = client_class(URL)
    with patched_opener(jwks(signers, "A")):
        client.get_jwk_set()
    with patched_opener(error=URLError("down")):
        with pytest.raises(Exception, match="Fail to fetch data"):
            client.get_jwk_set(refresh=True)
    assert client.jwk_set_cache.get() is not None
    with patched_opener(jwks(signers, "A")) as again:
        client.get_jwk_set()
    assert again.return_value.open.call_count == 0


@pytest.mark.parametrize("kwargs, message", [
    ({"lifespan": 0}, 'Lifespan must be greater than 0, the input is "0"'),
    ({"lifespan": -1}, 'Lifespan must be greater than 0, the input is "-1"'),
    ({"cooldown_duration": -1}, 'Cooldown duration must be greater than or equal to 0, the input is "-1"'),
    ({"cooldown_duration": math.inf}, 'Cooldown duration must be finite, the input is "inf"'),
])
def test_constructor_errors(client_class: type, kwargs: Dict[str, Any], message: str) -> None:
    with pytest.raises(Exception) as caught:
        client_class(URL, **kwargs)
    assert (type(caught.value).__name__, str(caught.value)) == ("PyJWKClientError", message)


# --------------------------------------------------------------------------- PyJWT issues fixed


def test_removed_key_is_not_served_from_the_key_cache(server: JWKSServer, signers: Dict[str, Any],
                                                      clock: FakeClock) -> None:
    """PyJWT #1051: cache_keys=True served a key after it left the JWKS."""
    server.jwks = jwks(signers, "A", "B")
    client = PyJWKClient(server.url, cache_keys=True, lifespan=200, cooldown_duration=0, clock=clock)
    assert client.get_signing_key("A").key_id == "A"
    server.jwks = jwks(signers, "B")
    clock.advance(199)
    assert client.get_signing_key("A").key_id == "A"  # still within lifespan: served from the key cache
    clock.advance(2)
    with pytest.raises(PyJWKClientError, match="Unable to find"):
        client.get_signing_key("A")
    client.get_signing_key("B")
    server.jwks = jwks(signers, "B", "C")
    client.get_jwk_set(refresh=True)
    assert client._key_cache == {}  # any new set clears the key cache at once


def test_failed_refresh_serves_last_good_set_until_max_stale(server: JWKSServer, signers: Dict[str, Any],
                                                             clock: FakeClock) -> None:
    """PyJWT #1162: an expired set whose refresh failed stopped all validation."""
    server.jwks = jwks(signers, "A")
    client = PyJWKClient(server.url, lifespan=100, cooldown_duration=300, max_stale=800, clock=clock)
    client.get_signing_key("A")
    server.status = 500
    clock.advance(150)
    for _ in range(50):
        assert client.get_signing_key("A").key_id == "A"
    assert server.requests == 2  # one failed retry; the next waits for the cooldown
    clock.advance(299)
    client.get_signing_key("A")
    assert server.requests == 2
    clock.advance(1)
    client.get_signing_key("A")
    assert server.requests == 3
    clock.advance(351)  # past max_stale (801 s after the last success)
    with pytest.raises(PyJWKClientConnectionError):
        client.get_signing_key("A")
    server.status = 200
    assert client.get_signing_key("A").key_id == "A"


def test_unknown_kid_refetch_is_throttled_while_endpoint_fails(server: JWKSServer, signers: Dict[str, Any],
                                                               clock: FakeClock) -> None:
    """PyJWT #929: unknown kids refetch once per cooldown, failed fetches included."""
    server.jwks = jwks(signers, "A")
    client = PyJWKClient(server.url, cooldown_duration=30, clock=clock)
    client.get_signing_key("A")
    clock.advance(30)
    server.status = 500
    for _ in range(100):
        with pytest.raises(PyJWKClientError):
            client.get_signing_key(uuid.uuid4().hex)
    assert server.requests == 2


def test_jwk_set_cache_api(signers: Dict[str, Any], clock: FakeClock) -> None:
    pyjwt_cache = pyjwt.jwk_set_cache.JWKSetCache(lifespan=0.05)
    for cache in (JWKSetCache(lifespan=5, clock=clock), pyjwt_cache):
        assert cache.get() is None and not cache.is_expired()
        cache.put(jwks(signers, "A"))
        assert [k.key_id for k in cache.get().keys] == ["A"]
        if cache is pyjwt_cache:
            time.sleep(0.06)  # PyJWT's cache reads the real clock
        else:
            clock.advance(5)
            assert not cache.is_expired()
            clock.advance(0.01)
        assert cache.is_expired() and cache.get() is None
        cache.put(None)
        assert cache.jwk_set_with_timestamp is None
        with pytest.raises(Exception, match="Invalid JWK Set value"):
            cache.put("nonsense")  # type: ignore[arg-type]
    ours = JWKSetCache(-1)
    ours.put(PyJWKSet.from_dict(jwks(signers, "A")))
    assert not ours.is_expired() and ours.get() is not None
    with pytest.raises(PyJWKSetError):
        ours.put({"keys": []})


# ---------------------------------------------------------------- PyJWKClient: PyJWT's own tests, and issue 8


@pytest.mark.parametrize("pyjwk_client", [PyJWKClient, pyjwt.PyJWKClient], ids=["fastjwt", "pyjwt"])
def test_unknown_kid_refresh_serializes_concurrent_misses(
    server: JWKSServer, signers: Dict[str, Any], pyjwk_client: type
) -> None:
    """PyJWT's test of the same name, on a real server: two concurrent misses share one refetch.

    As in PyJWT's test, ``_last_successful_fetch`` is set back to end the cooldown.
    """
    server.jwks = jwks(signers, "A")
    client = pyjwk_client(server.url, cooldown_duration=30)
    client.get_jwk_set()
    client._last_successful_fetch = time.monotonic() - 31
    server.delay = 0.5  # the refetch stays in flight while the second miss arrives
    errors: List[Exception] = []
    second_done = threading.Event()

    def lookup() -> None:
        try:
            client.get_signing_key("unknown-kid")
        except PyJWKClientError as error:  # pyjwt's class is another one: compared by name below
            errors.append(error)
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    def second_lookup() -> None:
        lookup()
        second_done.set()

    first, second = threading.Thread(target=lookup), threading.Thread(target=second_lookup)
    first.start()
    wait_until(lambda: server.requests == 2)
    second.start()
    assert not second_done.wait(timeout=0.1)  # it waits for the refetch in flight
    first.join(timeout=5)
    second.join(timeout=5)
    assert not first.is_alive() and not second.is_alive()
    assert [(type(e).__name__, str(e)) for e in errors] == [
        ("PyJWKClientError", 'Unable to find a signing key that matches: "unknown-kid"')
    ] * 2
    assert server.requests == 2  # the first load and one refetch, shared


def test_concurrent_misses_for_a_rotated_in_key_share_one_refetch(server: JWKSServer, signers: Dict[str, Any]) -> None:
    server.jwks = jwks(signers, "A")
    client = PyJWKClient(server.url, cooldown_duration=30)
    client.get_jwk_set()
    client._last_successful_fetch = time.monotonic() - 31
    server.jwks, server.delay = jwks(signers, "A", "B"), 0.3
    found: List[str] = []
    threads = [threading.Thread(target=lambda: found.append(client.get_signing_key("B").key_id)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert found == ["B"] * 4
    assert server.requests == 2


def test_get_signing_key_from_jwt_rejects_payload_recursion_error(server: JWKSServer, signers: Dict[str, Any]) -> None:
    """PyJWT's test of the same name (it mocks json.loads; here a real deep payload):
    a payload too deep to parse is a DecodeError, raised before any fetch."""
    server.jwks = jwks(signers, "A")
    header = b64url_json({"alg": "ES256", "kid": "A"})
    payload = base64_url(b"[" * 2000 + b"]" * 2000)
    token = f"{header}.{payload}.c2ln"
    outcomes = []
    for client_class in (PyJWKClient, pyjwt.PyJWKClient):
        with pytest.raises(Exception) as caught:
            client_class(server.url).get_signing_key_from_jwt(token)
        outcomes.append((type(caught.value).__name__, str(caught.value)))
    # PyJWT's message is the standard library's verdict: from Python 3.13 on, its parser reads 2000 levels (a
    # list, so not a JSON object); before, it gives up.
    if sys.version_info >= (3, 13):
        expected = "must be a json object"
    else:
        expected = "maximum recursion depth exceeded while decoding a JSON array from a unicode string"
    assert outcomes[0] == outcomes[1] == ("DecodeError", f"Invalid payload string: {expected}")
    assert issubclass(DecodeError, fastjwt.InvalidTokenError)
    assert server.requests == 0


def base64_url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(obj: Any) -> str:
    return base64_url(json.dumps(obj).encode())


def test_a_malformed_jwks_member_does_not_break_pyjwk_client(
    server: JWKSServer, signers: Dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 8 item 6: ``crv`` as a list (TypeError before) and ``alg: none`` (NotImplementedError,
    in PyJWT too) are skipped; the other keys keep working; the log says why, without key material."""
    caplog.set_level(logging.INFO, logger="fastjwt.jwks")
    good = public_jwk("A", signers["A"])
    crv_list = dict(public_jwk("X", signers["B"]), crv=["P-256"])
    del crv_list["alg"]  # PyJWT's default-algorithm lookup then meets the list (a TypeError before)
    alg_none = {"kty": "oct", "k": "c2VjcmV0LWtleS1tYXRlcmlhbC1uZXZlci1sb2dnZWQ", "alg": "none", "kid": "N"}
    server.jwks = {"keys": [crv_list, alg_none, good]}
    client = PyJWKClient(server.url)
    token = sign(signers, "A")
    key = client.get_signing_key_from_jwt(token)
    assert key.key_id == "A"
    assert fastjwt.decode(token, key, algorithms=["ES256"])["sub"] == "alice"
    assert [k.key_id for k in client.get_signing_keys()] == ["A"]
    with pytest.raises(PyJWKClientError, match='^Unable to find a signing key that matches: "N"$'):
        client.get_signing_key("N")
    messages = [r.getMessage() for r in caplog.records if r.name == "fastjwt.jwks"]
    assert "JWK Set member #0 (kid 'X') skipped: InvalidKeyError: Unsupported crv: ['P-256']" in messages
    assert (
        "JWK Set member #1 (kid 'N') skipped: PyJWKError: A JWK cannot be used with the \"none\" algorithm" in messages
    )
    assert alg_none["k"] not in caplog.text and good["x"] not in caplog.text and crv_list["y"] not in caplog.text
    # One fetch parses the set once: each member is reported once per fetch.
    assert sum("member #0" in m for m in messages) == server.requests == 1
    with pytest.raises(NotImplementedError):  # PyJWT's client breaks on the same document
        pyjwt.PyJWKClient(server.url).get_signing_key_from_jwt(token)


@pytest.mark.parametrize("url", ["http://example.com/jwks", "http://10.0.0.1/jwks", "HTTP://id.example:8080/jwks"])
def test_pyjwk_client_warns_once_per_client_for_plain_http(url: str) -> None:
    with pytest.warns(InsecureTransportWarning) as caught:
        client = PyJWKClient(url.replace("//", "//user:pass@", 1) + "?token=secret")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith("PyJWKClient fetches keys from ")
    assert message.endswith(" over plain http: keys fetched without TLS can be replaced in transit, "
                            "letting anyone on the path forge tokens. Use https.")
    assert "pass" not in message and "secret" not in message
    assert caught[0].filename == __file__  # points at the caller
    assert issubclass(InsecureTransportWarning, UserWarning)
    with pytest.raises(PyJWKClientError, match="https"):
        JWKSClient(url)  # JWKSClient keeps refusing unless opted in
    JWKSClient(url, allow_insecure_http=True).close()
    assert client.uri.endswith("?token=secret")


def test_pyjwk_client_fetching_plain_http_warns_only_at_construction(
    server: JWKSServer, signers: Dict[str, Any]
) -> None:
    server.jwks = jwks(signers, "A")
    with warnings_as_list() as caught:
        client = PyJWKClient(server.url)  # loopback: no warning
        client.get_signing_key("A")
        PyJWKClient("https://id.example/jwks")
    assert caught == []


@contextlib.contextmanager
def warnings_as_list() -> Iterator[List[Any]]:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


# --------------------------------------------------------------------------- symmetric keys in a public JWKS


OCT_SECRET = b"a-shared-secret-published-by-mistake-0123456789"


def jwks_with_oct(signers: Dict[str, Any], kid: str) -> Dict[str, Any]:
    """An asymmetric key and a symmetric one under the same kid (issue 8, finding 4)."""
    oct_member = {"kty": "oct", "kid": kid, "k": fastjwt.utils.base64url_encode(OCT_SECRET).decode()}
    return {"keys": [public_jwk(kid, signers[kid]), oct_member]}


def forged_with_oct(kid: str) -> str:
    claims = {"sub": "admin", "exp": int(time.time()) + 600}
    return fastjwt.encode(claims, OCT_SECRET, algorithm="HS256", headers={"kid": kid})


def test_oct_members_of_a_fetched_jwks_verify_nothing(server: JWKSServer, signers: Dict[str, Any],
                                                       caplog: pytest.LogCaptureFixture) -> None:
    """Anyone who reads the public JWKS knows an oct member's secret: with HS256 allowed next to
    ES256 it forged tokens. Skipped unless the caller opts in."""
    server.jwks = jwks_with_oct(signers, "A")
    with JWKSClient(server.url, background=False) as client:
        validator = Validator(keys=client, algorithms=["ES256", "HS256"])
        assert validator.decode(sign(signers, "A"))["sub"] == "alice"
        with pytest.raises(KeyNotFoundError, match="^The key 'A' cannot verify 'HS256'$"):
            validator.decode(forged_with_oct("A"))
        assert [key.algorithms for key in client.key_set()] == [("ES256",)]
    with JWKSClient(server.url, background=False, allow_symmetric_keys=True) as trusting:
        assert Validator(keys=trusting, algorithms=["ES256", "HS256"]).decode(forged_with_oct("A"))["sub"] == "admin"
    assert OCT_SECRET.decode() not in caplog.text


def test_oct_only_jwks_is_no_usable_key_set(server: JWKSServer, signers: Dict[str, Any]) -> None:
    server.jwks = {"keys": jwks_with_oct(signers, "A")["keys"][1:]}
    with JWKSClient(server.url, background=False) as client:
        with pytest.raises(PyJWKClientConnectionError, match="did not contain any usable keys"):
            client.key_set()


def test_async_client_skips_oct_members(server: JWKSServer, signers: Dict[str, Any]) -> None:
    server.jwks = jwks_with_oct(signers, "A")

    async def main() -> None:
        async with AsyncJWKSClient(server.url, timeout=2) as client:
            validator = Validator(keys=client, algorithms=["ES256", "HS256"])
            assert validator.decode(sign(signers, "A"))["sub"] == "alice"
            with pytest.raises(KeyNotFoundError, match="^The key 'A' cannot verify 'HS256'$"):
                validator.decode(forged_with_oct("A"))
        async with AsyncJWKSClient(server.url, timeout=2, allow_symmetric_keys=True) as trusting:
            validator = Validator(keys=trusting, algorithms=["ES256", "HS256"])
            assert validator.decode(forged_with_oct("A"))["sub"] == "admin"

    asyncio.run(asyncio.wait_for(main(), 10))


# --------------------------------------------------------------------------- one deadline for the whole exchange


DEADLINE = 0.3  # the clients' timeout in these tests
#: How long a fetch may take past its deadline here: thread wake-ups on a busy machine, never the server.
SLACK = 1.5


def phase_script(document: Any, phase: str) -> Tuple[bytes, bytes]:
    """(sent at once, dripped) for a server slow in ``phase``: everything from that phase on drips."""
    trailer = b"X-Trailer: " + b"t" * 80
    status, headers, *body = response_parts(document, chunked=phase in ("chunk-size", "chunk-data", "trailers"),
                                            trailer=trailer)
    parts = [status, headers, *body]
    slow_from = {
        "status-line": 0, "headers": 1, "content-length-body": 2, "chunk-size": 2, "chunk-data": 3, "trailers": 5,
    }[phase]
    if phase == "chunk-size":  # a size line padded with zeros, so it is long enough to drip past the deadline
        parts[2] = b"0" * 40 + parts[2]
    return b"".join(parts[:slow_from]), b"".join(parts[slow_from:])


def fetch_with(client_name: str, url: str, ssl_context: Any = None) -> Exception:
    """The exception the named client's first fetch raises (it must raise)."""
    if client_name == "JWKSClient":
        client = JWKSClient(url, timeout=DEADLINE, background=False, ssl_context=ssl_context)
        try:
            client.key_set()
        except PyJWKClientConnectionError as err:
            return err
        finally:
            client.close()
    elif client_name == "PyJWKClient":
        try:
            PyJWKClient(url, timeout=DEADLINE, ssl_context=ssl_context).get_jwk_set()
        except PyJWKClientConnectionError as err:
            return err
    else:
        async def start() -> None:
            client = AsyncJWKSClient(url, timeout=DEADLINE, background=False, ssl_context=ssl_context)
            try:
                await client.start()
            finally:
                await client.aclose()
        try:
            asyncio.run(asyncio.wait_for(start(), 10))
        except PyJWKClientConnectionError as err:
            return err
    raise AssertionError("the fetch did not fail")


TIMED_OUT = (
    f'Fail to fetch data from the url, err: "timed out: the response took longer than the timeout ({DEADLINE:g} s)"'
)
CLIENTS = ["JWKSClient", "PyJWKClient", "AsyncJWKSClient"]
PHASES = ["status-line", "headers", "chunk-size", "chunk-data", "trailers", "content-length-body"]


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("client_name", CLIENTS)
def test_one_deadline_bounds_every_phase_of_the_exchange(signers: Dict[str, Any], client_name: str, phase: str) -> None:
    """Issue 8, finding 2: a byte every 50 ms never trips a per-read timeout; each phase, dripped,
    would take 1-3 s. The fetch ends at its deadline, whichever phase is slow."""
    fast, drip = phase_script(jwks(signers, "A"), phase)
    assert len(drip) * 0.05 > DEADLINE + SLACK + 1  # so a fetch that waited for the drip would fail here
    with DripServer(fast, drip, interval=0.05) as server:
        started = time.monotonic()
        error = fetch_with(client_name, server.url())
        elapsed = time.monotonic() - started
    assert TIMED_OUT in str(error)
    assert DEADLINE <= elapsed < DEADLINE + SLACK


def test_the_dripping_script_is_a_valid_answer(signers: Dict[str, Any]) -> None:
    """The scripts above are real answers: sent at once, every phase's script loads."""
    for phase in PHASES:
        fast, drip = phase_script(jwks(signers, "A"), phase)
        with DripServer(fast + drip) as server:
            with JWKSClient(server.url(), timeout=2, background=False) as client:
                assert client.key_set().has_kid("A"), phase


@pytest.fixture(scope="module")
def tls_contexts(tmp_path_factory: pytest.TempPathFactory) -> Tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server, client) contexts for 127.0.0.1 with a certificate made now."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client


@pytest.mark.parametrize("client_name", CLIENTS)
def test_the_deadline_holds_over_tls(signers: Dict[str, Any], tls_contexts: Tuple[ssl.SSLContext, ssl.SSLContext],
                                     client_name: str) -> None:
    server_context, client_context = tls_contexts
    fast, drip = phase_script(jwks(signers, "A"), "headers")
    with DripServer(fast + drip, tls=server_context) as server:  # first: the certificate works
        with JWKSClient(server.url("https"), timeout=2, background=False, ssl_context=client_context) as client:
            assert client.key_set().has_kid("A")
    with DripServer(fast, drip, interval=0.05, tls=server_context) as server:
        started = time.monotonic()
        error = fetch_with(client_name, server.url("https"), client_context)
        elapsed = time.monotonic() - started
    assert TIMED_OUT in str(error)
    assert DEADLINE <= elapsed < DEADLINE + SLACK


@pytest.mark.parametrize("client_name", CLIENTS)
def test_a_dripped_tls_handshake_is_bounded(client_name: str) -> None:
    # A TLS record header announcing 16 KiB, then its bytes one at a time: the handshake never completes.
    with DripServer(b"\x16\x03\x03\x40\x00", b"\x00" * 100, interval=0.05, read_request=False) as server:
        started = time.monotonic()
        error = fetch_with(client_name, server.url("https"))
        elapsed = time.monotonic() - started
    assert TIMED_OUT in str(error)
    assert DEADLINE <= elapsed < DEADLINE + SLACK


def test_a_fetch_past_its_deadline_lets_the_next_one_start(signers: Dict[str, Any]) -> None:
    """The issue's scenario: while the single in-flight fetch was stuck on a dripping server, no other
    fetch started (a rotated-in key was never fetched) and every unknown-kid token parked its thread."""
    good_a = b"".join(response_parts(jwks(signers, "A"), chunked=False))
    with DripServer(good_a) as server:
        client = JWKSClient(server.url(), timeout=DEADLINE, background=False, unknown_kid_cooldown=0)
        validator = Validator(keys=client, algorithms=["ES256"])
        assert validator.decode(sign(signers, "A"))["sub"] == "alice"
        # The endpoint now drips its headers (1 byte per 50 ms for ~4 s); key B is rotated in.
        server.fast, server.drip = phase_script(jwks(signers, "A", "B"), "headers")
        token_b = sign(signers, "B")
        outcomes: List[Any] = []

        def decode() -> None:
            started = time.monotonic()
            try:
                validator.decode(token_b)
            except KeyNotFoundError as err:
                outcomes.append((type(err), time.monotonic() - started))

        threads = [threading.Thread(target=decode) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert len(outcomes) == 4
        assert all(kind is KeyNotFoundError and elapsed < DEADLINE + SLACK for kind, elapsed in outcomes), outcomes
        # The stuck fetch was abandoned at its deadline: the next one starts and brings B in.
        server.fast, server.drip = b"".join(response_parts(jwks(signers, "A", "B"), chunked=False)), b""
        started = time.monotonic()
        assert validator.decode(token_b)["sub"] == "alice"
        assert time.monotonic() - started < DEADLINE + SLACK
        assert client.stats()["failures"] == 1
        client.close()


def test_an_exchange_stuck_where_no_socket_can_be_shut_is_abandoned(signers: Dict[str, Any]) -> None:
    """A name lookup cannot be interrupted (nor staged on 127.0.0.1): an opener that never returns
    stands in for it. The fetch still ends at its deadline, and the next one starts."""
    release = threading.Event()
    with patched_opener(jwks(signers, "A")) as build_opener:
        build_opener.return_value.open.side_effect = lambda *args, **kwargs: release.wait(10)
        client = JWKSClient(URL, timeout=DEADLINE, background=False, min_refresh=0.01)  # retry after 10 ms
        started = time.monotonic()
        with pytest.raises(PyJWKClientConnectionError, match=re.escape(TIMED_OUT)):
            client.key_set()
        assert DEADLINE <= time.monotonic() - started < DEADLINE + SLACK
        build_opener.return_value.open.side_effect = None
        time.sleep(0.02)
        assert client.key_set().has_kid("A")  # the stuck exchange did not hold the single flight
        release.set()
        client.close()


@pytest.mark.parametrize("client_name", CLIENTS)
def test_a_hostile_reason_phrase_is_escaped(client_name: str, caplog: pytest.LogCaptureFixture) -> None:
    """The endpoint writes the HTTP reason phrase: it reaches messages and logs escaped, as token data does."""
    answer = b"HTTP/1.1 500 \x1b]0;pwned\x07\x9b2J\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    with DripServer(answer) as server:
        error = fetch_with(client_name, server.url())
    assert 'err: "HTTP Error 500: \\x1b]0;pwned\\x07\\x9b2J"' in str(error)
    assert str(error).isprintable() and caplog.text.replace("\n", "").isprintable()


def test_pyjwkclient_skips_oct_members(server: JWKSServer, signers: Dict[str, Any],
                                       caplog: pytest.LogCaptureFixture) -> None:
    """PyJWT's client hands an oct member of the public JWKS to jwt.decode, which then
    accepts HS256 tokens anyone who read the JWKS can sign. fastjwt's skips it unless asked."""
    server.jwks = jwks_with_oct(signers, "A")
    forged = forged_with_oct("A")
    client = PyJWKClient(server.url)
    key = client.get_signing_key_from_jwt(forged)
    assert key.key_type == "EC"
    with pytest.raises(fastjwt.InvalidAlgorithmError):
        fastjwt.decode(forged, key, algorithms=["ES256", "HS256"])
    assert [k.key_type for k in client.get_signing_keys()] == ["EC"]
    assert "1 symmetric (oct) member(s) skipped" in caplog.text
    assert OCT_SECRET.decode() not in caplog.text
    trusting = PyJWKClient(server.url, allow_symmetric_keys=True)
    assert [k.key_type for k in trusting.get_signing_keys()] == ["EC", "oct"]


def test_pyjwkclient_oct_only_jwks_has_no_signing_keys(server: JWKSServer, signers: Dict[str, Any]) -> None:
    server.jwks = {"keys": jwks_with_oct(signers, "A")["keys"][1:]}
    with pytest.raises(PyJWKClientError, match="^The JWKS endpoint did not contain any signing keys$"):
        PyJWKClient(server.url).get_signing_keys()


def test_pyjwkclient_unknown_kid_message_is_safe(server: JWKSServer, signers: Dict[str, Any]) -> None:
    """A kid is token data: its control characters never reach the message raw."""
    server.jwks = {"keys": [public_jwk("A", signers["A"])]}
    client = PyJWKClient(server.url, cooldown_duration=0)
    with pytest.raises(PyJWKClientError) as err:
        client.get_signing_key("B\x1b]0;x\x07")
    assert str(err.value) == r'Unable to find a signing key that matches: "B\x1b]0;x\x07"'
