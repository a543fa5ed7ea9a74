"""gRPC end to end: calls/s and server CPU per call, with and without token checks.

``python -m bench.grpc_load [--seconds 5] [--rounds 10] [--quick] [--servers sync,aio] [--algs HS256,RS256]``

Every configuration below runs a unary echo server in its own process on
127.0.0.1; one load generator process (a ``grpc.aio`` client keeping
``--concurrency`` calls in flight) moves from server to server. Each round
gives every server ``--switch`` seconds of load, then a measured window in
which the server counts the calls it served and its own CPU time
(``time.process_time``: every thread of the process, gRPC's included). The
rows, for sync and ``grpc.aio`` servers:

- ``no auth``: the bare echo server; ``no auth, another process``: the same
  again, in a second process (how far two identical servers differ: the noise floor);
- ``pass-through interceptor``: an interceptor that only calls its continuation
  (what grpcio's interceptor machinery costs by itself);
- ``fastjwt, warm cache``: ``fastjwt.grpc.AuthInterceptor`` with a ``Validator``
  (the client sends one token, so calls after the first are cache hits);
- ``fastjwt, cache off``: the same with ``Validator(cache=False)``;
- ``PyJWT``: ``bench.grpc_pyjwt``, an interceptor built on ``jwt.decode``;

the last three with HS256 and RS256 tokens carrying Keycloak-like claims
(about 740 bytes of JSON) and a policy requiring one scope. Calls/s on a small
shared machine swing by ±20% between runs; the steady figure is the server
CPU per call against the no-auth server measured in the same round (adjacent
windows, same machine state). The report gives medians over rounds.

Results go to ``--out`` (default ``bench/results``): ``grpc_load.md``,
``grpc_load.json`` and, when matplotlib is installed, ``grpc_load.png``.
``--quick`` (1 s per row in 2 rounds, about 30 s) is a smoke run.
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
import threading
import time
from concurrent import futures
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Dict, List, Optional, Protocol, Sequence, Tuple

import grpc

SERVICE, METHOD = "bench.Echo", "/bench.Echo/Echo"
ISSUER, AUDIENCE = "https://sso.example.com/realms/production", "api-gateway"
REQUIRED_SCOPE = "echo:read"
PAYLOAD = b"fastjwt grpc_load echo payload 0123456789"
HMAC_SECRET = b"grpc-load-benchmark-secret-grpc-load-benchmark-secret-0123456789"

NO_AUTH, NO_AUTH_AGAIN, PASS_THROUGH = "no auth", "no auth, another process", "pass-through interceptor"
#: A server without interceptors whose client still sends the bearer token: what receiving
#: the token's metadata costs gRPC itself (the no-auth baseline receives no token).
NO_AUTH_TOKEN = "no auth, token sent and ignored"
#: The pass-through interceptor sent the token: what the interceptor protocol costs with it.
PASS_THROUGH_TOKEN = "pass-through interceptor, token sent"
#: Rows whose server is sent a token it does not check.
TOKEN_IGNORED = (NO_AUTH_TOKEN, PASS_THROUGH_TOKEN)
FASTJWT, FASTJWT_NOCACHE, PYJWT = "fastjwt, warm cache", "fastjwt, cache off", "PyJWT"
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


def flat_claims(now: int) -> Dict[str, Any]:
    """A minimal access token's claims, every value a scalar (about 230 bytes of JSON)."""
    return {"sub": "f2a9c8d7-1b3e-4c5f-8a6d-9e0b1c2d3e4f", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "nbf": now,
            "exp": now + 3600, "jti": "6f1d2c3b-4a59-4e7d-8c21-0b9a8f7e6d5c",
            "scope": f"openid profile email {REQUIRED_SCOPE}"}


CLAIMS = {"keycloak": keycloak_claims, "flat": flat_claims}
CLAIMS_TEXT = {"keycloak": "Keycloak-like claims (nested objects and lists, about 740 bytes of JSON)",
                "flat": "flat claims (every value a scalar, about 230 bytes of JSON)"}


