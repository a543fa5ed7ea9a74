"""Remote JWK Sets: :class:`JWKSClient`, :class:`AsyncJWKSClient` and PyJWT's :class:`PyJWKClient`.

``JWKSClient`` and ``AsyncJWKSClient`` are :class:`fastjwt.KeySource` objects
for ``Validator(keys=client, algorithms=[...])``. They keep the last good key
set and replace it in one assignment when a fetch succeeds, so validation
never waits on the network once a set has been loaded:

* refresh follows the response's ``Cache-Control: max-age`` clamped to
  ``[min_refresh, max_refresh]`` (``default_refresh`` without one), on a
  background thread (or asyncio task) shortly before it runs out;
* a token whose ``kid`` is not in the set triggers one refetch, at most once
  per ``unknown_kid_cooldown`` seconds, shared by every caller waiting on it;
* a failed fetch (connection, timeout, status, malformed or oversized body,
  no usable key) keeps the last good set serving until ``max_stale`` seconds
  after the last success; after that the set is refused (fail closed);
* a JWK republished unchanged keeps its :class:`fastjwt.Key` object, so the
  validator's cached verifications survive refreshes; removed keys vanish.

Rotation works as issuers are told to do it: publish the new key, let clients
pick it up (one refresh interval, or the first token naming it), then sign
with it; remove the old key once its tokens have expired.

``PyJWKClient`` is PyJWT 2.15.1's client (same constructor, methods, errors
and messages) with four of its problems fixed: ``cache_keys`` no longer serves
a removed key forever (PyJWT #1051); an expired set whose refresh fails keeps
serving until ``max_stale`` instead of failing every token (#1162); the
unknown-``kid`` refetch (#929) is throttled by ``cooldown_duration``, failed
fetches included; and asyncio code has :class:`AsyncJWKSClient`, or can
call it as ``await asyncio.to_thread(client.get_signing_key_from_jwt, token)``
(#1120).

Every fetch goes through ``urllib.request.build_opener(...).open(request,
timeout=...)`` with redirects refused, under one deadline for the whole
exchange (see :func:`_fetch_json`); nothing here fetches a URL taken from a
token (``jku``, ``x5u``). Failures are logged on the ``fastjwt.jwks`` logger,
never with key material or response bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import http.client
import ipaddress
import json
import logging
import math
import socket
import threading
import time
import urllib.request
import warnings
import weakref
from collections import OrderedDict
from ssl import SSLContext
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple, Union
from urllib.error import HTTPError
from urllib.parse import urlsplit, urlunsplit

from ._safe_text import printable
from .api_jwk import PyJWK, PyJWKSet
from .api_jwt import decode_complete as decode_token
from .exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWKSetError, PyJWTError
from .jwk_set_cache import JWKSetCache
from .keys import Key, KeySet
from .warnings import InsecureTransportWarning

__all__ = ["JWKSClient", "AsyncJWKSClient", "PyJWKClient", "DEFAULT_MAX_RESPONSE_BYTES"]

#: Largest JWKS response accepted (a real one is a few kilobytes).
DEFAULT_MAX_RESPONSE_BYTES = 1_048_576

_log = logging.getLogger("fastjwt.jwks")
_monotonic = time.monotonic  # a global lookup less on the per-token path


# --------------------------------------------------------------------------- fetching


class _NoRedirectHandler(urllib.request.HTTPRedirectHandler):
    """Refuse redirects (they surface as ``HTTPError``).

    The JWKS URL is configuration: following a redirect would let whoever
    answers it choose where keys come from, and would resend custom headers
    (often credentials) there.
    """

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


def _is_loopback(host: Optional[str]) -> bool:
    if host is None:
        return False
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(url: str, allow_insecure_http: bool) -> None:
    """Only http(s); plain http only for loopback hosts unless explicitly allowed."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        # PyJWT's message: urllib would otherwise read file://, ftp://, data: URLs.
        raise PyJWKClientError(f"Invalid JWKS URI scheme {scheme!r}: only 'http' and 'https' are supported.")
    if scheme == "http" and not allow_insecure_http and not _is_loopback(parts.hostname):
        # Keys fetched in clear text can be replaced by anyone on the path.
        raise PyJWKClientError("A JWKS must be fetched over https (plain http is allowed for loopback hosts, "
                               "or with allow_insecure_http=True)")


