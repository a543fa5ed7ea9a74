"""The verified claims of the current call, as a context variable.

The interceptors set it before the handler runs. grpcio (1.60 and later)
runs a sync server's interceptors and handler in one ``contextvars.Context``
per call, and a ``grpc.aio`` server runs them in one task's context, so a
handler, its response generator and anything they call see their own call's
claims, however many calls run at once. Sync handlers on an aio server run in
a thread pool that does not carry the context over; the aio interceptor sets
the variable inside those threads itself.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Dict, Optional

__all__ = ["current_claims"]

#: Claims of the call being served; None when the method is public and no valid token came.
CLAIMS: ContextVar[Optional[Dict[str, Any]]] = ContextVar("fastjwt_grpc_claims", default=None)


def current_claims() -> Optional[Dict[str, Any]]:
    """The verified claims of the current gRPC call, or None.

    None outside a call, and in a public method called without a (valid)
    token. The dict belongs to this call: changing it affects no other call.
    """
    return CLAIMS.get()
