# Declarations for modules that cimport the compiled rules (see _pipeline.pyx).

from cpython.object cimport PyObject


cdef struct Claims:
    # Borrowed values of the registered claims the checks read (NULL: absent).
    PyObject* iss
    PyObject* aud
    PyObject* sub
    PyObject* jti
    PyObject* iat
    PyObject* nbf
    PyObject* exp


cdef class ClaimRules:
    cdef readonly tuple require
    cdef readonly bint verify_iat, verify_nbf, verify_exp, verify_iss, verify_aud
    cdef readonly bint verify_sub, verify_jti, strict_aud
    cdef readonly object audience, issuer, subject
    cdef readonly frozenset audiences, issuers
    cdef readonly double leeway
    cdef bint _has_max_age
    cdef double _max_age

    cpdef check(self, dict payload, double now)
    cdef int check_window(self, dict payload, double now, double* start, double* end) except -1
    cdef bint _known_issuer(self, object iss) except -1
    cpdef check_times(self, dict payload, double now)
    cdef int _check_times(self, dict payload, Claims* claims, double now, double* start, double* end) except -1
    cpdef tuple time_window(self, dict payload)
    cpdef check_required(self, dict payload)
    cdef int _check_required(self, dict payload, Claims* claims) except -1
    cdef _check_age(self, dict payload, double now)
