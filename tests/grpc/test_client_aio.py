"""fastjwt.grpc.aio client side: the async refreshing provider and the grpc.aio interceptors.

Real grpc.aio channels against the real echo server on 127.0.0.1 (tests/grpc/_client_support.py),
which checks each received token with a fastjwt.Validator at receipt.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Iterator, List, TypeVar

import grpc
import grpc.aio
import pytest
from _client_support import (
    AUDIENCE,
    KINDS,
    SECRET,
    CountingFetch,
    EchoServer,
    FakeClock,
    call_aio,
    expected_replies,
    method,
    sign,
    start_aio_echo_server,
    start_echo_server,
)

import fastjwt
import fastjwt.grpc
import fastjwt.grpc.aio
from fastjwt.grpc import TokenRefreshError
from fastjwt.grpc.aio import (
    AuthClientInterceptor,
    CallableTokenProvider,
    RefreshingTokenProvider,
    StaticTokenProvider,
    TokenCallCredentials,
)

pytestmark = pytest.mark.network

NOW = 1_900_000_000.0
T = TypeVar("T")


def run(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine in a new event loop, bounded in time."""

    async def bounded() -> T:
        return await asyncio.wait_for(make(), timeout=30)

    return asyncio.run(bounded())


class AsyncFetch:
    """The async twin of CountingFetch: signs a token per call, counts the calls."""

    def __init__(self, clock: Callable[[], float], lifetime: float = 60.0, delay: float = 0.0, **claims: Any) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.delay = delay
        self.claims = claims
        self.fail: BaseException | None = None
        self.tokens: List[str] = []
        self.failures = 0

    @property
    def count(self) -> int:
        return len(self.tokens) + self.failures

    async def __call__(self) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail is not None:
            self.failures += 1
            raise self.fail
        self.tokens.append(sign(self.clock() + self.lifetime, sub=f"aio-{len(self.tokens)}", **self.claims))
        return self.tokens[-1]


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def echo(clock: FakeClock) -> Iterator[EchoServer]:
    server = start_echo_server(clock)
    try:
        yield server
    finally:
        server.server.stop(None)


@pytest.fixture(autouse=True)
def _fresh(echo: EchoServer, clock: FakeClock) -> None:
    echo.reset()
    clock.set(NOW)


# --- the async provider --------------------------------------------------------------------------


def test_fifty_tasks_share_one_fetch() -> None:
    clock = FakeClock(NOW)
    fetch = AsyncFetch(clock, delay=0.2)

    async def main() -> List[str]:
        provider = RefreshingTokenProvider(fetch, clock=clock)
        return await asyncio.gather(*(provider.token_async() for _ in range(50)))

    assert run(main) == [fetch.tokens[0]] * 50
    assert fetch.count == 1


def test_tasks_waiting_for_one_failing_fetch_share_its_failure() -> None:
    clock = FakeClock(NOW)
    fetch = AsyncFetch(clock, delay=0.1)
    fetch.fail = ConnectionResetError(f"IdP hung up after sending {sign(NOW + 60)}")

    async def main() -> List[Any]:
        provider = RefreshingTokenProvider(fetch, clock=clock)
        return await asyncio.gather(*(provider.token_async() for _ in range(10)), return_exceptions=True)

    results = run(main)
    assert fetch.count == 1
    assert [type(r) for r in results] == [TokenRefreshError] * 10
    assert {str(r) for r in results} == {"token refresh failed (ConnectionResetError)"}
    assert all(r.__cause__ is fetch.fail for r in results)


def test_a_cancelled_waiter_does_not_cancel_the_fetch() -> None:
    clock = FakeClock(NOW)
    fetch = AsyncFetch(clock, delay=0.2)

    async def main() -> str:
        provider = RefreshingTokenProvider(fetch, clock=clock)
        first = asyncio.ensure_future(provider.token_async())  # starts the fetch
        second = asyncio.ensure_future(provider.token_async())
        await asyncio.sleep(0.05)
        first.cancel()
        token = await second
        assert first.cancelled()
        assert await provider.token_async() == token
        return token

    assert run(main) == fetch.tokens[0]
    assert fetch.count == 1


