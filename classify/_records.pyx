# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Bulk construction of the per-line records of :mod:`classify.records`, compiled.

The records are frozen dataclasses with slots; :mod:`classify.records` builds them by
setting each slot through its descriptor (no ``__init__``), and so does this module, one
level lower: it writes each slot at the offset its member descriptor gives, which is what
the descriptor's own setter does. The results are the same objects; tests compare them.
"""

from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_XDECREF

from dataclasses import fields

from classify.records import LineResult



cdef extern from "structmember.h":
    ctypedef struct PyMemberDef:
        Py_ssize_t offset


cdef extern from "Python.h":
    ctypedef struct PyMemberDescrObject:
        PyMemberDef* d_member
    void PyObject_GC_UnTrack(void* op)


cdef Py_ssize_t _offset(object cls, str name) except -1:
    descriptor = cls.__dict__[name]
    if type(descriptor).__name__ != "member_descriptor":
        raise TypeError(f"{cls.__name__}.{name} is not a slot")
    return (<PyMemberDescrObject*>descriptor).d_member.offset


cdef inline void _set(object obj, Py_ssize_t offset, object value) noexcept:
    cdef PyObject** slot = <PyObject**>((<char*><PyObject*>obj) + offset)
    Py_INCREF(value)
    Py_XDECREF(slot[0])
    slot[0] = <PyObject*>value


cdef Py_ssize_t _TEXT = _offset(LineResult, "text")
cdef Py_ssize_t _LABEL = _offset(LineResult, "label")
cdef Py_ssize_t _PROBABILITIES = _offset(LineResult, "probabilities")
cdef Py_ssize_t _DECIDED_BY = _offset(LineResult, "decided_by")
cdef Py_ssize_t _CLICKBAIT = _offset(LineResult, "clickbait")
cdef Py_ssize_t _TEMPLATE_SHARE = _offset(LineResult, "template_share")
if len(fields(LineResult)) != 6:
    raise ImportError("classify._records is out of date with LineResult's fields")
cdef object _new = object.__new__


def line_results(
    list texts,
    const long long[::1] labels,
    const double[:, ::1] rows,
    const long long[::1] decided,
    tuple label_values,
    tuple decided_values,
    list shares,
):
    """One :class:`LineResult` per line: ``label_values[labels[i]]``, a ``{label:
    probability}`` dict over ``label_values`` from ``rows[i]``,
    ``decided_values[decided[i]]``, no clickbait, and ``shares[i]`` (or None when
    ``shares`` is None)."""
    cdef Py_ssize_t n = len(texts), i, j, k = rows.shape[1]
    out = [None] * n
    for i in range(n):
        probabilities = {}
        for j in range(k):
            probabilities[label_values[j]] = rows[i, j]
        obj = _new(LineResult)
        _set(obj, _TEXT, texts[i])
        _set(obj, _LABEL, label_values[labels[i]])
        _set(obj, _PROBABILITIES, probabilities)
        _set(obj, _DECIDED_BY, decided_values[decided[i]])
        _set(obj, _CLICKBAIT, None)
        _set(obj, _TEMPLATE_SHARE, None if shares is None else shares[i])
        # out of the cyclic collector's sight: labels and floats, no cycle through them
        PyObject_GC_UnTrack(<void*>probabilities)
        PyObject_GC_UnTrack(<void*>obj)
        out[i] = obj
    return tuple(out)
