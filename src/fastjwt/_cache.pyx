# cython: language_level=3
"""The compiled half of a Validator's token cache.

``copy_json`` hands every caller its own copy of remembered claims and
headers. Claims and headers come out of a JSON parser, so they hold only
dicts, lists, str, int, float, bool and None: the immutable ones are
shared, every dict and list is copied, recursively. No re-parse, no
``copy.deepcopy`` memo: a flat dict costs one C-level clone.
"""

from cpython.dict cimport PyDict_Copy, PyDict_Next, PyDict_SetItem
from cpython.list cimport PyList_GetSlice
from cpython.object cimport PyObject


cdef inline bint _is_container(object value) noexcept:
    return type(value) is dict or type(value) is list


cdef dict _copy_dict(dict source):
    # A C-level clone of the table, then fresh copies of the (rare) nested
    # values written over their shared originals: no resize, no rehash.
    cdef dict out = PyDict_Copy(source)
    cdef Py_ssize_t pos = 0
    cdef PyObject* name
    cdef PyObject* value
    while PyDict_Next(source, &pos, &name, &value):
        if _is_container(<object>value):
            PyDict_SetItem(out, <object>name, _copy(<object>value))
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
