"""The gRPC adapter for ``grpc.aio`` channels and servers.

Client side (this file lists the client names only; the server side is added
beside them): an async refreshing token provider and the four ``grpc.aio``
client interceptors. The sync providers and :func:`TokenCallCredentials` work
with ``grpc.aio`` too and are re-exported here.
"""

from __future__ import annotations

# --- client (fastjwt/grpc/_client_aio.py) ---
from ._client import (
    CallableTokenProvider,
    StaticTokenProvider,
    TokenCallCredentials,
    TokenProvider,
    TokenRefreshError,
)
from ._client_aio import AuthClientInterceptor, RefreshingTokenProvider

__all__ = [
    # client
    "AuthClientInterceptor",
    "CallableTokenProvider",
    "RefreshingTokenProvider",
    "StaticTokenProvider",
    "TokenCallCredentials",
    "TokenProvider",
    "TokenRefreshError",
]
