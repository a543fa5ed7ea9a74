"""The verified-token cache behind module-level ``decode`` (PyJWT's API).

Code written for PyJWT calls ``jwt.decode(token, key, algorithms=...,
audience=..., ...)`` on every request, with the same key and options each
time. This module keeps one bounded memo of :class:`fastjwt.Validator`
objects, one per *call signature*: everything that can change a verdict
(the key, the algorithms, the instance's and the call's options, audience,
issuer, subject, leeway). A repeated token is then answered by that
validator's verified-token cache: a lookup and the time checks, never a
stale verdict (``exp``, ``nbf`` and ``iat`` are checked on every hit).

``PyJWT.decode`` (compiled: ``fastjwt._memo.decode``) and ``decode_complete``
look the signature up with ``fastjwt._memo.lookup``; this module builds
entries (:func:`miss`) and holds the switch. Extra keyword arguments are
warned about on every call and then ignored, as in PyJWT (the call itself
may be cached). Calls that are never cached take the ordinary path, unchanged:

- ``verify_signature: False``, ``detached_payload``, ``verify=`` (it may warn);
- an allowlist that is not a list or tuple (PyJWT tests a str as a
  substring), is empty, or names ``none`` or an algorithm outside the
  built-in table; a registry changed by ``register_algorithm`` or
  ``unregister_algorithm``; subclasses of ``PyJWT`` or ``PyJWS`` (their
  hooks must run), and every call while a method of ``PyJWT`` or ``PyJWS``
  is replaced (``mock.patch.object``, see :class:`GuardedClass`);
- keys shorter than the recommended length (PyJWT warns on every call),
  keys that are neither ``str``/``bytes`` (up to 16 KiB), a ``PyJWK`` nor a
  ``cryptography`` object (a callable, say), and arguments of other types
  (a set or generator audience, options holding unhashable values);
- a key and options the validator refuses outright (the ordinary path then
  raises PyJWT's error at PyJWT's moment).

A signature becomes a validator the second time it is seen, so code that
makes a new key object per call never pays for a validator it cannot reuse.
Keys are remembered by value (``str``/``bytes``) or by identity (``PyJWK``
and ``cryptography`` objects, which take no weak references): the memo holds
such a key while it holds its entry, so at most ``decode_cache_validators``
(+64 waiting for a second sighting) key objects are kept alive by it.

Memory: at most ``decode_cache_validators`` validators (8), each remembering
at most ``decode_cache_size`` verified tokens (4096) and 256 refused ones;
only tokens whose signature verified are remembered, so memory grows with
real traffic only (about 1.4 KB per cached 500-byte token). Turn it off with
``fastjwt.configure(decode_cache=False)`` or ``FASTJWT_DECODE_CACHE=0`` in the
environment.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from datetime import timedelta
from typing import Any, Dict, Hashable, NamedTuple, Optional, Tuple

from .api_jwk import PyJWK as _PyJWK

__all__ = [
    "DecodeCacheInfo",
    "configure",
    "decode_cache_info",
    "decode_cache_clear",
    "DEFAULT_VALIDATORS",
    "DEFAULT_SIZE",
]

#: Distinct call signatures remembered (validators).
DEFAULT_VALIDATORS = 8
#: Verified tokens each validator remembers.
DEFAULT_SIZE = 4096
#: Refused tokens (forged, expired) each validator remembers.
_REJECTED_SIZE = 256
#: Longer str/bytes keys are not remembered (the memo holds each key it keys on).
_MAX_KEY_LENGTH = 16384
#: Call signatures seen once, waiting for their second sighting.
_CANDIDATES = 64

_ENV = "FASTJWT_DECODE_CACHE"
#: The entry of a signature that is never cached; also marks an owner that
#: must not use the memo (see api_jwt._Options and PyJWS._memo_state).
UNCACHEABLE: Any = object()
_LEEWAY_TYPES = (int, float, timedelta)


class DecodeCacheInfo(NamedTuple):
    """Statistics of the module-level decode cache (see :func:`decode_cache_info`).

    ``hits``, ``misses`` and ``currsize`` add up the validators' verified-token
    caches (``maxsize`` is their combined bound); ``validators`` is how many
    signatures have one (``maxvalidators`` at most); ``bypassed`` counts calls
    that took the uncached path (first sightings, and calls never cached).
    """

    enabled: bool
    hits: int
    misses: int
    currsize: int
    maxsize: int
    validators: int
    maxvalidators: int
    bypassed: int


def _freeze(value: Any) -> Hashable:
    """A hashable stand-in for an option value (lists become tuples); raises TypeError if none."""
    if type(value) is list or type(value) is tuple:
        return tuple(_freeze(item) for item in value)
    hash(value)
    return value  # type: ignore[no-any-return]


def options_key(options: Any) -> Hashable:
    """A hashable snapshot of an options mapping; raises TypeError if a value has none."""
    return tuple((name, _freeze(value)) for name, value in options.items())


#: Instance options snapshots, each with the token that stands for it in signatures
#: (a plain object hashes by identity: no nested tuple to hash per call).
_OPTION_TOKENS: Dict[Hashable, Any] = {}
_MAX_OPTION_TOKENS = 1024


def options_token(options: Any) -> Any:
    """The token standing for a ``PyJWT`` instance's options (equal options, same
    token), or UNCACHEABLE if a value has no hashable stand-in."""
    try:
        snapshot = options_key(options)
        token = _OPTION_TOKENS.get(snapshot)
    except Exception:  # noqa: BLE001 - unhashable, or too deep to freeze: not cached
        return UNCACHEABLE
    if token is None:
        with _TOKEN_LOCK:
            token = _OPTION_TOKENS.get(snapshot)
            if token is None:
                if len(_OPTION_TOKENS) >= _MAX_OPTION_TOKENS:
                    return UNCACHEABLE  # bounded: so many distinct options are not worth caching
                token = _OPTION_TOKENS[snapshot] = _OptionsToken(snapshot)
    return token


class _OptionsToken:
    """Stands for one options snapshot in signatures (hashes by identity)."""

    __slots__ = ("snapshot",)

    def __init__(self, snapshot: Hashable) -> None:
        self.snapshot = snapshot

    def __repr__(self) -> str:
        return f"<options {self.snapshot!r}>"


_TOKEN_LOCK = threading.Lock()


def _enabled_by_environment() -> bool:
    return os.environ.get(_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


class _Config:
    """The switch and the bounds."""

    def __init__(self) -> None:
        self.enabled = _enabled_by_environment()
        #: PyJWT's and PyJWS's methods are their own (not patched, e.g. by mock.patch.object).
        self.classes_intact = True
        self.max_validators = DEFAULT_VALIDATORS
        self.size = DEFAULT_SIZE


#: The memo: call signature -> Validator, or UNCACHEABLE. Read without a
#: lock (a dict lookup is atomic), written under _LOCK, and never replaced,
#: so api_jwt binds it once. Empty while the cache is off.
ENTRIES: Dict[Hashable, Any] = {}
CONFIG = _Config()
_LOCK = threading.Lock()
#: Signatures seen once, each with its key (holding it keeps an id unique).
_SEEN_ONCE: OrderedDict[Hashable, Any] = OrderedDict()
#: The key of each entry, held as long as the entry (same reason).
_HELD: Dict[Hashable, Any] = {}
#: Each validator's hits at the last eviction (see _evict).
_HITS_AT_EVICTION: Dict[Hashable, int] = {}
_bypassed = 0


class GuardedClass(type):
    """Metaclass of ``PyJWT`` and ``PyJWS``: replacing one of their methods
    (``mock.patch.object(PyJWT, "_validate_claims", ...)`` in a test) makes every
    call take the uncached path, which runs the replacement, until the class is
    as it was again."""

    def __setattr__(cls, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        _classes_changed()

    def __delattr__(cls, name: str) -> None:
        super().__delattr__(name)
        _classes_changed()


#: The guarded classes, each with its namespace as defined.
_GUARDED: Dict[type, Dict[str, Any]] = {}


def guard(cls: type) -> None:
    """Remember ``cls``'s namespace as defined (see GuardedClass)."""
    _GUARDED[cls] = dict(cls.__dict__)


