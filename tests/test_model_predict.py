"""The block-by-block prediction path against the straightforward stacked-matrix one."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp

import classify.model as model_module
from classify.features import FeatureConfig
from classify.model import LineClassifier, ModelConfig, _context_block
from classify.records import LABELS, Label, Line, Page


def _pages() -> tuple[list[Page], list[list[Label]]]:
    rng = np.random.default_rng(1)
    words = [
        "the",
        "river",
        "rose",
        "by",
        "two",
        "metres",
        "overnight",
        "officials",
        "said",
        "on",
        "monday",
        "after",
        "rain",
    ]
    pages, labels = [], []
    for p in range(12):
        lines, labs = [], []
        for _i in range(int(rng.integers(3, 12))):
            kind = LABELS[int(rng.integers(0, len(LABELS)))]
            size = {Label.ARTICLE: 14, Label.TITLE: 6, Label.LINK: 4, Label.BOILERPLATE: 2}[kind]
            text = " ".join(rng.choice(words, size=size)).capitalize()
            lines.append(Line(text + ("." if kind is Label.ARTICLE else "")))
            labs.append(kind)
        pages.append(
            Page(id=f"p{p}", lines=tuple(lines), site=f"s{p % 3}", title="Rain" if p % 2 else None)
        )
        labels.append(labs)
    return pages, labels


@pytest.mark.parametrize("dense_max_rows", [0, 10**6])  # dense blocks as sparse rows; by numpy
def test_predict_proba_matches_the_stacked_matrix_reference(
    dense_max_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_module, "DENSE_PRODUCT_MAX_ROWS", dense_max_rows)
    pages, labels = _pages()
    model = LineClassifier(
        features=FeatureConfig(word_min_df=1), config=ModelConfig(max_iter=5)
    ).fit(pages, labels)
    got = model.predict_proba(pages)
    x, words, batch, lay = model._stage1_input(pages, None)  # the matrix training stacks
    p1 = model._full_proba(model.stage1_, x.astype(np.float64))
    ctx = _context_block(p1, words, batch.page_of, len(pages), lay)
    raw = model._full_proba(model.stage2_, sp.hstack([x, sp.csr_matrix(ctx)], format="csr"))
    assert model.calibration_coef_ is not None  # the default: calibrated
    want = model._calibrated(np.log(raw), batch.page_of, len(pages))
    assert got.shape == want.shape == (sum(len(p.lines) for p in pages), len(LABELS))
    assert np.abs(got - want).max() < 1e-9
    assert model.predict_proba(pages[:0]).shape == (0, len(LABELS))


def test_cached_block_weights_stay_out_of_the_pickle() -> None:
    pages, labels = _pages()
    model = LineClassifier(
        features=FeatureConfig(word_min_df=1), config=ModelConfig(max_iter=5)
    ).fit(pages, labels)
    before = len(pickle.dumps(model))
    first = model.predict_proba(pages)
    assert "_block_weights_cache" in model.__dict__
    assert len(pickle.dumps(model)) == before
    model.stage2_.coef_ = model.stage2_.coef_ * 0  # a refit replaces the coefficients
    assert not np.allclose(model.predict_proba(pages), first)
