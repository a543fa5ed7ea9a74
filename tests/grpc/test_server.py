"""fastjwt.grpc.AuthInterceptor on a real sync grpc.server on 127.0.0.1.

The tests of the last section hold for both servers and run on each (``style``
"sync" and "aio"); test_server_aio.py has what is the aio interceptor's own.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent import futures
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import grpc
import pytest
from grpc_support import (
    KINDS,
    METHODS,
    OPS_POLICY,
    POLICY,
    SECRET,
    SERVERS,
    SERVICE,
    STATUS,
    TIMEOUT,
    Recorder,
    RotatingIssuer,
    Served,
    add_health_and_reflection,
    assert_certificate_binding,
    assert_refusals_reveal_nothing,
    auth_interceptor,
    bearer,
    call,
    calls_across_rotations,
    channel,
    claims_of,
    echo_handler,
    health_and_reflection,
    hs256_signer,
    leaks,
    lockstep_calls,
    lockstep_handler,
    mint,
    rejection_cases,
    request_id,
    serve,
    status_of,
    sync_echo_handler,
    sync_server,
    validator,
)

import fastjwt
from fastjwt import Key, KeySet
from fastjwt._pki import DevPKI
from fastjwt.grpc import AuthInterceptor, Decision, Policy, _hot, current_claims
from fastjwt.grpc.aio import AuthInterceptor as AioAuthInterceptor

pytestmark = pytest.mark.network


BARRIER = threading.Barrier(20)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    recorder = Recorder()
    decisions: List[Decision] = []
    interceptor = AuthInterceptor(validator(), POLICY, on_decision=decisions.append)

    handlers = [sync_echo_handler(recorder, barrier=BARRIER), sync_echo_handler(recorder, "test.Open")]
    with sync_server([interceptor], handlers, setup=add_health_and_reflection) as port:
        served = Served(port, recorder, interceptor, decisions)
        yield served
        served.channel.close()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", [name for name, *_ in rejection_cases()])
def test_refused_before_the_handler_runs(served: Served, kind: str, case: str) -> None:
    _, metadata, code, details = next(c for c in rejection_cases() if c[0] == case)
    for attempt in ("first", "again (cache)"):
        rid = request_id()
        assert status_of(served.channel, kind, metadata, rid) == (code, details), attempt
        assert rid not in served.recorder.seen


@pytest.mark.parametrize("kind", KINDS)
def test_valid_token_reaches_the_handler_with_its_claims(served: Served, kind: str) -> None:
    token = mint(sub=f"valid-{kind}")
    for attempt in ("verified", "cached"):
        rid = request_id()
        responses = claims_of(call(served.channel, kind, bearer(token), rid))
        assert len(responses) == (3 if kind.endswith("_stream") else 1)
        assert all(claims is not None and claims["sub"] == f"valid-{kind}" and claims["scope"] == "echo"
                   for claims in responses), attempt
        assert rid in served.recorder.seen
    cache_hits = [d.cache_hit for d in served.decisions if d.method == METHODS[kind] and d.outcome == "allowed"][-2:]
    assert cache_hits == [False, True]


def test_the_hot_path_is_compiled() -> None:
    # The tests of this module run every call through it (and its Python fallbacks).
    assert AuthInterceptor.intercept_service is _hot.intercept_service
    assert AioAuthInterceptor.intercept_service is _hot.aio_intercept_service
    assert Path(_hot.__file__).suffix in {".so", ".pyd"}


class _ThreadRecordingValidator(fastjwt.Validator):
    """Remembers on which thread each kind of lookup ran."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.threads: List[Tuple[str, str]] = []
        self._nested = threading.local()  # decode() may ask the cache itself: not a call of the interceptor

    def decode(self, token: Any) -> Dict[str, Any]:
        self.threads.append(("decode", threading.current_thread().name))
        self._nested.active = True
        try:
            return super().decode(token)
        finally:
            self._nested.active = False

    def try_decode_cached(self, token: Any) -> Any:
        if not getattr(self._nested, "active", False):
            self.threads.append(("cached", threading.current_thread().name))
        return super().try_decode_cached(token)


