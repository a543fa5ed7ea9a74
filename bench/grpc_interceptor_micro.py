"""The gRPC interceptor's own cost on a cached token, against a bare cache hit.

``python -m bench.grpc_interceptor_micro [--rounds 21] [--calls 10000]``
``python -m bench.grpc_interceptor_micro --callgrind [--calls 2000]``

Measures, in one process:

- ``Validator.decode(token)`` answering from its cache (the reference);
- ``AuthInterceptor.intercept_service`` (sync) deciding a call with the same
  cached token: metadata read, cache hit, rule lookup and policy check,
  ``current_claims`` set, the handler returned; for a method with no rule
  (a valid token) and one with a scope-and-role rule;
- the same for the aio interceptor's ``intercept_service`` coroutine (with an
  async handler), driven by ``send`` without an event loop;
- a pass-through interceptor of each kind (``return continuation(details)``):
  what grpcio's interceptor protocol costs anyone. Subtracting it gives the
  interceptor's own work, whose target is at most 2.5x the cache hit.

Every call gets a new ``str`` for the token (a server receives a new string per
call; CPython caches a string's hash on the object). The call details and the
metadata are grpcio's own types (the sync server's and the aio server's
``_HandlerCallDetails``, metadata as a tuple of ``_Metadatum`` namedtuples),
which CPython reads at different costs than plain tuples. The continuation
returns a prebuilt handler, as grpcio's lookup does.

Timing mode: every run once per round, in adjacent short loops; each ratio is
the median over rounds of that round's ratio, so the machine's drift cancels.
``--callgrind`` counts instructions instead (deterministic, needs valgrind):
each run in its own process under callgrind, minus a run that builds the same
arguments and calls a no-op, divided by the number of calls.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import grpc
import grpc._server
import grpc.aio
from grpc._cython import cygrpc

import fastjwt
from fastjwt.grpc import AuthInterceptor
from fastjwt.grpc.aio import AuthInterceptor as AioAuthInterceptor

SECRET = b"interceptor-benchmark-secret-interceptor-benchmark-secret-0123456789"
AUDIENCE = "api://gateway"
REFERENCE = "Validator.decode (cache hit)"
#: What grpcio hands an interceptor: the sync and the aio server's call details, and a metadata item.
SyncDetails = grpc._server._HandlerCallDetails
AioDetails = cygrpc._HandlerCallDetails
Metadatum = cygrpc._Metadatum
#: name -> (timed function, argument source, the pass-through run it is measured against)
Runs = Dict[str, Tuple[Callable[[Any], Any], Callable[[int], List[Any]], Optional[str]]]


def _token() -> str:
    now = int(time.time())
    return fastjwt.encode({"sub": "user-1234567890", "iss": "https://issuer.example", "aud": AUDIENCE,
                           "iat": now, "nbf": now, "exp": now + 3600, "jti": "4f1c2d3e-5f0c-4a51-9d8e-0123456789ab",
                           "scope": "read:things write:things", "roles": ["reader", "writer"]},
                          SECRET, algorithm="HS256")


def _drive(coroutine: Any) -> Any:
    """Run a coroutine that never suspends (the aio hot path) without a loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("the coroutine suspended")


def build_runs() -> Tuple[Runs, int]:
    """Every run, warmed up and checked to succeed; and the token's length."""
    token = _token()
    validator = fastjwt.Validator(SECRET, algorithms=["HS256"], audience=AUDIENCE)
    policy = {"/bench.Echo/Scoped": {"scopes": ["read:things"], "any_roles": ["reader", "admin"]}}
    sync = AuthInterceptor(validator, policy)
    aio = AioAuthInterceptor(validator, policy)
    sync_handler = grpc.unary_unary_rpc_method_handler(lambda request, context: request)

    async def echo(request: Any, context: Any) -> Any:
        return request

    aio_handler = grpc.unary_unary_rpc_method_handler(echo)

    def continuation(details: Any) -> Any:
        return sync_handler

    async def aio_continuation(details: Any) -> Any:
        return aio_handler

    class PassThrough(grpc.ServerInterceptor):
        def intercept_service(self, continuation: Any, details: Any) -> Any:
            return continuation(details)

    class AioPassThrough(grpc.aio.ServerInterceptor):
        async def intercept_service(self, continuation: Any, details: Any) -> Any:
            return await continuation(details)

    assert validator.decode(token)["sub"] == "user-1234567890"  # cached from here on
    encoded = token.encode("ascii")

    def tokens(n: int) -> List[Any]:
        return [encoded.decode("ascii") for _ in range(n)]

    def details(method: str, kind: Any = SyncDetails) -> Callable[[int], List[Any]]:
        def make(n: int) -> List[Any]:
            return [kind(method, (Metadatum("user-agent", "grpc-python/1.85.3 grpc-c/52.0.0 (linux; chttp2)"),
                                  Metadatum("authorization", "Bearer " + t))) for t in tokens(n)]
        return make

    sync_base, aio_base = PassThrough(), AioPassThrough()
    runs: Runs = {
        REFERENCE: (validator.decode, tokens, None),
        "sync pass-through interceptor": (lambda d: sync_base.intercept_service(continuation, d),
                                          details("/bench.Echo/Plain"), None),
        "sync, valid token only": (lambda d: sync.intercept_service(continuation, d),
                                   details("/bench.Echo/Plain"), "sync pass-through interceptor"),
        "sync, scope + role rule": (lambda d: sync.intercept_service(continuation, d),
                                    details("/bench.Echo/Scoped"), "sync pass-through interceptor"),
        "aio pass-through interceptor": (lambda d: _drive(aio_base.intercept_service(aio_continuation, d)),
                                         details("/bench.Echo/Plain", AioDetails), None),
        "aio, valid token only": (lambda d: _drive(aio.intercept_service(aio_continuation, d)),
                                  details("/bench.Echo/Plain", AioDetails), "aio pass-through interceptor"),
        "aio, scope + role rule": (lambda d: _drive(aio.intercept_service(aio_continuation, d)),
                                   details("/bench.Echo/Scoped", AioDetails), "aio pass-through interceptor"),
    }
    for name, (fn, source, _) in runs.items():  # warm up; and each must succeed
        for arg in source(100):
            assert fn(arg) is not None, name
    for interceptor in (sync, aio):
        stats = interceptor.stats()
        assert stats["unauthenticated"] == stats["permission_denied"] == 0 and stats["allowed"] > 0
        assert stats["cache_misses"] == 0
    return runs, len(token)


