"""Does the batch site-template index help, and are its decisions safe? Measured on data.

Two evaluation sets, each scored without and with a batch site-template index built over the
same pages (as :func:`classify.train.evaluate` does, with :class:`~classify.scorer.Scorer`):

(a) the multi-page sites of the real corpora: CleanPortalEval's four portals (all pages, gold =
    ``truth``; pages without an article have empty gold) and WCXB sites with at least two
    pages, rendered with :func:`classify.render.render_html` and labelled with
    :func:`classify.corpus.label_record` (no coverage filter);
(b) held-out generated content-farm sites (:mod:`classify.synth` over the held-out corpus
    sites' articles).

Contamination: the shipped line model is trained on the corpus pages of the *train* side of
the by-site split (:func:`classify.corpus.site_split`), so every corpus figure is printed for
all pages, for train-split sites (pages the model may have trained on) and for held-out sites.

1. Variants, page-level article F1 on the same pages: no index; hard decisions only
   (``recurrence_features=False``, the default); recurrence features only (no decisions);
   both; decisions without the article-span rule (``article_span_words=0``). For the default
   and the no-span config: lines decided by ``site_template`` and the precision of those
   decisions, the share of them that are *not* gold article (target >= 0.995). Beside
   them, the pipelines' peer on the same pages: CCNet's line deduplication over the set
   (:func:`classify.evaluate.ccnet_keep`), alone and followed by the C4 line rule.
2. The default's wrong decisions by site and page type, and how many of them the model
   without templates labels non-article too (``--show-wrong N`` prints N of each group).
3. Calibration sweeps of ``template_share`` x ``min_pages`` (decisions without the model's
   span rule) on data that is not evaluated on: generated sites built from the *train*
   corpus sites (another seed), and the train-split corpus sites.
4. Span sweep: ``article_span_words`` on the same training-side data (generated train-part
   sites; CleanPortalEval and WCXB train-split sites separately): decisions, precision, F1.
5. On the same two: the share of lines found on no other page of their site that are gold
   article, which is what the recurrence features learn "does not recur" to mean.

The model: ``--model PATH``, default the shipped ``classify/models/lines.joblib``; when that
does not exist, a quick model is trained on ``data/train`` (with recurrence features, as
``classify train`` does) and the run says so.

Usage: ``python bench/templates_eval.py [--model PATH] [--corpora ../shared/corpora]
[--sites 60] [--sweep-sites 60] [--max-wcxb-pages 400] [--show-wrong 40]``. About 5 minutes on
2 cores.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from classify.corpus import label_record, site_split
from classify.evaluate import ArticleF1, c4_keep, ccnet_keep, page_score
from classify.model import LineClassifier
from classify.records import DecidedBy, Label, LabelledPage, PageResult
from classify.render import RenderError
from classify.scorer import DEFAULT_MODEL, ScoreConfig, Scorer
from classify.template import TemplateConfig, TemplateIndex, normalise_lines
from classify.train import gold_text, recurrence_of, text_only

ROOT = Path(__file__).resolve().parent.parent
SHARES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.9)
MIN_PAGES = (3, 5)
SPAN_WORDS = (0, 1, 2, 3, 4, 6, 8, 12, 20)
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


def split_of(sample: LabelledPage) -> str:
    """``train`` or ``heldout`` for corpus pages (by site), ``generated`` for the others."""
    if sample.page.id.split(":")[0] in ("cleanportal", "wcxb"):
        return site_split(sample.page.site)
    return "generated"


def page_type(sample: LabelledPage) -> str:
    return sample.page.id.split(":")[1] if ":" in sample.page.id else ""


DEFAULT = TemplateConfig()
BOTH = replace(DEFAULT, recurrence_features=True)
VARIANTS: dict[str, TemplateConfig | None] = {
    "none": None,
    "decide": replace(DEFAULT, recurrence_features=False),
    "feat": replace(BOTH, min_pages=10**9),  # shares known, nothing decided
    "both": BOTH,
    "decide-nospan": replace(DEFAULT, recurrence_features=False, article_span_words=0),
}
"""Ways to use the index; the default :class:`TemplateConfig` is ``decide``."""


def score(
    model: LineClassifier, samples: Sequence[LabelledPage], config: TemplateConfig | None
) -> list[PageResult]:
    """Score the pages as text with a batch index over them (``config``), or without one."""
    pages = [text_only(s.page) for s in samples]
    index = TemplateIndex.build(pages, config=config) if config is not None else None
    scorer = Scorer(model, config=ScoreConfig(headlines=False), templates=index)
    return list(scorer.score_many(pages))


@dataclass
class Tally:
    f1: float
    pages: int
    decided: int
    wrong: int


def tally(samples: Sequence[LabelledPage], results: Sequence[PageResult]) -> Tally:
    scores, decided, wrong = [], 0, 0
    for sample, result in zip(samples, results, strict=True):
        scores.append(page_score(result.article, gold_text(sample)))
        for line, gold in zip(result.lines, sample.labels, strict=True):
            if line.decided_by is DecidedBy.SITE_TEMPLATE:
                decided += 1
                wrong += gold is Label.ARTICLE
    return Tally(ArticleF1.of(scores).f1, len(samples), decided, wrong)


def pipeline_f1(samples: Sequence[LabelledPage], rows: Sequence[int]) -> tuple[float, float]:
    """Page F1 of CCNet's line dedup over all ``samples`` (in order: the shard), and of it
    with the C4 line rule, on the pages at ``rows``."""
    fresh = ccnet_keep(s.page.texts for s in samples)
    dedup, both = [], []
    for i in rows:
        texts, truth = samples[i].page.texts, gold_text(samples[i])
        kept = [t for t, m in zip(texts, fresh[i], strict=True) if m]
        dedup.append(page_score("\n".join(kept), truth))
        both.append(page_score("\n".join(t for t in kept if c4_keep(t)), truth))
    return ArticleF1.of(dedup).f1, ArticleF1.of(both).f1


def variants_table(
    model: LineClassifier, sets: dict[str, list[LabelledPage]]
) -> dict[str, dict[str, list[PageResult]]]:
    """Print F1 per variant and decisions of the default, per set and split, beside CCNet's
    line dedup over the same pages (and it with the C4 line rule)."""
    log(
        f"{'set':<24} {'pages':>5} "
        + " ".join(f"{name:>13}" for name in VARIANTS)
        + f" {'ccnet-dedup':>11} {'ccnet+c4':>8}"
        + f" {'decided':>8} {'wrong':>5} {'precision':>9} | no span: {'decided':>7} "
        f"{'wrong':>5} {'precision':>9}"
    )
    out: dict[str, dict[str, list[PageResult]]] = {}
    for name, samples in sets.items():
        results = {v: score(model, samples, cfg) for v, cfg in VARIANTS.items()}
        out[name] = results
        groups = sorted({split_of(s) for s in samples})
        for group in ["all", *groups] if len(groups) > 1 else ["all"]:
            keep = [i for i, s in enumerate(samples) if group == "all" or split_of(s) == group]
            chosen = [samples[i] for i in keep]
            t = {v: tally(chosen, [r[i] for i in keep]) for v, r in results.items()}
            dflt, nospan = t["decide"], t["decide-nospan"]
            dedup, both = pipeline_f1(samples, keep)
            log(
                f"{name + ' ' + group:<24} {dflt.pages:>5} "
                + " ".join(f"{t[v].f1:>13.4f}" for v in VARIANTS)
                + f" {dedup:>11.4f} {both:>8.4f}"
                + f" {dflt.decided:>8} {dflt.wrong:>5} {precision_of(dflt.decided, dflt.wrong):>9}"
                f" | no span: {nospan.decided:>7} {nospan.wrong:>5} "
                f"{precision_of(nospan.decided, nospan.wrong):>9}"
            )
    return out


def wrong_decisions(
    samples: Sequence[LabelledPage],
    results: dict[str, list[PageResult]],
    show: int,
) -> None:
    """Default-config decisions by site and page type; wrong ones (gold article) explained.

    ``results``: the variants' results on ``samples`` ("decide", "none" and "feat" are used).
    """
    rows: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    shown: Counter[tuple[str, str, str]] = Counter()
    for sample, result, base, feat in zip(
        samples, results["decide"], results["none"], results["feat"], strict=True
    ):
        key = (sample.page.site or "", split_of(sample), page_type(sample))
        lines = zip(result.lines, base.lines, feat.lines, sample.labels, strict=True)
        for line, before, undecided, gold in lines:
            if line.decided_by is not DecidedBy.SITE_TEMPLATE:
                continue
            row = rows[key]
            row[0] += 1
            if gold is not Label.ARTICLE:
                continue
            row[1] += 1
            row[2] += before.label is not Label.ARTICLE
            row[3] += len(line.text.split()) <= 3
            if shown[key] < show:
                shown[key] += 1
                log(
                    f"    WRONG {key[0]} {key[2]} share {line.template_share:.2f} "
                    f"p(article) without index {before.probabilities[Label.ARTICLE]:.2f}, "
                    f"with recurrence features {undecided.probabilities[Label.ARTICLE]:.2f}: "
                    f"{line.text[:60]!r}"
                )
    log(
        f"    {'site':<26} {'split':<8} {'page type':<14} {'decided':>7} {'wrong':>5} "
        f"{'wrong, plain model non-article too':>34} {'wrong, <= 3 words':>17}"
    )
    for (site, split, kind), (dec, wrong, plain_non, short) in sorted(rows.items()):
        log(f"    {site:<26} {split:<8} {kind:<14} {dec:>7} {wrong:>5} {plain_non:>34} {short:>17}")
    total = [sum(r[k] for r in rows.values()) for k in range(4)]
    log(f"    {'total':<50} {total[0]:>7} {total[1]:>5} {total[2]:>34} {total[3]:>17}")


def per_site_f1(samples: Sequence[LabelledPage], results: dict[str, list[PageResult]]) -> None:
    """Article F1 of each variant on each site with >= 6 pages."""
    by_site: dict[str, list[int]] = defaultdict(list)
    for i, sample in enumerate(samples):
        by_site[sample.page.site or ""].append(i)
    for site, members in sorted(by_site.items()):
        if len(members) < 6:
            continue
        chosen = [samples[i] for i in members]
        f1 = {v: tally(chosen, [r[i] for i in members]).f1 for v, r in results.items()}
        log(
            f"    {site:<26} {split_of(chosen[0]):<8} {len(members):>3} pages "
            + " ".join(f"{v} {f:.4f}" for v, f in f1.items())
        )


@dataclass
class SweepRow:
    share: float
    min_pages: int
    decided: int
    article: int
    title: int
    non_article_total: int


def sweep(samples: Sequence[LabelledPage]) -> list[SweepRow]:
    """Template decisions (without the model's span rule) for each config of the grid."""
    pages = [text_only(s.page) for s in samples]
    base = TemplateIndex.build(pages)  # counts do not depend on share / min_pages
    lookups = [base.lookup(p) for p in pages]
    gold = [np.array([label.value for label in s.labels]) for s in samples]
    non_article = int(sum((g != Label.ARTICLE.value).sum() for g in gold))
    rows = []
    for min_pages in MIN_PAGES:
        for share in SHARES:
            cfg = TemplateConfig(template_share=share, min_pages=min_pages)
            decided = article = title = 0
            for lookup, g in zip(lookups, gold, strict=True):
                mask = lookup.template_mask(cfg)
                decided += int(mask.sum())
                article += int((g[mask] == Label.ARTICLE.value).sum())
                title += int((g[mask] == Label.TITLE.value).sum())
            rows.append(SweepRow(share, min_pages, decided, article, title, non_article))
    return rows


def span_sweep(model: LineClassifier, samples: Sequence[LabelledPage]) -> None:
    """Decisions and article F1 for each ``article_span_words`` (default config otherwise).

    One model pass without an index gives each line's label; a line decided by the template
    loses an article label and keeps any other (what :class:`Scorer` does), so each setting
    costs no further model pass.
    """
    pages = [text_only(s.page) for s in samples]
    index = TemplateIndex.build(pages)
    plain = score(model, samples, None)
    gold = [gold_text(s) for s in samples]
    lookups = [index.lookup(p) for p in pages]
    article = [np.array([ln.label is Label.ARTICLE for ln in r.lines], dtype=bool) for r in plain]
    gold_article = [np.array([g is Label.ARTICLE for g in s.labels], dtype=bool) for s in samples]
    without = ArticleF1.of([page_score(r.article, g) for r, g in zip(plain, gold, strict=True)]).f1
    header = f"{'decided':>8} {'wrong':>5} {'precision':>9} {'F1 without':>10} {'with':>7}"
    log(f"  {'words':>5} {header}")
    for words in SPAN_WORDS:
        cfg = replace(DEFAULT, article_span_words=words)
        decided = wrong = 0
        scores = []
        for k, result in enumerate(plain):
            mask = lookups[k].template_mask(cfg, article[k])
            decided += int(mask.sum())
            wrong += int((mask & gold_article[k]).sum())
            lines = zip(result.lines, article[k], mask, strict=True)
            kept = (ln.text for ln, a, m in lines if a and not m)
            scores.append(page_score("\n".join(kept), gold[k]))
        with_f1 = ArticleF1.of(scores).f1
        log(
            f"  {words:>5} {decided:>8} {wrong:>5} {precision_of(decided, wrong):>9} "
            f"{without:>10.4f} {with_f1:>7.4f}"
        )


def unique_line_prior(samples: Sequence[LabelledPage]) -> str:
    """Share of gold article among lines that occur on no other page of a multi-page site.

    What the recurrence features learn "does not recur" to mean; the training sites should
    give about what real sites give.
    """
    pages = [text_only(s.page) for s in samples]
    index = TemplateIndex.build(pages)
    unique = article = 0
    for sample, page in zip(samples, pages, strict=True):
        lookup = index.lookup(page)
        if lookup.pages < 1:
            continue
        alone = lookup.counts == 0
        gold = np.array([label is Label.ARTICLE for label in sample.labels], dtype=bool)
        unique += int(alone.sum())
        article += int((alone & gold).sum())
    return f"{article / max(unique, 1):.3f} of {unique} lines"


def print_sweep(rows: Sequence[SweepRow]) -> None:
    log(
        f"{'min_pages':>9} {'share':>5} {'decided':>8} {'article':>7} {'title':>5} "
        f"{'precision':>9} {'non-art. covered':>16}"
    )
    for r in rows:
        covered = (r.decided - r.article) / max(r.non_article_total, 1)
        log(
            f"{r.min_pages:>9} {r.share:>5.1f} {r.decided:>8} {r.article:>7} {r.title:>5} "
            f"{precision_of(r.decided, r.article):>9} {covered:>16.3f}"
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
    parser.add_argument(
        "--show-wrong", type=int, default=0, help="print this many wrong lines per site/page type"
    )
    args = parser.parse_args(argv)
    if not args.corpora.is_dir():
        print(f"no corpora folder {args.corpora}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    model, model_name = load_or_train(args.model)
    log(f"model: {model_name}")
    log(f"defaults: {DEFAULT}")

    log("\nloading (a) corpus multi-page sites ...")
    corpus = corpus_site_samples(args.corpora, args.max_wcxb_pages)
    for name, samples in corpus.items():
        log(f"  {name}: {describe(samples)}")
        for part in ("train", "heldout"):
            chosen = [s for s in samples if split_of(s) == part]
            log(f"    {part}-split sites: {describe(chosen)}")
    log(f"loading (b) {args.sites} held-out generated sites (seed {args.seed}) ...")
    heldout = synth_samples(args.corpora, "heldout", args.sites, args.seed)
    log(f"  {describe(heldout)}")
    log(f"  ({time.perf_counter() - started:.0f} s so far)")

    log("\n== page-level article F1 by way of using the index (same pages in each column) ==")
    log(
        "none: no index; decide: decisions only (the default); feat: recurrence features only; "
        "both: features and decisions; decide-nospan: article_span_words=0. "
        "decided/wrong/precision: the default"
    )
    sets = {"(a) cleanportal": corpus["cleanportal"], "(a) wcxb": corpus["wcxb"]}
    sets["(b) held-out synth"] = heldout
    results = variants_table(model, sets)
    log(f"  ({time.perf_counter() - started:.0f} s so far)")

    log("\n== the default's site_template decisions on (a) by site and page type ==")
    for name in ("(a) cleanportal", "(a) wcxb"):
        wrong_decisions(sets[name], results[name], args.show_wrong)
    log("  article F1 per site (sites with >= 6 pages):")
    for name in ("(a) cleanportal", "(a) wcxb"):
        per_site_f1(sets[name], results[name])

    log("\n== calibration sweeps (decisions without the span rule; not evaluation data) ==")
    log(f"-- {args.sweep_sites} train-part generated sites (seed {args.sweep_seed})")
    train_sites = synth_samples(args.corpora, "train", args.sweep_sites, args.sweep_seed)
    log(f"  {describe(train_sites)}")
    print_sweep(sweep(train_sites))
    train_corpus = [s for s in corpus["cleanportal"] + corpus["wcxb"] if split_of(s) == "train"]
    log(f"-- train-split corpus sites of (a): {describe(train_corpus)}")
    print_sweep(sweep(train_corpus))
    log(
        "\n== span sweep: article_span_words on training-side data (the default is "
        f"{DEFAULT.article_span_words}; 0 = no span rule) =="
    )
    log("-- train-part generated sites")
    span_sweep(model, train_sites)
    for name in ("cleanportal", "wcxb"):
        chosen = [s for s in corpus[name] if split_of(s) == "train"]
        log(f"-- {name} train-split sites ({len(chosen)} pages)")
        span_sweep(model, chosen)
    log(
        "\nlines on no other page of their site that are gold article: generated train-part "
        f"sites {unique_line_prior(train_sites)}; train-split corpus sites "
        f"{unique_line_prior(train_corpus)}"
    )
    log(f"\ntarget precision >= {TARGET_PRECISION}; total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
