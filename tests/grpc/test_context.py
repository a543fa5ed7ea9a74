"""current_claims(): a cache hit's claims are the cache's own, shared by the
interceptor's checks; a handler gets a copy of its own, made once per call."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent import futures
from typing import Any, Dict, Iterator, List

import grpc
import pytest
from grpc_support import KINDS, METHODS, SERVICE, TIMEOUT, bearer, call, channel, mint, serve, validator

from fastjwt.grpc import AuthInterceptor, current_claims
from fastjwt.grpc.aio import AuthInterceptor as AioAuthInterceptor

pytestmark = pytest.mark.network

#: The role the policy needs, removed by every handler below from the claims it gets.
POLICY = {f"/{SERVICE}/*": {"scopes": ["echo"], "roles": ["user"]}}
NESTED = {"groups": [["a", {"deep": [1, 2]}]], "realm_access": {"roles": ["r1"]}}


def _taken() -> bytes:
    """The claims as first seen, then mutated everywhere (nested lists too)."""
    claims = current_claims()
    assert claims is not None and current_claims() is claims  # the same dict within the call
    seen = json.dumps(claims, sort_keys=True).encode()
    claims["roles"].remove("user")
    claims["roles"].append("admin")
    claims["groups"][0][1]["deep"].append(3)
    claims["groups"].append("x")
    claims["realm_access"]["roles"].clear()
    claims["sub"] = "mallory"
    return seen


def _again(first: bytes) -> bytes:
    claims = current_claims()
    assert claims is not None and claims["sub"] == "mallory"  # still the call's own (mutated) copy
    return first


def mutating_handler(mode: str) -> grpc.GenericRpcHandler:
    """Handlers of the four kinds that answer the claims they first saw (every message), having mutated them."""
    if mode == "async":
        async def unary(request: bytes, context: Any) -> bytes:
            return _again(_taken())

        async def server_stream(request: bytes, context: Any) -> Any:
            first = _taken()
            for _ in range(3):
                await asyncio.sleep(0)
                yield _again(first)

        async def client_stream(requests: Any, context: Any) -> bytes:
            first = _taken()
            async for _ in requests:
                pass
            return _again(first)

        async def bidi(requests: Any, context: Any) -> Any:
            first = _taken()
            async for _ in requests:
                yield _again(first)

        behaviors: Dict[str, Any] = {"Unary": unary, "ServerStream": server_stream,
                                     "ClientStream": client_stream, "BidiStream": bidi}
    else:
        def sync_unary(request: bytes, context: Any) -> bytes:
            return _again(_taken())

        def sync_server_stream(request: bytes, context: Any) -> Iterator[bytes]:
            first = _taken()
            for _ in range(3):
                yield _again(first)

        def sync_client_stream(requests: Iterator[bytes], context: Any) -> bytes:
            first = _taken()
            for _ in requests:
                pass
            return _again(first)

        def sync_bidi(requests: Iterator[bytes], context: Any) -> Iterator[bytes]:
            first = _taken()
            for _ in requests:
                yield _again(first)

        behaviors = {"Unary": sync_unary, "ServerStream": sync_server_stream,
                     "ClientStream": sync_client_stream, "BidiStream": sync_bidi}
    return grpc.method_handlers_generic_handler(SERVICE, {
        "Unary": grpc.unary_unary_rpc_method_handler(behaviors["Unary"]),
        "ServerStream": grpc.unary_stream_rpc_method_handler(behaviors["ServerStream"]),
        "ClientStream": grpc.stream_unary_rpc_method_handler(behaviors["ClientStream"]),
        "BidiStream": grpc.stream_stream_rpc_method_handler(behaviors["BidiStream"]),
    })


#: (server, handlers): sync server; aio server with async handlers; aio server with sync handlers (its pool).
SETUPS = [("sync", "sync"), ("aio", "async"), ("aio", "sync")]


@pytest.mark.parametrize(("style", "mode"), SETUPS)
def test_a_handler_mutating_its_claims_affects_no_later_call_nor_the_cache(style: str, mode: str) -> None:
    check = validator()
    interceptor = (AuthInterceptor if style == "sync" else AioAuthInterceptor)(check, POLICY)
    token = mint(sub="alice", **NESTED)
    original = check.decode(token)
    expected = json.dumps(original, sort_keys=True).encode()
    with serve(style, [interceptor], [mutating_handler(mode)]) as port:
        chan = channel(port)
        try:
            for kind in KINDS:
                for attempt in range(3):  # every call a cache hit, each after a mutating one
                    responses = call(chan, kind, bearer(token), b"first", METHODS[kind])
                    assert responses == [expected] * (3 if kind.endswith("_stream") else 1), (kind, attempt)
        finally:
            chan.close()
    assert check.try_decode_cached(token) == original
    assert check._cached_shared(token) == original
    assert interceptor.stats()["cache_hits"] == 12 and interceptor.stats()["allowed"] == 12


@pytest.mark.parametrize(("style", "mode"), SETUPS)
def test_a_verified_tokens_claims_are_the_calls_own_too(style: str, mode: str) -> None:
    check = validator(cache=False)
    interceptor = (AuthInterceptor if style == "sync" else AioAuthInterceptor)(check, POLICY)
    token = mint(sub="alice", **NESTED)
    expected = json.dumps(check.decode(token), sort_keys=True).encode()
    with serve(style, [interceptor], [mutating_handler(mode)]) as port:
        chan = channel(port)
        try:
            for kind in KINDS:
                responses = call(chan, kind, bearer(token), b"first", METHODS[kind])
                assert responses == [expected] * (3 if kind.endswith("_stream") else 1), kind
        finally:
            chan.close()


CALLS = 4


def marking_handler(mode: str) -> grpc.GenericRpcHandler:
    """A unary handler marking its claims, waiting until every call has, then answering its mark."""
    if mode == "async":
        arrived = [0]
        everyone = asyncio.Event()

        async def unary(request: bytes, context: Any) -> bytes:
            claims = current_claims()
            assert claims is not None
            claims["mark"] = request.decode()
            arrived[0] += 1
            if arrived[0] == CALLS:
                everyone.set()
            await asyncio.wait_for(everyone.wait(), TIMEOUT)
            return json.dumps(current_claims()["mark"]).encode()  # type: ignore[index]

        behavior: Any = unary
    else:
        barrier = threading.Barrier(CALLS)

        def sync_unary(request: bytes, context: Any) -> bytes:
            claims = current_claims()
            assert claims is not None
            claims["mark"] = request.decode()
            barrier.wait(TIMEOUT)
            return json.dumps(current_claims()["mark"]).encode()  # type: ignore[index]

        behavior = sync_unary
    return grpc.method_handlers_generic_handler(SERVICE, {"Unary": grpc.unary_unary_rpc_method_handler(behavior)})


@pytest.mark.parametrize(("style", "mode"), SETUPS)
def test_concurrent_calls_with_one_token_share_no_claims(style: str, mode: str) -> None:
    check = validator()
    interceptor = (AuthInterceptor if style == "sync" else AioAuthInterceptor)(check, POLICY)
    token = mint(sub="alice", **NESTED)
    check.decode(token)  # cached: every call below is a hit
    with serve(style, [interceptor], [marking_handler(mode)]) as port:
        chan = channel(port)
        try:
            with futures.ThreadPoolExecutor(CALLS) as pool:
                marks: List[Any] = list(pool.map(
                    lambda index: call(chan, "unary_unary", bearer(token), f"call-{index}".encode()), range(CALLS)))
        finally:
            chan.close()
    assert marks == [[json.dumps(f"call-{index}").encode()] for index in range(CALLS)]
    assert "mark" not in check.try_decode_cached(token)  # type: ignore[operator]
    assert interceptor.stats()["cache_hits"] == CALLS
