"""Training and evaluation: from labelled samples to a saved model and its report.

``train_and_save`` fits a :class:`~classify.model.LineClassifier` on samples (optionally
with generated content-farm sites), writes it with a metadata sidecar (versions, labels,
data digests, held-out scores) and returns a printable report. ``evaluate_model`` prints
line-level and page-level scores beside the keep-all and C4 baselines on the same pages.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classify.evaluate import (
    ArticleF1,
    LineReport,
    PageScore,
    ReliabilityBin,
    c4_keep,
    calibration_error,
    ccnet_keep,
    format_reliability,
    page_score,
    reliability,
)
from classify.features import Recurrence
from classify.model import LineClassifier, ModelConfig
from classify.persist import digest_texts, save_model
from classify.records import LABELS, DecidedBy, Label, LabelledPage, Line, Page
from classify.samples import read_samples
from classify.scorer import DEFAULT_MODEL, MODEL_KIND, ScoreConfig, Scorer
from classify.template import TemplateConfig, TemplateIndex

BASELINES = ("c4-rule", "ccnet-dedup", "ccnet+c4", "keep-all")
"""The systems :func:`evaluate` scores beside the model, on the same lines."""


def text_only(page: Page) -> Page:
    """The page as rendered text: the same lines without DOM facts."""
    return Page(
        id=page.id,
        lines=tuple(Line(line.text) for line in page.lines),
        url=page.url,
        site=page.site,
        title=page.title,
    )


def gold_text(sample: LabelledPage) -> str:
    """Gold article text: the corpus truth when known, else the article-labelled lines."""
    if sample.truth is not None:
        return sample.truth
    return "\n".join(
        line.text
        for line, label in zip(sample.page.lines, sample.labels, strict=True)
        if label is Label.ARTICLE
    )


def recurrence_of(
    pages: Sequence[Page], config: TemplateConfig | None = None
) -> list[Recurrence | None]:
    """Site-template recurrence of each page, from a batch index over these same pages."""
    index = TemplateIndex.build(pages, config=config)
    out: list[Recurrence | None] = []
    for page in pages:
        lookup = index.lookup(page)
        out.append(Recurrence(shares=lookup.shares, site_pages=lookup.pages))
    return out


def samples_digest(samples: Sequence[LabelledPage]) -> str:
    return digest_texts(
        f"{s.page.id}\t{line.text}\t{label.value}"
        for s in samples
        for line, label in zip(s.page.lines, s.labels, strict=True)
    )


@dataclass(frozen=True)
class Evaluation:
    """Scores of a model and the baselines on the same labelled pages."""

    lines: LineReport
    article_f1: ArticleF1
    keep_all: ArticleF1
    c4: ArticleF1
    c4_lines: LineReport
    ccnet: ArticleF1
    """CCNet's line deduplication over the evaluated pages (``ccnet_keep``)."""
    ccnet_c4: ArticleF1
    ccnet_c4_lines: LineReport
    ece: float
    pages: int
    seconds: float
    template_decided: int = 0
    template_article: int = 0
    reliability: tuple[ReliabilityBin, ...] = ()

    def format(self, title: str = "") -> str:
        out = [title] if title else []
        out.append(self.lines.format())
        out.append(f"calibration: expected calibration error {self.ece:.3f}")
        if self.reliability:
            out.append(format_reliability(self.reliability))
        out.append("")
        out.append(f"page-level article F1 on {self.pages} pages (word 4-gram shingles):")
        out.append(f"{'system':<11} {'precision':>9} {'recall':>7} {'f1':>6}")
        for name, score in (
            ("classify", self.article_f1),
            ("c4-rule", self.c4),
            ("ccnet-dedup", self.ccnet),
            ("ccnet+c4", self.ccnet_c4),
            ("keep-all", self.keep_all),
        ):
            out.append(f"{name:<11} {score.precision:>9.3f} {score.recall:>7.3f} {score.f1:>6.3f}")
        art = self.lines.prf(Label.ARTICLE)
        c4a = self.c4_lines.prf(Label.ARTICLE)
        both = self.ccnet_c4_lines.prf(Label.ARTICLE)
        out.append(
            f"line-level article F1: classify {art[2]:.3f}, c4-rule {c4a[2]:.3f}, "
            f"ccnet+c4 {both[2]:.3f}"
        )
        out.append(
            f"scored in {self.seconds:.1f} s ({self.pages / max(self.seconds, 1e-9):.0f} "
            "pages/s, features included)"
        )
        return "\n".join(out)

    def scores(self) -> dict[str, Any]:
        per_label = {
            label.value: dict(
                zip(("precision", "recall", "f1", "support"), self.lines.prf(label), strict=True)
            )
            for label in LABELS
        }
        return {
            "pages": self.pages,
            "line_accuracy": self.lines.accuracy,
            "per_label": per_label,
            "article_f1": asdict(self.article_f1),
            "c4_article_f1": asdict(self.c4),
            "keep_all_article_f1": asdict(self.keep_all),
            "ccnet_article_f1": asdict(self.ccnet),
            "ccnet_c4_article_f1": asdict(self.ccnet_c4),
            "ece": self.ece,
            "reliability": [asdict(b) for b in self.reliability],
        }


