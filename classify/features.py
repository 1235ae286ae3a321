"""Line features: what the linear model sees of each line, its page and its neighbours.

:class:`LineFeaturizer` is a scikit-learn transformer whose input is a sequence of
:class:`~classify.records.Page` and whose output is one sparse row per line (pages
concatenated in order). It stacks these blocks:

* **words** -- TF-IDF over the line's word unigrams (one-character tokens kept);
* **char prefix / suffix** -- TF-IDF over hashed character 2-4-grams of the first 32 and the
  last 12 characters, digits folded to ``0``. Symbols carry signal (``veryGood! (7483)``,
  ``» | Next ›``) and the ends of a line say most about its kind. The n-grams are computed
  with numpy over a fixed-width code-point array, so the cost does not depend on Python
  loops over characters;
* **header** -- hashed character n-grams of the section header above the line (the nearest
  previous short line without terminal punctuation): a list under "Related" is junk
  whatever it says;
* **dense** -- shape (length, words, terminal punctuation, capitals, digits, symbols,
  bullets), position in the page, the same shape of the neighbouring lines, repetition in the
  page, topical coherence (cosine of the line's words with the page's long lines, itself
  excluded: an off-topic headline shares no words with the story), similarity to the
  document title, DOM facts when the page came from HTML, and site-template recurrence when
  a template index is given.

The classifier adds a second, context block from first-stage probabilities of the
neighbouring lines (see :mod:`classify.model`).
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise, repeat
from typing import Any, TypeAlias

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer

from classify.dom import DomFeaturizer
from classify.records import CLOSERS, TERMINAL_PUNCT, DomFacts, Page

Matrix: TypeAlias = sp.csr_matrix

WORD_TEXT_CHARS_DEFAULT = 2000  # longer lines add nothing to their word features but cost
BULLETS = frozenset("-*•·▪►▶→»>–—◦●■□✓✔➤")
SEPARATORS = frozenset("|»›>/·•:")
HEADER_MAX_WORDS_DEFAULT = 5  # "Related", "Most read this week": short and unpunctuated
HEADER_MAX_LOOKBACK_DEFAULT = 40  # a header governs the list below it, not the whole page
BODY_MIN_WORDS_DEFAULT = 12  # lines this long make up the page's body for topical coherence


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """What the featurizer computes. Defaults were chosen on the by-site held-out split."""

    word_min_df: int = 3
    word_max_features: int = 60_000
    prefix_chars: int = 32
    suffix_chars: int = 12
    char_ngrams: tuple[int, ...] = (2, 3, 4)
    char_bits: int = 17
    header_bits: int = 12
    body_min_words: int = BODY_MIN_WORDS_DEFAULT
    dom_block: bool = True
    """Add tag-path/class TF-IDF (:class:`~classify.dom.DomFeaturizer`) when the training
    pages carry DOM facts (pages rendered from HTML)."""
    container_block: bool = True
    """Add the container columns (:func:`container_block`) when the training pages carry
    DOM facts."""


def _take_rows(matrix: Matrix, rows: np.ndarray) -> Matrix:
    """The CSR rows ``rows`` of ``matrix`` in that order (each row's entries as stored)."""
    lengths = np.diff(matrix.indptr)[rows]
    indptr = np.zeros(len(rows) + 1, dtype=matrix.indptr.dtype)
    np.cumsum(lengths, out=indptr[1:])
    at = np.repeat(matrix.indptr[rows] - indptr[:-1], lengths) + np.arange(indptr[-1])
    return sp.csr_matrix(
        (matrix.data[at], matrix.indices[at], indptr), shape=(len(rows), matrix.shape[1])
    )


def _distinct(texts: Sequence[str]) -> tuple[list[str], np.ndarray] | None:
    """The distinct texts (first seen first) and each text's index among them; None when
    all are distinct."""
    first = dict.fromkeys(texts)
    if len(first) == len(texts):
        return None
    where = dict(zip(first, range(len(first)), strict=True))
    of_text = np.fromiter(map(where.__getitem__, texts), dtype=np.int64, count=len(texts))
    return list(first), of_text


def _hashed_char_counts(
    texts: Sequence[str], *, width: int, ngrams: tuple[int, ...], bits: int, seed: int
) -> Matrix:
    """Counts of hashed character n-grams of each text (first ``width`` code points).

    Texts are lowercased for ASCII letters and their digits folded to ``0``; a start marker
    is part of the text given by the caller. Returns a CSR matrix of shape (len, 2**bits)
    with sorted indices.

    Rows depend on their text alone, so each distinct text (of its first ``width`` code
    points) is counted once: menus and link lists repeat across a batch's pages.
    """
    distinct = _distinct([t[:width] for t in texts])
    if distinct is None:
        return _char_counts_of(texts, width=width, ngrams=ngrams, bits=bits, seed=seed)
    unique, of_text = distinct
    counts = _char_counts_of(unique, width=width, ngrams=ngrams, bits=bits, seed=seed)
    return _take_rows(counts, of_text)


def _char_counts_of(
    texts: Sequence[str], *, width: int, ngrams: tuple[int, ...], bits: int, seed: int
) -> Matrix:
    """:func:`_hashed_char_counts` of every text, repeated or not.

    All n-grams of a line go in one row of a buckets table (missing ones get a bucket past
    the last), each row is sorted, and runs of equal buckets become counts: no Python loop
    over lines and no global sort. (With the compiled kernels, :meth:`LineFeaturizer.
    _char_counts` counts in classify/_features.pyx instead: the same counts.)
    """
    n = len(texts)
    if n == 0:
        return sp.csr_matrix((0, 1 << bits), dtype=np.float32)
    raw = np.array(texts, dtype=f"<U{width}").view(np.uint32).reshape(n, width)
    valid = raw != 0
    codes = raw.astype(np.uint64)
    codes[(raw >= 65) & (raw <= 90)] += np.uint64(32)
    codes[(raw >= 48) & (raw <= 57)] = 48
    mult = np.uint64(0x100000001B3)
    mix = np.uint64(0x9E3779B97F4A7C15)
    shift = np.uint64(64 - bits)
    missing = 1 << bits
    spans = [width - k + 1 for k in ngrams if k <= width]
    buckets = np.empty((n, sum(spans)), dtype=np.uint32)
    at = 0
    for k in ngrams:
        if k > width:
            continue
        span = width - k + 1
        h = np.full((n, span), np.uint64(seed * 7919 + k), dtype=np.uint64)
        ok = valid[:, :span].copy()
        for j in range(k):
            np.bitwise_xor(h, codes[:, j : j + span], out=h)
            np.multiply(h, mult, out=h)
            ok &= valid[:, j : j + span]
        np.multiply(h, mix, out=h)
        np.right_shift(h, shift, out=h)
        buckets[:, at : at + span] = np.where(ok, h, missing)
        at += span
    buckets.sort(axis=1)
    present = buckets < missing
    per_row = present.sum(axis=1)
    flat = buckets[present]  # row by row, each row's buckets sorted
    first = np.ones(len(flat), dtype=bool)  # first of a run of equal buckets in a row
    first[1:] = flat[1:] != flat[:-1]
    row_starts = np.cumsum(per_row) - per_row
    first[row_starts[per_row > 0]] = True
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, len(flat))).astype(np.float32)
    columns = flat[starts].astype(np.int32)
    seen = np.zeros(len(flat) + 1, dtype=np.int32)  # runs started before each position
    np.cumsum(first, out=seen[1:])
    indptr = np.zeros(n + 1, dtype=np.int32)
    indptr[1:] = seen[row_starts + per_row]
    return sp.csr_matrix((counts, columns, indptr), shape=(n, 1 << bits))


