"""The token service over gRPC: ``fastjwt.demo.v1.TokenService`` on a :class:`TokenIssuer`.

Statuses: wrong credentials and bad refresh tokens are ``UNAUTHENTICATED``, a
scope the principal is not granted is ``PERMISSION_DENIED``, a request without
credentials is ``INVALID_ARGUMENT``. Status messages are short reasons; they
never contain a secret or a token.
"""

from __future__ import annotations

import logging
from concurrent import futures
from typing import Optional, Tuple

import grpc

from .issuer import InvalidClientError, InvalidGrantError, InvalidScopeError, TokenIssuer, TokenSet
from .v1 import token_pb2, token_pb2_grpc

__all__ = ["TokenServicer", "serve_token_service"]

log = logging.getLogger("fastjwt.demo.token_service")


def _response(tokens: TokenSet) -> token_pb2.TokenResponse:
    return token_pb2.TokenResponse(
        access_token=tokens.access_token,
        token_type=tokens.token_type,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        scope=tokens.scope,
    )


class TokenServicer(token_pb2_grpc.TokenServiceServicer):
    """``TokenService`` backed by a :class:`~fastjwt.demo.issuer.TokenIssuer`."""

    def __init__(self, issuer: TokenIssuer) -> None:
        self.issuer = issuer

    def Login(self, request: token_pb2.LoginRequest, context: grpc.ServicerContext) -> token_pb2.TokenResponse:  # noqa: N802
        """Client credentials or password login."""
        kind = request.WhichOneof("credentials")
        try:
            if kind == "client":
                tokens = self.issuer.login_client(request.client.client_id, request.client.client_secret, request.scope)
            elif kind == "password":
                tokens = self.issuer.login_password(request.password.username, request.password.password, request.scope)
            else:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "client or password credentials required")
        except InvalidClientError as err:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, str(err))
        except InvalidScopeError as err:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, str(err))
        return _response(tokens)

    def Refresh(self, request: token_pb2.RefreshRequest, context: grpc.ServicerContext) -> token_pb2.TokenResponse:  # noqa: N802
        """Refresh-token rotation; reuse revokes the family."""
        try:
            tokens = self.issuer.refresh(request.refresh_token)
        except InvalidGrantError as err:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, str(err))
        return _response(tokens)

    def Revoke(self, request: token_pb2.RevokeRequest, context: grpc.ServicerContext) -> token_pb2.RevokeResponse:  # noqa: N802
        """Logout: revoke the family (an unknown token is not an error, RFC 7009)."""
        self.issuer.revoke(request.refresh_token)
        return token_pb2.RevokeResponse()


def serve_token_service(issuer: TokenIssuer, *, host: str = "127.0.0.1", port: int = 0,
                        credentials: Optional[grpc.ServerCredentials] = None,
                        max_workers: int = 8) -> Tuple[grpc.Server, int]:
    """A started gRPC server with the token service, gRPC health checking and reflection;
    returns it and its port. ``credentials``: TLS server credentials (None: plaintext)."""
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="token-service"))
    token_pb2_grpc.add_TokenServiceServicer_to_server(TokenServicer(issuer), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (token_pb2.DESCRIPTOR.services_by_name["TokenService"].full_name,
         health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME), server)
    address = f"{host}:{port}"
    bound = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    server.start()
    health_servicer.set("fastjwt.demo.v1.TokenService", health_pb2.HealthCheckResponse.SERVING)
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    log.info("token service on %s:%d", host, bound)
    return server, bound
