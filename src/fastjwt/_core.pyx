# cython: language_level=3
"""The compiled fast path: bytes in, parts out.

It splits a compact JWS, decodes its base64url segments strictly and parses
JSON objects with orjson. It knows nothing of keys, claims, gRPC or files;
every error it raises is a DecodeError with PyJWT's message for that case.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem, PyDict_Next, PyDict_Size
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_AsEncodedString
from libc.stdint cimport uint8_t, uint32_t
from libc.string cimport memchr, memcmp, memcpy

import json as _json

from orjson import JSONDecodeError as _OrjsonError
from orjson import loads as _loads

from fastjwt.exceptions import DecodeError

cdef extern from "Python.h":
    bint PyUnicode_IS_COMPACT_ASCII(object o)
    void* PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)

# 0..63 for the base64url alphabet, 64 for '=', 255 for anything else.
cdef uint8_t _DECODE[256]
# The same values pre-shifted to their place in a 4-character group's 24 bits,
# so a group decodes with four loads and three ORs; anything outside the
# alphabet ('=' included) sets bit 31, which no valid group can set.
cdef uint32_t _SHIFTED[4][256]
cdef const char* _ENCODE = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
cdef uint32_t _INVALID = 1U << 31


cdef void _init_tables() noexcept:
    cdef int i, k
    for i in range(256):
        _DECODE[i] = 255
        for k in range(4):
            _SHIFTED[k][i] = _INVALID
    for i in range(64):
        _DECODE[<uint8_t>_ENCODE[i]] = <uint8_t>i
        for k in range(4):
            _SHIFTED[k][<uint8_t>_ENCODE[i]] = (<uint32_t>i) << (18 - 6 * k)
    _DECODE[<uint8_t>b'='] = 64


_init_tables()

# An integer literal with this many digits or more may not fit in 64 bits;
# orjson would turn it into a float, PyJWT (stdlib json) keeps it exact.
cdef enum:
    _BIG_INT_DIGITS = 19


cdef inline Py_ssize_t _unpadded_length(const uint8_t* s, Py_ssize_t n) noexcept nogil:
    """Length of the segment without its padding, or -1 if its padding or length
    is not what PyJWT 2.15 accepts: up to two trailing '=' when the padded
    length is a multiple of 4 (AWS ALB emits them); never a length of 1 mod 4."""
    cdef Py_ssize_t pad = 0
    while n - pad > 0 and s[n - pad - 1] == b'=':
        pad += 1
        if pad > 2:
            return -1
    if pad and (n & 3) != 0:
        return -1
    n -= pad
    if (n & 3) == 1:
        return -1
    return n


cdef inline bint _decode_into(const uint8_t* s, Py_ssize_t n, uint8_t* out) noexcept nogil:
    """Decode an unpadded segment in one pass; False if it is not strict base64url.

    Every character outside the URL-safe alphabet (a stray '=' included) maps
    to a table value with a bit no valid character has, so OR-ing the values
    checks the alphabet for free. Canonical encodings leave the unused low
    bits of the last character at zero (GHSA-hxm8).
    """
    cdef Py_ssize_t i = 0, o = 0
    cdef uint32_t a, b, c, group, bad = 0, groups = 0
    cdef bint canonical = True
    while i + 4 <= n:
        group = _SHIFTED[0][s[i]] | _SHIFTED[1][s[i + 1]] | _SHIFTED[2][s[i + 2]] | _SHIFTED[3][s[i + 3]]
        groups |= group
        out[o] = <uint8_t>(group >> 16)
        out[o + 1] = <uint8_t>(group >> 8)
        out[o + 2] = <uint8_t>group
        i += 4
        o += 3
    if groups & _INVALID:
        return False
    if n - i == 2:
        a = _DECODE[s[i]]
        b = _DECODE[s[i + 1]]
        bad |= a | b
        canonical = (b & 0x0F) == 0
        out[o] = <uint8_t>((a << 2) | (b >> 4))
    elif n - i == 3:
        a = _DECODE[s[i]]
        b = _DECODE[s[i + 1]]
        c = _DECODE[s[i + 2]]
        bad |= a | b | c
        canonical = (c & 0x03) == 0
        out[o] = <uint8_t>((a << 2) | (b >> 4))
        out[o + 1] = <uint8_t>((b << 4) | (c >> 2))
    return bad < 64 and canonical


cdef inline bytes _decode_segment(const uint8_t* s, Py_ssize_t n, str name):
    n = _unpadded_length(s, n)
    if n < 0:
        raise DecodeError(f"Invalid {name} padding")
    cdef bytes out = PyBytes_FromStringAndSize(NULL, (n >> 2) * 3 + ((n & 3) * 3 >> 2))
    if not _decode_into(s, n, <uint8_t*>PyBytes_AS_STRING(out)):
        raise DecodeError(f"Invalid {name} padding")
    return out


cdef inline Py_ssize_t _top_level_members(const uint8_t* s, Py_ssize_t n) noexcept nogil:
    """Count the members of the top-level JSON object (the ':' at depth 1)."""
    cdef Py_ssize_t i = 0, depth = 0, count = 0
    cdef uint8_t c
    while i < n:
        c = s[i]
        if c == b'"':
            i += 1
            while i < n and s[i] != b'"':
                if s[i] == b'\\':
                    i += 1
                i += 1
        elif c == b'{' or c == b'[':
            depth += 1
        elif c == b'}' or c == b']':
            depth -= 1
        elif c == b':' and depth == 1:
            count += 1
        i += 1
    return count


cdef inline bint _is_digit(uint8_t c) noexcept nogil:
    return <uint8_t>(c - 48) < 10


cdef inline bint _has_long_digit_run(const uint8_t* s, Py_ssize_t n) noexcept nogil:
    """True if _BIG_INT_DIGITS digits stand in a row anywhere (strings included).

    Reads about one byte in _BIG_INT_DIGITS: a run that long must cover the
    last byte of some window of that many bytes, so only those bytes are
    tested, and the run around a digit found there is measured. Invariant:
    no run of the length lies wholly before ``i - _BIG_INT_DIGITS + 1``.
    """
    cdef Py_ssize_t i = _BIG_INT_DIGITS - 1, first, last
    while i < n:
        if not _is_digit(s[i]):
            i += _BIG_INT_DIGITS
            continue
        first = i
        while first > 0 and i - first + 1 < _BIG_INT_DIGITS and _is_digit(s[first - 1]):
            first -= 1
        last = i
        while last + 1 < n and last - first + 1 < _BIG_INT_DIGITS and _is_digit(s[last + 1]):
            last += 1
        if last - first + 1 >= _BIG_INT_DIGITS:
            return True
        # The run ends at last (s[last + 1] is not a digit): the next one
        # starts at last + 2 or later and, long enough, covers last + 1 + _BIG_INT_DIGITS.
        i = last + 1 + _BIG_INT_DIGITS
    return False


cdef inline bint _has_big_int(const uint8_t* s, Py_ssize_t n) noexcept nogil:
    """True if a number outside strings has _BIG_INT_DIGITS digits or more."""
    cdef Py_ssize_t i = 0, run = 0
    cdef uint8_t c
    if not _has_long_digit_run(s, n):  # the common case, without tracking strings
        return False
    while i < n:
        c = s[i]
        if c == b'"':
            run = 0
            i += 1
            while i < n and s[i] != b'"':
                if s[i] == b'\\':
                    i += 1
                i += 1
        elif b'0' <= c <= b'9':
            run += 1
            if run >= _BIG_INT_DIGITS:
                return True
        else:
            run = 0
        i += 1
    return False


cdef inline bint _may_hold_big_int(dict obj) noexcept:
    """False when every member is a str, int, bool or null: orjson turned no
    integer into a float then, and the bytes need no scan (the common case)."""
    cdef Py_ssize_t pos = 0
    cdef PyObject* name
    cdef PyObject* value
    while PyDict_Next(obj, &pos, &name, &value):
        if type(<object>value) is float or type(<object>value) is dict or type(<object>value) is list:
            return True
    return False


cdef inline dict _load_object(bytes data, str what):
    """Parse a JSON object strictly, with PyJWT's messages and exact big integers."""
    cdef object obj
    try:
        obj = _loads(data)
    except _OrjsonError as err:
        raise DecodeError(f"Invalid {what} string: {_json_error(data, err)}") from None
    if type(obj) is not dict:
        raise DecodeError(f"Invalid {what} string: must be a json object")
    if _may_hold_big_int(<dict>obj) and _has_big_int(<const uint8_t*>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data)):
        # orjson rounds integers beyond 64 bits to floats; the standard
        # library keeps them exact, as PyJWT does (rare, so not hot).
        try:
            obj = _json.loads(data)
        except (ValueError, RecursionError) as err:
            raise DecodeError(f"Invalid {what} string: {err}") from None
    return <dict>obj


