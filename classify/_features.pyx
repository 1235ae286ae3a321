# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The counting kernels of :mod:`classify.features`, compiled: word counts
(:class:`~classify.features.WordTfidf`), hashed character n-grams and the per-line shape
counts, each equal to the pure-Python/numpy path it replaces.

Tokens are what the Python counting's ``re.compile(r"\\w+|\\n")`` finds (``\\w``: a
character for which ``str.isalnum()`` holds, or ``_``, the regex engine's own test), looked
up in a hash table of the vocabulary's code points (no string is made per token); the
counts are the same, which tests/test_features_compiled.py checks.
"""

import numpy as np

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport uint32_t, uint64_t
from libc.stdlib cimport qsort


cdef extern from "Python.h":
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)


cdef extern from "Python.h" nogil:
    bint Py_UNICODE_ISALNUM(uint32_t ch)
    uint32_t PyUnicode_READ(int kind, void* data, Py_ssize_t index)


cdef inline uint64_t _step(uint64_t h, uint32_t ch) noexcept nogil:
    return (h ^ ch) * <uint64_t>0x100000001B3


cdef int _cmp(const void* a, const void* b) noexcept nogil:
    cdef int x = (<const int*>a)[0], y = (<const int*>b)[0]
    return (x > y) - (x < y)


cdef class Vocabulary:
    """A word -> id table (open addressing) over the words' code points."""

    cdef uint64_t* hashes
    cdef int* ids
    cdef Py_ssize_t* starts
    cdef int* lengths
    cdef uint32_t* chars
    cdef Py_ssize_t mask

    def __cinit__(self, dict vocabulary):
        cdef Py_ssize_t size = 16, total = 0, at = 0, slot, i, n
        cdef uint64_t h
        cdef uint32_t ch
        cdef str word
        while size < 2 * len(vocabulary) + 1:
            size *= 2
        self.mask = size - 1
        for word in vocabulary:
            total += len(word)
        self.hashes = <uint64_t*>PyMem_Malloc(size * sizeof(uint64_t))
        self.ids = <int*>PyMem_Malloc(size * sizeof(int))
        self.starts = <Py_ssize_t*>PyMem_Malloc(size * sizeof(Py_ssize_t))
        self.lengths = <int*>PyMem_Malloc(size * sizeof(int))
        self.chars = <uint32_t*>PyMem_Malloc(max(total, 1) * sizeof(uint32_t))
        if not (self.hashes and self.ids and self.starts and self.lengths and self.chars):
            raise MemoryError()
        for slot in range(size):
            self.ids[slot] = -1
        for word, value in vocabulary.items():
            n = len(word)
            h = <uint64_t>0xCBF29CE484222325
            for i in range(n):
                ch = word[i]
                self.chars[at + i] = ch
                h = _step(h, ch)
            slot = h & self.mask
            while self.ids[slot] >= 0:
                slot = (slot + 1) & self.mask
            self.hashes[slot] = h
            self.ids[slot] = <int>value
            self.starts[slot] = at
            self.lengths[slot] = <int>n
            at += n

    def __dealloc__(self):
        PyMem_Free(self.hashes)
        PyMem_Free(self.ids)
        PyMem_Free(self.starts)
        PyMem_Free(self.lengths)
        PyMem_Free(self.chars)

    cdef inline int find(
        self, uint64_t h, int kind, void* data, Py_ssize_t start, Py_ssize_t n
    ) noexcept nogil:
        cdef Py_ssize_t slot = h & self.mask, i, at
        cdef bint same
        while self.ids[slot] >= 0:
            if self.hashes[slot] == h and self.lengths[slot] == n:
                at = self.starts[slot]
                same = True
                for i in range(n):
                    if self.chars[at + i] != PyUnicode_READ(kind, data, start + i):
                        same = False
                        break
                if same:
                    return self.ids[slot]
            slot = (slot + 1) & self.mask
        return -1


