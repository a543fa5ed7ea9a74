"""A real JWKS endpoint on 127.0.0.1 for tests: configurable answers, counted requests.

Change the attributes of a running :class:`JWKSServer` to change what the
next request gets: ``jwks`` (the document), ``status``, ``cache_control``,
``delay`` (seconds before answering), ``drip`` (seconds between the body's
bytes, sent one at a time), ``body`` (raw bytes instead of the
document: garbage, oversized), ``location`` (a redirect target), ``hang``
(never answer until the server stops) or ``gate`` (a ``threading.Event``:
answer once it is set). ``requests`` counts the requests and
``last_headers`` holds the last request's headers.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional


class JWKSServer:
    """An HTTP server in a thread; use as a context manager (or call start/stop)."""

    def __init__(self) -> None:
        self.jwks: Dict[str, Any] = {"keys": []}
        self.status = 200
        self.cache_control: Optional[str] = None
        self.delay = 0.0
        self.drip = 0.0
        self.body: Optional[bytes] = None
        self.location: Optional[str] = None
        self.hang = False
        self.gate: Optional[threading.Event] = None
        self.requests = 0
        self.paths: list = []
        self.last_headers: Dict[str, str] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True  # a hung handler must not keep the test process alive
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        """The JWKS URL."""
        return f"http://127.0.0.1:{self._httpd.server_port}/jwks.json"

    @property
    def base(self) -> str:
        """The server's root URL."""
        return f"http://127.0.0.1:{self._httpd.server_port}"

    def start(self) -> JWKSServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases hung handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def __enter__(self) -> JWKSServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests += 1
            self.paths.append(handler.path)
            self.last_headers = dict(handler.headers.items())
            hang, delay, drip, status, gate = self.hang, self.delay, self.drip, self.status, self.gate
            body = self.body if self.body is not None else json.dumps(self.jwks).encode()
            cache_control, location = self.cache_control, self.location
        if hang:
            self._stopping.wait(10)
            return
        if delay:
            self._stopping.wait(delay)
        if gate is not None:
            gate.wait(10)
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            if cache_control is not None:
                handler.send_header("Cache-Control", cache_control)
            if location is not None:
                handler.send_header("Location", location)
            handler.end_headers()
            if not drip:
                handler.wfile.write(body)
            for index in range(len(body) if drip else 0):
                handler.wfile.write(body[index:index + 1])
                handler.wfile.flush()
                if self._stopping.wait(drip):
                    return
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (an oversized body): expected


def _handler(server: JWKSServer) -> type:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            server.answer(self)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler
