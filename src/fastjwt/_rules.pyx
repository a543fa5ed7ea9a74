# cython: language_level=3
"""The compiled rule checks: header rules and the one claim checker.

Dict in, verdict out: every function here reads parsed header or claims
dicts and raises PyJWT's exception (class and message) for the first rule
that fails, in PyJWT's order. It knows nothing of keys, signatures, caches
or transports. The hot lines (a valid token's claims) read the dict with
borrowed lookups and compare NumericDates as C doubles; any value outside
the common case takes the same slower path PyJWT's semantics need.
"""

from cpython.dict cimport PyDict_GetItem, PyDict_GetItemWithError, PyDict_Next
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.object cimport PyObject

cdef extern from "Python.h":
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    void* PyUnicode_DATA(object o)
    bint PyUnicode_IS_COMPACT_ASCII(object o)
from libc.math cimport INFINITY
from libc.string cimport memset

from collections.abc import Iterable
from datetime import timedelta

from fastjwt._safe_text import printable
from fastjwt.exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidJTIError,
    InvalidSubjectError,
    InvalidTokenError,
    MissingRequiredClaimError,
)

#: ``crit`` extensions fastjwt understands. ``b64`` is understood so that it
#: can be refused precisely (fastjwt does not accept unencoded payloads).
SUPPORTED_CRIT = frozenset({"b64"})

cdef frozenset _SUPPORTED_CRIT = SUPPORTED_CRIT

# Integers up to 2**53 convert to doubles exactly, so comparing them with the
# clock as doubles gives Python's exact int/float comparison.
cdef long long _EXACT = 1LL << 53
# Seconds a cache's time window is narrowed by on each side (see time_window).
cdef double _MARGIN = 0.001

cdef str _IAT_MESSAGE = "Issued At claim (iat) must be an integer."
cdef str _NBF_MESSAGE = "Not Before claim (nbf) must be an integer."
cdef str _EXP_MESSAGE = "Expiration Time claim (exp) must be an integer."


cpdef check_header(dict header):
    """Header rules that hold with or without signature verification."""
    cdef PyObject* kid = PyDict_GetItem(header, "kid")
    if kid != NULL and not isinstance(<object>kid, str):
        raise InvalidTokenError("Key ID header parameter must be a string")
    cdef PyObject* crit = PyDict_GetItem(header, "crit")
    if crit != NULL:
        _check_crit(header, <object>crit)


cdef _check_crit(dict header, object crit):
    if not isinstance(crit, list) or not crit:
        raise InvalidTokenError("Invalid 'crit' header: must be a non-empty list")
    for ext in crit:
        if not isinstance(ext, str):
            raise InvalidTokenError("Invalid 'crit' header: values must be strings")
        # The token chose ext: escaped and bounded (ESC ] 0 ; ... BEL would retitle a terminal).
        if ext not in _SUPPORTED_CRIT:
            raise InvalidTokenError(f"Unsupported critical extension: {printable(ext)}")
        if ext not in header:
            raise InvalidTokenError(f"Critical extension '{printable(ext)}' is missing from headers")


def numeric_date(payload, name, error, message):
    """A NumericDate claim as an int, truncated as PyJWT's ``int()`` does.

    Stricter than PyJWT: only JSON numbers count. ``true`` and numeric
    strings such as ``"1638202770"`` are refused (RFC 7519 2).
    """
    value = payload[name]
    kind = type(value)
    if kind is int:
        return value
    if kind is float:
        return int(value)
    raise error(message)


cdef inline bint _exact_date(PyObject* value, double* out) except -1:
    """True, with the value in ``out``, for an int that compares exactly as a double."""
    cdef int overflow = 0
    cdef long long number
    if type(<object>value) is not int:
        return False
    number = PyLong_AsLongLongAndOverflow(<object>value, &overflow)
    if overflow or number > _EXACT or number < -_EXACT:
        return False
    out[0] = <double>number
    return True


cdef inline int _compare_date(dict payload, PyObject* item, str name, object error, str message,
                              double bound) except -2:
    """-1, 0 or 1 as the NumericDate ``item`` (claim ``name``) is below, at or
    above ``bound``, compared exactly; raises ``error(message)`` for a non-number."""
    cdef double date
    if _exact_date(item, &date):
        return (date > bound) - (date < bound)
    value = numeric_date(payload, name, error, message)
    return (value > bound) - (value < bound)


cdef inline double _seconds(object duration) except? -1.0:
    if isinstance(duration, timedelta):
        return duration.total_seconds()
    return duration


