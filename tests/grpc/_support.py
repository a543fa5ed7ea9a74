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
import uuid
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


def request_id() -> bytes:
    """A unique request: the handler's Recorder tells whether this very call reached it."""
    return uuid.uuid4().hex.encode()


class Served:
    """A running server of a module's fixture: its channel, what its handlers saw, its decisions."""

    def __init__(self, port: int, recorder: Recorder, interceptor: Any, decisions: List[Any]) -> None:
        self.channel = channel(port)
        self.recorder = recorder
        self.interceptor = interceptor
        self.decisions = decisions


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


#: The two servers: grpc.server with fastjwt.grpc.AuthInterceptor, grpc.aio with fastjwt.grpc.aio's.
SERVERS = ("sync", "aio")


def auth_interceptor(style: str, *args: Any, **kwargs: Any) -> Any:
    """The AuthInterceptor for a "sync" or an "aio" server."""
    from fastjwt.grpc import AuthInterceptor
    from fastjwt.grpc.aio import AuthInterceptor as AioAuthInterceptor

    return (AuthInterceptor if style == "sync" else AioAuthInterceptor)(*args, **kwargs)


def echo_handler(style: str, recorder: Recorder, service: str = SERVICE) -> grpc.GenericRpcHandler:
    """The echo handlers of a "sync" or an "aio" server."""
    return sync_echo_handler(recorder, service) if style == "sync" else aio_echo_handler(recorder, service)


def serve(style: str, interceptors: Sequence[Any], handlers: Sequence[grpc.GenericRpcHandler],
          **kwargs: Any) -> Any:
    """``sync_server`` or ``aio_server`` (a context manager yielding the port)."""
    return (sync_server if style == "sync" else aio_server)(interceptors, handlers, **kwargs)


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


