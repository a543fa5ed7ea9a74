"""JWKSetCache: PyJWT's time-limited holder of one parsed JWK Set.

:class:`fastjwt.PyJWKClient` keeps its JWK Set here, as PyJWT's client does,
so code that pre-fills or inspects ``client.jwk_set_cache`` keeps working.
An expired entry is not deleted: ``get()`` stops returning it, but the client
may still serve it (stale) while the JWKS endpoint is failing.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Optional, Union

from .api_jwk import PyJWKSet, PyJWTSetWithTimestamp
from .exceptions import PyJWKSetError

__all__ = ["JWKSetCache", "PyJWTSetWithTimestamp"]


class JWKSetCache:
    """One JWK Set, served for ``lifespan`` seconds after it was stored.

    Args:
        lifespan: seconds a stored set stays fresh (``-1``: forever).
        clock: (keyword-only, not in PyJWT) the monotonic clock timestamps are read from.
    """

    def __init__(self, lifespan: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.jwk_set_with_timestamp: Optional[PyJWTSetWithTimestamp] = None
        self.lifespan = lifespan
        self._clock = clock

    def put(self, jwk_set: Optional[Union[PyJWKSet, Dict[str, Any]]]) -> None:
        """Store ``jwk_set`` (a :class:`PyJWKSet` or a JWKS dict, stored parsed), or clear with ``None``.

        :raises PyJWKSetError: ``jwk_set`` is neither a PyJWKSet nor a JWKS
            dict with usable keys.
        """
        if jwk_set is None:
            self.jwk_set_with_timestamp = None
            return
        if not isinstance(jwk_set, PyJWKSet):
            if not isinstance(jwk_set, dict):
                raise PyJWKSetError("Invalid JWK Set value")
            jwk_set = PyJWKSet.from_dict(jwk_set)
        self.jwk_set_with_timestamp = PyJWTSetWithTimestamp(jwk_set, self._clock())

    def get(self) -> Optional[PyJWKSet]:
        """The stored set, or None if there is none or it has expired."""
        if self.jwk_set_with_timestamp is None or self.is_expired():
            return None
        return self.jwk_set_with_timestamp.get_jwk_set()

    def is_expired(self) -> bool:
        """True if a set is stored and is older than ``lifespan``."""
        return (
            self.jwk_set_with_timestamp is not None
            and self.lifespan > -1
            and self._clock() > self.jwk_set_with_timestamp.get_timestamp() + self.lifespan
        )