@dataclass(frozen=True)
class Keys:
    """Signing material of one algorithm: what the client signs with, what servers verify with."""

    alg: str
    signing: bytes  # HMAC secret or PKCS#8 PEM
    verifying: bytes  # HMAC secret or SubjectPublicKeyInfo PEM

    @classmethod
    def create(cls, alg: str) -> Keys:
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

    def token(self, claims: str = "keycloak") -> str:
        """A valid token for the echo service, with ``CLAIMS[claims]``."""
        import fastjwt

        return fastjwt.encode(CLAIMS[claims](int(time.time())), self.signing, algorithm=self.alg,
                              headers={"kid": "bench-2026", "typ": "JWT"})


@dataclass(frozen=True)
class ServerSpec:
    """One server process: sync or aio, and which interceptor."""

    kind: str
    row: str
    keys: Optional[Keys]
    workers: int


def fastjwt_available(kind: str) -> bool:
    """Whether this checkout has fastjwt's gRPC interceptor for sync or aio servers."""
    try:
        return importlib.util.find_spec("fastjwt.grpc._server" if kind == "sync" else "fastjwt.grpc.aio") is not None
    except ImportError:
        return False


class PassThrough(grpc.ServerInterceptor):  # type: ignore[misc]
    """A sync interceptor that does nothing."""

    def intercept_service(self, continuation: Any, handler_call_details: Any) -> Any:
        return continuation(handler_call_details)


class AioPassThrough(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """A grpc.aio interceptor that does nothing."""

    async def intercept_service(self, continuation: Any, handler_call_details: Any) -> Any:
        return await continuation(handler_call_details)


def _interceptors(spec: ServerSpec) -> List[Any]:
    if spec.row in (NO_AUTH, NO_AUTH_AGAIN, NO_AUTH_TOKEN):
        return []
    if spec.row in (PASS_THROUGH, PASS_THROUGH_TOKEN):
        return [PassThrough() if spec.kind == "sync" else AioPassThrough()]
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


class Conn(Protocol):
    """The control channel of a server process: a multiprocessing Connection, or stdio."""

    def send(self, obj: Any) -> None: ...

    def recv(self) -> Any: ...


def _control(conn: Conn, port: int, calls: itertools.count[int]) -> None:
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


def _serve(spec: ServerSpec, conn: Conn) -> None:
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


def _load(conn: Connection, targets: Sequence[Tuple[int, Optional[str]]], concurrency: int,
          ignored: Sequence[bool] = ()) -> None:
    """Load generator process entry point.

    ``targets`` are (port, token or None), one per server. After sanity checks of
    every server (a valid call echoes; without a token or with a forged one, a
    server given a token answers UNAUTHENTICATED, unless ``ignored[i]``: a
    server without auth that is sent a token anyway), it keeps ``concurrency`` calls in flight
    against the target the orchestrator names (``("target", i)``) until ``"stop"``;
    ``("count", i, n)`` makes exactly n calls to target i, then answers ``("counted", n)``.
    """

    async def run() -> List[Tuple[int, int]]:
        channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}") for port, _ in targets]
        calls = [channel.unary_unary(METHOD) for channel in channels]
        metadata = [(("authorization", f"Bearer {token}"),) if token else None for _, token in targets]
        for index, (call, (port, token), md) in enumerate(zip(calls, targets, metadata)):
            if await call(PAYLOAD, metadata=md, timeout=30) != PAYLOAD:
                raise AssertionError(f"server on port {port}: the echo call did not echo")
            if token and not (index < len(ignored) and ignored[index]):
                for bad in (None, (("authorization", f"Bearer {token[:-4]}AAAA"),)):
                    try:
                        await call(PAYLOAD, metadata=bad, timeout=30)
                    except grpc.aio.AioRpcError as error:
                        if error.code() != grpc.StatusCode.UNAUTHENTICATED:
                            raise AssertionError(f"server on port {port}: a bad token got {error.code()}") from error
                    else:
                        raise AssertionError(f"server on port {port} accepted a call without a valid token")
        loop = asyncio.get_running_loop()
        # budget: calls still to start in a ("count", target, n) command (None: no limit);
        # pending: calls of that command not finished yet.
        state: Dict[str, Any] = {"target": None, "running": True, "budget": None, "pending": 0, "finished": None}
        counts = [[0, 0] for _ in targets]

        def commands() -> None:  # the pipe blocks: its own thread
            conn.send("ready")
            while True:
                message = conn.recv()
                if message == "stop":
                    loop.call_soon_threadsafe(state.update, {"running": False})
                    return
                if message[0] == "count":
                    finished = threading.Event()
                    loop.call_soon_threadsafe(state.update, {"target": message[1], "budget": message[2],
                                                             "pending": message[2], "finished": finished})
                    finished.wait()
                    conn.send(("counted", message[2]))
                else:
                    loop.call_soon_threadsafe(state.update, {"target": message[1], "budget": None})

        async def worker() -> None:
            while state["running"]:
                target, budget = state["target"], state["budget"]
                if target is None or budget == 0:
                    await asyncio.sleep(0.005)
                    continue
                if budget is not None:
                    state["budget"] = budget - 1
                try:
                    await calls[target](PAYLOAD, metadata=metadata[target], timeout=120)
                    counts[target][0] += 1
                except grpc.aio.AioRpcError:
                    counts[target][1] += 1
                if budget is not None:
                    state["pending"] -= 1
                    if state["pending"] == 0:
                        state.update(target=None, budget=None)
                        state["finished"].set()

        listener = loop.run_in_executor(None, commands)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        await listener
        for channel in channels:
            await channel.close()
        return [(done, failed) for done, failed in counts]

    try:
        conn.send(("done", asyncio.run(run())))
    except Exception as error:  # reported to the orchestrator, which fails the run
        conn.send(("error", f"{type(error).__name__}: {error}"))


