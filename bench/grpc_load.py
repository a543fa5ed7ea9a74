"""gRPC end to end: calls/s and server CPU per call, with and without token checks.

``python -m bench.grpc_load [--seconds 5] [--rounds 3] [--quick] [--servers sync,aio] [--algs HS256,RS256]``

For each row, a unary echo server runs in its own process on 127.0.0.1 and a
load generator (a ``grpc.aio`` client keeping ``--concurrency`` calls in
flight) in another. After a warm-up, the server measures, over ``--seconds``,
the calls it served and its own CPU time (``time.process_time``: every thread
of the process, gRPC's included). Rows, for sync and ``grpc.aio`` servers:

- ``no auth``: the bare echo server;
- ``fastjwt, warm cache``: ``fastjwt.grpc.AuthInterceptor`` with a ``Validator``
  (the load sends one token, so calls after the first are cache hits);
- ``fastjwt, cache off``: the same with ``Validator(cache=False)``;
- ``PyJWT``: ``bench.grpc_pyjwt``, an interceptor built on ``jwt.decode``;

each with HS256 and RS256 tokens carrying Keycloak-like claims, and a policy
requiring one scope. Calls/s on a small shared machine swing by ±20% between
runs; the steady figure is the server CPU per call against the no-auth server
of the same round. With ``--rounds N`` every row runs N times, interleaved,
and the report gives medians of the per-round figures.

Results go to ``--out`` (default ``bench/results``): ``grpc_load.md``,
``grpc_load.json`` and, when matplotlib is installed, ``grpc_load.png``.
``--quick`` (one round of 1 s rows, about 30 s) is a smoke run.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import json
import multiprocessing
import os
import platform
import statistics
import time
from concurrent import futures
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import grpc

SERVICE, METHOD = "bench.Echo", "/bench.Echo/Echo"
ISSUER, AUDIENCE = "https://sso.example.com/realms/production", "api-gateway"
REQUIRED_SCOPE = "echo:read"
PAYLOAD = b"fastjwt grpc_load echo payload 0123456789"
HMAC_SECRET = b"grpc-load-benchmark-secret-grpc-load-benchmark-secret-0123456789"

NO_AUTH, FASTJWT, FASTJWT_NOCACHE, PYJWT = "no auth", "fastjwt, warm cache", "fastjwt, cache off", "PyJWT"
AUTH_ROWS = (FASTJWT, FASTJWT_NOCACHE, PYJWT)


def keycloak_claims(now: int) -> Dict[str, Any]:
    """An access token's claims as Keycloak issues them (about 800 bytes of JSON)."""
    return {
        "exp": now + 3600, "iat": now, "auth_time": now - 60,
        "jti": "onrtac:6f1d2c3b-4a59-4e7d-8c21-0b9a8f7e6d5c",
        "iss": ISSUER, "aud": [AUDIENCE, "account"],
        "sub": "f2a9c8d7-1b3e-4c5f-8a6d-9e0b1c2d3e4f", "typ": "Bearer", "azp": "web-portal",
        "sid": "0c8e2f4a-6b1d-4e3f-9a7c-5d2b8e1f0a6c", "acr": "1",
        "allowed-origins": ["https://portal.example.com"],
        "realm_access": {"roles": ["offline_access", "uma_authorization", "default-roles-production", "echo-user"]},
        "resource_access": {"account": {"roles": ["manage-account", "manage-account-links", "view-profile"]}},
        "scope": f"openid profile email {REQUIRED_SCOPE}",
        "email_verified": True, "name": "Alice Example", "preferred_username": "alice",
        "given_name": "Alice", "family_name": "Example", "email": "alice@example.com",
    }


