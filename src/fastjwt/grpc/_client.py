"""The client side of the gRPC adapter: token providers, call credentials, a sync interceptor.

A *token provider* hands out the bearer token a call carries: ``token()``
(may block while a refresh runs) and ``async token_async()``. Three ship here:
:class:`StaticTokenProvider`, :class:`CallableTokenProvider` and
:class:`RefreshingTokenProvider` (fetches a new token ``margin`` seconds before
the current one expires, one fetch in flight however many callers wait).

Two ways to put the token on a call:

- :func:`TokenCallCredentials` (``grpc.metadata_call_credentials``), composed
  with TLS channel credentials. gRPC refuses call credentials on a channel that
  is not secure (the call ends ``UNAUTHENTICATED``: "Established channel does
  not have a sufficient security level to transfer call credential"), except
  ``grpc.local_channel_credentials()``; so a token never goes out in clear text
  by accident. When the provider fails, gRPC core ends the call with
  ``UNAVAILABLE`` ("Getting metadata from plugin failed with error: ..."): core
  fixes that code for every metadata-plugin failure, whatever code the plugin
  gives. The call is never sent.
- :class:`AuthClientInterceptor` for any channel (``grpc.intercept_channel``),
  including plain loopback channels where call credentials do not apply. When
  the provider fails, the call ends ``UNAUTHENTICATED`` locally, never sent.

No message here ever contains a token: errors name what failed and the
exception class of the cause, never its text (a fetch error may quote a
response body).
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import (
    Any,
    Callable,
    Dict,
    Iterator,
    NamedTuple,
    Optional,
    Protocol,
    Tuple,
    Union,
    runtime_checkable,
)

import grpc

from ..exceptions import PyJWTError

__all__ = [
    "AuthClientInterceptor",
    "CallableTokenProvider",
    "RefreshingTokenProvider",
    "StaticTokenProvider",
    "TokenCallCredentials",
    "TokenProvider",
    "TokenRefreshError",
]

#: What ``fetch`` may return: a token, or a token and when it expires
#: (seconds since the epoch, an aware ``datetime``, or ``None`` for "never").
FetchResult = Union[str, Tuple[str, Union[float, int, datetime, None]]]

# RFC 6750 section 2.1 b64token: what may follow "Bearer " in the header.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*\Z")

# After a failed refresh, while the current token is still valid, wait this
# long before the next attempt: a token endpoint that is down is not asked on
# every call. Without a valid token every call may try (one at a time).
_RETRY_AFTER_FAILURE = 1.0


class TokenRefreshError(PyJWTError):
    """No token could be had: the fetch failed, or returned something unusable.

    A :class:`~fastjwt.exceptions.PyJWTError` (fastjwt raised it on purpose)
    but not an ``InvalidTokenError``: no token was rejected, none was obtained.
    The message never contains a token or the cause's text; the cause is
    chained (``__cause__``) for local debugging.
    """


@runtime_checkable
class TokenProvider(Protocol):
    """Anything that hands out the bearer token for the next call."""

    def token(self) -> str:
        """The token to send now; may block while a refresh runs."""
        ...

    async def token_async(self) -> str:
        """The token to send now, for asyncio callers."""
        ...


def _check_token(value: Any) -> str:
    """``value`` if it can follow ``Bearer `` in a header, else TokenRefreshError."""
    if not isinstance(value, str) or not _B64TOKEN.match(value):
        raise TokenRefreshError(
            "the token provider returned something that is not a bearer token "
            f"({type(value).__name__}; RFC 6750 b64token characters expected)"
        )
    return value


def _cause_name(exc: BaseException) -> str:
    return type(exc).__name__


def _provider_failure(err: Exception) -> str:
    """Why a call got no token: a TokenRefreshError's own message, or the
    class of anything else a provider raised (its text may hold secrets)."""
    if isinstance(err, TokenRefreshError):
        return str(err)
    return f"the token provider failed ({_cause_name(err)})"


def _refresh_failure(err: Exception) -> TokenRefreshError:
    """What a failed ``fetch()`` raises: a TokenRefreshError as it is, anything else by class."""
    if isinstance(err, TokenRefreshError):
        return err
    failure = TokenRefreshError(f"token refresh failed ({_cause_name(err)})")
    failure.__cause__ = err
    return failure


class StaticTokenProvider:
    """Always the same token (a long-lived service token, or tests)."""

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        """Keep ``token``; a value that cannot be a bearer token is a ValueError."""
        if not isinstance(token, str) or not _B64TOKEN.match(token):
            raise ValueError(
                f"StaticTokenProvider needs a bearer token ({type(token).__name__}; "
                "RFC 6750 b64token characters expected)"
            )
        self._token = token

    def token(self) -> str:
        """The token."""
        return self._token

    async def token_async(self) -> str:
        """The token."""
        return self._token

    def __repr__(self) -> str:
        return "StaticTokenProvider(<token>)"


class CallableTokenProvider:
    """Calls ``fn()`` for every call and sends what it returns.

    ``fn`` runs in the calling thread (for ``grpc.aio``, on the event loop):
    keep it cheap, such as reading a variable another part of the program
    updates. Anything that fetches belongs in :class:`RefreshingTokenProvider`.
    An exception from ``fn`` becomes a :class:`TokenRefreshError`.
    """

    __slots__ = ("_fn",)

    def __init__(self, fn: Callable[[], str]) -> None:
        """Wrap ``fn``, a callable without arguments returning the token."""
        if not callable(fn):
            raise TypeError("CallableTokenProvider needs a callable")
        self._fn = fn

    def token(self) -> str:
        """``fn()``, checked."""
        try:
            value = self._fn()
        except TokenRefreshError:
            raise
        except Exception as err:
            raise TokenRefreshError(f"the token callable failed ({_cause_name(err)})") from err
        return _check_token(value)

    async def token_async(self) -> str:
        """``fn()``, checked (called on the event loop)."""
        return self.token()


@dataclass(frozen=True)
class _Held:
    """A token and its timetable: send it until ``refresh_at``, never after ``expires_at``."""

    value: str
    expires_at: float  # math.inf: no known expiry
    refresh_at: float


def _unverified_exp(value: str) -> Optional[float]:
    """The ``exp`` of a JWT, read without verifying it (the client cannot, and need not)."""
    from .. import decode  # the package's own parser; fastjwt never uses PyJWT

    try:
        claims = decode(value, options={"verify_signature": False})
    except PyJWTError as err:
        raise TokenRefreshError(
            "the token fetched is not a JWT whose expiry can be read; "
            "return (token, expires_at) from fetch"
        ) from err
    if "exp" not in claims:
        return None
    exp = claims["exp"]
    if isinstance(exp, bool) or not isinstance(exp, (int, float)) or not math.isfinite(exp):
        raise TokenRefreshError("the token fetched has an exp claim that is not a number")
    return float(exp)


def _expiry(value: Any) -> float:
    """An ``expires_at`` from fetch as seconds since the epoch (math.inf for None)."""
    if value is None:
        return math.inf
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TokenRefreshError("fetch returned a naive datetime as expires_at; use an aware one")
        return value.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise TokenRefreshError(
            f"fetch returned an expires_at that is not a time ({type(value).__name__})"
        )
    return float(value)


def _hold(result: Any, now: float, margin: float) -> _Held:
    """Check what fetch returned and plan its refresh.

    A token is refreshed ``margin`` seconds before it expires, or halfway
    through its remaining life when that is shorter than ``margin`` (so a
    short-lived token is not fetched again on every call). A token that has
    already expired is refused: it would never be sent anyway.
    """
    if isinstance(result, tuple):
        if len(result) != 2:
            raise TokenRefreshError("fetch must return a token or a (token, expires_at) pair")
        value, expires_at = _check_token(result[0]), _expiry(result[1])
    else:
        value = _check_token(result)
        exp = _unverified_exp(value)
        expires_at = math.inf if exp is None else exp
    if now >= expires_at:
        raise TokenRefreshError("the token fetched has already expired")
    refresh_at = expires_at - min(margin, (expires_at - now) / 2.0)
    return _Held(value, expires_at, refresh_at)


def _check_margin(margin: float) -> float:
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not margin >= 0:
        raise ValueError("margin must be a number of seconds >= 0")
    return float(margin)


class RefreshingTokenProvider:
    """A token fetched on demand and fetched again before it expires.

    ``fetch()`` returns a token, or ``(token, expires_at)`` (seconds since the
    epoch, an aware datetime, or None for "does not expire"). Without
    ``expires_at`` the token's ``exp`` claim is read, unverified, with
    fastjwt's own parser; a token without ``exp`` is kept until
    :meth:`invalidate`.

    - A new token is fetched ``margin`` seconds before the current one expires
      (halfway through its remaining life if that is shorter).
    - One fetch at a time, however many threads ask: while it runs, callers
      get the current token if it is still valid, and otherwise wait for the
      fetch and share its outcome.
    - A token known to be expired is never handed out. When the fetch fails
      and no valid token is held, :class:`TokenRefreshError` is raised (every
      caller that waited for that fetch gets it). When it fails while the
      current token is still valid, that token keeps being used and the next
      attempt waits a second.

    Callers wait for a fetch as long as it takes: bound its time inside
    ``fetch`` (an HTTP timeout), and a failure reaches every waiter at once.
    ``clock`` (seconds since the epoch) is for tests. ``token_async()`` waits
    for a fetch in the loop's default executor, so the loop is never blocked.
    For an ``async`` fetch use :class:`fastjwt.grpc.aio.RefreshingTokenProvider`.
    """

    def __init__(
        self,
        fetch: Callable[[], FetchResult],
        *,
        margin: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Nothing is fetched until the first call needs a token."""
        if not callable(fetch):
            raise TypeError("fetch must be callable")
        self._fetch = fetch
        self._margin = _check_margin(margin)
        self._clock = clock
        self._cond = threading.Condition(threading.Lock())
        self._held: Optional[_Held] = None
        self._refreshing = False
        self._attempts = 0  # finished fetches, for waiters to tell theirs has ended
        self._error: Optional[TokenRefreshError] = None  # the last fetch's failure
        self._retry_at = -math.inf
        self._jobs: Dict[Any, Any] = {}  # event loop -> its pending executor job

    def token(self) -> str:
        """A valid token: the held one, or a new one (this call may wait for the fetch)."""
        held = self._held  # one attribute read: atomic, no lock on the hot path
        if held is not None and self._clock() < held.refresh_at:
            return held.value
        return self._token_slow()

    async def token_async(self) -> str:
        """Like :meth:`token`; the slow path runs in the loop's default executor.

        The tasks of one loop share one executor job, so a slow fetch holds
        one executor thread, not one per waiting task (the default executor
        also serves the loop's DNS lookups).
        """
        held = self._held
        if held is not None and self._clock() < held.refresh_at:
            return held.value
        import asyncio

        loop = asyncio.get_running_loop()
        job = self._jobs.get(loop)  # touched only on this loop's thread
        if job is None:
            job = self._jobs[loop] = loop.run_in_executor(None, self._token_slow)
            job.add_done_callback(lambda _: self._jobs.pop(loop, None))
        try:
            return await asyncio.shield(job)  # a cancelled task leaves the job to the others
        except TokenRefreshError as err:
            raise TokenRefreshError(str(err)) from err.__cause__

    def invalidate(self) -> None:
        """Forget the held token: the next call fetches (e.g. after the server refused it)."""
        with self._cond:
            self._held = None
            self._retry_at = -math.inf

    def _token_slow(self) -> str:
        with self._cond:
            while True:
                now = self._clock()
                held = self._held
                if held is not None and now < held.refresh_at:
                    return held.value
                usable = held is not None and now < held.expires_at
                if not self._refreshing:
                    if usable and now < self._retry_at:
                        assert held is not None
                        return held.value
                    self._refreshing = True
                    break
                if usable:
                    assert held is not None
                    return held.value  # someone is fetching; this one still works
                attempt = self._attempts
                while self._refreshing and self._attempts == attempt:
                    self._cond.wait()
                if self._error is not None and self._attempts == attempt + 1:
                    # The fetch this caller waited for failed: share its outcome
                    # rather than start another one straight away.
                    raise TokenRefreshError(str(self._error)) from self._error.__cause__
        return self._refresh()

    def _refresh(self) -> str:
        """Fetch, outside the lock; this thread owns the single refresh."""
        new: Optional[_Held] = None
        error: Optional[TokenRefreshError] = None
        try:
            try:
                result = self._fetch()
            except Exception as err:
                raise _refresh_failure(err)  # noqa: B904 - the cause is set
            new = _hold(result, self._clock(), self._margin)
        except TokenRefreshError as err:
            error = err
        finally:
            # Also on BaseException (KeyboardInterrupt): never leave waiters hanging.
            with self._cond:
                self._refreshing = False
                self._attempts += 1
                self._error = error
                if new is not None:
                    self._held = new
                elif error is not None:
                    self._retry_at = self._clock() + _RETRY_AFTER_FAILURE
                self._cond.notify_all()
        if new is not None:
            return new.value
        assert error is not None
        held = self._held
        if held is not None and self._clock() < held.expires_at:
            return held.value  # an early refresh failed; the current token still works
        raise error