def _display_url(url: str) -> str:
    """The URL for log lines and messages, without credentials, query or fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def _max_age(cache_control: Any) -> Optional[float]:
    """Seconds from a ``Cache-Control`` value: ``max-age``, 0 for no-cache/no-store, else None."""
    if not isinstance(cache_control, str):  # absent (or a test double's attribute)
        return None
    for directive in cache_control.split(","):
        name, _, value = directive.strip().partition("=")
        name = name.strip().lower()
        if name in ("no-cache", "no-store"):
            return 0.0
        if name == "max-age":
            try:
                return float(int(value.strip().strip('"')))
            except ValueError:
                return None
    return None


class _Deadline:
    """One deadline for a whole HTTP exchange, enforced by shutting its sockets down.

    A per-operation socket timeout bounds each read, not the exchange: a
    server sending one byte of its status line, headers, chunk-size lines or
    body every little while would hold a fetch open for as long as it likes.
    Every socket the exchange opens is registered here (as a duplicate file
    descriptor, which stays valid whoever closes or wraps the original, e.g.
    in TLS); :meth:`expire` shuts them down, so whatever read or handshake is
    blocked on them returns at once, and refuses sockets opened later.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._watched: List[socket.socket] = []
        self._over = False  # expired, or the exchange has ended

    def error(self) -> TimeoutError:
        """The error a fetch past its deadline reports."""
        return TimeoutError(f"timed out: the response took longer than the timeout ({self.seconds:g} s)")

    def create_connection(self, address: Tuple[str, int], timeout: Any = None, source_address: Any = None,
                          *args: Any, **kwargs: Any) -> socket.socket:
        """``socket.create_connection`` within the deadline; the socket is watched."""
        if time.monotonic() >= self.at:
            raise self.error()
        # The per-operation timeout stays the caller's: it then never fires before the deadline
        # (which would report the same end under another name).
        sock = socket.create_connection(address, timeout, source_address, *args, **kwargs)
        try:
            with self._lock:
                if self._over:
                    raise self.error()
                self._watched.append(sock.dup())
        except BaseException:
            sock.close()
            raise
        return sock

    def expire(self) -> None:
        """Shut every watched socket down (a blocked read or handshake returns)."""
        with self._lock:
            self._over = True
            for watched in self._watched:
                with contextlib.suppress(OSError):
                    watched.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """The exchange has ended: release the duplicates; no socket may open any more."""
        with self._lock:
            self._over = True
            watched, self._watched = self._watched, []
        for sock in watched:
            sock.close()


def _with_deadline(http_class: Any, deadline: _Deadline) -> Any:
    """A connection factory for ``AbstractHTTPHandler.do_open`` whose sockets ``deadline`` watches."""
    def connection(host: str, **kwargs: Any) -> Any:
        made = http_class(host, **kwargs)
        made._create_connection = deadline.create_connection
        return made
    return connection


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    """Plain http, every socket under the fetch's deadline."""

    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def do_open(self, http_class: Any, req: Any, **http_conn_args: Any) -> Any:
        return super().do_open(_with_deadline(http_class, self._deadline), req, **http_conn_args)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    """https (with the caller's SSL context, if any), every socket under the fetch's deadline."""

    def __init__(self, deadline: _Deadline, context: Optional[SSLContext]) -> None:
        super().__init__(context=context)
        self._deadline = deadline

    def do_open(self, http_class: Any, req: Any, **http_conn_args: Any) -> Any:
        return super().do_open(_with_deadline(http_class, self._deadline), req, **http_conn_args)


