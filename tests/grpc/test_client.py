"""fastjwt.grpc client side: token providers, TokenCallCredentials over real TLS, the sync interceptor.

Every gRPC test talks to a real server on 127.0.0.1 (tests/grpc/_client_support.py)
that checks each received token with a fastjwt.Validator at receipt.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from concurrent import futures
from datetime import datetime, timezone
from typing import Any, Iterator, List, Tuple

import grpc
import pytest
from _client_support import (
    AUDIENCE,
    KINDS,
    SECRET,
    CountingFetch,
    EchoServer,
    FakeClock,
    call_sync,
    expected_replies,
    method,
    sign,
    start_echo_server,
)

import fastjwt
from fastjwt.grpc import (
    AuthClientInterceptor,
    AuthInterceptor,
    CallableTokenProvider,
    RefreshingTokenProvider,
    StaticTokenProvider,
    TokenCallCredentials,
    TokenProvider,
    TokenRefreshError,
)

pytestmark = pytest.mark.network

NOW = 1_900_000_000.0


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    """The server's clock for the whole module; tests set it as they need."""
    return FakeClock()


@pytest.fixture(scope="module")
def echo(clock: FakeClock) -> Iterator[EchoServer]:
    server = start_echo_server(clock, metadata_keys=("authorization", "x-token"))
    try:
        yield server
    finally:
        server.server.stop(None)


@pytest.fixture(autouse=True)
def _fresh(echo: EchoServer, clock: FakeClock) -> None:
    echo.reset()
    clock.set(NOW)


# --- providers, without gRPC -------------------------------------------------------------------


def test_static_provider_hands_out_its_token() -> None:
    token = sign(NOW + 60)
    provider = StaticTokenProvider(token)
    assert provider.token() == token
    assert asyncio.run(provider.token_async()) == token
    assert isinstance(provider, TokenProvider)
    assert token not in repr(provider)