@dataclass(frozen=True)
class Keys:
    """Signing material of one algorithm: what the client signs with, what servers verify with."""

    alg: str
    signing: bytes  # HMAC secret or PKCS#8 PEM
    verifying: bytes  # HMAC secret or SubjectPublicKeyInfo PEM

    @classmethod
    def create(cls, alg: str) -> "Keys":
        """Fresh keys (RSA 2048 for RS256)."""
        if alg == "HS256":
            return cls(alg, HMAC_SECRET, HMAC_SECRET)
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(
            alg,
            private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()),
            private.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo),
        )

    def token(self) -> str:
        """A valid token for the echo service."""
        import fastjwt

        return fastjwt.encode(keycloak_claims(int(time.time())), self.signing, algorithm=self.alg,
                              headers={"kid": "bench-2026", "typ": "JWT"})


@dataclass(frozen=True)
class ServerSpec:
    """One server process: sync or aio, and which interceptor."""

    kind: str
    row: str
    keys: Optional[Keys]
    workers: int


def fastjwt_available() -> bool:
    """Whether this checkout has fastjwt's gRPC interceptors."""
    return importlib.util.find_spec("fastjwt.grpc._server") is not None


def _interceptors(spec: ServerSpec) -> List[Any]:
    if spec.row == NO_AUTH:
        return []
    assert spec.keys is not None
    keys = spec.keys
    if spec.row == PYJWT:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        from bench.grpc_pyjwt import AioPyJWTInterceptor, PyJWTInterceptor

        # The key is loaded once, as a server would (PyJWT would re-parse a PEM on every call).
        key: Any = keys.verifying if keys.alg == "HS256" else load_pem_public_key(keys.verifying)
        peer = PyJWTInterceptor if spec.kind == "sync" else AioPyJWTInterceptor
        return [peer(key, [keys.alg], audience=AUDIENCE, issuer=ISSUER, scopes=[REQUIRED_SCOPE])]
    import fastjwt

    validator = fastjwt.Validator(keys.verifying, algorithms=[keys.alg], audience=AUDIENCE, issuer=ISSUER,
                                  cache=spec.row == FASTJWT)
    policy = {f"/{SERVICE}/*": {"scopes": [REQUIRED_SCOPE]}}
    if spec.kind == "sync":
        from fastjwt.grpc import AuthInterceptor
    else:
        from fastjwt.grpc.aio import AuthInterceptor  # type: ignore[no-redef]
    return [AuthInterceptor(validator, policy, roles_claim="realm_access.roles")]


def _control(conn: Connection, port: int, calls: "itertools.count[int]") -> None:
    """Answer the orchestrator: ready, then start/stop of the measured window, then exit."""
    conn.send(("ready", port))
    start = (0.0, 0, 0.0)
    while True:
        message = conn.recv()
        if message == "start":
            start = (time.process_time(), next(calls), time.perf_counter())
        elif message == "stop":
            cpu, served, wall = time.process_time(), next(calls), time.perf_counter()
            # Each next() above took one number: the calls served are the difference less one.
            conn.send((cpu - start[0], served - start[1] - 1, wall - start[2]))
        else:
            return


def _serve(spec: ServerSpec, conn: Connection) -> None:
    """Server process entry point."""
    calls = itertools.count()
    interceptors = _interceptors(spec)
    if spec.kind == "sync":
        def echo(request: bytes, context: grpc.ServicerContext) -> bytes:
            next(calls)
            return request

        server = grpc.server(futures.ThreadPoolExecutor(max_workers=spec.workers), interceptors=interceptors)
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(SERVICE, {"Echo": grpc.unary_unary_rpc_method_handler(echo)}),))
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            _control(conn, port, calls)
        finally:
            server.stop(None)
        return

    async def serve_aio() -> None:
        async def echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            next(calls)
            return request

        server = grpc.aio.server(interceptors=interceptors)
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(SERVICE, {"Echo": grpc.unary_unary_rpc_method_handler(echo)}),))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        # The control pipe blocks: it gets its own thread, the event loop keeps serving.
        await asyncio.get_running_loop().run_in_executor(None, _control, conn, port, calls)
        await server.stop(None)

    asyncio.run(serve_aio())


