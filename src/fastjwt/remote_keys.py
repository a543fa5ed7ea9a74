"""Remote JWK Sets as key sources: :class:`JWKSClient` (threads) and :class:`AsyncJWKSClient` (asyncio).

Both drive the same :class:`fastjwt._jwks_refresh._RefreshPolicy` and
:class:`fastjwt._jwks_refresh._Endpoint`; only their concurrency differs.
See :mod:`fastjwt.jwks_client` for the behaviour they share.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import weakref
from ssl import SSLContext
from typing import Any, Callable, Dict, Mapping, Optional, Union

from ._jwks_fetch import DEFAULT_MAX_RESPONSE_BYTES, _check_url, _display_url
from ._jwks_refresh import _Endpoint, _Loaded, _RefreshPolicy
from .exceptions import PyJWKClientConnectionError
from .keys import Key, KeySet

__all__ = ["JWKSClient", "AsyncJWKSClient"]

class _JWKSClientBase:
    """The options and the shared parts of :class:`JWKSClient` and :class:`AsyncJWKSClient`."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        headers: Optional[Mapping[str, str]] = None,
        ssl_context: Optional[SSLContext] = None,
        min_refresh: float = 60,
        max_refresh: float = 86400,
        default_refresh: float = 300,
        max_stale: float = 86400,
        unknown_kid_cooldown: float = 30.0,
        allow_insecure_http: bool = False,
        background: bool = True,
        allow_symmetric_keys: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from . import __version__  # here: the package imports this module before defining it

        _check_url(url, allow_insecure_http)
        if timeout <= 0 or max_response_bytes <= 0:
            raise ValueError("timeout and max_response_bytes must be positive")
        self.url = url
        # Some JWKS hosts refuse urllib's default agent; the caller's own User-Agent wins (it comes later).
        request_headers = {"User-Agent": f"fastjwt/{__version__}", **(headers or {})}
        self._endpoint = _Endpoint(url, request_headers, timeout, ssl_context, max_response_bytes, allow_symmetric_keys)
        self._policy = _RefreshPolicy(_display_url(url), min_refresh=min_refresh, max_refresh=max_refresh,
                                      default_refresh=default_refresh, max_stale=max_stale,
                                      unknown_kid_cooldown=unknown_kid_cooldown)
        self._background = background
        self._clock = clock
        self._init_concurrency()

    def _init_concurrency(self) -> None:
        raise NotImplementedError

    def stats(self) -> Dict[str, Any]:
        """Counters for monitoring: ``fetches``, ``failures``, ``unknown_kid_fetches``,
        ``consecutive_failures``, ``keys`` (in the current set), ``last_success``
        (epoch seconds, or None) and ``last_error`` (a message, or None)."""
        return self._policy.stats()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_display_url(self.url)!r})"


# --------------------------------------------------------------------------- threads