@pytest.mark.parametrize("bad", ["", "two words", "tab\there", "line\nbreak", "Bearer x y", "é", "=abc"])
def test_static_provider_refuses_what_cannot_follow_bearer(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        StaticTokenProvider(bad)
    assert str(info.value) == (
        "StaticTokenProvider needs a bearer token (str; RFC 6750 b64token characters expected)"
    )


def test_callable_provider_calls_each_time_and_wraps_failures() -> None:
    tokens = iter([sign(NOW + 60, sub="a"), sign(NOW + 60, sub="b")])
    provider = CallableTokenProvider(lambda: next(tokens))
    first, second = provider.token(), asyncio.run(provider.token_async())
    assert fastjwt.decode(first, options={"verify_signature": False})["sub"] == "a"
    assert fastjwt.decode(second, options={"verify_signature": False})["sub"] == "b"

    secret_token = sign(NOW + 60)

    def broken() -> str:
        raise ConnectionError(f"the vault said no to {secret_token}")

    with pytest.raises(TokenRefreshError) as info:
        CallableTokenProvider(broken).token()
    assert str(info.value) == "the token callable failed (ConnectionError)"
    assert isinstance(info.value.__cause__, ConnectionError)
    with pytest.raises(TokenRefreshError, match="not a bearer token"):
        CallableTokenProvider(lambda: None).token()  # type: ignore[arg-type, return-value]
    with pytest.raises(TypeError):
        CallableTokenProvider("not callable")  # type: ignore[arg-type]


def test_token_refresh_error_is_a_pyjwt_error_not_an_invalid_token() -> None:
    assert issubclass(TokenRefreshError, fastjwt.PyJWTError)
    assert not issubclass(TokenRefreshError, fastjwt.InvalidTokenError)


def test_refreshing_provider_fetches_once_then_again_margin_seconds_before_exp() -> None:
    clock = FakeClock(NOW)
    fetch = CountingFetch(clock, lifetime=300)
    provider = RefreshingTokenProvider(fetch, margin=30, clock=clock)
    assert fetch.count == 0  # nothing fetched before it is needed
    first = provider.token()
    clock.set(NOW + 269.9)
    assert provider.token() == first
    assert fetch.count == 1
    clock.set(NOW + 270)  # exp - margin
    second = provider.token()
    assert second != first and fetch.count == 2
    assert fastjwt.decode(second, options={"verify_signature": False})["exp"] == NOW + 570


def test_refreshing_provider_refreshes_short_lived_tokens_halfway() -> None:
    clock = FakeClock(NOW)
    fetch = CountingFetch(clock, lifetime=10)  # shorter than the margin
    provider = RefreshingTokenProvider(fetch, margin=30, clock=clock)
    first = provider.token()
    clock.set(NOW + 4.9)
    assert provider.token() == first
    clock.set(NOW + 5)
    assert provider.token() != first
    assert fetch.count == 2


@pytest.mark.parametrize(
    "expires_at",
    [NOW + 100, int(NOW) + 100, datetime.fromtimestamp(NOW + 100, timezone.utc)],
    ids=["float", "int", "datetime"],
)
def test_refreshing_provider_takes_expires_at_from_fetch(expires_at: Any) -> None:
    clock = FakeClock(NOW)
    calls: List[int] = []

    def fetch() -> Any:
        calls.append(1)
        return ("opaque-token-" + str(len(calls)), expires_at)  # not a JWT: the pair says when

    provider = RefreshingTokenProvider(fetch, margin=10, clock=clock)
    assert provider.token() == "opaque-token-1"
    clock.set(NOW + 89.9)
    assert provider.token() == "opaque-token-1"
    clock.set(NOW + 90)  # exp - margin: the next fetch (same expiry, still valid) is used
    assert provider.token() == "opaque-token-2"
    clock.set(NOW + 94.9)  # its refresh time is halfway through its remaining 10 s
    assert provider.token() == "opaque-token-2"
    assert len(calls) == 2


def test_refreshing_provider_keeps_tokens_without_expiry_until_invalidated() -> None:
    clock = FakeClock(NOW)
    fetched: List[str] = []

    def fetch() -> Any:
        fetched.append(sign(None, sub=f"s{len(fetched)}"))
        return fetched[-1]

    provider = RefreshingTokenProvider(fetch, clock=clock)
    first = provider.token()
    clock.set(NOW + 10**9)
    assert provider.token() == first
    provider.invalidate()
    assert provider.token() == fetched[1] != first

    never = RefreshingTokenProvider(lambda: ("opaque", None), clock=clock)
    assert never.token() == "opaque"


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (
            "opaque-not-a-jwt",
            "the token fetched is not a JWT whose expiry can be read; return (token, expires_at) from fetch",
        ),
        (sign(NOW - 1), "the token fetched has already expired"),
        (sign(NOW), "the token fetched has already expired"),
        (("opaque", NOW), "the token fetched has already expired"),
        (fastjwt.encode({"exp": "tomorrow"}, b"k" * 32), "the token fetched has an exp claim that is not a number"),
        (("opaque", "tomorrow"), "fetch returned an expires_at that is not a time (str)"),
        (("opaque", True), "fetch returned an expires_at that is not a time (bool)"),
        (("opaque", datetime(2030, 1, 1)), "fetch returned a naive datetime as expires_at; use an aware one"),
        (("a", 1.0, 2.0), "fetch must return a token or a (token, expires_at) pair"),
        (
            b"bytes",
            "the token provider returned something that is not a bearer token"
            " (bytes; RFC 6750 b64token characters expected)",
        ),
        (
            "has space",
            "the token provider returned something that is not a bearer token"
            " (str; RFC 6750 b64token characters expected)",
        ),
    ],
)
def test_refreshing_provider_refuses_unusable_fetch_results(result: Any, message: str) -> None:
    provider = RefreshingTokenProvider(lambda: result, clock=FakeClock(NOW))
    with pytest.raises(TokenRefreshError) as info:
        provider.token()
    assert str(info.value) == message