def evaluate(
    model: LineClassifier,
    samples: Sequence[LabelledPage],
    *,
    templates: bool = False,
    keep_dom: bool = False,
    recall_weight: float | None = None,
) -> Evaluation:
    """Score ``model`` on ``samples`` (as text) beside the baselines on the same lines:
    keep-all, the C4 line rule, CCNet's line deduplication over these pages, and both.

    With ``templates``, a batch site-template index is built over the same pages first and
    used as :class:`~classify.scorer.Scorer` uses it. With ``keep_dom`` the pages keep their
    DOM facts (HTML input); otherwise they are scored as rendered text. A
    ``recall_weight`` replaces the model's own in the page decision (:class:`ScoreConfig`).
    """
    pages = [s.page if keep_dom else text_only(s.page) for s in samples]
    start = time.perf_counter()
    index = TemplateIndex.build(pages) if templates else None
    config = ScoreConfig(headlines=False, recall_weight=recall_weight)
    scorer = Scorer(model, config=config, templates=index)
    results = list(scorer.score_many(pages))
    seconds = time.perf_counter() - start
    predicted = [line.label for r in results for line in r.lines]
    proba = np.array(
        [[line.probabilities[label] for label in LABELS] for r in results for line in r.lines]
    ).reshape(-1, len(LABELS))
    gold = [label for s in samples for label in s.labels]
    ours: list[PageScore] = []
    baselines: dict[str, list[PageScore]] = {name: [] for name in BASELINES}
    baseline_pred: dict[str, list[Label]] = {"c4-rule": [], "ccnet+c4": []}
    dedup = ccnet_keep(s.page.texts for s in samples)
    for s, result, fresh in zip(samples, results, dedup, strict=True):
        texts = s.page.texts
        truth = gold_text(s)
        ours.append(page_score(result.article, truth))
        c4_mask = [c4_keep(t) for t in texts]
        masks = {
            "c4-rule": c4_mask,
            "ccnet-dedup": fresh,
            "ccnet+c4": [a and b for a, b in zip(c4_mask, fresh, strict=True)],
            "keep-all": [True] * len(texts),
        }
        for name, mask in masks.items():
            kept = "\n".join(t for t, m in zip(texts, mask, strict=True) if m)
            baselines[name].append(page_score(kept, truth))
            if name in baseline_pred:
                baseline_pred[name].extend(Label.ARTICLE if m else Label.BOILERPLATE for m in mask)
    gold_idx = np.array([LABELS.index(g) for g in gold], dtype=np.int64)
    table = tuple(reliability(proba, gold_idx))
    return Evaluation(
        lines=LineReport.of(gold, predicted),
        article_f1=ArticleF1.of(ours),
        keep_all=ArticleF1.of(baselines["keep-all"]),
        c4=ArticleF1.of(baselines["c4-rule"]),
        c4_lines=LineReport.of(gold, baseline_pred["c4-rule"]),
        ccnet=ArticleF1.of(baselines["ccnet-dedup"]),
        ccnet_c4=ArticleF1.of(baselines["ccnet+c4"]),
        ccnet_c4_lines=LineReport.of(gold, baseline_pred["ccnet+c4"]),
        ece=calibration_error(table),
        reliability=table,
        pages=len(samples),
        seconds=seconds,
        template_decided=sum(
            line.decided_by is DecidedBy.SITE_TEMPLATE for r in results for line in r.lines
        ),
        template_article=sum(
            line.decided_by is DecidedBy.SITE_TEMPLATE and g is Label.ARTICLE
            for line, g in zip((ln for r in results for ln in r.lines), gold, strict=True)
        ),
    )