@dataclass
class Measurement:
    """One row in one round."""

    kind: str
    alg: str
    row: str
    round: int
    calls: int
    wall: float
    server_cpu: float

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.wall

    @property
    def cpu_us_per_call(self) -> float:
        return 1e6 * self.server_cpu / self.calls


def _expect(conn: Connection, what: str, timeout: float = 60) -> Any:
    if not conn.poll(timeout):
        raise RuntimeError(f"{what}: no answer within {timeout:g} s")
    message = conn.recv()
    if isinstance(message, tuple) and message[0] == "error":
        raise RuntimeError(f"{what}: {message[1]}")
    return message


def run_kind(kind: str, rows: Sequence[Tuple[str, str]], keys: Dict[str, Keys], *, rounds: int, window: float,
             switch: float, concurrency: int, workers: int, claims: str = "keycloak",
             verbose: bool = True) -> List[Measurement]:
    """Every (row, alg) of one server kind: one server process each, all started at once, and
    one load generator that moves between them. Each round measures every server once, for
    ``window`` seconds after ``switch`` seconds of load on it (adjacent windows see the same
    machine, so their ratios hold better than figures from separate runs)."""
    context = multiprocessing.get_context("spawn")
    servers, pipes = [], []
    tokens = {alg: k.token(claims) for alg, k in keys.items()}
    for row, alg in rows:
        parent, child = context.Pipe()
        spec = ServerSpec(kind, row, keys.get(alg), workers)
        servers.append(context.Process(target=_serve, args=(spec, child), daemon=True))
        pipes.append(parent)
    for server in servers:
        server.start()
    load: Optional[multiprocessing.process.BaseProcess] = None
    try:
        ports = [_expect(pipe, f"{kind} {row} {alg} server")[1] for pipe, (row, alg) in zip(pipes, rows)]
        load_conn, load_end = context.Pipe()
        targets = [(port, tokens.get(alg) if alg != "-" else None)
                   for port, (row, alg) in zip(ports, rows)]
        load = context.Process(target=_load, args=(load_end, targets, concurrency), daemon=True)
        load.start()
        if _expect(load_conn, "load generator") != "ready":
            raise RuntimeError("load generator: unexpected answer")
        results = []
        for round_ in range(1, rounds + 1):
            for index, (row, alg) in enumerate(rows):
                load_conn.send(("target", index))
                time.sleep(switch)
                pipes[index].send("start")
                time.sleep(window)
                pipes[index].send("stop")
                cpu, calls, wall = _expect(pipes[index], f"{kind} {row} {alg} server")
                result = Measurement(kind, alg, row, round_, calls, wall, cpu)
                results.append(result)
                if verbose:
                    print(f"  round {round_} {kind:4} {alg:5} {row:24} {result.calls_per_s:8.0f} calls/s "
                          f"{result.cpu_us_per_call:7.1f} µs server CPU/call", flush=True)
        load_conn.send("stop")
        status, counts = _expect(load_conn, "load generator")
        failed = {rows[i]: f for i, (_, f) in enumerate(counts) if f}
        if failed:
            raise RuntimeError(f"{kind}: calls failed under load: {failed}")
        return results
    finally:
        for pipe in pipes:
            try:
                pipe.send("exit")
            except OSError:
                pass
        for process in ([load] if load else []) + servers:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join(timeout=10)


