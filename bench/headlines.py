"""Benchmark of headline clickbait scoring: a plain baseline against HeadlineClassifier.

Run from the repository root: ``python bench/headlines.py``. Both models train on the same
80% of the Chakraborty corpus (fixed seed split; ours also on data/headlines/authored.tsv) and
are scored on (a) the held-out 20% and (b) the out-of-domain set recovered from the page corpora
(data/headlines/ood_refs.tsv). Also times batch scoring.

Sources: Chakraborty et al., "Stop Clickbait" (ASONAM 2016), MIT; WCXB dev split, CC-BY-4.0;
CleanPortalEval (ppke-nlpg).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import Pipeline, make_pipeline

from classify.headlines import (
    CLICKBAIT,
    DATA_DIR,
    DEFAULT_CORPORA,
    CorporaMissingError,
    HeadlineClassifier,
    LabelledHeadlines,
    load_ood_headlines,
    read_corpus,
    read_labelled_tsv,
    split_corpus,
)

# Headlines scored per timing run: above the 20,000/s target so one run lasts about a second.
THROUGHPUT_BATCH = 32_000
TIMING_REPEATS = 3


def _figures(predicted: list[str] | np.ndarray, data: LabelledHeadlines) -> tuple[float, float]:
    return (
        float(accuracy_score(data.labels, predicted)),
        float(f1_score(data.labels, predicted, pos_label=CLICKBAIT)),
    )


def _baseline() -> Pipeline:
    return make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))


def _throughput(score: object, texts: list[str]) -> tuple[float, float]:
    """Headlines/s of batch scoring: by wall clock and by CPU time (the machine is shared)."""
    batch = (texts * (THROUGHPUT_BATCH // max(len(texts), 1) + 1))[:THROUGHPUT_BATCH]
    wall = cpu = float("inf")
    for _ in range(TIMING_REPEATS):
        started, started_cpu = time.perf_counter(), time.process_time()
        score(batch)  # type: ignore[operator]
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)
    return len(batch) / wall, len(batch) / cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--extra", type=Path, default=DATA_DIR)
    args = parser.parse_args()

    corpus = read_corpus(args.corpora / "clickbait_chakraborty.jsonl.gz")
    train, test = split_corpus(corpus)
    authored = read_labelled_tsv([args.extra])
    try:
        ood: LabelledHeadlines | None = load_ood_headlines(corpora=args.corpora)
    except CorporaMissingError as exc:
        print(f"OOD set skipped: {exc}")
        ood = None
    n_ood = f"{len(ood)} ({ood.labels.count(CLICKBAIT)} clickbait)" if ood else "-"
    print(
        f"train {len(train)} corpus + {len(authored)} authored; held-out {len(test)}; OOD {n_ood}"
    )

    Figures = tuple[float, float]
    rows: list[tuple[str, Figures, Figures | None, float, Figures]] = []

    started = time.perf_counter()
    base = _baseline().fit(train.texts, train.labels)
    fit_s = time.perf_counter() - started
    rows.append(
        (
            "word TF-IDF + LR (baseline)",
            _figures(base.predict(test.texts), test),
            _figures(base.predict(ood.texts), ood) if ood else None,
            fit_s,
            _throughput(base.predict_proba, test.texts),
        )
    )

    variants = [
        ("HeadlineClassifier, corpus only", train),
        ("HeadlineClassifier (+ authored)", train + authored),
    ]
    for name, data in variants:
        started = time.perf_counter()
        ours = HeadlineClassifier().fit(data.texts, data.labels)
        fit_s = time.perf_counter() - started

        def predict(texts: list[str], model: HeadlineClassifier = ours) -> np.ndarray:
            return np.where(model.score(texts) >= 0.5, CLICKBAIT, "news")

        rows.append(
            (
                name,
                _figures(predict(test.texts), test),
                _figures(predict(ood.texts), ood) if ood else None,
                fit_s,
                _throughput(ours.score, test.texts),
            )
        )

    header = f"{'model':34} {'held-out acc':>12} {'F1':>6} {'OOD acc':>8} {'F1':>6}"
    print(header + f" {'fit s':>6} {'scored/s wall':>14} {'scored/s CPU':>13}")
    print("-" * (len(header) + 36))
    for name, held, out, fit_s, (wall, cpu) in rows:
        ood_cols = f"{out[0]:8.3f} {out[1]:6.3f}" if out else f"{'-':>8} {'-':>6}"
        print(
            f"{name:34} {held[0]:12.3f} {held[1]:6.3f} {ood_cols} {fit_s:6.1f}"
            f" {wall:14,.0f} {cpu:13,.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
