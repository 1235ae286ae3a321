"""The shipped default model on the seed page (never trained on) and its sidecar."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from classify.persist import sidecar_path
from classify.records import Label, Line, Page
from classify.samples import read_tsv
from classify.scorer import DEFAULT_MODEL, ScoreConfig, Scorer

from .conftest import SEED, SEED_LABELS


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer.load()


@pytest.fixture(scope="module")
def seed_result(scorer: Scorer):  # type: ignore[no-untyped-def]
    return scorer.score(SEED.read_text(encoding="utf-8"))


def test_shipped_models_are_small_and_documented(scorer: Scorer) -> None:
    total = sum(p.stat().st_size for p in DEFAULT_MODEL.parent.glob("*.joblib"))
    assert total < 25 * 1024 * 1024
    assert scorer.html_model is not None  # pages from HTML go to the HTML model
    meta = json.loads(sidecar_path(DEFAULT_MODEL).read_text(encoding="utf-8"))
    assert meta["kind"] == "lines"
    assert meta["labels"] == ["article", "title", "link", "boilerplate"]
    assert {"scikit-learn", "numpy", "python"} <= set(meta["versions"])
    assert len(meta["training"]["digest_sha256"]) == 64
    assert meta["scores"]["heldout"]["article_f1"]["f1"] > 0.8


def test_seed_article_is_exactly_the_eleven_paragraphs(seed_result) -> None:  # type: ignore[no-untyped-def]
    gold = next(read_tsv(SEED_LABELS))
    assert [line.text for line in seed_result.lines] == gold.page.texts
    predicted = [i for i, line in enumerate(seed_result.lines) if line.label is Label.ARTICLE]
    expected = [i for i, label in enumerate(gold.labels) if label is Label.ARTICLE]
    assert len(expected) == 11
    assert seed_result.lines[expected[0]].text.startswith("MOSCOW (AP) —")
    assert seed_result.lines[expected[-1]].text.startswith("He added that")
    assert predicted == expected


def test_seed_story_is_kept_whole(seed_result) -> None:  # type: ignore[no-untyped-def]
    gold = next(read_tsv(SEED_LABELS))
    expected = [i for i, label in enumerate(gold.labels) if label is Label.ARTICLE]
    assert all(seed_result.lines[i].label is Label.ARTICLE for i in expected)
    related = gold.page.texts.index("Related")
    ranking = gold.page.texts.index("Ranking")
    assert all(seed_result.lines[i].label is Label.LINK for i in range(related + 1, ranking))


def test_seed_headline_lists_are_not_article(seed_result) -> None:  # type: ignore[no-untyped-def]
    gold = next(read_tsv(SEED_LABELS))
    links = [i for i, label in enumerate(gold.labels) if label is Label.LINK]
    predicted_link = [i for i in links if seed_result.lines[i].label is Label.LINK]
    assert len(predicted_link) >= 0.8 * len(links)


def test_stacked_headline_lists_of_our_test_pages_are_link(scorer: Scorer) -> None:
    # data/test/stacked_lists.tsv: pages we wrote (never trained on) with headline lists
    # stacked under headers after the story, the last ones without bullets
    pages = list(read_tsv(SEED_LABELS.parent / "stacked_lists.tsv"))
    assert len(pages) == 4
    for gold in pages:
        result = scorer.score("\n".join(gold.page.texts))
        for line, label in zip(result.lines, gold.labels, strict=True):
            if label is Label.ARTICLE:
                assert line.label is Label.ARTICLE, line.text
            if label is Label.LINK:
                assert line.label is Label.LINK, line.text


def test_the_scorer_passes_the_lines_outside_the_story(scorer: Scorer) -> None:
    story = [
        "The council voted on Tuesday to build a new ferry terminal at the old grain pier.",
        "Fishing crews had argued that the design would cut them off from the ice plant.",
        "Construction could begin next spring if the transport board releases the money.",
    ]
    after = ["Share this", "Council approves harbour budget", "Ferry fares to rise in May"]
    page = Page(id="p", lines=tuple(Line(t) for t in ["Menu", *story, *after]))
    model = pickle.loads(pickle.dumps(scorer.model))
    proba, outside = model.predict_proba_and_outside([page])
    assert np.array_equal(proba, model.predict_proba([page]))
    assert outside.tolist() == [True, False, False, False, True, True, True]
    model.outside_discount_ = 1e-6  # nothing beyond the story can be article
    result = Scorer(model, config=ScoreConfig(headlines=False)).score_page(page)
    assert [line.label.value != "article" for line in result.lines] == outside.tolist()
