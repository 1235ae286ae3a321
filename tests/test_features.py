from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from classify.features import (
    CONTAINER_NAMES,
    SHAPE_NAMES,
    FeatureConfig,
    LineFeaturizer,
    WordTfidf,
    _dom_block,
    _hashed_char_counts,
    _rows_at,
    _tfidf,
    coherence,
    container_block,
    shape_features,
    shift_rows,
    window_mean,
)
from classify.records import DomFacts, Line, Page
from classify.render import render_html


def _page(*texts: str, pid: str = "p", title: str | None = None) -> Page:
    return Page(id=pid, lines=tuple(Line(t) for t in texts), title=title)


def _col(name: str) -> int:
    return SHAPE_NAMES.index(name)


def test_shape_features_read_symbols_and_punctuation() -> None:
    texts = [
        "veryGood! (7483)",
        "- A headline here",
        "A full sentence ends here.",
        "1. Item",
        "© 2024 Example",
        "日本語のテキスト。",
        "😀",
    ]
    x = shape_features(texts)
    assert x.shape == (len(texts), len(SHAPE_NAMES))
    assert x[0, _col("ends_digit_paren")] == 1 and x[0, _col("digit_share")] == 4 / 16
    assert x[1, _col("bullet")] == 1 and x[3, _col("bullet")] == 1
    assert x[2, _col("ends_terminal")] == 1 and x[1, _col("ends_terminal")] == 0
    assert x[4, _col("copyright")] == 1
    assert x[5, _col("ends_terminal")] == 1
    assert x[6, _col("symbol_share")] == 1
    assert np.isfinite(x).all()


def test_word_tfidf_matches_rows_to_lines_and_keeps_one_char_tokens() -> None:
    texts = ["a b c", "b c", "x 1 a", "a"] * 3
    words = WordTfidf(min_df=1, max_features=100).fit(texts)
    m = words.transform(["a b", "zzz unknown", "1"])
    assert m.shape[0] == 3
    assert m[0].nnz == 2 and m[1].nnz == 0 and m[2].nnz == 1
    assert np.allclose(np.sqrt(m.multiply(m).sum(axis=1)).A.ravel(), [1, 0, 1])


def test_shift_and_window_stay_inside_each_page() -> None:
    values = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    page_of = np.array([0, 0, 0, 1, 1])
    assert shift_rows(values, page_of, 1).tolist() == [2, 3, 0, 20, 0]
    assert shift_rows(values, page_of, -1).tolist() == [0, 1, 2, 0, 10]
    assert window_mean(values, page_of, 1).tolist() == [2, 2, 2, 20, 10]


def test_coherence_is_high_for_on_topic_lines_and_zero_for_off_topic() -> None:
    story = "the council voted on the new bridge budget for the river crossing"
    texts = [
        story,
        story.replace("voted", "argued"),
        "bridge budget vote delayed by council",
        "celebrity wedding photos stun fans",
    ]
    words = WordTfidf(min_df=1, max_features=1000).fit(texts)
    m = words.transform(texts)
    coh = coherence(m, np.array([1.0, 1.0, 0.0, 0.0]), np.zeros(4, dtype=np.int64), 1)
    assert coh[2] > 0.15
    assert coh[3] == 0.0


def test_featurizer_one_row_per_line_and_rejects_a_lone_page() -> None:
    pages = [
        _page(
            "Home > News",
            "A story about the river bridge budget.",
            "Related",
            "Celebrity news today",
            pid="a",
            title="River bridge",
        ),
        _page("Another story about a bridge and a river vote.", pid="b"),
    ]
    featurizer = LineFeaturizer(config=FeatureConfig(word_min_df=1)).fit(pages)
    x = featurizer.transform(pages)
    assert x.shape[0] == 5
    assert x.shape[1] == featurizer.n_features_out_
    assert np.isfinite(x.data).all()
    with pytest.raises(TypeError, match="expected a sequence of Page records"):
        featurizer.transform(pages[0])  # type: ignore[arg-type]
    assert featurizer.transform([]).shape[0] == 0


def test_featurizer_is_deterministic() -> None:
    pages = [_page("Home", "Some text here for the body of a page.", pid=str(i)) for i in range(3)]
    a = LineFeaturizer(config=FeatureConfig(word_min_df=1)).fit(pages).transform(pages)
    b = LineFeaturizer(config=FeatureConfig(word_min_df=1)).fit(pages).transform(pages)
    assert (a != b).nnz == 0


