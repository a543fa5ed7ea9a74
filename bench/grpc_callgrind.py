"""gRPC end to end in instructions: what a call costs the server process, under callgrind.

``python -m bench.grpc_callgrind [--calls 200] [--servers sync,aio] [--algs HS256,RS256]``

Wall-clock CPU per call (``python -m bench.grpc_load``) swings by tens of percent
on a busy 2-core machine. This counts instructions instead: each server of
``bench.grpc_load``'s rows runs under ``valgrind --tool=callgrind`` with
instrumentation off; the load generator (a normal process) makes ``--warmup``
calls, then instrumentation is switched on (``callgrind_control -i on``), the load
generator makes exactly ``--calls`` calls, and the costs are dumped
(``callgrind_control -d``). Every thread of the server counts, gRPC's C core
included. The server runs about 50 times slower under callgrind, so every row
is measured with the server saturated. Takes about 20 s per row.

Besides no auth and the pass-through interceptor (whose clients send no token),
two rows per algorithm send the token to servers that do not check it: "no
auth, token sent and ignored" (what receiving the token's metadata costs gRPC
itself) and "pass-through interceptor, token sent"; the table's last column
compares every row with the first of them.

``--claims flat`` uses a token whose claims are all scalars (the Validator's
cache then keeps a dict and copies it per hit) instead of Keycloak-like nested
claims (kept as JSON and parsed again per hit). Writes ``grpc_callgrind.md``,
``grpc_callgrind.json`` and ``grpc_callgrind.png`` (``grpc_callgrind_flat.*``)
to ``--out`` (default ``bench/results``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from bench.grpc_load import (
    AUTH_ROWS,
    CLAIMS,
    CLAIMS_TEXT,
    NO_AUTH,
    NO_AUTH_TOKEN,
    PASS_THROUGH,
    PYJWT,
    TOKEN_IGNORED,
    Bar,
    Keys,
    ServerSpec,
    _commit,
    _load,
    _serve,
    draw,
    fastjwt_available,
)


class _Stdio:
    """The server's control channel over stdin/stdout, one JSON value per line."""

    def send(self, obj: Any) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    def recv(self) -> Any:
        line = sys.stdin.readline()
        return json.loads(line) if line else "exit"


def _spec_json(spec: ServerSpec) -> str:
    keys = None if spec.keys is None else {
        "alg": spec.keys.alg, "signing": spec.keys.signing.decode("latin-1"),
        "verifying": spec.keys.verifying.decode("latin-1")}
    return json.dumps({"kind": spec.kind, "row": spec.row, "workers": spec.workers, "keys": keys})


def _spec_from_json(text: str) -> ServerSpec:
    data = json.loads(text)
    keys = data["keys"] and Keys(data["keys"]["alg"], data["keys"]["signing"].encode("latin-1"),
                                 data["keys"]["verifying"].encode("latin-1"))
    return ServerSpec(data["kind"], data["row"], keys or None, data["workers"])


def _callgrind_total(path: Path) -> int:
    """The instruction count of a callgrind dump (its ``summary:`` or ``totals:`` line)."""
    for line in path.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"{path}: no totals")


@dataclass
class Count:
    """Instructions the server spent on ``calls`` calls."""

    kind: str
    alg: str
    row: str
    calls: int
    instructions: int

    @property
    def per_call(self) -> float:
        return self.instructions / self.calls


def measure(kind: str, row: str, alg: str, keys: Optional[Keys], *, calls: int, warmup: int, concurrency: int,
            workers: int, scratch: Path, claims: str = "keycloak") -> Count:
    """One server under callgrind, one load generator; the instructions of exactly ``calls`` calls."""
    spec = ServerSpec(kind, row, keys, workers)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={scratch}/cg.%p",
         sys.executable, "-m", "bench.grpc_callgrind", "--serve", _spec_json(spec)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    assert server.stdin is not None and server.stdout is not None
    context = multiprocessing.get_context("spawn")
    load_conn, load_end = context.Pipe()
    load = None
    try:
        ready = json.loads(server.stdout.readline() or '["no answer"]')
        if ready[0] != "ready":
            raise RuntimeError(f"{kind} {row}: the server under valgrind did not start")
        token = keys.token(claims) if keys is not None and alg != "-" else None
        load = context.Process(target=_load, args=(load_end, [(ready[1], token)], concurrency, [row in TOKEN_IGNORED]),
                               daemon=True)
        load.start()
        if not load_conn.poll(600) or load_conn.recv() != "ready":
            raise RuntimeError(f"{kind} {row}: the load generator did not start")
        load_conn.send(("count", 0, warmup))
        load_conn.recv()
        pid = str(server.pid)
        subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True, timeout=600)
        load_conn.send(("count", 0, calls))
        load_conn.recv()
        subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True, timeout=600)
        subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True, timeout=600)
        dumps = sorted(scratch.glob(f"cg.{pid}.*"))
        if len(dumps) != 1:
            raise RuntimeError(f"{kind} {row}: expected one callgrind dump, found {[d.name for d in dumps]}")
        instructions = _callgrind_total(dumps[0])
        load_conn.send("stop")
        status, counts = load_conn.recv()
        if counts[0][1]:
            raise RuntimeError(f"{kind} {row}: {counts[0][1]} calls failed")
        return Count(kind, alg, row, calls, instructions)
    finally:
        server.stdin.write('"exit"\n')
        server.stdin.flush()
        try:
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
        if load is not None:
            load.join(timeout=30)
            if load.is_alive():
                load.kill()