def _tfidf(counts: Matrix, idf: np.ndarray) -> Matrix:
    """Sublinear tf times idf, rows L2-normalised (a new matrix).

    Norms are float32 sums of squares in each row's stored order (``np.add.reduceat``),
    exactly as the models were trained with: the linear weights are large enough that a
    difference in the last bit would show in the probabilities.
    """
    data = (1.0 + np.log(counts.data)) * idf[counts.indices]
    lengths = np.diff(counts.indptr)
    filled = np.flatnonzero(lengths)
    norms = np.zeros(counts.shape[0], dtype=data.dtype)
    if len(filled):
        norms[filled] = np.add.reduceat(data * data, counts.indptr[filled])
    norms = np.sqrt(norms)
    norms[norms == 0] = 1.0
    data /= np.repeat(norms, lengths)
    return sp.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)


def _rows_at(rows: Matrix, at: np.ndarray, n: int) -> Matrix:
    """An ``n``-row matrix holding ``rows`` at the (increasing) row numbers ``at``, empty
    rows elsewhere."""
    lengths = np.zeros(n, dtype=np.int64)
    lengths[at] = np.diff(rows.indptr)
    indptr = np.zeros(n + 1, dtype=rows.indptr.dtype)
    np.cumsum(lengths, out=indptr[1:])
    return sp.csr_matrix((rows.data, rows.indices, indptr), shape=(n, rows.shape[1]))


def _idf(counts: Matrix) -> np.ndarray:
    df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
    n = counts.shape[0]
    idf: np.ndarray = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    return idf


_TOKENS_AND_BREAKS = re.compile(r"\w+|\n")
try:
    from classify import _features as _compiled
except ImportError:  # built without a C compiler: the regex counting, same counts
    _compiled = None  # type: ignore[assignment]
COMPILED = _compiled is not None
"""The compiled counting kernels (classify/_features.pyx: words, character n-grams, shape
counts) are built and used."""
_BREAK = -2  # id of the line break token in WordTfidf lookups