def word_counts(str lowered, Vocabulary vocabulary, Py_ssize_t n_rows):
    """(data, indices, indptr) of the CSR word counts of the ``n_rows`` lines of
    ``lowered`` (lines joined by ``\\n``): per line, the vocabulary ids of its known
    tokens in increasing order, and how often each occurs."""
    cdef Py_ssize_t n = len(lowered), i = 0, start, row = 0, j, m, used = 0, filled = 0
    cdef Py_ssize_t most = (n + 1) // 2 + 1  # tokens are separated: at most this many
    cdef uint32_t ch
    cdef uint64_t h
    cdef int found
    indptr_arr = np.zeros(n_rows + 1, dtype=np.int32)
    indices_arr = np.empty(most, dtype=np.int32)
    data_arr = np.empty(most, dtype=np.float32)
    line_ids_arr = np.empty(most, dtype=np.int32)  # the known ids of the current line
    cdef int[::1] indptr = indptr_arr
    cdef int[::1] indices = indices_arr
    cdef float[::1] data = data_arr
    cdef int[::1] line_ids = line_ids_arr
    cdef int kind = PyUnicode_KIND(lowered)
    cdef void* chars = PyUnicode_DATA(lowered)
    with nogil:
        while i <= n:
            ch = PyUnicode_READ(kind, chars, i) if i < n else 10
            if ch == 10:
                # close the row: sort its ids, count runs
                if used:
                    qsort(&line_ids[0], used, sizeof(int), _cmp)
                    j = 0
                    while j < used:
                        m = j + 1
                        while m < used and line_ids[m] == line_ids[j]:
                            m += 1
                        indices[filled] = line_ids[j]
                        data[filled] = <float>(m - j)
                        filled += 1
                        j = m
                    used = 0
                if row < n_rows:
                    indptr[row + 1] = <int>filled
                row += 1
                i += 1
                continue
            if ch == 95 or Py_UNICODE_ISALNUM(ch):
                start = i
                h = _step(<uint64_t>0xCBF29CE484222325, ch)
                i += 1
                while i < n:
                    ch = PyUnicode_READ(kind, chars, i)
                    if ch == 95 or Py_UNICODE_ISALNUM(ch):
                        h = _step(h, ch)
                        i += 1
                    else:
                        break
                found = vocabulary.find(h, kind, chars, start, i - start)
                if found >= 0:
                    line_ids[used] = found
                    used += 1
            else:
                i += 1
        for j in range(row, n_rows):
            indptr[j + 1] = <int>filled
    return data_arr[:filled], indices_arr[:filled], indptr_arr


cdef inline void _sort_u32(uint32_t* a, Py_ssize_t n) noexcept nogil:
    """Insertion sort: a row's few dozen buckets, faster than qsort's indirect calls."""
    cdef Py_ssize_t i, j
    cdef uint32_t v
    for i in range(1, n):
        v = a[i]
        j = i - 1
        while j >= 0 and a[j] > v:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v


cdef inline void _merge_u32(
    uint32_t* a, Py_ssize_t n, Py_ssize_t m, uint32_t* tmp
) noexcept nogil:
    """Merge the sorted runs ``a[:n]`` and ``a[n:n + m]`` in place (through ``tmp``)."""
    cdef Py_ssize_t i = 0, j = n, k = 0, end = n + m
    while i < n and j < end:
        if a[j] < a[i]:
            tmp[k] = a[j]
            j += 1
        else:
            tmp[k] = a[i]
            i += 1
        k += 1
    while i < n:
        tmp[k] = a[i]
        i += 1
        k += 1
    while j < end:
        tmp[k] = a[j]
        j += 1
        k += 1
    for i in range(end):
        a[i] = tmp[i]


