# cython: language_level=3
"""A Validator's per-token path, compiled end to end, its cache included.

``decode(token)`` is one compiled call. With the cache on: the lookup; on a
hit, the time window and a copy of the claims; on a miss, the store of
refused tokens, then the pipeline (``_core.split`` → header verdict →
signature → ``_core.load_claims`` → ``_rules.ClaimRules.check``), then the
entry made and stored. With one key, only the signature check (a verifier
built by ``algorithms.py``) and orjson run outside compiled code on the
common path. The Pipeline owns the memo of headers (see ``Pipeline``); the
Validator owns every policy, through the hooks listed there.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.object cimport PyObject
from cpython.sequence cimport PySequence_Contains
from libc.math cimport INFINITY
from libc.string cimport memchr
from posix.time cimport CLOCK_REALTIME, clock_gettime, timespec

import time as _time

from fastjwt._cache cimport Entry, Refusal, TokenStore, copy_claims, copy_json, new_entry, remembered, token_key
from fastjwt._core cimport HeaderVerdict, load_claims, split_memo
from fastjwt._rules cimport ClaimRules

from fastjwt.exceptions import ExpiredSignatureError, InvalidSignatureError, InvalidTokenTypeError

cdef object _system_clock = _time.time

#: Distinct headers the memo holds, and the largest it holds (bytes of encoded
#: header): tokens of one issuer share a handful of headers.
HEADER_MEMO_SIZE = 64
HEADER_MEMO_BYTES = 512
cdef Py_ssize_t _MEMO_SIZE = HEADER_MEMO_SIZE, _MEMO_BYTES = HEADER_MEMO_BYTES


cdef class Pipeline:
    """Verify one token and check its claims: ``decode(token)``, ``run(token)``.

    ``memo`` (encoded header segment → ``HeaderVerdict`` holding the parsed
    header) remembers the headers of verified tokens only (a forgery never
    adds to it), at most ``HEADER_MEMO_SIZE`` of them, each at most
    ``HEADER_MEMO_BYTES`` encoded bytes. A remembered header is neither parsed
    nor judged again.

    The Validator's hooks, all of its policy:

    - ``judge(header)``: PyJWT's header rules, in PyJWT's order, for a header
      not in the memo: raises PyJWT's error, or returns a ``HeaderVerdict``
      (``header`` None).
    - ``verify_with_keys(token, header, alg, signing_input, signature)``: for a
      verdict without ``verify`` (a key set): the key that verified, or raises.
    - ``key_state()``: the current key set a verdict is tied to (None with one
      key: ``single`` then tags verdicts).
    - ``stale(token, entry)``: a hit outside its time window or whose key may
      be gone: its claims, an exception, or None to verify afresh.

    ``cache`` (a ``TokenStore``, or None) remembers verified and refused tokens.
    """

    cdef Py_ssize_t max_length
    cdef readonly dict memo
    cdef HeaderVerdict recent
    cdef dict last
    cdef ClaimRules rules
    cdef object clock, judge, verify_with_keys, key_state, single, stale
    cdef bint system_clock
    cdef TokenStore cache

    def __init__(self, Py_ssize_t max_length, ClaimRules rules, clock, judge, verify_with_keys=None,
                 TokenStore cache=None, key_state=None, single=None, stale=None):
        self.max_length = max_length
        self.memo = {}
        self.rules = rules
        self.clock = clock
        self.system_clock = clock is _system_clock
        self.judge = judge
        self.verify_with_keys = verify_with_keys
        self.cache = cache
        self.key_state = key_state
        self.single = single
        self.stale = stale
        self.last = {}

    cdef inline double now(self) except? -1.0:
        # time.time() itself, without a Python call and a float object.
        cdef timespec ts
        if self.system_clock and clock_gettime(CLOCK_REALTIME, &ts) == 0:
            return <double>ts.tv_sec + <double>ts.tv_nsec * 1e-9
        return self.clock()

    cdef tuple _run(self, object token, double* now, double* start, double* end):
        # ``run``'s work; ``now`` receives the clock reading the claims were
        # checked at and, when ``start`` is not NULL, ``start`` and ``end``
        # their time window (ClaimRules.check_window), for the cache's entry.
        cdef PyObject* known = NULL
        cdef tuple parts = split_memo(token, self.max_length, self.memo, &known, self.recent)
        cdef dict header = <dict>parts[0]
        cdef HeaderVerdict verdict
        cdef object key = None
        if known != NULL:
            verdict = <HeaderVerdict>known
            if verdict is not self.recent:
                self.recent = verdict
        else:
            verdict = <HeaderVerdict?>self.judge(header)
        if verdict.verify is None:
            key = self.verify_with_keys(token, header, verdict.alg, parts[2], parts[3])
        elif not verdict.verify(parts[2], parts[3]):
            raise InvalidSignatureError("Signature verification failed")
        if not verdict.typ_ok:
            raise InvalidTokenTypeError("Invalid token type (typ header)")
        if known == NULL:
            self._remember(<bytes>parts[2], header, verdict)
        cdef dict claims = load_claims(parts[1])
        now[0] = self.now()
        self.rules.check_window(claims, now[0], start, end)
        return (header, claims, parts[1], parts[3], key)

    cdef int _remember(self, bytes signing_input, dict header, HeaderVerdict verdict) except -1:
        # Only after the signature verified (and typ fitted): forged tokens
        # cannot crowd out an issuer's real headers. Small ones, boundedly.
        cdef const char* s = PyBytes_AS_STRING(signing_input)
        cdef Py_ssize_t first = <const char*>memchr(s, b'.', len(signing_input)) - s
        if len(self.memo) < _MEMO_SIZE and first <= _MEMO_BYTES:
            segment = PyBytes_FromStringAndSize(s, first)
            self.memo[segment] = HeaderVerdict(header, verdict.alg, verdict.verify, verdict.typ_ok, segment)
        return 0

    cpdef tuple run(self, object token):
        """``(header, claims, payload, signature, key)`` of a valid token (``key``
        None with a single key), without the cache; raises the
        ``InvalidTokenError`` PyJWT would raise otherwise."""
        cdef double now = -INFINITY
        return self._run(token, &now, NULL, NULL)

    cdef inline object _state(self):
        return self.single if self.key_state is None else self.key_state()

    cdef object _lookup(self, object token, object key, bint share=False):
        """The claims of a remembered valid token (a dict, a copy of its own;
        with ``share``, the entry's own claims, which nobody may change),
        the verdict of a remembered refusal (a ``Refusal``: the caller raises, so
        the exception crosses one compiled frame, not three), or None: not
        remembered (counted as a miss). Raises for a remembered token now
        invalid (``stale``). Verifies nothing. ``key``: ``token_key(token)``,
        found once per call."""
        cdef TokenStore cache = self.cache
        cdef Entry entry
        cdef int kind = 0
        cdef double now
        if cache is None or (type(token) is not str and type(token) is not bytes) or len(token) > self.max_length:
            return None  # never cached: an over-long token is refused by the pipeline
        now = self.now()
        # With one key the verdict's tag is known: judged under the lock at once.
        found = cache.find(token, key, &kind, self.single if self.key_state is None else None, now)
        if kind == 1:
            entry = <Entry>found
            if entry.start < now < entry.end and (
                    entry.key is None or PySequence_Contains(self.key_state(), entry.key)):
                return entry.claims if share else copy_claims(entry.claims, entry.nested)
            return self.stale(token, entry)
        if kind != 3:
            return found  # None, or a verdict that holds
        if (<Refusal>found).state is not self._state():
            return None  # reached under other keys: judged afresh
        if now < (<Refusal>found).since:
            cache.drop_refusal(key, found)  # the clock was set back before it
            return None
        cache.refused_again(key, <Refusal>found)
        return found

    def cached(self, token):
        """The claims of a remembered valid token (a copy of its own); raises
        for a remembered refusal or a remembered token now invalid; None: not
        remembered (counted as a miss). Verifies nothing."""
        found = self._lookup(token, token_key(token))
        if type(found) is Refusal:
            raise (<Refusal>found).error_type(*(<Refusal>found).args)
        return found

    def cached_shared(self, token):
        """As ``cached``, but a hit answers the remembered claims themselves,
        not a copy: shared by every caller of this token, so never to be
        changed nor handed to application code. Verifies nothing."""
        found = self._lookup(token, token_key(token), True)
        if type(found) is Refusal:
            raise (<Refusal>found).error_type(*(<Refusal>found).args)
        return found

    cdef tuple _miss(self, object token, object key):
        """The pipeline, then the entry made and stored under ``key``:
        ``(header, claims, signature)``, the claims the caller's own."""
        cdef TokenStore cache = self.cache
        cdef double now = -INFINITY, start, end
        cdef tuple parts
        try:
            parts = self._run(token, &now, &start, &end) if cache is not None else self._run(token, &now, NULL, NULL)
        except (InvalidSignatureError, ExpiredSignatureError) as err:
            # Forged, expired or too old stays so: a replay costs a lookup next
            # time. (With a key set, a forgery is remembered by verify_with_keys,
            # tied to the very set it failed against.) An expiry holds from the
            # clock reading it was found at on.
            if cache is not None and (self.key_state is None or type(err) is not InvalidSignatureError):
                cache.reject(token, self._state(), err, now if isinstance(err, ExpiredSignatureError) else -INFINITY)
            raise
        cdef dict claims = <dict>parts[1]
        if cache is None:
            return (parts[0], claims, parts[3])
        cdef tuple kept = remembered(claims, self.last)
        self.last = <dict>kept[0]
        cache.store(key, token, new_entry(<dict>kept[0], parts[4], start, end, <tuple>kept[1]))
        return (parts[0], claims, parts[3])  # the caller's own: the entry keeps a copy

    def decode(self, object token):
        """The claims of a valid ``token`` (a new dict); raises as PyJWT would otherwise."""
        if self.cache is not None:
            key = token_key(token)
            found = self._lookup(token, key)
            if type(found) is dict:
                return <dict>found
            if found is not None:
                raise (<Refusal>found).error_type(*(<Refusal>found).args)
            return <dict>self._miss(token, key)[1]
        cdef double now = -INFINITY
        return <dict>self._run(token, &now, NULL, NULL)[1]

    def decode_complete(self, object token):
        """``(header, claims, signature)`` of a valid ``token``; the header a copy of its own."""
        cdef tuple parts
        cdef PyObject* known = NULL
        key = token_key(token)
        claims = self._lookup(token, key)
        if type(claims) is Refusal:
            raise (<Refusal>claims).error_type(*(<Refusal>claims).args)
        if claims is not None:
            parts = split_memo(token, self.max_length, self.memo, &known, self.recent)
            return (copy_json(<dict>parts[0]), claims, parts[3])
        parts = self._miss(token, key)
        # The header may be the memo's, shared by every token with its segment.
        return (copy_json(<dict>parts[0]), parts[1], parts[2])
