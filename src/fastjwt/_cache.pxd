# Declarations for modules that cimport the compiled cache (see _pipeline.pyx).

cimport cython
from cpython.pythread cimport PyThread_type_lock


cpdef dict copy_json(dict value)
cpdef tuple remembered(dict claims, dict previous)
cdef dict copy_claims(dict claims, tuple nested)
cpdef object token_key(object token)


@cython.final
cdef class Entry:
    cdef readonly object token
    cdef readonly dict claims
    cdef readonly object key
    cdef readonly double start, end
    cdef readonly tuple nested
    cdef long long touched


@cython.final
cdef class Refusal:
    cdef readonly object state, error_type, token
    cdef readonly tuple args
    cdef readonly double since
    cdef long long touched


cdef Entry new_entry(dict claims, object key, double start, double end, tuple nested)


cdef class Lock:
    cdef PyThread_type_lock handle

    cdef void take(self) noexcept
    cdef void give(self) noexcept


cdef class LRUView:
    cdef readonly object lru
    cdef dict data, attributes
    cdef object order, move_to_end, pop_oldest
    cdef Py_ssize_t maxsize, slack
    cdef readonly long long evictions, inserts

    cdef object peek(self, object key)
    cdef void mark_used(self, object key) except *
    cdef void put(self, object key, object value) except *
    cdef object pop(self, object key)


cdef class TokenStore:
    cdef readonly Lock lock
    cdef readonly LRUView verified, rejected
    cdef public long long hits, misses, rejected_hits

    cdef object find(self, object token, object key, int* kind, object state, double now)
    cdef void _touch_refusal(self, object key, Refusal verdict) except *
    cdef void refused_again(self, object key, Refusal verdict) except *
    cdef void drop_refusal(self, object key, object verdict) except *
    cdef void _drop_verified(self, object key, object token) except *
    cdef void store(self, object key, object token, Entry entry) except *
