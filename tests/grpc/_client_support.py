"""A real echo server on 127.0.0.1 for the client tests (imported as ``_client_support``).

The server answers every RPC kind of ``echo.Echo`` with the values of the
token metadata it received and, at receipt, checks each bearer token with a
``fastjwt.Validator`` (HS256, audience ``echo``, leeway 0, the test's clock),
so a test can prove that no call carried an expired token. Requests and
responses are raw bytes (no protobuf).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import grpc
import grpc.aio

import fastjwt
from fastjwt._pki import DevPKI
from fastjwt.grpc import current_claims

SECRET = b"client-tests-hmac-secret-0123456789abcdef-0123456789abcdef-012"
AUDIENCE = "echo"
SERVICE = "echo.Echo"
KINDS = ("UnaryUnary", "UnaryStream", "StreamUnary", "StreamStream")


def method(kind: str) -> str:
    """The full method name of an RPC kind."""
    return f"/{SERVICE}/{kind}"


class FakeClock:
    """A settable clock (seconds since the epoch) shared by providers and the server."""

    def __init__(self, start: Optional[float] = None) -> None:
        self._now = float(int(time.time()) if start is None else start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def set(self, now: float) -> None:
        with self._lock:
            self._now = float(now)


def sign(exp: Optional[float], sub: str = "client", **claims: Any) -> str:
    """An HS256 token for the echo server (``exp`` omitted when None).

    Every token is new (a random ``jti``): the server's Validator remembers
    expired tokens, and the tests move its clock back between tests.
    """
    payload: Dict[str, Any] = {"sub": sub, "aud": AUDIENCE, "jti": uuid.uuid4().hex, **claims}
    if exp is not None:
        payload["exp"] = exp
    return fastjwt.encode(payload, SECRET, algorithm="HS256")


@dataclass
class Seen:
    """One call as the server saw it: method, token metadata values, verdict of each bearer token."""

    method: str
    values: Tuple[str, ...]
    verdicts: Tuple[str, ...]
    subject: Optional[str] = None  # current_claims()["sub"] under fastjwt's AuthInterceptor


@dataclass
class EchoServer:
    """A started sync gRPC server: an insecure, a TLS and a local-credentials port on 127.0.0.1."""

    server: grpc.Server
    pki: DevPKI
    insecure_port: int
    tls_port: int
    local_port: int
    seen: List[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def calls(self) -> List[Seen]:
        """What the handlers have seen so far (a copy)."""
        with self.lock:
            return list(self.seen)

    def reset(self) -> None:
        """Forget the calls seen."""
        with self.lock:
            self.seen.clear()

    def tls_credentials(self, call_credentials: grpc.CallCredentials) -> grpc.ChannelCredentials:
        """TLS (trusting the test CA) composed with ``call_credentials``."""
        return grpc.composite_channel_credentials(
            grpc.ssl_channel_credentials(root_certificates=self.pki.ca.cert_pem), call_credentials
        )


def _verdict(validator: fastjwt.Validator, value: str) -> str:
    scheme, _, token = value.partition(" ")
    if scheme != "Bearer":
        return "not bearer"
    try:
        validator.decode(token)
    except fastjwt.InvalidTokenError as err:
        return type(err).__name__
    return "ok"


def start_echo_server(
    clock: Callable[[], float],
    metadata_keys: Sequence[str] = ("authorization",),
    interceptors: Sequence[grpc.ServerInterceptor] = (),
) -> EchoServer:
    """Start the echo server; the caller stops it (``server.stop(None)``).

    ``clock`` is the server's Validator clock (a ``FakeClock`` the test
    sets); ``interceptors`` go on the server (fastjwt's AuthInterceptor in
    the end-to-end tests).
    """
    validator = fastjwt.Validator(SECRET, algorithms=["HS256"], audience=AUDIENCE, clock=clock, leeway=0)
    pki = DevPKI.create()
    holder: Dict[str, EchoServer] = {}

    def record(context: grpc.ServicerContext, kind: str) -> bytes:
        values = tuple(
            value for key, value in context.invocation_metadata() if key in metadata_keys
        )
        verdicts = tuple(_verdict(validator, value) for value in values)
        claims = current_claims()
        echo = holder["server"]
        with echo.lock:
            echo.seen.append(Seen(method(kind), values, verdicts, None if claims is None else claims["sub"]))
        return json.dumps({"values": list(values), "verdicts": list(verdicts)}).encode()

    def unary_unary(request: bytes, context: grpc.ServicerContext) -> bytes:
        return record(context, "UnaryUnary")

    def unary_stream(request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        reply = record(context, "UnaryStream")
        yield reply
        yield reply

    def stream_unary(requests: Iterator[bytes], context: grpc.ServicerContext) -> bytes:
        for _ in requests:
            pass
        return record(context, "StreamUnary")

    def stream_stream(requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
        reply = record(context, "StreamStream")
        for _ in requests:
            yield reply

    handler = grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "UnaryUnary": grpc.unary_unary_rpc_method_handler(unary_unary),
            "UnaryStream": grpc.unary_stream_rpc_method_handler(unary_stream),
            "StreamUnary": grpc.stream_unary_rpc_method_handler(stream_unary),
            "StreamStream": grpc.stream_stream_rpc_method_handler(stream_stream),
        },
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), interceptors=list(interceptors))
    server.add_generic_rpc_handlers((handler,))
    insecure_port = server.add_insecure_port("127.0.0.1:0")
    tls_port = server.add_secure_port(
        "127.0.0.1:0", grpc.ssl_server_credentials([(pki.server.key_pem, pki.server.cert_pem)])
    )
    local_port = server.add_secure_port(
        "127.0.0.1:0", grpc.local_server_credentials(grpc.LocalConnectionType.LOCAL_TCP)
    )
    server.start()
    echo = EchoServer(server, pki, insecure_port, tls_port, local_port)
    holder["server"] = echo
    return echo


async def start_aio_echo_server(interceptors: Sequence[Any]) -> Tuple[Any, int, List[Seen]]:
    """A ``grpc.aio`` echo server on an insecure 127.0.0.1 port: (server, port, calls seen).

    Same service and replies as the sync one, without the at-receipt
    verdicts (the interceptor under test decides), with ``current_claims()``.
    """
    seen: List[Seen] = []

    def record(context: Any, kind: str) -> bytes:
        values = tuple(value for key, value in context.invocation_metadata() if key == "authorization")
        claims = current_claims()
        seen.append(Seen(method(kind), values, (), None if claims is None else claims["sub"]))
        return json.dumps({"values": list(values)}).encode()

    async def unary_unary(request: bytes, context: Any) -> bytes:
        return record(context, "UnaryUnary")

    async def unary_stream(request: bytes, context: Any) -> Any:
        reply = record(context, "UnaryStream")
        yield reply
        yield reply

    async def stream_unary(requests: Any, context: Any) -> bytes:
        async for _ in requests:
            pass
        return record(context, "StreamUnary")

    async def stream_stream(requests: Any, context: Any) -> Any:
        reply = record(context, "StreamStream")
        async for _ in requests:
            yield reply

    handler = grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "UnaryUnary": grpc.unary_unary_rpc_method_handler(unary_unary),
            "UnaryStream": grpc.unary_stream_rpc_method_handler(unary_stream),
            "StreamUnary": grpc.stream_unary_rpc_method_handler(stream_unary),
            "StreamStream": grpc.stream_stream_rpc_method_handler(stream_stream),
        },
    )
    server = grpc.aio.server(interceptors=list(interceptors))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port, seen


def call_sync(channel: grpc.Channel, kind: str, timeout: float = 10.0, **kwargs: Any) -> List[Dict[str, Any]]:
    """Make one call of ``kind``; the decoded replies (two for streamed responses)."""
    requests = [b"a", b"b"]
    if kind == "UnaryUnary":
        replies = [channel.unary_unary(method(kind))(b"a", timeout=timeout, **kwargs)]
    elif kind == "UnaryStream":
        replies = list(channel.unary_stream(method(kind))(b"a", timeout=timeout, **kwargs))
    elif kind == "StreamUnary":
        replies = [channel.stream_unary(method(kind))(iter(requests), timeout=timeout, **kwargs)]
    else:
        replies = list(channel.stream_stream(method(kind))(iter(requests), timeout=timeout, **kwargs))
    return [json.loads(reply) for reply in replies]


async def call_aio(channel: Any, kind: str, timeout: float = 10.0, **kwargs: Any) -> List[Dict[str, Any]]:
    """The same for a ``grpc.aio`` channel."""
    requests = [b"a", b"b"]
    if kind == "UnaryUnary":
        replies = [await channel.unary_unary(method(kind))(b"a", timeout=timeout, **kwargs)]
    elif kind == "UnaryStream":
        replies = [reply async for reply in channel.unary_stream(method(kind))(b"a", timeout=timeout, **kwargs)]
    elif kind == "StreamUnary":
        replies = [await channel.stream_unary(method(kind))(iter(requests), timeout=timeout, **kwargs)]
    else:
        call = channel.stream_stream(method(kind))(iter(requests), timeout=timeout, **kwargs)
        replies = [reply async for reply in call]
    return [json.loads(reply) for reply in replies]


def expected_replies(kind: str, values: Sequence[str], verdicts: Sequence[str]) -> List[Dict[str, Any]]:
    """What ``call_sync``/``call_aio`` return for a call that carried ``values``."""
    reply = {"values": list(values), "verdicts": list(verdicts)}
    return [reply, reply] if kind in ("UnaryStream", "StreamStream") else [reply]


class CountingFetch:
    """A fetch function that signs a new token per call and counts the calls.

    Each token lives ``lifetime`` seconds from ``clock()``; ``delay`` makes
    the fetch slow (so concurrent callers overlap it); ``fail`` makes it raise.
    """

    def __init__(self, clock: Callable[[], float], lifetime: float = 60.0, delay: float = 0.0, **claims: Any) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.delay = delay
        self.claims = claims  # added to every token
        self.fail: Optional[BaseException] = None
        self.tokens: List[str] = []
        self.failures = 0
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        """How many times fetch ran."""
        with self._lock:
            return len(self.tokens) + self.failures

    def __call__(self) -> str:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            if self.fail is not None:
                self.failures += 1
                raise self.fail
            token = sign(self.clock() + self.lifetime, sub=f"client-{len(self.tokens)}", **self.claims)
            self.tokens.append(token)
            return token