@pytest.mark.parametrize("margin", [-1, float("nan"), "30", True])
def test_refreshing_provider_margin_is_checked(margin: Any) -> None:
    with pytest.raises(ValueError, match="margin must be a number of seconds >= 0"):
        RefreshingTokenProvider(lambda: "x", margin=margin)


def test_failed_refresh_without_a_valid_token_raises_without_the_cause_text() -> None:
    clock = FakeClock(NOW)
    leaked = sign(NOW + 60)
    fetch = CountingFetch(clock)
    fetch.fail = RuntimeError(f"token endpoint returned 500: {leaked}")
    provider = RefreshingTokenProvider(fetch, clock=clock)
    with pytest.raises(TokenRefreshError) as info:
        provider.token()
    assert str(info.value) == "token refresh failed (RuntimeError)"
    assert info.value.__cause__ is fetch.fail
    # No valid token held: the next call tries again at once (one at a time).
    fetch.fail = None
    assert provider.token() == fetch.tokens[0]
    assert fetch.count == 2


def test_failed_early_refresh_keeps_the_still_valid_token_and_backs_off() -> None:
    clock = FakeClock(NOW)
    fetch = CountingFetch(clock, lifetime=60)
    provider = RefreshingTokenProvider(fetch, margin=30, clock=clock)
    first = provider.token()
    fetch.fail = OSError("down")
    clock.set(NOW + 40)  # in the margin: refresh due, token still valid
    assert provider.token() == first
    assert fetch.count == 2
    clock.set(NOW + 40.5)
    assert provider.token() == first  # within the 1 s back-off: not asked again
    assert fetch.count == 2
    clock.set(NOW + 41)
    assert provider.token() == first
    assert fetch.count == 3
    clock.set(NOW + 60)  # expired now: never handed out
    with pytest.raises(TokenRefreshError, match=r"^token refresh failed \(OSError\)$"):
        provider.token()
    fetch.fail = None
    assert provider.token() == fetch.tokens[1]


def test_threads_waiting_for_one_failing_fetch_share_its_failure() -> None:
    clock = FakeClock(NOW)
    gate = threading.Event()
    started = threading.Event()
    calls: List[int] = []

    def fetch() -> str:
        calls.append(1)
        started.set()
        assert gate.wait(10)
        raise TimeoutError("slow IdP")

    provider = RefreshingTokenProvider(fetch, clock=clock)
    errors: List[BaseException] = []

    def caller() -> None:
        try:
            provider.token()
        except TokenRefreshError as err:
            errors.append(err)

    threads = [threading.Thread(target=caller) for _ in range(10)]
    for thread in threads:
        thread.start()
    assert started.wait(10)
    time.sleep(0.2)  # let the other nine reach the wait
    gate.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1
    assert [str(err) for err in errors] == ["token refresh failed (TimeoutError)"] * 10


def test_sync_provider_token_async_fetches_once_for_fifty_tasks() -> None:
    clock = FakeClock(NOW)
    fetch = CountingFetch(clock, delay=0.2)
    provider = RefreshingTokenProvider(fetch, clock=clock)

    async def main() -> List[str]:
        return await asyncio.gather(*(provider.token_async() for _ in range(50)))

    tokens = asyncio.run(main())
    assert fetch.count == 1
    assert set(tokens) == {fetch.tokens[0]}


def test_sync_provider_token_async_holds_one_executor_thread_while_it_fetches() -> None:
    clock = FakeClock(NOW)
    release = threading.Event()
    fetched: List[str] = []

    def fetch() -> str:
        assert release.wait(10)  # blocked until the loop could use its executor for something else
        fetched.append(sign(NOW + 60))
        return fetched[-1]

    provider = RefreshingTokenProvider(fetch, clock=clock)

    async def main() -> List[str]:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(futures.ThreadPoolExecutor(max_workers=2))
        waiting = [asyncio.ensure_future(provider.token_async()) for _ in range(50)]
        await asyncio.sleep(0.05)
        waiting[0].cancel()  # one task gives up: the others still get the token
        assert await loop.run_in_executor(None, lambda: "a free executor thread") == "a free executor thread"
        release.set()
        return await asyncio.gather(*waiting[1:])

    assert asyncio.run(main()) == fetched * 49
    assert len(fetched) == 1