@pytest.mark.parametrize("kind", KINDS)
def test_new_tokens_are_verified_on_a_worker_thread_cached_ones_decided_before(kind: str) -> None:
    checker = _ThreadRecordingValidator(SECRET, algorithms=["HS256"], audience="api")
    recorder = Recorder()
    with sync_server([AuthInterceptor(checker, POLICY)], [sync_echo_handler(recorder)]) as port:
        chan = channel(port)
        token = mint(sub="grace")
        for _ in range(2):
            assert claims_of(call(chan, kind, bearer(token), b"x"))[0]["sub"] == "grace"
        rid = request_id()
        assert status_of(chan, kind, bearer(mint(key=b"a-forged-secret-" * 3)), rid) == (
            STATUS.UNAUTHENTICATED, "bad signature")
        assert rid not in recorder.seen
        chan.close()
    kinds = [what for what, _ in checker.threads]
    assert kinds == ["cached", "decode", "cached", "cached", "decode"]
    for what, thread in checker.threads:
        # The cache is asked on grpcio's polling thread; signatures are checked on the pool.
        assert thread.startswith("grpc-worker") == (what == "decode"), (what, thread)


def test_scheme_is_case_insensitive_and_spaces_are_allowed(served: Served) -> None:
    token = mint(sub="carol")
    for header in (f"bearer {token}", f"BEARER {token}", f"Bearer   {token}"):
        assert claims_of(call(served.channel, "unary_unary", (("authorization", header),), b"x"))[0]["sub"] == "carol"


@pytest.mark.parametrize(("header", "details"), [
    ("Bearer", "malformed authorization header"),
    ("Bearer  ", "malformed authorization header"),
    ("eyJhbGciOiJIUzI1NiJ9.e30.sig", "malformed authorization header"),
    ("Token abc", "unsupported authorization scheme"),
    ("Bearer a b", "malformed token"),
    ("Bearer not.a.jwt", "malformed token"),
])
def test_authorization_header_forms(served: Served, header: str, details: str) -> None:
    assert status_of(served.channel, "unary_unary", (("authorization", header),), b"x") == (
        STATUS.UNAUTHENTICATED, details)


def test_concurrent_calls_each_see_their_own_claims(served: Served) -> None:
    def one(index: int) -> Tuple[int, Any]:
        token = mint(sub=f"user-{index}")
        kind = KINDS[index % 4] if index >= 20 else "unary_unary"
        request = b"barrier" if kind == "unary_unary" and index < 20 else b"x"
        return index, claims_of(call(served.channel, kind, bearer(token), request))

    with futures.ThreadPoolExecutor(max_workers=20) as pool:
        # 20 unary calls held together in their handlers by a barrier, then 20 of every kind.
        results = list(pool.map(one, range(40)))
    for index, responses in results:
        assert [claims["sub"] for claims in responses] == [f"user-{index}"] * len(responses)


def test_public_method_without_token_has_no_claims(served: Served) -> None:
    method = "/test.Open/ServerStream"
    assert claims_of(call(served.channel, "unary_stream", None, b"x", method)) == [None, None, None]
    # A valid token still gives its claims; an invalid one is ignored.
    assert claims_of(call(served.channel, "unary_unary", bearer(mint(sub="dan")), b"x", "/test.Open/Unary"))[0][
        "sub"] == "dan"
    assert claims_of(call(served.channel, "unary_unary", bearer("garbage"), b"x", "/test.Open/Unary")) == [None]
    assert served.decisions[-1] == Decision("/test.Open/Unary", "public", None, False,
                                            served.decisions[-1].latency)


def test_health_and_reflection_need_no_token(served: Served) -> None:
    assert health_and_reflection(served.channel) == ("ok", "ok")


def test_unknown_method_is_unimplemented(served: Served) -> None:
    assert status_of(served.channel, "unary_unary", bearer(mint()), b"x", "/test.Echo/Nope") == (
        STATUS.UNIMPLEMENTED, "Method not found!")