class JWKSClient(_JWKSClientBase):
    """A remote JWK Set as a :class:`fastjwt.KeySource`, refreshed in the background.

    Args:
        url: the JWKS URL; https, or http to a loopback host.
        timeout: seconds a whole fetch may take (connect, TLS, status line,
            headers, body): past it the connection is shut and the fetch fails.
        max_response_bytes: larger responses are refused.
        headers: extra request headers (e.g. an API key; never logged).
        ssl_context: for https (default: the system's trust store).
        min_refresh, max_refresh: bounds for the response's ``Cache-Control: max-age``.
        default_refresh: refresh interval when the response has no max-age.
        max_stale: seconds after the last successful fetch during which the
            last good set keeps serving while fetches fail; after that
            :meth:`key_set` raises :class:`fastjwt.PyJWKClientConnectionError`.
        unknown_kid_cooldown: at most one refetch for unknown ``kid`` values per this many seconds.
        allow_insecure_http: allow plain http to any host.
        background: refresh on a daemon thread; if False, the call to
            :meth:`key_set` that finds a refresh due fetches (others keep the current set).
        allow_symmetric_keys: use ``kty: oct`` members of the JWKS. Off by
            default: a JWKS is public, and a shared secret in it lets anyone
            who reads it sign HS256 tokens; such members are skipped.
        clock: a monotonic clock in seconds (default ``time.monotonic``) for
            refresh times, staleness and throttling; a test's fake clock calls
            :meth:`_wake` after moving, so the refresh thread re-reads it. (A
            fetch's own ``timeout`` is real time: it bounds sockets.)

    The first :meth:`key_set` call fetches (bounded by ``timeout``); later
    calls never wait once a set is loaded. Use as a context manager, or call
    :meth:`close`, to stop the thread.
    """

    def _init_concurrency(self) -> None:
        self._cond = threading.Condition()  # guards the policy and the single-flight state below
        self._fetching = False
        self._completed = 0  # fetches finished, so a waiter knows when "its" fetch is done
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        # Wake the thread so it exits if the client is dropped without close().
        weakref.finalize(self, _stop_thread, self._cond, self._stop)

    def key_set(self) -> KeySet:
        """The current key set; loads it on first use.

        :raises PyJWKClientConnectionError: no set could be fetched yet, or
            none has been fetched for ``max_stale`` seconds.
        """
        key_set, until = self._policy.serving
        if key_set is not None and self._clock() < until:
            return key_set  # the per-token path: one clock read
        policy = self._policy
        if self._background:
            self._start_thread()
        if policy.key_set is None or not self._background:
            # Nothing to serve yet: every caller waits for the one load. Otherwise only the caller
            # that starts the due refresh waits for it; the others keep the current set.
            self._fetch("refresh", join=policy.key_set is None)
        return policy.current(self._clock())

    def key_set_for(self, kid: str) -> KeySet:
        """A key set with ``kid`` if the endpoint has it: the current set, or (if it lacks
        ``kid``) the result of a refetch, at most one per ``unknown_kid_cooldown``,
        shared with concurrent callers."""
        key_set = self.key_set()
        if not isinstance(kid, str) or key_set.has_kid(kid):
            return key_set
        self._fetch("unknown_kid", join=True)
        return self.key_set()

    def close(self) -> None:
        """Stop the background thread (the current set keeps serving until it is stale)."""
        _stop_thread(self._cond, self._stop)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self._endpoint.timeout + 1.0)

    def __enter__(self) -> JWKSClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _wake(self) -> None:
        """Have the refresh thread re-read the clock now (a fake clock calls this when it moves)."""
        with self._cond:
            self._cond.notify_all()

    def _start_thread(self) -> None:
        if self._thread is not None or self._stop.is_set():
            return  # checked without the lock first: this runs on the per-token path while a refresh is due
        with self._cond:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=_refresh_loop, name="fastjwt-jwks-refresh", daemon=True,
                                                args=(weakref.ref(self), self._cond, self._stop))
                self._thread.start()

    def _fetch(self, reason: str, *, join: bool) -> None:
        """Fetch once, single-flight: with a fetch in flight, wait for it (``join``) or return;
        otherwise start one if the policy allows ``reason`` now."""
        with self._cond:
            if self._fetching:
                if join:
                    seen = self._completed
                    self._cond.wait_for(lambda: self._completed != seen, self._endpoint.timeout + 1.0)
                return
            if not self._policy.begin(reason, self._clock()):
                return
            self._fetching = True
            previous = self._policy.members
        outcome: Union[_Loaded, Exception] = PyJWKClientConnectionError("The JWKS fetch was interrupted")
        try:
            outcome = self._endpoint.load(previous)  # the network, outside the lock
        finally:
            with self._cond:
                self._policy.record(outcome, self._clock())
                self._fetching = False
                self._completed += 1
                self._cond.notify_all()


def _refresh_loop(ref: weakref.ref[JWKSClient], cond: threading.Condition, stop: threading.Event) -> None:
    """The background thread: refresh when due; exit on close() or when the client is collected."""
    while not stop.is_set():
        client = ref()
        if client is None:
            return
        if client._clock() >= client._policy.next_refresh:
            client._fetch("refresh", join=True)
        policy, clock = client._policy, client._clock
        del client  # hold no reference while asleep, so an unused client can be collected
        with cond:
            # The delay is read under the lock _wake() takes: a wake-up cannot fall between the two.
            delay = policy.next_refresh - clock()
            if delay > 0 and not stop.is_set():
                # Every fetch's end wakes us too: a failed unknown-kid fetch may bring the retry forward.
                cond.wait(delay)


def _stop_thread(cond: threading.Condition, stop: threading.Event) -> None:
    with cond:  # under the lock, so the thread cannot miss the wake-up between its check and its wait
        stop.set()
        cond.notify_all()


# --------------------------------------------------------------------------- asyncio


