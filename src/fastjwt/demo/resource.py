"""The demo's protected service: ``fastjwt.demo.v1.ResourceService`` behind the fastjwt interceptor.

Its access policy is not in this file: it is declared in ``resource.proto``
with ``fastjwt.auth.v1`` options and read by
:meth:`fastjwt.grpc.Policy.from_services`. Each handler counts its calls, so
the demo can prove a refused call never reached it, and answers with the
subject of the verified token (:func:`fastjwt.grpc.current_claims`).
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent import futures
from typing import Any, Iterator, Optional, Tuple

import grpc

from ..grpc import AuthInterceptor, Policy, current_claims
from .v1 import resource_pb2, resource_pb2_grpc

__all__ = ["ResourceServicer", "resource_policy", "serve_resource"]

SERVICE = "fastjwt.demo.v1.ResourceService"


def resource_policy() -> Policy:
    """The policy declared in ``resource.proto``."""
    return Policy.from_services(resource_pb2)


def _subject() -> str:
    claims = current_claims()
    return str(claims.get("sub", "")) if claims else ""


class ResourceServicer(resource_pb2_grpc.ResourceServiceServicer):
    """An in-memory item store; ``calls`` counts the handler runs per method."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._items = {str(i): f"item {i}" for i in range(1, 6)}

    def _ran(self, method: str) -> None:
        with self._lock:
            self.calls[method] += 1

    def GetItem(self, request: resource_pb2.GetItemRequest, context: grpc.ServicerContext) -> resource_pb2.Item:  # noqa: N802
        """One item (items:read)."""
        self._ran("GetItem")
        name = self._items.get(request.id)
        if name is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no such item")
        return resource_pb2.Item(id=request.id, name=name, seen_by=_subject())

    def DeleteItem(self, request: resource_pb2.DeleteItemRequest,  # noqa: N802
                   context: grpc.ServicerContext) -> resource_pb2.DeleteItemResponse:
        """Delete an item (items:admin)."""
        self._ran("DeleteItem")
        with self._lock:
            self._items.pop(request.id, None)
        return resource_pb2.DeleteItemResponse()

    def ListItems(self, request: resource_pb2.ListItemsRequest,  # noqa: N802
                  context: grpc.ServicerContext) -> Iterator[resource_pb2.Item]:
        """Server streaming (items:read)."""
        self._ran("ListItems")
        subject = _subject()
        with self._lock:
            items = sorted(self._items.items())
        for item_id, name in items[: request.limit or None]:
            yield resource_pb2.Item(id=item_id, name=name, seen_by=subject)

    def PutItems(self, request_iterator: Iterator[resource_pb2.Item],  # noqa: N802
                 context: grpc.ServicerContext) -> resource_pb2.PutItemsResponse:
        """Client streaming (items:write)."""
        self._ran("PutItems")
        stored = 0
        for item in request_iterator:
            with self._lock:
                self._items[item.id] = item.name
            stored += 1
        return resource_pb2.PutItemsResponse(stored=stored)

    def Chat(self, request_iterator: Iterator[resource_pb2.Item],  # noqa: N802
             context: grpc.ServicerContext) -> Iterator[resource_pb2.Item]:
        """Bidirectional streaming (items:read): each item back, stamped with the caller."""
        self._ran("Chat")
        for item in request_iterator:
            yield resource_pb2.Item(id=item.id, name=item.name, seen_by=_subject())

    def ServerInfo(self, request: resource_pb2.ServerInfoRequest,  # noqa: N802
                   context: grpc.ServicerContext) -> resource_pb2.ServerInfoResponse:
        """Public: no token needed; names the caller when a valid token came along."""
        self._ran("ServerInfo")
        return resource_pb2.ServerInfoResponse(name="fastjwt demo", caller=_subject())


def serve_resource(validator: Any, *, credentials: grpc.ServerCredentials, policy: Optional[Policy] = None,
                   protect: bool = True, host: str = "127.0.0.1", port: int = 0, max_workers: int = 16,
                   ) -> Tuple[grpc.Server, int, ResourceServicer, Optional[AuthInterceptor]]:
    """A started TLS server with the resource service, gRPC health checking and reflection.

    ``protect=False`` leaves out the interceptor (the demo's fault hook: its
    checks must then fail). Returns the server, its port, the servicer and the interceptor.
    """
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection

    interceptor = AuthInterceptor(validator, policy or resource_policy()) if protect else None
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="resource"),
        interceptors=[interceptor] if interceptor is not None else [],
    )
    servicer = ResourceServicer()
    resource_pb2_grpc.add_ResourceServiceServicer_to_server(servicer, server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = (SERVICE, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME)
    reflection.enable_server_reflection(names, server)
    bound = server.add_secure_port(f"{host}:{port}", credentials)
    server.start()
    health_servicer.set(SERVICE, health_pb2.HealthCheckResponse.SERVING)
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    return server, bound, servicer, interceptor
