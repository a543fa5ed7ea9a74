"""fastjwt.grpc.aio.AuthInterceptor on a real grpc.aio server on 127.0.0.1.

The server's event loop runs on a thread of its own; the tests call it with
sync channels (the client side is not what is tested here).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent import futures
from typing import Any, Iterator, List, Tuple

import grpc
import pytest
from grpc_support import (
    KINDS,
    METHODS,
    POLICY,
    SERVICE,
    STATUS,
    TIMEOUT,
    Recorder,
    RotatingIssuer,
    Served,
    add_health_and_reflection,
    aio_echo_handler,
    aio_server,
    assert_certificate_binding,
    assert_refusals_reveal_nothing,
    bearer,
    call,
    channel,
    claims_of,
    health_and_reflection,
    lockstep_calls,
    lockstep_handler,
    mint,
    rejection_cases,
    request_id,
    status_of,
    sync_echo_handler,
    validator,
    wait_until,
)

import fastjwt
from fastjwt._pki import DevPKI
from fastjwt.grpc import Decision, current_claims
from fastjwt.grpc.aio import AuthInterceptor

pytestmark = pytest.mark.network

SYNC_SERVICE = "test.SyncEcho"  # sync handlers on the aio server (run on its thread pool)
ASYNC_POLICY = dict(POLICY, **{f"/{SYNC_SERVICE}/*": POLICY[f"/{SERVICE}/*"]})


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    recorder = Recorder()
    decisions: List[Decision] = []
    interceptor = AuthInterceptor(validator(), ASYNC_POLICY, on_decision=decisions.append)

    handlers = [aio_echo_handler(recorder), sync_echo_handler(recorder, SYNC_SERVICE),
                aio_echo_handler(recorder, "test.Open")]
    with aio_server([interceptor], handlers, setup=add_health_and_reflection) as port:
        served = Served(port, recorder, interceptor, decisions)
        yield served
        served.channel.close()


def method_of(kind: str, style: str) -> str:
    """The method of ``kind`` served by async handlers, sync handlers, or the reader/writer bidi."""
    if style == "sync":
        return METHODS[kind].replace(SERVICE, SYNC_SERVICE)
    if style == "reader-writer":
        return f"/{SERVICE}/BidiRW"
    return METHODS[kind]


STYLES = [(kind, "async") for kind in KINDS] + [(kind, "sync") for kind in KINDS] + [
    ("stream_stream", "reader-writer")]


@pytest.mark.parametrize(("kind", "style"), STYLES)
@pytest.mark.parametrize("case", [name for name, *_ in rejection_cases()])
def test_refused_before_the_handler_runs(served: Served, kind: str, style: str, case: str) -> None:
    _, metadata, code, details = next(c for c in rejection_cases() if c[0] == case)
    for attempt in ("first", "again (cache)"):
        rid = request_id()
        assert status_of(served.channel, kind, metadata, rid, method_of(kind, style)) == (code, details), attempt
        assert rid not in served.recorder.seen


@pytest.mark.parametrize(("kind", "style"), STYLES)
def test_valid_token_reaches_the_handler_with_its_claims(served: Served, kind: str, style: str) -> None:
    sub = f"valid-{kind}-{style}"
    token = mint(sub=sub)
    method = method_of(kind, style)
    for attempt in ("verified", "cached"):
        rid = request_id()
        responses = claims_of(call(served.channel, kind, bearer(token), rid, method))
        assert len(responses) == (3 if kind.endswith("_stream") else 1)
        assert all(claims is not None and claims["sub"] == sub for claims in responses), attempt
        assert rid in served.recorder.seen
    cache_hits = [d.cache_hit for d in served.decisions if d.method == method and d.outcome == "allowed"][-2:]
    assert cache_hits == [False, True]


def test_concurrent_calls_each_see_their_own_claims(served: Served) -> None:
    def one(index: int) -> Tuple[int, Any]:
        kind, style = STYLES[index % len(STYLES)]
        token = mint(sub=f"user-{index}")
        return index, claims_of(call(served.channel, kind, bearer(token), b"x", method_of(kind, style)))

    with futures.ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, range(45)))
    for index, responses in results:
        assert [claims["sub"] for claims in responses] == [f"user-{index}"] * len(responses)


def test_twenty_calls_inside_their_handlers_at_once_see_their_own_claims() -> None:
    """20 unary calls held in their handlers until all 20 are in (so they truly overlap on the loop)."""
    state: dict = {"inside": 0, "all_in": None}

    async def gate(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        if state["all_in"] is None:
            state["all_in"] = asyncio.Event()
        state["inside"] += 1
        if state["inside"] == 20:
            state["all_in"].set()
        await asyncio.wait_for(state["all_in"].wait(), TIMEOUT)
        claims = current_claims()
        assert claims is not None
        return json.dumps(claims["sub"]).encode()

    handler = grpc.method_handlers_generic_handler("test.Gate", {"Wait": grpc.unary_unary_rpc_method_handler(gate)})
    with aio_server([AuthInterceptor(validator())], [handler]) as port:
        chan = channel(port)

        def one(index: int) -> bytes:
            token = mint(sub=f"user-{index}", jti=None if index % 2 else uuid.uuid4().hex)
            return chan.unary_unary("/test.Gate/Wait")(b"x", metadata=bearer(token), timeout=TIMEOUT)

        with futures.ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(one, range(20)))
        chan.close()
    assert answers == [json.dumps(f"user-{index}").encode() for index in range(20)]
    assert state["inside"] == 20


def test_interleaved_streams_keep_their_claims() -> None:
    """Two streaming calls whose handlers take turns on the loop, messages interleaved."""

    async def bidi(requests: Any, context: grpc.aio.ServicerContext) -> Any:
        async for _request in requests:
            await asyncio.sleep(0.001)
            claims = current_claims()
            assert claims is not None
            yield json.dumps(claims["sub"]).encode()

    handler = grpc.method_handlers_generic_handler("test.Interleave", {
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi)})
    with aio_server([AuthInterceptor(validator())], [handler]) as port:
        chan = channel(port)

        def run(sub: str) -> List[bytes]:
            def requests() -> Iterator[bytes]:
                for _ in range(10):
                    yield b"x"
            return list(chan.stream_stream("/test.Interleave/Bidi")(requests(), metadata=bearer(mint(sub=sub)),
                                                                     timeout=TIMEOUT))

        with futures.ThreadPoolExecutor(max_workers=2) as pool:
            a, b = pool.submit(run, "alice"), pool.submit(run, "bob")
            assert a.result(TIMEOUT) == [b'"alice"'] * 10
            assert b.result(TIMEOUT) == [b'"bob"'] * 10
        chan.close()


def test_public_method_without_token_has_no_claims(served: Served) -> None:
    assert claims_of(call(served.channel, "unary_stream", None, b"x", "/test.Open/ServerStream")) == [None] * 3
    assert claims_of(call(served.channel, "unary_unary", bearer(mint(sub="dan")), b"x", "/test.Open/Unary"))[0][
        "sub"] == "dan"
    assert claims_of(call(served.channel, "unary_unary", bearer("garbage"), b"x", "/test.Open/Unary")) == [None]


def test_health_and_reflection_need_no_token(served: Served) -> None:
    assert health_and_reflection(served.channel) == ("ok", "ok")


def test_decisions_and_counters(served: Served) -> None:
    before = served.interceptor.stats()
    token = mint(sub="eve")
    call(served.channel, "unary_unary", bearer(token), b"x")
    call(served.channel, "unary_unary", bearer(token), b"x")
    status_of(served.channel, "unary_unary", None, b"x")
    status_of(served.channel, "unary_unary", bearer(mint(roles=["x"])), b"x")
    expired = mint(exp=1)
    status_of(served.channel, "unary_unary", bearer(expired), b"x")  # verified, remembered as refused
    status_of(served.channel, "unary_unary", bearer(expired), b"x")  # refused from the cache
    after = served.interceptor.stats()
    assert {name: after[name] - before[name] for name in after} == {
        "allowed": 2, "public": 0, "unauthenticated": 3, "permission_denied": 1, "cache_hits": 2, "cache_misses": 3}
    assert [(d.method, d.outcome, d.reason, d.cache_hit) for d in served.decisions[-6:]] == [
        (METHODS["unary_unary"], "allowed", None, False),
        (METHODS["unary_unary"], "allowed", None, True),
        (METHODS["unary_unary"], "unauthenticated", "missing token", False),
        (METHODS["unary_unary"], "permission_denied", "missing role", False),
        (METHODS["unary_unary"], "unauthenticated", "expired", False),
        (METHODS["unary_unary"], "unauthenticated", "expired", True),
    ]


@pytest.mark.parametrize(("kind", "style"), STYLES)
def test_refusals_reveal_no_token_claims_or_key(served: Served, kind: str, style: str) -> None:
    assert_refusals_reveal_nothing(served.channel, kind, method_of(kind, style))


@pytest.fixture(scope="module")
def pki() -> DevPKI:
    return DevPKI.create()


def test_certificate_bound_tokens(pki: DevPKI) -> None:
    recorder = Recorder()
    handlers = [aio_echo_handler(recorder), sync_echo_handler(recorder, SYNC_SERVICE)]
    assert_certificate_binding(pki, "aio", recorder, handlers, ASYNC_POLICY,
                               [(kind, method_of(kind, style)) for kind, style in STYLES])


def test_async_jwks_rotation_waits_for_the_new_key() -> None:
    """A token signed with a key just published: the interceptor awaits the
    JWKS refetch for its kid (the event loop keeps serving) instead of failing."""
    from _jwks_server import JWKSServer
    from cryptography.hazmat.primitives.asymmetric import ec

    from fastjwt import AsyncJWKSClient
    from fastjwt.jwk import key_to_jwk

    keys = {kid: ec.generate_private_key(ec.SECP256R1()) for kid in ("a", "b")}

    def document(*kids: str) -> dict:
        return {"keys": [key_to_jwk(keys[kid].public_key(), kid=kid, alg="ES256") for kid in kids]}

    def token(kid: str, sub: str) -> str:
        return mint(key=keys[kid], algorithm="ES256", headers={"kid": kid}, sub=sub)

    with JWKSServer() as jwks_server:
        jwks_server.jwks = document("a")
        client = AsyncJWKSClient(jwks_server.url, unknown_kid_cooldown=0, timeout=2)
        checker = fastjwt.Validator(keys=client, algorithms=["ES256"], audience="api")
        with aio_server([AuthInterceptor(checker, POLICY)], [aio_echo_handler(Recorder())], on_loop=client.start,
                        on_stop=client.aclose) as port:
            chan = channel(port)
            assert claims_of(call(chan, "unary_unary", bearer(token("a", "old")), b"x"))[0]["sub"] == "old"
            jwks_server.jwks = document("a", "b")
            jwks_server.delay = 0.2
            for kind in KINDS:
                assert claims_of(call(chan, kind, bearer(token("b", kind)), b"x"))[0]["sub"] == kind
            assert jwks_server.requests == 2
            # A kid the endpoint does not have either: refused after the refetch.
            jwks_server.delay = 0
            keys["c"] = ec.generate_private_key(ec.SECP256R1())
            assert status_of(chan, "unary_unary", bearer(token("c", "x")), b"x") == (
                STATUS.UNAUTHENTICATED, "unknown signing key")
            chan.close()


def test_a_blocking_jwks_refetch_never_stops_the_event_loop() -> None:
    """A sync JWKSClient fetches for an unknown kid on a worker thread: while
    that fetch hangs (the endpoint holds its answer), a cached token is served
    at once; on the loop the fetch would stall every call until it ended."""
    import threading

    from _jwks_server import JWKSServer

    from fastjwt import JWKSClient

    issuer = RotatingIssuer("a", "b")
    with JWKSServer() as jwks_server:
        jwks_server.jwks = issuer.jwks("a")
        client = JWKSClient(jwks_server.url, unknown_kid_cooldown=0, timeout=10)
        checker = fastjwt.Validator(keys=client, algorithms=["ES256"], audience="api")
        with aio_server([AuthInterceptor(checker, POLICY)], [aio_echo_handler(Recorder())]) as port:
            chan = channel(port)
            cached = bearer(issuer.signer("a")("alice", "1"))
            assert claims_of(call(chan, "unary_unary", cached, b"x"))[0]["sub"] == "alice"
            jwks_server.jwks = issuer.jwks("a", "b")
            jwks_server.gate = threading.Event()
            rotated: List[Any] = []
            caller = threading.Thread(target=lambda: rotated.append(
                call(chan, "unary_unary", bearer(issuer.signer("b")("bob", "2")), b"x")))
            caller.start()
            try:
                wait_until(lambda: jwks_server.requests == 2)  # the refetch for kid "b" is held
                for kind in KINDS:  # served while it hangs (each call has a deadline)
                    assert claims_of(call(chan, kind, cached, b"x"))[0]["sub"] == "alice"
                assert rotated == []
            finally:
                jwks_server.gate.set()
                caller.join(TIMEOUT)
            assert claims_of(rotated[0])[0]["sub"] == "bob" and jwks_server.requests == 2
            chan.close()
        client.close()


def test_concurrent_sync_streams_on_the_aio_thread_pool_see_their_own_claims() -> None:
    """4 sync bidi generators on the aio server's thread pool (each step on whichever
    thread is free), answering each message together."""
    with aio_server([AuthInterceptor(validator())], [lockstep_handler(4, "sync")]) as port:
        chan = channel(port)
        seen = lockstep_calls(chan, 4)
        chan.close()
    assert seen == {f"s{index}": [json.dumps(f"s{index}").encode()] * 10 for index in range(4)}