def _classes_changed() -> None:
    intact = all(
        len(cls.__dict__) == len(namespace)
        and all(cls.__dict__.get(name) is value for name, value in namespace.items())
        for cls, namespace in _GUARDED.items()
    )
    with _LOCK:
        CONFIG.classes_intact = intact
        ENTRIES.clear()
        _HELD.clear()
        _HITS_AT_EVICTION.clear()
        _SEEN_ONCE.clear()
        changed()


def changed() -> None:
    """Something an owner's verdict depends on changed (its options, its registry),
    or the entries did: the compiled lookup forgets the last signature it answered."""
    global _bump
    if _bump is None:  # _memo imports this module: bound on first use
        from ._memo import bump as _bump
    _bump()


_bump: Any = None


def signature(owner: Any, key: Any, algorithms: Any, options: Any, audience: Any, issuer: Any, subject: Any,
              leeway: Any) -> Tuple[Any, ...]:
    """A call's signature: what ``PyJWT.decode`` builds inline, except that
    options are frozen here (inline, an options dict holding a list, such as
    ``require``, is unhashable and lands here).

    :raises TypeError: an argument has no hashable stand-in.
    :raises AttributeError: ``owner`` is not a ``PyJWT`` with a ``PyJWS``.
    """
    return (
        key if type(key) is str or type(key) is bytes else id(key),
        tuple(algorithms) if type(algorithms) is list else algorithms,
        owner.options._memo_key,
        owner._jws._memo_state,
        None if options is None else options_key(options),
        tuple(audience) if type(audience) is list else audience,
        tuple(issuer) if type(issuer) is list else issuer,
        subject,
        leeway,
    )