cdef str _json_error(bytes data, object orjson_error):
    """The standard library's message for a document orjson refused (PyJWT's
    wording); PyJWT's "must be a json object" for one the standard library
    reads as something else (a top-level NaN, or an array nested deeper than
    orjson's 1024 levels, which Python 3.13's parser reads); orjson's message
    where only fastjwt is strict (an object holding NaN, a BOM, surrogates or
    deeper nesting)."""
    try:
        parsed = _json.loads(data)
    except (ValueError, RecursionError) as err:
        return str(err)
    if type(parsed) is not dict:
        return "must be a json object"
    return str(orjson_error)


cdef dict _load_header(const uint8_t* s, Py_ssize_t n):
    cdef bytes header_json = _decode_segment(s, n, "header")
    cdef dict header = _load_object(header_json, "header")
    if _top_level_members(<const uint8_t*>PyBytes_AS_STRING(header_json),
                          PyBytes_GET_SIZE(header_json)) != PyDict_Size(header):
        raise DecodeError("Invalid header string: duplicate member names")
    return header


cdef class HeaderVerdict:
    """What a header decides, judged once: the parsed ``header`` (None until
    remembered), its ``alg``, the ``verify`` callable for it (None with a key
    set: keys are chosen per token) and whether ``typ`` fits (``typ_ok``).

    The Validator's ``judge`` makes one per header it has not seen; the
    Pipeline's memo (encoded header segment → verdict) keeps those of verified
    tokens, with their header, which is then shared: never to be mutated;
    ``segment`` is then the encoded header segment it is remembered under."""

    def __init__(self, header, alg, verify, bint typ_ok, bytes segment=None):
        self.header = header
        self.alg = alg
        self.verify = verify
        self.typ_ok = typ_ok
        self.segment = segment

    def __repr__(self):
        return f"HeaderVerdict(alg={self.alg!r}, typ_ok={self.typ_ok!r})"


