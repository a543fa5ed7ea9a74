"""Warnings, as PyJWT names them."""

from __future__ import annotations

__all__ = ["RemovedInPyjwt3Warning", "InsecureKeyLengthWarning", "InsecureTransportWarning"]


class RemovedInPyjwt3Warning(DeprecationWarning):
    """A PyJWT 2 feature that PyJWT 3 removes (kept for compatibility)."""


class InsecureKeyLengthWarning(UserWarning):
    """A key is shorter than the recommended minimum (RFC 7518 3.2, NIST SP 800-131A)."""


class InsecureTransportWarning(UserWarning):
    """Keys are fetched without TLS (plain ``http://`` to a host other than
    loopback): whoever is on the path can replace them and forge tokens.
    ``PyJWKClient`` warns once per client; ``JWKSClient`` refuses such URLs
    unless ``allow_insecure_http=True``."""