def _load(conn: Connection, token: Optional[str], seconds: float, concurrency: int) -> None:
    """Load generator process entry point: sanity checks, then calls until the time is up."""
    port = conn.recv()

    async def run() -> Tuple[int, int]:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            call = channel.unary_unary(METHOD)
            metadata = (("authorization", f"Bearer {token}"),) if token else None
            if await call(PAYLOAD, metadata=metadata, timeout=30) != PAYLOAD:
                raise AssertionError("the echo call did not echo")
            if token:
                for bad in (None, (("authorization", f"Bearer {token[:-4]}AAAA"),)):
                    try:
                        await call(PAYLOAD, metadata=bad, timeout=30)
                    except grpc.aio.AioRpcError as error:
                        if error.code() != grpc.StatusCode.UNAUTHENTICATED:
                            raise AssertionError(f"a bad token got {error.code()}") from error
                    else:
                        raise AssertionError("the server accepted a call without a valid token")
            conn.send("ready")
            deadline = time.monotonic() + seconds

            async def worker() -> Tuple[int, int]:
                done = failed = 0
                while time.monotonic() < deadline:
                    try:
                        await call(PAYLOAD, metadata=metadata, timeout=30)
                        done += 1
                    except grpc.aio.AioRpcError:
                        failed += 1
                return done, failed

            counts = await asyncio.gather(*(worker() for _ in range(concurrency)))
            return sum(c[0] for c in counts), sum(c[1] for c in counts)

    try:
        conn.send(("done", *asyncio.run(run())))
    except Exception as error:  # reported to the orchestrator, which fails the run
        conn.send(("error", f"{type(error).__name__}: {error}"))


@dataclass
class Measurement:
    """One row of one round."""

    kind: str
    alg: str
    row: str
    round: int
    calls: int
    wall: float
    server_cpu: float
    client_calls: int

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.wall

    @property
    def cpu_us_per_call(self) -> float:
        return 1e6 * self.server_cpu / self.calls


def measure(spec: ServerSpec, alg: str, round_: int, *, warmup: float, seconds: float,
            concurrency: int) -> Measurement:
    """Run one server and one load generator; return the server's figures over the window."""
    context = multiprocessing.get_context("spawn")
    server_conn, server_end = context.Pipe()
    load_conn, load_end = context.Pipe()
    token = spec.keys.token() if spec.keys else None
    server = context.Process(target=_serve, args=(spec, server_end), daemon=True)
    load = context.Process(target=_load, args=(load_end, token, warmup + seconds + 0.3, concurrency), daemon=True)
    server.start()
    load.start()
    try:
        if not server_conn.poll(60):
            raise RuntimeError(f"{spec.kind} {spec.row}: the server did not start")
        _, port = server_conn.recv()
        load_conn.send(port)
        if not load_conn.poll(60):
            raise RuntimeError(f"{spec.kind} {spec.row}: the load generator did not start")
        ready = load_conn.recv()
        if ready != "ready":
            raise RuntimeError(f"{spec.kind} {spec.row}: {ready[1]}")
        time.sleep(warmup)
        server_conn.send("start")
        time.sleep(seconds)
        server_conn.send("stop")
        cpu, calls, wall = server_conn.recv()
        if not load_conn.poll(60):
            raise RuntimeError(f"{spec.kind} {spec.row}: the load generator did not finish")
        status, *result = load_conn.recv()
        if status != "done":
            raise RuntimeError(f"{spec.kind} {spec.row}: {result[0]}")
        client_calls, failed = result
        if failed:
            raise RuntimeError(f"{spec.kind} {spec.row}: {failed} calls failed under load")
        server_conn.send("exit")
        return Measurement(spec.kind, alg, spec.row, round_, calls, wall, cpu, client_calls)
    finally:
        for process in (load, server):
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join(timeout=10)


