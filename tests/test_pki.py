"""The throwaway PKI: its certificates carry real TLS and mTLS gRPC calls on loopback."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from concurrent import futures
from typing import Any, List

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from fastjwt._pki import DevPKI, cert_thumbprint_s256

_METHOD = "/pki.Test/Echo"


def _serve(pki: DevPKI, *, require_client_cert: bool, seen: List[Any]) -> Any:
    def echo(request: bytes, context: Any) -> bytes:
        seen.append(context.auth_context())
        return request

    handler = grpc.method_handlers_generic_handler(
        "pki.Test", {"Echo": grpc.unary_unary_rpc_method_handler(echo)}
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((handler,))
    creds = grpc.ssl_server_credentials(
        [(pki.server.key_pem, pki.server.cert_pem)],
        root_certificates=pki.ca.cert_pem if require_client_cert else None,
        require_client_auth=require_client_cert,
    )
    port = server.add_secure_port("127.0.0.1:0", creds)
    server.start()
    return server, port


@pytest.fixture(scope="module")
def pki() -> DevPKI:
    return DevPKI.create()


def test_tls_call_verifies_against_the_ca(pki: DevPKI) -> None:
    seen: List[Any] = []
    server, port = _serve(pki, require_client_cert=False, seen=seen)
    try:
        creds = grpc.ssl_channel_credentials(root_certificates=pki.ca.cert_pem)
        with grpc.secure_channel(f"127.0.0.1:{port}", creds) as channel:
            reply = channel.unary_unary(_METHOD)(b"ping", timeout=10)
        assert reply == b"ping"
        assert seen[0]["transport_security_type"] == [b"ssl"]
    finally:
        server.stop(None)


def test_mtls_client_certificate_reaches_the_server_with_its_thumbprint(pki: DevPKI) -> None:
    seen: List[Any] = []
    server, port = _serve(pki, require_client_cert=True, seen=seen)
    alice = pki.client("alice")
    try:
        creds = grpc.ssl_channel_credentials(
            root_certificates=pki.ca.cert_pem,
            private_key=alice.key_pem,
            certificate_chain=alice.cert_pem,
        )
        with grpc.secure_channel(f"127.0.0.1:{port}", creds) as channel:
            assert channel.unary_unary(_METHOD)(b"x", timeout=10) == b"x"
        peer_pem = seen[0]["x509_pem_cert"][0]
        assert cert_thumbprint_s256(peer_pem) == alice.thumbprint_s256
        der = x509.load_pem_x509_certificate(alice.cert_pem).public_bytes(serialization.Encoding.DER)
        expected = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
        assert alice.thumbprint_s256 == expected
        assert pki.client("alice") is alice  # issued once per name
        assert pki.client("bob").thumbprint_s256 != alice.thumbprint_s256
    finally:
        server.stop(None)


def test_mtls_server_refuses_a_client_without_certificate(pki: DevPKI) -> None:
    seen: List[Any] = []
    server, port = _serve(pki, require_client_cert=True, seen=seen)
    try:
        creds = grpc.ssl_channel_credentials(root_certificates=pki.ca.cert_pem)
        with grpc.secure_channel(f"127.0.0.1:{port}", creds) as channel:
            with pytest.raises(grpc.RpcError) as err:
                channel.unary_unary(_METHOD)(b"x", timeout=10)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert seen == []
    finally:
        server.stop(None)


def test_write_uses_owner_only_permissions_for_keys(pki: DevPKI, tmp_path: Any) -> None:
    paths = pki.write(str(tmp_path), clients=("alice",))
    assert sorted(paths) == ["alice.key", "alice.pem", "ca.pem", "server.key", "server.pem"]
    assert stat.S_IMODE(os.stat(paths["server.key"]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(paths["alice.key"]).st_mode) == 0o600
    with open(paths["ca.pem"], "rb") as fh:
        assert fh.read() == pki.ca.cert_pem
