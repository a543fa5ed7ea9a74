"""gRPC integration: authenticate calls with JWTs (needs the ``grpc`` extra).

Server side: :class:`AuthInterceptor` (sync ``grpc.server``; the ``grpc.aio``
one is :class:`fastjwt.grpc.aio.AuthInterceptor`), :class:`Policy` and
:class:`Rule` (per-method scopes, roles, public methods, certificate binding),
:func:`current_claims` (the verified claims inside a handler) and
:class:`Decision` (what ``on_decision`` receives).

``import fastjwt`` never imports this package, so grpcio stays optional.
"""

from __future__ import annotations

from ._context import current_claims
from ._decision import Decision
from ._server import AuthInterceptor
from .policy import Policy, Rule

__all__ = ["AuthInterceptor", "Decision", "Policy", "Rule", "current_claims"]