cpdef tuple split(object token, Py_ssize_t max_length):
    """Split and decode a compact JWS.

    Returns ``(header, payload, signing_input, signature)``: the header as a
    dict, the payload and signature as decoded bytes, and the signing input
    (``header_b64 + '.' + payload_b64``) as bytes. The payload is *not*
    parsed: that happens only after the signature has been verified.
    """
    return split_memo(token, max_length, None, NULL, None)


cdef tuple split_memo(object token, Py_ssize_t max_length, dict memo, PyObject** verdict, HeaderVerdict recent):
    """``split``, reading the header from ``memo`` (exact encoded header
    segment → ``HeaderVerdict`` with its parsed header) when it is there:
    then ``verdict[0]`` is set to that verdict (a borrowed reference, NULL
    otherwise) and the header returned is the memo's, shared between calls.
    ``recent`` (a verdict of ``memo``, or None) is compared first, byte for
    byte: the header most tokens of an issuer share costs no lookup."""
    cdef const uint8_t* s
    cdef Py_ssize_t n, first = -1, last = -1
    cdef object raw = token
    if isinstance(token, str):
        if PyUnicode_GET_LENGTH(token) > max_length:
            raise DecodeError(f"Token is too long (the limit is {max_length} bytes)")
        if PyUnicode_IS_COMPACT_ASCII(token):
            s = <const uint8_t*>PyUnicode_DATA(token)
            n = PyUnicode_GET_LENGTH(token)
        else:
            # Non-ASCII can never be base64url; encoding it (lone surrogates
            # too) lets the segment checks below name the failing segment.
            raw = PyUnicode_AsEncodedString(token, b"utf-8", b"surrogatepass")
            s = <const uint8_t*>PyBytes_AS_STRING(raw)
            n = PyBytes_GET_SIZE(raw)
    elif isinstance(token, bytes):
        s = <const uint8_t*>PyBytes_AS_STRING(token)
        n = PyBytes_GET_SIZE(token)
    else:
        raise DecodeError(f"Invalid token type. Token must be a {bytes}")
    if n > max_length:
        raise DecodeError(f"Token is too long (the limit is {max_length} bytes)")

    # The signature is the segment after the last dot, the header the one
    # before the first (PyJWT's rsplit, then split); memchr is vectorised.
    cdef const uint8_t* dot = <const uint8_t*>memchr(s, b'.', n)
    if dot != NULL:
        first = dot - s
        last = n - 1
        while s[last] != b'.':
            last -= 1
    if first < 0 or first == last:
        raise DecodeError("Not enough segments")

    cdef dict header
    cdef PyObject* known = NULL
    if memo is not None:
        if (recent is not None and recent.segment is not None and PyBytes_GET_SIZE(recent.segment) == first
                and memcmp(PyBytes_AS_STRING(recent.segment), s, first) == 0):
            known = <PyObject*>recent
        else:
            known = PyDict_GetItem(memo, PyBytes_FromStringAndSize(<const char*>s, first))
        verdict[0] = known
    if known != NULL:
        header = (<HeaderVerdict>known).header
    else:
        header = _load_header(s, first)

    cdef bytes payload
    if header.get("b64", True) is False:
        # RFC 7797 unencoded payload: fastjwt rejects it in decode, but the
        # split stays faithful so the caller can report it precisely.
        if last - first - 1 != 0:
            raise DecodeError("Payload segment must be empty when 'b64' is false.")
        payload = b""
    else:
        payload = _decode_segment(s + first + 1, last - first - 1, "payload")
    cdef bytes signature = _decode_segment(s + last + 1, n - last - 1, "crypto")
    cdef bytes signing_input = PyBytes_FromStringAndSize(<const char*>s, last)
    return header, payload, signing_input, signature


