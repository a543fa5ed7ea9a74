"""The token service's signing keys and their rotation without downtime.

A rotation follows the order that lets every verifier keep up:

1. the new key is generated and **published** at once (it appears in the JWKS);
2. signing **switches** to it ``activation_delay`` seconds later, by which time
   verifiers that cache the JWKS for at most that long have fetched it;
3. the old key stays published until every token it signed has expired:
   ``max_token_lifetime + leeway`` seconds after the switch, then it is dropped.

Keys live in memory only (a restart starts with a new key; verifiers find it by
its unknown ``kid``); the private key never leaves this object. ``kid`` is
the key's RFC 7638 thumbprint. Time comes from ``clock``, so a test can drive
the schedule.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from ..api_jwt import encode
from ..jwk import key_to_jwk, thumbprint

__all__ = ["KeyRing", "SigningKey", "SIGNING_ALGORITHMS"]

#: The algorithms the token service signs with (asymmetric only: verifiers never hold a signing secret).
SIGNING_ALGORITHMS = ("ES256", "EdDSA")


@dataclass
class SigningKey:
    """One versioned key: published from ``published_at``, signs from ``active_from``,
    published until ``retire_at`` (None while it is the newest key)."""

    kid: str
    alg: str
    private_key: Any = field(repr=False)
    published_at: float
    active_from: float
    retire_at: Optional[float] = None

    def public_jwk(self) -> Dict[str, Any]:
        """The public JWK (``kid``, ``alg``, ``use: sig``)."""
        jwk = key_to_jwk(self.private_key.public_key(), kid=self.kid, alg=self.alg)
        jwk["use"] = "sig"
        return jwk


def _generate(alg: str) -> Any:
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


class KeyRing:
    """Versioned signing keys with a publish-then-switch-then-retire schedule.

    Args:
        alg: ``"ES256"`` (default) or ``"EdDSA"``.
        activation_delay: seconds between publishing a new key and signing with it;
            at least the JWKS ``Cache-Control: max-age`` verifiers honour.
        max_token_lifetime: the longest lifetime of a token signed here.
        leeway: extra seconds an old key stays published (verifiers' clock skew).
        clock: seconds since the epoch.
    """

    def __init__(self, alg: str = "ES256", *, activation_delay: float = 60.0, max_token_lifetime: float = 300.0,
                 leeway: float = 30.0, clock: Callable[[], float] = time.time) -> None:
        if alg not in SIGNING_ALGORITHMS:
            raise ValueError(f"alg must be one of {', '.join(SIGNING_ALGORITHMS)}")
        if activation_delay < 0 or max_token_lifetime <= 0 or leeway < 0:
            raise ValueError("activation_delay and leeway must be >= 0, max_token_lifetime > 0")
        self.alg = alg
        self.activation_delay = float(activation_delay)
        self.max_token_lifetime = float(max_token_lifetime)
        self.leeway = float(leeway)
        self._clock = clock
        self._lock = threading.Lock()
        now = clock()
        self._keys: List[SigningKey] = [self._new_key(now, now)]  # the first key signs at once

    def _new_key(self, published_at: float, active_from: float) -> SigningKey:
        private_key = _generate(self.alg)
        kid = thumbprint(key_to_jwk(private_key.public_key()))
        return SigningKey(kid, self.alg, private_key, published_at, active_from)

    def rotate(self) -> SigningKey:
        """Publish a new key now; it signs from ``now + activation_delay``. Returns it."""
        now = self._clock()
        with self._lock:
            newest = self._keys[-1]
            key = self._new_key(now, max(now + self.activation_delay, newest.active_from))
            # The previous key signs until the switch; its last token expires max_token_lifetime later.
            newest.retire_at = key.active_from + self.max_token_lifetime + self.leeway
            self._keys.append(key)
            return key

    def _prune(self, now: float) -> List[SigningKey]:
        self._keys = [k for k in self._keys if k.retire_at is None or now < k.retire_at]
        return self._keys

    def signing_key(self) -> SigningKey:
        """The key to sign with now: the newest whose switch time has come."""
        now = self._clock()
        with self._lock:
            keys = self._prune(now)
            active = [k for k in keys if k.active_from <= now]
            return active[-1]  # the oldest remaining key is always active: it retires only after a successor

    def published(self) -> List[SigningKey]:
        """The keys in the JWKS now (retired keys are dropped)."""
        with self._lock:
            return list(self._prune(self._clock()))

    def jwks(self) -> Dict[str, Any]:
        """The public JWK Set document."""
        return {"keys": [k.public_jwk() for k in self.published()]}

    def schedule(self) -> List[Dict[str, Any]]:
        """Every published key's ``kid``, ``published_at``, ``active_from`` and ``retire_at``."""
        return [
            {"kid": k.kid, "published_at": k.published_at, "active_from": k.active_from, "retire_at": k.retire_at}
            for k in self.published()
        ]

    def sign(self, claims: Dict[str, Any], headers: Optional[Dict[str, Any]] = None) -> str:
        """``claims`` as a JWT signed with the current key (``kid`` in the header)."""
        key = self.signing_key()
        return encode(claims, key.private_key, algorithm=key.alg,
                      headers={**(headers or {}), "kid": key.kid})
