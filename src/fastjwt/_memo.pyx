"""The decode cache's inline lookup (see fastjwt.decode_cache), compiled.

``PyJWT.decode`` asks this, on every call, for the Validator remembered
for the call's signature. Building the signature and looking it up is most
of what a repeated token costs above the validator's own cache hit, so it
is done here in C: a tuple of the arguments (each in its hashable form)
and one dict probe. Anything this cannot answer goes to
``decode_cache.miss``, which also holds every rule about what is cached.
"""

from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject

from .decode_cache import ENTRIES as _entries_object
from .decode_cache import UNCACHEABLE as _uncacheable_object

cdef dict _ENTRIES = _entries_object
cdef object _UNCACHEABLE = _uncacheable_object


cpdef object lookup(object owner, object key, object algorithms, object options, object audience,
                    object issuer, object subject, object leeway):
    """The entry for this call's signature: a Validator, ``UNCACHEABLE`` (never
    cached: take the uncached path), or None (not remembered: ask ``miss``).

    The signature must equal ``decode_cache.signature`` for every call this
    answers; an argument without a hashable form here (an options dict holding
    a list) is simply not found, and ``miss`` freezes it.
    """
    cdef object key_part, owner_options, owner_state
    cdef PyObject* found
    cdef type key_type = type(key)
    if key_type is str or key_type is bytes:
        key_part = key
    else:
        key_part = id(key)
    try:
        owner_options = owner.options._memo_key
        owner_state = owner._jws._memo_state
    except AttributeError:  # not a plain PyJWT with a PyJWS: miss() says so
        return None
    signature = (
        key_part,
        tuple(<list>algorithms) if type(algorithms) is list else algorithms,
        owner_options,
        owner_state,
        None if options is None else (tuple((<dict>options).items()) if type(options) is dict else options),
        tuple(<list>audience) if type(audience) is list else audience,
        tuple(<list>issuer) if type(issuer) is list else issuer,
        subject,
        leeway,
    )
    # PyDict_GetItem swallows the TypeError of an unhashable member: not found.
    found = PyDict_GetItem(_ENTRIES, signature)
    if found == NULL:
        return None
    return <object>found
