"""The one JWK Set parser: :meth:`fastjwt.KeySet.from_jwks`, the JWKS clients and the key directory use it.

A JWK Set (``{"keys": [...]}``) is a published document that may list keys
this library must not or cannot verify with. The policy for its members,
in one place:

* **unusable** (skipped): a member that is not a usable signature-verification
  key: ``use`` other than ``"sig"``, ``key_ops`` without ``"verify"``, an
  unsupported ``kty`` or ``crv``, malformed or out-of-range key material, or
  a ``kid``/``alg``/``use`` that is not a string (a bad ``kid``). A JWKS
  endpoint may legitimately publish encryption keys too. ``strict=True``
  raises instead (``KeySet.from_jwks(skip_unusable=False)``).
* **symmetric** (skipped unless ``allow_symmetric``): a ``kty: oct`` member;
  anyone who reads the document could sign HS256 tokens with it.
* **duplicates** (skipped when members are identified, i.e. for a fetched
  JWKS): a member whose canonical JSON equals an earlier one's. Identified
  members keep their :class:`fastjwt.Key` across documents (``previous``),
  so a key republished unchanged keeps its cached verifications.
* **size**: the document is bounded by whoever reads it (a fetch's
  ``max_response_bytes``, a key file's size limit); the parser adds none.
* a document with **no usable member** is the caller's error (each caller
  keeps its own exception and message).

Every skip is logged (``fastjwt.keys`` at DEBUG unless the caller says
otherwise) with the member's index, the source and the reason; the reason is
fastjwt's own message or only an exception's type, never key material.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple

from ._safe_text import printable
from .exceptions import InvalidKeyError, PyJWTError

if TYPE_CHECKING:  # keys builds on this module; members become Keys through the caller's to_key
    from .keys import Key

__all__ = ["JWKSMembers", "SYMMETRIC_REFUSED", "jwks_members", "parse_members"]

#: Why a symmetric JWK from a published source is refused.
SYMMETRIC_REFUSED = ("A symmetric (oct) JWK from a published source is not used: anyone who reads it could sign "
                     "tokens (allow_symmetric=True trusts it)")

_log = logging.getLogger("fastjwt.keys")

#: What a member's conversion may raise when it is unusable (anything else propagates).
UNUSABLE = (InvalidKeyError, TypeError, ValueError)


class JWKSMembers(NamedTuple):
    """The outcome of parsing a JWK Set's members."""

    #: the usable keys, in document order
    keys: Tuple[Key, ...]
    #: key by member digest (identified members only, else empty)
    by_digest: Dict[str, Key]
    #: (index, reason) of every member skipped
    skipped: Tuple[Tuple[int, str], ...]


def jwks_members(document: Any) -> Optional[List[Any]]:
    """The member list of a JWK Set document, or None if ``document`` is not a JWK Set."""
    members = document.get("keys") if isinstance(document, Mapping) else None
    return members if isinstance(members, list) else None


def member_digest(member: Any) -> str:
    """A member's identity: the SHA-256 of its canonical JSON (a digest: no key material is kept)."""
    return hashlib.sha256(json.dumps(member, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _reason(error: BaseException) -> str:
    # fastjwt's own messages carry no key material; anything else is named by its type only.
    if isinstance(error, PyJWTError):
        return printable(str(error), limit=200)
    return type(error).__name__


def parse_members(
    members: List[Any],
    *,
    to_key: Callable[[Any], Key],
    allow_symmetric: bool = False,
    strict: bool = False,
    previous: Optional[Mapping[str, Key]] = None,
    source: str = "a JWK Set",
    logger: logging.Logger = _log,
    level: int = logging.DEBUG,
) -> JWKSMembers:
    """The usable keys of ``members`` under the policy above.

    Args:
        to_key: makes a :class:`Key` of one member (raises one of
            :data:`UNUSABLE` for an unusable member).
        allow_symmetric: use ``kty: oct`` members.
        strict: raise the first unusable member's error instead of skipping it.
        previous: identify members by digest (dropping duplicates) and reuse
            the Key of a member seen in the previous document.
        source: names the document in log lines (no credentials, no query).
    """
    keys: List[Key] = []
    by_digest: Dict[str, Key] = {}
    skipped: List[Tuple[int, str]] = []
    for index, member in enumerate(members):
        digest = member_digest(member) if previous is not None else ""
        if digest and digest in by_digest:
            reason = "a duplicate of an earlier member"
        else:
            try:
                key = _member_key(member, to_key, allow_symmetric, previous, digest)
            except UNUSABLE as error:
                if strict:
                    raise
                reason = _reason(error)
            else:
                keys.append(key)
                if digest:
                    by_digest[digest] = key
                continue
        skipped.append((index, reason))
        logger.log(level, "Skipping JWK Set member %d of %s: %s", index, source, reason)
    return JWKSMembers(tuple(keys), by_digest, tuple(skipped))


def _member_key(member: Any, to_key: Callable[[Any], Key], allow_symmetric: bool,
                previous: Optional[Mapping[str, Key]], digest: str) -> Key:
    """One member's Key: the previous document's for an unchanged member, else a new one (or an UNUSABLE error)."""
    if previous is not None:
        known = previous.get(digest)
        if known is not None:
            return known
    if isinstance(member, dict) and member.get("kty") == "oct" and not allow_symmetric:
        raise InvalidKeyError(SYMMETRIC_REFUSED)
    return to_key(member)