def test_decisions_and_counters(served: Served) -> None:
    before = served.interceptor.stats()
    token = mint(sub="eve")
    call(served.channel, "unary_unary", bearer(token), b"x")
    call(served.channel, "unary_unary", bearer(token), b"x")
    status_of(served.channel, "unary_unary", None, b"x")
    status_of(served.channel, "unary_unary", bearer(mint(scope="other")), b"x")
    expired = mint(exp=1)
    status_of(served.channel, "unary_unary", bearer(expired), b"x")  # verified, remembered as refused
    status_of(served.channel, "unary_unary", bearer(expired), b"x")  # refused from the cache
    after = served.interceptor.stats()
    delta = {name: after[name] - before[name] for name in after}
    assert delta == {"allowed": 2, "public": 0, "unauthenticated": 3, "permission_denied": 1,
                     "cache_hits": 2, "cache_misses": 3}
    last = [(d.method, d.outcome, d.reason, d.cache_hit) for d in served.decisions[-6:]]
    assert last == [
        (METHODS["unary_unary"], "allowed", None, False),
        (METHODS["unary_unary"], "allowed", None, True),
        (METHODS["unary_unary"], "unauthenticated", "missing token", False),
        (METHODS["unary_unary"], "permission_denied", "missing scope", False),
        (METHODS["unary_unary"], "unauthenticated", "expired", False),
        (METHODS["unary_unary"], "unauthenticated", "expired", True),
    ]
    assert all(0 <= d.latency < 1 for d in served.decisions[-6:])


@pytest.mark.parametrize("kind", KINDS)
def test_refusals_reveal_no_token_claims_or_key(served: Served, kind: str) -> None:
    token = mint()
    assert leaks(f"refused: {token}", bearer(token)) != []  # the check can fail
    assert_refusals_reveal_nothing(served.channel, kind)


# ------------------------------------------------------------------ RFC 8705

@pytest.fixture(scope="module")
def pki() -> DevPKI:
    return DevPKI.create()


def test_certificate_bound_tokens(pki: DevPKI) -> None:
    decisions: List[Decision] = []
    recorder = Recorder()
    assert_certificate_binding(pki, "sync", recorder, [sync_echo_handler(recorder)], POLICY,
                               [(kind, METHODS[kind]) for kind in KINDS], on_decision=decisions.append)
    assert ("certificate mismatch", True) in [(d.reason, d.cache_hit) for d in decisions]


def test_policy_object_and_current_claims_outside_a_call() -> None:
    assert current_claims() is None
    policy = Policy(POLICY, roles_claim="realm_access.roles")
    interceptor = AuthInterceptor(validator(), policy)
    assert interceptor.policy is policy
    with sync_server([interceptor], [sync_echo_handler(Recorder())]) as port:
        chan = channel(port)
        token = mint(roles=None, realm_access={"roles": ["user"]})
        assert claims_of(call(chan, "unary_unary", bearer(token), b"x"))[0]["realm_access"] == {"roles": ["user"]}
        assert status_of(chan, "unary_unary", bearer(mint()), b"x") == (STATUS.PERMISSION_DENIED, "missing role")
        chan.close()


class _DownKeys:
    """A key source whose endpoint is down and whose last keys are too old: it fails closed."""

    def key_set(self) -> KeySet:
        raise fastjwt.PyJWKClientConnectionError("No JWK Set could be fetched from https://id.example/jwks")

    def key_set_for(self, kid: str) -> KeySet:
        return self.key_set()


def test_keys_unavailable_is_unavailable() -> None:
    checker = fastjwt.Validator(keys=_DownKeys(), algorithms=["HS256"], audience="api")
    with sync_server([AuthInterceptor(checker)], [sync_echo_handler(Recorder())]) as port:
        chan = channel(port)
        token = mint(headers={"kid": "k1"})
        assert status_of(chan, "unary_unary", bearer(token), b"x") == (STATUS.UNAVAILABLE, "signing keys unavailable")
        chan.close()


