"""gRPC adapter (``pip install 'fastjwt-validator[grpc]'``); ``import fastjwt`` never imports it.

Server side: :class:`AuthInterceptor` for sync ``grpc.server`` (the
``grpc.aio`` one is :class:`fastjwt.grpc.aio.AuthInterceptor`), :class:`Policy`
and :class:`Rule` (per-method scopes, roles, public methods, certificate
binding), :func:`current_claims` (the verified claims inside a handler) and
:class:`Decision` (what ``on_decision`` receives).
"""

from __future__ import annotations

# --- server (fastjwt/grpc/_server.py, policy.py, _context.py, _decision.py) ---
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
]
