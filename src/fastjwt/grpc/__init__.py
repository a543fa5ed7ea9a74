"""gRPC adapter (``pip install 'fastjwt-validator[grpc]'``); ``import fastjwt`` never imports it.

Client side (this file lists the client names only; the server side is added
beside them): token providers, call credentials for TLS channels and a client
interceptor for every RPC kind. The ``grpc.aio`` variants are in
:mod:`fastjwt.grpc.aio`.
"""

from __future__ import annotations

# --- client (fastjwt/grpc/_client.py) ---
from ._client import (
    AuthClientInterceptor,
    CallableTokenProvider,
    RefreshingTokenProvider,
    StaticTokenProvider,
    TokenCallCredentials,
    TokenProvider,
    TokenRefreshError,
)

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
