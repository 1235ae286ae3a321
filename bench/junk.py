"""The page ``junk`` score: calibration and ROC AUC, content-farm pages vs clean articles.

Positives: generated content-farm pages (``classify.synth``; real articles from the corpora
wrapped in invented site templates) that carry at least one list of off-topic headlines.
Negatives: article pages of the corpora (WCXB ``page_type == "article"``, CleanPortalEval
pages with an article) rendered to text. Both sides are split by site: ``--part train``
fits the junk weights (a logistic regression over the verdict facts) and prints them;
``--part heldout`` (the default) scores the shipped weights and prints the ROC AUC of
``junk`` beside the AUC of each single fact.

    python bench/junk.py [--model PATH] [--part heldout|train] [--sites 60]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
FACTS = ("link_share", "clickbait_share", "article_share", "template_share", "thin")
MIN_LINKS_FOR_FARM = 3  # a content-farm page shows at least one list of off-topic headlines


def clean_pages(part: str, limit: int) -> list:  # type: ignore[type-arg]
    from classify.corpus import site_split
    from classify.render import render_html

    pages = []
    for name in ("wcxb_dev", "cleanportal"):
        with gzip.open(CORPORA / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for raw in fh:
                record = json.loads(raw)
                if record.get("page_type", "article") != "article" or record.get("no_article"):
                    continue
                if site_split(record.get("site")) != part:
                    continue
                page = render_html(
                    record["html"], id=record["id"], url=record["url"], site=record["site"]
                )
                if page.lines:
                    pages.append(page)
                if len(pages) >= limit:
                    return pages
    return pages


def farm_pages(part: str, sites: int, seed: int) -> list:  # type: ignore[type-arg]
    from classify.headlines import read_corpus, split_corpus
    from classify.synth import SourcePool, generate_sites, site_split

    # off-topic headlines the shipped headline model never saw: the held-out 20% of the
    # clickbait corpus (and corpus page titles) for held-out pages, the other 80% for train
    seen_train, seen_test = split_corpus(read_corpus(CORPORA / "clickbait_chakraborty.jsonl.gz"))
    excluded = set(seen_train.texts if part == "heldout" else seen_test.texts)
    pool = SourcePool.from_corpora(
        CORPORA, articles_filter=site_split(part), headline_filter=lambda h: h not in excluded
    )
    samples = list(generate_sites(pool, sites=sites, seed=seed))
    from classify.records import Label

    return [s.page for s in samples if s.labels.count(Label.LINK) >= MIN_LINKS_FOR_FARM]


def facts(verdict: dict) -> list[float]:  # type: ignore[type-arg]
    return [
        float(verdict["link_share"]),
        float(verdict["clickbait_share"] or 0.0),
        float(verdict["article_share"]),
        float(verdict["template_share"] or 0.0),
        float(int(verdict["article_chars"]) < 500),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model")
    parser.add_argument("--part", choices=("train", "heldout"), default="heldout")
    parser.add_argument("--sites", type=int, default=60)
    parser.add_argument("--clean", type=int, default=300)
    args = parser.parse_args()

    from classify.scorer import Scorer
    from classify.template import TemplateIndex

    farms = farm_pages(args.part, args.sites, seed=11 if args.part == "heldout" else 12)
    clean = clean_pages(args.part, args.clean)
    pages = farms + clean
    y = np.array([1] * len(farms) + [0] * len(clean))
    index = TemplateIndex.build(pages)
    scorer = Scorer.load(args.model, templates=index)
    verdicts = [dict(r.verdict) for r in scorer.score_many(pages)]
    x = np.array([facts(v) for v in verdicts])
    junk = np.array([float(v["junk"]) for v in verdicts])
    print(f"{args.part}: {len(farms)} generated content-farm pages, {len(clean)} clean articles")
    print(f"ROC AUC of junk: {roc_auc_score(y, junk):.4f}")
    for k, name in enumerate(FACTS):
        auc = roc_auc_score(y, x[:, k])
        print(f"  ROC AUC of {name:<16} {max(auc, 1 - auc):.4f}")
    for threshold in (0.3, 0.5, 0.7):
        flagged = junk > threshold
        print(
            f"  junk > {threshold}: farm recall {flagged[y == 1].mean():.3f}, "
            f"clean pages flagged {flagged[y == 0].mean():.3f}"
        )
    if args.part == "train":
        # template_share is left out of the fit: the clean corpus pages come one per site, so
        # they can show no template at all, and the fit would learn the sampling, not junk
        used = [k for k, name in enumerate(FACTS) if name != "template_share"]
        lr = LogisticRegression(C=1.0, random_state=0).fit(x[:, used], y)
        weights = {"bias": round(float(lr.intercept_[0]), 2)}
        weights.update(
            {FACTS[k]: round(float(w), 2) for k, w in zip(used, lr.coef_[0], strict=True)}
        )
        weights["template_share"] = 0.0
        print("fitted weights:", json.dumps(weights))
    return 0


if __name__ == "__main__":
    sys.exit(main())
