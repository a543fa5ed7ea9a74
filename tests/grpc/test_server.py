"""fastjwt.grpc.AuthInterceptor on a real sync grpc.server on 127.0.0.1."""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent import futures
from typing import Any, Dict, Iterator, List, Tuple

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2, reflection_pb2_grpc
from grpc_support import (
    KINDS,
    METHODS,
    POLICY,
    SECRET,
    SERVICE,
    STATUS,
    TIMEOUT,
    Recorder,
    bearer,
    call,
    channel,
    claims_of,
    mint,
    rejection_cases,
    status_of,
    sync_echo_handler,
    sync_server,
    validator,
)

import fastjwt
from fastjwt import Key, KeySet
from fastjwt._pki import DevPKI
from fastjwt.grpc import AuthInterceptor, Decision, Policy, current_claims

pytestmark = pytest.mark.network


class Served:
    """A running server, its channel, what its handlers saw and its decisions."""

    def __init__(self, port: int, recorder: Recorder, interceptor: AuthInterceptor,
                 decisions: List[Decision]) -> None:
        self.channel = channel(port)
        self.recorder = recorder
        self.interceptor = interceptor
        self.decisions = decisions


BARRIER = threading.Barrier(20)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    recorder = Recorder()
    decisions: List[Decision] = []
    interceptor = AuthInterceptor(validator(), POLICY, on_decision=decisions.append)

    def add_health_and_reflection(server: grpc.Server) -> None:
        health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
        reflection.enable_server_reflection((SERVICE, reflection.SERVICE_NAME, health.SERVICE_NAME), server)

    handlers = [sync_echo_handler(recorder, barrier=BARRIER), sync_echo_handler(recorder, "test.Open")]
    with sync_server([interceptor], handlers, setup=add_health_and_reflection) as port:
        served = Served(port, recorder, interceptor, decisions)
        yield served
        served.channel.close()


def request_id() -> bytes:
    return uuid.uuid4().hex.encode()


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
    health_stub = health_pb2_grpc.HealthStub(served.channel)
    response = health_stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=TIMEOUT)
    assert response.status == health_pb2.HealthCheckResponse.SERVING
    reflection_stub = reflection_pb2_grpc.ServerReflectionStub(served.channel)
    answers = list(reflection_stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=TIMEOUT))
    names = {service.name for service in answers[0].list_services_response.service}
    assert SERVICE in names and "grpc.health.v1.Health" in names


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


def test_hide_reasons_and_custom_metadata_key() -> None:
    recorder = Recorder()
    interceptor = AuthInterceptor(validator(), POLICY, hide_reasons=True, metadata_key="X-Access-Token")
    with sync_server([interceptor], [sync_echo_handler(recorder)]) as port:
        chan = channel(port)
        token = mint(sub="frank")
        md = (("x-access-token", f"Bearer {token}"),)
        assert claims_of(call(chan, "unary_unary", md, b"x"))[0]["sub"] == "frank"
        assert status_of(chan, "unary_unary", bearer(token), b"x") == (STATUS.UNAUTHENTICATED, "access denied")
        assert status_of(chan, "unary_unary", (("x-access-token", f"Bearer {mint(scope='no')}"),), b"x") == (
            STATUS.PERMISSION_DENIED, "access denied")
        chan.close()


def test_health_follows_the_policy_when_named_or_not_public() -> None:
    for interceptor in (AuthInterceptor(validator(), {"/grpc.health.v1.Health/*": {"scopes": ["ops"]}}),
                        AuthInterceptor(validator(), public_health=False)):
        with sync_server([interceptor], [],
                         setup=lambda s: health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), s)
                         ) as port:
            chan = channel(port)
            stub = health_pb2_grpc.HealthStub(chan)
            with pytest.raises(grpc.RpcError) as raised:
                stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=TIMEOUT)
            assert (raised.value.code(), raised.value.details()) == (STATUS.UNAUTHENTICATED, "missing token")
            chan.close()


