"""A gRPC auth interceptor built on PyJWT: the benchmark peer of fastjwt.grpc (bench only).

It is written the way such interceptors usually are: in ``intercept_service``,
read the ``authorization`` metadata, ``jwt.decode`` the bearer token (the key is
loaded once, as a server would) and check the required scopes; on failure,
return a handler that aborts with UNAUTHENTICATED or PERMISSION_DENIED.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional, Sequence

import grpc
import jwt


class _Check:
    """Decode and authorize one bearer token; return None or (status code, message)."""

    def __init__(self, key: Any, algorithms: Sequence[str], audience: str, issuer: str,
                 scopes: Iterable[str]) -> None:
        self.key, self.algorithms, self.audience, self.issuer = key, list(algorithms), audience, issuer
        self.scopes = frozenset(scopes)

    def __call__(self, metadata: Optional[Sequence[Any]]) -> Optional[tuple[grpc.StatusCode, str]]:
        header = next((value for key, value in metadata or () if key == "authorization"), None)
        if header is None or not header.lower().startswith("bearer "):
            return grpc.StatusCode.UNAUTHENTICATED, "missing token"
        try:
            claims = jwt.decode(header[7:], self.key, algorithms=self.algorithms, audience=self.audience,
                                issuer=self.issuer)
        except jwt.InvalidTokenError:
            return grpc.StatusCode.UNAUTHENTICATED, "invalid token"
        if not self.scopes <= set(str(claims.get("scope", "")).split()):
            return grpc.StatusCode.PERMISSION_DENIED, "missing scope"
        return None


def _abort(code: grpc.StatusCode, message: str) -> grpc.RpcMethodHandler:
    def deny(request: Any, context: grpc.ServicerContext) -> None:
        context.abort(code, message)

    return grpc.unary_unary_rpc_method_handler(deny)


def _abort_aio(code: grpc.StatusCode, message: str) -> grpc.RpcMethodHandler:
    async def deny(request: Any, context: grpc.aio.ServicerContext) -> None:
        await context.abort(code, message)

    return grpc.unary_unary_rpc_method_handler(deny)


class PyJWTInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]
    """Sync server interceptor (unary methods only: the benchmark's echo service)."""

    def __init__(self, key: Any, algorithms: Sequence[str], *, audience: str, issuer: str,
                 scopes: Iterable[str] = ()) -> None:
        self._check = _Check(key, algorithms, audience, issuer, scopes)

    def intercept_service(self, continuation: Callable[[Any], Any], handler_call_details: Any) -> Any:
        failure = self._check(handler_call_details.invocation_metadata)
        return continuation(handler_call_details) if failure is None else _abort(*failure)


class AioPyJWTInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """grpc.aio server interceptor (unary methods only)."""

    def __init__(self, key: Any, algorithms: Sequence[str], *, audience: str, issuer: str,
                 scopes: Iterable[str] = ()) -> None:
        self._check = _Check(key, algorithms, audience, issuer, scopes)

    async def intercept_service(self, continuation: Callable[[Any], Any], handler_call_details: Any) -> Any:
        failure = self._check(handler_call_details.invocation_metadata)
        return await continuation(handler_call_details) if failure is None else _abort_aio(*failure)
