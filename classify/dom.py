"""DOM features: TF-IDF over a line's tag path and class/id tokens, as a sparse block.

:class:`DomFeaturizer` is a scikit-learn transformer with the same input as
:class:`~classify.features.LineFeaturizer` (a sequence of :class:`~classify.records.Page`)
and one output row per line, pages concatenated in order. Each line with
:class:`~classify.records.DomFacts` is turned into tokens:

* ``t:TAG`` for every tag of ``tag_path`` and ``leaf:TAG`` for the line's own block;
* ``p:A>B`` and ``p:A>B>C`` for the last two and three tags (``p:ul>li``, ``p:div>ul>li``);
* ``c:WORD`` for the first :data:`CLASS_TOKENS_DEFAULT` class/id tokens (nearest block
  first: ``c:sidebar``, ``c:related``, ``c:comment``, ``c:article``, ...).

Tokens are hashed (CRC-32, stable across processes) into ``2**bits`` columns; the value is
sublinear tf times idf learnt in :meth:`DomFeaturizer.fit`, rows L2-normalised. Lines
without DOM facts (text input) get all-zero rows. Lines mostly share a few distinct
(tag path, class tokens) pairs, so a fitted featurizer computes each pair's finished row
once and keeps it (up to :data:`_ROW_CACHE_DEFAULT` pairs; not pickled, forgotten on
``fit``): a page then costs a dict lookup per line and a few array operations. Rows are
computed on their own, so the output does not depend on what is cached or on batching.

The numeric DOM facts (link density, chrome/list/heading/table flags, depth) are not here:
:class:`~classify.features.LineFeaturizer` already has them in its dense block.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain, repeat
from typing import Any, TypeAlias

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from classify.records import DomFacts, Page

Matrix: TypeAlias = sp.csr_matrix

BITS_DEFAULT = 14
"""Hash buckets (2**14): a few thousand distinct tags, paths and class words per corpus."""
CLASS_TOKENS_DEFAULT = 12
"""Class/id tokens used per line: the nearest blocks' words carry the signal."""
PATH_NGRAMS_DEFAULT = (2, 3)
"""Suffixes of the tag path used as tokens besides single tags (``ul>li``, ``div>ul>li``)."""

_Key: TypeAlias = tuple[str, str]
_EMPTY_ROW = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))


def dom_tokens(
    facts: DomFacts,
    *,
    path_ngrams: Sequence[int] = PATH_NGRAMS_DEFAULT,
    class_tokens: int = CLASS_TOKENS_DEFAULT,
) -> list[str]:
    """The tokens of one line's DOM facts (see the module docstring)."""
    tags = [t for t in facts.tag_path.split(">") if t]
    out = [f"t:{t}" for t in tags]
    if tags:
        out.append(f"leaf:{tags[-1]}")
    for k in path_ngrams:
        if len(tags) >= k:
            out.append("p:" + ">".join(tags[-k:]))
    out.extend(f"c:{w}" for w in facts.class_tokens.split()[:class_tokens])
    return out


def _bucket(token: str, bits: int) -> int:
    return zlib.crc32(token.encode("utf-8")) & ((1 << bits) - 1)


_COLUMN_CACHE_DEFAULT = 1 << 16
"""Distinct (tag path, class tokens) pairs whose hashed columns are kept: a corpus has a few
tens of thousands."""
_ROW_CACHE_DEFAULT = 1 << 14
"""Distinct pairs whose finished rows a fitted featurizer keeps (cleared when full): a
few MB; a page has a few dozen pairs and common ones (``body>div>p``) recur across sites."""


@lru_cache(maxsize=_COLUMN_CACHE_DEFAULT)
def _cached_bucket(token: str, bits: int) -> int:
    return _bucket(token, bits)


@lru_cache(maxsize=_COLUMN_CACHE_DEFAULT)
def _path_columns(path: str, bits: int, path_ngrams: tuple[int, ...]) -> tuple[int, ...]:
    """The hashed columns of a tag path's tokens (``t:``, ``leaf:``, ``p:``), in token order."""
    tokens = dom_tokens(DomFacts(tag_path=path), path_ngrams=path_ngrams, class_tokens=0)
    return tuple(_cached_bucket(t, bits) for t in tokens)


