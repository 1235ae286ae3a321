from __future__ import annotations

import numpy as np
import pytest

from classify.model import LineClassifier, ModelConfig
from classify.records import LABELS, Label, Line, Page


def test_probabilities_cover_every_label_and_sum_to_one(
    small_model: LineClassifier, train_samples: list
) -> None:
    pages = [s.page for s in train_samples[:3]]
    proba = small_model.predict_proba(pages)
    assert proba.shape == (sum(len(p.lines) for p in pages), len(LABELS))
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert list(small_model.classes_) == [label.value for label in LABELS]


def test_fit_fits_its_training_data(small_model: LineClassifier, train_samples: list) -> None:
    gold = [label.value for s in train_samples for label in s.labels]
    predicted = small_model.predict([s.page for s in train_samples])
    assert np.mean(predicted == np.array(gold)) > 0.9


def test_training_is_deterministic(train_samples: list) -> None:
    few = train_samples[:12]
    config = ModelConfig(folds=2, max_iter=50)
    a = LineClassifier(config=config).fit([s.page for s in few], [s.labels for s in few])
    b = LineClassifier(config=config).fit([s.page for s in few], [s.labels for s in few])
    pages = [s.page for s in train_samples[12:15]]
    assert np.array_equal(a.predict_proba(pages), b.predict_proba(pages))


def test_fit_validates_its_input() -> None:
    page = Page(id="p", lines=(Line("a"), Line("b")))
    model = LineClassifier()
    with pytest.raises(ValueError, match="1 pages but 2 label sequences"):
        model.fit([page], [[Label.ARTICLE, Label.LINK], [Label.LINK]])
    with pytest.raises(ValueError, match="2 lines but 1 labels"):
        model.fit([page], [[Label.ARTICLE]])
    with pytest.raises(ValueError, match="no lines labelled: title, boilerplate"):
        model.fit([page], [[Label.ARTICLE, Label.LINK]])
    with pytest.raises(TypeError, match="sequence of pages"):
        model.fit(page, [[Label.ARTICLE, Label.LINK]])  # type: ignore[arg-type]


def test_empty_pages_score_to_no_rows(small_model: LineClassifier) -> None:
    assert small_model.predict_proba([Page(id="e", lines=())]).shape == (0, len(LABELS))


def _batch(*pages: list[str]):  # type: ignore[no-untyped-def]
    from classify.features import _flatten

    return _flatten([Page(id=f"p{i}", lines=tuple(map(Line, p))) for i, p in enumerate(pages)])


def test_runs_and_distances_stay_inside_their_page() -> None:
    from classify.model import _distance_to, _runs

    mask = np.array([True, True, False, True, True])
    page_of = np.array([0, 0, 0, 0, 1])
    assert _runs(mask, page_of).tolist() == [0, 0, 1, 2, 3]
    above, below = _distance_to(mask, page_of, far=9)
    assert above.tolist() == [9, 1, 1, 2, 9]
    assert below.tolist() == [1, 2, 1, 9, 9]


def test_title_found_again_inside_a_glued_breadcrumb() -> None:
    from classify.model import LAYOUT_NAMES, layout

    story = "The council approved the new budget after a long debate on Tuesday night."
    headline = "Council approves budget after long debate"
    batch = _batch(["Home > Local" + headline + " - Site", headline, "Share", story, story])
    n_words = np.array([len(t.split()) for t in batch.texts], dtype=float)
    lay = layout(batch, n_words, 1)
    assert lay.features.shape == (5, len(LAYOUT_NAMES))
    column = dict(zip(LAYOUT_NAMES, lay.features.T, strict=True))
    assert column["inside_longer_top_line"].tolist() == [0, 1, 0, 0, 0]  # the title
    assert column["holds_top_line"].tolist() == [1, 0, 0, 0, 0]  # the glued breadcrumb
    assert column["under_3_words"].tolist() == [0, 0, 1, 0, 0]


def test_headline_runs_after_the_story_are_measured() -> None:
    from classify.model import LAYOUT_NAMES, STRUCTURE_NAMES, _structure_block, layout

    story = "The council approved the new budget after a long debate on Tuesday night."
    lines = [
        story,
        story,
        "Most read",
        "Singer wins award at gala night",
        "Stocks fall as rates rise",
        "Team signs new coach for next season",
    ]
    batch = _batch(lines)
    n_words = np.array([len(t.split()) for t in lines], dtype=float)
    lay = layout(batch, n_words, 1)
    column = dict(zip(LAYOUT_NAMES, lay.features.T, strict=True))
    assert column["prose_after"][3:].tolist() == [0, 0, 0]  # no prose below the list
    run_len = np.expm1(column["headline_run"] * 3.0).round()
    assert run_len.tolist() == [0, 0, 0, 3, 3, 3]
    proba = np.tile([0.9, 0.0, 0.1, 0.0], (6, 1))
    coh = np.array([1.0, 1.0, 0.0, 0.0, 0.2, 0.1])
    block = _structure_block(lay, proba, coh, batch.page_of)
    stage2 = dict(zip(STRUCTURE_NAMES, block.T, strict=True))
    assert np.allclose(stage2["headline_run_coherence"], [0, 0, 0, 0.1, 0.1, 0.1])
    assert np.allclose(stage2["article_in_list_outside_prose"], [0, 0, 0, 0.9, 0.9, 0.9])
