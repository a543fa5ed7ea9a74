"""gRPC adapter (``pip install 'fastjwt-validator[grpc]'``); ``import fastjwt`` never imports it.

Server side: :class:`AuthInterceptor` (sync ``grpc.server``; the ``grpc.aio``
one is :class:`fastjwt.grpc.aio.AuthInterceptor`), :class:`Policy` and
:class:`Rule` (per-method scopes, roles, public methods, certificate binding),
:func:`current_claims` (the verified claims inside a handler) and
:class:`Decision` (what ``on_decision`` receives).

Client side: token providers, call credentials for TLS channels and a client
interceptor for every RPC kind; the ``grpc.aio`` variants are in
:mod:`fastjwt.grpc.aio`.
"""

from __future__ import annotations

from ._client import (
    AuthClientInterceptor,
    CallableTokenProvider,
    RefreshingTokenProvider,
    StaticTokenProvider,
    TokenCallCredentials,
    TokenProvider,
    TokenRefreshError,
)
from ._context import current_claims
from ._decision import Decision
from ._server import AuthInterceptor
from .policy import Policy, Rule

__all__ = [
    # server
    "AuthInterceptor",
    "Decision",
    "Policy",
    "Rule",
    "current_claims",
    # client
    "AuthClientInterceptor",
    "CallableTokenProvider",
    "RefreshingTokenProvider",
    "StaticTokenProvider",
    "TokenCallCredentials",
    "TokenProvider",
    "TokenRefreshError",
]