@pytest.mark.parametrize(("error", "reason"), [
    (fastjwt.ExpiredSignatureError("Signature has expired"), "expired"),
    (fastjwt.InvalidSignatureError("Signature verification failed"), "bad signature"),
    (fastjwt.InvalidAudienceError("Audience doesn't match"), "wrong audience"),
    (fastjwt.InvalidIssuerError("Invalid issuer"), "wrong issuer"),
    (fastjwt.ImmatureSignatureError("The token is not yet valid (nbf)"), "not yet valid"),
    (fastjwt.InvalidIssuedAtError("Issued At claim (iat) must be an integer."), "bad issued-at time"),
    (fastjwt.InvalidAlgorithmError("The specified alg value is not allowed"), "algorithm not allowed"),
    (fastjwt.MissingRequiredClaimError("exp"), "missing required claim"),
    (fastjwt.exceptions.InvalidSubjectError("Invalid subject"), "wrong subject"),
    (fastjwt.exceptions.InvalidJTIError("JWT ID must be a string"), "bad token id"),
    (fastjwt.exceptions.InvalidTokenTypeError("Invalid token type"), "wrong token type"),
    (fastjwt.keys.KeyNotFoundError('Unable to find a signing key that matches: "k9"'), "unknown signing key"),
    (fastjwt.DecodeError("Not enough segments"), "malformed token"),
    (fastjwt.InvalidTokenError("anything else"), "invalid token"),
    (fastjwt.PyJWKClientConnectionError("down"), "signing keys unavailable"),
    (fastjwt.PyJWTError("other"), "invalid token"),
])
def test_every_fastjwt_error_has_a_short_reason(error: Exception, reason: str) -> None:
    from fastjwt.grpc._server import refusal_for

    refusal = refusal_for(error)
    assert refusal.reason == reason
    expected = STATUS.UNAVAILABLE if reason == "signing keys unavailable" else STATUS.UNAUTHENTICATED
    assert (refusal.code, refusal.outcome) == (expected, "unauthenticated")


