"""Verification keys: :class:`Key` (one key, its algorithms, prepared once)
and :class:`KeySet` (an immutable set of keys, selected by ``kid``).

A :class:`Validator` verifies with a single key (PyJWT style: the token's
``kid`` is not consulted) or with a key set, either a fixed :class:`KeySet`
or a :class:`KeySource` whose current set can change at any time (a remote
JWKS, a directory of key files). Key sets are immutable: a source swaps the
whole set in one reference assignment, so a reader sees the old set or the
new one, never a mix.
"""

from __future__ import annotations

import json
import warnings
from typing import (
    Any,
    Callable,
    Container,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Protocol,
    Sequence,
    Tuple,
    Union,
    runtime_checkable,
)

from ._jwks_doc import SYMMETRIC_REFUSED, jwks_members, parse_members
from ._safe_text import describe
from .algorithms import Algorithm, Verifier, get_default_algorithms
from .exceptions import InvalidAlgorithmError, InvalidKeyError, InvalidTokenError, PyJWKSetError
from .warnings import InsecureKeyLengthWarning

__all__ = [
    "Key",
    "KeySet",
    "KeySource",
    "KeyNotFoundError",
    "JWK_FAMILY_ALGORITHMS",
    "PreparedKey",
    "prepare_key",
    "warn_short_key",
    "short_key_warnings",
    "check_algorithm",
]

_ALGORITHMS: Dict[str, Algorithm] = get_default_algorithms()
#: How many keys sharing one kid a token is tried against at most.
MAX_KEYS_PER_KID = 4
_VERIFYING_ALGORITHMS = tuple(name for name in _ALGORITHMS if name != "none")

#: Algorithms a JWK without ``alg`` may be used with, by ``kty`` (and ``crv``).
JWK_FAMILY_ALGORITHMS: Dict[str, Tuple[str, ...]] = {
    "RSA": ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    "EC:P-256": ("ES256",),
    "EC:secp256k1": ("ES256K",),
    "EC:P-384": ("ES384",),
    "EC:P-521": ("ES512",),
    "OKP:Ed25519": ("EdDSA",),
    "OKP:Ed448": ("EdDSA",),
    "oct": ("HS256", "HS384", "HS512"),
}




class KeyNotFoundError(InvalidKeyError, InvalidTokenError):
    """No key of the key set can verify this token (unknown ``kid``, or no
    key for its ``alg``). It is both an :class:`InvalidKeyError` (as PyJWT
    users of JWKS clients expect) and an :class:`InvalidTokenError` (the
    token caused it)."""


def _short(value: Any) -> str:
    """A token-supplied value made safe for an error message (bounded, escaped, never recursive)."""
    return describe(value)


# --------------------------------------------------------------------------- key preparation
# The one path from key material to a prepared key, the one short-key rule and
# the one algorithm check: Key (and so every Validator and KeySet), the
# PyJWT-compatible PyJWS (encode, decode and its cache of prepared keys) use them.


#: A key prepared for one algorithm: ``(prepared key, verifier, key-length text)``;
#: the verifier is None when prepared for signing, the text None when the key is long enough.
PreparedKey = Tuple[Any, Optional[Verifier], Optional[str]]


def prepare_key(algorithm: Algorithm, key: Any, *, verify: bool = True) -> PreparedKey:
    """Prepare ``key`` for ``algorithm``: the algorithm's own checks (key family,
    curve, RSA exponent, and for HMAC the key-confusion checks), its verifier
    (unless ``verify=False``: for signing) and its key-length check (RFC 7518
    3.2, NIST SP 800-131A).

    Nothing is warned here: the caller decides, with :func:`warn_short_key`,
    when the key meets its use. Raises what ``algorithm.prepare_key`` raises.
    """
    prepared = algorithm.prepare_key(key)
    return prepared, algorithm.verifier(prepared) if verify else None, algorithm.check_key_length(prepared)


def warn_short_key(message: str, *, enforce: bool, stacklevel: int = 1) -> None:
    """The short-key rule (PyJWT's): with ``enforce_minimum_key_length``, raise
    InvalidKeyError with the key-length text; otherwise warn it as
    InsecureKeyLengthWarning. ``stacklevel`` counts as :func:`warnings.warn`'s
    does from the caller (1: the caller's own line)."""
    if enforce:
        raise InvalidKeyError(message)
    warnings.warn(message, InsecureKeyLengthWarning, stacklevel=stacklevel + 1)


