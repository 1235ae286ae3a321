"""Quality gate: pinned floors for the shipped model on the by-site held-out corpus pages.

The held-out pages are rebuilt from ../shared/corpora (never trained on: the split is by
site) and rendered to text as in training. The digest pins the evaluation set: if the
renderer, the aligner or the split changes, this test fails until the digest and floors
are deliberately re-pinned. Floors are only ever raised.
"""

from __future__ import annotations

import pytest

from classify.corpus import corpus_samples
from classify.scorer import Scorer
from classify.train import evaluate, samples_digest

from .conftest import CORPORA

# Pinned from `classify evaluate` of the shipped model (see README, "Results").
HELDOUT_DIGEST = "d3dc288a3e72a0f82c9c5f1a8eb7a3f9ecf833bdcfe02150535b94f891ff2a32"
ARTICLE_F1_FLOOR = 0.880  # measured 0.883 (445 pages; 0.885 in session 10)
C4_MARGIN_FLOOR = 0.090  # measured 0.094 over the C4 rule (0.789)
CCNET_MARGIN_FLOOR = 0.05  # measured 0.059 over CCNet line dedup (0.824; with C4 0.793)
HTML_ARTICLE_F1_FLOOR = 0.899  # the HTML model on the same pages with DOM facts: 0.904

pytestmark = pytest.mark.skipif(not CORPORA.exists(), reason="needs ../shared/corpora")


@pytest.fixture(scope="module")
def heldout() -> list:  # type: ignore[type-arg]
    samples = []
    for name in ("wcxb_dev", "cleaneval", "cleanportal"):
        samples += corpus_samples(CORPORA / f"{name}.jsonl.gz", split="heldout", plain=True)
    return samples


def test_heldout_set_is_the_pinned_one(heldout: list) -> None:  # type: ignore[type-arg]
    assert samples_digest(heldout) == HELDOUT_DIGEST


def test_article_f1_floors(heldout: list) -> None:  # type: ignore[type-arg]
    result = evaluate(Scorer.load().model, heldout)
    assert result.article_f1.f1 >= ARTICLE_F1_FLOOR
    assert result.article_f1.f1 - result.c4.f1 >= C4_MARGIN_FLOOR
    assert result.article_f1.f1 > result.keep_all.f1
    assert result.article_f1.f1 - max(result.ccnet.f1, result.ccnet_c4.f1) >= CCNET_MARGIN_FLOOR


def test_html_model_floor(heldout: list) -> None:  # type: ignore[type-arg]
    html = Scorer.load().html_model
    assert html is not None
    result = evaluate(html, heldout, keep_dom=True)
    assert result.article_f1.f1 >= HTML_ARTICLE_F1_FLOOR
    assert result.article_f1.f1 > result.c4.f1 + 0.08