def markdown(counts: Sequence[Count], setup: Dict[str, Any]) -> str:
    """The report table: instructions per call, and over the no-auth server of the same kind."""
    lines = [
        "# gRPC unary echo, server instructions per call (callgrind)",
        "",
        f"`{setup['command']}` (commit {setup['fastjwt_commit'] or 'unknown'}): each server under callgrind, "
        f"{setup['warmup']} warm-up calls, then exactly {setup['calls']} calls counted ({setup['concurrency']} in "
        f"flight); every thread of the server process counts. Tokens carry {CLAIMS_TEXT[setup['claims']]}. "
        "Repeated runs of a row differ by up to 2% (sync; no auth 339,000 to 346,000) and 7% (aio; "
        "443,000 to 473,000): compare aio rows only for differences larger than that.",
        "",
        f"\"{NO_AUTH_TOKEN}\": the no-auth server, its client sending the same token (receiving the "
        "token's metadata is gRPC's work, which the no-auth row does not do); the last column compares "
        "each row with it (same server, same token).",
        "",
        "| server | token | interceptor | instructions/call | added over no auth | vs no auth "
        "| vs no auth, token sent |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    base = {c.kind: c.per_call for c in counts if c.row == NO_AUTH}
    sent = {(c.kind, c.alg): c.per_call for c in counts if c.row == NO_AUTH_TOKEN}
    for c in counts:
        added = "—" if c.row == NO_AUTH else f"{c.per_call - base[c.kind]:+,.0f}"
        ratio = "—" if c.row == NO_AUTH else f"{100 * (c.per_call / base[c.kind] - 1):+.1f}%"
        with_token = sent.get((c.kind, c.alg))
        versus_sent = "—" if with_token is None or c.row == NO_AUTH_TOKEN else (
            f"{100 * (c.per_call / with_token - 1):+.1f}%")
        lines.append(f"| {c.kind} | {c.alg} | {c.row} | {c.per_call:,.0f} | {added} | {ratio} | {versus_sent} |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # a server process under valgrind
    parser.add_argument("--calls", type=int, default=200, help="calls counted per row (default 200)")
    parser.add_argument("--warmup", type=int, default=50, help="calls before counting (default 50)")
    parser.add_argument("--servers", default="sync,aio", help="sync, aio or both (default)")
    parser.add_argument("--algs", default="HS256,RS256", help="token algorithms (default HS256,RS256)")
    parser.add_argument("--claims", choices=sorted(CLAIMS), default="keycloak",
                        help="token claims: keycloak (nested, about 740 bytes; default) or flat")
    parser.add_argument("--concurrency", type=int, default=8, help="calls in flight (default 8)")
    parser.add_argument("--workers", type=int, default=8, help="sync server worker threads (default 8)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"), help="report directory")
    args = parser.parse_args(argv)
    if args.serve:
        _serve(_spec_from_json(args.serve), _Stdio())
        return
    algs = [a for a in args.algs.split(",") if a]
    keys = {alg: Keys.create(alg) for alg in algs}
    counts: List[Count] = []
    with tempfile.TemporaryDirectory(prefix="grpc_callgrind-") as scratch:
        for kind in [s for s in args.servers.split(",") if s]:
            auth_rows = AUTH_ROWS if fastjwt_available(kind) else (PYJWT,)
            rows = [(NO_AUTH, "-"), (PASS_THROUGH, "-"), *((row, alg) for row in TOKEN_IGNORED for alg in algs),
                    *((row, alg) for row in auth_rows for alg in algs)]
            for row, alg in rows:
                started = time.perf_counter()
                count = measure(kind, row, alg, keys.get(alg), calls=args.calls, warmup=args.warmup,
                                concurrency=args.concurrency, workers=args.workers, scratch=Path(scratch),
                                claims=args.claims)
                counts.append(count)
                print(f"  {kind:4} {alg:5} {row:24} {count.per_call:12,.0f} instructions/call "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
    command = f"python -m bench.grpc_callgrind --calls {args.calls}"
    command += "" if args.claims == "keycloak" else f" --claims {args.claims}"
    setup = {"command": command, "calls": args.calls, "claims": args.claims,
             "warmup": args.warmup, "concurrency": args.concurrency, "workers": args.workers,
             "fastjwt_commit": _commit()}
    report = markdown(counts, setup)
    print()
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "grpc_callgrind" + ("" if args.claims == "keycloak" else f"_{args.claims}")
    (args.out / f"{stem}.md").write_text(report)
    (args.out / f"{stem}.json").write_text(
        json.dumps({"setup": setup, "counts": [asdict(c) for c in counts]}, indent=1) + "\n")
    if chart(counts, args.out / f"{stem}.png", args.claims):
        print(f"chart: {args.out / f'{stem}.png'}")


def chart(counts: Sequence[Count], path: Path, claims: str) -> bool:
    """Thousands of instructions per call by row, one panel per server kind; False without matplotlib."""
    base = {c.kind: c.per_call for c in counts if c.row == NO_AUTH}
    bars = [Bar(c.kind, c.alg, c.row, c.per_call, c.per_call / base[c.kind]) for c in counts]
    return draw(bars, path, ylabel="server instructions per call, thousands (lower is better)", unit="k",
                scale=1000.0, title=f"gRPC unary echo: server instructions per call (callgrind), % over no auth "
                f"({claims} claims)")


if __name__ == "__main__":
    main()
