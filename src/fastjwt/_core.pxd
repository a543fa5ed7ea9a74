# Declarations for modules that cimport the compiled core (see _pipeline.pyx).

cpdef tuple split(object token, Py_ssize_t max_length, dict headers=*)
cpdef dict load_claims(bytes payload)