def _reference_char_counts(
    texts: list[str], *, width: int, ngrams: tuple[int, ...], bits: int, seed: int
) -> np.ndarray:
    """The hashed n-gram counts written as the definition reads, one n-gram at a time."""
    mask = (1 << 64) - 1
    out = np.zeros((len(texts), 1 << bits))
    for i, text in enumerate(texts):
        codes = [ord(c) for c in text[:width]]
        codes = [c + 32 if 65 <= c <= 90 else 48 if 48 <= c <= 57 else c for c in codes]
        for k in ngrams:
            for j in range(len(codes) - k + 1):
                window = codes[j : j + k]
                if 0 in window:
                    continue
                h = seed * 7919 + k
                for c in window:
                    h = ((h ^ c) * 0x100000001B3) & mask
                out[i, ((h * 0x9E3779B97F4A7C15) & mask) >> (64 - bits)] += 1
    return out


@pytest.mark.parametrize(
    ("width", "ngrams", "bits", "seed"),
    [(32, (2, 3, 4), 17, 1), (13, (2, 3, 4), 17, 2), (5, (3,), 6, 3)],
)
def test_hashed_char_counts_match_the_one_ngram_at_a_time_definition(
    width: int, ngrams: tuple[int, ...], bits: int, seed: int
) -> None:
    texts = [
        "\x02Breaking: 24 dead in Paris (AFP)",
        "Home » News » World",
        "",
        "a",
        "aaaa aaaa aaaa",  # repeated n-grams count more than once
        "x\x00y z",  # a NUL breaks the n-grams across it
        "日本語のテキスト。😀 Ünïcödé",
        "A" * 80,
        "A" * 81,  # the same first ``width`` code points: counted once, rows equal
        "ab",
        "ab",  # rows of one n-gram each: the same bucket ends one row and starts the next
        "",  # empty rows at the end too
    ]
    got = _hashed_char_counts(texts, width=width, ngrams=ngrams, bits=bits, seed=seed)
    assert got.has_sorted_indices
    assert np.array_equal(
        got.toarray(),
        _reference_char_counts(texts, width=width, ngrams=ngrams, bits=bits, seed=seed),
    )


def test_word_counts_of_repeated_lines_match_counting_every_line() -> None:
    # each distinct line is tokenised once and its row copied; the rows must equal those of
    # one pass over every line
    words = WordTfidf(min_df=1, max_features=100).fit(["a b c", "b c d", "Σίσυφος ΣΑΣ"] * 2)
    for texts in (
        ["a b", "b c c", "a b", "zzz", "b c c", "ΣΑΣ a", "a b", "ΣΑΣ a"],
        ["a", "b"],
        [],
    ):
        every = words._counts_of("\n".join(texts), len(texts))
        got = words.counts(texts)
        assert got.shape == every.shape
        assert np.array_equal(got.indptr, every.indptr)
        assert np.array_equal(got.indices, every.indices)
        assert np.array_equal(got.data, every.data)


def test_coherence_matches_a_dense_computation_across_page_chunks() -> None:
    rng = np.random.default_rng(0)
    sizes = rng.integers(0, 6, size=150)  # more pages than one chunk, some empty
    page_of = np.repeat(np.arange(len(sizes)), sizes)
    n = len(page_of)
    dense = rng.random((n, 30)) * (rng.random((n, 30)) < 0.2)
    dense[::7] = 0.0  # lines without known words
    words = sp.csr_matrix(dense.astype(np.float32))
    weights = rng.random(n) * (rng.random(n) < 0.7)
    got = coherence(words, weights, page_of, len(sizes))
    x = words.toarray().astype(np.float64)
    want = np.zeros(n)
    for i in range(n):
        same = page_of == page_of[i]
        rest = (weights[same, None] * x[same]).sum(axis=0) - weights[i] * x[i]
        denom = np.linalg.norm(rest) * np.linalg.norm(x[i])
        want[i] = np.clip(rest @ x[i] / denom, 0.0, 1.0) if denom > 1e-9 else 0.0
    # float32 word norms and the centroid-minus-line algebra bound the agreement
    assert np.abs(got - want).max() < 1e-4
    assert want.max() > 0.5  # the pages do have coherent lines


def test_tfidf_and_row_placement_match_dense_formulas() -> None:
    rng = np.random.default_rng(2)
    counts = rng.integers(0, 4, size=(9, 12)).astype(np.float32)
    counts[3] = 0  # an empty row stays empty
    idf = (rng.random(12) + 1).astype(np.float32)
    got = _tfidf(sp.csr_matrix(counts), idf).toarray()
    tf = np.where(counts > 0, 1 + np.log(np.maximum(counts, 1)), 0) * idf
    norms = np.linalg.norm(tf, axis=1, keepdims=True)
    assert np.allclose(got, tf / np.where(norms > 0, norms, 1), atol=1e-6)
    placed = _rows_at(sp.csr_matrix(counts[[0, 2, 5]]), np.array([1, 4, 8]), 10).toarray()
    want = np.zeros((10, 12), dtype=np.float32)
    want[[1, 4, 8]] = counts[[0, 2, 5]]
    assert np.array_equal(placed, want)