def _read_body(response: Any, limit: int, deadline: float) -> bytes:
    """At most ``limit`` bytes of the body, read before ``deadline``.

    The fetch's :class:`_Deadline` ends a read blocked past the deadline;
    this also stops between reads, so a body that trickles in never
    outlives it. ``read1`` returns after one socket read. (Anything but a
    real HTTPResponse, such as the test doubles PyJWT users patch in, is
    read in one call, as PyJWT does.)
    """
    if not isinstance(response, http.client.HTTPResponse):
        return response.read(limit)  # type: ignore[no-any-return]
    read1 = response.read1
    chunks: List[bytes] = []
    size = 0
    while size < limit:
        chunk = read1(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if time.monotonic() > deadline:
            raise TimeoutError("the response took longer than the timeout")
    return b"".join(chunks)


def _exchange(request: urllib.request.Request, timeout: float, ssl_context: Optional[SSLContext], max_bytes: int,
              deadline: _Deadline) -> Tuple[Any, bytes, Any]:
    """The HTTP exchange itself: ``(status, body, Cache-Control)``; urllib's errors propagate."""
    handlers: List[Any] = [_NoRedirectHandler(), _DeadlineHTTPHandler(deadline),
                           _DeadlineHTTPSHandler(deadline, ssl_context)]
    try:
        opener = urllib.request.build_opener(*handlers)
        with opener.open(request, timeout=timeout) as response:
            status = getattr(response, "status", 200)
            body = _read_body(response, max_bytes + 1, deadline.at)
            cache_control = response.headers.get("Cache-Control")
    except HTTPError as error:
        error.close()
        raise
    finally:
        deadline.close()
    return status, body, cache_control


def _fetch_json(url: str, *, headers: Mapping[str, Any], timeout: float, ssl_context: Optional[SSLContext],
                max_bytes: int) -> Tuple[Any, Optional[float]]:
    """GET ``url`` as PyJWT does; return the decoded JSON and the response's max-age.

    One deadline, ``timeout`` seconds from now, bounds the whole exchange
    (name lookup, connect, TLS handshake, status line, headers, chunk-size
    lines, body, trailers): the exchange runs on a short-lived thread, and
    when the deadline passes its sockets are shut down and this returns at
    once; an exchange stuck where no socket can be shut (a name lookup) is
    abandoned to end on its own, refused any new connection. A caller (and
    the single in-flight fetch of a client) is never held past the deadline.

    :raises PyJWKClientConnectionError: the request failed (network,
        timeout, TLS, a non-200 status, a refused redirect).
    :raises PyJWKClientError: the body is larger than ``max_bytes`` or not JSON.
    """
    request = urllib.request.Request(url=url, headers=dict(headers))
    deadline = _Deadline(timeout)
    outcome: List[Any] = []
    finished = threading.Event()

    def run() -> None:
        try:
            outcome.append(_exchange(request, timeout, ssl_context, max_bytes, deadline))
        except BaseException as error:  # handed to the caller, whatever it is
            outcome.append(error)
        finally:
            finished.set()

    threading.Thread(target=run, name="fastjwt-jwks-fetch", daemon=True).start()
    if finished.wait(max(deadline.at - time.monotonic(), 0.0)):
        result = outcome[0]
        if isinstance(result, BaseException) and time.monotonic() >= deadline.at:
            result = deadline.error()  # whatever failed at the deadline failed because of it
    else:
        deadline.expire()  # the exchange's reads end now; its thread is not waited for
        result = deadline.error()
    if isinstance(result, (OSError, http.client.HTTPException)):  # URLError and TimeoutError are OSErrors
        # The server wrote part of this (an HTTP reason phrase): escaped, as token data is.
        reason = printable(str(result), limit=200)
        raise PyJWKClientConnectionError(f'Fail to fetch data from the url, err: "{reason}"') from result
    if isinstance(result, BaseException):
        raise result
    status, body, cache_control = result
    if isinstance(status, int) and status != 200:
        raise PyJWKClientConnectionError(f'Fail to fetch data from the url, err: "HTTP status {status}"')
    if isinstance(body, str):  # test doubles of the response return text
        body = body.encode()
    if len(body) > max_bytes:
        raise PyJWKClientError(f"The JWKS response is larger than {max_bytes} bytes")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested arrays
        raise PyJWKClientError("The JWKS endpoint did not return valid JSON") from None
    return document, _max_age(cache_control)


def _as_jwk_set_payload(data: Any) -> Dict[str, Any]:
    if not isinstance(data, dict):
        raise PyJWKClientError("The JWKS endpoint did not return a JSON object")
    return data


class _Loaded(NamedTuple):
    """A successful fetch: the key set, its keys by member digest, and the response's max-age."""

    key_set: KeySet
    members: Dict[str, Key]
    max_age: Optional[float]


def _build_key_set(document: Any, previous: Mapping[str, Key],
                   allow_symmetric: bool = False) -> Tuple[KeySet, Dict[str, Key]]:
    """The key set of a JWKS document, reusing the :class:`Key` of every member seen before.

    A member is identified by a digest of its canonical JSON (a digest, so no
    key material is kept beyond the Key itself): a JWK republished unchanged
    keeps its Key object, so tokens a Validator cached as verified by it stay
    cached; a changed or removed JWK's Key is gone from the new set.
    Symmetric (``kty: oct``) members are skipped unless ``allow_symmetric``:
    a fetched JWKS is public, and an HMAC key in it lets its readers sign.
    """
    members = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(members, list):
        raise PyJWKSetError("Invalid JWK Set value")
    keys: Dict[str, Key] = {}
    for member in members:
        digest = hashlib.sha256(json.dumps(member, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        if digest in keys:
            continue
        key = previous.get(digest)
        if key is None:
            try:
                (key,) = KeySet.from_jwks({"keys": [member]}, allow_symmetric=allow_symmetric)
            except PyJWKSetError:
                continue  # not a usable verification key (e.g. "use": "enc"): skipped, as from_jwks does
        keys[digest] = key
    if not keys:
        raise PyJWKSetError("The JWK Set did not contain any usable keys")
    return KeySet(keys.values()), keys


class _Endpoint:
    """Where and how to fetch: the URL and the request options."""

    def __init__(self, url: str, headers: Mapping[str, Any], timeout: float, ssl_context: Optional[SSLContext],
                 max_bytes: int, allow_symmetric: bool = False) -> None:
        self.url, self.headers, self.timeout = url, headers, timeout
        self.ssl_context, self.max_bytes = ssl_context, max_bytes
        self.allow_symmetric = allow_symmetric

    def load(self, previous: Mapping[str, Key]) -> Union[_Loaded, Exception]:
        """Fetch and build the key set; a failure is returned, not raised (the caller keeps the old set)."""
        try:
            document, max_age = _fetch_json(self.url, headers=self.headers, timeout=self.timeout,
                                            ssl_context=self.ssl_context, max_bytes=self.max_bytes)
            key_set, members = _build_key_set(document, previous, self.allow_symmetric)
        except Exception as error:  # whatever went wrong, the answer is the same: keep the last good set
            return error
        return _Loaded(key_set, members, max_age)


def _describe(error: Exception) -> str:
    # fastjwt's own messages carry no key material and no response body; for anything else, only the type.
    return f"{type(error).__name__}: {error}" if isinstance(error, PyJWTError) else type(error).__name__


# --------------------------------------------------------------------------- the shared rules


class _RefreshPolicy:
    """When to fetch and what to serve, with the state those rules need; shared by both clients.

    Not thread-safe: :class:`JWKSClient` calls it under its lock and
    :class:`AsyncJWKSClient` from its event loop. The per-token fast path
    reads only ``serving``, replaced whole, so it is never seen half-updated.
    """

    def __init__(self, url: str, *, min_refresh: float, max_refresh: float, default_refresh: float,
                 max_stale: float, unknown_kid_cooldown: float) -> None:
        if not 0 < min_refresh <= max_refresh:
            raise ValueError("min_refresh and max_refresh need 0 < min_refresh <= max_refresh")
        if max_stale < 0 or unknown_kid_cooldown < 0:
            raise ValueError("max_stale and unknown_kid_cooldown must not be negative")
        self.url = url
        self.min_refresh, self.max_refresh, self.default_refresh = min_refresh, max_refresh, default_refresh
        self.max_stale, self.unknown_kid_cooldown = max_stale, unknown_kid_cooldown
        self.key_set: Optional[KeySet] = None
        self.members: Dict[str, Key] = {}
        #: (key_set, until): the set may be served without any other check while
        #: time.monotonic() < until (no refresh due, not stale); until is -inf with no set.
        self.serving: Tuple[Optional[KeySet], float] = (None, -math.inf)
        self.next_refresh = -math.inf  # nothing loaded: due now
        self.last_unknown_kid_fetch = -math.inf
        self.last_success: Optional[float] = None  # monotonic
        self.last_success_time: Optional[float] = None  # epoch seconds, for stats()
        self.last_error: Optional[str] = None
        self.consecutive_failures = 0
        self.fetches = self.failures = self.unknown_kid_fetches = 0

    def begin(self, reason: str, now: float) -> bool:
        """Whether a fetch for ``reason`` (``"refresh"`` or ``"unknown_kid"``) may start now; if so it is counted."""
        if reason == "unknown_kid":
            # A flood of tokens with made-up kids costs at most one fetch per cooldown.
            if now - self.last_unknown_kid_fetch < self.unknown_kid_cooldown:
                return False
            self.last_unknown_kid_fetch = now
            self.unknown_kid_fetches += 1
        elif now < self.next_refresh:
            return False
        self.fetches += 1
        return True

    def record(self, outcome: Union[_Loaded, Exception], now: float) -> None:
        """Apply a fetch's outcome: swap in the new set, or keep the last good one and schedule a retry."""
        if isinstance(outcome, Exception):
            self.failures += 1
            self.consecutive_failures += 1
            self.last_error = _describe(outcome)
            # Retry sooner than a refresh would come, backing off 1, 2, 4... seconds up to min_refresh.
            self.next_refresh = now + min(2.0 ** (self.consecutive_failures - 1), self.min_refresh)
            _log.warning("JWKS fetch from %s failed (%d in a row, %s): %s", self.url, self.consecutive_failures,
                         "keeping the last good key set" if self.key_set is not None else "no key set yet",
                         self.last_error)
        else:
            key_set = outcome.key_set
            if self.key_set is not None and self.key_set.keys == key_set.keys:
                key_set = self.key_set  # unchanged: keep the very object (the validator's forgery memory is tied to it)
            elif self.key_set is not None:
                _log.info("JWKS from %s changed: %d keys", self.url, len(key_set))
            self.key_set, self.members = key_set, outcome.members
            self.last_success, self.last_success_time = now, time.time()
            self.consecutive_failures, self.last_error = 0, None
            max_age = self.default_refresh if outcome.max_age is None else outcome.max_age
            ttl = min(max(max_age, self.min_refresh), self.max_refresh)
            # A little before max-age runs out, so a background refresh lands before the document is stale.
            self.next_refresh = now + ttl - min(ttl * 0.1, 10.0)
        if self.last_success is not None:
            self.serving = (self.key_set, min(self.next_refresh, self.last_success + self.max_stale))

    def current(self, now: float) -> KeySet:
        """The key set to serve now.

        :raises PyJWKClientConnectionError: none was ever fetched, or the last
            success is more than ``max_stale`` seconds old (fail closed).
        """
        if self.key_set is None or self.last_success is None:
            reason = self.last_error or "not fetched yet"
            raise PyJWKClientConnectionError(f"No JWK Set could be fetched from {self.url}: {reason}")
        if now - self.last_success > self.max_stale:
            raise PyJWKClientConnectionError(
                f"The JWK Set from {self.url} could not be refreshed for more than {self.max_stale:g} s "
                f"(max_stale): {self.last_error}")
        return self.key_set

    def stats(self) -> Dict[str, Any]:
        return {
            "fetches": self.fetches,
            "failures": self.failures,
            "unknown_kid_fetches": self.unknown_kid_fetches,
            "consecutive_failures": self.consecutive_failures,
            "keys": 0 if self.key_set is None else len(self.key_set),
            "last_success": self.last_success_time,
            "last_error": self.last_error,
        }


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
        if key_set is not None and _monotonic() < until:
            return key_set  # the per-token path: one clock read
        policy = self._policy
        if self._background:
            self._start_thread()
        if policy.key_set is None or not self._background:
            # Nothing to serve yet: every caller waits for the one load. Otherwise only the caller
            # that starts the due refresh waits for it; the others keep the current set.
            self._fetch("refresh", join=policy.key_set is None)
        return policy.current(time.monotonic())

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

    def __enter__(self) -> "JWKSClient":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

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
            if not self._policy.begin(reason, time.monotonic()):
                return
            self._fetching = True
            previous = self._policy.members
        outcome: Union[_Loaded, Exception] = PyJWKClientConnectionError("The JWKS fetch was interrupted")
        try:
            outcome = self._endpoint.load(previous)  # the network, outside the lock
        finally:
            with self._cond:
                self._policy.record(outcome, time.monotonic())
                self._fetching = False
                self._completed += 1
                self._cond.notify_all()


def _refresh_loop(ref: "weakref.ref[JWKSClient]", cond: threading.Condition, stop: threading.Event) -> None:
    """The background thread: refresh when due; exit on close() or when the client is collected."""
    while not stop.is_set():
        client = ref()
        if client is None:
            return
        if time.monotonic() >= client._policy.next_refresh:
            client._fetch("refresh", join=True)
        delay = client._policy.next_refresh - time.monotonic()
        del client  # hold no reference while asleep, so an unused client can be collected
        with cond:
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
        self._inflight: Optional["asyncio.Task[None]"] = None
        self._task: Optional["asyncio.Task[None]"] = None
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
        self._policy.current(time.monotonic())

    async def aclose(self) -> None:
        """Stop background refresh; wait (at most ``timeout``) for a fetch in flight."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        inflight = self._inflight
        if inflight is not None and not inflight.done():
            await asyncio.wait({inflight}, timeout=self._endpoint.timeout + 1.0)

    async def __aenter__(self) -> "AsyncJWKSClient":
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
        if key_set is not None and _monotonic() < until:
            return key_set
        if key_set is None or not self._background:
            self._schedule_soon("refresh")
        return self._policy.current(time.monotonic())

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

    def _schedule(self, reason: str) -> Optional["asyncio.Task[None]"]:
        """On the loop: the fetch in flight, or a new one if the policy allows ``reason`` now."""
        assert self._loop is not None
        if self._inflight is not None and not self._inflight.done():
            return self._inflight
        if not self._policy.begin(reason, time.monotonic()):
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
            self._policy.record(outcome, time.monotonic())
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
            delay = max(self._policy.next_refresh - time.monotonic(), 0.0)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._fetched.wait(), delay)


# --------------------------------------------------------------------------- PyJWT's client


def _is_plain_http_off_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() == "http" and not _is_loopback(parts.hostname)


class PyJWKClient:
    """PyJWT's JWKS client: same constructor, methods, errors and messages.

    Args (PyJWT's): ``uri``; ``cache_keys``/``max_cached_keys`` (a per-kid
    key cache); ``cache_jwk_set``/``lifespan`` (the JWK Set cache, see
    :class:`fastjwt.jwk_set_cache.JWKSetCache`); ``headers``; ``timeout``;
    ``ssl_context``; ``cooldown_duration`` (minimum seconds between
    refetches for an unknown ``kid``; every fetch, including the first,
    starts it). Keyword-only additions: ``max_stale`` (how long an expired
    set keeps serving while refreshes fail) and ``max_response_bytes``.

    Differences from PyJWT, all fixes: the ``cache_keys`` cache is cleared
    whenever a new set is fetched and its entries live ``lifespan`` seconds,
    so a key removed from the JWKS stops being served; when the cached set
    has expired and the refresh fails, the last good set keeps serving (for
    ``max_stale`` seconds after it was fetched), with the endpoint retried at
    most once per ``cooldown_duration``; a failed fetch also starts the
    unknown-kid cooldown; responses over ``max_response_bytes`` or not JSON
    raise :class:`PyJWKClientError` (PyJWT lets ``json`` errors escape).
    For asyncio, use :class:`AsyncJWKSClient`, or
    ``await asyncio.to_thread(client.get_signing_key_from_jwt, token)``.
    """

    def __init__(
        self,
        uri: str,
        cache_keys: bool = False,
        max_cached_keys: int = 16,
        cache_jwk_set: bool = True,
        lifespan: float = 300,
        headers: Optional[Dict[str, Any]] = None,
        timeout: float = 30,
        ssl_context: Optional[SSLContext] = None,
        cooldown_duration: float = 30,
        *,
        max_stale: float = 86400,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if headers is None:
            headers = {}
        _check_url(uri, allow_insecure_http=True)  # PyJWT accepts http to any host
        if _is_plain_http_off_loopback(uri):
            # Accepted for drop-in users, but never silently (once per client: here).
            warnings.warn(
                f"PyJWKClient fetches keys from {_display_url(uri)} over plain http: keys fetched without TLS "
                "can be replaced in transit, letting anyone on the path forge tokens. Use https.",
                InsecureTransportWarning,
                stacklevel=2,
            )
        self.uri = uri
        self.jwk_set_cache: Optional[JWKSetCache] = None
        self.headers = headers
        self.timeout = timeout
        self.ssl_context = ssl_context
        if cooldown_duration < 0:
            raise PyJWKClientError(
                f'Cooldown duration must be greater than or equal to 0, the input is "{cooldown_duration}"')
        if not math.isfinite(cooldown_duration):
            raise PyJWKClientError(f'Cooldown duration must be finite, the input is "{cooldown_duration}"')
        self.cooldown_duration = cooldown_duration
        self.max_stale = max_stale
        self.max_response_bytes = max_response_bytes
        if cache_jwk_set:
            if lifespan <= 0:
                raise PyJWKClientError(f'Lifespan must be greater than 0, the input is "{lifespan}"')
            self.jwk_set_cache = JWKSetCache(lifespan)
        self._lifespan = lifespan
        self._lock = threading.Lock()  # guards the fields below
        self._refetch_lock = threading.Lock()  # one unknown-kid refetch at a time
        # PyJWT's name: monotonic time of the last successful fetch (code and
        # tests written for PyJWT set it to end a cooldown).
        self._last_successful_fetch: Optional[float] = None
        self._failed_at: Optional[float] = None  # monotonic time of the last failed fetch, if it failed
        # (payload dict, its PyJWKSet) of the last fetch_data: get_jwk_set parses a fetch once.
        self._parsed: Optional[Tuple[Any, PyJWKSet]] = None
        self._cache_keys = cache_keys
        self._max_cached_keys = max_cached_keys
        self._key_cache: "OrderedDict[str, Tuple[PyJWK, float]]" = OrderedDict()

    def fetch_data(self) -> Any:
        """Fetch the JWK Set from ``uri``; return the JSON object (and store it in the cache, if enabled).

        :raises PyJWKClientConnectionError: the HTTP request failed.
        :raises PyJWKClientError: the response is not a JSON object.
        :raises PyJWKSetError: the cache is enabled and the set has no usable keys.
        """
        try:
            data, _ = _fetch_json(self.uri, headers=self.headers, timeout=self.timeout,
                                  ssl_context=self.ssl_context, max_bytes=self.max_response_bytes)
            jwk_set = _as_jwk_set_payload(data)
            # Only a good response reaches the cache: a failure never wipes the last good set.
            if self.jwk_set_cache is not None:
                parsed = PyJWKSet.from_dict(jwk_set)
                self.jwk_set_cache.put(parsed)
                self._parsed = (jwk_set, parsed)
        except PyJWTError as error:
            with self._lock:
                self._failed_at = time.monotonic()
            _log.warning("JWKS fetch from %s failed: %s", _display_url(self.uri), _describe(error))
            raise
        with self._lock:
            self._failed_at = None
            self._last_successful_fetch = time.monotonic()
        return jwk_set

    def get_jwk_set(self, refresh: bool = False) -> PyJWKSet:
        """The JWK Set: from the cache, or fetched (always fetched with ``refresh=True``).

        If the cached set has expired and the refresh fails, the last good
        set is returned while it is younger than ``max_stale``, and the
        endpoint is not retried within ``cooldown_duration``.

        :raises PyJWKClientError: the fetch failed and no set can be served.
        """
        cache = self.jwk_set_cache
        if cache is not None and not refresh:
            cached = cache.get()
            if cached is not None:
                return cached
            stale = self._stale_set()
            if stale is not None and self._failed_recently():
                return stale  # the endpoint failed moments ago: don't ask it again on every call
        try:
            data = self.fetch_data()
        except PyJWTError:
            stale = None if refresh else self._stale_set()
            if stale is None:
                raise
            return stale
        # fetch_data may be overridden: parse (and cache) what it returned,
        # unless it is the very payload fetch_data has just parsed.
        parsed, self._parsed = self._parsed, None
        if isinstance(data, PyJWKSet):
            jwk_set = data
        elif parsed is not None and parsed[0] is data:
            jwk_set = parsed[1]
        else:
            jwk_set = PyJWKSet.from_dict(_as_jwk_set_payload(data))
        if cache is not None:
            cache.put(jwk_set)
        with self._lock:
            self._key_cache.clear()  # keys of the previous set must not outlive it
        return jwk_set

    def get_signing_keys(self, refresh: bool = False) -> List[PyJWK]:
        """The keys with ``use`` "sig" (or none) and a ``kid``.

        :raises PyJWKClientError: there is no such key.
        """
        return self._get_signing_keys_from_jwk_set(self.get_jwk_set(refresh))

    _as_jwk_set_payload = staticmethod(_as_jwk_set_payload)  # PyJWT has it here; subclasses may call it

    @staticmethod
    def _get_signing_keys_from_jwk_set(jwk_set: PyJWKSet) -> List[PyJWK]:
        signing_keys = [key for key in jwk_set.keys if key.public_key_use in ("sig", None) and key.key_id]
        if not signing_keys:
            raise PyJWKClientError("The JWKS endpoint did not contain any signing keys")
        return signing_keys

    def get_signing_key(self, kid: str) -> PyJWK:
        """The signing key with this ``kid``; an unknown kid refetches the set once
        per ``cooldown_duration``.

        :raises PyJWKClientError: no key matches.
        """
        key = self._cached_key(kid)
        if key is not None:
            return key
        key = self.match_kid(self.get_signing_keys(), kid)
        if key is None:
            with self._refetch_lock:
                if self.jwk_set_cache is not None:
                    # A caller that waited here finds what the refetch before it brought.
                    key = self.match_kid(self.get_signing_keys(), kid)
                if key is None and self._refetch_allowed():
                    try:
                        key = self.match_kid(self.get_signing_keys(refresh=True), kid)
                    finally:
                        # As PyJWT: the refetch starts the cooldown (whatever fetch_data is).
                        with self._lock:
                            self._last_successful_fetch = time.monotonic()
            if key is None:
                raise PyJWKClientError(f'Unable to find a signing key that matches: "{kid}"')
        self._remember_key(kid, key)
        return key

    def get_signing_key_from_jwt(self, token: Union[str, bytes]) -> PyJWK:
        """The signing key named by the token's (unverified) ``kid`` header."""
        unverified = decode_token(token, options={"verify_signature": False})
        return self.get_signing_key(unverified["header"].get("kid"))

    @staticmethod
    def match_kid(signing_keys: List[PyJWK], kid: str) -> Optional[PyJWK]:
        """The first key of ``signing_keys`` with this ``kid``, or None."""
        for key in signing_keys:
            if key.key_id == kid:
                return key
        return None

    # ------------------------------------------------------------------ fixes' helpers

    def _stale_set(self) -> Optional[PyJWKSet]:
        """The last good set, expired or not, if it was fetched less than ``max_stale`` ago."""
        entry = None if self.jwk_set_cache is None else self.jwk_set_cache.jwk_set_with_timestamp
        if entry is None or time.monotonic() - entry.get_timestamp() > self.max_stale:
            return None
        return entry.get_jwk_set()

    def _failed_recently(self) -> bool:
        with self._lock:
            return self._failed_at is not None and time.monotonic() - self._failed_at < self.cooldown_duration

    def _refetch_allowed(self) -> bool:
        """Whether an unknown kid may refetch now: no fetch, good or failed,
        within ``cooldown_duration``. Called under ``_refetch_lock``, so
        concurrent misses wait for one refetch and then find it recent."""
        if self.jwk_set_cache is None:
            return True  # as in PyJWT: without a set cache every call fetches anyway
        with self._lock:
            now = time.monotonic()
            return not any(
                when is not None and now - when < self.cooldown_duration
                for when in (self._last_successful_fetch, self._failed_at)
            )

    def _cached_key(self, kid: str) -> Optional[PyJWK]:
        if not self._cache_keys or not isinstance(kid, str):
            return None
        with self._lock:
            entry = self._key_cache.get(kid)
            if entry is None:
                return None
            if time.monotonic() >= entry[1]:
                del self._key_cache[kid]
                return None
            self._key_cache.move_to_end(kid)
            return entry[0]

    def _remember_key(self, kid: str, key: PyJWK) -> None:
        if not self._cache_keys or not isinstance(kid, str):
            return
        with self._lock:
            self._key_cache[kid] = (key, time.monotonic() + self._lifespan)
            self._key_cache.move_to_end(kid)
            while self._max_cached_keys is not None and len(self._key_cache) > max(self._max_cached_keys, 0):
                self._key_cache.popitem(last=False)