def _loop(fn: Callable[[Any], Any], args: Sequence[Any]) -> int:
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        for arg in args:
            fn(arg)
        return time.perf_counter_ns() - start
    finally:
        if gc_was_enabled:
            gc.enable()


def _report(title: str, unit: str, per_call: Dict[str, List[float]], total: Dict[str, List[float]],
            own: Dict[str, List[float]]) -> Dict[str, float]:
    print(title)
    print(f"{'':32} {'median ' + unit:>12} {'min ' + unit:>10} {'x cache hit':>12} {'own work x cache hit':>21}")
    result: Dict[str, float] = {}
    for name, values in per_call.items():
        own_text = ""
        if name in own:
            result[name] = statistics.median(own[name])
            own_text = f"{result[name]:21.2f}"
        print(f"{name:32} {statistics.median(values):12.0f} {min(values):10.0f} "
              f"{statistics.median(total[name]):12.2f} {own_text}")
    print("own work = (interceptor - pass-through interceptor) / cache hit; target <= 2.5")
    return result


def timing(rounds: int, calls: int) -> Dict[str, float]:
    """Wall-clock ns per call, rounds of adjacent runs; the own-work ratios."""
    runs, length = build_runs()
    per_call: Dict[str, List[float]] = {name: [] for name in runs}
    total: Dict[str, List[float]] = {name: [] for name in runs}
    own: Dict[str, List[float]] = {name: [] for name, run in runs.items() if run[2]}
    for _ in range(rounds):
        ns = {name: _loop(fn, source(calls)) / calls for name, (fn, source, _) in runs.items()}
        for name, (_, _, base) in runs.items():
            per_call[name].append(ns[name])
            total[name].append(ns[name] / ns[REFERENCE])
            if base:
                own[name].append((ns[name] - ns[base]) / ns[REFERENCE])
    return _report(f"{rounds} rounds of {calls} calls, HS256 token of {length} bytes; medians of per-round ratios",
                   "ns", per_call, total, own)


def _one(name: str, calls: int, noop: bool) -> None:
    """In a callgrind child: build the arguments, call the run (or a no-op) on each."""
    runs, _ = build_runs()
    fn, source, _ = runs[name]
    args = source(calls)
    if noop:
        def fn(arg: Any) -> None:
            return None
    for arg in args:
        fn(arg)


def _instructions(name: str, calls: int, noop: bool) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", sys.executable, "-m",
                   "bench.grpc_interceptor_micro", "--one", name, "--calls", str(calls)] + (["--noop"] if noop else [])
        env = dict(os.environ, PYTHONHASHSEED="0")
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=True)
    match = re.search(r"Collected : (\d+)", result.stderr)
    assert match, result.stderr[-2000:]
    return int(match.group(1))


def callgrind(calls: int) -> Dict[str, float]:
    """Instructions per call under callgrind; the own-work ratios."""
    runs, length = build_runs()
    # A floor per argument kind: the cache hit's tokens, the sync and the aio call details.
    baseline = {source_kind: _instructions(name, calls, noop=True)
                for source_kind, name in (("tokens", REFERENCE), ("sync", "sync, valid token only"),
                                          ("aio", "aio, valid token only"))}
    per_call: Dict[str, List[float]] = {}
    for name in runs:
        floor = baseline["tokens" if name == REFERENCE else name.split()[0].rstrip(",")]
        per_call[name] = [(_instructions(name, calls, noop=False) - floor) / calls]
    reference = per_call[REFERENCE][0]
    total = {name: [values[0] / reference] for name, values in per_call.items()}
    own = {name: [(per_call[name][0] - per_call[base][0]) / reference]
           for name, (_, _, base) in runs.items() if base}
    return _report(f"callgrind, {calls} calls per run, HS256 token of {length} bytes", "Ir", per_call, total, own)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, float]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=21, help="rounds of adjacent runs (default 21)")
    parser.add_argument("--calls", type=int, default=None, help="calls per run (default 10000; callgrind 2000)")
    parser.add_argument("--callgrind", action="store_true", help="count instructions under valgrind instead")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--noop", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.one:
        _one(options.one, options.calls, options.noop)
        return {}
    if options.callgrind:
        return callgrind(options.calls or 2000)
    return timing(options.rounds, options.calls or 10000)


if __name__ == "__main__":
    main()
