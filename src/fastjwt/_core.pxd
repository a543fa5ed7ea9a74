# Declarations for modules that cimport the compiled core (see _pipeline.pyx).

from cpython.object cimport PyObject


cdef class HeaderVerdict:
    cdef readonly dict header
    cdef readonly object alg, verify
    cdef readonly bint typ_ok
    cdef readonly bytes segment


cpdef tuple split(object token, Py_ssize_t max_length)
cdef tuple split_memo(object token, Py_ssize_t max_length, dict memo, PyObject** verdict, HeaderVerdict recent)
cpdef dict load_claims(bytes payload)
