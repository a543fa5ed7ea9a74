# cython: language_level=3
"""The interceptors' hot path, compiled.

Both interceptors decide every call in ``intercept_service`` (grpcio's sync
server calls it on its polling thread, under its lock; an aio server on its
event loop). The common call (a valid token answered by the Validator's
cache, for a method whose rule is met without looking further) is decided
here, in C: the method's plan, the one ``authorization`` value, ``Bearer
<token>``, the cache lookup, the rule (a plain rule, or one that admitted
these very claims before: ``Plan.admitted``), the claims set in the call's
context, one counter. Anything else (no plan yet, another header form, a
refused or unknown token, a rule to check, a certificate binding, an
``on_decision`` callback; on aio, a handler not known to be async) goes to
the interceptor's Python code, which holds every rule: ``_intercept`` before
the cache lookup, ``_looked_up`` after it (the cache is asked once per call).

This module imports nothing: ``fastjwt.grpc._server`` gives it what it needs.
"""

from cpython.contextvars cimport PyContextVar_Set
from cpython.dict cimport PyDict_Contains, PyDict_GetItem
from cpython.long cimport PyLong_FromVoidPtr
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_GET_LENGTH, PyUnicode_Substring


cdef class Plan:
    """A method's rule, decided once: what the hot path needs to know.

    Attributes:
        rule: the method's Rule.
        public: no token needed.
        check: scopes or roles to check.
        binding: a certificate-bound token required.
        plain: neither scopes, roles nor binding to check: a valid cached
            token without ``cnf`` is served as is.
        hits: the counter of a call served on a cache hit without
            on_decision (``allowed_hits`` or ``public_hits``).
        handler, on_loop: the aio interceptor's note of the method's handler
            and whether its function runs on the event loop (async).
        admitted: the claims this rule admitted on the spot, by ``id()``: a
            cache hit returns the cache entry's own claims (the same object,
            never changed, on every hit), so the rule's verdict on them is a
            lookup next time. Each entry keeps its claims alive and is used
            only when it ``is`` the call's claims, so a reused id never
            matches. Shared by the plans of equal rules; empty (and unused)
            for rules needing a certificate binding.
    """

    cdef public object rule
    cdef public bint public
    cdef public bint check
    cdef public bint binding
    cdef public bint plain
    cdef public object hits
    cdef public object handler
    cdef public bint on_loop
    cdef public dict admitted

    def __init__(self, rule, counters, admitted=None):
        self.rule = rule
        self.public = rule.public
        self.check = rule.needs_claims
        self.binding = rule.require_cert_binding
        self.plain = not (self.check or self.binding)
        self.hits = counters.public_hits if rule.public else counters.allowed_hits
        self.handler = None
        self.on_loop = False
        self.admitted = {} if admitted is None else admitted


cdef class Hot:
    """What the compiled path reads, fixed when the interceptor is built.

    Args:
        plans: the interceptor's plans by method name (the same dict: plans
            added later are seen).
        key: the metadata key of the token (lowercase).
        cached: the Validator's cache lookup (claims, None, or raises).
        claims: the ContextVar of the call's claims.
        served_here: False when every call must take the Python path (an
            ``on_decision`` callback times and reports each call).
    """

    cdef dict plans
    cdef str key
    cdef object cached
    cdef object claims
    cdef bint served_here

    def __init__(self, dict plans, str key, cached, claims, bint served_here):
        self.plans = plans
        self.key = key
        self.cached = cached
        self.claims = claims
        self.served_here = served_here


cdef inline str _bearer(Hot hot, object method, object details, PyObject** plan):
    """The token of a call in the usual form (a method with a plan, exactly one
    ``Bearer <token>`` value), its plan in ``plan`` (borrowed); None for anything else."""
    cdef str token
    plan[0] = PyDict_GetItem(hot.plans, method) if type(method) is str else NULL
    if plan[0] is NULL:
        return None
    header = None
    metadata = details.invocation_metadata
    if type(metadata) is not tuple:
        return None
    for datum in <tuple>metadata:
        # grpcio's items are _Metadatum namedtuples: read as tuples (their
        # indexing goes through a Python-level slot, ~750 instructions each).
        if not isinstance(datum, tuple) or len(<tuple>datum) != 2:
            return None
        if (<tuple>datum)[0] == hot.key:
            if header is not None:  # several values: the Python path refuses
                return None
            header = (<tuple>datum)[1]
    if type(header) is not str or not (<str>header).startswith("Bearer "):
        return None
    # PyUnicode_Substring copies an ASCII string as such (a slice scans it for its widest character).
    token = PyUnicode_Substring(header, 7, PyUnicode_GET_LENGTH(header))
    if len(token) == 0 or token[0] == " ":
        return None
    return token


cdef inline bint _served(Hot hot, Plan plan, object claims) except -1:
    """Serve a cache hit here when the plan admits it as is: the claims set in
    the call's context, the call counted; False when the Python path must decide."""
    cdef PyObject* found
    if type(claims) is not dict:
        return False
    if plan.plain:
        if PyDict_Contains(claims, "cnf"):
            return False
    else:
        found = PyDict_GetItem(plan.admitted, PyLong_FromVoidPtr(<void*>claims))
        if found is NULL or <object>found is not claims:
            return False
    # The call's own Context (shared with the handler); shared claims: current_claims() copies.
    PyContextVar_Set(hot.claims, [claims])
    next(plan.hits)  # counts the call and the cache hit
    return True


def intercept_service(self, continuation, handler_call_details):
    """Decide a call on the polling thread when the cache can; otherwise
    return a handler that verifies on the worker thread first."""
    cdef Hot hot
    cdef Plan plan
    cdef PyObject* found
    handler = continuation(handler_call_details)
    if handler is None:
        return None
    hot = self._hot
    if not hot.served_here:
        return self._intercept(handler, handler_call_details)
    method = handler_call_details.method
    token = _bearer(hot, method, handler_call_details, &found)
    if token is None:
        return self._intercept(handler, handler_call_details)
    plan = <Plan>found  # a reference of its own from here on
    try:
        claims = hot.cached(token)
    except Exception as error:
        return self._looked_up(handler, method, plan, token, None, error, 0.0)
    if _served(hot, plan, claims):
        return handler
    return self._looked_up(handler, method, plan, token, claims, None, 0.0)


async def aio_intercept_service(self, continuation, handler_call_details):
    """Decide the call before its handler runs."""
    cdef Hot hot
    cdef Plan plan
    cdef PyObject* found
    handler = await continuation(handler_call_details)
    if handler is None:
        return None
    hot = self._hot
    if not hot.served_here:
        return await self._intercept(handler, handler_call_details)
    method = handler_call_details.method
    token = _bearer(hot, method, handler_call_details, &found)
    if token is None:
        return await self._intercept(handler, handler_call_details)
    plan = <Plan>found
    # Served here only when the method's function is known to run on the loop (async):
    # a sync function runs on a pool thread, without this context.
    if plan.handler is not handler or not plan.on_loop:
        return await self._intercept(handler, handler_call_details)
    try:
        claims = hot.cached(token)
    except Exception as error:
        return await self._looked_up(handler, method, plan, token, None, error, 0.0)
    if _served(hot, plan, claims):
        return handler
    return await self._looked_up(handler, method, plan, token, claims, None, 0.0)