cdef inline bint _is_name(const char* data, char a, char b, char c) noexcept:
    return data[0] == a and data[1] == b and data[2] == c


cdef PyObject** _slot(Claims* claims, object name) noexcept:
    # Where ``claims`` keeps the registered claim ``name`` (an exact str), or
    # NULL for any other name: every one the checks read has three letters.
    if PyUnicode_GET_LENGTH(name) != 3 or not PyUnicode_IS_COMPACT_ASCII(name):
        return NULL
    cdef const char* data = <const char*>PyUnicode_DATA(name)
    if _is_name(data, b'i', b'a', b't'):
        return &claims.iat
    if _is_name(data, b'e', b'x', b'p'):
        return &claims.exp
    if _is_name(data, b'n', b'b', b'f'):
        return &claims.nbf
    if _is_name(data, b'i', b's', b's'):
        return &claims.iss
    if _is_name(data, b'a', b'u', b'd'):
        return &claims.aud
    if _is_name(data, b's', b'u', b'b'):
        return &claims.sub
    if _is_name(data, b'j', b't', b'i'):
        return &claims.jti
    return NULL


cdef void _find_claims(dict payload, Claims* claims) noexcept:
    # One walk over the claims instead of a lookup per claim: a JSON parser's
    # dict holds keys of the generic kind, where every lookup by another str
    # object of the same text costs a rich comparison. Keys that are not
    # exact str (never from a JSON parser) take the lookups.
    cdef Py_ssize_t pos = 0
    cdef PyObject* name
    cdef PyObject* value
    cdef PyObject** slot
    memset(claims, 0, sizeof(Claims))
    while PyDict_Next(payload, &pos, &name, &value):
        if type(<object>name) is not str:
            _lookup_claims(payload, claims)
            return
        slot = _slot(claims, <object>name)
        if slot != NULL:
            slot[0] = value


cdef inline PyObject* _registered(Claims* claims, object name) noexcept:
    # The value _find_claims found for ``name`` when it is one of the
    # registered claims it walks for and was present; NULL otherwise.
    if type(name) is not str:
        return NULL
    cdef PyObject** slot = _slot(claims, name)
    return NULL if slot == NULL else slot[0]


cdef void _lookup_claims(dict payload, Claims* claims) noexcept:
    claims.iss = PyDict_GetItem(payload, "iss")
    claims.aud = PyDict_GetItem(payload, "aud")
    claims.sub = PyDict_GetItem(payload, "sub")
    claims.jti = PyDict_GetItem(payload, "jti")
    claims.iat = PyDict_GetItem(payload, "iat")
    claims.nbf = PyDict_GetItem(payload, "nbf")
    claims.exp = PyDict_GetItem(payload, "exp")


cdef inline bint _audience_found(PyObject* claim, frozenset audiences) except -1:
    """True when PyJWT's non-strict audience rule surely passes: a non-empty
    str claim in ``audiences``, or a list of str naming one of them. False
    sends the claim to ``check_aud``, which decides and names the fault."""
    if type(<object>claim) is str:
        return PyUnicode_GET_LENGTH(<object>claim) > 0 and <object>claim in audiences
    if type(<object>claim) is not list:
        return False
    cdef bint found = False
    for member in <list>claim:
        if type(member) is not str:
            return False
        if not found and member in audiences:
            found = True
    return found

