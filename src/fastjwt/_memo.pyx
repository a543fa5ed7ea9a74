"""The decode cache's inline lookup (see fastjwt.decode_cache), compiled.

``PyJWT.decode`` asks this, on every call, for the Validator remembered
for the call's signature. That is most of what a repeated token costs
above the validator's own cache hit, so it is done here in C, in two steps:

1. The last signature answered, kept with its owner, the *epoch* (a
   counter bumped by anything that could change an owner's verdict: its
   options or registry, the configuration, an eviction) and its validator's
   bound ``decode``. A call with the same owner, epoch and equal arguments
   gets the same entry after a few comparisons, with no allocation and no
   attribute lookup; ``decode`` calls the validator's compiled call at once.
2. Otherwise the full signature (a tuple of the arguments in their hashable
   forms) and one dict probe; a hit becomes the new last signature.

Anything this cannot answer goes to ``decode_cache.miss``, which holds every
rule about what is cached. ``decode`` is ``PyJWT.decode`` itself: its hit
path is compiled too (argument parsing and all), and everything else goes
back to ``PyJWT._decode_uncached``.
"""

import time as _time

from cpython.dict cimport PyDict_GetItem, PyDict_GetItemWithError, PyDict_Size
from cpython.object cimport PyObject, PyObject_RichCompareBool, Py_EQ
from posix.time cimport CLOCK_REALTIME, clock_gettime, timespec

from .decode_cache import ENTRIES as _entries_object
from .decode_cache import UNCACHEABLE as _UNCACHEABLE
from .decode_cache import miss as _miss
from .decode_cache import options_key as _options_key

cdef dict _ENTRIES = _entries_object
cdef unsigned long long _epoch = 0


cdef dict _TIME_NAMESPACE = _time.__dict__
cdef object _SYSTEM_TIME = _time.time


def now():
    """``time.time()``, looked up on every call (the memo's validators' clock).

    Tests patching ``time.time`` (freezegun, ``monkeypatch.setattr(time, "time", ...)``)
    see the same clock on the cached path as on the uncached one. Unpatched (the
    time module's own function, read from its namespace: no attribute lookup), the
    system clock is read directly, as the Pipeline does for ``time.time``.
    """
    cdef timespec ts
    cdef PyObject* current = PyDict_GetItem(_TIME_NAMESPACE, "time")
    if current != NULL and <object>current is _SYSTEM_TIME and clock_gettime(CLOCK_REALTIME, &ts) == 0:
        return <double>ts.tv_sec + <double>ts.tv_nsec * 1e-9
    return _time.time()


def bump():
    """Forget the last signature: an owner's options or registry, the configuration,
    or the entries changed."""
    global _epoch, _last
    _epoch += 1
    _last = None


cdef inline bint _same(object value, object held) except -1:
    """``value`` (a call's argument) equals ``held`` (its hashable form, as kept):
    a list matches the tuple it was kept as; otherwise equal values of the same type."""
    cdef Py_ssize_t index, size
    if value is held:
        return True
    if type(value) is list and type(held) is tuple:
        size = len(<list>value)
        if size != len(<tuple>held):
            return False
        for index in range(size):
            if not _same((<list>value)[index], (<tuple>held)[index]):
                return False
        return True
    return type(value) is type(held) and PyObject_RichCompareBool(value, held, Py_EQ)


cdef class _Last:
    """The last signature answered: its owner, the epoch, the arguments as kept, the entry."""

    cdef object owner, key, algorithms, audience, issuer, subject, leeway, entry
    #: The entry's ``decode`` (a Validator's compiled call), or None: bound once,
    #: not looked up on every hit.
    cdef object call
    cdef tuple options
    cdef bint key_by_value, no_options
    cdef unsigned long long epoch

    cdef bint matches(self, object owner, object key, object algorithms, object options, object audience,
                      object issuer, object subject, object leeway) except -1:
        cdef PyObject* found
        if owner is not self.owner or self.epoch != _epoch:
            return False
        if key is not self.key and not (self.key_by_value and _same(key, self.key)):
            return False
        if not (_same(algorithms, self.algorithms) and _same(audience, self.audience)
                and _same(issuer, self.issuer) and _same(subject, self.subject) and _same(leeway, self.leeway)):
            return False
        if self.no_options:
            return options is None
        if type(options) is not dict or PyDict_Size(options) != len(self.options):
            return False
        for name, held in self.options:
            found = PyDict_GetItem(options, name)
            if found == NULL or not _same(<object>found, held):
                return False
        return True


