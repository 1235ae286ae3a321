"""Metrics: line-level precision/recall/F1 per label, and page-level article F1.

Page-level article F1 is the standard article-extraction metric: both texts are cut into
word 4-gram shingles (a text of fewer than four words is one shingle); per page,
``tp`` is the size of the multiset intersection, precision ``tp / |predicted|`` and recall
``tp / |gold|``; precision and recall are averaged over pages and F1 is taken from the two
means. A page with empty gold and empty prediction scores 1/1; an empty prediction against
non-empty gold scores precision 1 (nothing wrong was kept) and recall 0, and a non-empty
prediction against empty gold precision 0 and recall 1.

The baselines are computed on the same lines: ``keep-all`` keeps every line; ``c4`` keeps the
lines that end in terminal punctuation and have at least three words (the C4 line rule);
``ccnet`` is CCNet's line deduplication over the evaluated pages (:func:`ccnet_keep`), the
pipelines' way of dropping template lines, and ``ccnet+c4`` applies both, as a
CCNet-then-C4 pipeline does.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from classify.records import LABELS, Label

SHINGLE_DEFAULT = 4  # the usual word n-gram size of the article-extraction benchmarks
_TOKEN_RE = re.compile(r"\w+")
C4_TERMINAL = (".", "!", "?", '"', "”", "'", "’")
C4_MIN_WORDS_DEFAULT = 3  # C4 keeps lines of at least 3 words


def shingles(text: str, size: int = SHINGLE_DEFAULT) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN_RE.findall(text.casefold())
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


@dataclass(frozen=True, slots=True)
class PageScore:
    precision: float
    recall: float


def page_score(predicted: str, gold: str) -> PageScore:
    pred = shingles(predicted)
    truth = shingles(gold)
    n_pred = sum(pred.values())
    n_true = sum(truth.values())
    if n_pred == 0 and n_true == 0:
        return PageScore(1.0, 1.0)
    if n_pred == 0:
        return PageScore(1.0, 0.0)
    if n_true == 0:
        return PageScore(0.0, 1.0)
    tp = sum((pred & truth).values())
    return PageScore(tp / n_pred, tp / n_true)


@dataclass(frozen=True, slots=True)
class ArticleF1:
    precision: float
    recall: float
    f1: float
    pages: int

    @classmethod
    def of(cls, scores: Sequence[PageScore]) -> ArticleF1:
        if not scores:
            return cls(0.0, 0.0, 0.0, 0)
        p = float(np.mean([s.precision for s in scores]))
        r = float(np.mean([s.recall for s in scores]))
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls(p, r, f, len(scores))


def c4_keep(text: str) -> bool:
    """The C4 line rule: terminal punctuation and at least three words."""
    return text.rstrip().endswith(C4_TERMINAL) and len(text.split()) >= C4_MIN_WORDS_DEFAULT


_CCNET_PUNCT = "，。、„”“«»１」「《》´∶：？！（）；–—．～’…━〈〉【】％►"
"""The Unicode punctuation cc_net's ``normalize_for_dedup`` deletes (its ``UNICODE_PUNCT``
keys; ASCII punctuation is kept)."""
_DIGIT_RE = re.compile(r"\d")
_CCNET_DELETE = re.compile(
    "[" + re.escape(_CCNET_PUNCT) + "".join(map(chr, [*range(32), *range(127, 160)])) + "]"
)


def dedup_key(line: str) -> bytes:
    """cc_net's line key: the line stripped and lowercased, every digit made 0, its Unicode
    punctuation and non-printing characters deleted; the first 8 bytes of its SHA-1."""
    norm = _CCNET_DELETE.sub("", _DIGIT_RE.sub("0", line.strip().lower()))
    return hashlib.sha1(norm.encode("utf-8", "surrogatepass")).digest()[:8]


def ccnet_keep(pages: Iterable[Sequence[str]]) -> list[list[bool]]:
    """CCNet's paragraph deduplication (Wenzek et al. 2020, cc_net ``dedup.deduplicate``:
    "remove duplicates ... but keep the first occurrence"): over the pages in order, a line
    is dropped when a line with the same :func:`dedup_key` came before it, on an earlier
    page or earlier on its own page. Lines that recur across pages (a site's navigation,
    footer, share bar) are kept once, on the first page that has them: that is what a
    pipeline has in place of a site template."""
    seen: set[bytes] = set()
    out: list[list[bool]] = []
    for texts in pages:
        keep = []
        for text in texts:
            key = dedup_key(text)
            keep.append(key not in seen)
            seen.add(key)
        out.append(keep)
    return out


@dataclass(frozen=True)
class LineReport:
    """Per-label precision/recall/F1 and the confusion matrix (rows gold, columns predicted)."""

    confusion: np.ndarray
    labels: tuple[Label, ...] = field(default=LABELS)

    @classmethod
    def of(cls, gold: Iterable[Label], predicted: Iterable[Label]) -> LineReport:
        m = np.zeros((len(LABELS), len(LABELS)), dtype=np.int64)
        for g, p in zip(gold, predicted, strict=True):
            m[LABELS.index(g), LABELS.index(p)] += 1
        return cls(confusion=m)

    def prf(self, label: Label) -> tuple[float, float, float, int]:
        i = LABELS.index(label)
        tp = self.confusion[i, i]
        pred = self.confusion[:, i].sum()
        true = self.confusion[i, :].sum()
        p = tp / pred if pred else 0.0
        r = tp / true if true else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return float(p), float(r), float(f), int(true)

    @property
    def accuracy(self) -> float:
        total = self.confusion.sum()
        return float(np.trace(self.confusion) / total) if total else 0.0

    def format(self) -> str:
        out = [f"{'label':<12} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}"]
        for label in self.labels:
            p, r, f, n = self.prf(label)
            out.append(f"{label.value:<12} {p:>9.3f} {r:>7.3f} {f:>6.3f} {n:>8d}")
        out.append(f"accuracy {self.accuracy:.3f} over {int(self.confusion.sum())} lines")
        out.append("confusion (rows gold, columns predicted):")
        out.append(" " * 12 + "".join(f"{label.value[:11]:>12}" for label in self.labels))
        for i, label in enumerate(self.labels):
            out.append(f"{label.value:<12}" + "".join(f"{v:>12d}" for v in self.confusion[i]))
        return "\n".join(out)


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """Lines whose top-label probability falls in ``(low, high]``: how sure, how often right."""

    low: float
    high: float
    lines: int
    confidence: float
    accuracy: float


def reliability(proba: np.ndarray, gold: np.ndarray, bins: int = 10) -> list[ReliabilityBin]:
    """The reliability table of the top-label probability (empty bins left out)."""
    conf = proba.max(axis=1)
    correct = proba.argmax(axis=1) == gold
    out = []
    for lo, hi in pairwise(np.linspace(0.0, 1.0, bins + 1).tolist()):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            out.append(
                ReliabilityBin(
                    lo, hi, int(mask.sum()), float(conf[mask].mean()), float(correct[mask].mean())
                )
            )
    return out


def calibration_error(table: Sequence[ReliabilityBin]) -> float:
    """ECE from a reliability table: the lines-weighted mean gap of confidence and accuracy."""
    lines = sum(b.lines for b in table)
    if lines == 0:
        return 0.0
    return float(sum(b.lines * abs(b.confidence - b.accuracy) for b in table) / lines)


def expected_calibration_error(proba: np.ndarray, gold: np.ndarray, bins: int = 10) -> float:
    """ECE of the top-label probability: how far confidence is from accuracy, by bin."""
    return calibration_error(reliability(proba, gold, bins))


def format_reliability(table: Sequence[ReliabilityBin]) -> str:
    out = [f"{'confidence':<11} {'lines':>8} {'mean conf':>9} {'accuracy':>8} {'gap':>6}"]
    for b in table:
        out.append(
            f"{f'{b.low:.1f}-{b.high:.1f}':<11} {b.lines:>8d} {b.confidence:>9.3f} "
            f"{b.accuracy:>8.3f} {b.confidence - b.accuracy:>+6.3f}"
        )
    return "\n".join(out)
