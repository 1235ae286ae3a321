"""Does the batch site-template index help, and are its decisions safe? Measured on data.

Two evaluation sets, each scored without and with a batch site-template index built over the
same pages (:func:`classify.train.evaluate`):

(a) the multi-page sites of the real corpora: CleanPortalEval's four portals (all pages, gold =
    ``truth``; pages without an article have empty gold) and WCXB sites with at least two
    pages, rendered with :func:`classify.render.render_html` and labelled with
    :func:`classify.corpus.label_record` (no coverage filter);
(b) held-out generated content-farm sites (:mod:`classify.synth` over the held-out corpus
    sites' articles).

For each it prints page-level article F1 without/with templates, the lines decided by
``site_template`` and the precision of those decisions: the share of them that are *not* gold
article (target >= 0.995).

Then it sweeps ``TemplateConfig.template_share`` x ``min_pages`` on generated sites built from
the *train* corpus sites (another seed), to calibrate the defaults, and prints the same sweep
on (a) for information (those pages are also the evaluation set).

The model: ``--model PATH``, default the shipped ``classify/models/lines.joblib``; when that
does not exist, a quick model is trained on ``data/train`` (with recurrence features, as
``classify train`` does) and the run says so.

Usage: ``python bench/templates_eval.py [--model PATH] [--corpora ../shared/corpora]
[--sites 60] [--sweep-sites 60] [--max-wcxb-pages 400]``. About 2-4 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classify.corpus import label_record
from classify.evaluate import ArticleF1, page_score
from classify.model import LineClassifier
from classify.records import Label, LabelledPage
from classify.render import RenderError
from classify.scorer import DEFAULT_MODEL, ScoreConfig, Scorer
from classify.template import TemplateConfig, TemplateIndex, normalise_lines
from classify.train import Evaluation, evaluate, gold_text, recurrence_of, text_only

ROOT = Path(__file__).resolve().parent.parent
SHARES = (0.3, 0.4, 0.5, 0.6, 0.7)
MIN_PAGES = (3, 5)
TARGET_PRECISION = 0.995


def log(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------- model


def load_or_train(path: str | None) -> tuple[LineClassifier, str]:
    model_path = Path(path) if path else DEFAULT_MODEL
    if model_path.exists():
        return Scorer.load(model_path).model, str(model_path)
    if path:
        raise SystemExit(f"no model file {model_path}")
    from classify.samples import read_samples

    log(
        f"NOTE: {model_path} does not exist yet; training a quick model on data/train "
        "(hand-written pages only, with recurrence features) for this run."
    )
    start = time.perf_counter()
    samples = list(read_samples([ROOT / "data" / "train"]))
    pages = [text_only(s.page) for s in samples]
    model = LineClassifier().fit(pages, [s.labels for s in samples], recurrence_of(pages))
    log(f"  trained on {len(samples)} pages in {time.perf_counter() - start:.0f} s")
    return model, "quick model trained on data/train"


# --------------------------------------------------------------------------- data


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for raw in fh:
            if raw.strip():
                yield json.loads(raw)


def corpus_site_samples(corpora: Path, max_wcxb_pages: int) -> dict[str, list[LabelledPage]]:
    """(a): CleanPortalEval (all pages) and WCXB sites with >= 2 pages, labelled."""
    out: dict[str, list[LabelledPage]] = {"cleanportal": [], "wcxb": []}
    counts: Counter[str] = Counter()
    portal = list(_records(corpora / "cleanportal.jsonl.gz"))
    by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in _records(corpora / "wcxb_dev.jsonl.gz"):
        if record.get("site"):
            by_site[record["site"]].append(record)
    multi = [r for site in sorted(by_site) if len(by_site[site]) >= 2 for r in by_site[site]]
    if max_wcxb_pages and len(multi) > max_wcxb_pages:
        multi = multi[:max_wcxb_pages]  # whole sites in site order, cut at the limit
    for name, records in (("cleanportal", portal), ("wcxb", multi)):
        for record in records:
            try:
                kind = record.get("page_type") or ("no_article" if record.get("no_article") else "")
                sample = label_record(record, f"{name}:{kind or 'article'}:{record.get('id', '')}")
            except RenderError:
                counts[f"{name} render failed"] += 1
                continue
            if not sample.page.lines:
                counts[f"{name} empty"] += 1
                continue
            out[name].append(sample)
    if counts:
        log("  skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return out


def synth_samples(corpora: Path, part: str, sites: int, seed: int) -> list[LabelledPage]:
    from classify.synth import SourcePool, generate_sites, site_split

    pool = SourcePool.from_corpora(corpora, articles_filter=site_split(part))
    return list(generate_sites(pool, sites=sites, seed=seed))


def describe(samples: Sequence[LabelledPage]) -> str:
    sites = Counter(s.page.site for s in samples)
    lines = sum(len(s.labels) for s in samples)
    article = sum(s.labels.count(Label.ARTICLE) for s in samples)
    big = sum(1 for n in sites.values() if n >= 6)
    return (
        f"{len(samples)} pages of {len(sites)} sites ({big} with >= 6 pages; "
        f"pages/site max {max(sites.values(), default=0)}), {lines} lines, {article} gold article"
    )


# --------------------------------------------------------------------------- evaluation


def precision_of(decided: int, wrong: int) -> str:
    if decided == 0:
        return "   n/a"
    return f"{1 - wrong / decided:.4f}"


def informative(texts: Sequence[str]) -> np.ndarray:
    """Lines whose normalised text is more than digits and punctuation (not "" or "0")."""
    return np.array([n not in ("", "0") for n in normalise_lines(texts)], dtype=bool)


def decisions_by_group(samples: Sequence[LabelledPage]) -> None:
    """Template decisions (default config) per page type, with and without number-only lines."""
    pages = [text_only(s.page) for s in samples]
    index = TemplateIndex.build(pages)
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for sample, page in zip(samples, pages, strict=True):
        source, _, rest = sample.page.id.partition(":")
        group = f"{source}/{rest.split(':')[0]}" if source in ("cleanportal", "wcxb") else "all"
        mask = index.lookup(page).template_mask(index.config)
        kept = mask & informative(page.texts)
        gold = np.array([label is Label.ARTICLE for label in sample.labels], dtype=bool)
        row = tally[group]
        row[0] += int(mask.sum())
        row[1] += int((mask & gold).sum())
        row[2] += int(kept.sum())
        row[3] += int((kept & gold).sum())
    for group, (dec, art, dec2, art2) in sorted(tally.items()):
        log(
            f"    {group:<18} decided {dec:>6}, gold article {art:>4} (precision "
            f"{precision_of(dec, art)}); without number-only lines: decided {dec2:>6}, "
            f"gold article {art2:>4} (precision {precision_of(dec2, art2)})"
        )


def report(name: str, model: LineClassifier, samples: Sequence[LabelledPage]) -> Evaluation:
    plain = evaluate(model, samples)
    with_index = evaluate(model, samples, templates=True)
    log(
        f"{name:<22} {plain.article_f1.f1:>8.4f} {with_index.article_f1.f1:>8.4f} "
        f"{with_index.article_f1.precision:>7.4f} {with_index.article_f1.recall:>7.4f} "
        f"{with_index.template_decided:>8} {with_index.template_article:>6} "
        f"{precision_of(with_index.template_decided, with_index.template_article):>9}"
    )
    return with_index


REPORT_HEAD = (
    f"{'set':<22} {'F1 plain':>8} {'F1 tmpl':>8} {'P tmpl':>7} {'R tmpl':>7} "
    f"{'decided':>8} {'art.':>6} {'precision':>9}"
)


@dataclass
class SweepRow:
    share: float
    min_pages: int
    decided: int
    article: int
    title: int
    decided_informative: int
    article_informative: int
    non_article_total: int
    f1: float | None


def sweep(
    samples: Sequence[LabelledPage], model: LineClassifier | None, *, with_f1: bool
) -> list[SweepRow]:
    """Template decisions (and article F1 if ``with_f1``) for each config of the grid."""
    pages = [text_only(s.page) for s in samples]
    base = TemplateIndex.build(pages)  # counts do not depend on share / min_pages
    lookups = [base.lookup(p) for p in pages]
    gold = [np.array([label.value for label in s.labels]) for s in samples]
    useful = [informative(p.texts) for p in pages]
    non_article = int(sum((g != Label.ARTICLE.value).sum() for g in gold))
    rows = []
    for min_pages in MIN_PAGES:
        for share in SHARES:
            cfg = TemplateConfig(template_share=share, min_pages=min_pages)
            decided = article = title = decided_inf = article_inf = 0
            for lookup, g, use in zip(lookups, gold, useful, strict=True):
                mask = lookup.template_mask(cfg)
                decided += int(mask.sum())
                article += int((g[mask] == Label.ARTICLE.value).sum())
                title += int((g[mask] == Label.TITLE.value).sum())
                decided_inf += int((mask & use).sum())
                article_inf += int((g[mask & use] == Label.ARTICLE.value).sum())
            f1 = None
            if with_f1 and model is not None:
                index = TemplateIndex.build(pages, config=cfg)
                scorer = Scorer(model, config=ScoreConfig(headlines=False), templates=index)
                scores = [
                    page_score(r.article, gold_text(s))
                    for r, s in zip(scorer.score_many(pages), samples, strict=True)
                ]
                f1 = ArticleF1.of(scores).f1
            rows.append(
                SweepRow(
                    share,
                    min_pages,
                    decided,
                    article,
                    title,
                    decided_inf,
                    article_inf,
                    non_article,
                    f1,
                )
            )
    return rows


def print_sweep(rows: Sequence[SweepRow]) -> None:
    log(
        f"{'min_pages':>9} {'share':>5} {'decided':>8} {'article':>7} {'title':>5} "
        f"{'precision':>9} {'non-art. covered':>16} {'article F1':>10} "
        f"{'| no number-only: decided':>24} {'article':>7} {'precision':>9}"
    )
    for r in rows:
        f1 = "" if r.f1 is None else f"{r.f1:.4f}"
        covered = (r.decided - r.article) / max(r.non_article_total, 1)
        log(
            f"{r.min_pages:>9} {r.share:>5.1f} {r.decided:>8} {r.article:>7} {r.title:>5} "
            f"{precision_of(r.decided, r.article):>9} {covered:>16.3f} {f1:>10} "
            f"{r.decided_informative:>24} {r.article_informative:>7} "
            f"{precision_of(r.decided_informative, r.article_informative):>9}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="line model file (default: the shipped model)")
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--sites", type=int, default=60, help="held-out generated sites (b)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the held-out sites")
    parser.add_argument("--sweep-sites", type=int, default=60, help="train-part generated sites")
    parser.add_argument("--sweep-seed", type=int, default=2)
    parser.add_argument(
        "--max-wcxb-pages", type=int, default=0, help="cap on WCXB multi-page-site pages (0: all)"
    )
    args = parser.parse_args(argv)
    if not args.corpora.is_dir():
        print(f"no corpora folder {args.corpora}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    model, model_name = load_or_train(args.model)
    log(f"model: {model_name}")
    log(f"defaults: {TemplateConfig()}")

    log("\nloading (a) corpus multi-page sites ...")
    corpus = corpus_site_samples(args.corpora, args.max_wcxb_pages)
    for name, samples in corpus.items():
        log(f"  {name}: {describe(samples)}")
    log(f"loading (b) {args.sites} held-out generated sites (seed {args.seed}) ...")
    heldout = synth_samples(args.corpora, "heldout", args.sites, args.seed)
    log(f"  {describe(heldout)}")
    log(f"  ({time.perf_counter() - started:.0f} s so far)")

    log("\n== article F1 without / with a batch template index (default config) ==")
    log(REPORT_HEAD)
    both = corpus["cleanportal"] + corpus["wcxb"]
    report("(a) cleanportal", model, corpus["cleanportal"])
    report("(a) wcxb >= 2 pages", model, corpus["wcxb"])
    report("(a) all", model, both)
    report("(b) held-out synth", model, heldout)
    log("  template decisions by source/page type (synth pages: 'all'):")
    decisions_by_group(both)
    decisions_by_group(heldout)
    log(f"  ({time.perf_counter() - started:.0f} s so far)")

    log(f"\n== sweep on {args.sweep_sites} train-part generated sites (seed {args.sweep_seed}) ==")
    train_sites = synth_samples(args.corpora, "train", args.sweep_sites, args.sweep_seed)
    log(f"  {describe(train_sites)}")
    print_sweep(sweep(train_sites, model, with_f1=True))
    log("\n== the same sweep on (a), for information (also the evaluation set) ==")
    print_sweep(sweep(both, model, with_f1=True))
    log(f"\ntarget precision >= {TARGET_PRECISION}; total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