def test_refresh_margin_and_still_valid_token_during_the_fetch() -> None:
    clock = FakeClock(NOW)
    fetch = AsyncFetch(clock, lifetime=60, delay=0.1)

    async def main() -> List[str]:
        provider = RefreshingTokenProvider(fetch, margin=30, clock=clock)
        first = await provider.token_async()
        clock.set(NOW + 29.9)
        assert await provider.token_async() == first
        clock.set(NOW + 30)
        starter = asyncio.ensure_future(provider.token_async())  # owns the refresh, waits for it
        await asyncio.sleep(0.01)
        others = await asyncio.gather(*(provider.token_async() for _ in range(5)))  # old one, at once
        return [first, await starter, *others]

    first, refreshed, *others = run(main)
    assert others == [first] * 5
    assert refreshed == fetch.tokens[1] != first
    assert fetch.count == 2


def test_failed_early_refresh_keeps_the_valid_token_and_backs_off() -> None:
    clock = FakeClock(NOW)
    fetch = AsyncFetch(clock, lifetime=60)

    async def main() -> None:
        provider = RefreshingTokenProvider(fetch, margin=30, clock=clock)
        first = await provider.token_async()
        fetch.fail = OSError("down")
        clock.set(NOW + 40)
        assert await provider.token_async() == first
        assert await provider.token_async() == first
        assert fetch.count == 2  # the second call was within the back-off
        clock.set(NOW + 60)
        with pytest.raises(TokenRefreshError, match=r"^token refresh failed \(OSError\)$"):
            await provider.token_async()
        fetch.fail = None
        assert await provider.token_async() == fetch.tokens[1]
        provider.invalidate()
        assert await provider.token_async() == fetch.tokens[2]

    run(main)


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ("opaque", "the token fetched is not a JWT whose expiry can be read; return (token, expires_at) from fetch"),
        (("opaque", NOW - 1), "the token fetched has already expired"),
        (
            ("bad token", NOW + 60),
            "the token provider returned something that is not a bearer token"
            " (str; RFC 6750 b64token characters expected)",
        ),
    ],
)
def test_unusable_fetch_results_are_refused(result: Any, message: str) -> None:
    async def fetch() -> Any:
        return result

    async def main() -> None:
        provider = RefreshingTokenProvider(fetch, clock=FakeClock(NOW))
        with pytest.raises(TokenRefreshError) as info:
            await provider.token_async()
        assert str(info.value) == message

    run(main)


def test_sync_token_from_another_thread_runs_on_the_loop_and_never_blocks_it() -> None:
    clock = FakeClock(NOW)
    fetch = AsyncFetch(clock, delay=0.05)

    async def main() -> List[str]:
        provider = RefreshingTokenProvider(fetch, clock=clock)  # created in the loop: bound to it
        with pytest.raises(RuntimeError, match="token\\(\\) would block the event loop"):
            provider.token()
        from_threads = await asyncio.gather(*(asyncio.to_thread(provider.token) for _ in range(5)))
        return [*from_threads, await provider.token_async()]

    assert run(main) == [fetch.tokens[0]] * 6
    assert fetch.count == 1

    unbound = RefreshingTokenProvider(fetch, clock=clock)
    with pytest.raises(TokenRefreshError, match="^the asyncio token provider has no running event loop to refresh on$"):
        unbound.token()


# --- over grpc.aio -------------------------------------------------------------------------------


def test_auth_client_interceptor_is_four_aio_interceptors() -> None:
    provider = StaticTokenProvider(sign(NOW + 60))
    interceptors = AuthClientInterceptor(provider)
    kinds = (
        grpc.aio.UnaryUnaryClientInterceptor,
        grpc.aio.UnaryStreamClientInterceptor,
        grpc.aio.StreamUnaryClientInterceptor,
        grpc.aio.StreamStreamClientInterceptor,
    )
    assert isinstance(interceptors, tuple) and len(interceptors) == 4
    assert [[isinstance(i, kind) for kind in kinds] for i in interceptors] == [
        [i == j for j in range(4)] for i in range(4)
    ]
    assert interceptors.provider is provider and interceptors.metadata_key == "authorization"
    with pytest.raises(ValueError, match="metadata_key must be"):
        AuthClientInterceptor(provider, metadata_key="Authorization")


