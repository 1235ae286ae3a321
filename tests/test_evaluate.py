from __future__ import annotations

import numpy as np
import pytest

from classify.evaluate import (
    ArticleF1,
    LineReport,
    PageScore,
    c4_keep,
    ccnet_keep,
    dedup_key,
    expected_calibration_error,
    page_score,
    shingles,
)
from classify.records import Label


def test_shingles_are_word_4grams_and_short_text_is_one_shingle() -> None:
    assert sum(shingles("one two three four five").values()) == 2
    assert shingles("Two words") == {("two", "words"): 1}
    assert shingles("  ") == {}


def test_page_score_counts_multiset_overlap() -> None:
    gold = "the cat sat on the mat today"
    assert page_score(gold, gold) == PageScore(1.0, 1.0)
    half = page_score("the cat sat on the", gold)
    assert half.precision == 1.0
    assert half.recall == pytest.approx(2 / 4)
    junk = page_score(gold + "\nbuy cheap crypto coins now", gold)
    assert junk.recall == 1.0
    assert junk.precision == pytest.approx(4 / 9)  # shingles run across lines


def test_page_score_empty_cases() -> None:
    assert page_score("", "") == PageScore(1.0, 1.0)
    assert page_score("", "some gold text here") == PageScore(1.0, 0.0)
    assert page_score("some kept text here", "") == PageScore(0.0, 1.0)


def test_article_f1_is_from_mean_precision_and_recall() -> None:
    f1 = ArticleF1.of([PageScore(1.0, 0.5), PageScore(0.5, 1.0)])
    assert f1.precision == 0.75 and f1.recall == 0.75
    assert f1.f1 == pytest.approx(0.75)


def test_c4_rule() -> None:
    assert c4_keep("This is a sentence.")
    assert not c4_keep("Two words.")
    assert not c4_keep("A headline without a full stop")
    assert c4_keep('He said "it is done."')


def test_dedup_key_is_ccnet_normalisation() -> None:
    # case, digits, Unicode punctuation and control characters do not count; ASCII does
    assert dedup_key("Share: 318") == dedup_key("  share: 742 ")
    assert dedup_key("«Top stories» — today") == dedup_key("Top stories  today")
    assert dedup_key("Tab\there") == dedup_key("Tabhere")
    assert dedup_key("Top stories.") != dedup_key("Top stories")
    assert dedup_key("Top stories") != dedup_key("Top story")
    assert len(dedup_key("x")) == 8


def test_ccnet_keep_drops_every_copy_after_the_first() -> None:
    pages = [
        ["Home | News", "Rain fell on the valley.", "Share: 12"],
        ["HOME | NEWS", "Snow fell on the hills.", "Share: 40", "Snow fell on the hills."],
        [],
        ["Rain fell on the valley.", "A new line."],
    ]
    assert ccnet_keep(pages) == [
        [True, True, True],
        [False, True, False, False],
        [],
        [False, True],
    ]
    backwards = ccnet_keep(reversed(pages))  # the order is the shard's
    assert backwards[0] == [True, True] and backwards[-1] == [False, False, False]


def test_line_report_per_label() -> None:
    gold = [Label.ARTICLE, Label.ARTICLE, Label.LINK, Label.BOILERPLATE]
    pred = [Label.ARTICLE, Label.LINK, Label.LINK, Label.BOILERPLATE]
    report = LineReport.of(gold, pred)
    p, r, _, n = report.prf(Label.ARTICLE)
    assert (p, r, n) == (1.0, 0.5, 2)
    assert report.prf(Label.LINK)[:2] == (0.5, 1.0)
    assert report.accuracy == 0.75
    assert "confusion" in report.format()


def test_calibration_error_is_zero_when_confidence_matches_accuracy() -> None:
    proba = np.array([[0.5, 0.5, 0, 0]] * 4 + [[1.0, 0, 0, 0]] * 2)
    gold = np.array([0, 1, 0, 1, 0, 0])
    assert expected_calibration_error(proba, gold) == pytest.approx(0.0)
    assert expected_calibration_error(np.array([[1.0, 0, 0, 0]]), np.array([1])) == 1.0