def short_key_warnings(key: Key, algorithms: Container[str]) -> Tuple[str, ...]:
    """The distinct key-length texts of ``key`` for the algorithms in ``algorithms``
    it is too short for, in the key's algorithm order (an RSA key short for RS256
    and PS256 gives one text)."""
    return tuple(dict.fromkeys(message for alg, message in key.weak.items() if alg in algorithms))


def check_algorithm(
    alg: Any,
    allowed: Optional[Container[Any]],
    supported: Optional[Callable[[Any], Any]] = None,
    *,
    bound: Optional[str] = None,
) -> Any:
    """PyJWT's checks of a token's ``alg``, in its order, with its exceptions and messages.

    ``alg`` must be non-empty and in ``allowed`` (None: any; PyJWT's ``in``, so
    a str allowlist matches substrings), else InvalidAlgorithmError("The
    specified alg value is not allowed"). A key bound to one algorithm (a
    PyJWK: ``bound``) then needs exactly that one; otherwise ``supported(alg)``
    must give a true value (e.g. the registered algorithm), else "Algorithm not
    supported". Returns that value (None for a bound key).
    """
    try:
        ok = bool(alg) and (allowed is None or alg in allowed)
    except TypeError:  # an unhashable or odd alg against a str/set allowlist
        ok = False
    if not ok:
        raise InvalidAlgorithmError("The specified alg value is not allowed")
    if bound is not None:
        if alg != bound:
            raise InvalidAlgorithmError(f"Token algorithm {alg!r} does not match the key's algorithm {bound!r}")
        return None
    try:
        found = supported(alg) if supported is not None else None
    except TypeError:  # an unhashable alg against a set or dict
        found = None
    if not found:
        raise InvalidAlgorithmError("Algorithm not supported")
    return found


