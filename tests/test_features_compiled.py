"""The compiled word counting (classify/_features.pyx) against the regex counting."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from classify import features
from classify.features import WordTfidf

pytestmark = pytest.mark.skipif(
    not features.COMPILED, reason="classify._features is not built (no C compiler at install)"
)

_TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "the THE The tHe",
    "snake_case and __dunder__ words_",
    "İstanbul ß Straße STRASSE ǅungla",  # lowering lengthens 'İ'
    "numbers 123 ² ³ Ⅻ ٣٤ ١٢٣ x\u0301y",  # digits, numerics, a combining mark
    "emoji 😀 between words😀here",
    "tabs\tand\x0bvertical\x0cfeeds",
    "",
    "-- ... !!! ???",
    "日本語のテキスト 中文 한국어",
    "repeat repeat repeat word",
]


@pytest.fixture(scope="module")
def vocabulary() -> WordTfidf:
    return WordTfidf(min_df=1, max_features=10_000).fit(_TEXTS * 2)


def _same(a: object, b: object) -> bool:
    return bool(
        np.array_equal(a.indptr, b.indptr)  # type: ignore[attr-defined]
        and np.array_equal(a.indices, b.indices)  # type: ignore[attr-defined]
        and np.array_equal(a.data, b.data)  # type: ignore[attr-defined]
    )


def test_compiled_counts_equal_the_regex_counts(vocabulary: WordTfidf) -> None:
    texts = [*_TEXTS, "unknown words only zzzqqq", "the " * 500, "fox"]
    compiled = vocabulary.counts(texts)
    assert compiled.nnz > 40
    assert _same(compiled, vocabulary.counts(texts, compiled=False))
    # repeated texts go through the distinct-text path
    again = texts + texts[::-1]
    assert _same(vocabulary.counts(again), vocabulary.counts(again, compiled=False))


def test_compiled_counts_on_random_unicode(vocabulary: WordTfidf) -> None:
    rng = np.random.default_rng(0)
    alphabet = [*"abc xyz_İßǅ٣²😀\t.-", "the", "fox", "dog"]
    texts = ["".join(rng.choice(alphabet, size=int(rng.integers(0, 40)))) for _ in range(500)]
    assert _same(vocabulary.counts(texts), vocabulary.counts(texts, compiled=False))


def test_table_is_not_pickled(vocabulary: WordTfidf) -> None:
    vocabulary.counts(["the fox"])
    assert "_table_cache" in vocabulary.__dict__
    loaded = pickle.loads(pickle.dumps(vocabulary))
    assert "_table_cache" not in loaded.__dict__
    assert _same(loaded.counts(_TEXTS), vocabulary.counts(_TEXTS, compiled=False))


@pytest.mark.parametrize(
    ("width", "ngrams", "bits", "seed"),
    [(32, (2, 3, 4), 17, 1), (13, (2, 3, 4), 17, 2), (24, (3,), 12, 3), (2, (2, 3, 4), 10, 1)],
)
def test_compiled_char_ngrams_equal_the_numpy_ones(
    width: int, ngrams: tuple[int, ...], bits: int, seed: int
) -> None:
    rng = np.random.default_rng(width)
    alphabet = [*"abcXYZ019 _İß٣😀\t.-\x00\x02"]
    texts = [
        *_TEXTS,
        *("".join(rng.choice(alphabet, size=int(rng.integers(0, 60)))) for _ in range(300)),
    ]
    args = {"width": width, "ngrams": ngrams, "bits": bits, "seed": seed}
    counted = features._compiled.char_ngram_counts(texts, width, ngrams, bits, seed)
    compiled = features.sp.csr_matrix(counted, shape=(len(texts), 1 << bits))
    assert compiled.nnz > 300
    assert _same(compiled, features._char_counts_of(texts, **args))  # type: ignore[arg-type]


def test_compiled_marked_prefix_suffix_and_header_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    from classify.records import Line, Page

    texts = [t for t in _TEXTS if t] + ["Related", "A headline under the header", "x" * 50]
    pages = [Page(id="a", lines=tuple(Line(t) for t in texts)), Page(id="b", lines=(Line("B"),))]
    featurizer = features.LineFeaturizer()
    batch = features._flatten(pages)
    shape = features.shape_features(batch.texts)
    compiled = featurizer._char_counts(batch, shape)
    monkeypatch.setattr(features, "_compiled", None)  # the numpy counting of the strings
    python = featurizer._char_counts(batch, shape)
    assert min(m.nnz for m in compiled) > 100  # the header block too
    for a, b in zip(compiled, python, strict=True):
        assert _same(a.tocsr(), b.tocsr())


def test_compiled_shape_counts_equal_the_numpy_ones() -> None:
    rng = np.random.default_rng(3)
    alphabet = [*"aZ9 ,.:)(-•|»“”'İß٣²😀\t", "\ud800", "http://", "© 2026", "rights reserved"]
    texts = [t for t in _TEXTS if t] + ["1.", "2)", "12.", "x", "ab", "Σ", "ΣΑΣ end"]
    texts += ["".join(rng.choice(alphabet, size=int(rng.integers(1, 30)))) for _ in range(500)]
    compiled = features.shape_features(texts)
    assert np.array_equal(compiled, features.shape_features(texts, compiled=False))
    assert compiled[:, 2].sum() > 10 and compiled[:, 11].sum() > 10  # terminal, copyright
    # a text the compiled pass does not take (a line break) goes to the numpy path
    assert features._compiled.shape_counts(["a\nb"], features._CHAR_TABLE, features._BMP) is None
