# cython: language_level=3
"""A Validator's per-token path, compiled end to end.

token → ``_core.split`` → header verdict → signature → ``_core.load_claims``
→ ``_rules.ClaimRules.check``. With one key, only the signature check (a
verifier built by ``algorithms.py``) and orjson run outside this function on
the common path. The Validator owns every policy: it judges a header it has
not seen (``judge``: PyJWT's header rules, raising PyJWT's errors), decides
what to remember of it after its signature verified (``remember``), and, with
a key set, chooses the key (``verify_with_keys``). Nothing here knows of keys,
caches or transports.
"""

from cpython.dict cimport PyDict_GetItem
from cpython.long cimport PyLong_FromVoidPtr
from cpython.object cimport PyObject

from fastjwt._core cimport load_claims, split
from fastjwt._rules cimport ClaimRules

from fastjwt.exceptions import InvalidSignatureError, InvalidTokenTypeError


cdef class Pipeline:
    """Verify one token and check its claims: ``run(token)``.

    ``headers`` (encoded segment → parsed header) and ``verdicts``
    (``id(header)`` → ``(header, alg, verify, typ_ok)``) are the Validator's
    memo of headers from verified tokens; ``judge(header)`` returns such a
    verdict (with ``header`` None) or raises; ``remember(signing_input,
    header, verdict)`` is called once the token verified. A verdict without
    ``verify`` (a key set) calls ``verify_with_keys(token, header, alg,
    signing_input, signature)``, which returns the key that verified or raises.
    """

    cdef Py_ssize_t max_length
    cdef dict headers, verdicts
    cdef ClaimRules rules
    cdef object clock, judge, remember, verify_with_keys

    def __init__(self, Py_ssize_t max_length, dict headers, dict verdicts, ClaimRules rules,
                 clock, judge, remember, verify_with_keys=None):
        self.max_length = max_length
        self.headers = headers
        self.verdicts = verdicts
        self.rules = rules
        self.clock = clock
        self.judge = judge
        self.remember = remember
        self.verify_with_keys = verify_with_keys

    cpdef tuple run(self, object token):
        """``(header, claims, payload, signature, key)`` of a valid token (``key``
        None with a single key); raises the ``InvalidTokenError`` PyJWT would
        raise otherwise."""
        cdef tuple parts = split(token, self.max_length, self.headers)
        cdef dict header = <dict>parts[0]
        cdef tuple verdict
        cdef object key = None
        cdef PyObject* known = PyDict_GetItem(self.verdicts, PyLong_FromVoidPtr(<void*>header))
        if known != NULL and (<tuple>known)[0] is header:
            verdict = <tuple>known
        else:
            verdict = <tuple>self.judge(header)  # a NamedTuple, read by position
        if verdict[2] is None:
            key = self.verify_with_keys(token, header, verdict[1], parts[2], parts[3])
        elif not verdict[2](parts[2], parts[3]):
            raise InvalidSignatureError("Signature verification failed")
        if not verdict[3]:
            raise InvalidTokenTypeError("Invalid token type (typ header)")
        if verdict[0] is not header:
            self.remember(parts[2], header, verdict)
        cdef dict claims = load_claims(parts[1])
        self.rules.check(claims, self.clock())
        return (header, claims, parts[1], parts[3], key)