def run(servers: Sequence[str], algs: Sequence[str], rounds: int, *, warmup: float, seconds: float,
        concurrency: int, workers: int, verbose: bool = True) -> List[Measurement]:
    """Every row of every round, interleaved (round 1 of every row, then round 2, ...)."""
    keys = {alg: Keys.create(alg) for alg in algs}
    rows = [NO_AUTH, *(AUTH_ROWS if fastjwt_available() else (PYJWT,))]
    results = []
    for round_ in range(1, rounds + 1):
        for kind in servers:
            for row in rows:
                for alg in (["-"] if row == NO_AUTH else algs):
                    spec = ServerSpec(kind, row, keys.get(alg), workers)
                    result = measure(spec, alg, round_, warmup=warmup, seconds=seconds, concurrency=concurrency)
                    results.append(result)
                    if verbose:
                        print(f"  round {round_} {kind:4} {alg:5} {row:20} {result.calls_per_s:8.0f} calls/s "
                              f"{result.cpu_us_per_call:7.1f} µs server CPU/call", flush=True)
    return results


@dataclass
class Summary:
    """The medians over rounds of one (server, alg, row)."""

    kind: str
    alg: str
    row: str
    calls_per_s: float
    cpu_us_per_call: float
    added_cpu_us: float  # over no auth, same round
    cpu_ratio: float  # CPU per call / no auth's, same round
    calls_ratio: float  # calls/s / no auth's, same round


def summarize(results: Sequence[Measurement]) -> List[Summary]:
    """Per row, the median of each round's figure and of its ratio to that round's no-auth row."""
    base = {(m.kind, m.round): m for m in results if m.row == NO_AUTH}
    groups: Dict[Tuple[str, str, str], List[Measurement]] = {}
    for m in results:
        groups.setdefault((m.kind, m.alg, m.row), []).append(m)
    summaries = []
    for (kind, alg, row), ms in groups.items():
        bases = [base[(kind, m.round)] for m in ms]
        summaries.append(Summary(
            kind, alg, row,
            statistics.median(m.calls_per_s for m in ms),
            statistics.median(m.cpu_us_per_call for m in ms),
            statistics.median(m.cpu_us_per_call - b.cpu_us_per_call for m, b in zip(ms, bases)),
            statistics.median(m.cpu_us_per_call / b.cpu_us_per_call for m, b in zip(ms, bases)),
            statistics.median(m.calls_per_s / b.calls_per_s for m, b in zip(ms, bases)),
        ))
    return summaries