FARM_WEIGHT_DEFAULT = 3.0  # content-farm pages are few beside the corpora but are the mission


def _is_farm(sample: LabelledPage) -> bool:
    """Generated or hand-written content-farm pages (not corpus pages)."""
    return not sample.page.id.startswith(("wcxb_dev:", "cleaneval:", "cleanportal:"))


def _synth_samples(corpora: str | None, sites: int, part: str, seed: int) -> list[LabelledPage]:
    if sites <= 0:
        return []
    if corpora is None:
        raise ValueError("--synth-sites needs --corpora (the shared corpora folder)")
    from classify.synth import SourcePool, generate_sites, site_split

    pool = SourcePool.from_corpora(Path(corpora), articles_filter=site_split(part))
    return list(generate_sites(pool, sites=sites, seed=seed))


def train_and_save(
    sample_paths: Sequence[str],
    output: str | Path,
    *,
    heldout: Sequence[str] = (),
    synth_sites: int = 0,
    corpora: str | None = None,
    config: ModelConfig | None = None,
    farm_weight: float = FARM_WEIGHT_DEFAULT,
    keep_dom: bool = False,
    recurrence: bool = True,
) -> str:
    """Fit on the samples, evaluate on ``heldout``, save with a sidecar; return the report.

    ``recurrence``: feed each training page's site-template recurrence (a batch index over
    the training pages) to the model.
    """
    samples = list(read_samples(sample_paths))
    samples += _synth_samples(corpora, synth_sites, "train", seed=0)
    weights = [farm_weight if _is_farm(s) else 1.0 for s in samples]
    if not samples:
        raise ValueError("no training samples")
    held = list(read_samples(heldout)) if heldout else []
    held_synth = _synth_samples(corpora, max(synth_sites // 5, 0), "heldout", seed=1)
    start = time.perf_counter()
    pages = [s.page if keep_dom else text_only(s.page) for s in samples]
    model = LineClassifier(config=config).fit(
        pages,
        [s.labels for s in samples],
        recurrence_of(pages) if recurrence else None,
        page_weights=weights,
    )
    fit_seconds = time.perf_counter() - start
    report = [
        f"trained on {len(samples)} pages, "
        f"{sum(len(s.labels) for s in samples)} lines in {fit_seconds:.0f} s"
    ]
    scores: dict[str, Any] = {}
    for name, part, dom in (("heldout", held, keep_dom), ("heldout_synth", held_synth, False)):
        if not part:
            continue
        evaluation = evaluate(model, part, keep_dom=dom)
        raw = evaluate(model.uncalibrated(), part, keep_dom=dom)
        scores[name] = evaluation.scores()
        scores[name]["uncalibrated"] = {"ece": raw.ece, "article_f1": asdict(raw.article_f1)}
        title = (
            f"held-out samples ({', '.join(heldout)})"
            if name == "heldout"
            else "held-out generated content-farm sites"
        )
        report.append(evaluation.format(f"\n== {title} =="))
        report.append(
            f"without calibration and sequence decoding: expected calibration error {raw.ece:.3f}, "
            f"page-level article F1 {raw.article_f1.f1:.3f}"
        )
    report.append(f"\ncalibration on out-of-fold training rows: {_calibration_line(model)}")
    counts = {label.value: sum(s.labels.count(label) for s in samples) for label in LABELS}
    save_model(
        model,
        output,
        kind=MODEL_KIND,
        metadata={
            "labels": [label.value for label in LABELS],
            "training": {
                "samples": list(map(str, sample_paths)),
                "synth_sites": synth_sites,
                "farm_weight": farm_weight,
                "dom_facts": keep_dom,
                "recurrence": recurrence,
                "pages": len(samples),
                "lines_per_label": counts,
                "digest_sha256": samples_digest(samples),
                "heldout": list(map(str, heldout)),
                "heldout_digest_sha256": samples_digest(held) if held else None,
                "seconds": round(fit_seconds, 1),
            },
            "config": asdict(config or ModelConfig()),
            "calibration": model.calibration_report_,
            "scores": scores,
        },
    )
    report.append(f"\nwrote {output} and {Path(output).with_suffix('.json').name}")
    return "\n".join(report)


def _calibration_line(model: LineClassifier) -> str:
    rep = model.calibration_report_
    if rep["kind"] == "none" and "sequence_strength" not in rep:
        return "none"
    out = (
        f"{rep['kind']}, expected calibration error {rep['oof_ece_before']:.3f} -> "
        f"{rep['oof_ece_after']:.3f}, log loss {rep['oof_log_loss_before']:.3f} -> "
        f"{rep['oof_log_loss_after']:.3f} ({rep['lines']} lines)"
    )
    if "sequence_strength" in rep:
        table = rep["oof_page_f1_by_strength"]
        chosen = rep["decoding"]
        out += (
            f"; sequence marginals at strength {rep['sequence_strength']:.2f}"
            f"{' with the prior lift' if rep.get('sequence_lift') else ''}, article chance "
            f"beyond the story's prose times {rep.get('outside_discount', 1.0):.1f}, page "
            f"decision with recall weight {rep['recall_weight']:.1f}: out-of-fold page F1 "
            f"{table[chosen]:.4f}"
        )
        groups = rep.get("oof_page_f1_by_strength_and_page_weight", {})
        if len(groups) > 1:
            out += (
                " (the mean of the page weights' own F1: "
                + ", ".join(f"page weight {w}: {t[chosen]:.4f}" for w, t in groups.items())
                + ")"
            )
        best: dict[str, float] = {}
        for k, v in table.items():
            strength = k.split(" recall ")[0]
            best[strength] = max(best.get(strength, 0.0), v)
        out += "; best over recall weights by strength: " + ", ".join(
            f"{k}: {v:.4f}" for k, v in best.items()
        )
    return out


def evaluate_model(
    model_path: str,
    corpus: Sequence[str],
    *,
    templates: bool = True,
    keep_dom: bool = False,
    recall_weight: float | None = None,
) -> str:
    """The report of ``classify evaluate``: without and (by default) with site templates."""
    path = DEFAULT_MODEL if model_path == "default" else Path(model_path)
    model = Scorer.load(path).model
    samples = list(read_samples(corpus))
    if not samples:
        raise ValueError("no samples to evaluate on")
    name = ", ".join(corpus)
    plain = evaluate(model, samples, keep_dom=keep_dom, recall_weight=recall_weight)
    out = [plain.format(f"== {name}: without site templates ==")]
    if templates:
        with_index = evaluate(
            model, samples, templates=True, keep_dom=keep_dom, recall_weight=recall_weight
        )
        out.append(with_index.format(f"\n== {name}: with a batch site-template index =="))
        out.append(
            f"\narticle F1 without templates {plain.article_f1.f1:.4f}, "
            f"with templates {with_index.article_f1.f1:.4f}; "
            f"lines decided by the template: {with_index.template_decided} "
            f"(of which gold article: {with_index.template_article})"
        )
    return "\n".join(out)