def test_constructor_checks_its_arguments() -> None:
    with pytest.raises(TypeError, match="^validator must be a fastjwt.Validator$"):
        AuthInterceptor(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^policy must be a fastjwt.grpc.Policy or a mapping"):
        AuthInterceptor(validator(), ["*"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^metadata_key must be"):
        AuthInterceptor(validator(), metadata_key="token-bin")
    assert AuthInterceptor(validator(), Policy(), roles_claim="a.b").policy.roles_claim == "a.b"


def _thread_name_handler(pool: futures.ThreadPoolExecutor) -> grpc.GenericRpcHandler:
    """Echo handlers of every kind that answer with the name of the thread they run on,
    each function carrying grpcio's ``experimental_thread_pool``."""

    def name() -> bytes:
        return threading.current_thread().name.encode()

    def unary(request: bytes, context: grpc.ServicerContext) -> bytes:
        return name()

    def server_stream(request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        yield name()

    def client_stream(requests: Iterator[bytes], context: grpc.ServicerContext) -> bytes:
        for _ in requests:
            pass
        return name()

    def bidi_stream(requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
        for _ in requests:
            yield name()

    functions: Dict[str, Any] = {"Unary": unary, "ServerStream": server_stream, "ClientStream": client_stream,
                                 "BidiStream": bidi_stream}
    for function in functions.values():
        function.experimental_thread_pool = pool
    return grpc.method_handlers_generic_handler(SERVICE, {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "BidiStream": grpc.stream_stream_rpc_method_handler(bidi_stream),
    })


def test_a_methods_own_thread_pool_is_kept(pki: DevPKI) -> None:
    from grpc_support import channel_credentials, server_credentials

    dedicated = futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="dedicated")
    alice = pki.client("alice")
    interceptor = AuthInterceptor(validator(), POLICY)
    try:
        with sync_server([interceptor], [_thread_name_handler(dedicated)],
                         credentials=server_credentials(pki, mtls=True)) as port:
            chan = channel(port, channel_credentials(pki, "alice"))
            for kind in KINDS:
                unbound, bound = mint(sub=f"pool-{kind}"), mint(sub=kind, cnf={"x5t#S256": alice.thumbprint_s256})
                # verified in the handler, then cached (handler as is); a bound token: checked in the handler
                for token in (unbound, unbound, bound, bound):
                    threads = call(chan, kind, bearer(token), b"x")
                    assert [name.startswith(b"dedicated") for name in threads] == [True] * len(threads), kind
            chan.close()
    finally:
        dedicated.shutdown(wait=True)


# ------------------------------------------------------------------ policy from .proto options

class _ProtoEcho:
    """tests/protos/fastjwt_test/v1/echo.proto's services: every reply names the caller's ``sub``."""

    @staticmethod
    def _reply(text: str = "x") -> Any:
        from fastjwt_test.v1 import echo_pb2

        claims = current_claims()
        return echo_pb2.EchoReply(text=text, subject=claims["sub"] if claims else "")

    def Unary(self, request: Any, context: Any) -> Any:  # noqa: N802 (the .proto's names)
        return self._reply()

    Status = Purge = Ping = Unary

    def ServerStream(self, request: Any, context: Any) -> Iterator[Any]:  # noqa: N802
        yield self._reply()

    def ClientStream(self, requests: Iterator[Any], context: Any) -> Any:  # noqa: N802
        return self._reply(",".join(request.text for request in requests))

    def BidiStream(self, requests: Iterator[Any], context: Any) -> Iterator[Any]:  # noqa: N802
        for request in requests:
            yield self._reply(request.text)


def _proto_call(chan: grpc.Channel, method: str, metadata: Any) -> Any:
    """Call ``method`` of echo.proto's services: the reply's subject, or (status code, details)."""
    from fastjwt_test.v1 import echo_pb2, echo_pb2_grpc

    service, name = method.split("/")[1:]
    stub = (echo_pb2_grpc.EchoStub if service.endswith("Echo") else echo_pb2_grpc.AdminStub)(chan)
    request = echo_pb2.EchoRequest(text="x")
    try:
        if name == "ServerStream":
            return [reply.subject for reply in stub.ServerStream(request, metadata=metadata, timeout=TIMEOUT)]
        if name in ("ClientStream", "BidiStream"):
            answer = getattr(stub, name)(iter([request]), metadata=metadata, timeout=TIMEOUT)
            return [reply.subject for reply in answer] if name == "BidiStream" else answer.subject
        return getattr(stub, name)(request, metadata=metadata, timeout=TIMEOUT).subject
    except grpc.RpcError as error:
        return error.code(), error.details()


def test_a_policy_from_proto_options_decides_live_calls_as_its_mapping(pki: DevPKI) -> None:
    """Two servers of echo.proto's services, one with Policy.from_services(echo_pb2), one
    with the same rules written as a mapping: every method, every caller, the same answer."""
    from fastjwt_test.v1 import echo_pb2, echo_pb2_grpc
    from grpc_support import channel_credentials, server_credentials

    echo, admin = "/fastjwt_test.v1.Echo", "/fastjwt_test.v1.Admin"
    mapping = {  # echo.proto's options, written out
        f"{echo}/*": {"scopes": ["echo:read"]},
        f"{echo}/ServerStream": {"scopes": ["echo:read", "echo:stream"], "any_roles": ["streamer", "admin"]},
        f"{echo}/ClientStream": {"roles": ["uploader"], "any_scopes": ["echo:write", "echo:admin"],
                                 "require_cert_binding": True},
        f"{echo}/BidiStream": {"public": True},
        f"{echo}/Status": {},
        f"{admin}/Purge": {"roles": ["admin", "operator"]},
    }
    thumbprint = pki.client("alice").thumbprint_s256
    callers = {
        "nobody": None,
        "plain": mint(sub="plain", scope=None, roles=None),
        "reader": mint(sub="reader", scope="echo:read", roles=None),
        "streamer": mint(sub="streamer", scope="echo:read echo:stream", roles=["streamer"]),
        "uploader": mint(sub="uploader", scope=None, scp=["echo:admin"], roles=["uploader"],
                         cnf={"x5t#S256": thumbprint}),
        "unbound uploader": mint(sub="unbound", scope="echo:write", roles=["uploader"]),
        "admin": mint(sub="admin", scope="echo:read echo:stream echo:write", roles=["admin", "operator", "uploader"],
                      cnf={"x5t#S256": thumbprint}),
    }
    methods = [f"{echo}/{name}" for name in ("Unary", "ServerStream", "ClientStream", "BidiStream", "Status")] + [
        f"{admin}/Purge", f"{admin}/Ping"]

    def add_services(server: grpc.Server) -> None:
        echo_pb2_grpc.add_EchoServicer_to_server(_ProtoEcho(), server)
        echo_pb2_grpc.add_AdminServicer_to_server(_ProtoEcho(), server)

    answers = []
    for policy in (Policy.from_services(echo_pb2), mapping):
        with sync_server([AuthInterceptor(validator(), policy)], [], credentials=server_credentials(pki, mtls=True),
                         setup=add_services) as port:
            chan = channel(port, channel_credentials(pki, "alice"))
            answers.append({(method, who): _proto_call(chan, method, bearer(token) if token else None)
                            for method in methods for who, token in callers.items()})
            chan.close()
    from_proto, from_mapping = answers
    assert from_proto == from_mapping
    # Not vacuous: the rules tell these calls apart.
    denied, unauthenticated = (STATUS.PERMISSION_DENIED, "missing scope"), (STATUS.UNAUTHENTICATED, "missing token")
    assert [from_proto[(f"{echo}/Unary", who)] for who in ("nobody", "plain", "reader")] == [
        unauthenticated, denied, "reader"]
    assert from_proto[(f"{echo}/ServerStream", "reader")] == denied
    assert from_proto[(f"{echo}/ServerStream", "streamer")] == ["streamer"]
    assert from_proto[(f"{echo}/ClientStream", "uploader")] == "uploader"
    assert from_proto[(f"{echo}/ClientStream", "unbound uploader")] == (
        STATUS.UNAUTHENTICATED, "token not bound to a certificate")
    assert from_proto[(f"{echo}/BidiStream", "nobody")] == [""]
    assert from_proto[(f"{echo}/Status", "plain")] == "plain"
    assert from_proto[(f"{admin}/Purge", "streamer")] == (STATUS.PERMISSION_DENIED, "missing role")
    assert from_proto[(f"{admin}/Purge", "admin")] == "admin"
    assert from_proto[(f"{admin}/Ping", "plain")] == "plain"


# ------------------------------------------------------------------ both servers, one test

@pytest.mark.parametrize("style", SERVERS)
def test_hide_reasons_and_custom_metadata_key(style: str) -> None:
    interceptor = auth_interceptor(style, validator(), POLICY, hide_reasons=True, metadata_key="X-Access-Token")
    with serve(style, [interceptor], [echo_handler(style, Recorder())]) as port:
        chan = channel(port)
        token = mint(sub="frank")
        for kind in KINDS:
            assert claims_of(call(chan, kind, (("x-access-token", f"Bearer {token}"),), b"x"))[0]["sub"] == "frank"
            assert status_of(chan, kind, bearer(token), b"x") == (STATUS.UNAUTHENTICATED, "access denied")
            assert status_of(chan, kind, (("x-access-token", f"Bearer {mint(scope='no')}"),), b"x") == (
                STATUS.PERMISSION_DENIED, "access denied")
        chan.close()


@pytest.mark.parametrize("style", SERVERS)
@pytest.mark.parametrize("options", [{"policy": OPS_POLICY}, {"public_health": False}], ids=["named", "not public"])
def test_health_and_reflection_are_protected_when_named_or_not_public(style: str, options: Dict[str, Any]) -> None:
    with serve(style, [auth_interceptor(style, validator(), **options)], [], setup=add_health_and_reflection) as port:
        chan = channel(port)
        assert health_and_reflection(chan) == ((STATUS.UNAUTHENTICATED, "missing token"),) * 2
        assert health_and_reflection(chan, bearer(mint(scope="ops"))) == ("ok", "ok")
        # Named: the policy's rule (scope "ops"); not public: "*"'s rule (a valid token).
        expected = (STATUS.PERMISSION_DENIED, "missing scope") if "policy" in options else "ok"
        assert health_and_reflection(chan, bearer(mint())) == (expected, expected)
        chan.close()


@pytest.mark.parametrize("style", SERVERS)
def test_key_rotation_during_a_stream_of_calls_fails_none(style: str) -> None:
    old, new = Key(SECRET, kid="2026-a", alg="HS256"), Key(SECRET[::-1], kid="2026-b", alg="HS256")
    checker = fastjwt.Validator(keys=KeySet([old]), algorithms=["HS256"], audience="api")
    with serve(style, [auth_interceptor(style, checker, POLICY)], [echo_handler(style, Recorder())]) as port:
        chan = channel(port)
        calls, failures = calls_across_rotations(chan, hs256_signer(SECRET, "2026-a"), [
            # The new key is published first, then the issuer signs with it...
            (lambda: checker.update_keys(KeySet([old, new])), hs256_signer(SECRET[::-1], "2026-b")),
            # ...and the old key is withdrawn.
            (lambda: checker.update_keys(KeySet([new])), None),
        ])
        chan.close()
    assert failures == []
    assert calls >= 44  # 20 before, at least one per worker (4) with the new key, 20 after


@pytest.mark.parametrize("style", SERVERS)
def test_jwks_rotation_during_a_stream_of_calls_fails_none(style: str) -> None:
    """A real JWKS endpoint and JWKSClient (sync server) or AsyncJWKSClient on the aio
    server's loop: the issuer publishes a key and signs with it at once (a kid the client
    has not seen yet: the validator's refetch, or the aio interceptor's awaited one, finds
    it), twice; the second rotation withdraws the first key. Every call of every kind succeeds."""
    from _jwks_server import JWKSServer

    from fastjwt import AsyncJWKSClient, JWKSClient

    issuer = RotatingIssuer("a", "b", "c")
    with JWKSServer() as jwks_server:
        jwks_server.jwks = issuer.jwks("a")
        client: Any = (JWKSClient if style == "sync" else AsyncJWKSClient)(
            jwks_server.url, unknown_kid_cooldown=0, timeout=2)
        hooks = {} if style == "sync" else {"on_loop": client.start, "on_stop": client.aclose}
        checker = fastjwt.Validator(keys=client, algorithms=["ES256"], audience="api")
        try:
            with serve(style, [auth_interceptor(style, checker, POLICY)], [echo_handler(style, Recorder())],
                       **hooks) as port:
                chan = channel(port)

                def publish(*kids: str) -> Any:
                    return lambda: setattr(jwks_server, "jwks", issuer.jwks(*kids))

                calls, failures = calls_across_rotations(chan, issuer.signer("a"), [
                    (publish("a", "b"), issuer.signer("b")),
                    (publish("b", "c"), issuer.signer("c")),
                    (lambda: None, None),
                ])
                chan.close()
        finally:
            if style == "sync":
                client.close()
        stats = client.stats()
    assert failures == []
    assert calls >= 48  # 20 before, at least one call per worker (4) per new key, 20 after
    # One load, then the refetches the two new kids caused (shared, not one per call).
    assert 2 <= stats["unknown_kid_fetches"] <= 4 and stats["keys"] == 2, stats


@pytest.mark.parametrize("style", SERVERS)
def test_concurrent_streams_each_see_their_own_claims_at_every_message(style: str) -> None:
    """8 bidi streams at once, their handlers answering each message together (a barrier)."""
    interceptor = auth_interceptor(style, validator())
    with serve(style, [interceptor], [lockstep_handler(8, "sync" if style == "sync" else "async")]) as port:
        chan = channel(port)
        seen = lockstep_calls(chan, 8)
        chan.close()
    assert seen == {f"s{index}": [json.dumps(f"s{index}").encode()] * 10 for index in range(8)}
    assert interceptor.stats()["cache_hits"] == 8


@pytest.mark.parametrize("style", SERVERS)
def test_a_failing_on_decision_callback_changes_no_outcome(style: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="fastjwt.grpc")
    outcomes: List[str] = []

    def on_decision(decision: Decision) -> None:
        outcomes.append(decision.outcome)
        raise RuntimeError("the metrics backend is down")

    recorder = Recorder()
    interceptor = auth_interceptor(style, validator(), POLICY, on_decision=on_decision)
    tokens = []
    with serve(style, [interceptor], [echo_handler(style, recorder), echo_handler(style, recorder, "test.Open")]
               ) as port:
        chan = channel(port)
        for kind in KINDS:
            token = mint(sub=f"cb-{kind}")
            tokens.append(token)
            for attempt in ("verified", "cached"):
                assert claims_of(call(chan, kind, bearer(token), b"x"))[0]["sub"] == f"cb-{kind}", attempt
                assert status_of(chan, kind, None, b"x") == (STATUS.UNAUTHENTICATED, "missing token")
                assert status_of(chan, kind, bearer(mint(scope="read")), b"x") == (
                    STATUS.PERMISSION_DENIED, "missing scope")
                assert claims_of(call(chan, kind, None, b"x", METHODS[kind].replace(SERVICE, "test.Open")))[0] is None
        chan.close()
    assert outcomes == ["allowed", "unauthenticated", "permission_denied", "public"] * 8
    assert interceptor.stats()["allowed"] == 8
    records = [record for record in caplog.records if record.name == "fastjwt.grpc"]
    assert [(record.levelname, record.getMessage()) for record in records] == [
        ("ERROR", "on_decision callback raised RuntimeError; the decision stands (further failures of this "
                  "callback are not logged)")]
    assert not any(token in caplog.text for token in tokens)


@pytest.mark.parametrize("style", SERVERS)
def test_a_rules_remembered_verdicts_follow_each_tokens_claims(style: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A rule remembers the cached claims it admitted (2 here, then it starts over): every
    # repeat of a token, and the same claims under another rule, must still be judged right.
    monkeypatch.setattr(fastjwt.grpc._server, "_MAX_ADMITTED", 2)
    policy = {f"/{SERVICE}/*": {"scopes": ["echo"], "any_roles": ["user", "admin"]},
              METHODS["unary_unary"]: {"roles": ["admin"]}}
    interceptor = auth_interceptor(style, validator(), policy)
    no_scope, no_role = (STATUS.PERMISSION_DENIED, "missing scope"), (STATUS.PERMISSION_DENIED, "missing role")
    # token, its outcome under the service's rule, under Unary's (role "admin")
    cases = [(mint(sub=f"user-{n}"), f"user-{n}", no_role) for n in range(3)]
    cases += [(mint(sub="root", roles=["admin"]), "root", "root"), (mint(scope="other"), no_scope, no_role),
              (mint(roles=["guest"]), no_role, no_role)]

    def outcome(chan: grpc.Channel, kind: str, token: str) -> Any:
        try:
            return claims_of(call(chan, kind, bearer(token), b"x"))[0]["sub"]  # type: ignore[index]
        except grpc.RpcError as error:
            return error.code(), error.details()

    with serve(style, [interceptor], [echo_handler(style, Recorder())]) as port:
        chan = channel(port)
        for attempt in range(3):
            for token, by_service, by_unary in cases:
                assert outcome(chan, "unary_stream", token) == by_service, attempt
                assert outcome(chan, "unary_unary", token) == by_unary, attempt
                assert outcome(chan, "stream_unary", token) == by_service, attempt
        chan.close()
    assert all(len(memo) <= 2 for memo in interceptor._admitted.values())
    stats = interceptor.stats()
    assert (stats["allowed"], stats["permission_denied"]) == (3 * (8 + 1), 3 * (4 + 5))
    assert (stats["cache_misses"], stats["cache_hits"]) == (6, 3 * 18 - 6)
