"""The line classifier: two linear models, the second one reading the first one's context.

Stage 1 is a multinomial logistic regression over :class:`~classify.features.LineFeaturizer`
rows. Stage 2 sees the same rows plus a context block built from stage-1 probabilities:
those of the lines one and two above and below, window means over 3 and 10 lines, the page
mean, the highest title probability above, and topical coherence recomputed with the
page's likely article lines as the body. Stage 2 is trained on out-of-fold stage-1
probabilities (folds grouped by site) so it learns how far to trust them on unseen sites.

Both stages are linear, so the model stays a TF-IDF + linear classifier; the context is
features, not a different model family.

Stage 2's probabilities are calibrated: stage 2 is also fitted fold by fold (the stage-1
folds, grouped by site), and a multinomial logistic regression over its out-of-fold
log-probabilities (matrix scaling; or one temperature) maps them to probabilities that
match accuracy on sites the model has not seen.

Labels are decided page by page (:meth:`LineClassifier.decide`). The calibrated
probabilities are the evidence of a chain over the page's lines, with label-to-label
transitions counted on the training pages, their log-probabilities scaled by a strength:
forward-backward gives each line's label marginals, so a lone "article" line between
headlines, or a short line inside the story, leans toward its neighbours unless its own
evidence is strong. The page's article lines are then the set that maximises the
expected page precision plus ``recall_weight`` times the expected page recall (in words,
the page-level article metric): a page decision, not a line-by-line threshold. Before it,
the article marginal of lines outside the story's prose span (not prose, with no prose
above or none below them: where related lists, bylines, share bars and footers sit) is
multiplied by a discount. Strength, discount and recall weight are chosen on the same
out-of-fold rows, for page-level article F1. The other lines take their most probable
other label. The probabilities are not changed.
"""

from __future__ import annotations

import copy
import operator
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.utils.extmath import softmax

from classify.evaluate import expected_calibration_error
from classify.features import (
    FeatureConfig,
    LineFeaturizer,
    Recurrence,
    _Batch,
    coherence,
    main_container,
    page_mean,
    relative_to_body,
    shift_rows,
    window_mean,
)
from classify.records import CLOSERS, LABELS, PROSE_MIN_WORDS, TERMINAL_PUNCT, Label, Page

try:
    from classify import _decode
except ImportError:  # built without a C compiler: the numpy recursions, same marginals
    _decode = None  # type: ignore[assignment]
COMPILED = _decode is not None
"""The compiled sequence marginals (classify/_decode.pyx) are built and used by
:func:`marginals`."""