cpdef dict load_claims(bytes payload):
    """Parse a verified payload into a dict, as PyJWT's json.loads would."""
    return _load_object(payload, "payload")


cpdef bytes b64decode(object data, str name="segment"):
    """Strict base64url decoding of one segment (str or bytes)."""
    if isinstance(data, str):
        data = (<str>data).encode("utf-8", "surrogatepass")
    elif not isinstance(data, bytes):
        data = bytes(data)
    return _decode_segment(<const uint8_t*>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), name)


cpdef bytes b64encode(bytes data):
    """Unpadded base64url encoding."""
    cdef const uint8_t* s = <const uint8_t*>PyBytes_AS_STRING(data)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(data)
    cdef Py_ssize_t full = n // 3, rem = n % 3
    cdef Py_ssize_t size = full * 4 + (rem + 1 if rem else 0)
    cdef bytes out = PyBytes_FromStringAndSize(NULL, size)
    cdef uint8_t* o = <uint8_t*>PyBytes_AS_STRING(out)
    cdef Py_ssize_t i = 0, j = 0
    cdef uint32_t v
    while i + 3 <= n:
        v = (s[i] << 16) | (s[i + 1] << 8) | s[i + 2]
        o[j] = _ENCODE[(v >> 18) & 63]
        o[j + 1] = _ENCODE[(v >> 12) & 63]
        o[j + 2] = _ENCODE[(v >> 6) & 63]
        o[j + 3] = _ENCODE[v & 63]
        i += 3
        j += 4
    if rem == 1:
        v = s[i] << 16
        o[j] = _ENCODE[(v >> 18) & 63]
        o[j + 1] = _ENCODE[(v >> 12) & 63]
    elif rem == 2:
        v = (s[i] << 16) | (s[i + 1] << 8)
        o[j] = _ENCODE[(v >> 18) & 63]
        o[j + 1] = _ENCODE[(v >> 12) & 63]
        o[j + 2] = _ENCODE[(v >> 6) & 63]
    return out


cdef enum:
    # Half of the largest JWS ECDSA signature (P-521): DER lengths then fit a byte.
    _MAX_EC_HALF = 66


cdef inline Py_ssize_t _der_integer(const uint8_t* p, Py_ssize_t n, uint8_t* out) noexcept nogil:
    """Write big-endian unsigned ``p[:n]`` as a DER INTEGER; return the bytes written
    (or, with ``out`` NULL, the bytes it would take)."""
    cdef Py_ssize_t skip = 0, size, pos
    while skip < n - 1 and p[skip] == 0:  # minimal encoding, at least one byte
        skip += 1
    size = n - skip + (1 if p[skip] & 0x80 else 0)  # a high bit would read as negative
    if out != NULL:
        out[0] = 0x02
        out[1] = <uint8_t>size
        pos = 2
        if p[skip] & 0x80:
            out[2] = 0
            pos = 3
        memcpy(out + pos, p + skip, n - skip)
    return 2 + size


cpdef bytes der_signature(bytes raw):
    """A JWS ECDSA signature (``r || s``, equal halves) re-encoded as DER.

    ``cryptography`` verifies DER signatures; converting here costs a few
    hundred instructions against thousands for two Python ints and
    ``encode_dss_signature``. Raises ValueError for an odd or oversized length.
    """
    cdef Py_ssize_t n = PyBytes_GET_SIZE(raw), half = n >> 1, r_size, s_size, body, head
    cdef const uint8_t* p = <const uint8_t*>PyBytes_AS_STRING(raw)
    if n == 0 or n & 1 or half > _MAX_EC_HALF:
        raise ValueError("Invalid signature")
    r_size = _der_integer(p, half, NULL)
    s_size = _der_integer(p + half, half, NULL)
    body = r_size + s_size
    head = 2 if body < 128 else 3  # short or one-byte long form of the length
    cdef bytes out = PyBytes_FromStringAndSize(NULL, head + body)
    cdef uint8_t* o = <uint8_t*>PyBytes_AS_STRING(out)
    o[0] = 0x30
    if head == 2:
        o[1] = <uint8_t>body
    else:
        o[1] = 0x81
        o[2] = <uint8_t>body
    _der_integer(p, half, o + head)
    _der_integer(p + half, half, o + head + r_size)
    return out