@pytest.mark.parametrize("kind", KINDS)
def test_interceptors_send_the_token_on_every_kind(echo: EchoServer, kind: str) -> None:
    clock = FakeClock(NOW)
    fetch = AsyncFetch(clock)

    async def main() -> List[Any]:
        provider = RefreshingTokenProvider(fetch, clock=clock)
        async with grpc.aio.insecure_channel(
            f"127.0.0.1:{echo.insecure_port}", interceptors=AuthClientInterceptor(provider)
        ) as channel:
            return await call_aio(channel, kind)

    assert run(main) == expected_replies(kind, [f"Bearer {fetch.tokens[0]}"], ["ok"])
    assert len(echo.calls()) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_sync_providers_work_through_the_aio_interceptors(echo: EchoServer, kind: str) -> None:
    token = sign(NOW + 60, sub="static")
    tokens = iter([sign(NOW + 60, sub="callable")])

    async def main() -> List[Any]:
        replies = []
        for provider in (StaticTokenProvider(token), CallableTokenProvider(lambda: next(tokens))):
            async with grpc.aio.insecure_channel(
                f"127.0.0.1:{echo.insecure_port}", interceptors=[*AuthClientInterceptor(provider)]
            ) as channel:
                replies.append(await call_aio(channel, kind))
        return replies

    static, from_callable = run(main)
    assert static == expected_replies(kind, [f"Bearer {token}"], ["ok"])
    assert from_callable[0]["verdicts"] == ["ok"] and from_callable[0]["values"] != [f"Bearer {token}"]


def test_a_value_the_caller_sets_is_sent_alone(echo: EchoServer) -> None:
    mine = sign(NOW + 60, sub="mine")

    async def main() -> List[Any]:
        interceptors = AuthClientInterceptor(StaticTokenProvider(sign(NOW + 60, sub="provided")))
        async with grpc.aio.insecure_channel(f"127.0.0.1:{echo.insecure_port}", interceptors=interceptors) as channel:
            return await call_aio(
                channel, "UnaryUnary", metadata=grpc.aio.Metadata(("authorization", f"Bearer {mine}"))
            )

    assert run(main) == expected_replies("UnaryUnary", [f"Bearer {mine}"], ["ok"])


@pytest.mark.parametrize("kind", KINDS)
def test_failed_refresh_fails_aio_calls_unauthenticated(echo: EchoServer, kind: str) -> None:
    clock = FakeClock(NOW)
    fetch = AsyncFetch(clock)
    fetch.fail = ConnectionRefusedError(f"no IdP; cached {sign(NOW + 60)}")

    async def main() -> grpc.aio.AioRpcError:
        provider = RefreshingTokenProvider(fetch, clock=clock)
        async with grpc.aio.insecure_channel(
            f"127.0.0.1:{echo.insecure_port}", interceptors=AuthClientInterceptor(provider)
        ) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call_aio(channel, kind)
            return info.value

    error = run(main)
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error.details() == "token refresh failed (ConnectionRefusedError)"
    assert echo.calls() == []


def test_failed_refresh_is_the_call_status_too(echo: EchoServer) -> None:
    async def main() -> List[Any]:
        provider = CallableTokenProvider(lambda: "not a token")
        async with grpc.aio.insecure_channel(
            f"127.0.0.1:{echo.insecure_port}", interceptors=AuthClientInterceptor(provider)
        ) as channel:
            call = channel.unary_unary("/echo.Echo/UnaryUnary")(b"a", timeout=10)
            with pytest.raises(grpc.aio.AioRpcError):
                await call
            return [await call.code(), await call.details()]

    assert run(main) == [
        grpc.StatusCode.UNAUTHENTICATED,
        "the token provider returned something that is not a bearer token (str; RFC 6750 b64token characters expected)",
    ]
    assert echo.calls() == []


@pytest.mark.parametrize("kind", KINDS)
def test_call_credentials_with_the_async_provider_over_tls(echo: EchoServer, kind: str) -> None:
    # The credentials plugin runs on a gRPC thread; the async provider's
    # token() hands the fetch to its loop.
    clock = FakeClock(NOW)
    fetch = AsyncFetch(clock, delay=0.05)

    async def main() -> List[Any]:
        provider = RefreshingTokenProvider(fetch, clock=clock)
        creds = echo.tls_credentials(TokenCallCredentials(provider))
        async with grpc.aio.secure_channel(f"127.0.0.1:{echo.tls_port}", creds) as channel:
            return await call_aio(channel, kind)

    assert run(main) == expected_replies(kind, [f"Bearer {fetch.tokens[0]}"], ["ok"])


# --- the test for asyncio: 50 concurrent tasks across a token expiry ---------------------