class WordTfidf:
    """Word unigram TF-IDF with one regex pass over a whole batch of lines.

    The vocabulary (words in at least ``min_df`` lines, the ``max_features`` most frequent)
    is learnt once; ``transform`` tokenises all lines joined by newlines in a single
    ``findall`` and maps tokens to columns with C-level ``map``, so its cost is a few tens of
    nanoseconds per token instead of a Python loop per line.
    """

    def __init__(self, *, min_df: int, max_features: int) -> None:
        self.min_df = min_df
        self.max_features = max_features

    def fit(self, texts: Sequence[str]) -> WordTfidf:
        counter = CountVectorizer(
            token_pattern=r"(?u)\b\w+\b",
            min_df=self.min_df,
            max_features=self.max_features,
            binary=True,
            dtype=np.float32,
        )
        counts = counter.fit_transform(texts)
        self.vocabulary_: dict[str, int] = {k: int(v) for k, v in counter.vocabulary_.items()}
        df = np.asarray(counts.sum(axis=0)).ravel()
        self.idf_ = (np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0).astype(np.float32)
        return self

    def counts(self, texts: Sequence[str], *, compiled: bool = True) -> Matrix:
        """Word counts of each text, each distinct text counted once (rows depend on their
        text alone when no text holds a line break). ``compiled``: count with
        classify/_features.pyx when it is built (:data:`COMPILED`; the same counts)."""
        distinct = _distinct(texts)
        if distinct is not None:
            unique, of_text = distinct
            joined = "\n".join(unique)
            if joined.count("\n") == len(unique) - 1:
                return _take_rows(self._counts_of(joined, len(unique), compiled), of_text)
        return self._counts_of("\n".join(texts), len(texts), compiled)

    def _counts_of(self, joined: str, n: int, compiled: bool = True) -> Matrix:
        """Word counts of the ``n`` lines of ``joined`` (texts joined by line breaks)."""
        width = len(self.idf_)
        if _compiled is not None and compiled:
            data, indices, indptr = _compiled.word_counts(joined.lower(), self._table(), n)
            return sp.csr_matrix((data, indices, indptr), shape=(n, width))
        tokens = _TOKENS_AND_BREAKS.findall(joined.lower())
        ids = np.fromiter(
            map(self._lookup().get, tokens, repeat(-1)), dtype=np.int64, count=len(tokens)
        )
        breaks = ids == _BREAK
        rows = np.cumsum(breaks) - breaks
        known = ids >= 0
        cells, counts = np.unique(rows[known] * width + ids[known], return_counts=True)
        indptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(cells // width, minlength=n), out=indptr[1:])
        columns = (cells % width).astype(np.int32)
        return sp.csr_matrix((counts.astype(np.float32), columns, indptr), shape=(n, width))

    def _lookup(self) -> dict[str, int]:
        """The vocabulary plus the line break token (built on first use, not pickled)."""
        lookup: dict[str, int] | None = self.__dict__.get("_lookup_cache")
        if lookup is None:
            lookup = {**self.vocabulary_, "\n": _BREAK}
            self.__dict__["_lookup_cache"] = lookup
        return lookup

    def _table(self) -> _compiled.Vocabulary:
        """The vocabulary as the compiled counting's table (built on first use, not
        pickled)."""
        table: _compiled.Vocabulary | None = self.__dict__.get("_table_cache")
        if table is None:
            table = self.__dict__["_table_cache"] = _compiled.Vocabulary(self.vocabulary_)
        return table

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_lookup_cache", None)
        state.pop("_table_cache", None)
        return state

    def transform(self, texts: Sequence[str]) -> Matrix:
        return _tfidf(self.counts(texts), self.idf_)


# Character classes for the vectorised shape features.
_C_OTHER, _C_UPPER, _C_LOWER, _C_DIGIT, _C_SPACE, _C_SYMBOL, _C_SEP = range(7)
_LUT_SIZE = 0x3000


def _class_table() -> np.ndarray:
    table = np.full(_LUT_SIZE, _C_LOWER, dtype=np.uint8)  # other scripts count as letters
    for code in range(128):
        ch = chr(code)
        if ch.isupper():
            table[code] = _C_UPPER
        elif ch.islower():
            table[code] = _C_LOWER
        elif ch.isdigit():
            table[code] = _C_DIGIT
        elif ch.isspace():
            table[code] = _C_SPACE
        elif ch == "_":
            table[code] = _C_LOWER
        else:
            table[code] = _C_SYMBOL
    for code in range(128, _LUT_SIZE):
        ch = chr(code)
        if ch.isupper():
            table[code] = _C_UPPER
        elif ch.isdigit():
            table[code] = _C_DIGIT
        elif ch.isspace():
            table[code] = _C_SPACE
        elif not ch.isalpha():
            table[code] = _C_SYMBOL
    table[ord("\n")] = _C_SEP
    return table


_CLASS_TABLE = _class_table()  # read-only lookup table, built once at import


def _code_set(chars: str) -> np.ndarray:
    return np.array(sorted(ord(c) for c in chars), dtype=np.uint32)


_BMP = 0x10000
_CLASS_BITS, _FLAG_SEPARATOR, _FLAG_CLOSER = 0x07, 0x08, 0x10


def _char_table() -> np.ndarray:
    """Per code point below ``_BMP`` (and one entry for all above): the character class in
    the low bits, and flags for separators and closing marks. Past ``_LUT_SIZE`` everything
    is a letter (emoji are fixed up by the caller)."""
    table = np.full(_BMP + 1, _C_LOWER, dtype=np.uint8)
    table[:_LUT_SIZE] = _CLASS_TABLE
    table[_code_set("".join(SEPARATORS))] |= _FLAG_SEPARATOR
    table[_code_set(CLOSERS)] |= _FLAG_CLOSER
    return table


_TERMINAL_CODES = _code_set("".join(TERMINAL_PUNCT))
_BULLET_CODES = _code_set("".join(BULLETS))
_CHAR_TABLE = _char_table()  # read-only, built once at import


def _lines_containing(text: str, needles: Sequence[str], starts: np.ndarray) -> np.ndarray:
    """Which lines (starting at ``starts`` in ``text``) contain any of ``needles``."""
    hits: list[int] = []
    for needle in needles:
        at = text.find(needle)
        while at >= 0:
            hits.append(at)
            at = text.find(needle, at + 1)
    out = np.zeros(len(starts), dtype=bool)
    if hits:
        out[np.searchsorted(starts, np.asarray(hits), side="right") - 1] = True
    return out


def shape_features(texts: Sequence[str], *, compiled: bool = True) -> np.ndarray:
    """Shape of each line (see :data:`SHAPE_NAMES`): per-line counts from one pass over the
    characters (classify/_features.pyx when built and ``compiled``, else vectorised over
    all characters in numpy: the same counts), then the columns in numpy.

    Lines must be non-empty and contain no newline (as :class:`Line` texts are).
    """
    n = len(texts)
    if n == 0:
        return np.zeros((0, N_SHAPE))
    joined = "\n".join(texts) + "\n"
    counts = None
    if _compiled is not None and compiled:
        counts = _compiled.shape_counts(list(texts), _CHAR_TABLE, _BMP)
    if counts is None:
        counts = _shape_counts(texts, joined)
    (
        lengths,
        n_words,
        upper,
        letters,
        digits,
        symbols,
        titled,
        separators,
        commas,
        last,
        first,
        second,
        third,
        end,
    ) = counts.T
    is_digit = (first >= 48) & (first <= 57)
    dot_paren = np.isin(second, _code_set(".)")) | (
        (second >= 48) & (second <= 57) & np.isin(third, _code_set(".)"))
    )
    starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])
    lowered = joined.lower()
    low_starts = starts
    if len(lowered) != len(joined):  # lowering lengthens a few characters ('İ' -> 'i̇')
        low_lengths = np.fromiter((len(t.lower()) for t in texts), dtype=np.int64, count=n)
        low_starts = np.concatenate([[0], np.cumsum(low_lengths + 1)[:-1]])
    flags = _lines_containing(lowered, ("©", "copyright", "rights reserved"), low_starts)
    flags_url = _lines_containing(lowered, ("http://", "https://", "www.", ".com"), low_starts)
    safe_words = np.maximum(n_words, 1)
    out = np.column_stack(
        [
            np.log1p(lengths) / 7.0,
            np.log1p(n_words) / 5.0,
            np.isin(last, _TERMINAL_CODES),
            last == ord(":"),
            ((last >= 48) & (last <= 57)) | (end == ord(")")),
            np.isin(first, _BULLET_CODES) | (is_digit & dot_paren),
            upper / np.maximum(letters, 1),
            digits / lengths,
            symbols / lengths,
            titled / safe_words,
            separators > 0,
            flags,
            n_words < 4,
            np.where(n_words > 0, np.minimum(lengths / safe_words, 20.0) / 10.0, 0.0),
            flags_url,
            _CLASS_TABLE[np.minimum(first, _LUT_SIZE - 1)] == _C_UPPER,
            commas > 0,
        ]
    ).astype(np.float64)
    return out