def char_ngram_counts(
    list texts,
    Py_ssize_t width,
    tuple ngrams,
    int bits,
    int seed,
    *,
    long lead=-1,
    long trail=-1,
    Py_ssize_t last=0,
):
    """(data, indices, indptr) of the CSR counts of hashed character n-grams of each text's
    first ``width`` code points: ``features._char_counts_of`` (same folding, hash and
    buckets), a row at a time. Without making the strings: ``lead`` (a code point, or -1)
    stands before the text, ``last`` > 0 takes only its last ``last`` code points, and
    ``trail`` (or -1) stands after them."""
    cdef Py_ssize_t n = len(texts), r, L, p, j, q, m, used, filled = 0, per_text = 0
    cdef Py_ssize_t kk, n_grams = len(ngrams), size, begin, at
    cdef int k
    cdef uint64_t h, mult = <uint64_t>0x100000001B3, mix = <uint64_t>0x9E3779B97F4A7C15
    cdef int shift = 64 - bits
    cdef uint32_t c
    cdef int kind
    cdef void* data_ptr
    cdef str text
    cdef int ks[8]
    if n_grams > 8:
        raise ValueError("at most 8 n-gram sizes")
    for kk in range(n_grams):
        ks[kk] = ngrams[kk]
        if ks[kk] <= width:
            per_text += width - ks[kk] + 1
    codes_arr = np.empty(max(width, 1), dtype=np.uint64)
    buckets_arr = np.empty(max(per_text, 1), dtype=np.uint32)
    merged_arr = np.empty(max(per_text, 1), dtype=np.uint32)
    cdef uint32_t[::1] merged = merged_arr
    cdef Py_ssize_t group
    indptr_arr = np.zeros(n + 1, dtype=np.int32)
    indices_arr = np.empty(max(n * per_text, 1), dtype=np.int32)
    data_arr = np.empty(max(n * per_text, 1), dtype=np.float32)
    cdef uint64_t[::1] codes = codes_arr
    cdef uint32_t[::1] buckets = buckets_arr
    cdef int[::1] indptr = indptr_arr
    cdef int[::1] indices = indices_arr
    cdef float[::1] data = data_arr
    for r in range(n):
        text = texts[r]
        size = len(text)
        kind = PyUnicode_KIND(text)
        data_ptr = PyUnicode_DATA(text)
        with nogil:
            begin = size - last if 0 < last < size else 0
            L = 0
            if lead >= 0 and L < width:
                codes[L] = <uint64_t>lead
                L += 1
            at = begin
            while at < size and L < width:
                c = PyUnicode_READ(kind, data_ptr, at)
                if 65 <= c <= 90:
                    c += 32
                elif 48 <= c <= 57:
                    c = 48
                codes[L] = c
                L += 1
                at += 1
            if trail >= 0 and L < width:
                codes[L] = <uint64_t>trail
                L += 1
            used = 0
            for kk in range(n_grams):
                k = ks[kk]
                if k > width:
                    continue
                group = used
                for p in range(L - k + 1):
                    h = <uint64_t>(seed * 7919 + k)
                    for j in range(k):
                        if codes[p + j] == 0:  # a NUL code point: no n-gram here
                            break
                        h = (h ^ codes[p + j]) * mult
                    else:
                        buckets[used] = <uint32_t>((h * mix) >> shift)
                        used += 1
                # each size's buckets sorted alone, then merged into the sorted ones before
                _sort_u32(&buckets[group], used - group)
                if group:
                    _merge_u32(&buckets[0], group, used - group, &merged[0])
            q = 0
            while q < used:
                m = q + 1
                while m < used and buckets[m] == buckets[q]:
                    m += 1
                indices[filled] = <int>buckets[q]
                data[filled] = <float>(m - q)
                filled += 1
                q = m
            indptr[r + 1] = <int>filled
    return data_arr[:filled], indices_arr[:filled], indptr_arr


def shape_counts(list texts, const unsigned char[::1] table, int bmp):
    """Per line, the integer facts ``features.shape_features`` computes its columns from:
    length, words, upper, letters, digits, symbols, titled words, separators, commas, the
    last code point that is not a closer (or the last one), the first three code points
    (the third and second past the end read as the line break) and the last one. ``table``
    is ``features._CHAR_TABLE`` (class in the low 3 bits, 8 separator, 16 closer); code
    points from U+1F000 are symbols. None if a text is empty or holds a line break (the
    numpy path then decides)."""
    cdef Py_ssize_t n = len(texts), r, i, size
    cdef int kind
    cdef void* data_ptr
    cdef uint32_t c, cls, entry
    cdef bint wordish, prev_wordish
    cdef long long length, words, upper, letters, digits, symbols, titled, seps, commas
    cdef long long last, first, second, third, end
    cdef str text
    out_arr = np.zeros((n, 14), dtype=np.int64)
    cdef long long[:, ::1] out = out_arr
    for r in range(n):
        text = texts[r]
        size = len(text)
        if size == 0:
            return None
        kind = PyUnicode_KIND(text)
        data_ptr = PyUnicode_DATA(text)
        words = upper = letters = digits = symbols = titled = seps = commas = 0
        last = -1
        prev_wordish = False
        for i in range(size):
            c = PyUnicode_READ(kind, data_ptr, i)
            if c == 10:
                return None
            entry = table[c if c < <uint32_t>bmp else <uint32_t>bmp]
            cls = entry & 7
            if c >= 0x1F000:
                cls = 5  # symbol
            if cls == 1:
                upper += 1
            elif cls == 2:
                letters += 1
            elif cls == 3:
                digits += 1
            elif cls == 5:
                symbols += 1
            wordish = 1 <= cls <= 3
            if wordish and not prev_wordish:
                words += 1
                if cls == 1:
                    titled += 1
            prev_wordish = wordish
            if entry & 8:
                seps += 1
            if c == 44:
                commas += 1
            if not entry & 16 and cls != 6:
                last = c
        end = PyUnicode_READ(kind, data_ptr, size - 1)
        out[r, 0] = size
        out[r, 1] = words
        out[r, 2] = upper
        out[r, 3] = upper + letters
        out[r, 4] = digits
        out[r, 5] = symbols
        out[r, 6] = titled
        out[r, 7] = seps
        out[r, 8] = commas
        out[r, 9] = last if last >= 0 else end
        out[r, 10] = PyUnicode_READ(kind, data_ptr, 0)
        out[r, 11] = PyUnicode_READ(kind, data_ptr, 1) if size > 1 else 10
        out[r, 12] = PyUnicode_READ(kind, data_ptr, 2) if size > 2 else 10
        out[r, 13] = end
    return out_arr