def _bearer(token: str) -> str:
    return "Bearer " + token


def _check_metadata_key(key: str) -> str:
    if not isinstance(key, str) or not re.fullmatch(r"[0-9a-z_.\-]+", key) or key.endswith("-bin"):
        raise ValueError("metadata_key must be a lower-case ASCII gRPC metadata key, not a -bin key")
    return key


class _TokenPlugin(grpc.AuthMetadataPlugin):
    """Puts ``authorization: Bearer <token>`` on each call.

    grpcio runs every plugin invocation on a new thread of its own (cygrpc's
    ``_spawn_callback_in_thread``), not on a polling thread, so waiting here
    for a refresh delays only the calls that need the new token; a fresh
    token costs an attribute read and a clock read.
    """

    def __init__(self, provider: TokenProvider, metadata_key: str) -> None:
        self._provider = provider
        self._key = metadata_key

    def __call__(self, context: grpc.AuthMetadataContext, callback: grpc.AuthMetadataPluginCallback) -> None:
        try:
            token = _check_token(self._provider.token())
        except Exception as err:
            # grpcio ignores the metadata when an error is given; () is the empty metadata.
            callback((), TokenRefreshError(_provider_failure(err)))
            return
        callback(((self._key, _bearer(token)),), None)

    def __repr__(self) -> str:
        return f"TokenCallCredentials({type(self._provider).__name__})"


