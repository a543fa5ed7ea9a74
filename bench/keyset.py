"""Key-set Validator against single-key Validator, uncached: what choosing a key by ``kid`` costs.

``python -m bench.keyset`` prints, for HS256 and RS256, the fastest of 30 runs
of 500 decodes each (the least disturbed by other load on a shared machine).
"""

from __future__ import annotations

import timeit
from typing import Any, Dict, List

from cryptography.hazmat.primitives.asymmetric import rsa

import fastjwt

from .overhead import AUDIENCE, ISSUER, benchmark_claims


def main() -> int:
    claims = benchmark_claims()
    secret = b"keyset-benchmark-secret-keyset-benchmark-secret-0123456789!!!!!"
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    others: Dict[str, Any] = {"HS256": b"another-secret-another-secret-another-secret!!",
                              "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()}
    common: Dict[str, Any] = {"audience": AUDIENCE, "issuer": ISSUER, "cache": False}
    print("| alg | single key µs | key set (2 keys, by kid) µs |")
    print("| --- | ---: | ---: |")
    for alg, signing, verifying in (("HS256", secret, secret), ("RS256", private, private.public_key())):
        token = fastjwt.encode(claims, signing, algorithm=alg, headers={"kid": "k1"})
        single = fastjwt.Validator(verifying, algorithms=[alg], **common)
        key_set = fastjwt.KeySet(
            [fastjwt.Key(verifying, kid="k1", alg=alg), fastjwt.Key(others[alg], kid="k2", alg=alg)]
        )
        by_kid = fastjwt.Validator(keys=key_set, algorithms=[alg], **common)
        assert single.decode(token) == by_kid.decode(token) == claims  # correctness before any number
        runs: Dict[str, List[float]] = {"single": [], "set": []}
        for _ in range(30):
            for name, validator in (("single", single), ("set", by_kid)):
                seconds = min(timeit.repeat(lambda v=validator, t=token: v.decode(t), number=500, repeat=3))
                runs[name].append(seconds / 500 * 1e6)
        print(f"| {alg} | {min(runs['single']):.2f} | {min(runs['set']):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