def _shape_counts(texts: Sequence[str], joined: str) -> np.ndarray:
    """The per-line counts of :func:`shape_features` in numpy (columns as
    ``_features.shape_counts``): every character's class from one table lookup, summed per
    line with ``reduceat``."""
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])
    ends = starts + lengths  # index of each line's newline
    entry = _CHAR_TABLE[np.minimum(codes, _BMP)]
    cls = entry & _CLASS_BITS
    if len(codes) and codes.max() >= 0x1F000:  # emoji and pictographs are symbols
        cls[codes >= 0x1F000] = _C_SYMBOL

    def per_line(mask: np.ndarray) -> np.ndarray:
        return np.add.reduceat(mask, starts, dtype=np.int64)

    upper = per_line(cls == _C_UPPER)
    letters = upper + per_line(cls == _C_LOWER)
    wordish = cls <= _C_DIGIT
    wordish &= cls != _C_OTHER
    word_start = wordish.copy()
    word_start[1:] &= ~wordish[:-1]
    idx = np.arange(len(codes))
    keep = ((entry & _FLAG_CLOSER) == 0) & (cls != _C_SEP)
    last_idx = np.maximum.reduceat(np.where(keep, idx, -1), starts)
    has_last = last_idx >= starts
    return np.column_stack(
        [
            lengths,
            per_line(word_start),
            upper,
            letters,
            per_line(cls == _C_DIGIT),
            per_line(cls == _C_SYMBOL),
            per_line(word_start & (cls == _C_UPPER)),
            per_line((entry & _FLAG_SEPARATOR) != 0),
            per_line(codes == ord(",")),
            np.where(has_last, codes[np.maximum(last_idx, 0)], codes[ends - 1]),
            codes[starts],
            codes[np.minimum(starts + 1, ends)],
            codes[np.minimum(starts + 2, ends)],
            codes[ends - 1],
        ]
    ).astype(np.int64)


SHAPE_NAMES = (
    "log_chars",
    "log_words",
    "ends_terminal",
    "ends_colon",
    "ends_digit_paren",
    "bullet",
    "upper_share",
    "digit_share",
    "symbol_share",
    "titlecase_share",
    "has_separator",
    "copyright",
    "under_4_words",
    "mean_word_len",
    "urlish",
    "starts_upper",
    "has_comma",
)
N_SHAPE = len(SHAPE_NAMES)
_LOG_WORDS = SHAPE_NAMES.index("log_words")
_TERMINAL = SHAPE_NAMES.index("ends_terminal")


@dataclass(frozen=True, slots=True)
class Recurrence:
    """Site-template facts of one page: per line, the share of the site's other pages that
    carry it, and how many other pages the site has (see :mod:`classify.template`)."""

    shares: np.ndarray
    site_pages: int


N_RECURRENCE = 7


def _recurrence_block(recurrence: Sequence[Recurrence | None] | None, batch: _Batch) -> np.ndarray:
    n = len(batch.texts)
    out = np.zeros((n, N_RECURRENCE))
    if recurrence is None:
        return out
    if len(recurrence) != len(batch.pages):
        raise ValueError(f"{len(recurrence)} recurrence records for {len(batch.pages)} pages")
    shares = np.zeros(n)
    pages = np.zeros(n)
    for p, rec in enumerate(recurrence):
        if rec is None or rec.site_pages <= 0:
            continue
        start = int(batch.starts[p])
        size = len(batch.pages[p].lines)
        if len(rec.shares) != size:
            raise ValueError(f"page {batch.pages[p].id!r}: {len(rec.shares)} shares, {size} lines")
        shares[start : start + size] = rec.shares
        pages[start : start + size] = rec.site_pages
    known = pages > 0
    out[:, 0] = shares
    out[:, 1] = (shares >= 0.5) & (pages >= 4)
    out[:, 2] = np.log1p(pages) / 7.0
    out[:, 3] = known
    out[:, 4] = shift_rows(shares, batch.page_of, -1)
    out[:, 5] = shift_rows(shares, batch.page_of, 1)
    out[:, 6] = window_mean(shares, batch.page_of, 3)
    return out


