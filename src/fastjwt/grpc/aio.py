"""The gRPC adapter for ``grpc.aio`` servers and channels.

Server side: :class:`AuthInterceptor`, the ``grpc.aio`` counterpart of
:class:`fastjwt.grpc.AuthInterceptor` (same arguments and behaviour);
``fastjwt.grpc.current_claims``, ``Policy`` and ``Rule`` serve both.

Client side: an async refreshing token provider and the four ``grpc.aio``
client interceptors (:class:`AuthClientInterceptor`); the sync providers and
:func:`TokenCallCredentials` work with ``grpc.aio`` too and are re-exported here.
"""

from __future__ import annotations

# --- client (fastjwt/grpc/_client.py, _client_aio.py) ---
from ._client import (
    CallableTokenProvider,
    StaticTokenProvider,
    TokenCallCredentials,
    TokenProvider,
    TokenRefreshError,
)
from ._client_aio import AuthClientInterceptor, RefreshingTokenProvider

# --- server (fastjwt/grpc/_server_aio.py) ---
from ._server_aio import AuthInterceptor

__all__ = [
    # server
    "AuthInterceptor",
    # client
    "AuthClientInterceptor",
    "CallableTokenProvider",
    "RefreshingTokenProvider",
    "StaticTokenProvider",
    "TokenCallCredentials",
    "TokenProvider",
    "TokenRefreshError",
]
