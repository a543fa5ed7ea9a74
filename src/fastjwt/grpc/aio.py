"""The gRPC adapter for ``grpc.aio`` servers and channels.

Server side: :class:`AuthInterceptor`, the ``grpc.aio`` counterpart of
:class:`fastjwt.grpc.AuthInterceptor` (same arguments and behaviour);
``fastjwt.grpc.current_claims``, ``Policy`` and ``Rule`` serve both.
"""

from __future__ import annotations

# --- server (fastjwt/grpc/_server_aio.py) ---
from ._server_aio import AuthInterceptor

__all__ = [
    # server
    "AuthInterceptor",
]