RANDOM_STATE_DEFAULT = 0
LENGTH_WEIGHT_DEFAULT = True  # page F1 counts words, so long lines should weigh more


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Hyper-parameters of the line classifier."""

    c_stage1: float = 0.5
    c_stage2: float = 0.5
    """Inverse regularisation of the two stages. With converged fits (``max_iter``), 0.5
    against 2.0 on the shipped training: out-of-fold log loss 0.433 against 0.445 and
    out-of-fold page F1 0.9562 against 0.9557 (the rows calibration and decoding are chosen
    on); held-out text page F1 0.879 against 0.875. (0.25 is better again out of fold, but
    worse on the real multi-page sites: docs/experiments.md, "Training convergence".)"""
    folds: int = 2
    max_iter: int = 60
    """Epochs of SAGA. The shipped training's weighted rows (length x farm weight, up to ~19)
    converge slowly: on 171k of its lines, stage 1's objective after 20 epochs was 8% above
    lbfgs' optimum and after 60 epochs 0.5%. Under-converged fits were noisy: one template
    line changed in the generated sites moved held-out page F1 from 0.876 to 0.843 at 20
    epochs; 0.876 at 40, 0.875 at 60 (docs/experiments.md)."""
    length_weight: bool = LENGTH_WEIGHT_DEFAULT
    class_weight: str | None = None
    random_state: int = RANDOM_STATE_DEFAULT
    calibration: str = "matrix"
    """How stage 2's out-of-fold log-probabilities are mapped to probabilities: ``"matrix"``
    (a multinomial logistic regression on them), ``"page"`` (on them and on them times the
    page's mean top-label probability), ``"temperature"`` (one divisor) or ``"none"``.
    Needs ``folds >= 2`` and at least two sites. Held-out expected calibration error of the
    text model (0.125 uncalibrated): matrix 0.019, page 0.070 (best on the out-of-fold rows,
    but the full stage 2 is surer of whole pages than its fold fits, so it over-tempers)."""
    decoding: str = "sequence"
    """How labels are decided from the probabilities: ``"argmax"`` line by line, or
    ``"sequence"``: the chain's marginals and the page decision of the article lines (see
    the module's docstring), strength and recall weight chosen on the out-of-fold rows
    (needs ``folds >= 2``; the mean of the corpus and the content-farm pages' page F1 when
    pages are weighted). Held-out text page F1 of the shipped training: argmax 0.873, the
    most probable sequence (Viterbi, until 2026-12-07) 0.879, marginals and the page decision
    0.885 (docs/experiments.md, "Session 10")."""


def _context_block(
    proba: np.ndarray, words: sp.csr_matrix, page_of: np.ndarray, n_pages: int, lay: Layout
) -> np.ndarray:
    """Context features from stage-1 probabilities (rows: lines; columns: labels)."""
    article = proba[:, LABELS.index(Label.ARTICLE)]
    title = proba[:, LABELS.index(Label.TITLE)]
    n = len(article)
    # highest title probability above each line, in the same page: a running maximum that
    # cannot cross pages because each page's values are lifted above the previous page's
    lifted = title + 2.0 * page_of
    running = np.maximum.accumulate(lifted) - 2.0 * page_of if n else np.zeros(0)
    before_title = np.maximum(shift_rows(running, page_of, -1), 0.0)
    body = article * np.minimum(lay.n_words, 60.0)
    before, after = _mass_around(body, page_of, n_pages)
    coh = coherence(words, body, page_of, n_pages)
    coh_rel = relative_to_body(coh, body, page_of, n_pages)
    return np.hstack(
        [
            shift_rows(proba, page_of, -1),
            shift_rows(proba, page_of, 1),
            shift_rows(proba, page_of, -2),
            shift_rows(proba, page_of, 2),
            window_mean(proba, page_of, 3),
            window_mean(proba, page_of, 10),
            page_mean(proba, page_of, n_pages),
            before_title[:, None],
            coh[:, None],
            np.sqrt(coh)[:, None],
            coh_rel[:, None],
            (coh_rel < 0.35)[:, None],
            before[:, None],
            after[:, None],
            np.minimum(before, after)[:, None],
            ((before < 0.02) | (after < 0.02))[:, None],
            _structure_block(lay, proba, coh_rel, page_of),
        ]
    )


HEADLINE_WORDS_DEFAULT = (3, 25)  # a headline-like line: this many words, no terminal punctuation
TOP_LINES_DEFAULT = 25  # where a page's title and its glued breadcrumb are looked for
FAR_DEFAULT = 50  # distance (lines) standing for "no prose line on this side"


LAYOUT_NAMES = (
    "prose_before",
    "prose_after",
    "no_prose_after",
    "no_prose_before",
    "lines_from_prose_above",
    "lines_to_prose_below",
    "headline_run",
    "in_headline_list",
    "prose_gap",
    "inside_longer_top_line",
    "holds_top_line",
    "under_3_words",
)
"""Stage-1 columns of :func:`layout` (text structure only)."""

STRUCTURE_NAMES = (
    "article_outside_prose",
    "article_in_list",
    "article_in_list_outside_prose",
    "article_in_offtopic_list",
    "article_offtopic",
    "article_short",
    "headline_run_coherence",
    "headline_run_article",
    "coherence_window",
)
"""Stage-2 columns of :func:`_structure_block` (structure with stage-1 probabilities)."""


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a batch's story prose is and which lines form runs of headline-like lines."""

    features: np.ndarray
    """One row per line, columns :data:`LAYOUT_NAMES`."""
    run: np.ndarray
    """Id of each line's run of headline-like (or of other) lines."""
    run_len: np.ndarray
    """Lines in each headline-like line's run (0 for other lines)."""
    outside: np.ndarray
    """Not prose, and no prose above or no prose below it in its page."""
    short: np.ndarray
    n_words: np.ndarray
    """Known words of each line (non-zero cells of its word TF-IDF row)."""


def _runs(mask: np.ndarray, page_of: np.ndarray) -> np.ndarray:
    """Id of the run of equal ``mask`` values (within a page) each line belongs to."""
    n = len(mask)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.r_[True, (mask[1:] != mask[:-1]) | (page_of[1:] != page_of[:-1])]
    return np.cumsum(change) - 1


def _distance_to(mask: np.ndarray, page_of: np.ndarray, far: int) -> tuple[np.ndarray, np.ndarray]:
    """Lines to the nearest ``mask`` line above and below in the same page (``far`` if none)."""
    n = len(mask)
    idx = np.arange(n)
    prev = np.maximum.accumulate(np.where(mask, idx, -1))
    prev = np.r_[-1, prev[:-1]] if n else prev
    nxt = np.minimum.accumulate(np.where(mask, idx, n)[::-1])[::-1]
    nxt = np.r_[nxt[1:], n] if n else nxt
    ok_prev = prev >= 0
    ok_prev[ok_prev] &= page_of[prev[ok_prev]] == page_of[ok_prev]
    ok_next = nxt < n
    ok_next[ok_next] &= page_of[nxt[ok_next]] == page_of[ok_next]
    above = np.where(ok_prev, np.minimum(idx - prev, far), far)
    below = np.where(ok_next, np.minimum(nxt - idx, far), far)
    return above.astype(np.float64), below.astype(np.float64)


def _repeated_in_top(batch: _Batch, n_words: np.ndarray, terminal: np.ndarray) -> np.ndarray:
    """Per line: (its text occurs inside a longer line near the page top, it holds such a line).

    Scrapers glue a breadcrumb or a site name to the headline ("Home > NewsThe headline - Site"),
    so the page's title is the line found again inside a longer line above or below it.
    """
    out = np.zeros((len(batch.texts), 2))
    texts = batch.texts
    lo_words, hi_words = HEADLINE_WORDS_DEFAULT
    for p, start in enumerate(batch.starts.tolist()):
        end = start + min(len(batch.pages[p].lines), TOP_LINES_DEFAULT)
        for i in range(start, end):
            if terminal[i] or not lo_words <= n_words[i] <= hi_words:
                continue
            text = texts[i]
            for j in range(start, end):
                if j != i and len(texts[j]) > len(text) and text in texts[j]:
                    out[i, 0] = 1.0
                    out[j, 1] = 1.0
    return out


def layout(batch: _Batch, n_words: np.ndarray, n_pages: int) -> Layout:
    """Page structure around each line: where the story's prose is, and runs of headlines.

    A story is a run of punctuated paragraphs; link lists are runs of short unpunctuated
    lines outside it (after it, before it, or between its paragraphs), often off-topic: the
    run's length and the prose mass on each side tell them apart from a subheading or a
    one-line paragraph. ``n_words`` counts each line's known words.
    """
    texts = batch.texts
    page_of = batch.page_of
    n = len(texts)
    stripped = map(str.rstrip, texts, repeat(CLOSERS))
    last = map(operator.getitem, stripped, repeat(slice(-1, None)))
    terminal = np.fromiter(map(TERMINAL_PUNCT.__contains__, last), dtype=bool, count=n)
    prose = terminal & (n_words >= PROSE_MIN_WORDS)
    lo_words, hi_words = HEADLINE_WORDS_DEFAULT
    headline = ~terminal & (n_words >= lo_words) & (n_words <= hi_words)
    before, after = _mass_around(prose * np.minimum(n_words, 60.0), page_of, n_pages)
    above, below = _distance_to(prose, page_of, FAR_DEFAULT)
    run = _runs(headline, page_of)
    run_len = np.bincount(run)[run].astype(np.float64) if n else np.zeros(0)
    run_len[~headline] = 0.0
    gap = _runs(prose, page_of)
    gap_len = np.bincount(gap)[gap].astype(np.float64) if n else np.zeros(0)
    gap_len[prose] = 0.0
    short = n_words <= 2
    features = np.column_stack(
        [
            before,
            after,
            (after < 0.02) & ~prose,
            (before < 0.02) & ~prose,
            np.log1p(above) / 4.0,
            np.log1p(below) / 4.0,
            np.log1p(run_len) / 3.0,
            run_len >= 3,
            np.log1p(gap_len) / 4.0,
            _repeated_in_top(batch, n_words, terminal),
            short,
        ]
    ).reshape(n, len(LAYOUT_NAMES))
    return Layout(
        features=features,
        run=run,
        run_len=run_len,
        outside=((after < 0.02) | (before < 0.02)) & ~prose,
        short=short,
        n_words=n_words,
    )


def _layout_of(batch: _Batch, words: sp.csr_matrix, n_pages: int) -> Layout:
    """The layout of a batch, counting each line's known words in its word TF-IDF row."""
    n_words = np.diff(words.indptr).astype(np.float64)  # TF-IDF weights are all > 0
    return layout(batch, n_words, n_pages)


def _structure_block(
    lay: Layout, proba: np.ndarray, coh_rel: np.ndarray, page_of: np.ndarray
) -> np.ndarray:
    """Stage-2 structure columns (:data:`STRUCTURE_NAMES`) from stage-1 probabilities."""
    n = len(proba)
    if n == 0:
        return np.zeros((0, len(STRUCTURE_NAMES)))
    article = proba[:, LABELS.index(Label.ARTICLE)]
    in_run = lay.run_len > 0
    size = np.maximum(lay.run_len, 1.0)
    run_coh = np.where(in_run, np.bincount(lay.run, weights=coh_rel)[lay.run] / size, 0.0)
    run_art = np.where(in_run, np.bincount(lay.run, weights=article)[lay.run] / size, 0.0)
    in_list = lay.run_len >= 3
    return np.column_stack(
        [
            # stage 1's article probability where the structure speaks against a paragraph:
            # linear weights alone cannot let the structure override strong word evidence
            article * lay.outside,
            article * in_list,
            article * in_list * lay.outside,
            article * in_list * (1.0 - np.minimum(run_coh, 1.0)),
            article * (coh_rel < 0.35),
            article * lay.short,
            run_coh,
            run_art,
            window_mean(coh_rel, page_of, 3),
        ]
    )


def _container_context(proba: np.ndarray, pages: Sequence[Page]) -> np.ndarray:
    """Stage 1's article probability outside the main prose container (before it, after
    it): the container can overrule word evidence, as the layout does in
    :func:`_structure_block`."""
    article = proba[:, LABELS.index(Label.ARTICLE)]
    position, share = main_container(pages)
    before = article * (position == 1)
    after = article * (position == 3)
    return np.column_stack([before, after, before * share, after * share])


def _mass_around(
    body: np.ndarray, page_of: np.ndarray, n_pages: int
) -> tuple[np.ndarray, np.ndarray]:
    """Share of the page's likely article text above and below each line (line excluded).

    A line after the story's last paragraph (or before its first) is outside the content
    block, where related lists, footers and navigation live.
    """
    n = len(body)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    total = np.bincount(page_of, weights=body, minlength=n_pages)
    cum = np.cumsum(body)
    starts = np.r_[True, page_of[1:] != page_of[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    offset = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
    offset[first == 0] = 0.0
    before = cum - body - offset
    page_total = np.maximum(total[page_of], 1e-9)
    after = page_total - before - body
    return np.clip(before / page_total, 0, 1), np.clip(after / page_total, 0, 1)


def _block_weights(coefs: Sequence[np.ndarray], widths: Sequence[int]) -> list[np.ndarray]:
    """Per feature block, the coefficients of several linear models side by side: one
    contiguous float64 array of shape (block width, total classes)."""
    out = []
    at = 0
    for width in widths:
        stacked = np.vstack([c[:, at : at + width] for c in coefs])
        out.append(np.ascontiguousarray(stacked.T, dtype=np.float64))
        at += width
    return out


DENSE_PRODUCT_MAX_ROWS = 2048
"""Dense feature blocks up to this many rows (a few pages) are scored by numpy's matrix
product, taller ones as sparse rows (see :func:`_block_scores`)."""


def _block_scores(
    blocks: Sequence[sp.csr_matrix | np.ndarray], weights: Sequence[np.ndarray]
) -> np.ndarray:
    """``x @ w`` in float64, ``x`` the horizontal stack of ``blocks`` and ``w`` of ``weights``.

    One pass per block, so the feature matrix is never stacked. Dense blocks of up to
    :data:`DENSE_PRODUCT_MAX_ROWS` rows go to numpy's matrix product (a page scored alone:
    13 us a block against 148 us as sparse rows; sums in another order, so scores differ from
    the sparse product's in the last bits, below 1e-14 on the held-out pages); taller ones
    are multiplied as sparse rows (in batches of 64 pages that was faster than BLAS).
    """
    out = np.zeros((blocks[0].shape[0], weights[0].shape[1]))
    for block, w in zip(blocks, weights, strict=True):
        if isinstance(block, np.ndarray) and len(block) > DENSE_PRODUCT_MAX_ROWS:
            n, width = block.shape
            block = sp.csr_matrix(
                (
                    block.ravel(),
                    np.tile(np.arange(width, dtype=np.int32), n),
                    np.arange(0, n * width + 1, width, dtype=np.int64),
                ),
                shape=block.shape,
            )
        out += block @ w
    return out


def _probabilities(model: LogisticRegression, scores: np.ndarray) -> np.ndarray:
    """Multinomial probabilities from decision values, a column for every label."""
    out = np.zeros((scores.shape[0], len(LABELS)))
    out[:, model.classes_] = softmax(scores, copy=False)
    return out


CALIBRATIONS = ("page", "matrix", "temperature", "none")
LOG_FLOOR = -30.0  # log-probability of a label a fold's model never saw
CALIBRATION_C_DEFAULT = 1.0  # 20 weights over ~10^5 lines: barely regularised
DECODINGS = ("sequence", "argmax")
SEQUENCE_STRENGTHS_DEFAULT = tuple(np.round(np.arange(0.0, 1.01, 0.1), 2).tolist())
"""Strengths searched on the out-of-fold rows, each with and without the prior lift."""
RECALL_WEIGHTS_DEFAULT = tuple(np.round(np.arange(0.5, 1.51, 0.1), 2).tolist())
"""Recall weights of the page decision searched on the out-of-fold rows with each strength."""
OUTSIDE_DISCOUNTS_DEFAULT = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
"""Factors on the article marginal of lines outside the story's prose span (:class:`Layout`
``outside``) searched on the out-of-fold rows with each strength and recall weight. The
calibration maps probabilities the same way on every line; lines beyond the story are
article less often than their probability says on the training pages (a headline list's
first line, a byline, a share counter next to the story), and the page decision is where
that is corrected, page F1 being its target. 1.0 leaves them as they are."""
EMISSION_FLOOR = 1e-12  # probabilities below this count as this in the sequence marginals


def _log_probabilities(model: LogisticRegression, scores: np.ndarray) -> np.ndarray:
    """Multinomial log-probabilities from decision values, a column for every label."""
    out = np.full((scores.shape[0], len(LABELS)), LOG_FLOOR)
    shifted = scores - scores.max(axis=1, keepdims=True)
    out[:, model.classes_] = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    clipped: np.ndarray = np.maximum(out, LOG_FLOOR)
    return clipped


def _log_loss(proba: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(np.maximum(proba[np.arange(len(y)), y], 1e-15))))


def _calibration_input(log_proba: np.ndarray, page_of: np.ndarray, n_pages: int) -> np.ndarray:
    """The ``"page"`` calibration's columns: the log-probabilities, and the same times the
    page's mean top-label probability."""
    sure = page_mean(np.exp(log_proba).max(axis=1), page_of, n_pages)
    return np.hstack([log_proba, log_proba * sure[:, None]])


def _fit_calibration(
    log_proba: np.ndarray, y: np.ndarray, kind: str, random_state: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(coef, intercept)`` so that ``softmax(log_proba @ coef.T + intercept)`` is calibrated
    (``log_proba`` is :func:`_calibration_input` for ``"page"``).

    ``"matrix"``, ``"page"``: a multinomial logistic regression over the columns (lines
    unweighted: calibration is about how often a label is right, line by line).
    ``"temperature"``: ``coef`` is the identity over one temperature, ``intercept`` zero.
    """
    k = len(LABELS)
    if kind == "temperature":

        def nll(log_t: float) -> float:
            return _log_loss(softmax(log_proba / np.exp(log_t)), y)

        best = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
        return np.eye(k) / float(np.exp(best.x)), np.zeros(k)
    lr = LogisticRegression(
        C=CALIBRATION_C_DEFAULT, max_iter=1000, random_state=random_state, tol=1e-8
    ).fit(log_proba, y)
    coef = np.zeros((k, log_proba.shape[1]))
    intercept = np.full(k, LOG_FLOOR)  # a label absent from y is never predicted
    coef[lr.classes_] = lr.coef_
    intercept[lr.classes_] = lr.intercept_
    return coef, intercept


def _page_article_f1(
    keep: np.ndarray, gold: np.ndarray, n_tokens: np.ndarray, page_of: np.ndarray, n_pages: int
) -> float:
    """Page-level article F1 with words for shingles: per page precision and recall of the
    kept words (the conventions of :func:`classify.evaluate.page_score`), averaged over
    pages, F1 of the two means."""
    tp = np.bincount(page_of, weights=n_tokens * (keep & gold), minlength=n_pages)
    pred = np.bincount(page_of, weights=n_tokens * keep, minlength=n_pages)
    true = np.bincount(page_of, weights=n_tokens * gold, minlength=n_pages)
    precision = np.where(pred > 0, tp / np.maximum(pred, 1e-12), 1.0)
    recall = np.where(true > 0, tp / np.maximum(true, 1e-12), 1.0)
    precision[(pred > 0) & (true == 0)] = 0.0
    p, r = float(precision.mean()), float(recall.mean())
    return 2 * p * r / (p + r) if p + r else 0.0


def _transitions(y: np.ndarray, page_of: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-probabilities counted on training pages (add-one smoothed): of each label given
    the line above's, of the label of a page's first line, and of each label overall."""
    k = len(LABELS)
    first = np.ones(k)
    if len(y):
        starts = np.flatnonzero(np.r_[True, page_of[1:] != page_of[:-1]])
        first += np.bincount(y[starts], minlength=k)
    pairs = np.ones((k, k))
    same = page_of[1:] == page_of[:-1]
    np.add.at(pairs, (y[:-1][same], y[1:][same]), 1.0)
    prior = 1.0 + np.bincount(y, minlength=k)
    return (
        np.log(pairs / pairs.sum(axis=1, keepdims=True)),
        np.log(first / first.sum()),
        np.log(prior / prior.sum()),
    )


def _sequence_scores(
    transitions: tuple[np.ndarray, np.ndarray, np.ndarray], strength: float, lift: bool
) -> tuple[np.ndarray, np.ndarray]:
    """What the chain of :func:`marginals` adds for a label after another and for a page's
    first label: the log-probabilities times ``strength``; with ``lift``, less the label's
    overall log-probability (the probabilities already hold the prior: the transition then
    adds only how much likelier the label is after the one above than anywhere)."""
    log_trans, log_start, log_prior = transitions
    prior = log_prior if lift else np.zeros_like(log_prior)
    return strength * (log_trans - prior), strength * (log_start - prior)


def marginals(
    proba: np.ndarray,
    lengths: Sequence[int] | np.ndarray,
    log_trans: np.ndarray,
    log_start: np.ndarray,
    *,
    compiled: bool = True,
) -> np.ndarray:
    """Each line's label marginals under a chain over its page: ``proba`` holds the pages'
    rows one page after the other (``lengths`` rows each), columns the labels, as evidence
    (floored at :data:`EMISSION_FLOOR`); ``log_trans[a, b]`` scores label ``b`` after ``a``
    and ``log_start`` a page's first label (:func:`_sequence_scores`). Scaled
    forward-backward, compiled (classify/_decode.pyx, when built and ``compiled``), else in
    numpy over the pages of a chunk side by side."""
    sizes = np.asarray(lengths, dtype=np.int64)
    if int(sizes.sum()) != len(proba):
        raise ValueError(f"{len(proba)} rows but page lengths sum to {int(sizes.sum())}")
    emit = np.maximum(np.asarray(proba, dtype=np.float64), EMISSION_FLOOR)
    trans, start = np.exp(log_trans), np.exp(log_start)
    if not len(emit):
        return np.zeros((0, len(log_start)))
    if _decode is not None and compiled:
        return _decode.marginals(
            np.ascontiguousarray(emit),
            np.ascontiguousarray(sizes),
            np.ascontiguousarray(trans),
            np.ascontiguousarray(start),
        )
    out = np.empty_like(emit)
    offsets = np.r_[0, np.cumsum(sizes)]
    chunk = 256  # pages side by side, padded to the longest
    for first in range(0, len(sizes), chunk):
        part = sizes[first : first + chunk]
        if not part.any():
            continue
        rows = np.arange(offsets[first], offsets[first + len(part)])
        page = np.repeat(np.arange(len(part)), part)
        pos = rows - np.repeat(offsets[first : first + len(part)], part)
        padded = np.ones((len(part), int(part.max()), emit.shape[1]))
        padded[page, pos] = emit[rows]
        out[rows] = _marginals_padded(padded, part, trans, start)[page, pos]
    return out


def _marginals_padded(
    emit: np.ndarray, sizes: np.ndarray, trans: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """:func:`marginals` of pages side by side (``emit``: pages x longest x labels, rows past
    a page's end padded with ones): the same scaled recursions as classify/_decode.pyx."""
    longest = emit.shape[1]
    alpha = np.empty_like(emit)
    beta = np.ones_like(emit)
    alpha[:, 0] = start * emit[:, 0]
    alpha[:, 0] /= alpha[:, 0].sum(axis=1, keepdims=True)
    for t in range(1, longest):
        alpha[:, t] = (alpha[:, t - 1] @ trans) * emit[:, t]
        alpha[:, t] /= alpha[:, t].sum(axis=1, keepdims=True)
    for t in range(longest - 2, -1, -1):
        back = (emit[:, t + 1] * beta[:, t + 1]) @ trans.T
        back /= back.sum(axis=1, keepdims=True)
        beta[:, t] = np.where((t + 1 < sizes)[:, None], back, 1.0)
    post: np.ndarray = alpha * beta
    post /= post.sum(axis=2, keepdims=True)
    return post


def keep_article(
    p_article: np.ndarray,
    words: np.ndarray,
    lengths: Sequence[int] | np.ndarray,
    recall_weight: float,
) -> np.ndarray:
    """Which lines each page keeps as article: the set that maximises the expected page
    precision plus ``recall_weight`` times the expected page recall, lines counted by
    ``words``, with ``p_article`` the chance that each line is article.

    Expected precision of a kept set K is exactly sum_K(w p) / sum_K(w); expected recall is
    taken as sum_K(w p) / sum_page(w p). Adding a line changes that objective by its words
    times (its p less a threshold common to the page), so the best sets keep the likeliest
    lines: the candidates are the page's lines sorted by ``p_article``, kept from the top
    (every prefix), and keeping nothing (precision 1 by the metric's convention, recall 1 only
    if the page holds no article: the chance that no line is). Vectorised over pages."""
    sizes = np.asarray(lengths, dtype=np.int64)
    n = len(p_article)
    if int(sizes.sum()) != n:
        raise ValueError(f"{n} rows but page lengths sum to {int(sizes.sum())}")
    keep = np.zeros(n, dtype=bool)
    if not n:
        return keep
    p = np.clip(np.asarray(p_article, dtype=np.float64), 0.0, 1.0)
    w = np.asarray(words, dtype=np.float64)
    n_pages = len(sizes)
    page_of = np.repeat(np.arange(n_pages), sizes)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    order = np.lexsort((-p, page_of))  # by page, likeliest first; ties in line order
    ws, wps = w[order], w[order] * p[order]
    cum_w = np.r_[0.0, np.cumsum(ws)]
    cum_wp = np.r_[0.0, np.cumsum(wps)]
    kept_w = cum_w[1:] - cum_w[starts][page_of]  # words of each prefix of its page
    kept_wp = cum_wp[1:] - cum_wp[starts][page_of]
    page_wp = cum_wp[starts + sizes] - cum_wp[starts]
    precision = np.divide(kept_wp, kept_w, out=np.zeros(n), where=kept_w > 0)
    total = page_wp[page_of]
    recall = np.divide(kept_wp, total, out=np.zeros(n), where=total > 0)
    value = precision + recall_weight * recall
    none_article = np.exp(np.bincount(page_of, np.log1p(-np.minimum(p, 1.0 - 1e-12)), n_pages))
    nothing = 1.0 + recall_weight * none_article
    nonempty = sizes > 0
    best = np.full(n_pages, -np.inf)
    best[nonempty] = np.maximum.reduceat(value, starts[nonempty])
    rank = np.arange(n) - starts[page_of]
    at_best = np.flatnonzero(value == best[page_of])
    pages_at, first = np.unique(page_of[at_best], return_index=True)
    count = np.zeros(n_pages, dtype=np.int64)
    count[pages_at] = rank[at_best[first]] + 1
    count[best <= nothing] = 0
    keep[order] = rank < count[page_of]
    return keep


def _choose_decoding(
    proba: np.ndarray,
    y: np.ndarray,
    n_tokens: np.ndarray,
    page_of: np.ndarray,
    n_pages: int,
    transitions: tuple[np.ndarray, np.ndarray, np.ndarray],
    page_group: np.ndarray | None = None,
    outside: np.ndarray | None = None,
) -> tuple[tuple[float, bool, float, float], dict[str, float], dict[str, dict[str, float]]]:
    """The sequence strength (of :data:`SEQUENCE_STRENGTHS_DEFAULT`), lift, recall weight
    (of :data:`RECALL_WEIGHTS_DEFAULT`) and discount of the lines ``outside`` the story's
    prose span (of :data:`OUTSIDE_DISCOUNTS_DEFAULT`; none searched without ``outside``)
    with the best page F1 (ties go to the weakest strength, then to no lift, then to the
    recall weight nearest 1, then to the mildest discount), the F1 of every candidate, and
    the F1 of every candidate in each page group.

    With ``page_group`` (a group key per page, e.g. its training weight: corpus pages and
    generated content-farm pages) the F1 that chooses is the mean of the groups' page F1, so
    that each kind of page counts alike, not in proportion to how many pages of each kind
    the training happened to draw."""
    a = LABELS.index(Label.ARTICLE)
    gold = y == a
    lengths = np.bincount(page_of, minlength=n_pages)
    groups = np.zeros(n_pages, dtype=np.int64) if page_group is None else page_group
    parts = {}  # per group: its rows, their pages renumbered from 0, its page count
    for key in np.unique(groups).tolist():
        pages = np.flatnonzero(groups == key)
        rows = np.isin(page_of, pages)
        parts[f"{key:g}"] = (rows, np.searchsorted(pages, page_of[rows]), len(pages))
    candidates = [(s, False) for s in SEQUENCE_STRENGTHS_DEFAULT]
    candidates += [(s, True) for s in SEQUENCE_STRENGTHS_DEFAULT if s]
    discounts = OUTSIDE_DISCOUNTS_DEFAULT if outside is not None else (1.0,)
    f1: dict[tuple[float, bool, float, float], float] = {}
    by_group: dict[str, dict[str, float]] = {name: {} for name in parts}
    for strength, lift in candidates:
        trans, start = _sequence_scores(transitions, strength, lift)
        p_article = marginals(proba, lengths, trans, start)[:, a]
        for discount in discounts:
            discounted = _discounted(p_article, outside, discount)
            for weight in RECALL_WEIGHTS_DEFAULT:
                kept = keep_article(discounted, n_tokens, lengths, weight)
                key = (strength, lift, weight, discount)
                candidate = _candidate_name(*key)
                for name, (rows, local, count) in parts.items():
                    by_group[name][candidate] = _page_article_f1(
                        kept[rows], gold[rows], n_tokens[rows], local, count
                    )
                f1[key] = float(np.mean([t[candidate] for t in by_group.values()]))
    best = max(f1, key=lambda c: (round(f1[c], 6), -c[0], not c[1], -abs(c[2] - 1.0), c[3]))
    table = {_candidate_name(*c): v for c, v in f1.items()}
    return best, table, by_group


def _discounted(p_article: np.ndarray, outside: np.ndarray | None, discount: float) -> np.ndarray:
    """The article marginals with those of the ``outside`` lines times ``discount``."""
    if outside is None or discount == 1.0:
        return p_article
    out = p_article.copy()
    out[outside] *= discount
    return out


def line_words(pages: Sequence[Page]) -> np.ndarray:
    """Each line's word count (split on whitespace), pages one after the other: how the page
    decision and the page F1 of the training count a line's words."""
    texts = [line.text for page in pages for line in page.lines]
    return np.fromiter(map(len, map(str.split, texts)), np.float64, len(texts))


def _candidate_name(strength: float, lift: bool, recall_weight: float, discount: float) -> str:
    return (
        f"{strength:.2f}{' lift' if lift else ''} recall {recall_weight:.1f} outside {discount:.1f}"
    )


def _weights(words: sp.csr_matrix, enabled: bool) -> np.ndarray | None:
    if not enabled:
        return None
    n_words = np.asarray((words > 0).sum(axis=1)).ravel().astype(np.float64)
    return 1.0 + np.log1p(n_words)


class LineClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Label every line of a page: ``fit(pages, labels)`` and ``predict_proba(pages)``.

    ``pages`` is a sequence of :class:`Page`; ``labels`` a sequence (one per page) of label
    sequences (one per line). Probabilities come back as one row per line, pages
    concatenated in order, columns in the order of :data:`classify.records.LABELS`.
    """

    def __init__(
        self, *, features: FeatureConfig | None = None, config: ModelConfig | None = None
    ) -> None:
        self.features = features
        self.config = config

    def _lr(self, c: float) -> LogisticRegression:
        cfg = self.config or ModelConfig()
        return LogisticRegression(
            C=c,
            max_iter=cfg.max_iter,
            class_weight=cfg.class_weight,
            random_state=cfg.random_state,
            solver="saga",
            tol=1e-4,
        )

    def fit(
        self,
        pages: Sequence[Page],
        labels: Sequence[Sequence[Label]],
        recurrence: Sequence[Recurrence | None] | None = None,
        page_weights: Sequence[float] | None = None,
    ) -> LineClassifier:
        """Fit on pages and their line labels; ``page_weights`` scale each page's lines."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed epoch budget
            return self._fit(pages, labels, recurrence, page_weights)

    def _fold_models(
        self,
        c: float,
        x: sp.csr_matrix,
        y: np.ndarray,
        weights: np.ndarray | None,
        splits: Sequence[tuple[np.ndarray, np.ndarray]],
    ) -> Iterator[tuple[LogisticRegression, np.ndarray]]:
        """Per site fold, a model fitted on the other folds and the fold's rows."""
        for train_idx, test_idx in splits:
            sample_weight = None if weights is None else weights[train_idx]
            yield self._lr(c).fit(x[train_idx], y[train_idx], sample_weight=sample_weight), test_idx

    def _fit(
        self,
        pages: Sequence[Page],
        labels: Sequence[Sequence[Label]],
        recurrence: Sequence[Recurrence | None] | None,
        page_weights: Sequence[float] | None,
    ) -> LineClassifier:
        cfg = self.config or ModelConfig()
        if isinstance(pages, Page) or isinstance(labels, str):
            raise TypeError("expected a sequence of pages and a sequence of label sequences")
        if len(pages) != len(labels):
            raise ValueError(f"{len(pages)} pages but {len(labels)} label sequences")
        y_list: list[int] = []
        for page, page_labels in zip(pages, labels, strict=True):
            if len(page.lines) != len(page_labels):
                raise ValueError(
                    f"page {page.id!r}: {len(page.lines)} lines but {len(page_labels)} labels"
                )
            y_list.extend(LABELS.index(Label(lab)) for lab in page_labels)
        y = np.asarray(y_list, dtype=np.int64)
        missing = set(range(len(LABELS))) - set(np.unique(y).tolist())
        if missing:
            names = ", ".join(LABELS[i].value for i in sorted(missing))
            raise ValueError(f"training data has no lines labelled: {names}")
        self.featurizer_ = LineFeaturizer(config=self.features).fit(pages)
        x, words, batch, lay = self._stage1_input(pages, recurrence)
        weights = _weights(words, cfg.length_weight)
        per_line = None
        if page_weights is not None:
            if len(page_weights) != len(pages):
                raise ValueError(f"{len(page_weights)} page weights for {len(pages)} pages")
            per_line = np.asarray(page_weights, dtype=np.float64)[batch.page_of]
            weights = per_line if weights is None else weights * per_line
        groups = np.array([page.site or page.id for page in pages])[batch.page_of]
        n_groups = len(set(groups.tolist()))
        if cfg.calibration not in CALIBRATIONS:
            raise ValueError(
                f"calibration must be one of {', '.join(CALIBRATIONS)}, not {cfg.calibration!r}"
            )
        if cfg.decoding not in DECODINGS:
            raise ValueError(
                f"decoding must be one of {', '.join(DECODINGS)}, not {cfg.decoding!r}"
            )
        oof = np.zeros((len(y), len(LABELS)))
        folds = min(cfg.folds, n_groups)
        splits = list(GroupKFold(n_splits=folds).split(x, y, groups)) if folds >= 2 else []
        for model, rows in self._fold_models(cfg.c_stage1, x, y, weights, splits):
            oof[rows] = self._full_proba(model, x[rows])
        self.stage1_ = self._lr(cfg.c_stage1).fit(x, y, sample_weight=weights)
        if not splits:
            oof = self._full_proba(self.stage1_, x)
        ctx = self._stage2_context(oof, words, batch, pages, lay)
        x2 = sp.hstack([x, sp.csr_matrix(ctx)], format="csr")
        self.calibration_coef_: np.ndarray | None = None
        self.calibration_intercept_: np.ndarray | None = None
        self.transitions_ = _transitions(y, batch.page_of)
        self.sequence_strength_ = 0.0
        self.sequence_lift_ = False
        self.recall_weight_: float | None = None  # None: labels by argmax, line by line
        self.outside_discount_ = 1.0
        self.calibration_report_: dict[str, Any] = {"kind": "none"}
        if splits and (cfg.calibration != "none" or cfg.decoding == "sequence"):
            # stage 2 out of fold too (the same site folds): what it says on unseen sites
            oof2 = np.zeros((len(y), len(LABELS)))
            for model, rows in self._fold_models(cfg.c_stage2, x2, y, weights, splits):
                oof2[rows] = _log_probabilities(model, model.decision_function(x2[rows]))
            self._fit_decision(oof2, y, batch, len(pages), cfg, per_line, lay.outside)
        self.stage2_ = self._lr(cfg.c_stage2).fit(x2, y, sample_weight=weights)
        for model in (self.stage1_, self.stage2_):
            model.coef_ = model.coef_.astype(np.float32)
            model.intercept_ = model.intercept_.astype(np.float32)
        self.classes_ = np.array([label.value for label in LABELS])
        return self

    def _fit_decision(
        self,
        log_proba: np.ndarray,
        y: np.ndarray,
        batch: _Batch,
        n_pages: int,
        cfg: ModelConfig,
        page_weight: np.ndarray | None,
        outside: np.ndarray | None = None,
    ) -> None:
        """Calibration (and the decision's parameters) from stage 2's out-of-fold
        log-probabilities; ``outside``: the lines outside the story's prose span.

        The report also gives the error with and without calibration on the same rows by
        page weight (generated and hand-written content-farm pages weigh more than corpus
        pages)."""
        before = softmax(log_proba.copy())
        report: dict[str, Any] = {
            "kind": cfg.calibration,
            "lines": len(y),
            "oof_ece_before": expected_calibration_error(before, y),
            "oof_log_loss_before": _log_loss(before, y),
        }
        page_of = batch.page_of
        by_weight = {"all": np.ones(len(y), dtype=bool)}
        if page_weight is not None:
            for w in np.unique(page_weight).tolist():
                by_weight[f"page weight {w:g}"] = page_weight == w
        report["oof_ece_by_calibration"] = by_kind = {}
        for kind in dict.fromkeys(("none", cfg.calibration)):  # others: --calibration KIND
            if kind == "none":
                self.calibration_coef_ = self.calibration_intercept_ = None
            else:
                cols = (
                    _calibration_input(log_proba, page_of, n_pages) if kind == "page" else log_proba
                )
                coef, intercept = _fit_calibration(cols, y, kind, cfg.random_state)
                self.calibration_coef_, self.calibration_intercept_ = coef, intercept
            proba = self._calibrated(log_proba, page_of, n_pages)
            by_kind[kind] = {
                name: expected_calibration_error(proba[m], y[m]) for name, m in by_weight.items()
            }
        report["oof_ece_after"] = expected_calibration_error(proba, y)
        report["oof_log_loss_after"] = _log_loss(proba, y)
        if cfg.decoding == "sequence":
            n_tokens = np.fromiter(map(len, map(str.split, batch.texts)), np.float64, len(y))
            page_group = None
            if page_weight is not None:
                page_group = np.zeros(n_pages)
                page_group[page_of] = page_weight
            chosen, table, by_group = _choose_decoding(
                proba,
                y,
                n_tokens,
                batch.page_of,
                n_pages,
                self.transitions_,
                page_group,
                outside,
            )
            (
                self.sequence_strength_,
                self.sequence_lift_,
                self.recall_weight_,
                self.outside_discount_,
            ) = chosen
            report["sequence_strength"] = self.sequence_strength_
            report["sequence_lift"] = self.sequence_lift_
            report["recall_weight"] = self.recall_weight_
            report["outside_discount"] = self.outside_discount_
            report["decoding"] = _candidate_name(*chosen)  # its key in the tables
            report["oof_page_f1_by_strength"] = table
            report["oof_page_f1_by_strength_and_page_weight"] = by_group
        self.calibration_report_ = report

    def _calibrated(self, log_proba: np.ndarray, page_of: np.ndarray, n_pages: int) -> np.ndarray:
        """Probabilities from stage 2's log-probabilities, through the calibration if any."""
        coef = getattr(self, "calibration_coef_", None)  # None in models saved before it
        if coef is None:
            scores = log_proba.copy()
        else:
            if coef.shape[1] > log_proba.shape[1]:  # the "page" calibration
                log_proba = _calibration_input(log_proba, page_of, n_pages)
            scores = log_proba @ coef.T + self.calibration_intercept_
        proba: np.ndarray = softmax(scores, copy=False)
        return proba

    def uncalibrated(self) -> LineClassifier:
        """A shallow copy without the calibration and the sequence decoding: stage 2's own
        probabilities and their argmax (to measure what the two add)."""
        other = copy.copy(self)
        other.calibration_coef_ = other.calibration_intercept_ = None
        other.sequence_strength_ = 0.0
        other.recall_weight_ = None
        other.outside_discount_ = 1.0
        return other

    def decide(
        self,
        proba: np.ndarray,
        words: np.ndarray,
        lengths: Sequence[int] | None = None,
        *,
        recall_weight: float | None = None,
        outside: np.ndarray | None = None,
    ) -> np.ndarray:
        """Label index of each row of ``proba``: rows of consecutive pages of ``lengths``
        lines (one page if None), ``words`` the word count of each line; decided by the
        chain's marginals and the page decision of the article lines (see the module's
        docstring), or by the most probable label where the model decodes line by line
        (``decoding="argmax"``, and models saved before the page decision). A
        ``recall_weight`` replaces the model's own in the page decision. ``outside``: the
        lines outside the story's prose span (:meth:`predict_proba_and_outside`), whose
        article marginal the model's discount applies to (none if not given)."""
        weight = getattr(self, "recall_weight_", None) if recall_weight is None else recall_weight
        if weight is None or not len(proba):
            decided: np.ndarray = proba.argmax(axis=1)
            return decided
        sizes = [len(proba)] if lengths is None else lengths
        trans, start = _sequence_scores(
            self.transitions_,
            getattr(self, "sequence_strength_", 0.0),
            getattr(self, "sequence_lift_", False),
        )
        post = marginals(proba, sizes, trans, start)
        a = LABELS.index(Label.ARTICLE)
        p_article = _discounted(post[:, a], outside, getattr(self, "outside_discount_", 1.0))
        p_article = p_article.copy()
        post[:, a] = -1.0
        decided = post.argmax(axis=1)
        decided[keep_article(p_article, words, sizes, weight)] = a
        return decided

    def _stage1_input(
        self, pages: Sequence[Page], recurrence: Sequence[Recurrence | None] | None
    ) -> tuple[sp.csr_matrix, sp.csr_matrix, _Batch, Layout]:
        """The featurizer's rows with the page layout columns; the word block; the batch."""
        x, words, batch = self.featurizer_.transform_parts(pages, recurrence)
        lay = _layout_of(batch, words, len(pages))
        x = sp.hstack([x, sp.csr_matrix(lay.features)], format="csr", dtype=np.float32)
        return x, words, batch, lay

    def _stage2_context(
        self,
        proba: np.ndarray,
        words: sp.csr_matrix,
        batch: _Batch,
        pages: Sequence[Page],
        lay: Layout,
    ) -> np.ndarray:
        """Stage 2's columns beyond stage 1's: context from stage-1 probabilities ``proba``,
        and the main container's when the featurizer has container facts."""
        ctx = _context_block(proba, words, batch.page_of, len(pages), lay)
        if getattr(self.featurizer_, "container_", False):
            ctx = np.hstack([ctx, _container_context(proba, pages)])
        return ctx

    @staticmethod
    def _full_proba(model: LogisticRegression, x: sp.csr_matrix) -> np.ndarray:
        """Probabilities with a column for every label, even if a fold lacked one."""
        out = np.zeros((x.shape[0], len(LABELS)))
        out[:, model.classes_] = model.predict_proba(x)
        return out

    def predict_proba(
        self, pages: Sequence[Page], recurrence: Sequence[Recurrence | None] | None = None
    ) -> np.ndarray:
        return self.predict_proba_and_outside(pages, recurrence)[0]

    def predict_proba_and_outside(
        self, pages: Sequence[Page], recurrence: Sequence[Recurrence | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`predict_proba`, and which lines lie outside the story's prose span (not
        prose, with no prose above or none below them in their page), for :meth:`decide`."""
        blocks, words, batch = self.featurizer_.transform_blocks(pages, recurrence)
        if len(batch.texts) == 0:
            return np.zeros((0, len(LABELS))), np.zeros(0, dtype=bool)
        lay = _layout_of(batch, words, len(pages))
        blocks.append(lay.features.astype(np.float32))  # the same columns as _stage1_input
        k = len(LABELS)
        widths = [b.shape[1] for b in blocks]
        scores = _block_scores(blocks, self._block_weights(widths))
        p1 = _probabilities(self.stage1_, scores[:, :k] + self.stage1_.intercept_)
        ctx = self._stage2_context(p1, words, batch, pages, lay)
        ctx_weights = self.stage2_.coef_[:, sum(widths) :].T.astype(np.float64)
        stage2 = scores[:, k:] + _block_scores([ctx], [ctx_weights]) + self.stage2_.intercept_
        log_proba = _log_probabilities(self.stage2_, stage2)
        return self._calibrated(log_proba, batch.page_of, len(pages)), lay.outside

    def _block_weights(self, widths: Sequence[int]) -> list[np.ndarray]:
        """Both stages' coefficients per feature block (see :func:`_block_weights`), built on
        first use and kept out of the pickle."""
        coefs = (self.stage1_.coef_, self.stage2_.coef_)
        cached = self.__dict__.get("_block_weights_cache")
        if (
            cached is None
            or cached[0] != list(widths)
            or any(a is not b for a, b in zip(cached[1], coefs, strict=True))
        ):
            cached = (list(widths), coefs, _block_weights(coefs, widths))
            self.__dict__["_block_weights_cache"] = cached
        weights: list[np.ndarray] = cached[2]
        return weights

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("_block_weights_cache", None)
        return state

    def predict(self, pages: Sequence[Page]) -> np.ndarray:
        proba, outside = self.predict_proba_and_outside(pages)
        lengths = [len(page.lines) for page in pages]
        decided = self.decide(proba, line_words(pages), lengths, outside=outside)
        labels: np.ndarray = np.asarray(self.classes_)[decided]
        return labels

    def score(self, pages: Sequence[Page], y: Any, sample_weight: Any = None) -> float:
        flat = np.asarray([Label(v).value for labels in y for v in labels])
        return float(np.mean(self.predict(pages) == flat))