@lru_cache(maxsize=_COLUMN_CACHE_DEFAULT)
def _class_column(word: str, bits: int) -> int:
    """The hashed column of one class/id token (``c:WORD``)."""
    return _bucket(f"c:{word}", bits)


@lru_cache(maxsize=_COLUMN_CACHE_DEFAULT)
def _columns(
    path: str, tokens: str, bits: int, path_ngrams: tuple[int, ...], class_tokens: int
) -> tuple[int, ...]:
    """The hashed column of every token of a (tag path, class tokens) pair, in token order
    (the columns of :func:`dom_tokens`' tokens). Pairs are mostly new on a new site, their
    paths and class words are not: each path's and each word's columns are cached alone."""
    words = tokens.split()[:class_tokens]
    return _path_columns(path, bits, path_ngrams) + tuple(
        map(_class_column, words, repeat(bits, len(words)))
    )


def _check_pages(pages: Sequence[Page]) -> None:
    if isinstance(pages, Page | str):
        raise TypeError("expected a sequence of Page records, got a single " + type(pages).__name__)
    for page in pages:
        if not isinstance(page, Page):
            raise TypeError(f"expected Page records, got {type(page).__name__}")


class DomFeaturizer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Hashed TF-IDF over tag-path and class/id tokens: one sparse row per line."""

    def __init__(
        self,
        *,
        bits: int = BITS_DEFAULT,
        path_ngrams: tuple[int, ...] = PATH_NGRAMS_DEFAULT,
        class_tokens: int = CLASS_TOKENS_DEFAULT,
    ) -> None:
        self.bits = bits
        self.path_ngrams = path_ngrams
        self.class_tokens = class_tokens

    def _unique(self, pages: Sequence[Page]) -> tuple[Matrix, np.ndarray, np.ndarray]:
        """Token counts of each distinct (tag path, class tokens) pair, each line's pair, and
        which lines have DOM facts. Row 0 of the counts is the empty row of lines without."""
        _check_pages(pages)
        index: dict[_Key, int] = {("", ""): 0}
        rows: list[int] = []
        has: list[bool] = []
        for page in pages:
            for line in page.lines:
                d = line.dom
                if d is None:
                    rows.append(0)
                    has.append(False)
                    continue
                key = (d.tag_path, d.class_tokens)
                row = index.get(key)
                if row is None:
                    row = index[key] = len(index)
                rows.append(row)
                has.append(True)
        u_rows: list[int] = []
        u_cols: list[int] = []
        bits, ngrams, n_tokens = self.bits, tuple(self.path_ngrams), self.class_tokens
        for (path, tokens), row in index.items():
            if row == 0:
                continue
            cols = _columns(path, tokens, bits, ngrams, n_tokens)
            u_rows.extend([row] * len(cols))
            u_cols.extend(cols)
        unique = sp.csr_matrix(
            (np.ones(len(u_rows), dtype=np.float32), (u_rows, u_cols)),
            shape=(len(index), 1 << self.bits),
            dtype=np.float32,
        )
        unique.sum_duplicates()
        return unique, np.asarray(rows, dtype=np.int64), np.asarray(has, dtype=bool)

    def fit(self, pages: Sequence[Page], y: Any = None) -> DomFeaturizer:
        """Learn the idf of every bucket over the lines that have DOM facts."""
        unique, rows, has = self._unique(pages)
        lines_per_row = np.bincount(rows, minlength=unique.shape[0]).astype(np.float64)
        df = np.bincount(
            unique.indices,
            weights=np.repeat(lines_per_row, np.diff(unique.indptr)),
            minlength=unique.shape[1],
        )
        n = int(has.sum())
        self.idf_: np.ndarray = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        self.n_features_out_ = unique.shape[1]
        self.__dict__.pop("_rows", None)  # rows of the previous fit
        return self

    def transform(self, pages: Sequence[Page]) -> Matrix:
        """One L2-normalised row per line (all zeros for lines without DOM facts).

        Each distinct (tag path, class tokens) pair's row is computed once and kept (see
        :data:`_ROW_CACHE_DEFAULT`); rows are computed alone, so the result does not depend
        on what is cached.
        """
        if not hasattr(self, "idf_"):
            raise ValueError("DomFeaturizer is not fitted: call fit(pages) first")
        if 1 << self.bits != len(self.idf_):
            raise ValueError(
                f"fitted with {len(self.idf_)} columns, bits now give {1 << self.bits}"
            )
        _check_pages(pages)
        params = (self.bits, tuple(self.path_ngrams), self.class_tokens)
        cache: dict[_Key, tuple[np.ndarray, np.ndarray]] | None = self.__dict__.get("_rows")
        # the cache is not an estimator attribute (not in __init__, not pickled)
        if (
            cache is None
            or self.__dict__.get("_rows_params") != params
            or (len(cache) > _ROW_CACHE_DEFAULT)
        ):
            cache = {}
            self._rows: dict[_Key, tuple[np.ndarray, np.ndarray]] = cache
            self._rows_params = params
        # lines share DomFacts objects (the renderer makes one per distinct facts): find
        # each line's object with C-level maps over ids, then look at each object once
        facts = [line.dom for page in pages for line in page.lines]
        ids = list(map(id, facts))
        objects = dict(zip(ids, facts, strict=True))  # distinct objects, first seen first
        where = dict(zip(objects, range(len(objects)), strict=True))
        of_line = np.fromiter(map(where.__getitem__, ids), dtype=np.int64, count=len(ids))
        keys = [None if d is None else (d.tag_path, d.class_tokens) for d in objects.values()]
        missing = list(dict.fromkeys(k for k in keys if k is not None and k not in cache))
        if missing:
            self._fill(cache, missing)
        unique: dict[_Key | None, int] = {None: 0}
        object_rows = np.fromiter(
            (unique.setdefault(k, len(unique)) for k in keys), dtype=np.int64, count=len(keys)
        )
        line_rows = object_rows[of_line]
        found = [_EMPTY_ROW] + [cache[k] for k in unique if k is not None]
        u_len = np.fromiter((len(r[0]) for r in found), dtype=np.int64, count=len(found))
        u_start = np.zeros(len(found), dtype=np.int64)
        np.cumsum(u_len[:-1], out=u_start[1:])
        u_indices = np.concatenate([r[0] for r in found])
        u_data = np.concatenate([r[1] for r in found])
        lens = u_len[line_rows]
        indptr = np.zeros(len(facts) + 1, dtype=np.int32)
        np.cumsum(lens, out=indptr[1:])
        at = np.repeat(u_start[line_rows] - indptr[:-1], lens) + np.arange(indptr[-1])
        result: Matrix = sp.csr_matrix(
            (u_data[at], u_indices[at], indptr), shape=(len(facts), len(self.idf_))
        )
        return result

    def _fill(self, cache: dict[_Key, tuple[np.ndarray, np.ndarray]], keys: list[_Key]) -> None:
        """Compute the finished rows of ``keys`` into ``cache``: token counts, sublinear tf
        times idf, L2-normalised (float32)."""
        bits, ngrams, n_tokens = self.bits, tuple(self.path_ngrams), self.class_tokens
        cols = [_columns(path, tokens, bits, ngrams, n_tokens) for path, tokens in keys]
        rows = np.repeat(np.arange(len(keys), dtype=np.int64), [len(c) for c in cols])
        flat = np.fromiter(chain.from_iterable(cols), dtype=np.int64, count=len(rows))
        codes, counts = np.unique((rows << bits) | flat, return_counts=True)
        row_of = codes >> bits
        indices = (codes & ((1 << bits) - 1)).astype(np.int32)
        data = (1.0 + np.log(counts.astype(np.float32))) * self.idf_[indices]
        lens = np.bincount(row_of, minlength=len(keys))
        indptr = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(lens, out=indptr[1:])
        squares = sp.csr_matrix(
            (data * data, indices, indptr), shape=(len(keys), len(self.idf_))
        )  # summed by scipy, as before rows were cached: the same float32 rounding
        norms = np.sqrt(np.asarray(squares.sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        data /= np.repeat(norms, lens).astype(np.float32)
        for row, key in enumerate(keys):
            start, end = indptr[row], indptr[row + 1]
            cache[key] = (indices[start:end], data[start:end])

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("_rows", None)  # a cache, rebuilt on use
        state.pop("_rows_params", None)
        return state