def markdown(summaries: Sequence[Summary], setup: Dict[str, Any]) -> str:
    """The report table."""
    lines = [
        f"# gRPC unary echo, server CPU per call ({setup['label']})",
        "",
        f"`{setup['command']}`: {setup['rounds']} round(s) of {setup['seconds']} s per row after "
        f"{setup['warmup']} s warm-up, {setup['concurrency']} calls in flight from one grpc.aio client process; "
        f"sync servers with {setup['workers']} worker threads. Medians over rounds; ratios are to the no-auth "
        "server of the same round and server kind.",
        "",
        "| server | token | interceptor | calls/s | server CPU µs/call | added µs/call | CPU vs no auth | calls/s vs no auth |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in summaries:
        added = "—" if s.row == NO_AUTH else f"{s.added_cpu_us:+.1f}"
        cpu_ratio = "—" if s.row == NO_AUTH else f"{100 * (s.cpu_ratio - 1):+.1f}%"
        calls_ratio = "—" if s.row == NO_AUTH else f"{100 * (s.calls_ratio - 1):+.1f}%"
        lines.append(f"| {s.kind} | {s.alg} | {s.row} | {s.calls_per_s:.0f} | {s.cpu_us_per_call:.1f} | {added} | "
                     f"{cpu_ratio} | {calls_ratio} |")
    lines += ["", f"Machine: {setup['machine']}; Python {setup['python']}, grpcio {setup['grpcio']}.", ""]
    return "\n".join(lines)


def chart(summaries: Sequence[Summary], path: Path, label: str) -> bool:
    """Server CPU per call by row, one panel per server kind; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    kinds = sorted({s.kind for s in summaries}, key=["sync", "aio"].index)
    algs = sorted({s.alg for s in summaries if s.alg != "-"})
    rows = [r for r in AUTH_ROWS if any(s.row == r for s in summaries)]
    colors = {FASTJWT: "#2a7ab9", FASTJWT_NOCACHE: "#8cc0e6", PYJWT: "#d9822b"}
    fig, axes = plt.subplots(1, len(kinds), figsize=(5.5 * len(kinds), 4.6), squeeze=False, sharey=True)
    top = max(s.cpu_us_per_call for s in summaries)
    for ax, kind in zip(axes[0], kinds):
        by = {(s.alg, s.row): s for s in summaries if s.kind == kind}
        base = by[("-", NO_AUTH)]
        width = 0.8 / max(len(rows), 1)
        for i, row in enumerate(rows):
            xs = [a + (i - (len(rows) - 1) / 2) * width for a in range(len(algs))]
            values = [by[(alg, row)].cpu_us_per_call for alg in algs]
            bars = ax.bar(xs, values, width, label=row, color=colors[row])
            for bar, alg in zip(bars, algs):
                ratio = by[(alg, row)].cpu_ratio
                ax.annotate(f"{100 * (ratio - 1):+.0f}%", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=8)
        ax.axhline(base.cpu_us_per_call, color="black", linestyle="--", linewidth=1)
        ax.annotate(f"no auth: {base.cpu_us_per_call:.0f} µs", (-0.45, base.cpu_us_per_call), va="bottom", fontsize=8,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
        ax.set_xticks(range(len(algs)), algs)
        ax.set_ylim(0, top * 1.12)
        ax.set_title(f"{kind} server")
        ax.set_ylabel("server CPU µs per call (lower is better)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(rows), fontsize=9, frameon=False)
    fig.suptitle(f"gRPC unary echo on 127.0.0.1: server CPU per call, % over no auth ({label})", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per row (default 5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of load before measuring (default 1)")
    parser.add_argument("--rounds", type=int, default=3, help="times every row runs, interleaved (default 3)")
    parser.add_argument("--quick", action="store_true", help="one round of 1 s rows (a smoke run, about 30 s)")
    parser.add_argument("--servers", default="sync,aio", help="sync, aio or both (default)")
    parser.add_argument("--algs", default="HS256,RS256", help="token algorithms (default HS256,RS256)")
    parser.add_argument("--concurrency", type=int, default=32, help="calls in flight (default 32)")
    parser.add_argument("--workers", type=int, default=8, help="sync server worker threads (default 8)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"), help="report directory")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup, args.rounds = 1.0, 0.5, 1
    servers = [s for s in args.servers.split(",") if s]
    algs = [a for a in args.algs.split(",") if a]
    if not set(servers) <= {"sync", "aio"} or not set(algs) <= {"HS256", "RS256"}:
        parser.error("--servers takes sync,aio and --algs HS256,RS256")
    label = "quick run" if args.quick else f"{args.rounds} rounds of {args.seconds:g} s"
    if not fastjwt_available():
        print("fastjwt.grpc has no AuthInterceptor in this checkout: only the no-auth and PyJWT rows run.")
    results = run(servers, algs, args.rounds, warmup=args.warmup, seconds=args.seconds,
                  concurrency=args.concurrency, workers=args.workers)
    summaries = summarize(results)
    import cryptography

    setup = {
        "label": label, "rounds": args.rounds, "seconds": args.seconds, "warmup": args.warmup,
        "concurrency": args.concurrency, "workers": args.workers,
        "command": "python -m bench.grpc_load" + (" --quick" if args.quick else
                                                  f" --rounds {args.rounds} --seconds {args.seconds:g}"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
        "python": platform.python_version(), "grpcio": grpc.__version__, "cryptography": cryptography.__version__,
    }
    report = markdown(summaries, setup)
    print()
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "grpc_load.md").write_text(report)
    (args.out / "grpc_load.json").write_text(json.dumps(
        {"setup": setup, "summaries": [asdict(s) for s in summaries],
         "measurements": [asdict(m) for m in results]}, indent=1) + "\n")
    if chart(summaries, args.out / "grpc_load.png", label):
        print(f"chart: {args.out / 'grpc_load.png'}")


if __name__ == "__main__":
    main()