def test_container_block_only_for_models_fitted_with_dom_facts() -> None:
    prose = "A story paragraph about the river bridge and its budget, with many words."
    html = (
        "<body><ul><li><a href=/>Home</a></li></ul>"
        f"<div class=story><p>{prose}</p><p>{prose}</p></div><footer>(c) site</footer></body>"
    )
    dom_page = render_html(html, id="h")
    text_pages = [_page("Home", prose, prose, "(c) site", pid="t")]
    block = container_block([*text_pages, dom_page])
    assert block.shape == (8, len(CONTAINER_NAMES))
    assert not block[:4].any()  # text lines: all zero
    col = CONTAINER_NAMES.index
    assert block[4:, col("before_main")].tolist() == [1, 0, 0, 0]
    assert block[4:, col("inside_main")].tolist() == [0, 1, 1, 0]
    assert block[4:, col("after_main")].tolist() == [0, 0, 0, 1]
    assert block[5, col("prose_block")] == 0.5 and block[5, col("prose_parent")] == 1.0
    # a text model has no container columns: its width is unchanged by this block
    cfg = FeatureConfig(word_min_df=1)
    text_model = LineFeaturizer(config=cfg).fit(text_pages)
    assert not text_model.container_
    assert text_model.transform([dom_page]).shape[1] == text_model.n_features_out_
    off = LineFeaturizer(config=FeatureConfig(word_min_df=1, container_block=False))
    on = LineFeaturizer(config=cfg)
    width_off = off.fit([dom_page, *text_pages]).n_features_out_
    assert on.fit([dom_page, *text_pages]).n_features_out_ == width_off + len(CONTAINER_NAMES)


def test_dom_block_matches_the_line_by_line_definition() -> None:
    rng = np.random.default_rng(3)
    shared = DomFacts(tag_path="body>ul>li", link_density=1.0, in_list=True, depth=3)
    facts: list[DomFacts | None] = [None, shared, shared]
    for _ in range(40):
        facts.append(
            None
            if rng.random() < 0.2
            else DomFacts(
                link_density=round(float(rng.random()), 4),
                in_chrome=bool(rng.random() < 0.5),
                in_list=bool(rng.random() < 0.5),
                in_heading=bool(rng.random() < 0.5),
                in_table=bool(rng.random() < 0.5),
                depth=int(rng.integers(0, 90)),
            )
        )
    want = np.zeros((len(facts), 7))
    for k, d in enumerate(facts):
        if d is not None:
            want[k] = (
                1.0,
                d.link_density,
                float(d.in_chrome),
                float(d.in_list),
                float(d.in_heading),
                float(d.in_table),
                min(d.depth, 40) / 40.0,
            )
    assert np.array_equal(_dom_block(facts), want)
    assert np.array_equal(_dom_block([None, None]), np.zeros((2, 7)))
    assert _dom_block([]).shape == (0, 7)
    assert np.array_equal(_dom_block([shared])[0], [1, 1, 0, 1, 0, 0, 3 / 40])


def test_coherence_is_the_same_with_a_wide_vocabulary() -> None:
    # few stored words for the vocabulary's width take the sorting path: same output
    rng = np.random.default_rng(4)
    sizes = rng.integers(1, 8, size=90)
    page_of = np.repeat(np.arange(len(sizes)), sizes)
    dense = (rng.random((len(page_of), 25)) < 0.3) * rng.random((len(page_of), 25))
    narrow = sp.csr_matrix(dense.astype(np.float32))
    wide = sp.csr_matrix(
        (narrow.data, narrow.indices * 997 + 5, narrow.indptr), shape=(len(page_of), 60_000)
    )
    weights = rng.random(len(page_of))
    want = coherence(narrow, weights, page_of, len(sizes))
    assert np.array_equal(coherence(wide, weights, page_of, len(sizes)), want)
    assert want.max() > 0.3


def test_shape_flags_stay_on_their_line_when_lowering_lengthens_text() -> None:
    # 'İ'.lower() is two code points: the flags must not slide onto later lines
    texts = ["İ" * 22, "see www.example.com", "x", "© 2026 Example", "y"]
    shape = shape_features(texts)
    url = shape[:, SHAPE_NAMES.index("urlish")]
    assert url.tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]
    alone = np.vstack([shape_features([t]) for t in texts])
    assert np.array_equal(shape, alone)  # a line's shape does not depend on its batch
