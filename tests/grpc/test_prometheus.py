"""PrometheusRecorder: decisions become counters and a histogram in a real registry."""

from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Dict, Optional

import pytest
from grpc_support import (
    METHODS,
    POLICY,
    STATUS,
    Recorder,
    aio_echo_handler,
    aio_server,
    bearer,
    call,
    channel,
    mint,
    status_of,
    sync_echo_handler,
    sync_server,
    validator,
)
from prometheus_client import CollectorRegistry, generate_latest

from fastjwt.grpc import AuthInterceptor
from fastjwt.grpc.aio import AuthInterceptor as AioAuthInterceptor
from fastjwt.grpc.prometheus import PrometheusRecorder


@dataclass(frozen=True)
class FakeDecision:
    """The fields of fastjwt.grpc's Decision that the recorder reads."""

    method: str
    outcome: str
    reason: Optional[str] = None
    cache_hit: bool = False
    latency: float = 1e-6


def _samples(registry: CollectorRegistry, prefix: str = "fastjwt_grpc_") -> Dict[str, float]:
    """The exposition's samples whose name starts with prefix (no _created timestamps)."""
    samples = {}
    for line in generate_latest(registry).decode().splitlines():
        if line.startswith(prefix) and "_created" not in line:
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_decisions_latency_and_cache_hits() -> None:
    registry = CollectorRegistry()
    record = PrometheusRecorder(registry)
    record(FakeDecision("/pkg.Svc/Get", "allowed", cache_hit=True, latency=2e-6))
    record(FakeDecision("/pkg.Svc/Get", "allowed", cache_hit=True, latency=3e-6))
    record(FakeDecision("/pkg.Svc/Get", "allowed", cache_hit=False, latency=4e-5))
    record(FakeDecision("/pkg.Svc/Get", "unauthenticated", reason="expired", latency=3e-6))
    record(FakeDecision("/pkg.Svc/Put", "permission_denied", reason="missing scope", cache_hit=True, latency=2e-6))
    record(FakeDecision("/grpc.health.v1.Health/Check", "public", latency=0.5))
    samples = _samples(registry)
    decisions = {k: v for k, v in samples.items() if k.startswith("fastjwt_grpc_decisions_total")}
    assert decisions == {
        'fastjwt_grpc_decisions_total{method="/pkg.Svc/Get",outcome="allowed",reason=""}': 3.0,
        'fastjwt_grpc_decisions_total{method="/pkg.Svc/Get",outcome="unauthenticated",reason="expired"}': 1.0,
        'fastjwt_grpc_decisions_total{method="/pkg.Svc/Put",outcome="permission_denied",reason="missing scope"}': 1.0,
        'fastjwt_grpc_decisions_total{method="/grpc.health.v1.Health/Check",outcome="public",reason=""}': 1.0,
    }
    assert samples["fastjwt_grpc_cache_hits_total"] == 3.0
    assert samples['fastjwt_grpc_decision_seconds_count{outcome="allowed"}'] == 3.0
    assert samples['fastjwt_grpc_decision_seconds_sum{outcome="allowed"}'] == pytest.approx(4.5e-5)
    assert samples['fastjwt_grpc_decision_seconds_bucket{le="5e-06",outcome="allowed"}'] == 2.0
    assert samples['fastjwt_grpc_decision_seconds_bucket{le="5e-05",outcome="allowed"}'] == 3.0
    assert samples['fastjwt_grpc_decision_seconds_bucket{le="0.1",outcome="public"}'] == 0.0
    assert samples['fastjwt_grpc_decision_seconds_bucket{le="1.0",outcome="public"}'] == 1.0
    assert samples['fastjwt_grpc_decision_seconds_count{outcome="unauthenticated"}'] == 1.0


def test_namespace_and_buckets() -> None:
    registry = CollectorRegistry()
    record = PrometheusRecorder(registry, namespace="gateway", buckets=(0.001, 0.01))
    record(FakeDecision("/pkg.Svc/Get", "allowed", latency=0.005))
    samples = _samples(registry, "gateway_")
    assert samples['gateway_grpc_decisions_total{method="/pkg.Svc/Get",outcome="allowed",reason=""}'] == 1.0
    assert [k for k in samples if "_bucket" in k] == [
        'gateway_grpc_decision_seconds_bucket{le="0.001",outcome="allowed"}',
        'gateway_grpc_decision_seconds_bucket{le="0.01",outcome="allowed"}',
        'gateway_grpc_decision_seconds_bucket{le="+Inf",outcome="allowed"}',
    ]
    assert samples['gateway_grpc_decision_seconds_bucket{le="0.001",outcome="allowed"}'] == 0.0
    assert samples["gateway_grpc_cache_hits_total"] == 0.0
    assert _samples(registry) == {}


