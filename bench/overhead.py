"""Validator overhead over the bare signature check, robust to a noisy machine.

``python -m bench.overhead [--algs RS256,ES256,...] [--pairs 41]``

For each algorithm, times ``Validator.decode`` and the bare ``cryptography``
verify of the same signature in adjacent short runs, many times over, and
reports the median of the per-pair ratios: each ratio compares two runs taken
a few milliseconds apart, so the machine's drift (other load, frequency
changes) cancels out instead of landing on one side. It also reports the
ratio of the fastest runs (the least disturbed by other load), the estimate
``timeit`` recommends for a noisy machine. Two Validators: ``cache=False``
on one token, and the default one (cache on) on tokens it has not seen (its
cache emptied before each run, outside the timing): verify and remember.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, Dict, List, Tuple

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

import fastjwt

AUDIENCE, ISSUER = "api://gateway", "https://issuer.example"
_SIGNERS: Dict[str, Callable[[int], List[str]]] = {}
_KEYS: Dict[str, object] = {}  # the verifying key of each algorithm's case


def benchmark_claims() -> Dict[str, object]:
    now = int(time.time())
    return {"sub": "user-1234567890", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "nbf": now,
            "exp": now + 3600, "jti": "4f1c2d3e-5f0c-4a51-9d8e-0123456789ab", "scope": "read:things write:things"}


def _signer(alg: str, key: object) -> Callable[[int], List[str]]:
    """``n`` distinct valid tokens signed with ``key`` (outside any timing)."""
    def sign(n: int) -> List[str]:
        return [fastjwt.encode({**benchmark_claims(), "jti": f"first-seen-{i}"}, key, algorithm=alg)  # type: ignore[arg-type]
                for i in range(n)]

    return sign


def _case(alg: str) -> Tuple[str, Callable[[], None], fastjwt.Validator]:
    """A token, the bare primitive verifying its signature, and a Validator for it."""
    if alg.startswith("HS"):
        secret = b"overhead-benchmark-secret-overhead-benchmark-secret-0123456789!!"
        token = fastjwt.encode(benchmark_claims(), secret, algorithm=alg)
        head, _, sig = token.rpartition(".")
        signature, msg = fastjwt.utils.base64url_decode(sig), head.encode()
        digest = {"HS256": hashes.SHA256(), "HS384": hashes.SHA384(), "HS512": hashes.SHA512()}[alg]

        def floor() -> None:
            mac = hmac.HMAC(secret, digest)
            mac.update(msg)
            mac.verify(signature)

        _SIGNERS[alg] = _signer(alg, secret)
        _KEYS[alg] = secret
        return token, floor, fastjwt.Validator(secret, algorithms=[alg], audience=AUDIENCE, issuer=ISSUER, cache=False)
    if alg in ("RS256", "PS256"):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pad = padding.PKCS1v15() if alg == "RS256" else padding.PSS(padding.MGF1(hashes.SHA256()), 32)
        args: Tuple[object, ...] = (pad, hashes.SHA256())
    elif alg == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
        args = (ec.ECDSA(hashes.SHA256()),)
    else:
        private = ed25519.Ed25519PrivateKey.generate()
        args = ()
    public = private.public_key()
    token = fastjwt.encode(benchmark_claims(), private, algorithm=alg)
    head, _, sig = token.rpartition(".")
    signature, msg = fastjwt.utils.base64url_decode(sig), head.encode()
    if alg == "ES256":  # DER conversion outside the timed region: the bare floor
        signature = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))

    def floor() -> None:
        public.verify(signature, msg, *args)

    _SIGNERS[alg] = _signer(alg, private)
    _KEYS[alg] = public
    return token, floor, fastjwt.Validator(public, algorithms=[alg], audience=AUDIENCE, issuer=ISSUER, cache=False)


def _per_call(fn: Callable[[], None], n: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(n):
        fn()
    return (time.perf_counter_ns() - start) / n / 1000


def _fresh_run(decode: Callable[[str], object], tokens: List[str], before: Callable[[], None]) -> float:
    """µs per call of ``decode`` over fresh copies of ``tokens`` (copies and ``before`` untimed)."""
    fresh = [t.encode("ascii").decode("ascii") for t in tokens]
    before()
    start = time.perf_counter_ns()
    for token in fresh:
        decode(token)
    return (time.perf_counter_ns() - start) / len(fresh) / 1000


def measure(alg: str, pairs: int) -> Dict[str, float]:
    token, floor, validator = _case(alg)
    decode = validator.decode
    assert decode(token)["aud"] == AUDIENCE

    def validate() -> None:
        decode(token)

    n = max(20, int(20_000 / max(_per_call(floor, 20), 0.5)) // 10)  # ~2 ms per run
    default = fastjwt.Validator(_KEYS[alg], algorithms=[alg], audience=AUDIENCE, issuer=ISSUER)
    tokens = _SIGNERS[alg](n)
    assert all(default.decode(t)["aud"] == AUDIENCE for t in tokens)
    ratios: List[float] = []
    seen_ratios: List[float] = []
    floors: List[float] = []
    validators: List[float] = []
    first_seen: List[float] = []
    for i in range(pairs):
        order = (floor, validate) if i % 2 == 0 else (validate, floor)
        times = {fn: _per_call(fn, n) for fn in order}
        seen = _fresh_run(default.decode, tokens, default.cache_clear)
        floor_again = _per_call(floor, n)
        floors.append(times[floor])
        validators.append(times[validate])
        first_seen.append(seen)
        ratios.append(times[validate] / times[floor])
        seen_ratios.append(seen / floor_again)
    return {"floor_us": statistics.median(floors), "validator_us": statistics.median(validators),
            "ratio": statistics.median(ratios), "fastest_ratio": min(validators) / min(floors),
            "first_seen_us": statistics.median(first_seen), "first_seen_ratio": statistics.median(seen_ratios),
            "first_seen_fastest": min(first_seen) / min(floors)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algs", default="HS256,RS256,PS256,ES256,EdDSA")
    parser.add_argument("--pairs", type=int, default=41)
    args = parser.parse_args()
    print("| alg | bare verify µs | cache=False µs | median paired ratio | fastest-runs ratio "
          "| default Validator, first-seen µs | median paired ratio | fastest-runs ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for alg in args.algs.split(","):
        result = measure(alg, args.pairs)
        print(f"| {alg} | {result['floor_us']:.2f} | {result['validator_us']:.2f} | {result['ratio']:.3f}× "
              f"| {result['fastest_ratio']:.3f}× | {result['first_seen_us']:.2f} | {result['first_seen_ratio']:.3f}× "
              f"| {result['first_seen_fastest']:.3f}× |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