# --- over gRPC -----------------------------------------------------------------------------------


def _tls_channel(echo: EchoServer, provider: Any, **kwargs: Any) -> grpc.Channel:
    creds = echo.tls_credentials(TokenCallCredentials(provider, **kwargs))
    return grpc.secure_channel(f"127.0.0.1:{echo.tls_port}", creds)


def _intercepted(echo: EchoServer, provider: Any, **kwargs: Any) -> grpc.Channel:
    return grpc.intercept_channel(
        grpc.insecure_channel(f"127.0.0.1:{echo.insecure_port}"), AuthClientInterceptor(provider, **kwargs)
    )


@pytest.mark.parametrize("kind", KINDS)
def test_call_credentials_over_tls_send_the_token_on_every_kind(echo: EchoServer, kind: str) -> None:
    token = sign(NOW + 60)
    with _tls_channel(echo, StaticTokenProvider(token)) as channel:
        replies = call_sync(channel, kind)
    assert replies == expected_replies(kind, [f"Bearer {token}"], ["ok"])
    assert [seen.method for seen in echo.calls()] == [method(kind)]


@pytest.mark.parametrize("kind", KINDS)
def test_interceptor_sends_the_token_on_every_kind(echo: EchoServer, kind: str) -> None:
    tokens = [sign(NOW + 60, sub=f"c{i}") for i in range(2)]
    sent = iter(tokens)
    with _intercepted(echo, CallableTokenProvider(lambda: next(sent))) as channel:
        first = call_sync(channel, kind)
        second = call_sync(channel, kind)
    assert first == expected_replies(kind, [f"Bearer {tokens[0]}"], ["ok"])
    assert second == expected_replies(kind, [f"Bearer {tokens[1]}"], ["ok"])


@pytest.mark.parametrize("kind", KINDS)
def test_interceptor_works_on_tls_channels_too_with_a_custom_key(echo: EchoServer, kind: str) -> None:
    token = sign(NOW + 60)
    channel = grpc.secure_channel(
        f"127.0.0.1:{echo.tls_port}", grpc.ssl_channel_credentials(root_certificates=echo.pki.ca.cert_pem)
    )
    with grpc.intercept_channel(
        channel, AuthClientInterceptor(StaticTokenProvider(token), metadata_key="x-token")
    ) as ch:
        replies = call_sync(ch, kind)
    assert replies == expected_replies(kind, [f"Bearer {token}"], ["ok"])


def test_a_value_the_caller_sets_is_sent_alone(echo: EchoServer) -> None:
    mine, provided = sign(NOW + 60, sub="mine"), sign(NOW + 60, sub="provided")
    with _intercepted(echo, StaticTokenProvider(provided)) as channel:
        replies = call_sync(channel, "UnaryUnary", metadata=(("authorization", f"Bearer {mine}"),))
        other = call_sync(channel, "UnaryUnary", metadata=(("x-request-id", "1"),))
    assert replies == expected_replies("UnaryUnary", [f"Bearer {mine}"], ["ok"])
    assert other == expected_replies("UnaryUnary", [f"Bearer {provided}"], ["ok"])


@pytest.mark.parametrize("key", ["Authorization", "auth-bin", "", "a b"])
def test_metadata_key_is_checked(key: str) -> None:
    with pytest.raises(ValueError, match="metadata_key must be a lower-case ASCII gRPC metadata key"):
        AuthClientInterceptor(StaticTokenProvider("t"), metadata_key=key)
    with pytest.raises(ValueError, match="metadata_key must be a lower-case ASCII gRPC metadata key"):
        TokenCallCredentials(StaticTokenProvider("t"), metadata_key=key)


