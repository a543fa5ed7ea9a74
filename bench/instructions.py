"""Instructions per call of the Validator's paths, counted by callgrind.

``PYTHONPATH=src python -m bench.instructions [--shape flat|nested] [--count N] [SCENARIO ...]``

Wall-clock time on a shared machine moves by tens of percent; instruction
counts do not. Each scenario runs twice under ``valgrind --tool=callgrind``,
once making N calls and once making none after the very same setup, and the
difference divided by N is what one call costs. Scenarios:

* ``off``: ``Validator(..., cache=False)``, a first-seen HS256 token per call
* ``miss``: the default ``Validator`` (cache on, with room), a first-seen token per call
* ``evict``: a full cache (``cache_size=1000``): every first-seen token evicts one
* ``hit``: a remembered token, handed over as a new ``str`` per call
* ``forged``: a repeated forged token, refused from the store of refusals (raise and catch)
* ``raise``: raising and catching ``InvalidSignatureError`` alone, in one frame
* ``raise_call``: the same raised by a called function and caught by its caller,
  as any ``decode`` must signal a refusal (the floor of ``forged``: a lookup
  plus this)
* ``module``: module-level ``fastjwt.decode(token, key, algorithms=[...], audience=..., issuer=...)``
  of a repeated token (new ``str`` per call), answered by the decode cache's memo
* ``module-validator``: the same token, decoded by the very Validator the memo holds for
  that call (so ``module`` minus ``module-validator`` is the memo's own overhead)
* ``module-bare``: the same token, decoded by a Validator made for the same key and
  checks by the caller (the system clock: ``module`` minus ``module-bare`` is all the
  drop-in path adds to a Validator's hit)
* ``module-rs256``, ``module-validator-rs256``, ``module-bare-rs256``: the same three with
  RS256 and the public key as PEM text (``str``), as applications configure it

(``--child`` is the process run under valgrind.)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from typing import Any, Callable, List

SCENARIOS = ("off", "miss", "evict", "hit", "forged", "raise", "raise_call", "module", "module-validator",
             "module-bare", "module-rs256", "module-validator-rs256", "module-bare-rs256")
_EVICT_SIZE = 1000


def _setup(scenario: str, shape: str, count: int) -> Callable[[int], None]:
    """Everything but the measured calls; returns ``run(k)``, which makes k of them."""
    import fastjwt
    from bench.fixtures import AUDIENCE, ISSUER, generate_keys, make_case, make_distinct_tokens, tamper_signature

    if scenario.startswith("module"):
        return _setup_module(scenario, shape, count)
    keys = generate_keys("HS256")
    now = int(time.time())
    case = make_case("HS256", now=now, shape=shape, keys=keys)

    def validator(**kwargs: object) -> fastjwt.Validator:
        return fastjwt.Validator(keys.secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER,
                                 require=["exp"], **kwargs)  # type: ignore[arg-type]

    if scenario in ("off", "miss", "evict"):
        fill = _EVICT_SIZE if scenario == "evict" else 0
        tokens = make_distinct_tokens(keys, count + fill, seed=7, now=now, shape=shape)
        v = validator(cache=False) if scenario == "off" else validator(cache_size=_EVICT_SIZE) if fill else validator()
        for token in tokens[:fill]:
            v.decode(token)
        v.decode(case.token)  # warm: the header memo, lazy imports
        fresh = [t.encode().decode() for t in tokens[fill:]]
        decode = v.decode

        def run(k: int) -> None:
            for token in fresh[:k]:
                decode(token)

        return run
    if scenario == "hit":
        v = validator()
        v.decode(case.token)
        fresh = [case.token.encode().decode() for _ in range(count)]
        decode = v.decode

        def run(k: int) -> None:
            for token in fresh[:k]:
                decode(token)

        return run
    errors = fastjwt.InvalidSignatureError
    if scenario == "forged":
        v = validator()
        forged = tamper_signature(case.token)
        fresh = [forged.encode().decode() for _ in range(count)]
        decode = v.decode
        try:
            decode(forged)
        except errors:
            pass

        def run(k: int) -> None:
            for token in fresh[:k]:
                try:
                    decode(token)
                except errors:
                    pass

        return run
    args = ("Signature verification failed",)
    if scenario == "raise_call":
        fresh = [case.token.encode().decode() for _ in range(count)]

        def refuse(token: str) -> None:
            raise errors(*args)

        def run(k: int) -> None:
            for token in fresh[:k]:
                try:
                    refuse(token)
                except errors:
                    pass

        return run

    def run(k: int) -> None:
        for _ in range(k):
            try:
                raise errors(*args)
            except errors:
                pass

    return run


def _setup_module(scenario: str, shape: str, count: int) -> Callable[[int], None]:
    """The module-level scenarios: ``fastjwt.decode`` through the memo, or the memo's Validator."""
    import fastjwt
    from bench.fixtures import AUDIENCE, ISSUER, generate_keys, make_case
    from fastjwt import _memo

    alg = "RS256" if scenario.endswith("rs256") else "HS256"
    keys = generate_keys(alg) if alg == "HS256" else _fixed_rsa_keys()
    case = make_case(alg, now=int(time.time()), shape=shape, keys=keys)
    key = keys.secret.hex() if keys.is_hmac else (keys.public_pem or b"").decode("ascii")
    if keys.is_hmac:  # the secret as text, as applications configure it
        case = make_case(alg, now=int(time.time()), shape=shape, keys=type(keys)(alg, key.encode(), key.encode()))
    algorithms = [alg]
    for _ in range(3):  # first sighting, then the validator, then its cache
        fastjwt.decode(case.token, key, algorithms=algorithms, audience=AUDIENCE, issuer=ISSUER)
    fresh = [case.token.encode().decode() for _ in range(count)]
    if scenario.startswith(("module-validator", "module-bare")):
        if scenario.startswith("module-bare"):
            entry = fastjwt.Validator(key, algorithms, audience=AUDIENCE, issuer=ISSUER)
            entry.decode(case.token)
        else:
            entry = _memo.lookup(fastjwt.api_jwt._jwt_global_obj, key, algorithms, None, AUDIENCE, ISSUER, None, 0)
        decode = entry.decode

        def run(k: int) -> None:
            for token in fresh[:k]:
                decode(token)

        return run
    module_decode = fastjwt.decode

    def run_module(k: int) -> None:
        for token in fresh[:k]:
            module_decode(token, key, algorithms=algorithms, audience=AUDIENCE, issuer=ISSUER)

    return run_module


