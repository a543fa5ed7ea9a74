"""A raw HTTP(S) server on 127.0.0.1 that drips part of its answer, for deadline tests.

Each connection gets ``fast`` at once, then ``drip`` one byte every
``interval`` seconds, then silence until the server stops. Scripts are raw
bytes, so any phase of an exchange can be the slow one: the status line,
headers, chunk-size lines, chunk data, a Content-Length body, trailers, or
(with ``read_request=False`` on an https URL) the TLS handshake itself.
Change the attributes between connections to change what the next one gets.
Every wait is bounded by :meth:`stop`.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from typing import Any, List, Optional


def response_parts(document: Any, *, chunked: bool, trailer: bytes = b"") -> List[bytes]:
    """``[status line, headers (ending in the blank line), body pieces...]`` of a 200 answer.

    Chunked: ``[..., size line, chunk data, CRLF + last chunk "0" line, trailers + CRLF]``.
    """
    body = json.dumps(document).encode()
    status = b"HTTP/1.1 200 OK\r\n"
    if not chunked:
        headers = b"Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        return [status, headers, body]
    headers = b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    trailers = (trailer + b"\r\n" if trailer else b"") + b"\r\n"  # the trailer lines, then a blank line
    return [status, headers, b"%x\r\n" % len(body), body, b"\r\n0\r\n", trailers]


class DripServer:
    """Serves scripted answers on 127.0.0.1; use as a context manager."""

    def __init__(self, fast: bytes = b"", drip: bytes = b"", interval: float = 0.05, *,
                 tls: Optional[ssl.SSLContext] = None, read_request: bool = True) -> None:
        self.fast, self.drip, self.interval = fast, drip, interval
        self.read_request = read_request
        self.connections = 0
        self._tls = tls
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._threads: List[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}/jwks.json"

    def __enter__(self) -> DripServer:
        self._accepting.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stopping.set()
        self._accepting.join(5)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn, self.fast, self.drip), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket, fast: bytes, drip: bytes) -> None:
        conn.settimeout(5)
        with contextlib.ExitStack() as closing:
            closing.callback(conn.close)
            try:
                if self._tls is not None:
                    conn = self._tls.wrap_socket(conn, server_side=True)
                    closing.callback(conn.close)
                if self.read_request:
                    received = b""
                    while b"\r\n\r\n" not in received and len(received) < 65536:
                        data = conn.recv(4096)
                        if not data:
                            return
                        received += data
                conn.sendall(fast)
                for index in range(len(drip)):
                    conn.sendall(drip[index:index + 1])
                    if self._stopping.wait(self.interval):
                        return
                self._stopping.wait(10)  # then silence, until the server stops
            except (OSError, ssl.SSLError):
                return  # the client gave up (the point of these tests)
