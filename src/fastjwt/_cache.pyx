# cython: language_level=3
"""The compiled half of a Validator's token cache.

* ``copy_json`` hands every caller its own copy of remembered claims and
  headers. They come out of a JSON parser, so they hold only dicts, lists,
  str, int, float, bool and None: the immutable ones are shared, every dict
  and list is copied, recursively. No re-parse, no ``copy.deepcopy`` memo:
  a flat dict costs one C-level clone.
* ``LRUView`` drives one cachetools ``LRUCache`` (the project's LRU) from C:
  its own dict and order are read and written directly when they are where
  this module expects them (``cache._direct_parts`` checks), and its public
  protocol serves otherwise, with the same results.
* ``TokenStore`` holds the store of verified tokens, the store of refused
  ones and the lock guarding both: a C-level mutex, taken without a Python
  call when free, waited on with the GIL released (gRPC's thread pools).
  Both stores are keyed by ``token_key``: the token's last bytes, not all
  of it; every entry keeps its whole token, and only the very same token
  (every byte compared) is ever answered from it.
* ``remembered`` makes the template an entry keeps; consecutive templates
  share equal claim values (issuer, audience, scope, role lists) instead of
  keeping a copy each.

Nothing here knows of keys, signatures or claim rules.
"""

cimport cython
from cpython.dict cimport (
    PyDict_Copy,
    PyDict_DelItem,
    PyDict_GetItemWithError,
    PyDict_Next,
    PyDict_SetItem,
    PyDict_Size,
)
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.list cimport PyList_GetSlice
from cpython.long cimport PyLong_FromSsize_t
from cpython.object cimport PyObject, PyObject_SetItem
from libc.string cimport memcmp, memcpy
from cpython.pythread cimport (
    NOWAIT_LOCK,
    WAIT_LOCK,
    PyThread_acquire_lock,
    PyThread_allocate_lock,
    PyThread_free_lock,
    PyThread_release_lock,
)

cdef extern from "Python.h":
    PyObject* PyDict_SetDefault(object d, object key, object default) except NULL  # borrowed
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)
    void PyObject_GC_UnTrack(object op)
    void PyObject_GC_Track(object op)
    int PyObject_GC_IsTracked(object op)
    bint PyUnicode_IS_COMPACT_ASCII(object o)
    object PyUnicode_DecodeLatin1(const char* data, Py_ssize_t size, const char* errors)
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)

cdef str _CURRSIZE = "_Cache__currsize"


# ---------------------------------------------------------------- copies


# Members a dict made by insertion holds without growing its first table.
cdef enum:
    _SMALL_DICT = 5


cdef inline bint _is_container(object value) noexcept:
    return type(value) is dict or type(value) is list


cdef inline void _track(dict copy) noexcept:
    # A clone of an untracked dict (the cache's, see _own) is untracked;
    # holding fresh lists or dicts, the caller's copy must be tracked again.
    if not PyObject_GC_IsTracked(copy):
        PyObject_GC_Track(copy)


cdef dict _copy_dict(dict source):
    # A small dict (realm_access, a client's roles) is built member by
    # member into the smallest table: no clone to write over. A larger one
    # is a C-level clone of the table, then fresh copies of the (rare) nested
    # values written over their shared originals: no resize, no rehash.
    cdef Py_ssize_t pos = 0
    cdef PyObject* name
    cdef PyObject* value
    cdef bint nested = False
    cdef dict out
    if PyDict_Size(source) <= _SMALL_DICT:
        out = {}
        while PyDict_Next(source, &pos, &name, &value):
            PyDict_SetItem(out, <object>name, _copy(<object>value) if _is_container(<object>value) else <object>value)
        return out  # tracked as soon as it holds a container
    out = PyDict_Copy(source)
    while PyDict_Next(source, &pos, &name, &value):
        if _is_container(<object>value):
            PyDict_SetItem(out, <object>name, _copy(<object>value))
            nested = True
    if nested:
        _track(out)
    return out


cdef list _copy_list(list source):
    cdef Py_ssize_t i, n = len(source)
    cdef list out = PyList_GetSlice(source, 0, n)
    for i in range(n):
        if _is_container(source[i]):
            out[i] = _copy(source[i])
    return out