def test_key_rotation_during_a_stream_of_calls_fails_none() -> None:
    old, new = Key(SECRET, kid="2026-a", alg="HS256"), Key(SECRET[::-1], kid="2026-b", alg="HS256")
    checker = fastjwt.Validator(keys=KeySet([old]), algorithms=["HS256"], audience="api")
    interceptor = AuthInterceptor(checker, POLICY)
    signing = {"key": SECRET, "kid": "2026-a"}
    lock = threading.Lock()
    stop = threading.Event()
    used_new: Dict[int, bool] = {}
    failures: List[str] = []
    calls = [0]

    def client(worker: int, chan: grpc.Channel) -> None:
        while not stop.is_set():
            with lock:
                key, kid = signing["key"], signing["kid"]
            # Half the calls reuse a token (cache), half are new (verified).
            token = mint(key=key, headers={"kid": kid}, sub=f"w{worker}", jti=uuid.uuid4().hex if worker % 2 else None)
            try:
                call(chan, KINDS[worker % 4], bearer(token), b"x")
            except grpc.RpcError as error:
                failures.append(f"{kid}: {error.code()} {error.details()}")
            with lock:
                calls[0] += 1
                used_new[worker] = kid == "2026-b"

    with sync_server([interceptor], [sync_echo_handler(Recorder())]) as port:
        chan = channel(port)
        threads = [threading.Thread(target=client, args=(worker, chan)) for worker in range(4)]
        for thread in threads:
            thread.start()
        try:
            _wait(lambda: calls[0] >= 20)
            checker.update_keys(KeySet([old, new]))  # the new key is published first...
            with lock:
                signing.update(key=SECRET[::-1], kid="2026-b")  # ...then the issuer signs with it
            _wait(lambda: len(used_new) == 4 and all(used_new.values()))
            checker.update_keys(KeySet([new]))  # and the old key is withdrawn
            target = calls[0] + 20
            _wait(lambda: calls[0] >= target)
        finally:
            stop.set()
            for thread in threads:
                thread.join(TIMEOUT)
            chan.close()
    assert failures == []
    assert calls[0] >= 60


def _wait(condition: Any, timeout: float = TIMEOUT) -> None:
    event = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        event.wait(0.01)
    raise AssertionError("timed out")


# ------------------------------------------------------------------ RFC 8705

@pytest.fixture(scope="module")
def pki() -> DevPKI:
    return DevPKI.create()


def test_certificate_bound_tokens(pki: DevPKI) -> None:
    from grpc_support import channel_credentials, server_credentials

    alice = pki.client("alice")
    policy = dict(POLICY, **{"/test.Echo/Unary": {"scopes": ["echo"], "require_cert_binding": True}})
    decisions: List[Decision] = []
    interceptor = AuthInterceptor(validator(), policy, on_decision=decisions.append)
    recorder = Recorder()
    bound = mint(sub="alice", cnf={"x5t#S256": alice.thumbprint_s256})
    handlers = [sync_echo_handler(recorder)]
    with sync_server([interceptor], handlers, credentials=server_credentials(pki, mtls=True)) as mtls_port, \
            sync_server([interceptor], handlers, credentials=server_credentials(pki, mtls=False)) as tls_port:
        as_alice = channel(mtls_port, channel_credentials(pki, "alice"))
        as_bob = channel(mtls_port, channel_credentials(pki, "bob"))
        plain_tls = channel(tls_port, channel_credentials(pki))
        for kind in KINDS:
            for attempt in ("verified", "cached"):
                assert claims_of(call(as_alice, kind, bearer(bound), b"ok"))[0]["sub"] == "alice", attempt
                rid = request_id()
                assert status_of(as_bob, kind, bearer(bound), rid) == (STATUS.UNAUTHENTICATED, "certificate mismatch")
                assert status_of(plain_tls, kind, bearer(bound), rid) == (
                    STATUS.UNAUTHENTICATED, "client certificate required")
                assert rid not in recorder.seen
        # A method that requires binding refuses an unbound token, even over mTLS.
        unbound = mint(sub="alice")
        assert status_of(as_alice, "unary_unary", bearer(unbound), b"x") == (
            STATUS.UNAUTHENTICATED, "token not bound to a certificate")
        assert claims_of(call(as_alice, "unary_stream", bearer(unbound), b"x"))[0]["sub"] == "alice"
        for chan in (as_alice, as_bob, plain_tls):
            chan.close()
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


def test_a_failing_on_decision_callback_changes_no_outcome(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="fastjwt.grpc")
    outcomes: List[str] = []

    def on_decision(decision: Decision) -> None:
        outcomes.append(decision.outcome)
        raise RuntimeError("the metrics backend is down")

    recorder = Recorder()
    interceptor = AuthInterceptor(validator(), POLICY, on_decision=on_decision)
    tokens = []
    with sync_server([interceptor], [sync_echo_handler(recorder), sync_echo_handler(recorder, "test.Open")]) as port:
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
