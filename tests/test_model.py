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