cdef object _copy(object value):
    # Depth is bounded by the parsers the values come from (orjson refuses
    # nesting past 1024 levels; the stdlib fallback stops at the recursion limit).
    if type(value) is dict:
        return _copy_dict(<dict>value)
    if type(value) is list:
        return _copy_list(<list>value)
    return value


cpdef dict copy_json(dict value):
    """A copy of a JSON-shaped dict sharing no dict or list with ``value``."""
    return _copy_dict(value)


cdef dict copy_claims(dict claims, tuple nested):
    """A copy of an entry's ``claims`` sharing no dict or list with them:
    one C-level clone, then fresh copies of the values named in ``nested``
    (the claims holding a dict or a list; usually none)."""
    cdef dict out = PyDict_Copy(claims)
    if not nested:
        return out
    for name in nested:
        PyDict_SetItem(out, name, _copy(<object>PyDict_GetItemWithError(claims, name)))
    _track(out)
    return out


# ---------------------------------------------------------------- shared values


cdef inline bint _same_str(object a, object b) noexcept:
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(a)
    cdef int kind = PyUnicode_KIND(a)
    return (n == PyUnicode_GET_LENGTH(b) and kind == PyUnicode_KIND(b)
            and memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), n * kind) == 0)


cdef bint _same(object a, object b) except -1:
    """True when ``b`` can stand for ``a``: equal JSON values of the very same
    types and member order (``1 == True == 1.0`` must not merge; floats
    never do, ``0.0 == -0.0``)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if type(a) is str:
        return _same_str(a, b)
    if type(a) is int:
        return a == b
    cdef Py_ssize_t i, n, pos_a = 0, pos_b = 0
    cdef PyObject* key_a
    cdef PyObject* key_b
    cdef PyObject* value_a
    cdef PyObject* value_b
    if type(a) is list:
        n = len(<list>a)
        if n != len(<list>b):
            return False
        for i in range(n):
            if not _same((<list>a)[i], (<list>b)[i]):
                return False
        return True
    if type(a) is dict:
        if PyDict_Size(a) != PyDict_Size(b):
            return False
        while PyDict_Next(a, &pos_a, &key_a, &value_a):
            PyDict_Next(b, &pos_b, &key_b, &value_b)
            if not _same(<object>key_a, <object>key_b) or not _same(<object>value_a, <object>value_b):
                return False
        return True
    return False


cdef object _own(object value):
    # A copy for the cache to keep, untracked: JSON values form trees (shared
    # subtrees included), never a cycle, so the cyclic collector need not
    # walk them while they sit in the cache. Dicts are rebuilt by
    # insertion, which makes them dicts of str keys (smaller than a parser's
    # generic-key dicts, and looked up without rich comparisons, as are
    # their copies on a hit).
    cdef Py_ssize_t pos = 0, i
    cdef PyObject* name
    cdef PyObject* item
    if type(value) is dict:
        out = {}
        while PyDict_Next(value, &pos, &name, &item):
            PyDict_SetItem(out, <object>name, _own(<object>item) if _is_container(<object>item) else <object>item)
        PyObject_GC_UnTrack(out)
        return out
    if type(value) is list:
        members = PyList_GetSlice(value, 0, len(<list>value))
        for i in range(len(<list>members)):
            if _is_container((<list>members)[i]):
                (<list>members)[i] = _own((<list>members)[i])
        PyObject_GC_UnTrack(members)
        return members
    return value


#: Values of a token's claims that may differ from those of the template
#: before it while the new template is still made as a copy of that one.
cdef enum:
    _DIFFERING_MAX = 32
DIFFERING_MAX = _DIFFERING_MAX


cdef inline bint _same_name(PyObject* a, PyObject* b) noexcept:
    # Claim names are exact str (JSON object keys); orjson hands out one
    # object per recent key, so the identity test usually decides.
    return a == b or (type(<object>a) is str and type(<object>b) is str and _same_str(<object>a, <object>b))


cpdef tuple remembered(dict claims, dict previous):
    """What the cache keeps of verified ``claims``: ``(template, nested)``.

    ``template`` is a copy of ``claims`` sharing nothing mutable with it
    (the caller keeps ``claims``: a miss copies once, not twice), whose
    values equal (``_same``) to the same claim's value in ``previous`` (the
    template stored before) are that very value, so consecutive entries
    share them (issuer, audience, scope, role lists; dates that repeat);
    ``nested`` names the claims holding a dict or a list (a hit copies those
    deeply, the rest with one flat clone). Templates are never handed out,
    so sharing between them is safe.

    Tokens of one issuer list the same claims in the same order: then the
    template is a C-level clone of ``previous`` with only the differing
    values (at most ``DIFFERING_MAX``) written over. Otherwise it is built
    claim by claim. Either way it is a dict of str keys (see ``_own``).
    """
    cdef Py_ssize_t pos = 0, pos_previous = 0, differing = 0, i
    cdef PyObject* name
    cdef PyObject* value
    cdef PyObject* name_previous
    cdef PyObject* value_previous
    cdef PyObject* names[_DIFFERING_MAX]
    cdef PyObject* values[_DIFFERING_MAX]
    cdef list nested = None
    cdef bint aligned = PyDict_Size(previous) == PyDict_Size(claims)
    cdef dict template
    # Borrowed pointers into claims and previous stay valid: nothing below
    # changes either dict before they are used.
    while aligned and PyDict_Next(claims, &pos, &name, &value):
        PyDict_Next(previous, &pos_previous, &name_previous, &value_previous)
        if not _same_name(name, name_previous):
            aligned = False
        elif not _same(<object>value, <object>value_previous):
            if differing == _DIFFERING_MAX:
                aligned = False
            else:
                names[differing] = name
                values[differing] = value
                differing += 1
        if _is_container(<object>value):
            if nested is None:
                nested = []
            nested.append(<object>name)
    if aligned:
        template = PyDict_Copy(previous)
        for i in range(differing):
            value = values[i]
            PyDict_SetItem(template, <object>names[i],
                           _own(<object>value) if _is_container(<object>value) else <object>value)
    else:
        template = {}
        nested = None
        pos = 0
        while PyDict_Next(claims, &pos, &name, &value):
            if _is_container(<object>value):
                if nested is None:
                    nested = []
                nested.append(<object>name)
            value_previous = PyDict_GetItemWithError(previous, <object>name)
            if value_previous != NULL and _same(<object>value, <object>value_previous):
                kept = <object>value_previous
            elif _is_container(<object>value):
                kept = _own(<object>value)
            else:
                kept = <object>value
            PyDict_SetItem(template, <object>name, kept)
    PyObject_GC_UnTrack(template)
    return template, () if nested is None else tuple(nested)


# ---------------------------------------------------------------- token keys

#: How many of a token's last bytes make its ``token_key``: the end of the
#: signature, 12 bytes of it in base64url, as unpredictable as all of it.
TOKEN_KEY_BYTES = 16
cdef Py_ssize_t _KEY_BYTES = TOKEN_KEY_BYTES


cdef inline const char* _token_bytes(object token, Py_ssize_t* size) noexcept:
    # A compact token is ASCII: a str of any other kind is never valid (nor cached).
    if type(token) is str:
        if not PyUnicode_IS_COMPACT_ASCII(token):
            return NULL
        size[0] = PyUnicode_GET_LENGTH(token)
        return <const char*>PyUnicode_DATA(token)
    if type(token) is bytes:
        size[0] = PyBytes_GET_SIZE(token)
        return PyBytes_AS_STRING(token)
    return NULL


cpdef object token_key(object token):
    """The key of ``token`` in a ``TokenStore`` (a short str), or None: never cached.

    The token's last ``TOKEN_KEY_BYTES`` bytes, not all of it: hashing a
    fresh 1 KB token string whole is the largest single cost of a cache hit,
    and a short str key is hashed once (Python's keyed SipHash, seeded per
    process) and compared with one ``memcmp``. Tokens sharing a key share a
    slot, never an answer: each entry keeps its token, compared byte for
    byte (``same_token``) before it answers. An attacker who makes a forgery
    end like a valid token only makes that lookup a miss, and cannot predict
    hashes to crowd one slot of the table. A str token and its bytes twin
    are one token.
    """
    cdef Py_ssize_t size = 0, i
    cdef const char* data = _token_bytes(token, &size)
    if data == NULL:
        return None
    cdef Py_ssize_t tail = size if size < _KEY_BYTES else _KEY_BYTES
    data += size - tail
    for i in range(tail):
        if <unsigned char>data[i] > 127:
            return PyUnicode_DecodeLatin1(data, tail, NULL)  # bytes only: a str token is ASCII here
    # ASCII, as every compact token: the str made directly, without the decoder's scan.
    key = PyUnicode_New(tail, 127)
    memcpy(PyUnicode_DATA(key), data, tail)
    return key


cdef inline bint same_token(object a, object b) noexcept:
    """Whether two tokens (str or bytes, as ``token_key`` takes) hold the same bytes."""
    cdef Py_ssize_t size_a = 0, size_b = 0
    cdef const char* data_a = _token_bytes(a, &size_a)
    cdef const char* data_b = _token_bytes(b, &size_b)
    return (data_a != NULL and data_b != NULL and size_a == size_b
            and memcmp(data_a, data_b, size_a) == 0)


# ---------------------------------------------------------------- entries


@cython.final
@cython.no_gc
cdef class Entry:
    """What the cache keeps of a verified token, in one small object.

    ``token``: the token itself (set by the store; answered only to the same bytes);
    ``claims``: the template (never handed out: each hit gets its own copy);
    ``key``: the key that verified the token (None with a single key);
    ``start``, ``end``: the open interval of clock values in which its time
    claims surely pass (``ClaimRules.time_window``); ``nested``: the names of
    the claims holding a dict or a list (copied deeply on a hit).

    Nothing it holds can refer back to it (JSON trees, a key), so it takes
    no part in reference cycles: the collector never tracks it (``no_gc``),
    and its two times are C doubles, not float objects.
    """

    def __init__(self, dict claims, key, double start, double end, tuple nested=()):
        self.claims = claims
        self.key = key
        self.start = start
        self.end = end
        self.nested = nested


@cython.final
cdef class Refusal:
    """What the cache keeps of a token refused for good: raised again as
    ``error_type(*args)`` while the key state is ``state`` and the clock reads
    ``since`` or later (an expiry: the reading it was reached at; a forgery:
    always). ``token``: the token itself (answered only to the same bytes)."""

    def __init__(self, state, error_type, tuple args, double since, token):
        self.state = state
        self.error_type = error_type
        self.args = args
        self.since = since
        self.token = token


cdef Entry new_entry(dict claims, object key, double start, double end, tuple nested):
    cdef Entry entry = Entry.__new__(Entry)
    entry.claims = claims
    entry.key = key
    entry.start = start
    entry.end = end
    entry.nested = nested
    return entry


# ---------------------------------------------------------------- the lock


cdef class Lock:
    """A mutex the compiled cache takes without a Python call; ``with lock:`` from Python.

    Not re-entrant. Free, it costs one atomic operation; held, the waiter
    releases the GIL while it waits, so the holder can finish.
    """

    def __cinit__(self):
        self.handle = PyThread_allocate_lock()
        if self.handle == NULL:
            raise MemoryError("cannot allocate a lock")

    def __dealloc__(self):
        if self.handle != NULL:
            PyThread_free_lock(self.handle)

    cdef void take(self) noexcept:
        if not PyThread_acquire_lock(self.handle, NOWAIT_LOCK):
            with nogil:
                PyThread_acquire_lock(self.handle, WAIT_LOCK)

    cdef void give(self) noexcept:
        PyThread_release_lock(self.handle)

    def __enter__(self):
        self.take()
        return self

    def __exit__(self, *exc_info):
        self.give()
        return False


# ---------------------------------------------------------------- one LRU


cdef class LRUView:
    """One cachetools ``LRUCache`` seen from C (callers hold the store's lock).

    ``parts`` is ``(data, order, attributes)``: the cache's own dict, its
    OrderedDict of recency and its instance dict (for its size counter), or
    None to go through its public protocol. Direct, a hit is a dict lookup
    and ``move_to_end``; an insert into a full cache drops the oldest key
    from the order and the dict, as cachetools' ``popitem`` would.
    ``inserts`` counts insertions: ``TokenStore.find`` moves a hit to the
    recent end only when more than ``slack`` (a quarter of ``maxsize``)
    insertions have passed since it was last put there, so a token used
    again before ``maxsize - slack`` more insertions is never evicted, and one
    unused for ``maxsize`` insertions always is (below four entries, every
    hit moves: exact LRU).
    """

    def __init__(self, lru, parts=None):
        self.lru = lru
        self.maxsize = lru.maxsize
        self.slack = lru.maxsize >> 2
        self.evictions = 0
        self.inserts = 0
        if parts is not None:
            self.data, self.order, self.attributes = parts
            self.move_to_end = self.order.move_to_end
            self.pop_oldest = self.order.popitem

    @property
    def direct(self):
        """True when the cache's internals are driven directly."""
        return self.data is not None

    cdef object peek(self, object key):
        """The value of ``key`` without marking it used (the public protocol does), or None."""
        cdef PyObject* found
        if self.data is not None:
            found = PyDict_GetItemWithError(self.data, key)
            return None if found == NULL else <object>found
        if key in self.lru:
            return self.lru[key]  # cachetools' __getitem__ marks it used
        return None

    cdef void mark_used(self, object key) except *:
        """Mark ``key``, known present, most recently used."""
        if self.data is not None:
            self.move_to_end(key)
        else:
            self.lru[key]

    cdef void put(self, object key, object value) except *:
        """Store ``value`` under ``key``, most recently used; evict the least
        recently used key first if the cache is full."""
        cdef dict data = self.data
        cdef Py_ssize_t size
        self.inserts += 1
        if data is None:
            self.lru[key] = value
            return
        size = PyDict_Size(data)
        # One lookup inserts a new key or finds an old one (a race of two
        # threads verifying one new token: the later entry replaces the first).
        if <object>PyDict_SetDefault(data, key, value) is not value:
            PyDict_SetItem(data, key, value)
            self.move_to_end(key)
            return
        PyObject_SetItem(self.order, key, None)
        if size >= self.maxsize:
            # The least recently used goes (never the new key: it is the most
            # recent); one out, one in: the size counter stays as it is.
            PyDict_DelItem(data, self.pop_oldest(False)[0])
            self.evictions += 1
        else:
            PyDict_SetItem(self.attributes, _CURRSIZE, PyLong_FromSsize_t(size + 1))

    cdef object pop(self, object key):
        """Remove ``key``; return its value, or None."""
        cdef PyObject* found
        if self.data is not None:
            found = PyDict_GetItemWithError(self.data, key)
            if found == NULL:
                return None
            value = <object>found
            PyDict_DelItem(self.data, key)
            del self.order[key]
            PyDict_SetItem(self.attributes, _CURRSIZE, PyLong_FromSsize_t(PyDict_Size(self.data)))
            return value
        return self.lru.pop(key, None)


# ---------------------------------------------------------------- both stores


cdef class TokenStore:
    """The verified and refused stores of one validator, their lock and counters.

    Entries of ``verified`` are ``Entry`` objects, those of ``rejected``
    ``Refusal`` objects.
    Both are keyed by ``token_key(token)`` and answer only their own token.
    The C methods below are the compiled pipeline's; each takes the lock once.
    """

    def __cinit__(self, *args, **kwargs):
        self.lock = Lock()
        self.hits = self.misses = self.rejected_hits = 0

    def attach(self, LRUView verified, LRUView rejected):
        """Use these stores from now on; return the evictions the replaced
        verified store had counted (0 for the first)."""
        cdef long long evictions = 0
        self.lock.take()
        try:
            if self.verified is not None:
                evictions = self.verified.evictions + self.verified.lru.evictions
            self.verified = verified
            self.rejected = rejected
        finally:
            self.lock.give()
        return evictions

    cdef object find(self, object token, object key, int* kind, object state, double now):
        """One lock for both stores (``key``: ``token_key(token)``). The entry of ``token`` (``kind`` 1;
        counted as a hit, now most recently used); else the verdict
        remembered for it: ``kind`` 2 when it holds under ``state`` at
        ``now`` (counted, marked used), 3 when the caller must judge it
        (``state`` None: a key set, whose state is read without the lock);
        else None (``kind`` 0). All but a hit count as a miss."""
        cdef Refusal verdict
        cdef Entry entry
        kind[0] = 0
        self.lock.take()
        try:
            if key is None:
                self.misses += 1
                return None
            found = self.verified.peek(key)
            if found is not None and same_token((<Entry>found).token, token):
                entry = <Entry>found
                # Moved to the recent end only once it has drifted a quarter
                # of the way to eviction: a hot token is not moved on every hit.
                if self.verified.inserts - entry.touched > self.verified.slack:
                    self.verified.mark_used(key)
                    entry.touched = self.verified.inserts
                kind[0] = 1
                self.hits += 1
                return found
            self.misses += 1
            if self.rejected.data is not None and PyDict_Size(self.rejected.data) == 0:
                return None  # nothing refused yet: no second lookup
            found = self.rejected.peek(key)
            if found is None or not same_token((<Refusal>found).token, token):
                return None
            verdict = <Refusal>found
            if state is not None and verdict.state is state and now >= verdict.since:
                kind[0] = 2
                self._touch_refusal(key, verdict)
                self.rejected_hits += 1
            else:
                kind[0] = 3
            return verdict
        finally:
            self.lock.give()

    cdef void _touch_refusal(self, object key, Refusal verdict) except *:
        # Callers hold the lock. As for hits: moved to the recent end only
        # once it has drifted a quarter of the way to eviction.
        if self.rejected.inserts - verdict.touched > self.rejected.slack:
            self.rejected.mark_used(key)
            verdict.touched = self.rejected.inserts

    cdef void refused_again(self, object key, Refusal verdict) except *:
        """``verdict`` answered the token of ``key``: count it, mark it used."""
        self.lock.take()
        try:
            if self.rejected.peek(key) is verdict:
                self._touch_refusal(key, verdict)
            self.rejected_hits += 1
        finally:
            self.lock.give()

    cdef void drop_refusal(self, object key, object verdict) except *:
        """Forget ``verdict`` (it no longer holds) of the token of ``key``, unless another replaced it."""
        self.lock.take()
        try:
            if self.rejected.peek(key) is verdict:
                self.rejected.pop(key)
        finally:
            self.lock.give()

    cdef void _drop_verified(self, object key, object token) except *:
        # Callers hold the lock. Only the token's own entry: another token
        # sharing its key keeps its place.
        found = self.verified.peek(key)
        if found is not None and same_token((<Entry>found).token, token):
            self.verified.pop(key)

    cdef void store(self, object key, object token, Entry entry) except *:
        """Remember a verified token under ``key``, its ``token_key`` (the entry
        keeps the token, see there)."""
        if key is None:
            return
        entry.token = token
        self.lock.take()
        try:
            self.verified.put(key, entry)
            entry.touched = self.verified.inserts
        finally:
            self.lock.give()

    def put(self, token, Entry entry):
        """Remember a verified token."""
        self.store(token_key(token), token, entry)

    def entry(self, token):
        """The entry remembered for ``token``, or None; marks nothing used."""
        key = token_key(token)
        if key is None:
            return None
        self.lock.take()
        try:
            found = self.verified.peek(key)
        finally:
            self.lock.give()
        return found if found is not None and same_token((<Entry>found).token, token) else None

    def forget(self, token):
        """Drop a verified token (its key is gone)."""
        key = token_key(token)
        if key is None:
            return
        self.lock.take()
        try:
            self._drop_verified(key, token)
        finally:
            self.lock.give()

    def reject(self, token, key_state, error, double since=float("-inf")):
        """Remember that ``token`` was refused for good (``error``) under
        ``key_state``, a verdict that holds at every clock reading from
        ``since`` on (an expiry: the reading it was reached at; a forgery:
        always); a verified entry of the same token is dropped (it expired)."""
        key = token_key(token)
        if key is None:
            return
        verdict = Refusal(key_state, type(error), error.args, since, token)
        self.lock.take()
        try:
            self._drop_verified(key, token)
            self.rejected.put(key, verdict)
            verdict.touched = self.rejected.inserts
        finally:
            self.lock.give()
