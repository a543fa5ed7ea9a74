"""The token service over real gRPC on 127.0.0.1 (plaintext and TLS)."""

from __future__ import annotations

import threading
from typing import Iterator, List, Tuple

import grpc
import pytest
from _demo_support import AUDIENCE, CLIENT_ID, CLIENT_SECRET, ISSUER, PASSWORD, USERNAME
from grpc_health.v1 import health_pb2, health_pb2_grpc

import fastjwt
from fastjwt._pki import DevPKI
from fastjwt.demo.issuer import TokenIssuer
from fastjwt.demo.token_service import serve_token_service
from fastjwt.demo.v1 import token_pb2, token_pb2_grpc

pytestmark = pytest.mark.network


@pytest.fixture
def stub(issuer: TokenIssuer) -> Iterator[token_pb2_grpc.TokenServiceStub]:
    server, port = serve_token_service(issuer, max_workers=24)
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield token_pb2_grpc.TokenServiceStub(channel)
    finally:
        channel.close()
        server.stop(None).wait(5)


def _login(stub: token_pb2_grpc.TokenServiceStub, scope: str = "") -> token_pb2.TokenResponse:
    return stub.Login(
        token_pb2.LoginRequest(client=token_pb2.ClientCredentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET),
                               scope=scope),
        timeout=10,
    )


def _status(call: object) -> Tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as info:
        call()  # type: ignore[operator]
    return info.value.code(), info.value.details()


def test_login_refresh_reuse_revoke(stub: token_pb2_grpc.TokenServiceStub, issuer: TokenIssuer) -> None:
    first = _login(stub, "items:read")
    assert (first.token_type, first.expires_in, first.scope) == ("Bearer", 300, "items:read")
    validator = fastjwt.Validator(keys=fastjwt.KeySet.from_jwks(issuer.keyring.jwks()), algorithms=["ES256"],
                                  audience=AUDIENCE, issuer=ISSUER, clock=issuer._clock)
    assert validator.decode(first.access_token)["sub"] == CLIENT_ID
    second = stub.Refresh(token_pb2.RefreshRequest(refresh_token=first.refresh_token), timeout=10)
    assert second.refresh_token != first.refresh_token and second.scope == "items:read"
    assert _status(lambda: stub.Refresh(token_pb2.RefreshRequest(refresh_token=first.refresh_token), timeout=10)) == (
        grpc.StatusCode.UNAUTHENTICATED, "refresh token reused; its family is revoked")
    assert _status(lambda: stub.Refresh(token_pb2.RefreshRequest(refresh_token=second.refresh_token), timeout=10)) == (
        grpc.StatusCode.UNAUTHENTICATED, "refresh token family revoked")
    third = _login(stub)
    stub.Revoke(token_pb2.RevokeRequest(refresh_token=third.refresh_token), timeout=10)
    stub.Revoke(token_pb2.RevokeRequest(refresh_token="unknown"), timeout=10)  # RFC 7009: not an error
    assert _status(lambda: stub.Refresh(token_pb2.RefreshRequest(refresh_token=third.refresh_token), timeout=10)) == (
        grpc.StatusCode.UNAUTHENTICATED, "refresh token family revoked")


def test_login_failures(stub: token_pb2_grpc.TokenServiceStub) -> None:
    wrong = token_pb2.LoginRequest(client=token_pb2.ClientCredentials(client_id=CLIENT_ID, client_secret="nope"))
    assert _status(lambda: stub.Login(wrong, timeout=10)) == (grpc.StatusCode.UNAUTHENTICATED,
                                                             "invalid client credentials")
    user = token_pb2.LoginRequest(password=token_pb2.PasswordCredentials(username=USERNAME, password="nope"))
    assert _status(lambda: stub.Login(user, timeout=10)) == (grpc.StatusCode.UNAUTHENTICATED,
                                                            "invalid user credentials")
    assert _status(lambda: stub.Login(token_pb2.LoginRequest(), timeout=10)) == (
        grpc.StatusCode.INVALID_ARGUMENT, "client or password credentials required")
    assert _status(lambda: _login(stub, "items:admin")) == (grpc.StatusCode.PERMISSION_DENIED,
                                                          "scope not granted: items:admin")
    user = token_pb2.LoginRequest(password=token_pb2.PasswordCredentials(username=USERNAME, password=PASSWORD))
    assert stub.Login(user, timeout=10).scope == "items:read"
    assert _status(lambda: stub.Refresh(token_pb2.RefreshRequest(), timeout=10)) == (
        grpc.StatusCode.UNAUTHENTICATED, "malformed refresh token")


def test_concurrent_refreshes_over_grpc(stub: token_pb2_grpc.TokenServiceStub, issuer: TokenIssuer) -> None:
    token = _login(stub).refresh_token
    threads = 20
    barrier = threading.Barrier(threads)
    outcomes: List[str] = []
    lock = threading.Lock()

    def refresh() -> None:
        barrier.wait(10)
        try:
            stub.Refresh(token_pb2.RefreshRequest(refresh_token=token), timeout=30)
            outcome = "ok"
        except grpc.RpcError as err:
            outcome = f"{err.code().name}: {err.details()}"
        with lock:
            outcomes.append(outcome)

    workers = [threading.Thread(target=refresh) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert sorted(outcomes) == sorted(
        ["ok", "UNAUTHENTICATED: refresh token reused; its family is revoked"]
        + ["UNAUTHENTICATED: refresh token family revoked"] * (threads - 2)
    )


def test_over_tls_with_health(issuer: TokenIssuer) -> None:
    pki = DevPKI.create()
    credentials = grpc.ssl_server_credentials([(pki.server.key_pem, pki.server.cert_pem)])
    server, port = serve_token_service(issuer, credentials=credentials)
    channel = grpc.secure_channel(f"127.0.0.1:{port}", grpc.ssl_channel_credentials(pki.ca.cert_pem))
    try:
        assert _login(token_pb2_grpc.TokenServiceStub(channel)).scope == "items:read items:write"
        health = health_pb2_grpc.HealthStub(channel)
        reply = health.Check(health_pb2.HealthCheckRequest(service="fastjwt.demo.v1.TokenService"), timeout=10)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        plaintext = grpc.insecure_channel(f"127.0.0.1:{port}")
        with pytest.raises(grpc.RpcError) as info:
            _login(token_pb2_grpc.TokenServiceStub(plaintext))
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        plaintext.close()
    finally:
        channel.close()
        server.stop(None).wait(5)


def test_reflection_lists_the_token_service(issuer: TokenIssuer) -> None:
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

    server, port = serve_token_service(issuer)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            services = ProtoReflectionDescriptorDatabase(channel).get_services()
    finally:
        server.stop(None).wait(5)
    assert sorted(services) == ["fastjwt.demo.v1.TokenService", "grpc.health.v1.Health",
                                "grpc.reflection.v1alpha.ServerReflection"]
