"""Fetching a JWKS over HTTP: one GET under one deadline for the whole exchange.

Every fetch goes through ``urllib.request.build_opener(...).open(request,
timeout=...)`` with redirects refused, under one deadline for the whole
exchange (see :func:`_fetch_json`); nothing here fetches a URL taken from a
token (``jku``, ``x5u``). Deadlines are real time (they bound sockets), so
this module reads ``time.monotonic`` itself; the refresh policy's clock is
injected (:mod:`fastjwt._jwks_refresh`).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import socket
import threading
import time
import urllib.request
from ssl import SSLContext
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.error import HTTPError
from urllib.parse import urlsplit, urlunsplit

from ._safe_text import printable
from .exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWTError

#: Largest JWKS response accepted (a real one is a few kilobytes).
DEFAULT_MAX_RESPONSE_BYTES = 1_048_576


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



def _describe(error: Exception) -> str:
    # fastjwt's own messages carry no key material and no response body; for anything else, only the type.
    return f"{type(error).__name__}: {error}" if isinstance(error, PyJWTError) else type(error).__name__

