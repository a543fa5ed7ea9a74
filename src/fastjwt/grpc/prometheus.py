"""Prometheus metrics for the gRPC interceptors' decisions (the ``metrics`` extra).

::

    from fastjwt.grpc.prometheus import PrometheusRecorder

    interceptor = AuthInterceptor(validator, policy, on_decision=PrometheusRecorder())

exports, with the default namespace ``fastjwt``:

- ``fastjwt_grpc_decisions_total{method, outcome, reason}``: one per call;
  ``outcome`` is allowed, public, unauthenticated or permission_denied, and
  ``reason`` the short reason of a refusal ("" when there is none);
- ``fastjwt_grpc_decision_seconds{outcome}``: the interceptor's own time per call;
- ``fastjwt_grpc_cache_hits_total``: calls whose token was answered by the
  verified-token cache.

This is the only module of fastjwt that imports ``prometheus_client``.
"""

from __future__ import annotations

import threading
from typing import Dict, Optional, Protocol, Sequence, Set, Tuple

try:
    from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
except ImportError as error:  # pragma: no cover - the metrics extra is installed in the test environment
    raise ImportError(
        "fastjwt.grpc.prometheus needs prometheus-client: pip install 'fastjwt-validator[metrics]'"
    ) from error

#: From a cache hit (about a microsecond) to a slow key fetch.
DEFAULT_BUCKETS: Tuple[float, ...] = (
    5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 1e-2, 0.1, 1.0,
)

#: The label value of every method or reason beyond the caps.
OTHER = "(other)"


class DecisionLike(Protocol):
    """What the recorder reads from a ``fastjwt.grpc`` Decision."""

    method: str
    outcome: str
    reason: Optional[str]
    cache_hit: bool
    latency: float


class _Bounded:
    """Label values as seen, up to a cap; later new values become OTHER.

    A client chooses the method name it sends, and the interceptor decides before
    grpc knows whether the method exists: without a cap, random method names would
    create one time series each.
    """

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._seen: Set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        with self._lock:
            if value in self._seen or len(self._seen) < self._cap:
                self._seen.add(value)
                return value
        return OTHER


class PrometheusRecorder:
    """An ``on_decision`` callback that counts decisions and times them in Prometheus metrics.

    ``registry``: the ``CollectorRegistry`` to register in (default: prometheus_client's
    global one; registering twice in one registry raises ``ValueError``).
    ``max_methods`` / ``max_reasons`` cap the distinct label values (further ones are
    counted as ``"(other)"``). Thread-safe; the label children are looked up once per
    combination, so a call costs a dictionary lookup and three increments.
    """

    def __init__(
        self,
        registry: Optional[CollectorRegistry] = None,
        namespace: str = "fastjwt",
        *,
        buckets: Sequence[float] = DEFAULT_BUCKETS,
        max_methods: int = 1000,
        max_reasons: int = 100,
    ) -> None:
        registry = REGISTRY if registry is None else registry
        self.decisions = Counter(
            "grpc_decisions", "gRPC calls by authorization decision.", ("method", "outcome", "reason"),
            namespace=namespace, registry=registry,
        )
        self.latency = Histogram(
            "grpc_decision_seconds", "Time the interceptor spent deciding a gRPC call.", ("outcome",),
            namespace=namespace, registry=registry, buckets=tuple(buckets),
        )
        self.cache_hits = Counter(
            "grpc_cache_hits", "gRPC calls whose token was answered by the verified-token cache.",
            namespace=namespace, registry=registry,
        )
        self._method = _Bounded(max_methods)
        self._reason = _Bounded(max_reasons)
        self._children: Dict[Tuple[str, str, Optional[str]], Tuple[Counter, Histogram]] = {}

    def __call__(self, decision: DecisionLike) -> None:
        """Record one decision."""
        key = (decision.method, decision.outcome, decision.reason)
        children = self._children.get(key)
        if children is None:
            children = self._children_for(*key)
        count, latency = children
        count.inc()
        latency.observe(decision.latency)
        if decision.cache_hit:
            self.cache_hits.inc()

    def _children_for(self, method: str, outcome: str, reason: Optional[str]) -> Tuple[Counter, Histogram]:
        method_label, reason_label = self._method(method), self._reason(reason or "")
        children = (self.decisions.labels(method_label, outcome, reason_label), self.latency.labels(outcome))
        if method_label == method and reason_label == (reason or ""):
            # Keys beyond the caps are not kept: the dictionary stays as bounded as the labels.
            self._children[(method, outcome, reason)] = children
        return children
