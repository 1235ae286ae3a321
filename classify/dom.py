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
without DOM facts (text input) get all-zero rows. Lines of a page mostly share a few
distinct (tag path, class tokens) pairs, so each distinct pair is featurised once per batch
and its row reused.

The numeric DOM facts (link density, chrome/list/heading/table flags, depth) are not here:
:class:`~classify.features.LineFeaturizer` already has them in its dense block.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
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
        for (path, tokens), row in index.items():
            if row == 0:
                continue
            facts = DomFacts(tag_path=path, class_tokens=tokens)
            for token in dom_tokens(
                facts, path_ngrams=self.path_ngrams, class_tokens=self.class_tokens
            ):
                u_rows.append(row)
                u_cols.append(_bucket(token, self.bits))
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
        return self

    def transform(self, pages: Sequence[Page]) -> Matrix:
        """One L2-normalised row per line (all zeros for lines without DOM facts)."""
        if not hasattr(self, "idf_"):
            raise ValueError("DomFeaturizer is not fitted: call fit(pages) first")
        unique, rows, _ = self._unique(pages)
        if unique.shape[1] != len(self.idf_):
            raise ValueError(
                f"fitted with {len(self.idf_)} columns, bits now give {unique.shape[1]}"
            )
        m = unique.copy()
        m.data = (1.0 + np.log(m.data)) * self.idf_[m.indices]
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        m.data /= np.repeat(norms, np.diff(m.indptr)).astype(np.float32)
        result: Matrix = m[rows].tocsr()
        return result