@pytest.mark.parametrize("transport", ["interceptor", "call-credentials+tls", "sync-provider"])
def test_fifty_tasks_across_an_expiry_cause_one_refresh(echo: EchoServer, clock: FakeClock, transport: str) -> None:
    fetch: Any
    if transport == "sync-provider":
        fetch = CountingFetch(clock, lifetime=60, delay=0.3)
    else:
        fetch = AsyncFetch(clock, lifetime=60, delay=0.3)

    async def main() -> List[Any]:
        if transport == "sync-provider":
            provider: Any = fastjwt.grpc.RefreshingTokenProvider(fetch, margin=5, clock=clock)
        else:
            provider = RefreshingTokenProvider(fetch, margin=5, clock=clock)
        if transport == "call-credentials+tls":
            channel = grpc.aio.secure_channel(
                f"127.0.0.1:{echo.tls_port}", echo.tls_credentials(TokenCallCredentials(provider))
            )
        else:
            channel = grpc.aio.insecure_channel(
                f"127.0.0.1:{echo.insecure_port}", interceptors=AuthClientInterceptor(provider)
            )
        async with channel:
            await call_aio(channel, "UnaryUnary")
            clock.set(NOW + 60)  # the first token's exp
            echo.reset()
            return await asyncio.gather(*(call_aio(channel, KINDS[i % 4]) for i in range(50)))

    results = run(main)
    assert fetch.count == 2  # the first token, then exactly one refresh for all fifty
    seen = echo.calls()
    assert len(seen) == 50
    assert {s.values for s in seen} == {(f"Bearer {fetch.tokens[1]}",)}
    assert {s.verdicts for s in seen} == {("ok",)}  # unexpired at receipt
    assert all(reply["verdicts"] == ["ok"] for replies in results for reply in replies)
    # The setup is really across an expiry: by the server's clock the first token has expired.
    with pytest.raises(fastjwt.ExpiredSignatureError):
        fastjwt.Validator(SECRET, algorithms=["HS256"], audience=AUDIENCE, clock=clock).decode(fetch.tokens[0])


def test_an_aio_server_sees_the_same(clock: FakeClock) -> None:
    """A grpc.aio server on the other side changes nothing (the provider's loop serves both)."""
    validator = fastjwt.Validator(SECRET, algorithms=["HS256"], audience=AUDIENCE, clock=clock)
    fetch = AsyncFetch(clock)
    received: List[str] = []

    async def main() -> None:
        async def echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            (value,) = [v for k, v in context.invocation_metadata() if k == "authorization"]
            validator.decode(value.removeprefix("Bearer "))  # raises (the call fails) if invalid
            received.append(value)
            return b"ok"

        server = grpc.aio.server()
        server.add_generic_rpc_handlers(
            (
                grpc.method_handlers_generic_handler(
                    "echo.Echo", {"UnaryUnary": grpc.unary_unary_rpc_method_handler(echo)}
                ),
            )
        )
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:
            provider = RefreshingTokenProvider(fetch, clock=clock)
            async with grpc.aio.insecure_channel(
                f"127.0.0.1:{port}", interceptors=AuthClientInterceptor(provider)
            ) as channel:
                await asyncio.gather(
                    *(channel.unary_unary("/echo.Echo/UnaryUnary")(b"a", timeout=10) for _ in range(20))
                )
        finally:
            await server.stop(None)

    run(main)
    assert received == [f"Bearer {fetch.tokens[0]}"] * 20
    assert fetch.count == 1


def test_end_to_end_fifty_tasks_across_an_expiry_with_the_aio_auth_interceptor(clock: FakeClock) -> None:
    """Client and server both fastjwt, both grpc.aio: one refresh, fifty calls allowed, claims in handlers."""
    fetch = AsyncFetch(clock, lifetime=60, delay=0.3, scope="echo")
    decisions: List[Any] = []

    async def main() -> List[Any]:
        validator = fastjwt.Validator(SECRET, algorithms=["HS256"], audience=AUDIENCE, clock=clock)
        interceptor = fastjwt.grpc.aio.AuthInterceptor(
            validator, {"/echo.Echo/*": {"scopes": ["echo"]}}, on_decision=decisions.append
        )
        server, port, seen = await start_aio_echo_server([interceptor])
        try:
            provider = RefreshingTokenProvider(fetch, margin=5, clock=clock)
            async with grpc.aio.insecure_channel(
                f"127.0.0.1:{port}", interceptors=AuthClientInterceptor(provider)
            ) as channel:
                await call_aio(channel, "UnaryUnary")
                clock.set(NOW + 60)
                seen.clear()
                decisions.clear()
                await asyncio.gather(*(call_aio(channel, KINDS[i % 4]) for i in range(50)))
        finally:
            await server.stop(None)
        return seen

    seen = run(main)
    assert fetch.count == 2
    assert sorted((d.method, d.outcome) for d in decisions) == sorted(
        (method(KINDS[i % 4]), "allowed") for i in range(50)
    )
    assert [s.subject for s in seen] == ["aio-1"] * 50