def test_grpc_refuses_call_credentials_on_an_insecure_channel(echo: EchoServer) -> None:
    # Documented: TokenCallCredentials never sends a token in clear text; the
    # interceptor is the tool for plain loopback channels.
    token = sign(NOW + 60)
    with grpc.insecure_channel(f"127.0.0.1:{echo.insecure_port}") as channel:
        with pytest.raises(grpc.RpcError) as info:
            channel.unary_unary(method("UnaryUnary"))(
                b"a", timeout=10, credentials=TokenCallCredentials(StaticTokenProvider(token))
            )
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert info.value.details() == (
        "Established channel does not have a sufficient security level to transfer call credential."
    )
    assert echo.calls() == []


def test_call_credentials_work_with_local_credentials(echo: EchoServer) -> None:
    token = sign(NOW + 60)
    creds = grpc.composite_channel_credentials(
        grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP),
        TokenCallCredentials(StaticTokenProvider(token)),
    )
    with grpc.secure_channel(f"127.0.0.1:{echo.local_port}", creds) as channel:
        replies = call_sync(channel, "UnaryUnary")
    assert replies == expected_replies("UnaryUnary", [f"Bearer {token}"], ["ok"])


def _failing_provider(clock: FakeClock) -> RefreshingTokenProvider:
    fetch = CountingFetch(clock)
    fetch.fail = ConnectionRefusedError(f"could not reach the IdP; last token was {sign(NOW + 60)}")
    return RefreshingTokenProvider(fetch, clock=clock)


@pytest.mark.parametrize("kind", KINDS)
def test_failed_refresh_fails_intercepted_calls_unauthenticated(echo: EchoServer, clock: FakeClock, kind: str) -> None:
    with _intercepted(echo, _failing_provider(clock)) as channel:
        with pytest.raises(grpc.RpcError) as info:
            call_sync(channel, kind)
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert info.value.details() == "token refresh failed (ConnectionRefusedError)"
    assert echo.calls() == []  # nothing was sent


def test_failed_refresh_fails_future_and_with_call_too(echo: EchoServer, clock: FakeClock) -> None:
    with _intercepted(echo, _failing_provider(clock)) as channel:
        future = channel.unary_unary(method("UnaryUnary")).future(b"a", timeout=10)
        assert future.done() and future.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as info:
            future.result()
        assert info.value.details() == "token refresh failed (ConnectionRefusedError)"
        with pytest.raises(grpc.RpcError) as info:
            channel.stream_unary(method("StreamUnary")).with_call(iter([b"a"]), timeout=10)
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert echo.calls() == []


@pytest.mark.parametrize("kind", KINDS)
def test_failed_refresh_fails_calls_with_call_credentials(echo: EchoServer, clock: FakeClock, kind: str) -> None:
    # gRPC core ends every call whose metadata plugin fails with UNAVAILABLE,
    # whatever the plugin reports; the reason is ours and has no token in it.
    with _tls_channel(echo, _failing_provider(clock)) as channel:
        with pytest.raises(grpc.RpcError) as info:
            call_sync(channel, kind)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert info.value.details() == (
        "Getting metadata from plugin failed with error: token refresh failed (ConnectionRefusedError)"
    )
    assert echo.calls() == []


def test_a_third_party_provider_failure_is_reported_by_class(echo: EchoServer) -> None:
    class Broken:
        def token(self) -> str:
            raise KeyError(sign(NOW + 60))

        async def token_async(self) -> str:
            raise KeyError(sign(NOW + 60))

    with _intercepted(echo, Broken()) as channel:
        with pytest.raises(grpc.RpcError) as info:
            call_sync(channel, "UnaryUnary")
    assert (info.value.code(), info.value.details()) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "the token provider failed (KeyError)",
    )
    with _tls_channel(echo, Broken()) as channel:
        with pytest.raises(grpc.RpcError) as info:
            call_sync(channel, "UnaryUnary")
    assert (
        info.value.details() == "Getting metadata from plugin failed with error: the token provider failed (KeyError)"
    )
    assert echo.calls() == []