CONTAINER_NAMES = (
    "no_prose_page",
    "before_main",
    "inside_main",
    "after_main",
    "prose_block",
    "prose_parent",
    "sqrt_prose_parent",
    "prose_up3",
    "parent_prose_density",
    "main_share",
    "main_link_density",
    "inside_main_link_density",
    "before_main_share",
    "after_main_share",
)


def _fact_columns(
    facts: Sequence[DomFacts | None], names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Per line: whether it has DOM facts, and the named fields as columns (zeros for lines
    without facts). Lines share :class:`DomFacts` objects (the renderer makes one per
    distinct facts), so each distinct object is read once, one C-level pass per field
    (``attrgetter``), and its row copied to its lines."""
    n = len(facts)
    ids = list(map(id, facts))
    objects = dict(zip(ids, facts, strict=True))  # distinct objects, first seen first
    where = dict(zip(objects, range(len(objects)), strict=True))
    of_line = np.fromiter(map(where.__getitem__, ids), dtype=np.int64, count=n)
    distinct = list(objects.values())
    has = np.fromiter(map(operator.is_not, distinct, repeat(None)), dtype=bool, count=len(distinct))
    rows = np.zeros((len(distinct), len(names)))
    present = distinct if has.all() else [d for d in distinct if d is not None]
    m = len(present)
    if m:
        for j, name in enumerate(names):
            rows[has, j] = np.fromiter(map(operator.attrgetter(name), present), np.float64, m)
    return has[of_line], rows[of_line]


def _line_facts(pages: Sequence[Page]) -> list[DomFacts | None]:
    return [line.dom for page in pages for line in page.lines]


def main_container(pages: Sequence[Page]) -> tuple[np.ndarray, np.ndarray]:
    """Each line's ``DomFacts.main_position`` and ``main_share`` (0 without DOM facts),
    pages concatenated."""
    _, cols = _fact_columns(_line_facts(pages), ("main_position", "main_share"))
    return cols[:, 0].astype(np.int64), cols[:, 1]


_CONTAINER_FIELDS = (
    "main_position",
    "prose_block",
    "prose_parent",
    "prose_up3",
    "parent_prose_density",
    "main_share",
    "main_link_density",
)


def container_block(pages: Sequence[Page]) -> np.ndarray:
    """Columns :data:`CONTAINER_NAMES`: where each line sits relative to the page's main
    prose container (see :func:`classify.render.container_facts`); zero without DOM facts."""
    has, fields = _fact_columns(_line_facts(pages), _CONTAINER_FIELDS)
    out = np.zeros((len(has), len(CONTAINER_NAMES)))
    if not len(has):
        return out
    position, block, parent, up3, density, share, links = fields.T
    inside = position == 2
    out[:, 0] = has & (position == 0)
    out[:, 1] = position == 1
    out[:, 2] = inside
    out[:, 3] = position == 3
    out[:, 4] = block
    out[:, 5] = parent
    out[:, 6] = np.sqrt(parent)
    out[:, 7] = up3
    out[:, 8] = density
    out[:, 9] = share
    out[:, 10] = links
    out[:, 11] = inside * links
    # a main container holding most of the prose speaks louder than one holding just half
    out[:, 12] = (position == 1) * share
    out[:, 13] = (position == 3) * share
    return out


@dataclass(frozen=True, slots=True)
class _Batch:
    """Lines of a batch of pages, flattened, with where each page starts."""

    texts: list[str]
    page_of: np.ndarray
    starts: np.ndarray
    pages: Sequence[Page]


def _flatten(pages: Sequence[Page]) -> _Batch:
    if isinstance(pages, Page | str):
        raise TypeError("expected a sequence of Page records, got a single " + type(pages).__name__)
    texts: list[str] = []
    sizes = []
    for page in pages:
        if not isinstance(page, Page):
            raise TypeError(f"expected Page records, got {type(page).__name__}")
        texts.extend(line.text for line in page.lines)
        sizes.append(len(page.lines))
    sizes_arr = np.asarray(sizes, dtype=np.int64)
    page_of = np.repeat(np.arange(len(sizes_arr)), sizes_arr)
    starts = np.concatenate([[0], np.cumsum(sizes_arr)[:-1]]) if len(sizes_arr) else sizes_arr
    return _Batch(texts=texts, page_of=page_of, starts=starts, pages=pages)


def shift_rows(values: np.ndarray, page_of: np.ndarray, offset: int) -> np.ndarray:
    """``values`` of the line ``offset`` away in the same page (zeros past the page's ends)."""
    n = len(values)
    out = np.zeros_like(values)
    if n == 0 or abs(offset) >= n:
        return out
    if offset > 0:
        same = page_of[offset:] == page_of[:-offset]
        out[:-offset][same] = values[offset:][same]
    elif offset < 0:
        k = -offset
        same = page_of[:-k] == page_of[k:]
        out[k:][same] = values[:-k][same]
    return out


def window_mean(values: np.ndarray, page_of: np.ndarray, radius: int) -> np.ndarray:
    """Mean of ``values`` over the lines within ``radius`` in the same page, the line excluded."""
    n = len(values)
    if n == 0:
        return np.zeros_like(values, dtype=np.float64)
    vals = values.astype(np.float64)
    idx = np.arange(n)
    starts = np.r_[True, page_of[1:] != page_of[:-1]]
    first = np.maximum.accumulate(np.where(starts, idx, 0))
    ends = np.r_[page_of[1:] != page_of[:-1], True]
    last = np.minimum.accumulate(np.where(ends, idx, n - 1)[::-1])[::-1]
    lo = np.maximum(idx - radius, first)
    hi = np.minimum(idx + radius, last)
    cum = np.concatenate([np.zeros((1, *vals.shape[1:])), np.cumsum(vals, axis=0)])
    total = cum[hi + 1] - cum[lo] - vals
    count = (hi - lo).astype(np.float64)
    count[count == 0] = 1.0
    out: np.ndarray = total / (count[:, None] if vals.ndim == 2 else count)
    return out


def page_mean(values: np.ndarray, page_of: np.ndarray, n_pages: int) -> np.ndarray:
    """Each line gets the mean of ``values`` over its page."""
    sizes = np.bincount(page_of, minlength=n_pages).astype(np.float64)
    sizes[sizes == 0] = 1.0
    out: np.ndarray
    if values.ndim == 2:  # per column: bincount adds in the same order as np.add.at, faster
        table = np.column_stack(
            [np.bincount(page_of, weights=col, minlength=n_pages) for col in values.T]
        ).reshape(n_pages, values.shape[1])
        out = (table / sizes[:, None])[page_of]
    else:
        out = (np.bincount(page_of, weights=values, minlength=n_pages) / sizes)[page_of]
    return out


COHERENCE_CHUNK_PAGES_DEFAULT = 64  # bounds the pages x words table to one chunk's pages
_RANK_BY_SORT_DEFAULT = 16
"""A chunk with fewer stored words than the vocabulary over this ranks them by sorting them
(one page scored alone) rather than by counting flags over the whole vocabulary."""


def coherence(words: Matrix, weights: np.ndarray, page_of: np.ndarray, n_pages: int) -> np.ndarray:
    """Cosine of each line's word vector with its page's weighted centroid, itself excluded.

    Lines must come grouped by page (``page_of`` non-decreasing). Centroids are summed into a
    dense pages x words table over the words present in a chunk of pages, so each line's dot
    product with its own page's centroid costs one lookup per stored word.
    """
    n = words.shape[0]
    if n == 0:
        return np.zeros(0)
    weights = np.asarray(weights, dtype=np.float64)
    counts = np.diff(words.indptr)
    rows = np.repeat(np.arange(n), counts)
    vals = words.data.astype(np.float64)
    cols = words.indices
    cent_norm2 = np.zeros(n_pages)
    dots = np.zeros(n)
    bounds = np.searchsorted(page_of, np.arange(0, n_pages + 1, COHERENCE_CHUNK_PAGES_DEFAULT))
    bounds = np.append(bounds, n)
    for lo, hi in pairwise(bounds):
        if hi <= lo:
            continue
        first = int(page_of[lo])
        chunk_pages = int(page_of[hi - 1]) + 1 - first
        a, b = words.indptr[lo], words.indptr[hi]
        r, c = rows[a:b], cols[a:b]
        # dense column of each word present in the chunk: its rank among them
        if len(c) * _RANK_BY_SORT_DEFAULT < words.shape[1]:  # few words: sort them
            present, rank = np.unique(c, return_inverse=True)
            width = len(present)
        else:  # a flag per vocabulary word, counted
            flags = np.zeros(words.shape[1], dtype=bool)
            flags[c] = True
            column = np.cumsum(flags) - 1
            width = int(column[-1]) + 1 if len(column) else 0
            rank = column[c]
        cell = (page_of[r] - first) * width + rank
        cent = np.bincount(cell, weights=weights[r] * vals[a:b], minlength=chunk_pages * width)
        table = cent.reshape(chunk_pages, width)
        cent_norm2[first : first + chunk_pages] = (table**2).sum(axis=1)
        dots[lo:hi] = np.bincount(r - lo, weights=vals[a:b] * cent[cell], minlength=hi - lo)
    self_norm2 = np.zeros(n, dtype=words.dtype)  # float32 row sums, as words.multiply(words)
    filled = np.flatnonzero(counts)
    if len(filled):
        self_norm2[filled] = np.add.reduceat(words.data * words.data, words.indptr[filled])
    rest_norm2 = cent_norm2[page_of] - 2 * weights * dots + weights**2 * self_norm2
    rest_dot = dots - weights * self_norm2
    denom = np.sqrt(np.clip(rest_norm2, 0.0, None)) * np.sqrt(self_norm2)
    out = np.zeros(n)
    ok = denom > 1e-9
    out[ok] = rest_dot[ok] / denom[ok]
    return np.clip(out, 0.0, 1.0)


def relative_to_body(
    values: np.ndarray, body: np.ndarray, page_of: np.ndarray, n_pages: int
) -> np.ndarray:
    """``values`` over the page's mean value on its body lines (``body`` weights), in [0, 2].

    Coherence depends on the page (vocabulary, length); relative to the body it says "as
    on-topic as the story" (about 1) or "off-topic" (near 0) on any page.
    """
    if len(values) == 0:
        return np.zeros(0)
    weight = np.bincount(page_of, weights=body, minlength=n_pages)
    total = np.bincount(page_of, weights=body * values, minlength=n_pages)
    mean = np.where(weight > 0, total / np.maximum(weight, 1e-12), 0.0)[page_of]
    out: np.ndarray = np.where(mean > 1e-6, np.clip(values / np.maximum(mean, 1e-6), 0, 2), 0.0)
    return out


def _segment_ids(page_of: np.ndarray, mask: np.ndarray, lookback: int) -> np.ndarray:
    """Index of the nearest earlier line with ``mask`` in the same page (within lookback), or -1."""
    n = len(mask)
    idx = np.arange(n)
    marked = np.where(mask, idx, -1)
    prev = np.empty(n, dtype=np.int64)
    prev[0:1] = -1
    if n > 1:
        prev[1:] = np.maximum.accumulate(marked)[:-1]
    ok = (prev >= 0) & (idx - prev <= lookback)
    ok[ok] &= page_of[prev[ok]] == page_of[ok]
    return np.where(ok, prev, -1)


_DOM_FIELDS = ("link_density", "in_chrome", "in_list", "in_heading", "in_table", "depth")


def _dom_block(facts: Sequence[DomFacts | None]) -> np.ndarray:
    """Dense DOM columns of each line: has facts, link density, in chrome / list / heading /
    table, depth (capped at 40, over 40); zeros for lines without facts."""
    has, fields = _fact_columns(facts, _DOM_FIELDS)
    fields[:, -1] = np.minimum(fields[:, -1], 40.0) / 40.0
    return np.column_stack([has.astype(np.float64), fields])


class LineFeaturizer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Turn pages into one feature row per line (see the module docstring)."""

    def __init__(self, *, config: FeatureConfig | None = None) -> None:
        self.config = config

    @property
    def config_(self) -> FeatureConfig:
        return self.config or FeatureConfig()

    def fit(self, pages: Sequence[Page], y: Any = None) -> LineFeaturizer:
        cfg = self.config_
        batch = _flatten(pages)
        if not batch.texts:
            raise ValueError("cannot fit on pages without lines")
        self.words_ = WordTfidf(min_df=cfg.word_min_df, max_features=cfg.word_max_features)
        self.words_.fit([t[:WORD_TEXT_CHARS_DEFAULT] for t in batch.texts])
        prefix, suffix, header = self._char_counts(batch, shape_features(batch.texts))
        self.prefix_idf_ = _idf(prefix)
        self.suffix_idf_ = _idf(suffix)
        self.header_idf_ = _idf(header)
        has_dom = any(line.dom is not None for page in pages for line in page.lines)
        self.dom_: DomFeaturizer | None = (
            DomFeaturizer().fit(pages) if cfg.dom_block and has_dom else None
        )
        self.container_ = bool(cfg.container_block and has_dom)
        self.n_features_out_ = self.transform(pages[:1]).shape[1]
        return self

    def _char_counts(self, batch: _Batch, shape: np.ndarray) -> tuple[Matrix, Matrix, Matrix]:
        if _compiled is not None:
            return self._char_counts_compiled(batch, shape)
        cfg = self.config_
        texts = batch.texts
        prefix = _hashed_char_counts(
            ["\x02" + t for t in texts],
            width=cfg.prefix_chars,
            ngrams=cfg.char_ngrams,
            bits=cfg.char_bits,
            seed=1,
        )
        suffix = _hashed_char_counts(
            [t[-cfg.suffix_chars :] + "\x03" for t in texts],
            width=cfg.suffix_chars + 1,
            ngrams=cfg.char_ngrams,
            bits=cfg.char_bits,
            seed=2,
        )
        header_of = self.header_index(batch, shape)
        has = np.flatnonzero(header_of >= 0)
        # hash each header line once; its lines share its counts row
        heads, which = np.unique(header_of[has], return_inverse=True)
        counts = _hashed_char_counts(
            ["\x02" + texts[j] for j in heads.tolist()],
            width=24,
            ngrams=(3,),
            bits=cfg.header_bits,
            seed=3,
        )
        header = _rows_at(counts[which], has, len(texts))
        return prefix, suffix, header

    def _char_counts_compiled(
        self, batch: _Batch, shape: np.ndarray
    ) -> tuple[Matrix, Matrix, Matrix]:
        """:meth:`_char_counts` by classify/_features.pyx, which reads the marked prefix and
        suffix of each line in place (the same counts; tests/test_features_compiled.py)."""
        assert _compiled is not None
        cfg = self.config_
        texts = list(batch.texts)
        n = len(texts)
        width = 1 << cfg.char_bits
        prefix = _compiled.char_ngram_counts(
            texts, cfg.prefix_chars, cfg.char_ngrams, cfg.char_bits, 1, lead=2
        )
        suffix = _compiled.char_ngram_counts(
            texts,
            cfg.suffix_chars + 1,
            cfg.char_ngrams,
            cfg.char_bits,
            2,
            trail=3,
            last=cfg.suffix_chars,
        )
        header_of = self.header_index(batch, shape)
        has = np.flatnonzero(header_of >= 0)
        heads, which = np.unique(header_of[has], return_inverse=True)
        counts = sp.csr_matrix(
            _compiled.char_ngram_counts(
                [texts[j] for j in heads.tolist()], 24, (3,), cfg.header_bits, 3, lead=2
            ),
            shape=(len(heads), 1 << cfg.header_bits),
        )
        return (
            sp.csr_matrix(prefix, shape=(n, width)),
            sp.csr_matrix(suffix, shape=(n, width)),
            _rows_at(counts[which], has, n),
        )

    @staticmethod
    def header_index(batch: _Batch, shape: np.ndarray) -> np.ndarray:
        """Index of each line's section header: the nearest earlier short unpunctuated line."""
        words = np.expm1(shape[:, _LOG_WORDS] * 5.0).round()
        terminal = shape[:, _TERMINAL] > 0
        mask = (words >= 1) & (words <= HEADER_MAX_WORDS_DEFAULT) & ~terminal
        return _segment_ids(batch.page_of, mask, HEADER_MAX_LOOKBACK_DEFAULT)

    def transform(
        self, pages: Sequence[Page], recurrence: Sequence[Recurrence | None] | None = None
    ) -> Matrix:
        return self.transform_parts(pages, recurrence)[0]

    def transform_parts(
        self, pages: Sequence[Page], recurrence: Sequence[Recurrence | None] | None = None
    ) -> tuple[Matrix, Matrix, _Batch]:
        """Features, the word TF-IDF block alone (for context), and the flattened batch."""
        blocks, words, batch = self.transform_blocks(pages, recurrence)
        features = sp.hstack(
            [sp.csr_matrix(b) if isinstance(b, np.ndarray) else b for b in blocks],
            format="csr",
            dtype=np.float32,
        )
        return features, words, batch

    def transform_blocks(
        self, pages: Sequence[Page], recurrence: Sequence[Recurrence | None] | None = None
    ) -> tuple[list[Matrix | np.ndarray], Matrix, _Batch]:
        """The feature blocks in column order (sparse matrices, dense float32 arrays), the word
        TF-IDF block and the flattened batch. Stacked, the blocks are :meth:`transform`'s rows;
        a linear model can also score them block by block without building that matrix."""
        batch = _flatten(pages)
        words = self.words_.transform([t[:WORD_TEXT_CHARS_DEFAULT] for t in batch.texts])
        shape = shape_features(batch.texts)
        prefix, suffix, header = self._char_counts(batch, shape)
        dense = np.hstack([self._dense(batch, words, shape), _recurrence_block(recurrence, batch)])
        blocks: list[Matrix | np.ndarray] = [
            words,
            _tfidf(prefix, self.prefix_idf_),
            _tfidf(suffix, self.suffix_idf_),
            _tfidf(header, self.header_idf_),
            dense.astype(np.float32),
        ]
        dom = getattr(self, "dom_", None)  # models pickled before this block have none
        if dom is not None:
            blocks.append(dom.transform(pages))
        if getattr(self, "container_", False):  # models pickled before this block have none
            blocks.append(container_block(pages).astype(np.float32))
        return blocks, words, batch

    def _dense(self, batch: _Batch, words: Matrix, shape: np.ndarray) -> np.ndarray:
        cfg = self.config_
        texts = batch.texts
        n = len(texts)
        n_pages = len(batch.pages)
        page_of = batch.page_of
        sizes = np.bincount(page_of, minlength=n_pages) if n else np.zeros(n_pages, np.int64)
        pos = np.arange(n) - batch.starts[page_of] if n else np.zeros(0, np.int64)
        size = sizes[page_of].astype(np.float64)
        rel = pos / np.maximum(size - 1, 1)
        n_words = np.diff(words.indptr).astype(np.float64)  # TF-IDF weights are all > 0
        long_line = (n_words >= cfg.body_min_words).astype(np.float64)
        coh = coherence(words, long_line * np.minimum(n_words, 60.0), page_of, n_pages)
        coh_all = coherence(words, np.ones(n), page_of, n_pages)
        coh_rel = relative_to_body(coh, long_line, page_of, n_pages)
        chars = np.fromiter(map(len, texts), dtype=np.float64, count=n)
        max_chars = np.zeros(n_pages)
        np.maximum.at(max_chars, page_of, chars)
        keys = list(zip(page_of.tolist(), texts, strict=True))  # (page, text)
        counter = Counter(keys)
        repeats = np.fromiter(map(counter.__getitem__, keys), dtype=np.float64, count=n)
        title_sim = np.zeros(n)
        has_title = np.zeros(n)
        titled = [p for p, page in enumerate(batch.pages) if page.title]
        if titled:
            tvec = self.words_.transform(
                [(batch.pages[p].title or "").replace("\n", " ") for p in titled]
            )
            place = sp.csr_matrix(
                (np.ones(len(titled), dtype=np.float32), (titled, np.arange(len(titled)))),
                shape=(n_pages, len(titled)),
            )
            tmat = (place @ tvec).tocsr()
            title_sim = np.asarray(words.multiply(tmat[page_of]).sum(axis=1)).ravel()
            has_title = np.isin(page_of, titled).astype(np.float64)
        dom = _dom_block([line.dom for page in batch.pages for line in page.lines])
        blocks = [
            shape,
            shift_rows(shape, page_of, -1),
            shift_rows(shape, page_of, 1),
            window_mean(shape[:, :3], page_of, 3),
            np.column_stack(
                [
                    rel,
                    pos == 0,
                    pos == size - 1,
                    np.log1p(size) / 7.0,
                    np.log1p(pos) / 7.0,
                    np.log1p(size - 1 - pos) / 7.0,
                    coh,
                    coh_all,
                    np.sqrt(coh),
                    coh_rel,
                    coh_rel < 0.35,
                    long_line,
                    page_mean(long_line, page_of, n_pages),
                    chars / np.maximum(max_chars[page_of], 1.0),
                    np.log1p(repeats - 1),
                    title_sim,
                    has_title,
                ]
            ),
            dom,
        ]
        return np.hstack([np.asarray(b, dtype=np.float64).reshape(n, b.shape[-1]) for b in blocks])
