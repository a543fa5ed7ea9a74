"""Module-level ``decode`` (PyJWT's API) with the decode cache, side by side with PyJWT.

``python -m bench.decode_cache [--algs HS256,RS256,ES256,EdDSA] [--rounds 9] [--quick]``

Code written for PyJWT calls ``jwt.decode(token, key, algorithms=[...],
audience=..., issuer=...)`` on every request with the same key and options.
For each algorithm and each claims shape (flat, and Keycloak-shaped with
nested ``realm_access``/``resource_access``), this times, in adjacent short
runs repeated ``--rounds`` times:

* ``pyjwt``: PyJWT 2.15.1's ``jwt.decode``;
* ``off``: ``fastjwt.decode`` with the cache off (``configure(decode_cache=False)``);
* ``first``: ``fastjwt.decode`` of tokens never seen before, cache on (the
  call signature is known, each token is new);
* ``repeated``: ``fastjwt.decode`` of one token again and again, cache on.

Every call gets a new ``str`` object (as a server gets from each request),
and the key is what applications configure: the secret as ``str`` for
HS256, the public key as PEM text otherwise. Each ratio is the median of the
per-round ratios (adjacent runs, so the machine's drift cancels), reported
with the median time per call. Tokens are signed with ``cryptography``
directly, by neither library under test.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import time
import uuid
from typing import Any, Callable, Dict, List

import jwt as pyjwt
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

import fastjwt

AUDIENCE, ISSUER = "account", "https://id.example/realms/main"
ALGORITHMS = ("HS256", "RS256", "ES256", "EdDSA")
SHAPES = ("flat", "keycloak")
#: The issue's targets: repeated token over PyJWT.
TARGETS = {"HS256": 40.0, "RS256": 100.0, "ES256": 100.0, "EdDSA": 100.0}
VARIANTS = ("pyjwt", "off", "first", "repeated")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def claims(shape: str) -> Dict[str, Any]:
    """Claims of an access token: flat, or shaped like Keycloak's."""
    now = int(time.time())
    flat: Dict[str, Any] = {
        "exp": now + 3600, "iat": now, "nbf": now, "jti": str(uuid.uuid4()), "iss": ISSUER, "aud": AUDIENCE,
        "sub": "f1a2b3c4-d5e6-7890-abcd-ef0123456789", "scope": "openid profile email",
    }
    if shape == "flat":
        return flat
    return {
        **flat, "typ": "Bearer", "azp": "web-app", "sid": str(uuid.uuid4()), "acr": "1",
        "allowed-origins": ["https://app.example"],
        "realm_access": {"roles": ["offline_access", "uma_authorization", "default-roles-main"]},
        "resource_access": {"account": {"roles": ["manage-account", "manage-account-links", "view-profile"]},
                            "web-app": {"roles": ["orders:read", "orders:write"]}},
        "email_verified": True, "name": "Alice Example", "preferred_username": "alice",
        "given_name": "Alice", "family_name": "Example", "email": "alice@example.com",
    }