def TokenCallCredentials(  # noqa: N802 - a class-like factory: grpc.CallCredentials is final
    provider: TokenProvider, *, metadata_key: str = "authorization"
) -> grpc.CallCredentials:
    """Call credentials that send ``Bearer <provider.token()>`` on every call.

    Compose with TLS::

        creds = grpc.composite_channel_credentials(
            grpc.ssl_channel_credentials(ca_pem), TokenCallCredentials(provider))
        channel = grpc.secure_channel("api.example:443", creds)

    It works for ``grpc.aio`` secure channels too. gRPC sends call
    credentials only over a secure channel (TLS, or
    ``grpc.local_channel_credentials()``). If the provider fails, the call is
    not sent and ends ``UNAVAILABLE`` with "Getting metadata from plugin failed
    with error: <reason>" (gRPC core's fixed code for plugin failures); use
    :class:`AuthClientInterceptor` where ``UNAUTHENTICATED`` is wanted.
    """
    return grpc.metadata_call_credentials(
        _TokenPlugin(provider, _check_metadata_key(metadata_key)), name="fastjwt.TokenCallCredentials"
    )


class _CallDetails(
    NamedTuple(
        "_CallDetails",
        [
            ("method", str),
            ("timeout", Optional[float]),
            ("metadata", Optional[Tuple[Tuple[str, Union[str, bytes]], ...]]),
            ("credentials", Optional[grpc.CallCredentials]),
            ("wait_for_ready", Optional[bool]),
            ("compression", Optional[grpc.Compression]),
        ],
    ),
    grpc.ClientCallDetails,
):
    """The call's details with the token added."""


