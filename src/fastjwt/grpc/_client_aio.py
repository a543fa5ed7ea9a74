"""The client side for ``grpc.aio``: an async refreshing provider and the interceptors.

``grpc.aio`` sorts a channel's interceptors by their first matching kind, so
one object cannot serve all four: :class:`AuthClientInterceptor` is a tuple
of four, one per kind, passed as the channel's ``interceptors``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import time
from typing import Any, Awaitable, Callable, Optional, Tuple

import grpc
import grpc.aio

from ._client import (
    _RETRY_AFTER_FAILURE,
    FetchResult,
    TokenProvider,
    TokenRefreshError,
    _bearer,
    _check_margin,
    _check_metadata_key,
    _check_token,
    _Held,
    _hold,
    _provider_failure,
    _refresh_failure,
)

__all__ = ["AuthClientInterceptor", "RefreshingTokenProvider"]


class RefreshingTokenProvider:
    """:class:`fastjwt.grpc.RefreshingTokenProvider` with an ``async`` fetch.

    ``await fetch()`` returns a token or ``(token, expires_at)``; the rules
    are the synchronous provider's: refreshed ``margin`` seconds before expiry,
    one fetch in flight however many tasks wait (they share its outcome; a
    task cancelled while waiting does not cancel the fetch), a token known to
    be expired never handed out, a failed fetch raises
    :class:`~fastjwt.grpc.TokenRefreshError`.

    It belongs to one event loop at a time: the loop it was created in, or
    the last one that awaited it. ``token()`` (for ``TokenCallCredentials``,
    whose plugin runs on a gRPC thread) hands the work to that loop and waits;
    called on the loop's own thread it raises instead of deadlocking.
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[FetchResult]],
        *,
        margin: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Nothing is fetched until the first call needs a token."""
        if not callable(fetch):
            raise TypeError("fetch must be an async callable")
        self._fetch = fetch
        self._margin = _check_margin(margin)
        self._clock = clock
        self._held: Optional[_Held] = None
        self._task: Optional[asyncio.Task[_Held]] = None
        self._retry_at = -math.inf
        try:
            self._loop: Optional[asyncio.AbstractEventLoop] = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    async def token_async(self) -> str:
        """A valid token: the held one, or a new one (this task may wait for the fetch)."""
        held = self._held
        now = self._clock()
        if held is not None and now < held.refresh_at:
            return held.value
        loop = asyncio.get_running_loop()
        self._loop = loop
        usable = held is not None and now < held.expires_at
        task = self._task
        if task is None:
            if usable and now < self._retry_at:
                assert held is not None
                return held.value
            task = self._task = loop.create_task(self._refresh())
            # Read the outcome even if every waiter was cancelled: no
            # "exception was never retrieved" report for a failed fetch.
            task.add_done_callback(_consume)
        elif usable:
            assert held is not None
            return held.value  # another task is fetching; this token still works
        elif task.get_loop() is not loop:
            raise RuntimeError("this RefreshingTokenProvider is refreshing on another event loop")
        try:
            # shield: a caller cancelled while waiting must not cancel the
            # fetch every other caller waits for.
            held = await asyncio.shield(task)
        except TokenRefreshError as err:
            current = self._held
            if current is not None and self._clock() < current.expires_at:
                return current.value  # an early refresh failed; the current token still works
            raise TokenRefreshError(str(err)) from err.__cause__
        return held.value

    def token(self) -> str:
        """For callers outside the loop (gRPC's credential-plugin threads)."""
        held = self._held
        if held is not None and self._clock() < held.refresh_at:
            return held.value
        loop = self._loop
        if loop is None or loop.is_closed() or not loop.is_running():
            raise TokenRefreshError(
                "the asyncio token provider has no running event loop to refresh on"
            )
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            raise RuntimeError("token() would block the event loop: await token_async()")
        future: concurrent.futures.Future[str] = asyncio.run_coroutine_threadsafe(self.token_async(), loop)
        return future.result()

    def invalidate(self) -> None:
        """Forget the held token: the next call fetches (e.g. after the server refused it)."""
        self._held = None
        self._retry_at = -math.inf

    async def _refresh(self) -> _Held:
        try:
            try:
                result = await self._fetch()
            except Exception as err:
                raise _refresh_failure(err)  # noqa: B904 - the cause is set
            held = _hold(result, self._clock(), self._margin)
        except TokenRefreshError:
            self._retry_at = self._clock() + _RETRY_AFTER_FAILURE
            raise
        finally:
            self._task = None
        self._held = held
        return held


def _consume(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


def _refused(details: str) -> grpc.aio.AioRpcError:
    """The error an intercepted call ends with when no token could be had (nothing sent)."""
    return grpc.aio.AioRpcError(
        grpc.StatusCode.UNAUTHENTICATED, grpc.aio.Metadata(), grpc.aio.Metadata(), details=details
    )


class _Base:
    """The shared part of the four interceptors: add the token to the call details."""

    def __init__(self, provider: TokenProvider, metadata_key: str) -> None:
        self._provider = provider
        self._key = metadata_key

    async def _with_token(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata()
        for key, value in details.metadata or ():
            metadata.add(key, value)
        if self._key not in metadata:
            try:
                token = _check_token(await self._provider.token_async())
            except Exception as err:
                raise _refused(_provider_failure(err)) from None
            metadata.add(self._key, _bearer(token))
        return grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )


class _UnaryUnary(_Base, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(await self._with_token(client_call_details), request)


class _UnaryStream(_Base, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(await self._with_token(client_call_details), request)


class _StreamUnary(_Base, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation: Any, client_call_details: Any, request_iterator: Any) -> Any:
        return await continuation(await self._with_token(client_call_details), request_iterator)


class _StreamStream(_Base, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation: Any, client_call_details: Any, request_iterator: Any) -> Any:
        return await continuation(await self._with_token(client_call_details), request_iterator)


class AuthClientInterceptor(Tuple[grpc.aio.ClientInterceptor, ...]):
    """The four ``grpc.aio`` client interceptors that add ``Bearer <token>`` to every call.

    A tuple: ``grpc.aio.insecure_channel(target, interceptors=AuthClientInterceptor(provider))``,
    or ``interceptors=[*AuthClientInterceptor(provider), *others]``.
    ``await provider.token_async()`` runs before the call starts; if it fails,
    the call is not sent and ends ``UNAUTHENTICATED`` with the reason. A value
    the caller put under ``metadata_key`` is sent as it is. Any provider
    works: the async :class:`RefreshingTokenProvider`, or the sync module's
    (whose refresh runs in the default executor).
    """

    provider: TokenProvider
    metadata_key: str

    def __new__(cls, provider: TokenProvider, *, metadata_key: str = "authorization") -> AuthClientInterceptor:
        key = _check_metadata_key(metadata_key)
        self = super().__new__(
            cls,
            (
                _UnaryUnary(provider, key),
                _UnaryStream(provider, key),
                _StreamUnary(provider, key),
                _StreamStream(provider, key),
            ),
        )
        self.provider = provider
        self.metadata_key = key
        return self