class Signer:
    """One key pair: signs tokens with ``cryptography`` and gives the verification key as apps configure it."""

    def __init__(self, alg: str) -> None:
        self.alg = alg
        if alg == "HS256":
            self.secret = "decode-cache-benchmark-secret-0123456789-abcdefghij"
            self.key: Any = self.secret
            return
        if alg == "RS256":
            self.private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif alg == "ES256":
            self.private = ec.generate_private_key(ec.SECP256R1())
        else:
            self.private = ed25519.Ed25519PrivateKey.generate()
        self.key = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def sign(self, payload: Dict[str, Any]) -> str:
        header = {"alg": self.alg, "typ": "JWT", "kid": "bench-1"}
        signing_input = f"{_b64(json.dumps(header, separators=(',', ':')).encode())}." \
                        f"{_b64(json.dumps(payload, separators=(',', ':')).encode())}"
        data = signing_input.encode("ascii")
        if self.alg == "HS256":
            mac = hmac.HMAC(self.secret.encode(), hashes.SHA256())
            mac.update(data)
            signature = mac.finalize()
        elif self.alg == "RS256":
            signature = self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())
        elif self.alg == "ES256":
            r, s = decode_dss_signature(self.private.sign(data, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        else:
            signature = self.private.sign(data)
        return f"{signing_input}.{_b64(signature)}"


def _fresh(token: str) -> str:
    """The same text in a new str object (its hash not yet computed), as a request brings."""
    return (token + " ")[:-1]


def _per_call(fn: Callable[[str], Any], tokens: List[str]) -> float:
    """Seconds per call of ``fn`` over ``tokens`` (new str objects made outside the timing)."""
    fresh = [_fresh(t) for t in tokens]
    start = time.perf_counter()
    for token in fresh:
        fn(token)
    return (time.perf_counter() - start) / len(fresh)


def run_case(alg: str, shape: str, rounds: int, scale: float) -> Dict[str, Any]:
    """Timings of the four variants for one algorithm and shape, paired per round."""
    signer = Signer(alg)
    key, algorithms = signer.key, [alg]
    repeated = signer.sign(claims(shape))
    slow = alg != "HS256"
    n_pyjwt = max(5, int((60 if slow else 150) * scale))
    n_first = max(5, int((40 if slow else 150) * scale))
    n_fast = max(50, int(2000 * scale))
    firsts = [signer.sign(claims(shape)) for _ in range(n_first * rounds)]

    def pyjwt_decode(token: str) -> Any:
        return pyjwt.decode(token, key, algorithms=algorithms, audience=AUDIENCE, issuer=ISSUER)

    def fast_decode(token: str) -> Any:
        return fastjwt.decode(token, key, algorithms=algorithms, audience=AUDIENCE, issuer=ISSUER)

    expected = pyjwt_decode(repeated)
    if fast_decode(repeated) != expected:
        raise SystemExit(f"{alg} {shape}: fastjwt.decode disagrees with PyJWT")
    samples: Dict[str, List[float]] = {variant: [] for variant in VARIANTS}
    for index in range(rounds):
        samples["pyjwt"].append(_per_call(pyjwt_decode, [repeated] * n_pyjwt))
        fastjwt.configure(decode_cache=False)
        samples["off"].append(_per_call(fast_decode, [repeated] * n_pyjwt))
        fastjwt.configure(decode_cache=True)
        for _ in range(3):  # the signature's second sighting builds its validator
            fast_decode(repeated)
        samples["first"].append(_per_call(fast_decode, firsts[index * n_first:(index + 1) * n_first]))
        samples["repeated"].append(_per_call(fast_decode, [repeated] * n_fast))
    info = fastjwt.decode_cache_info()
    if info.validators != 1 or info.hits < n_fast:
        raise SystemExit(f"{alg} {shape}: the cache did not serve the repeated token: {info}")
    medians = {variant: statistics.median(values) * 1e6 for variant, values in samples.items()}
    ratios = {
        variant: statistics.median(p / v for p, v in zip(samples["pyjwt"], samples[variant]))
        for variant in VARIANTS[1:]
    }
    first_over_off = statistics.median(o / f for o, f in zip(samples["off"], samples["first"]))
    return {"alg": alg, "shape": shape, "us": medians, "ratio": ratios, "first_over_off": first_over_off,
            "token_bytes": len(repeated)}


def report(results: List[Dict[str, Any]]) -> str:
    lines = [
        "| alg | claims | token B | PyJWT µs | fastjwt `decode` (PyJWT API), cache off µs | first-seen token µs "
        "| fastjwt `decode` (PyJWT API), repeated token µs | repeated ×PyJWT | target | first-seen ×off |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        us, ratio = r["us"], r["ratio"]
        target = TARGETS[r["alg"]]
        mark = "met" if ratio["repeated"] >= target else "MISSED"
        lines.append(
            f"| {r['alg']} | {r['shape']} | {r['token_bytes']} | {us['pyjwt']:.1f} | {us['off']:.2f} | "
            f"{us['first']:.2f} | {us['repeated']:.2f} | {ratio['repeated']:.0f}× | ≥{target:.0f}× {mark} | "
            f"{r['first_over_off']:.2f}× |"
        )
    return "\n".join(lines)


def main(argv: Any = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--algs", default=",".join(ALGORITHMS))
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="3 rounds of short runs (a smoke run)")
    args = parser.parse_args(argv)
    rounds, scale = (3, 0.2) if args.quick else (args.rounds, 1.0)
    results = []
    for alg in args.algs.split(","):
        for shape in args.shapes.split(","):
            results.append(run_case(alg, shape, rounds, scale))
            print(f"# {alg} {shape}: repeated {results[-1]['ratio']['repeated']:.0f}× PyJWT", flush=True)
    fastjwt.configure(decode_cache=True)
    print()
    print(f"fastjwt {fastjwt.__version__}, PyJWT {pyjwt.__version__}; medians of {rounds} paired rounds; "
          "ratios are PyJWT's time over fastjwt's, per round, then the median.")
    print()
    print(report(results))


if __name__ == "__main__":
    main()
