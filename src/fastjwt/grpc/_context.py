"""The verified claims of the current call, as a context variable.

The interceptors set it before the handler runs. grpcio (1.60 and later)
runs a sync server's interceptors and handler in one ``contextvars.Context``
per call, and a ``grpc.aio`` server runs them in one task's context, so a
handler, its response generator and anything they call see their own call's
claims, however many calls run at once. Sync handlers on an aio server run in
a thread pool that does not carry the context over; the aio interceptor sets
the variable inside those threads itself.

A token answered by the cache sets the variable to ``[template]``: the
cache's own claims, shared by every call with that token, read (never
changed) by the interceptor's checks. ``current_claims()`` makes the call's
copy on its first use and appends it, so later uses in the call get the same
dict and a handler that never asks costs no copy.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Dict, List, Optional, Union

from .._cache import copy_json

__all__ = ["current_claims"]

#: What CLAIMS holds (see below).
Served = Union[None, Dict[str, Any], List[Dict[str, Any]]]

#: Claims of the call being served: the call's own dict (a verified token), ``[template]`` or
#: ``[template, copy]`` (a cache hit); None when the method is public and no valid token came.
CLAIMS: ContextVar[Served] = ContextVar("fastjwt_grpc_claims", default=None)


def current_claims() -> Optional[Dict[str, Any]]:
    """The verified claims of the current gRPC call, or None.

    None outside a call, and in a public method called without a (valid)
    token. The dict belongs to this call: changing it affects no other call.
    """
    value = CLAIMS.get()
    if isinstance(value, list):
        if len(value) == 1:
            # Two threads of one call may both copy: both return the first copy appended.
            value.append(copy_json(value[0]))
        return value[1]
    return value
