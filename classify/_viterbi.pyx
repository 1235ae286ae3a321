# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The sequence decoding of :func:`classify.model.viterbi`, compiled.

The same additions in the same order and the same ties (the first best label) as the
Python decoding in ``classify/model.py``, which stays as the reference and as the
fallback when this module is not built: tests/test_calibration.py checks both give the
same paths.
"""

import numpy as np


def viterbi(
    const double[:, ::1] log_emit,
    const long long[::1] sizes,
    const double[:, ::1] log_trans,
    const double[::1] log_start,
):
    """The most probable label path of each page (rows of ``log_emit``, ``sizes`` rows a
    page); ``log_trans[a, b]`` scores ``b`` after ``a``."""
    cdef Py_ssize_t n = log_emit.shape[0], k = log_emit.shape[1]
    out_arr = np.zeros(n, dtype=np.int64)
    cdef long long[::1] out = out_arr
    back_arr = np.zeros((n, k), dtype=np.int64)
    cdef long long[:, ::1] back = back_arr
    score_arr = np.zeros(k)
    new_arr = np.zeros(k)
    cdef double[::1] score = score_arr
    cdef double[::1] new = new_arr
    cdef Py_ssize_t offset = 0, p, i, a, b, best_a, state
    cdef long long size
    cdef double best, cand
    for p in range(sizes.shape[0]):
        size = sizes[p]
        if size <= 0:
            continue
        for b in range(k):
            score[b] = log_emit[offset, b] + log_start[b]
        for i in range(offset + 1, offset + size):
            for b in range(k):
                best = score[0] + log_trans[0, b]
                best_a = 0
                for a in range(1, k):
                    cand = score[a] + log_trans[a, b]
                    if cand > best:
                        best = cand
                        best_a = a
                back[i, b] = best_a
                new[b] = best + log_emit[i, b]
            for b in range(k):
                score[b] = new[b]
        state = 0
        for b in range(1, k):
            if score[b] > score[state]:
                state = b
        i = offset + size - 1
        out[i] = state
        while i > offset:
            state = back[i, state]
            i -= 1
            out[i] = state
        offset += size
    return out_arr