class AsyncJWKSClient(_JWKSClientBase):
    """A remote JWK Set as a :class:`fastjwt.KeySource`, for asyncio applications.

    The options are :class:`JWKSClient`'s. ``await start()`` loads the first
    set and starts the refresh task; fetches run in the loop's default
    executor, so the event loop never blocks. :meth:`key_set` and
    :meth:`key_set_for` never wait (an unknown ``kid`` schedules a throttled
    refetch, and the token is judged against the current set); await
    :meth:`key_set_for_async` first to have a freshly rotated key fetched::

        async with AsyncJWKSClient(url) as jwks:
            validator = fastjwt.Validator(keys=jwks, algorithms=["RS256"])
            ...
            await jwks.key_set_for_async(fastjwt.get_unverified_header(token).get("kid"))
            claims = validator.decode(token)
    """

    def _init_concurrency(self) -> None:
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._inflight: Optional[asyncio.Task[None]] = None
        self._task: Optional[asyncio.Task[None]] = None
        self._fetched: Optional[asyncio.Event] = None  # set when a fetch ends; made in start(), on the loop

    async def start(self) -> None:
        """Load the first key set and start background refresh.

        :raises PyJWKClientConnectionError: the first fetch failed (the
            refresh task keeps retrying; call :meth:`aclose` to stop it).
        """
        self._loop = asyncio.get_running_loop()
        fetch = self._schedule("refresh")
        if fetch is not None:
            await asyncio.shield(fetch)
        if self._background and self._task is None:
            self._fetched = asyncio.Event()
            self._task = self._loop.create_task(self._refresh_loop())
        self._policy.current(self._clock())

    async def aclose(self) -> None:
        """Stop background refresh; wait (at most ``timeout``) for a fetch in flight."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        inflight = self._inflight
        if inflight is not None and not inflight.done():
            await asyncio.wait({inflight}, timeout=self._endpoint.timeout + 1.0)

    async def __aenter__(self) -> AsyncJWKSClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    def key_set(self) -> KeySet:
        """The current key set; never waits.

        :raises PyJWKClientConnectionError: no set yet (``await start()``
            first), or none fetched for ``max_stale`` seconds.
        """
        key_set, until = self._policy.serving
        if key_set is not None and self._clock() < until:
            return key_set
        if key_set is None or not self._background:
            self._schedule_soon("refresh")
        return self._policy.current(self._clock())

    def key_set_for(self, kid: str) -> KeySet:
        """The current key set; if it lacks ``kid``, a throttled refetch is scheduled (not awaited)."""
        key_set = self.key_set()
        if isinstance(kid, str) and not key_set.has_kid(kid):
            self._schedule_soon("unknown_kid")
        return key_set

    async def key_set_for_async(self, kid: str) -> KeySet:
        """Like :meth:`JWKSClient.key_set_for`: await the throttled, shared refetch for an unknown ``kid``."""
        key_set = self.key_set()
        if not isinstance(kid, str) or key_set.has_kid(kid):
            return key_set
        self._loop = self._loop or asyncio.get_running_loop()
        fetch = self._schedule("unknown_kid")
        if fetch is not None:
            await asyncio.shield(fetch)  # one caller's cancellation must not cancel the shared fetch
        return self.key_set()

    def _wake(self) -> None:
        """Have the refresh task re-read the clock now (a fake clock calls this, from any thread, when it moves)."""
        loop, fetched = self._loop, self._fetched
        if loop is None or fetched is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing to wake
            loop.call_soon_threadsafe(fetched.set)

    def _schedule(self, reason: str) -> Optional[asyncio.Task[None]]:
        """On the loop: the fetch in flight, or a new one if the policy allows ``reason`` now."""
        assert self._loop is not None
        if self._inflight is not None and not self._inflight.done():
            return self._inflight
        if not self._policy.begin(reason, self._clock()):
            return None
        self._inflight = self._loop.create_task(self._fetch(self._policy.members))
        return self._inflight

    def _schedule_soon(self, reason: str) -> None:
        """Schedule from any thread without waiting (a Validator may run on worker threads)."""
        try:
            running: Optional[asyncio.AbstractEventLoop] = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        loop = self._loop = self._loop or running
        if loop is None:
            return  # no loop known yet: start() will load
        if loop is running:
            self._schedule(reason)
        else:
            try:
                loop.call_soon_threadsafe(self._schedule, reason)
            except RuntimeError:
                pass  # the loop is closed: nothing can fetch any more

    async def _fetch(self, previous: Mapping[str, Key]) -> None:
        assert self._loop is not None
        outcome: Union[_Loaded, Exception] = PyJWKClientConnectionError("The JWKS fetch was interrupted")
        try:
            outcome = await self._loop.run_in_executor(None, self._endpoint.load, previous)
        finally:
            self._policy.record(outcome, self._clock())
            if self._fetched is not None:
                self._fetched.set()

    async def _refresh_loop(self) -> None:
        assert self._fetched is not None
        while True:
            fetch = self._schedule("refresh")  # None unless a refresh is due or a fetch is in flight
            if fetch is not None:
                await asyncio.shield(fetch)
            self._fetched.clear()
            # Sleep until due, or until any fetch ends: a failed unknown-kid fetch may bring the retry forward.
            delay = max(self._policy.next_refresh - self._clock(), 0.0)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._fetched.wait(), delay)

