# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""The sequence marginals of :func:`classify.model.marginals`, compiled.

The same scaled forward-backward recursions as the numpy version in ``classify/model.py``,
which stays as the reference and as the fallback when this module is not built:
tests/test_calibration.py checks both give the same marginals.
"""

import numpy as np


def marginals(
    const double[:, ::1] emit,
    const long long[::1] sizes,
    const double[:, ::1] trans,
    const double[::1] start,
):
    """Each line's label marginals under the chain (rows of ``emit``, ``sizes`` rows a page);
    ``trans[a, b]`` weighs ``b`` after ``a``, ``start`` a page's first label."""
    cdef Py_ssize_t n = emit.shape[0], k = emit.shape[1]
    out_arr = np.zeros((n, k))
    cdef double[:, ::1] out = out_arr
    beta_arr = np.ones((n, k))
    cdef double[:, ::1] beta = beta_arr
    tmp_arr = np.zeros(k)
    cdef double[::1] tmp = tmp_arr
    cdef Py_ssize_t offset = 0, p, i, a, b
    cdef long long size
    cdef double total, acc
    for p in range(sizes.shape[0]):
        size = sizes[p]
        if size <= 0:
            continue
        # forward, scaled: out holds alpha
        total = 0.0
        for b in range(k):
            out[offset, b] = start[b] * emit[offset, b]
            total += out[offset, b]
        for b in range(k):
            out[offset, b] /= total
        for i in range(offset + 1, offset + size):
            total = 0.0
            for b in range(k):
                acc = 0.0
                for a in range(k):
                    acc += out[i - 1, a] * trans[a, b]
                out[i, b] = acc * emit[i, b]
                total += out[i, b]
            for b in range(k):
                out[i, b] /= total
        # backward, scaled
        for i in range(offset + size - 2, offset - 1, -1):
            for b in range(k):
                tmp[b] = emit[i + 1, b] * beta[i + 1, b]
            total = 0.0
            for a in range(k):
                acc = 0.0
                for b in range(k):
                    acc += trans[a, b] * tmp[b]
                beta[i, a] = acc
                total += acc
            for a in range(k):
                beta[i, a] /= total
        for i in range(offset, offset + size):
            total = 0.0
            for b in range(k):
                out[i, b] *= beta[i, b]
                total += out[i, b]
            for b in range(k):
                out[i, b] /= total
        offset += size
    return out_arr