def miss(owner: Any, key: Any, algorithms: Any, options: Any, audience: Any, issuer: Any, subject: Any,
         leeway: Any) -> Any:
    """A call the inline lookup did not answer: its validator (built on the
    second sighting of its signature), or None for the uncached path."""
    global _bypassed
    if not CONFIG.enabled:
        return None
    if not CONFIG.classes_intact:
        _bypassed += 1
        return None
    try:
        return _miss(owner, key, algorithms, options, audience, issuer, subject, leeway)
    except Exception:  # noqa: BLE001 - the cache must never change a call's outcome: uncached
        _bypassed += 1
        return None


def _miss(owner: Any, key: Any, algorithms: Any, options: Any, audience: Any, issuer: Any, subject: Any,
          leeway: Any) -> Any:
    global _bypassed
    try:
        call = signature(owner, key, algorithms, options, audience, issuer, subject, leeway)
        entry = ENTRIES.get(call)
    except (TypeError, AttributeError):
        _bypassed += 1
        return None
    if entry is None:
        if call[2] is UNCACHEABLE or call[3] is UNCACHEABLE:  # a subclass, or a changed registry
            _bypassed += 1
            return None
        with _LOCK:
            entry = ENTRIES.get(call)
            if entry is None and call not in _SEEN_ONCE:
                _SEEN_ONCE[call] = key
                if len(_SEEN_ONCE) > _CANDIDATES:
                    _SEEN_ONCE.popitem(last=False)
                _bypassed += 1
                return None
            _SEEN_ONCE.pop(call, None)
        if entry is None:
            try:
                made = _make(owner, key, algorithms, options, audience, issuer, subject, leeway)
            except Exception:  # noqa: BLE001 - whatever the cause, this signature is not cached
                made = UNCACHEABLE
            with _LOCK:
                entry = ENTRIES.get(call)
                if entry is None:
                    entry = made
                    if CONFIG.enabled and CONFIG.classes_intact:
                        if len(ENTRIES) >= CONFIG.max_validators:
                            _evict()
                        ENTRIES[call] = entry
                        _HELD[call] = key
    if entry is UNCACHEABLE:
        _bypassed += 1
        return None
    return entry


def _evict() -> None:
    """Drop the least useful entry (under _LOCK): refusals first, then the validator
    with the fewest hits since the previous eviction, so that an entry busy long
    ago (a rotated-out key's) gives way to one in use now."""
    hits = {
        call: (-1 if entry is UNCACHEABLE else _hits(entry) - _HITS_AT_EVICTION.get(call, 0))
        for call, entry in ENTRIES.items()
    }
    victim = min(hits, key=hits.__getitem__)
    del ENTRIES[victim]
    _HELD.pop(victim, None)
    _HITS_AT_EVICTION.clear()
    for call, entry in ENTRIES.items():
        if entry is not UNCACHEABLE:
            _HITS_AT_EVICTION[call] = _hits(entry)
    changed()


def _hits(validator: Any) -> int:
    info = validator.cache_info()
    return info.hits if info is not None else 0


