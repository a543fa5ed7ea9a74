"""Helpers for the gRPC tests: token minting, a bytes echo service, servers
on 127.0.0.1 (sync and aio, plain, TLS and mTLS), and client calls.

tests/_support.py is already importable as ``_support``; tests/grpc/conftest.py
loads this module as ``grpc_support``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import threading
import time
from concurrent import futures
from typing import Any, Callable, Coroutine, Dict, Iterator, List, Optional, Sequence, Tuple

import grpc

import fastjwt
from fastjwt.grpc import current_claims

SECRET = b"grpc-tests-hmac-secret-0123456789abcdef-0123456789abcdef"
OTHER_SECRET = b"another-hmac-secret-that-signs-nothing-valid-0123456789ab"
AUDIENCE = "api"
SERVICE = "test.Echo"
#: The four RPC kinds and the echo method of each.
KINDS = ("unary_unary", "unary_stream", "stream_unary", "stream_stream")
METHODS = {
    "unary_unary": f"/{SERVICE}/Unary",
    "unary_stream": f"/{SERVICE}/ServerStream",
    "stream_unary": f"/{SERVICE}/ClientStream",
    "stream_stream": f"/{SERVICE}/BidiStream",
}
#: Every echo method needs scope "echo" and role "user"; Open/* is public.
POLICY: Dict[str, Any] = {
    f"/{SERVICE}/*": {"scopes": ["echo"], "roles": ["user"]},
    "/test.Open/*": {"public": True},
}
TIMEOUT = 10.0
STATUS = grpc.StatusCode


def validator(**kwargs: Any) -> fastjwt.Validator:
    """The HS256 validator of these tests (audience "api")."""
    return fastjwt.Validator(SECRET, algorithms=["HS256"], audience=AUDIENCE, **kwargs)


def mint(key: Any = SECRET, algorithm: str = "HS256", headers: Optional[Dict[str, Any]] = None,
         **claims: Any) -> str:
    """A token with sensible defaults (sub, aud, exp in 10 minutes, scope echo, roles [user])."""
    payload: Dict[str, Any] = {"sub": "alice", "aud": AUDIENCE, "exp": int(time.time()) + 600,
                               "scope": "echo", "roles": ["user"]}
    payload.update(claims)
    for name in [name for name, value in payload.items() if value is None]:
        del payload[name]
    return fastjwt.encode(payload, key, algorithm=algorithm, headers=headers)


def b64(data: Dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def alg_none_token() -> str:
    """An unsigned token (``alg: none``) with valid-looking claims."""
    return b64({"alg": "none", "typ": "JWT"}) + "." + b64({"sub": "mallory", "aud": AUDIENCE,
                                                         "exp": int(time.time()) + 600}) + "."


def bearer(token: str) -> Tuple[Tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


class Recorder:
    """Remembers the requests the handlers saw (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seen: List[bytes] = []

    def add(self, request: bytes) -> None:
        with self._lock:
            self.seen.append(request)


def _claims_bytes() -> bytes:
    return json.dumps(current_claims(), sort_keys=True).encode()


def sync_echo_handler(recorder: Recorder, service: str = SERVICE,
                      barrier: Optional[threading.Barrier] = None) -> grpc.GenericRpcHandler:
    """Sync echo handlers: each records its first request and answers with
    ``current_claims()`` as JSON (streams: once per message)."""

    def unary(request: bytes, context: grpc.ServicerContext) -> bytes:
        recorder.add(request)
        if barrier is not None and request.startswith(b"barrier"):
            barrier.wait(TIMEOUT)  # every concurrent call is inside its handler at once
        return _claims_bytes()

    def server_stream(request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        recorder.add(request)
        for _ in range(3):
            yield _claims_bytes()

    def client_stream(requests: Iterator[bytes], context: grpc.ServicerContext) -> bytes:
        first = next(requests)
        recorder.add(first)
        for _ in requests:
            pass
        return _claims_bytes()

    def bidi_stream(requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
        for index, request in enumerate(requests):
            if index == 0:
                recorder.add(request)
            yield _claims_bytes()

    return grpc.method_handlers_generic_handler(service, {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "BidiStream": grpc.stream_stream_rpc_method_handler(bidi_stream),
    })


def aio_echo_handler(recorder: Recorder, service: str = SERVICE) -> grpc.GenericRpcHandler:
    """Async echo handlers; streaming responses as async generators, plus a
    reader/writer style bidi method (``BidiRW``)."""

    async def unary(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        recorder.add(request)
        await asyncio.sleep(0)  # let other calls interleave
        return _claims_bytes()

    async def server_stream(request: bytes, context: grpc.aio.ServicerContext) -> Any:
        recorder.add(request)
        for _ in range(3):
            await asyncio.sleep(0)
            yield _claims_bytes()

    async def client_stream(requests: Any, context: grpc.aio.ServicerContext) -> bytes:
        index = 0
        async for request in requests:
            if index == 0:
                recorder.add(request)
            index += 1
        return _claims_bytes()

    async def bidi_stream(requests: Any, context: grpc.aio.ServicerContext) -> Any:
        index = 0
        async for request in requests:
            if index == 0:
                recorder.add(request)
            index += 1
            yield _claims_bytes()

    async def bidi_reader_writer(requests: Any, context: grpc.aio.ServicerContext) -> None:
        request = await context.read()
        recorder.add(request)
        while request is not grpc.aio.EOF:
            await context.write(_claims_bytes())
            request = await context.read()

    return grpc.method_handlers_generic_handler(service, {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "BidiStream": grpc.stream_stream_rpc_method_handler(bidi_stream),
        "BidiRW": grpc.stream_stream_rpc_method_handler(bidi_reader_writer),
    })


def server_credentials(pki: Any, mtls: bool) -> grpc.ServerCredentials:
    """mTLS (a client certificate from the test CA required), or plain TLS.

    (grpcio cannot ask for an optional client certificate: without
    require_client_auth the server never requests one.)
    """
    if not mtls:
        return grpc.ssl_server_credentials([(pki.server.key_pem, pki.server.cert_pem)])
    return grpc.ssl_server_credentials([(pki.server.key_pem, pki.server.cert_pem)],
                                       root_certificates=pki.ca.cert_pem, require_client_auth=True)


def channel_credentials(pki: Any, client: Optional[str] = None) -> grpc.ChannelCredentials:
    """TLS trusting the test CA; with ``client``, that client's certificate (mTLS)."""
    if client is None:
        return grpc.ssl_channel_credentials(root_certificates=pki.ca.cert_pem)
    cred = pki.client(client)
    return grpc.ssl_channel_credentials(root_certificates=pki.ca.cert_pem, private_key=cred.key_pem,
                                        certificate_chain=cred.cert_pem)


@contextlib.contextmanager
def sync_server(interceptors: Sequence[grpc.ServerInterceptor], handlers: Sequence[grpc.GenericRpcHandler],
                credentials: Optional[grpc.ServerCredentials] = None, workers: int = 24,
                setup: Optional[Callable[[grpc.Server], None]] = None) -> Iterator[int]:
    """A started sync server on 127.0.0.1; yields its port, stops it after."""
    pool = futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grpc-worker")
    server = grpc.server(pool, interceptors=list(interceptors), handlers=list(handlers))
    if setup is not None:
        setup(server)
    address = "127.0.0.1:0"
    port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    server.start()
    try:
        yield port
    finally:
        server.stop(None).wait(TIMEOUT)
        pool.shutdown(wait=True)


@contextlib.contextmanager
def aio_server(interceptors: Sequence[Any], handlers: Sequence[grpc.GenericRpcHandler],
               credentials: Optional[grpc.ServerCredentials] = None,
               setup: Optional[Callable[[Any], None]] = None,
               on_loop: Optional[Callable[[], Coroutine[Any, Any, None]]] = None,
               on_stop: Optional[Callable[[], Coroutine[Any, Any, None]]] = None) -> Iterator[int]:
    """A started grpc.aio server on 127.0.0.1, its event loop on a thread of
    its own (so tests can call it with plain sync channels); yields the port.
    ``on_loop`` is awaited on that loop first (e.g. to start an AsyncJWKSClient),
    ``on_stop`` after the server stopped."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="aio-server", daemon=True)
    thread.start()

    async def start() -> Tuple[Any, int]:
        if on_loop is not None:
            await on_loop()
        server = grpc.aio.server(interceptors=list(interceptors),
                                 migration_thread_pool=futures.ThreadPoolExecutor(max_workers=8))
        server.add_generic_rpc_handlers(list(handlers))
        if setup is not None:
            setup(server)
        address = "127.0.0.1:0"
        port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
        await server.start()
        return server, port

    server, port = asyncio.run_coroutine_threadsafe(start(), loop).result(TIMEOUT)
    try:
        yield port
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(None), loop).result(TIMEOUT)
        if on_stop is not None:
            asyncio.run_coroutine_threadsafe(on_stop(), loop).result(TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(TIMEOUT)
        loop.close()


def channel(port: int, credentials: Optional[grpc.ChannelCredentials] = None) -> grpc.Channel:
    """A sync channel to the server on 127.0.0.1:``port``."""
    target = f"127.0.0.1:{port}"
    return grpc.secure_channel(target, credentials) if credentials else grpc.insecure_channel(target)


def call(chan: grpc.Channel, kind: str, metadata: Optional[Sequence[Tuple[str, str]]], request: bytes,
         method: Optional[str] = None) -> List[bytes]:
    """Call the echo method of ``kind``; returns the response messages (a
    list of one for unary responses); raises grpc.RpcError."""
    method = method or METHODS[kind]
    md = tuple(metadata) if metadata else None
    if kind == "unary_unary":
        return [chan.unary_unary(method)(request, metadata=md, timeout=TIMEOUT)]
    if kind == "unary_stream":
        return list(chan.unary_stream(method)(request, metadata=md, timeout=TIMEOUT))
    requests = [request, b"second", b"third"]
    if kind == "stream_unary":
        return [chan.stream_unary(method)(iter(requests), metadata=md, timeout=TIMEOUT)]
    return list(chan.stream_stream(method)(iter(requests), metadata=md, timeout=TIMEOUT))


def status_of(chan: grpc.Channel, kind: str, metadata: Optional[Sequence[Tuple[str, str]]], request: bytes,
              method: Optional[str] = None) -> Tuple[grpc.StatusCode, str]:
    """The final status code and details of a call that must fail."""
    try:
        call(chan, kind, metadata, request, method)
    except grpc.RpcError as error:
        return error.code(), error.details()
    raise AssertionError("the call succeeded")


def claims_of(responses: List[bytes]) -> List[Optional[Dict[str, Any]]]:
    return [json.loads(response) for response in responses]


def rejection_cases() -> List[Tuple[str, Optional[Tuple[Tuple[str, str], ...]], grpc.StatusCode, str]]:
    """(name, metadata, status code, details) of every refused call; tokens
    are minted now (run it inside the test)."""
    past = int(time.time()) - 3600
    return [
        ("no token", None, STATUS.UNAUTHENTICATED, "missing token"),
        ("malformed header", (("authorization", "Bearer"),), STATUS.UNAUTHENTICATED, "malformed authorization header"),
        ("wrong scheme", (("authorization", "Basic dXNlcjpwYXNz"),), STATUS.UNAUTHENTICATED,
         "unsupported authorization scheme"),
        ("two values", bearer(mint()) + bearer(mint(sub="bob")), STATUS.UNAUTHENTICATED,
         "more than one authorization value"),
        ("malformed token", bearer("not-a-jwt"), STATUS.UNAUTHENTICATED, "malformed token"),
        ("expired", bearer(mint(exp=past)), STATUS.UNAUTHENTICATED, "expired"),
        ("bad signature", bearer(mint(key=OTHER_SECRET)), STATUS.UNAUTHENTICATED, "bad signature"),
        ("alg none", bearer(alg_none_token()), STATUS.UNAUTHENTICATED, "algorithm not allowed"),
        ("wrong audience", bearer(mint(aud="other")), STATUS.UNAUTHENTICATED, "wrong audience"),
        ("missing scope", bearer(mint(scope="read")), STATUS.PERMISSION_DENIED, "missing scope"),
        ("missing role", bearer(mint(roles=["guest"])), STATUS.PERMISSION_DENIED, "missing role"),
    ]
