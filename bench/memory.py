"""Memory per cached token: ``python -m bench.memory [--entries N] [--token-bytes B] [--shape flat|nested]``.

Fills one Validator's verified-token cache with N distinct HS256 tokens,
each token string created, decoded and then dropped by the caller (as a
server does: only the cache keeps it), and reports the growth of resident
memory (RSS, from /proc) and of Python allocations (tracemalloc) per entry.
The flat claims (sub, iss, aud, iat, nbf, exp, jti, scope, client_id) are
padded to about B bytes of token, each issued at its own second of the last
ten minutes (``issued``); the nested ones are ``bench.fixtures``'
Keycloak-like shape (an ``aud`` list, realm and client roles, a profile;
about 1,070 bytes of token), each user's own sub, jti, sid, name and email.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
import tracemalloc
from typing import Callable, Dict

import fastjwt
from bench.fixtures import ISSUED_SPREAD, make_claims

SECRET = b"memory-benchmark-secret-memory-benchmark-secret!!"


def rss_bytes() -> int:
    """Resident set size of this process."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def issued(i: int, now: int) -> int:
    """When token ``i`` was issued: each at its own second of the ten minutes
    before ``now``, as a server meets tokens (their dates rarely repeat)."""
    return now - (i * 7919) % ISSUED_SPREAD


def make_token(i: int, now: int, pad: int) -> str:
    at = issued(i, now)
    claims = {
        "sub": f"user-{i:012d}",
        "iss": "https://issuer.example",
        "aud": "api://gateway",
        "iat": at,
        "nbf": at,
        "exp": at + 3600,
        "jti": f"{i:08x}-5f0c-4a51-9d8e-{i:012x}",
        "scope": "read:things write:things",
        "client_id": "gateway-client-" + "x" * pad,
    }
    return fastjwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "2026-11"})


def make_nested_token(i: int, now: int, pad: int) -> str:
    """A Keycloak-like token (``pad`` unused: the shape has its own size)."""
    claims = make_claims(issued(i, now), random.Random(i), "nested")
    claims["aud"] = ["api://gateway", "account"]
    return fastjwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "2026-11"})


MAKERS: Dict[str, Callable[[int, int, int], str]] = {"flat": make_token, "nested": make_nested_token}


def fill(entries: int, pad: int, now: int, maker: Callable[[int, int, int], str] = make_token) -> fastjwt.Validator:
    """A validator whose cache holds ``entries`` tokens nobody else references."""
    validator = fastjwt.Validator(SECRET, algorithms=["HS256"], audience="api://gateway",
                                  issuer="https://issuer.example", cache_size=entries)
    for i in range(entries):
        validator.decode(maker(i, now, pad))  # the caller keeps nothing
    info = validator.cache_info()
    assert info is not None and info.currsize == entries, info
    return validator


def measure(entries: int, token_bytes: int, shape: str = "flat") -> Dict[str, float]:
    """RSS growth per entry (a plain run), then Python allocations per entry
    (a second run under tracemalloc, whose own bookkeeping would distort RSS)."""
    now = int(time.time())
    maker = MAKERS[shape]
    base = len(maker(0, now, 0))
    pad = max(token_bytes - base, 0) * 3 // 4  # base64url grows 4/3
    gc.collect()
    rss0 = rss_bytes()
    validator = fill(entries, pad, now, maker)
    gc.collect()
    rss_per_entry = (rss_bytes() - rss0) / entries
    del validator
    gc.collect()
    tracemalloc.start()
    py0 = tracemalloc.get_traced_memory()[0]
    validator = fill(entries, pad, now, maker)
    gc.collect()
    python_per_entry = (tracemalloc.get_traced_memory()[0] - py0) / entries
    tracemalloc.stop()
    del validator  # kept alive until here: its cache is what was measured
    return {
        "entries": entries,
        "token_bytes": len(maker(0, now, pad)),
        "rss_per_entry": rss_per_entry,
        "python_per_entry": python_per_entry,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--token-bytes", type=int, default=500, help="flat shape only")
    parser.add_argument("--shape", choices=sorted(MAKERS), default="flat")
    args = parser.parse_args()
    result = measure(args.entries, args.token_bytes, args.shape)
    print(f"entries: {result['entries']}, shape: {args.shape}, token: {result['token_bytes']} bytes")
    print(f"resident memory per entry (RSS growth): {result['rss_per_entry']:.0f} bytes")
    print(f"Python allocations per entry (tracemalloc): {result['python_per_entry']:.0f} bytes")
    print(f"Python {sys.version.split()[0]}, fastjwt {fastjwt.__version__}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