def configure(
    *,
    decode_cache: Optional[bool] = None,
    decode_cache_validators: Optional[int] = None,
    decode_cache_size: Optional[int] = None,
) -> None:
    """Configure the cache of module-level ``decode``/``decode_complete`` (and ``PyJWT().decode``).

    Args:
        decode_cache: turn it on or off (on by default; off when the
            environment variable ``FASTJWT_DECODE_CACHE`` is ``0`` at import).
        decode_cache_validators: how many call signatures (key and options
            combinations) to remember (default 8).
        decode_cache_size: how many verified tokens each signature remembers
            (default 4096).

    Every call forgets what is cached.
    """
    for name, value in (("decode_cache_validators", decode_cache_validators),
                        ("decode_cache_size", decode_cache_size)):
        if value is not None and (type(value) is not int or value < 1):
            raise ValueError(f"{name} must be a positive int")
    with _LOCK:
        if decode_cache is not None:
            CONFIG.enabled = bool(decode_cache)
        if decode_cache_validators is not None:
            CONFIG.max_validators = decode_cache_validators
        if decode_cache_size is not None:
            CONFIG.size = decode_cache_size
        ENTRIES.clear()
        _HELD.clear()
        _HITS_AT_EVICTION.clear()
        _SEEN_ONCE.clear()
        changed()


def decode_cache_clear() -> None:
    """Forget every cached validator and token (the configuration stays)."""
    configure()


def decode_cache_info() -> DecodeCacheInfo:
    """Statistics of the module-level decode cache."""
    with _LOCK:
        validators = [entry for entry in ENTRIES.values() if entry is not UNCACHEABLE]
        enabled, max_validators, size = CONFIG.enabled, CONFIG.max_validators, CONFIG.size
    infos = [info for info in (v.cache_info() for v in validators) if info is not None]
    return DecodeCacheInfo(
        enabled=enabled,
        hits=sum(i.hits for i in infos),
        misses=sum(i.misses for i in infos),
        currsize=sum(i.currsize for i in infos),
        maxsize=max_validators * size,
        validators=len(validators),
        maxvalidators=max_validators,
        bypassed=_bypassed,
    )


def _make(owner: Any, key: Any, algorithms: Any, options: Any, audience: Any, issuer: Any, subject: Any,
          leeway: Any) -> Any:
    """A Validator deciding as the uncached path would for this call, or UNCACHEABLE."""
    from ._memo import now
    from .rules import merge_options
    from .validator import Validator

    if algorithms is None and type(key) is _PyJWK:
        allowed = [key.algorithm_name]  # as PyJWT: a PyJWK's own algorithm
    elif type(algorithms) is list or type(algorithms) is tuple:
        allowed = list(algorithms)
    else:  # PyJWT tests a str as a substring; other types are not worth a rule of their own
        return UNCACHEABLE
    if not allowed or not all(type(alg) is str and alg in _BUILTIN for alg in allowed):
        return UNCACHEABLE  # empty, none, or not built in
    if type(leeway) not in _LEEWAY_TYPES or (type(leeway) is float and leeway != leeway):
        return UNCACHEABLE
    if not (subject is None or type(subject) is str):
        return UNCACHEABLE
    if not (audience is None or type(audience) in (str, list, tuple)):
        return UNCACHEABLE  # e.g. a generator, which PyJWT consumes
    if not (issuer is None or type(issuer) in (str, list, tuple)):
        return UNCACHEABLE
    if not (options is None or type(options) is dict):
        return UNCACHEABLE
    if type(key) is str or type(key) is bytes:
        if len(key) > _MAX_KEY_LENGTH:
            return UNCACHEABLE
    elif not (type(key) is _PyJWK or type(key).__module__.startswith("cryptography.")):
        return UNCACHEABLE
    merged = merge_options(owner.options, options)
    if not merged.get("verify_signature", True):
        return UNCACHEABLE
    try:
        return Validator(
            key,
            allowed,
            audience=tuple(audience) if type(audience) is list else audience,
            issuer=tuple(issuer) if type(issuer) is list else issuer,
            subject=subject,
            leeway=leeway,
            # PyJWT warns about (or refuses) a short key on every call: such keys
            # stay uncached. Enforced here, the Validator refuses them while it
            # prepares the key (the key is prepared once, by the Validator alone);
            # a Validator with one key uses the option for nothing else.
            options={**merged, "enforce_minimum_key_length": True},
            max_token_length=owner._jws.max_token_length,
            cache_size=CONFIG.size,
            rejected_cache_size=_REJECTED_SIZE,
            clock=now,  # time.time looked up per call, as the uncached path does
        )
    except Exception:  # noqa: BLE001 - the uncached path raises PyJWT's error, at PyJWT's moment
        return UNCACHEABLE


def _builtin() -> frozenset[str]:
    from .algorithms import get_default_algorithms

    return frozenset(name for name in get_default_algorithms() if name != "none")


_BUILTIN = _builtin()