# --- the test: 50 concurrent calls across a token expiry ---------------------------------


def _fifty_concurrent(channel: grpc.Channel) -> List[List[Any]]:
    barrier = threading.Barrier(50)

    def one(i: int) -> List[Any]:
        barrier.wait(10)
        return call_sync(channel, KINDS[i % 4])

    with futures.ThreadPoolExecutor(max_workers=50) as pool:
        return list(pool.map(one, range(50)))


@pytest.mark.parametrize("transport", ["call-credentials+tls", "interceptor"])
def test_fifty_calls_across_an_expiry_cause_one_refresh(echo: EchoServer, clock: FakeClock, transport: str) -> None:
    fetch = CountingFetch(clock, lifetime=60, delay=0.3)  # slow: the callers overlap the fetch
    provider = RefreshingTokenProvider(fetch, margin=5, clock=clock)
    make = _tls_channel if transport == "call-credentials+tls" else _intercepted
    with make(echo, provider) as channel:
        assert call_sync(channel, "UnaryUnary")[0]["verdicts"] == ["ok"]
        clock.set(NOW + 60)  # the first token's exp: expired for client and server alike
        echo.reset()
        results = _fifty_concurrent(channel)
    assert fetch.count == 2  # the first token, then exactly one refresh for all fifty
    seen = echo.calls()
    assert len(seen) == 50
    assert {s.values for s in seen} == {(f"Bearer {fetch.tokens[1]}",)}
    assert {s.verdicts for s in seen} == {("ok",)}  # valid at receipt, by the server's Validator
    assert all(reply["verdicts"] == ["ok"] for replies in results for reply in replies)
    # The setup is really across an expiry: the first token is refused by now.
    with _intercepted(echo, StaticTokenProvider(fetch.tokens[0])) as channel:
        assert call_sync(channel, "UnaryUnary")[0]["verdicts"] == ["ExpiredSignatureError"]


def test_fifty_calls_in_the_margin_get_a_valid_token_and_one_refresh(echo: EchoServer, clock: FakeClock) -> None:
    fetch = CountingFetch(clock, lifetime=60, delay=0.3)
    provider = RefreshingTokenProvider(fetch, margin=30, clock=clock)
    with _tls_channel(echo, provider) as channel:
        call_sync(channel, "UnaryUnary")
        clock.set(NOW + 45)  # refresh due, old token still valid: nobody waits for the fetch
        echo.reset()
        _fifty_concurrent(channel)
    assert fetch.count == 2
    seen = echo.calls()
    assert len(seen) == 50
    assert {s.values[0] for s in seen} <= {f"Bearer {t}" for t in fetch.tokens}
    assert {s.verdicts for s in seen} == {("ok",)}


def test_fifty_calls_across_a_real_expiry() -> None:
    """The same with the real clock: a 1.5-second token, then a long one, checked by a real-time Validator."""
    server = start_echo_server(time.time)
    try:
        fetch = CountingFetch(time.time, lifetime=1.5, delay=0.2)
        provider = RefreshingTokenProvider(fetch, margin=0.2)  # default clock: time.time
        with _tls_channel(server, provider) as channel:
            assert call_sync(channel, "UnaryUnary")[0]["verdicts"] == ["ok"]
            fetch.lifetime = 60.0  # the next token outlives the test however slow the machine
            first_exp = fastjwt.decode(fetch.tokens[0], options={"verify_signature": False})["exp"]
            time.sleep(max(0.0, first_exp - time.time()) + 0.05)  # past the first token's expiry
            server.reset()
            _fifty_concurrent(channel)
        assert fetch.count == 2
        seen = server.calls()
        assert len(seen) == 50
        assert {s.values for s in seen} == {(f"Bearer {fetch.tokens[1]}",)}
        assert {s.verdicts for s in seen} == {("ok",)}
    finally:
        server.server.stop(None)