class Key:
    """One verification key with the algorithms it may verify, prepared once.

    Args:
        key: key material in any form ``fastjwt.decode`` accepts.
        kid: the key id tokens name it by (``None``: no id).
        alg: bind the key to this one algorithm; otherwise every algorithm
            whose key preparation accepts it (an RSA key: RS*/PS*; a secret:
            HS*), further narrowed by each validator's allowlist.
    """

    __slots__ = ("kid", "alg", "weak", "public_key", "_verifiers", "_failures", "__weakref__")

    def __init__(self, key: Any, *, kid: Optional[str] = None, alg: Optional[str] = None,
                 algorithms: Optional[Iterable[str]] = None) -> None:
        from ._bound_key import BoundKey as PyJWK  # PyJWK, registered by the PyJWT layer

        if isinstance(key, PyJWK):  # a PyJWK carries its own id and algorithm
            kid = key.key_id if kid is None else kid
            alg = key.algorithm_name if alg is None else alg
            key = key.key
        if kid is not None and not isinstance(kid, str):
            raise TypeError("kid must be a str")
        if alg is not None:
            if alg not in _ALGORITHMS or alg == "none":
                raise InvalidKeyError(f"Unsupported algorithm for a key: {_short(alg)}")
            names: Sequence[str] = (alg,)
        else:
            names = tuple(algorithms) if algorithms is not None else _VERIFYING_ALGORITHMS
        self.kid = kid
        self.alg = alg
        self._verifiers: Dict[str, Verifier] = {}
        #: The public key (a ``cryptography`` object), or None for an HMAC secret:
        #: a Key never keeps private material it does not need.
        self.public_key: Any = None
        #: Key-length warnings by algorithm (RFC 7518 3.2, NIST SP 800-131A).
        self.weak: Dict[str, str] = {}
        # Why the key cannot verify an algorithm: (error type, args) per name.
        self._failures: Dict[str, Tuple[type, Tuple[Any, ...]]] = {}
        errors: List[Exception] = []
        for name in names:
            algorithm = _ALGORITHMS.get(name)
            if algorithm is None or name == "none":
                continue
            try:
                prepared, verify, weak = prepare_key(algorithm, key)
            except (InvalidKeyError, TypeError, ValueError) as err:
                errors.append(err)
                self._failures[name] = (type(err), err.args)
                continue
            self._verifiers[name] = verify  # type: ignore[assignment]
            if self.public_key is None and not isinstance(prepared, bytes):
                self.public_key = prepared.public_key() if hasattr(prepared, "private_bytes") else prepared
            if weak:
                self.weak[name] = weak
        if not self._verifiers:
            if len({(type(err), err.args) for err in errors}) == 1:  # one reason, whatever the algorithm
                raise errors[0]
            raise InvalidKeyError("The key cannot verify any supported algorithm")
        if alg is not None and alg in self.weak:
            # Bound to one algorithm, the key is known to be too short for its use.
            # (An unbound key is warned about where it meets its algorithms: a
            # Validator's allowlist.)
            warn_short_key(self.weak[alg], enforce=False, stacklevel=2)

    @classmethod
    def from_jwk(cls, jwk: Union[Mapping[str, Any], str, bytes], *, alg: Optional[str] = None,
                 allow_symmetric: bool = True) -> Key:
        """A key from a JWK; its ``alg``, ``use`` and ``key_ops`` are honoured.

        ``use`` other than ``"sig"`` or ``key_ops`` without ``"verify"`` make
        the key unusable for verification (InvalidKeyError). Only the public
        part of a private JWK is kept. With ``allow_symmetric=False`` (pass it
        for a JWK fetched from elsewhere) a ``kty: oct`` JWK is refused: a
        secret in a published document is known to everyone who reads it.
        """
        from .jwk import load_jwk

        parsed = load_jwk(jwk)
        if parsed.kty == "oct" and not allow_symmetric:
            raise InvalidKeyError(SYMMETRIC_REFUSED)
        if parsed.use is not None and parsed.use != "sig":
            raise InvalidKeyError(f"JWK use {_short(parsed.use)} is not for signatures")
        if parsed.key_ops is not None and "verify" not in parsed.key_ops:
            raise InvalidKeyError("JWK key_ops does not allow verify")
        if alg is not None and parsed.alg is not None and alg != parsed.alg:
            raise InvalidKeyError(f"JWK is bound to {_short(parsed.alg)}, not {_short(alg)}")
        bound = alg or parsed.alg
        family = parsed.kty if parsed.crv is None else f"{parsed.kty}:{parsed.crv}"
        if bound is not None and bound not in JWK_FAMILY_ALGORITHMS.get(family, ()):
            raise InvalidKeyError(f"JWK of type {family} cannot be used with {_short(bound)}")
        return cls(parsed.key, kid=parsed.kid, alg=bound, algorithms=JWK_FAMILY_ALGORITHMS.get(family, ()))

    def verifier(self, alg: str) -> Optional[Verifier]:
        """The prepared verifier for ``alg``, or None if this key cannot verify it."""
        return self._verifiers.get(alg)

    def failure(self, alg: str) -> Optional[Tuple[type, Tuple[Any, ...]]]:
        """Why the key could not be prepared for ``alg``: (error type, args), or None."""
        return self._failures.get(alg)

    @property
    def algorithms(self) -> Tuple[str, ...]:
        """The algorithms this key can verify."""
        return tuple(self._verifiers)

    def __repr__(self) -> str:
        # Never the key material: a secret must not reach a log line.
        return f"Key(kid={self.kid!r}, algorithms={list(self._verifiers)!r})"


