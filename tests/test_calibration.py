"""Calibration of the line model and decisions from its probabilities."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from classify.evaluate import expected_calibration_error, reliability
from classify.model import LineClassifier, ModelConfig, _page_article_f1
from classify.records import LABELS, Line, Page


def _split(train_samples: list) -> tuple[list, list]:  # type: ignore[type-arg]
    """Hand-written pages split by site: a third of the sites held out."""
    sites = sorted({s.page.site for s in train_samples})
    held = set(sites[2::3])
    return (
        [s for s in train_samples if s.page.site not in held],
        [s for s in train_samples if s.page.site in held],
    )


def _fit(samples: list, **config: object) -> LineClassifier:  # type: ignore[type-arg]
    cfg = ModelConfig(max_iter=50, **config)  # type: ignore[arg-type]
    return LineClassifier(config=cfg).fit(
        [s.page for s in samples], [s.labels for s in samples], page_weights=[3.0] * len(samples)
    )


def _gold(samples: list) -> np.ndarray:  # type: ignore[type-arg]
    return np.array([LABELS.index(label) for s in samples for label in s.labels])


@pytest.fixture(scope="module")
def calibrated(train_samples: list) -> LineClassifier:  # type: ignore[type-arg]
    return _fit(_split(train_samples)[0], article_bias=True)


def test_calibration_lowers_the_error_on_sites_not_trained_on(
    calibrated: LineClassifier,
    train_samples: list,  # type: ignore[type-arg]
) -> None:
    held = _split(train_samples)[1]
    pages = [s.page for s in held]
    gold = _gold(held)
    raw = expected_calibration_error(calibrated.uncalibrated().predict_proba(pages), gold)
    ece = expected_calibration_error(calibrated.predict_proba(pages), gold)
    assert raw > 0.03  # weighted training leaves the raw probabilities off
    assert ece < raw / 2
    report = calibrated.calibration_report_
    assert report["kind"] == "matrix"
    assert report["oof_ece_after"] < report["oof_ece_before"]
    assert report["oof_log_loss_after"] < report["oof_log_loss_before"]


def test_temperature_and_none(train_samples: list) -> None:  # type: ignore[type-arg]
    train, held = _split(train_samples)
    pages = [s.page for s in held]
    temp = _fit(train, calibration="temperature")
    coef = temp.calibration_coef_
    assert coef is not None and np.allclose(coef, np.eye(len(LABELS)) * coef[0, 0])
    none = _fit(train, calibration="none")
    assert none.calibration_coef_ is None
    # without calibration, the probabilities are the uncalibrated ones of the same fit
    assert np.array_equal(none.predict_proba(pages), temp.uncalibrated().predict_proba(pages))
    with pytest.raises(
        ValueError, match="calibration must be one of page, matrix, temperature, none"
    ):
        _fit(train, calibration="platt")


def test_calibration_is_deterministic_and_pickles(
    calibrated: LineClassifier,
    train_samples: list,  # type: ignore[type-arg]
) -> None:
    train, held = _split(train_samples)
    pages = [s.page for s in held]
    again = _fit(train, article_bias=True)
    assert np.array_equal(again.calibration_coef_, calibrated.calibration_coef_)  # type: ignore[arg-type]
    assert again.article_bias_ == calibrated.article_bias_
    assert np.array_equal(again.predict_proba(pages), calibrated.predict_proba(pages))
    loaded = pickle.loads(pickle.dumps(calibrated))
    assert np.array_equal(loaded.predict_proba(pages), calibrated.predict_proba(pages))
    assert loaded.article_bias_ == calibrated.article_bias_


def test_article_bias_moves_decisions_not_probabilities(calibrated: LineClassifier) -> None:
    proba = np.array([[0.4, 0.0, 0.6, 0.0], [0.1, 0.0, 0.0, 0.9]])
    model = calibrated.uncalibrated()
    assert model.decide(proba).tolist() == [2, 3]
    model.article_bias_ = 0.5  # exp(0.5) * 0.4 > 0.6, exp(0.5) * 0.1 < 0.9
    assert model.decide(proba).tolist() == [0, 3]
    assert proba[0, 0] == 0.4
    table = calibrated.calibration_report_["oof_page_f1_by_bias"]
    assert table[f"{calibrated.article_bias_:+.1f}"] == max(table.values())


def test_models_saved_before_calibration_still_predict(calibrated: LineClassifier) -> None:
    old = pickle.loads(pickle.dumps(calibrated))
    for name in ("calibration_coef_", "calibration_intercept_", "article_bias_"):
        del old.__dict__[name]
    page = Page(id="p", lines=(Line("A short line"), Line("Another line of text here.")))
    want = calibrated.uncalibrated().predict_proba([page])
    assert np.allclose(old.predict_proba([page]), want)
    assert old.predict([page]).tolist() == [LABELS[i].value for i in want.argmax(axis=1)]


def test_page_article_f1_follows_the_page_metric_conventions() -> None:
    page_of = np.array([0, 0, 1, 1, 2])
    tokens = np.array([10.0, 5.0, 4.0, 4.0, 3.0])
    gold = np.array([True, False, False, False, False])
    keep = np.array([True, True, False, False, True])
    # page 0: p 10/15, r 1; page 1: nothing either way, 1/1; page 2: kept junk, p 0, r 1
    p, r = (10 / 15 + 1 + 0) / 3, 1.0
    assert _page_article_f1(keep, gold, tokens, page_of, 3) == pytest.approx(2 * p * r / (p + r))


def test_reliability_table_bins_confidence_against_accuracy() -> None:
    proba = np.array([[0.55, 0.45, 0, 0]] * 4 + [[0.95, 0.05, 0, 0]] * 2)
    gold = np.array([0, 1, 0, 1, 0, 1])
    table = reliability(proba, gold)
    assert [(b.low, b.lines, b.accuracy) for b in table] == [
        (pytest.approx(0.5), 4, 0.5),
        (pytest.approx(0.9), 2, 0.5),
    ]
    assert expected_calibration_error(proba, gold) == pytest.approx((4 * 0.05 + 2 * 0.45) / 6)


def test_the_scorer_decides_with_the_models_article_bias(
    calibrated: LineClassifier,
    train_samples: list,  # type: ignore[type-arg]
) -> None:
    from classify.scorer import ScoreConfig, Scorer

    page = _split(train_samples)[1][0].page
    model = calibrated.uncalibrated()
    plain = Scorer(model, config=ScoreConfig(headlines=False)).score_page(page)
    assert {line.label.value for line in plain.lines} != {"article"}
    model.article_bias_ = 40.0  # every line's article probability wins
    biased = Scorer(model, config=ScoreConfig(headlines=False)).score_page(page)
    assert {line.label.value for line in biased.lines} == {"article"}
    assert [line.probabilities for line in biased.lines] == [
        line.probabilities for line in plain.lines
    ]