_RSA_ENV = "FASTJWT_BENCH_RSA_PEM"


def _fixed_rsa_keys() -> Any:
    """One RSA key for both children of a scenario (generating one costs a varying
    number of instructions, which would not cancel out): made by the parent."""
    from cryptography.hazmat.primitives import serialization

    from bench.fixtures import KeyMaterial

    private: Any = serialization.load_pem_private_key(os.environ[_RSA_ENV].encode(), password=None)
    public = private.public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return KeyMaterial("RS256", private, public, pem)


def _count(scenario: str, shape: str, count: int, calls: int) -> int:
    """Instructions of one child process making ``calls`` calls."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    if _RSA_ENV not in env:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        os.environ[_RSA_ENV] = env[_RSA_ENV] = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
               "bench.instructions", "--child", scenario, "--shape", shape, "--count", str(count),
               "--calls", str(calls)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    match = re.search(r"Collected : (\d+)", done.stderr)
    if match is None:
        raise RuntimeError(done.stderr[-2000:])
    return int(match.group(1))


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS), help=f"any of {', '.join(SCENARIOS)}")
    parser.add_argument("--shape", default="flat", choices=("flat", "nested"))
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--calls", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    if args.child:
        _setup(args.scenarios[0], args.shape, args.count)(args.calls)
        return 0
    print(f"| scenario ({args.shape}; HS256 unless named) | instructions per call |")
    print("| --- | ---: |")
    for scenario in args.scenarios:
        total = _count(scenario, args.shape, args.count, args.count) - _count(scenario, args.shape, args.count, 0)
        print(f"| {scenario} | {total / args.count:,.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