def run(servers: Sequence[str], algs: Sequence[str], rounds: int, *, window: float, switch: float,
        concurrency: int, workers: int, claims: str = "keycloak", verbose: bool = True) -> List[Measurement]:
    """Every row of every server kind."""
    keys = {alg: Keys.create(alg) for alg in algs}
    results = []
    for kind in servers:
        auth_rows = AUTH_ROWS if fastjwt_available(kind) else (PYJWT,)
        if auth_rows == (PYJWT,):
            print(f"fastjwt.grpc has no {kind} AuthInterceptor in this checkout: its rows are left out.")
        rows = [(NO_AUTH, "-"), (NO_AUTH_AGAIN, "-"), (PASS_THROUGH, "-"),
                *((row, alg) for row in auth_rows for alg in algs)]
        results += run_kind(kind, rows, keys, rounds=rounds, window=window, switch=switch,
                            concurrency=concurrency, workers=workers, claims=claims, verbose=verbose)
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
    cpu_ratio_q1: float  # the quartiles of the per-round cpu_ratio: how much rounds disagree
    cpu_ratio_q3: float


def summarize(results: Sequence[Measurement]) -> List[Summary]:
    """Per row, the median of each round's figure and of its ratio to that round's no-auth row."""
    base = {(m.kind, m.round): m for m in results if m.row == NO_AUTH}
    groups: Dict[Tuple[str, str, str], List[Measurement]] = {}
    for m in results:
        groups.setdefault((m.kind, m.alg, m.row), []).append(m)
    summaries = []
    for (kind, alg, row), ms in groups.items():
        bases = [base[(kind, m.round)] for m in ms]
        ratios = [m.cpu_us_per_call / b.cpu_us_per_call for m, b in zip(ms, bases)]
        q1, _, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (ratios[0],) * 3
        summaries.append(Summary(
            kind, alg, row,
            statistics.median(m.calls_per_s for m in ms),
            statistics.median(m.cpu_us_per_call for m in ms),
            statistics.median(m.cpu_us_per_call - b.cpu_us_per_call for m, b in zip(ms, bases)),
            statistics.median(m.cpu_us_per_call / b.cpu_us_per_call for m, b in zip(ms, bases)),
            statistics.median(m.calls_per_s / b.calls_per_s for m, b in zip(ms, bases)),
            q1, q3,
        ))
    return summaries