cdef bint _hashable(object value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


cdef class ClaimRules:
    """The claim checks of one configuration, compiled once.

    ``check(payload, now)`` raises the exception PyJWT would raise for the
    first failing check, or returns None. The order of the checks is
    PyJWT's: require, iat, nbf, exp, iss, aud, sub, jti; it decides which
    exception a token with several faults raises.
    """

    def __init__(self, options, audience=None, issuer=None, subject=None, leeway=0, max_age=None):
        if audience is not None and not isinstance(audience, (str, Iterable)):
            raise TypeError("audience must be a string, iterable or None")
        self.require = tuple(options["require"])
        self.verify_iat = bool(options["verify_iat"])
        self.verify_nbf = bool(options["verify_nbf"])
        self.verify_exp = bool(options["verify_exp"])
        self.verify_iss = bool(options["verify_iss"]) and issuer is not None
        self.verify_aud = bool(options["verify_aud"])
        self.verify_sub = bool(options["verify_sub"])
        self.verify_jti = bool(options["verify_jti"])
        self.strict_aud = bool(options.get("strict_aud", False))
        self.audience = audience
        # Sets are built once; a str audience is one member, never a substring.
        self.audiences = None
        if isinstance(audience, str):
            self.audiences = frozenset((audience,))
        elif audience is not None:
            audience = list(audience)
            self.audience = audience
            self.audiences = frozenset(a for a in audience if _hashable(a))
        self.issuer = issuer
        self.issuers = None
        if isinstance(issuer, (list, tuple, set, frozenset)) and all(isinstance(i, str) for i in issuer):
            self.issuers = frozenset(issuer)
        self.subject = subject
        self.leeway = _seconds(leeway)
        self._has_max_age = max_age is not None
        self._max_age = _seconds(max_age) if max_age is not None else 0.0

    @property
    def max_age(self):
        """Maximum age from ``iat`` in seconds, or None."""
        return self._max_age if self._has_max_age else None

    cpdef check(self, dict payload, double now):
        """Apply every rule to ``payload`` at time ``now`` (seconds since the epoch)."""
        self.check_window(payload, now, NULL, NULL)

    cdef int check_window(self, dict payload, double now, double* start, double* end) except -1:
        """:meth:`check`; then, when ``start`` is not NULL, the payload's
        :meth:`time_window` into ``start`` and ``end``, from the same reads
        (NumericDates that are exact ints take no Python arithmetic)."""
        cdef Claims claims
        _find_claims(payload, &claims)
        if self.require:
            self._check_required(payload, &claims)
        self._check_times(payload, &claims, now, start, end)
        cdef PyObject* item = claims.iss
        if self.verify_iss:
            if item == NULL or type(<object>item) is not str or not self._known_issuer(<object>item):
                self.check_iss(payload)
        item = claims.aud
        if self.verify_aud:
            if item == NULL or self.strict_aud or self.audiences is None or not _audience_found(item, self.audiences):
                self.check_aud(payload)
        if self.verify_sub:
            item = claims.sub
            if item != NULL:
                if not isinstance(<object>item, str):
                    raise InvalidSubjectError("Subject must be a string")
                if self.subject is not None and <object>item != self.subject:
                    raise InvalidSubjectError("Invalid subject")
        if self.verify_jti:
            item = claims.jti
            if item != NULL and not isinstance(<object>item, str):
                raise InvalidJTIError("JWT ID must be a string")
        return 0

    cdef bint _known_issuer(self, object iss) except -1:
        # iss is an exact str here: against a str issuer, Cython's inline str
        # comparison, without a rich-comparison call.
        cdef bint same
        if type(self.issuer) is str:
            same = <str>iss == <str>self.issuer
        else:
            same = iss == self.issuer
        return same or (self.issuers is not None and iss in self.issuers)

    cpdef check_times(self, dict payload, double now):
        """The time-dependent rules (iat, nbf, exp, max_age), in PyJWT's order.

        A verified-token cache re-runs exactly these on a hit outside its window.
        """
        cdef Claims claims
        _find_claims(payload, &claims)
        self._check_times(payload, &claims, now, NULL, NULL)

    cdef int _check_times(self, dict payload, Claims* claims, double now, double* start, double* end) except -1:
        # The checks of check_times, and (start not NULL) the window that
        # time_window computes, by its very operations on the same doubles.
        cdef double leeway = self.leeway, iat = 0.0, nbf = 0.0, exp = 0.0
        cdef double lower = -INFINITY, upper = INFINITY
        cdef bint exact = True
        cdef PyObject* item = claims.iat
        if self.verify_iat and item != NULL:
            if _exact_date(item, &iat):
                if iat > now + leeway:
                    raise ImmatureSignatureError("The token is not yet valid (iat)")
                lower = iat - leeway
            else:
                exact = False
                if _compare_date(payload, item, "iat", InvalidIssuedAtError, _IAT_MESSAGE, now + leeway) > 0:
                    raise ImmatureSignatureError("The token is not yet valid (iat)")
        item = claims.nbf
        if self.verify_nbf and item != NULL:
            if _exact_date(item, &nbf):
                if nbf > now + leeway:
                    raise ImmatureSignatureError("The token is not yet valid (nbf)")
                if nbf - leeway > lower:
                    lower = nbf - leeway
            else:
                exact = False
                if _compare_date(payload, item, "nbf", DecodeError, _NBF_MESSAGE, now + leeway) > 0:
                    raise ImmatureSignatureError("The token is not yet valid (nbf)")
        item = claims.exp
        if self.verify_exp and item != NULL:
            if _exact_date(item, &exp):
                if exp <= now - leeway:
                    raise ExpiredSignatureError("Signature has expired")
                upper = exp + leeway
            else:
                exact = False
                if _compare_date(payload, item, "exp", DecodeError, _EXP_MESSAGE, now - leeway) <= 0:
                    raise ExpiredSignatureError("Signature has expired")
        if self._has_max_age:
            self._check_age(payload, now)
            if claims.iat == NULL or not _exact_date(claims.iat, &iat):
                exact = False
            elif iat + self._max_age + leeway < upper:
                upper = iat + self._max_age + leeway
        if start == NULL:
            return 0
        if not exact:
            start[0], end[0] = self.time_window(payload)
            return 0
        start[0] = lower + _MARGIN
        end[0] = upper - _MARGIN
        return 0

    cpdef tuple time_window(self, dict payload):
        """An open interval of clock values in which :meth:`check_times` passes.

        For a payload that already passed :meth:`check`. A cache answers a
        hit whose clock lies inside the window without re-running the
        checks, and asks :meth:`check_times` (the exact rules and messages)
        otherwise. The window is narrowed by a millisecond on each side, so
        float rounding at a boundary always takes the exact path.
        """
        start, end = float("-inf"), float("inf")
        if self.verify_iat and "iat" in payload:
            start = int(payload["iat"]) - self.leeway
        if self.verify_nbf and "nbf" in payload:
            start = max(start, int(payload["nbf"]) - self.leeway)
        if self.verify_exp and "exp" in payload:
            end = int(payload["exp"]) + self.leeway
        if self._has_max_age:
            end = min(end, int(payload["iat"]) + self._max_age + self.leeway)
        return start + _MARGIN, end - _MARGIN

    cpdef check_required(self, dict payload):
        """Every required claim must be present and not null."""
        cdef Claims claims
        _find_claims(payload, &claims)
        self._check_required(payload, &claims)

    cdef int _check_required(self, dict payload, Claims* claims) except -1:
        # Registered claims come from the walk; any other name is looked up
        # (an unhashable one raises TypeError, as payload.get does).
        cdef PyObject* item
        for claim in self.require:
            item = _registered(claims, claim)
            if item == NULL:
                item = PyDict_GetItemWithError(payload, claim)
            if item == NULL or <object>item is None:
                raise MissingRequiredClaimError(claim)
        return 0

    cdef _check_age(self, dict payload, double now):
        if payload.get("iat") is None:
            raise MissingRequiredClaimError("iat")
        iat = numeric_date(payload, "iat", InvalidIssuedAtError, _IAT_MESSAGE)
        if iat + self._max_age <= now - self.leeway:
            raise ExpiredSignatureError("The token is too old (iat)")

    def check_iss(self, dict payload):
        """``iss`` must equal the issuer (str) or belong to it (container)."""
        issuer = self.issuer
        if issuer is None:
            return
        if "iss" not in payload:
            raise MissingRequiredClaimError("iss")
        iss = payload["iss"]
        if not isinstance(iss, str):
            raise InvalidIssuerError("Payload Issuer (iss) must be a string")
        if isinstance(issuer, str):
            if iss != issuer:
                raise InvalidIssuerError("Invalid issuer")
            return
        issuers = self.issuers
        try:
            found = iss in issuers if issuers is not None else iss in issuer
        except TypeError:
            raise InvalidIssuerError('Issuer param must be "str" or "Container[str]"') from None
        if not found:
            raise InvalidIssuerError("Invalid issuer")

    def check_aud(self, dict payload):
        """PyJWT's audience rules, strict mode included."""
        audience = self.audience
        claim = payload.get("aud")
        if audience is None:
            if claim:
                raise InvalidAudienceError("Invalid audience")
            return
        if not claim:
            raise MissingRequiredClaimError("aud")
        if self.strict_aud:
            if not isinstance(audience, str):
                raise InvalidAudienceError("Invalid audience (strict)")
            if not isinstance(claim, str):
                raise InvalidAudienceError("Invalid claim format in token (strict)")
            if audience != claim:
                raise InvalidAudienceError("Audience doesn't match (strict)")
            return
        if isinstance(claim, str):
            claim = [claim]
        elif not isinstance(claim, list) or not all(isinstance(c, str) for c in claim):
            raise InvalidAudienceError("Invalid claim format in token")
        if self.audiences.isdisjoint(claim):
            raise InvalidAudienceError("Audience doesn't match")