class KeySet:
    """An immutable set of :class:`Key`, looked up by ``kid``.

    Selection for a token (``kid``, ``alg``): with a ``kid``, the keys with
    that id that can verify ``alg``; without one, the keys that can verify
    ``alg``, used only when there is exactly one, unless ``try_keys`` allows
    trying up to that many. Both are indexed when the set is built, so
    selecting costs a lookup whatever the size of the set (a kid-less token
    against 5000 keys scans nothing).
    """

    __slots__ = ("keys", "_by_kid", "_members", "_by_alg", "_by_kid_alg", "__weakref__")

    def __init__(self, keys: Iterable[Key] = ()) -> None:
        self.keys: Tuple[Key, ...] = tuple(keys)
        by_kid: Dict[Optional[str], List[Key]] = {}
        by_alg: Dict[str, List[Tuple[Key, Verifier]]] = {}
        by_kid_alg: Dict[Tuple[Optional[str], str], List[Tuple[Key, Verifier]]] = {}
        for key in self.keys:
            if not isinstance(key, Key):
                raise TypeError("KeySet members must be fastjwt.Key objects")
            by_kid.setdefault(key.kid, []).append(key)
            for alg, verifier in key._verifiers.items():
                by_alg.setdefault(alg, []).append((key, verifier))
                by_kid_alg.setdefault((key.kid, alg), []).append((key, verifier))
        self._by_kid: Dict[Optional[str], Tuple[Key, ...]] = {k: tuple(v) for k, v in by_kid.items()}
        self._members = frozenset(self.keys)
        # The candidates of every (kid, alg) and of every alg, built once: the set never changes.
        self._by_alg: Dict[str, Tuple[Tuple[Key, Verifier], ...]] = {k: tuple(v) for k, v in by_alg.items()}
        self._by_kid_alg: Dict[Tuple[Optional[str], str], Tuple[Tuple[Key, Verifier], ...]] = {
            k: tuple(v) for k, v in by_kid_alg.items()}

    @classmethod
    def from_jwks(cls, jwks: Union[Mapping[str, Any], str, bytes], *, skip_unusable: bool = True,
                  allow_symmetric: bool = False) -> KeySet:
        """A key set from a JWK Set document (``{"keys": [...]}``).

        Members that are not usable signature-verification keys (other
        ``use``, unsupported ``kty``, malformed) are skipped, as a JWKS
        endpoint may publish encryption keys too; with ``skip_unusable=False``
        they raise InvalidKeyError. A document with no usable key raises
        PyJWKSetError.

        A JWK Set is a published document: its symmetric (``kty: oct``)
        members are unusable too, since anyone who reads the set could sign
        HS256 tokens with them, unless ``allow_symmetric=True`` says the
        document is private to the caller. (The member policy is
        :mod:`fastjwt._jwks_doc`'s, shared with the JWKS clients and the key directory.)
        """
        try:
            document = json.loads(jwks) if isinstance(jwks, (str, bytes)) else jwks
        except ValueError:  # includes UnicodeDecodeError
            raise PyJWKSetError("Invalid JWK Set value") from None
        members = jwks_members(document)
        if members is None:
            raise PyJWKSetError("Invalid JWK Set value")
        keys = parse_members(members, to_key=lambda member: Key.from_jwk(member, allow_symmetric=allow_symmetric),
                             allow_symmetric=allow_symmetric, strict=not skip_unusable).keys
        if not keys:
            raise PyJWKSetError("The JWK Set did not contain any usable keys")
        return cls(keys)

    def get(self, kid: Optional[str]) -> Tuple[Key, ...]:
        """The keys with this ``kid`` (``None``: the keys without one)."""
        return self._by_kid.get(kid, ())

    def __contains__(self, key: object) -> bool:
        return key in self._members

    def __iter__(self) -> Iterator[Key]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def __repr__(self) -> str:
        return f"KeySet({list(self.keys)!r})"

    def has_kid(self, kid: str) -> bool:
        """True if some key has this ``kid``."""
        return kid in self._by_kid

    def select(self, kid: Any, alg: str, try_keys: int = 1) -> Tuple[Tuple[Key, Verifier], ...]:
        """The ``(key, verifier)`` pairs to try for a token, in order (lookups only).

        Several keys may share a kid (e.g. RSA and EC): at most
        ``max(try_keys, MAX_KEYS_PER_KID)`` of them are tried.

        :raises KeyNotFoundError: unknown ``kid``; no key for ``alg``; or no
            ``kid`` and more than ``try_keys`` candidate keys.
        """
        if kid is not None:
            try:
                pairs = self._by_kid_alg.get((kid, alg)) if isinstance(kid, str) else None
            except TypeError:  # an unhashable alg
                pairs = None
            if pairs is None:
                if not isinstance(kid, str) or kid not in self._by_kid:
                    raise KeyNotFoundError(f"Unable to find a signing key that matches: {_short(kid)}")
                raise KeyNotFoundError(f"The key {_short(kid)} cannot verify {_short(alg)}")
            return pairs[: max(try_keys, MAX_KEYS_PER_KID)]  # the very tuple, unless it is cut
        try:
            pairs = self._by_alg.get(alg, ())
        except TypeError:
            pairs = ()
        if not pairs:
            raise KeyNotFoundError(f"No key can verify {_short(alg)}")
        if len(pairs) > try_keys:
            raise KeyNotFoundError("The token has no kid and several keys could verify it")
        return pairs


@runtime_checkable
class KeySource(Protocol):
    """Anything that holds a current :class:`KeySet` that may change.

    ``key_set()`` must be cheap and never block (it is called per token).
    ``key_set_for(kid)`` is called when a token names a ``kid`` the current
    set lacks: a source may refresh (throttled) and return the new set; it
    may block for at most its fetch timeout.
    """

    def key_set(self) -> KeySet:
        """The current key set."""
        ...

    def key_set_for(self, kid: str) -> KeySet:
        """A key set that has ``kid`` if the source can find it (possibly the current one)."""
        ...