def markdown(summaries: Sequence[Summary], setup: Dict[str, Any]) -> str:
    """The report table."""
    lines = [
        f"# gRPC unary echo, server CPU per call ({setup['label']})",
        "",
        f"`{setup['command']}` (commit {setup['fastjwt_commit'] or 'unknown'}): every server runs in its own "
        f"process; one grpc.aio client process keeps {setup['concurrency']} calls in flight on one server at a "
        f"time, and each round measures every server for {setup['window']:g} s after {setup['switch']:g} s of "
        f"load on it ({setup['rounds']} rounds). Tokens carry {CLAIMS_TEXT[setup['claims']]}. "
        f"Sync servers have {setup['workers']} worker threads. Figures are "
        "medians over rounds; ratios are to the no-auth server of the same round and kind (in parentheses: "
        "the quartiles of the per-round CPU ratio, how much rounds disagree).",
        "",
        "| server | token | interceptor | calls/s | server CPU µs/call | added µs/call | CPU vs no auth "
        "| calls/s vs no auth |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in summaries:
        added = "—" if s.row == NO_AUTH else f"{s.added_cpu_us:+.1f}"
        cpu_ratio = "—" if s.row == NO_AUTH else (
            f"{100 * (s.cpu_ratio - 1):+.1f}% ({100 * (s.cpu_ratio_q1 - 1):+.0f} to {100 * (s.cpu_ratio_q3 - 1):+.0f})")
        calls_ratio = "—" if s.row == NO_AUTH else f"{100 * (s.calls_ratio - 1):+.1f}%"
        lines.append(f"| {s.kind} | {s.alg} | {s.row} | {s.calls_per_s:.0f} | {s.cpu_us_per_call:.1f} | {added} | "
                     f"{cpu_ratio} | {calls_ratio} |")
    lines += ["", f"Machine: {setup['machine']}; Python {setup['python']}, grpcio {setup['grpcio']}.", ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class Bar:
    """One figure of a chart: a row's value and its ratio to no auth."""

    kind: str
    alg: str
    row: str
    value: float
    ratio: float


def chart(summaries: Sequence[Summary], path: Path, label: str) -> bool:
    """Server CPU per call by row, one panel per server kind; False without matplotlib."""
    bars = [Bar(s.kind, s.alg, s.row, s.cpu_us_per_call, s.cpu_ratio) for s in summaries]
    return draw(bars, path, ylabel="server CPU µs per call (lower is better)", unit="µs",
                title=f"gRPC unary echo on 127.0.0.1: server CPU per call, % over no auth ({label})")


def draw(bars: Sequence[Bar], path: Path, *, ylabel: str, unit: str, title: str, scale: float = 1.0) -> bool:
    """Grouped bars by token algorithm, one panel per server kind, no auth and the
    pass-through interceptor as lines; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    kinds = sorted({b.kind for b in bars}, key=["sync", "aio"].index)
    algs = sorted({b.alg for b in bars if b.alg != "-"})
    rows = [r for r in AUTH_ROWS if any(b.row == r for b in bars)]
    colors = {FASTJWT: "#2a7ab9", FASTJWT_NOCACHE: "#8cc0e6", PYJWT: "#d9822b"}
    fig, axes = plt.subplots(1, len(kinds), figsize=(5.5 * len(kinds), 4.6), squeeze=False, sharey=True)
    top = max(b.value for b in bars) / scale
    for ax, kind in zip(axes[0], kinds):
        by = {(b.alg, b.row): b for b in bars if b.kind == kind}
        width = 0.8 / max(len(rows), 1)
        for i, row in enumerate(rows):
            present = [(a, by[(alg, row)]) for a, alg in enumerate(algs) if (alg, row) in by]
            xs = [a + (i - (len(rows) - 1) / 2) * width for a, _ in present]
            drawn = ax.bar(xs, [b.value / scale for _, b in present], width, label=row, color=colors[row])
            for rect, (_, b) in zip(drawn, present):
                ax.annotate(f"{100 * (b.ratio - 1):+.0f}%", (rect.get_x() + rect.get_width() / 2, rect.get_height()),
                            ha="center", va="bottom", fontsize=8)
        # The baselines as lines, their values in the panel title (labels on the plot would hide bars).
        baselines = []
        for row, style in ((NO_AUTH, "--"), (PASS_THROUGH, ":")):
            line = by.get(("-", row))
            if line is not None:
                ax.axhline(line.value / scale, color="black", linestyle=style, linewidth=1)
                baselines.append(f"{'- -' if style == '--' else '···'} {row} {line.value / scale:.0f} {unit}")
        ax.set_xticks(range(len(algs)), algs)
        ax.set_ylim(0, top * 1.12)
        ax.set_title(f"{kind} server\n{'; '.join(baselines)}", fontsize=9)
        ax.set_ylabel(ylabel)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(rows), fontsize=9, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per row, in all (default 5)")
    parser.add_argument("--rounds", type=int, default=10, help="windows the seconds are split into (default 10)")
    parser.add_argument("--switch", type=float, default=0.25,
                        help="seconds of load on a server before its window (default 0.25)")
    parser.add_argument("--quick", action="store_true", help="1 s per row in 2 rounds (a smoke run, about 30 s)")
    parser.add_argument("--servers", default="sync,aio", help="sync, aio or both (default)")
    parser.add_argument("--algs", default="HS256,RS256", help="token algorithms (default HS256,RS256)")
    parser.add_argument("--claims", choices=sorted(CLAIMS), default="keycloak",
                        help="token claims: keycloak (nested, about 740 bytes; default) or flat")
    parser.add_argument("--concurrency", type=int, default=32, help="calls in flight (default 32)")
    parser.add_argument("--workers", type=int, default=8, help="sync server worker threads (default 8)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"), help="report directory")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds, args.switch = 1.0, 2, 0.25
    servers = [s for s in args.servers.split(",") if s]
    algs = [a for a in args.algs.split(",") if a]
    if not set(servers) <= {"sync", "aio"} or not set(algs) <= {"HS256", "RS256"}:
        parser.error("--servers takes sync,aio and --algs HS256,RS256")
    if args.rounds < 1 or args.seconds <= 0:
        parser.error("--rounds and --seconds must be positive")
    window = args.seconds / args.rounds
    results = run(servers, algs, args.rounds, window=window, switch=args.switch,
                  concurrency=args.concurrency, workers=args.workers, claims=args.claims)
    summaries = summarize(results)
    import cryptography

    command = "python -m bench.grpc_load" + (" --quick" if args.quick else
                                             f" --seconds {args.seconds:g} --rounds {args.rounds}")
    command += "" if args.claims == "keycloak" else f" --claims {args.claims}"
    setup = {
        "label": "quick run" if args.quick else f"{args.seconds:g} s per row",
        "command": command, "rounds": args.rounds, "seconds": args.seconds, "window": window,
        "switch": args.switch, "concurrency": args.concurrency, "workers": args.workers, "claims": args.claims,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
        "python": platform.python_version(), "grpcio": grpc.__version__, "cryptography": cryptography.__version__,
        "fastjwt_commit": _commit(),
    }
    report = markdown(summaries, setup)
    print()
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "grpc_load.md").write_text(report)
    (args.out / "grpc_load.json").write_text(json.dumps(
        {"setup": setup, "summaries": [asdict(s) for s in summaries],
         "measurements": [asdict(m) for m in results]}, indent=1) + "\n")
    if chart(summaries, args.out / "grpc_load.png", setup["label"]):
        print(f"chart: {args.out / 'grpc_load.png'}")


def _commit() -> str:
    """The checkout's commit, with "+dirty" for uncommitted changes ("" outside git)."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + ("+dirty" if dirty else "")


if __name__ == "__main__":
    main()