def test_label_values_are_capped() -> None:
    registry = CollectorRegistry()
    record = PrometheusRecorder(registry, max_methods=2, max_reasons=1)
    for i in range(5):
        record(FakeDecision(f"/random.Svc/M{i}", "unauthenticated", reason=f"reason {i}"))
    record(FakeDecision("/random.Svc/M0", "unauthenticated", reason="reason 0"))
    decisions = {k: v for k, v in _samples(registry).items() if k.startswith("fastjwt_grpc_decisions_total")}
    assert decisions == {
        'fastjwt_grpc_decisions_total{method="/random.Svc/M0",outcome="unauthenticated",reason="reason 0"}': 2.0,
        'fastjwt_grpc_decisions_total{method="/random.Svc/M1",outcome="unauthenticated",reason="(other)"}': 1.0,
        'fastjwt_grpc_decisions_total{method="(other)",outcome="unauthenticated",reason="(other)"}': 3.0,
    }


def test_concurrent_records_are_all_counted() -> None:
    registry = CollectorRegistry()
    record = PrometheusRecorder(registry)

    def work(n: int) -> None:
        for i in range(500):
            record(FakeDecision(f"/pkg.Svc/M{i % 7}", "allowed", cache_hit=i % 2 == 0))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    samples = _samples(registry)
    assert sum(v for k, v in samples.items() if k.startswith("fastjwt_grpc_decisions_total")) == 4000.0
    assert samples["fastjwt_grpc_cache_hits_total"] == 2000.0
    assert samples['fastjwt_grpc_decision_seconds_count{outcome="allowed"}'] == 4000.0


def test_registering_twice_in_one_registry_is_refused() -> None:
    registry = CollectorRegistry()
    PrometheusRecorder(registry)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        PrometheusRecorder(registry)
    PrometheusRecorder(registry, namespace="other")


def test_prometheus_client_is_imported_only_when_asked_for() -> None:
    code = (
        "import sys, fastjwt, fastjwt.grpc, fastjwt.grpc.proto_policy; "
        "before = 'prometheus_client' in sys.modules; "
        "import fastjwt.grpc.prometheus; "
        "print(before, 'prometheus_client' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "False True"


@pytest.mark.parametrize("kind", ["sync", "aio"])
def test_with_the_real_interceptor(kind: str) -> None:
    registry = CollectorRegistry()
    recorder = PrometheusRecorder(registry)
    serve, handler, interceptor = (
        (sync_server, sync_echo_handler, AuthInterceptor) if kind == "sync"
        else (aio_server, aio_echo_handler, AioAuthInterceptor))
    token = mint()
    with serve([interceptor(validator(), POLICY, on_decision=recorder)], [handler(Recorder())]) as port:
        with channel(port) as chan:
            assert status_of(chan, "unary_unary", None, b"x") == (STATUS.UNAUTHENTICATED, "missing token")
            assert status_of(chan, "unary_unary", bearer(mint(scope="read")), b"x") == (
                STATUS.PERMISSION_DENIED, "missing scope")
            for _ in range(3):
                call(chan, "unary_unary", bearer(token), b"x")
            call(chan, "stream_stream", bearer(token), b"x")
    samples = _samples(registry)
    unary, bidi = METHODS["unary_unary"], METHODS["stream_stream"]
    assert {k: v for k, v in samples.items() if k.startswith("fastjwt_grpc_decisions_total")} == {
        f'fastjwt_grpc_decisions_total{{method="{unary}",outcome="unauthenticated",reason="missing token"}}': 1.0,
        f'fastjwt_grpc_decisions_total{{method="{unary}",outcome="permission_denied",reason="missing scope"}}': 1.0,
        f'fastjwt_grpc_decisions_total{{method="{unary}",outcome="allowed",reason=""}}': 3.0,
        f'fastjwt_grpc_decisions_total{{method="{bidi}",outcome="allowed",reason=""}}': 1.0,
    }
    # The first call with `token` verified it; the next three were cache hits.
    assert samples["fastjwt_grpc_cache_hits_total"] == 3.0
    assert samples['fastjwt_grpc_decision_seconds_count{outcome="allowed"}'] == 4.0
    assert 0 < samples['fastjwt_grpc_decision_seconds_sum{outcome="allowed"}'] < 1.0