def test_expiry_math_is_exact_at_the_boundary() -> None:
    clock = FakeClock(NOW)
    provider = RefreshingTokenProvider(lambda: ("opaque", NOW + 60), margin=0, clock=clock)
    assert provider.token() == "opaque"
    clock.set(math.nextafter(NOW + 60, 0))
    assert provider.token() == "opaque"
    clock.set(NOW + 60)
    with pytest.raises(TokenRefreshError, match="the token fetched has already expired"):
        provider.token()



# --- end to end with fastjwt's own server interceptor ----------------------------------------------


@pytest.fixture(scope="module")
def guarded(clock: FakeClock) -> Iterator[Tuple[EchoServer, List[Any]]]:
    """The echo server behind fastjwt.grpc.AuthInterceptor (scope "echo" required), and its decisions."""
    decisions: List[Any] = []
    validator = fastjwt.Validator(SECRET, algorithms=["HS256"], audience=AUDIENCE, clock=clock)
    interceptor = AuthInterceptor(validator, {"/echo.Echo/*": {"scopes": ["echo"]}}, on_decision=decisions.append)
    server = start_echo_server(clock, interceptors=[interceptor])
    try:
        yield server, decisions
    finally:
        server.server.stop(None)


@pytest.fixture(autouse=True)
def _fresh_guarded(request: pytest.FixtureRequest) -> None:
    if "guarded" in request.fixturenames:
        server, decisions = request.getfixturevalue("guarded")
        server.reset()
        decisions.clear()


@pytest.mark.parametrize("transport", ["call-credentials+tls", "interceptor"])
def test_end_to_end_fifty_calls_across_an_expiry_all_allowed(
    guarded: Tuple[EchoServer, List[Any]], clock: FakeClock, transport: str
) -> None:
    server, decisions = guarded
    fetch = CountingFetch(clock, lifetime=60, delay=0.3, scope="echo")
    provider = RefreshingTokenProvider(fetch, margin=5, clock=clock)
    make = _tls_channel if transport == "call-credentials+tls" else _intercepted
    with make(server, provider) as channel:
        call_sync(channel, "UnaryUnary")
        clock.set(NOW + 60)
        server.reset()
        decisions.clear()
        _fifty_concurrent(channel)
    assert fetch.count == 2
    assert sorted((d.method, d.outcome, d.reason) for d in decisions) == sorted(
        (method(KINDS[i % 4]), "allowed", None) for i in range(50)
    )
    assert {s.subject for s in server.calls()} == {"client-1"}  # current_claims() in every handler


def test_end_to_end_a_failed_refresh_never_reaches_the_server(
    guarded: Tuple[EchoServer, List[Any]], clock: FakeClock
) -> None:
    server, decisions = guarded
    with _intercepted(server, _failing_provider(clock)) as channel:
        for kind in KINDS:
            with pytest.raises(grpc.RpcError) as info:
                call_sync(channel, kind)
            assert (info.value.code(), info.value.details()) == (
                grpc.StatusCode.UNAUTHENTICATED,
                "token refresh failed (ConnectionRefusedError)",
            )
    assert decisions == []
    assert server.calls() == []


def test_end_to_end_the_server_status_reaches_the_caller(
    guarded: Tuple[EchoServer, List[Any]], clock: FakeClock
) -> None:
    server, decisions = guarded
    with _tls_channel(server, RefreshingTokenProvider(CountingFetch(clock), clock=clock)) as channel:  # no scope
        with pytest.raises(grpc.RpcError) as info:
            call_sync(channel, "UnaryUnary")
    assert (info.value.code(), info.value.details()) == (grpc.StatusCode.PERMISSION_DENIED, "missing scope")
    assert [(d.outcome, d.reason) for d in decisions] == [("permission_denied", "missing scope")]
    assert server.calls() == []