class _Refused(grpc.RpcError, grpc.Call, grpc.Future):
    """A call that ended ``UNAUTHENTICATED`` on the client: no token, nothing sent.

    It is what grpcio's own failed calls are: an RpcError that is also the
    Call and the Future (``result()`` and iteration raise it), so every way of
    invoking a multicallable sees the same error.
    """

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self._details = details

    def __str__(self) -> str:
        return f"<_Refused of RPC that terminated with:\n\tstatus = {self.code()}\n\tdetails = \"{self._details}\"\n>"

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNAUTHENTICATED

    def details(self) -> str:
        return self._details

    def debug_error_string(self) -> str:
        return self._details

    def initial_metadata(self) -> Tuple[()]:
        return ()

    def trailing_metadata(self) -> Tuple[()]:
        return ()

    def is_active(self) -> bool:
        return False

    # grpcio documents None for "no deadline"; typeshed's stub says float.
    def time_remaining(self) -> Optional[float]:  # pyright: ignore[reportIncompatibleMethodOverride]
        return None

    def cancel(self) -> bool:
        return False

    def cancelled(self) -> bool:
        return False

    def running(self) -> bool:
        return False

    def done(self) -> bool:
        return True

    def add_callback(self, callback: Callable[[], None]) -> bool:
        return False

    def result(self, timeout: Optional[float] = None) -> Any:
        raise self

    def exception(self, timeout: Optional[float] = None) -> Optional[Exception]:
        return self

    def traceback(self, timeout: Optional[float] = None) -> Any:
        return None

    def add_done_callback(self, fn: Callable[[Any], None]) -> None:
        fn(self)

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        raise self

    def next(self) -> Any:
        raise self


class AuthClientInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds ``<metadata_key>: Bearer <token>`` to every call, of every kind.

    ``channel = grpc.intercept_channel(grpc.insecure_channel(target), AuthClientInterceptor(provider))``.
    For channels where call credentials do not apply (plain loopback); on TLS
    channels too, when a failed refresh must end the call ``UNAUTHENTICATED``
    rather than ``UNAVAILABLE``. Unlike call credentials, an interceptor does
    not know whether the channel is encrypted: do not point a plain channel
    at anything but loopback or a trusted sidecar.

    ``provider.token()`` runs in the calling thread (it may wait for a
    refresh). If it fails, the call is not sent and ends ``UNAUTHENTICATED``
    with the reason ("token refresh failed (ConnectionError)"). A value the
    caller put under ``metadata_key`` itself is sent as it is, without a
    second one.
    """

    def __init__(self, provider: TokenProvider, *, metadata_key: str = "authorization") -> None:
        """``provider`` hands out the token; ``metadata_key`` is the header (lower case)."""
        self._provider = provider
        self._key = _check_metadata_key(metadata_key)

    def _with_token(self, details: grpc.ClientCallDetails) -> Union[_CallDetails, _Refused]:
        metadata = list(details.metadata or ())
        if not any(key == self._key for key, _ in metadata):
            try:
                token = _check_token(self._provider.token())
            except Exception as err:
                return _Refused(_provider_failure(err))
            metadata.append((self._key, _bearer(token)))
        return _CallDetails(
            details.method,
            details.timeout,
            tuple(metadata),
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(
        self, continuation: Any, client_call_details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        """Unary request, unary response."""
        details = self._with_token(client_call_details)
        return details if isinstance(details, _Refused) else continuation(details, request)

    def intercept_unary_stream(
        self, continuation: Any, client_call_details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        """Unary request, streamed response."""
        details = self._with_token(client_call_details)
        return details if isinstance(details, _Refused) else continuation(details, request)

    def intercept_stream_unary(
        self, continuation: Any, client_call_details: grpc.ClientCallDetails, request_iterator: Any
    ) -> Any:
        """Streamed requests, unary response (the requests are not read when refused)."""
        details = self._with_token(client_call_details)
        return details if isinstance(details, _Refused) else continuation(details, request_iterator)

    def intercept_stream_stream(
        self, continuation: Any, client_call_details: grpc.ClientCallDetails, request_iterator: Any
    ) -> Any:
        """Streamed requests, streamed response."""
        details = self._with_token(client_call_details)
        return details if isinstance(details, _Refused) else continuation(details, request_iterator)
