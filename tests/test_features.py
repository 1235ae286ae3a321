from __future__ import annotations

import numpy as np
import pytest

from classify.features import (
    SHAPE_NAMES,
    FeatureConfig,
    LineFeaturizer,
    WordTfidf,
    coherence,
    shape_features,
    shift_rows,
    window_mean,
)
from classify.records import Line, Page


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