cdef inline object _entry_for(object signature):
    # A member that cannot be hashed (a list or a set among the arguments)
    # means: not remembered (the full path decides, uncached). PyDict_GetItem
    # would swallow the TypeError, loudly since Python 3.13.
    cdef PyObject* found
    try:
        found = PyDict_GetItemWithError(_ENTRIES, signature)
    except TypeError:
        return None
    return None if found == NULL else <object>found


cdef _Last _last = None


cpdef object lookup(object owner, object key, object algorithms, object options, object audience,
                    object issuer, object subject, object leeway):
    """The entry for this call's signature: a Validator, ``UNCACHEABLE`` (never
    cached: take the uncached path), or None (not remembered: ask ``miss``).

    The full signature equals ``decode_cache.signature`` for every call it
    answers; an argument without a hashable form here (an options dict holding
    a list) is simply not found, and ``miss`` freezes it.
    """
    global _last
    cdef _Last last = _last
    cdef object key_part, owner_options, owner_state, options_part
    cdef type key_type
    if last is not None:
        try:
            if last.matches(owner, key, algorithms, options, audience, issuer, subject, leeway):
                return last.entry
        except Exception:  # an argument whose == raises: not this signature (the full path decides)
            pass
    key_type = type(key)
    if key_type is str or key_type is bytes:
        key_part = key
    else:
        key_part = id(key)
    try:
        owner_options = owner.options._memo_key
        owner_state = owner._jws._memo_state
    except AttributeError:  # not a plain PyJWT with a PyJWS: miss() says so
        return None
    if options is None:
        options_part = None
    elif type(options) is dict:
        options_part = tuple((<dict>options).items())
    else:
        options_part = options
    signature = (
        key_part,
        tuple(<list>algorithms) if type(algorithms) is list else algorithms,
        owner_options,
        owner_state,
        options_part,
        tuple(<list>audience) if type(audience) is list else audience,
        tuple(<list>issuer) if type(issuer) is list else issuer,
        subject,
        leeway,
    )
    entry = _entry_for(signature)
    if entry is None and type(options) is dict:
        # Options holding lists (require) are kept frozen: try that form.
        try:
            options_part = _options_key(options)
        except Exception:  # unhashable, or too deep to freeze: miss() decides (not cached)
            return None
        signature = signature[:4] + (options_part,) + signature[5:]
        entry = _entry_for(signature)
    if entry is None:
        return None
    if type(options_part) is tuple or options_part is None:
        # Keep it as the last signature (the held values are the signature's own,
        # so a caller changing its list or dict later cannot change them).
        last = _Last.__new__(_Last)
        last.owner = owner
        last.epoch = _epoch
        last.key = key
        last.key_by_value = key_type is str or key_type is bytes
        last.algorithms = signature[1]
        last.no_options = options_part is None
        last.options = options_part if options_part is not None else ()
        last.audience = signature[5]
        last.issuer = signature[6]
        last.subject = subject
        last.leeway = leeway
        last.entry = entry
        last.call = None if entry is _UNCACHEABLE else getattr(entry, "decode", None)
        _last = last
    return entry


def decode(self, jwt, key="", algorithms=None, options=None, verify=None, detached_payload=None,
           audience=None, subject=None, issuer=None, leeway=0, **kwargs):
    """Verify and validate a JWT; return its claims (PyJWT's ``decode``).

    Repeated calls may be answered by the decode cache (see
    :mod:`fastjwt.decode_cache`), with the same results and errors.
    """
    cdef _Last last
    if not kwargs and verify is None and detached_payload is None:
        last = _last
        if last is not None and last.call is not None:
            # The last signature answered, again (the usual case): its validator's
            # own call, with no lookup and no attribute access in between.
            try:
                matched = last.matches(self, key, algorithms, options, audience, issuer, subject, leeway)
            except Exception:  # an argument whose == raises: the full lookup decides
                matched = False
            if matched:
                return last.call(jwt)
        entry = lookup(self, key, algorithms, options, audience, issuer, subject, leeway)
        if entry is None:
            entry = _miss(self, key, algorithms, options, audience, issuer, subject, leeway)
        if entry is not None and entry is not _UNCACHEABLE:
            return entry.decode(jwt)  # a repeated token: the validator's cache hit
    return self._decode_uncached(jwt, key, algorithms, options, verify, detached_payload, audience, subject,
                                 issuer, leeway, kwargs)
