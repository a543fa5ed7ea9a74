"""The token service's JWKS over HTTP on loopback (standard library ``http.server``).

``GET /.well-known/jwks.json`` returns the key ring's published keys with
``Cache-Control: public, max-age=N``; anything else is 404. The server runs on
a daemon thread; :meth:`JWKSServer.close` stops it.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional, cast

from .keyring import KeyRing

__all__ = ["JWKS_PATH", "JWKSServer"]

JWKS_PATH = "/.well-known/jwks.json"
log = logging.getLogger("fastjwt.demo.jwks")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def site(self) -> _Server:
        """The serving ``_Server`` (http.server types ``self.server`` as any server)."""
        return cast(_Server, self.server)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        """The JWKS document, or 404."""
        if self.path.split("?", 1)[0] != JWKS_PATH:
            self._send(404, b'{"error":"not found"}', cache=False)
            return
        body = json.dumps(self.site.keyring.jwks(), separators=(",", ":")).encode("ascii")
        self.site.requests += 1
        self._send(200, body, cache=True)

    def do_HEAD(self) -> None:  # noqa: N802
        """Headers only."""
        self.do_GET()

    def _send(self, status: int, body: bytes, *, cache: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", f"public, max-age={self.site.max_age}" if cache else "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        """Requests go to the ``fastjwt.demo.jwks`` logger at debug level, not stderr."""
        log.debug("%s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: Any, keyring: KeyRing, max_age: int) -> None:
        super().__init__(address, _Handler)
        self.keyring = keyring
        self.max_age = max_age
        self.requests = 0


class JWKSServer:
    """Serves ``keyring.jwks()`` at ``http://127.0.0.1:PORT/.well-known/jwks.json``.

    Args:
        keyring: the keys to publish.
        port: 0 picks a free port.
        max_age: the ``Cache-Control: max-age`` in seconds; keep it at most the
            key ring's ``activation_delay`` so verifiers see a new key before it signs.
    """

    def __init__(self, keyring: KeyRing, *, host: str = "127.0.0.1", port: int = 0, max_age: int = 60) -> None:
        self._host = host
        self._server = _Server((host, port), keyring, int(max_age))
        self._thread: Optional[threading.Thread] = None

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The JWKS URL."""
        return f"http://{self._host}:{self.port}{JWKS_PATH}"

    @property
    def requests(self) -> int:
        """JWKS documents served so far."""
        return self._server.requests

    def start(self) -> JWKSServer:
        """Serve on a daemon thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                            name="fastjwt-demo-jwks", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> JWKSServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