def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Poll ``condition`` every 10 ms; AssertionError after ``timeout`` seconds."""
    event = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        event.wait(0.01)
    raise AssertionError("timed out")


#: Mints a token for (sub, jti); jti None reuses the token (the cache answers it).
Signer = Callable[[str, Optional[str]], str]


def calls_across_rotations(chan: grpc.Channel, first: Signer,
                           steps: Sequence[Tuple[Callable[[], None], Optional[Signer]]],
                           workers: int = 4) -> Tuple[int, List[str]]:
    """Keep ``workers`` client threads calling the echo methods (every kind,
    half the tokens new, half reused) with tokens from the current signer,
    while ``steps`` run: each step's action (e.g. publish keys), then, if it
    gives one, the switch to a new signer, and a wait until every worker has
    completed a call with it (no step gives no switch: 20 more calls). Returns
    the number of calls and every failure (a refused call, or claims not the
    caller's)."""
    state: Dict[str, Any] = {"signer": first, "generation": 0}
    lock = threading.Lock()
    stop = threading.Event()
    done: Dict[int, int] = {}  # worker -> generation of its last completed call
    failures: List[str] = []
    calls = [0]

    def client(worker: int) -> None:
        sub = f"w{worker}"
        while not stop.is_set():
            with lock:
                signer, generation = state["signer"], state["generation"]
            token = signer(sub, uuid.uuid4().hex if worker % 2 else None)
            try:
                responses = claims_of(call(chan, KINDS[worker % 4], bearer(token), b"x"))
                if [claims and claims["sub"] for claims in responses] != [sub] * len(responses):
                    failures.append(f"generation {generation}: claims {responses}")
            except grpc.RpcError as error:
                failures.append(f"generation {generation}: {error.code()} {error.details()}")
            with lock:
                calls[0] += 1
                done[worker] = generation

    threads = [threading.Thread(target=client, args=(worker,)) for worker in range(workers)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: calls[0] >= 20)
        for action, signer in steps:
            action()
            if signer is None:
                target = calls[0] + 20
                wait_until(lambda target=target: calls[0] >= target)
                continue
            with lock:
                state["signer"], state["generation"] = signer, state["generation"] + 1
                generation = state["generation"]
            wait_until(
                lambda generation=generation: len(done) == workers and all(g == generation for g in done.values())
            )
    finally:
        stop.set()
        for thread in threads:
            thread.join(TIMEOUT)
    return calls[0], failures


def hs256_signer(key: bytes, kid: str) -> Signer:
    """Tokens signed with ``key``, ``kid`` in their header."""
    return lambda sub, jti: mint(key=key, headers={"kid": kid}, sub=sub, jti=jti)


class RotatingIssuer:
    """An issuer's ES256 keys by kid, its JWKS document and its signers."""

    def __init__(self, *kids: str) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        self.keys = {kid: ec.generate_private_key(ec.SECP256R1()) for kid in kids}

    def jwks(self, *kids: str) -> Dict[str, Any]:
        """The JWKS document publishing ``kids``' public keys."""
        from fastjwt.jwk import key_to_jwk

        return {"keys": [key_to_jwk(self.keys[kid].public_key(), kid=kid, alg="ES256") for kid in kids]}

    def signer(self, kid: str) -> Signer:
        """Tokens signed with ``kid``'s key."""
        key = self.keys[kid]
        return lambda sub, jti: mint(key=key, algorithm="ES256", headers={"kid": kid}, sub=sub, jti=jti)


LOCKSTEP_SERVICE = "test.Lockstep"
LOCKSTEP_METHOD = f"/{LOCKSTEP_SERVICE}/Bidi"


def lockstep_handler(streams: int, style: str) -> grpc.GenericRpcHandler:
    """A bidi method whose ``streams`` concurrent calls answer each message
    together: every stream waits at a barrier before it answers with the
    ``sub`` of ``current_claims()``. ``style``: "sync" (a generator) or
    "async" (an async generator, for grpc.aio)."""
    if style == "sync":
        barrier = threading.Barrier(streams)

        def bidi(requests: Iterator[bytes], context: Any) -> Iterator[bytes]:
            for _ in requests:
                barrier.wait(TIMEOUT)
                yield json.dumps(current_claims()["sub"]).encode()  # type: ignore[index]

        return grpc.method_handlers_generic_handler(LOCKSTEP_SERVICE, {
            "Bidi": grpc.stream_stream_rpc_method_handler(bidi)})
    barriers: List[asyncio.Barrier] = []

    async def async_bidi(requests: Any, context: Any) -> Any:
        if not barriers:
            barriers.append(asyncio.Barrier(streams))  # made on the server's loop
        async for _ in requests:
            await asyncio.wait_for(barriers[0].wait(), TIMEOUT)
            yield json.dumps(current_claims()["sub"]).encode()  # type: ignore[index]

    return grpc.method_handlers_generic_handler(LOCKSTEP_SERVICE, {
        "Bidi": grpc.stream_stream_rpc_method_handler(async_bidi)})


def lockstep_calls(chan: grpc.Channel, streams: int, messages: int = 5) -> Dict[str, List[bytes]]:
    """``streams`` concurrent calls of LOCKSTEP_METHOD, each with its own token
    (sub "s<i>"), twice: new tokens (verified), then the same (cached). Returns
    what each sub's calls received."""
    tokens = {f"s{index}": mint(sub=f"s{index}") for index in range(streams)}
    seen: Dict[str, List[bytes]] = {sub: [] for sub in tokens}
    for _attempt in ("verified", "cached"):
        def one(sub: str) -> List[bytes]:
            return list(chan.stream_stream(LOCKSTEP_METHOD)(iter([b"x"] * messages), metadata=bearer(tokens[sub]),
                                                            timeout=TIMEOUT))

        with futures.ThreadPoolExecutor(max_workers=streams) as pool:
            for sub, answers in zip(tokens, pool.map(one, tokens)):
                seen[sub].extend(answers)
    return seen


def add_health_and_reflection(server: Any) -> None:
    """Health checking and (v1alpha) reflection, on a sync or an aio server."""
    from grpc_health.v1 import health, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection

    servicer = health.aio.HealthServicer() if isinstance(server, grpc.aio.Server) else health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    reflection.enable_server_reflection((SERVICE, reflection.SERVICE_NAME, health.SERVICE_NAME), server)


def health_and_reflection(chan: grpc.Channel, metadata: Optional[Sequence[Tuple[str, str]]] = None
                          ) -> Tuple[Any, Any]:
    """(health Check outcome, reflection list_services outcome): "ok" or (status code, details)."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    md = tuple(metadata) if metadata else None
    outcomes: List[Any] = []
    try:
        response = health_pb2_grpc.HealthStub(chan).Check(health_pb2.HealthCheckRequest(service=""),
                                                          metadata=md, timeout=TIMEOUT)
        outcomes.append("ok" if response.status == health_pb2.HealthCheckResponse.SERVING else response.status)
    except grpc.RpcError as error:
        outcomes.append((error.code(), error.details()))
    try:
        answers = list(reflection_pb2_grpc.ServerReflectionStub(chan).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), metadata=md, timeout=TIMEOUT))
        names = {service.name for service in answers[0].list_services_response.service}
        outcomes.append("ok" if {SERVICE, "grpc.health.v1.Health"} <= names else names)
    except grpc.RpcError as error:
        outcomes.append((error.code(), error.details()))
    return outcomes[0], outcomes[1]


#: Health and reflection named by the policy: they need scope "ops".
OPS_POLICY: Dict[str, Any] = {
    "/grpc.health.v1.Health/*": {"scopes": ["ops"]},
    "/grpc.reflection.v1alpha.ServerReflection/*": {"scopes": ["ops"]},
}


def leaks(text: str, metadata: Optional[Sequence[Tuple[str, str]]]) -> List[str]:
    """What ``text`` gives away: a header value, a token or any of its parts,
    a claim value of the test tokens, or a signing secret (raw or base64url)."""
    pieces = {SECRET.decode(), OTHER_SECRET.decode(), base64.urlsafe_b64encode(SECRET).decode().rstrip("="),
              "alice", "bob", "mallory", "api", "echo", "user", "guest", "other", "read"}
    for _, value in metadata or ():
        pieces.add(value)
        token = value.rpartition(" ")[2]
        pieces.add(token)
        pieces.update(part for part in token.split(".") if len(part) >= 4)
    return sorted(piece for piece in pieces if piece in text)


def assert_refusals_reveal_nothing(chan: grpc.Channel, kind: str, method: Optional[str] = None) -> None:
    """Every refusal of ``rejection_cases``: its exact details, and nothing of the
    token, claims or key in the details, the trailers or the debug string."""
    for name, metadata, _code, details in rejection_cases():
        try:
            call(chan, kind, metadata, b"x", method)
        except grpc.RpcError as error:
            text = f"{error.details()} {error.trailing_metadata()} {error.debug_error_string()}"
            assert error.details() == details and leaks(text, metadata) == [], name
        else:
            raise AssertionError(f"{name}: the call succeeded")


def assert_certificate_binding(pki: Any, style: str, recorder: Recorder, handlers: Sequence[grpc.GenericRpcHandler],
                               policy: Dict[str, Any], methods: Sequence[Tuple[str, str]], **options: Any) -> None:
    """RFC 8705 on a "sync" or "aio" server, over mTLS and plain TLS, for each
    (kind, method): a token bound to alice's certificate is served to alice
    (verified, then cached), refused to bob ("certificate mismatch") and over
    plain TLS ("client certificate required"), its handler never run; the
    echo Unary method requires binding, so an unbound token is refused there
    and served elsewhere."""
    alice = pki.client("alice")
    policy = dict(policy, **{f"/{SERVICE}/Unary": {"scopes": ["echo"], "require_cert_binding": True}})
    interceptor = auth_interceptor(style, validator(), policy, **options)
    bound = mint(sub="alice", cnf={"x5t#S256": alice.thumbprint_s256})
    with serve(style, [interceptor], handlers, credentials=server_credentials(pki, mtls=True)) as mtls_port, \
            serve(style, [interceptor], handlers, credentials=server_credentials(pki, mtls=False)) as tls_port:
        as_alice = channel(mtls_port, channel_credentials(pki, "alice"))
        as_bob = channel(mtls_port, channel_credentials(pki, "bob"))
        plain_tls = channel(tls_port, channel_credentials(pki))
        for kind, method in methods:
            for attempt in ("verified", "cached"):
                assert claims_of(call(as_alice, kind, bearer(bound), b"ok", method))[0]["sub"] == "alice", attempt
                rid = request_id()
                assert status_of(as_bob, kind, bearer(bound), rid, method) == (
                    STATUS.UNAUTHENTICATED, "certificate mismatch")
                assert status_of(plain_tls, kind, bearer(bound), rid, method) == (
                    STATUS.UNAUTHENTICATED, "client certificate required")
                assert rid not in recorder.seen
        unbound = mint(sub="alice")
        assert status_of(as_alice, "unary_unary", bearer(unbound), b"x") == (
            STATUS.UNAUTHENTICATED, "token not bound to a certificate")
        assert claims_of(call(as_alice, "unary_stream", bearer(unbound), b"x"))[0]["sub"] == "alice"
        for chan in (as_alice, as_bob, plain_tls):
            chan.close()
