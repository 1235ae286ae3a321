"""classify beside the HTML main-content extractors, on the by-site held-out corpus pages.

    python bench/html_extractors.py [--corpora ../shared/corpora] [--limit N]
        [--model PATH | --quick-train N] [--systems classify,trafilatura,...]
    python bench/html_extractors.py --dom-ablation [--train-pages 600]

For every system, in one run and one process: page-level article F1 against each record's
``truth`` (word 4-gram shingles, :func:`classify.evaluate.page_score`; F1 from mean
precision and mean recall) and pages per second with parsing included. Pages are the
records of ``wcxb_dev``, ``cleaneval`` and ``cleanportal`` whose site is on the held-out
side of :func:`classify.corpus.site_split`, read into memory first. Two breakdown lines
are printed: ``render_html`` alone (first), and scoring alone on pages rendered beforehand,
one at a time and 64 at a time (after the systems, so its warm caches, e.g. the
DomFeaturizer's rows, do not speed up the ``classify`` rows; ``classify-batch`` runs after
``classify`` and sees them warm).

Systems: ``classify`` (render_html + Scorer.score_page, one page at a time, and
``classify-batch`` scoring 64 pages per call; headline scoring off, it does not change the
article), ``trafilatura`` (``extract``, defaults),
``readability`` (readability-lxml ``Document.summary()`` to text with block newlines),
``resiliparse`` (``extract_plain_text(main_content=True)``), ``justext`` (English
stoplist, non-boilerplate paragraphs), and over the same rendered lines the ``c4-rule``
and ``keep-all`` baselines and the pipelines' line dedup: ``ccnet-dedup`` (CCNet's, over
the run's pages in order, :func:`classify.evaluate.ccnet_keep`; the first copy of a line
stays) and ``ccnet+c4`` (then the C4 rule). A system that raises (or runs past
``--page-seconds``) on a page counts as empty output for it; failures are counted and
printed.

Without ``--model`` the shipped model (``classify/models/lines.joblib``) is used; when it
does not exist and ``--quick-train N`` is given, a LineClassifier is trained on N training
pages (the train side of the same split, rendered with DOM facts) first.

``--dom-ablation`` instead compares held-out page F1 of a single-stage logistic regression
(SAGA, 20 epochs, C=2) on LineFeaturizer rows of text-only pages, of pages with DOM facts,
and of pages with DOM facts plus the :class:`classify.dom.DomFeaturizer` block.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import logging
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np

from classify.corpus import corpus_samples, site_split
from classify.evaluate import ArticleF1, PageScore, c4_keep, dedup_key, page_score
from classify.records import LABELS, Label, LabelledPage, Page
from classify.render import render_html

_CORPORA_DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora"
# readability logs a traceback before raising; its failures are counted in the table
logging.getLogger("readability").setLevel(logging.CRITICAL)
_PAGE_CORPORA = ("wcxb_dev", "cleaneval", "cleanportal")
_SYSTEMS = (
    "classify",
    "classify-batch",
    "trafilatura",
    "readability",
    "resiliparse",
    "justext",
    "c4-rule",
    "ccnet-dedup",
    "ccnet+c4",
    "keep-all",
)
_PAGE_SECONDS_DEFAULT = 30.0
"""A page that takes a system longer than this counts as a failure (pathological input)."""
_BATCH_DEFAULT = 64
"""Pages per Scorer call for ``classify-batch``: the scorer's own default batch size."""
_BLOCK_TAGS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd"}
    | {"tr", "td", "th", "table", "blockquote", "pre", "section", "article", "header"}
    | {"footer", "nav", "aside", "figure", "figcaption", "br", "hr", "main", "form"}
)
_WARM_UP_HTML = "<html><body><p>" + "Warm up the imports and caches of a system. " * 5 + "</p>"
"""Run once, untimed, before each system: its imports are not part of its pages/s."""


@dataclass
class Record:
    corpus: str
    html: str
    truth: str


@dataclass
class Result:
    name: str
    scores: list[PageScore] = field(default_factory=list)
    per_corpus: dict[str, list[PageScore]] = field(default_factory=dict)
    seconds: float = 0.0
    failures: int = 0
    first_error: str = ""


class _PageTimeout(Exception):
    pass


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise _PageTimeout


def load_records(corpora: Path, limit: int | None) -> list[Record]:
    """Held-out records of the page corpora, round-robin across corpora up to ``limit``."""
    per: dict[str, list[Record]] = {}
    for name in _PAGE_CORPORA:
        path = corpora / f"{name}.jsonl.gz"
        if not path.exists():
            continue
        out: list[Record] = []
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for raw in fh:
                if not raw.strip():
                    continue
                rec = json.loads(raw)
                if site_split(rec.get("site")) != "heldout" or not rec.get("html"):
                    continue
                out.append(Record(name, rec["html"], rec.get("truth") or ""))
        per[name] = out
    records: list[Record] = []
    i = 0
    while any(i < len(v) for v in per.values()):
        for v in per.values():
            if i < len(v):
                records.append(v[i])
        i += 1
    return records[:limit] if limit else records


def _readability(html: str) -> str:
    import lxml.html
    from readability import Document

    summary = Document(html).summary()
    tree = lxml.html.fromstring(summary)
    for el in tree.iter():
        if isinstance(el.tag, str) and el.tag in _BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
            el.text = "\n" + (el.text or "")
    return "\n".join(line.strip() for line in tree.text_content().splitlines() if line.strip())


def _trafilatura(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


def _resiliparse(html: str) -> str:
    from resiliparse.extract.html2text import extract_plain_text

    return str(extract_plain_text(html, main_content=True))


def _justext(html: str) -> str:
    import justext

    paragraphs = justext.justext(html.encode("utf-8"), justext.get_stoplist("English"))
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def _c4(html: str) -> str:
    return "\n".join(t for t in render_html(html).texts if c4_keep(t))


def _keep_all(html: str) -> str:
    return "\n".join(render_html(html).texts)


class _CCNet:
    """CCNet's line dedup over the pages in the order they come (one pass of the bench): a
    line whose :func:`dedup_key` came before is dropped; the warm-up page is not counted."""

    def __init__(self, c4: bool) -> None:
        self.c4 = c4
        self.seen: set[bytes] = set()

    def __call__(self, html: str) -> str:
        texts = render_html(html).texts
        if html is _WARM_UP_HTML:
            return ""
        kept = []
        for text in texts:
            key = dedup_key(text)
            if key not in self.seen and (not self.c4 or c4_keep(text)):
                kept.append(text)
            self.seen.add(key)
        return "\n".join(kept)


def _render_only(html: str) -> str:
    render_html(html)
    return ""


def _run(name: str, fn: Callable[[str], str], records: Sequence[Record], limit_s: float) -> Result:
    res = Result(name)
    with contextlib.suppress(Exception):  # failures are counted on the real pages
        fn(_WARM_UP_HTML)
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        for rec in records:
            start = time.perf_counter()
            try:
                signal.setitimer(signal.ITIMER_REAL, limit_s)
                text = fn(rec.html)
            except Exception as exc:  # a peer failing on a page = empty output for it
                text = ""
                res.failures += 1
                if not res.first_error:
                    res.first_error = f"{type(exc).__name__}: {exc}"[:120]
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            res.seconds += time.perf_counter() - start
            score = page_score(text, rec.truth)
            res.scores.append(score)
            res.per_corpus.setdefault(rec.corpus, []).append(score)
    finally:
        signal.signal(signal.SIGALRM, previous)
    return res


def _run_batch(name: str, scorer: Any, records: Sequence[Record], batch: int) -> Result:
    """classify with pages scored ``batch`` at a time (render time included)."""
    res = Result(name)
    list(scorer.score_many([render_html(_WARM_UP_HTML)]))
    for i in range(0, len(records), batch):
        chunk = records[i : i + batch]
        start = time.perf_counter()
        pages = []
        for rec in chunk:
            try:
                pages.append(render_html(rec.html))
            except Exception:
                res.failures += 1
                pages.append(Page(id="", lines=()))
        texts = [r.article for r in scorer.score_many(pages)]
        res.seconds += time.perf_counter() - start
        for rec, text in zip(chunk, texts, strict=True):
            score = page_score(text, rec.truth)
            res.scores.append(score)
            res.per_corpus.setdefault(rec.corpus, []).append(score)
    return res


def _score_only(scorer: Any, records: Sequence[Record]) -> str:
    """Scoring time alone: the pages rendered first (untimed), then scored one at a time
    and ``_BATCH_DEFAULT`` at a time (the breakdown of the ``classify`` rows)."""
    pages = []
    for rec in records:
        try:
            pages.append(render_html(rec.html))
        except Exception:
            pages.append(Page(id="", lines=()))
    list(scorer.score_many([render_html(_WARM_UP_HTML)]))
    start = time.perf_counter()
    for page in pages:
        scorer.score_page(page)
    single = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(0, len(pages), _BATCH_DEFAULT):
        list(scorer.score_many(pages[i : i + _BATCH_DEFAULT]))
    batched = time.perf_counter() - start
    return (
        f"score only (pages rendered first): {len(pages) / single:.1f} pages/s one at a time, "
        f"{len(pages) / batched:.1f} pages/s {_BATCH_DEFAULT} at a time"
    )


def _train_samples(corpora: Path, n: int, *, plain: bool = True) -> list[LabelledPage]:
    """``n`` training-side samples, round-robin across the corpora."""
    iters: list[Iterator[LabelledPage]] = [
        corpus_samples(corpora / f"{name}.jsonl.gz", plain=plain, split="train")
        for name in _PAGE_CORPORA
        if (corpora / f"{name}.jsonl.gz").exists()
    ]
    out: list[LabelledPage] = []
    while len(out) < n and iters:
        for it in list(iters):
            sample = next(it, None)
            if sample is None:
                iters.remove(it)
            else:
                out.append(sample)
    return out[:n]


def _load_scorer(args: argparse.Namespace) -> Any:
    from classify.model import LineClassifier
    from classify.scorer import DEFAULT_MODEL, ScoreConfig, Scorer

    config = ScoreConfig(headlines=False)
    path = Path(args.model) if args.model else DEFAULT_MODEL
    if path.exists():
        scorer = Scorer.load(args.model, config=config)  # the default routes HTML pages
        html = scorer.html_model_path
        print(f"model: {path}" + (f"; pages from HTML: {html}" if html else ""))
        return scorer
    if not args.quick_train:
        print(f"no model at {path} (give --model or --quick-train N): classify skipped")
        return None
    start = time.perf_counter()
    samples = _train_samples(args.corpora, args.quick_train)
    model = LineClassifier().fit([s.page for s in samples], [s.labels for s in samples])
    print(
        f"model: quick LineClassifier on {len(samples)} training-side pages with DOM facts "
        f"({time.perf_counter() - start:.0f} s)"
    )
    return Scorer(model, config=config)


def _table(results: Sequence[Result], n_pages: int) -> str:
    corpora = [c for c in _PAGE_CORPORA if any(c in r.per_corpus for r in results)]
    head = f"{'system':<15} {'prec':>6} {'recall':>6} {'F1':>7} {'pages/s':>8} {'fail':>5}"
    head += "".join(f" {c[:11]:>11}" for c in corpora)
    out = [head]
    for r in results:
        f = ArticleF1.of(r.scores)
        rate = len(r.scores) / r.seconds if r.seconds else float("nan")
        row = f"{r.name:<15} {f.precision:>6.3f} {f.recall:>6.3f} {f.f1:>7.4f} {rate:>8.1f}"
        row += f" {r.failures:>5d}"
        row += "".join(f" {ArticleF1.of(r.per_corpus.get(c, [])).f1:>11.3f}" for c in corpora)
        out.append(row)
    sizes = "  ".join(
        f"{c}: {len(next(iter(results)).per_corpus.get(c, []))}" for c in corpora if results
    )
    out.append(f"{n_pages} held-out pages ({sizes}); F1 = page-level word 4-gram, mean P/R")
    for r in results:
        if r.failures:
            out.append(f"{r.name}: {r.failures} failed pages, first: {r.first_error}")
    return "\n".join(out)


def dom_ablation(corpora: Path, train_pages: int) -> str:
    """Held-out page F1 of text-only vs text+DOM facts vs +DomFeaturizer (single stage)."""
    import scipy.sparse as sp
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    from classify.dom import DomFeaturizer
    from classify.features import LineFeaturizer
    from classify.train import text_only

    warnings.simplefilter("ignore", ConvergenceWarning)
    train = _train_samples(corpora, train_pages)
    held = [
        s
        for name in _PAGE_CORPORA
        if (corpora / f"{name}.jsonl.gz").exists()
        for s in corpus_samples(corpora / f"{name}.jsonl.gz", plain=True, split="heldout")
    ]
    y = np.array([LABELS.index(lab) for s in train for lab in s.labels])
    y_held = np.array([LABELS.index(lab) for s in held for lab in s.labels])
    article = LABELS.index(Label.ARTICLE)
    out = [f"{len(train)} training pages, {len(held)} held-out pages"]
    variants: list[tuple[str, bool, bool]] = [
        ("text-only", False, False),
        ("text+dom-facts", True, False),
        ("text+dom+DomFeat", True, True),
    ]
    for name, with_dom, block in variants:
        start = time.perf_counter()
        tr = [s.page if with_dom else text_only(s.page) for s in train]
        he = [s.page if with_dom else text_only(s.page) for s in held]
        feat = LineFeaturizer().fit(tr)
        x, words, _ = feat.transform_parts(tr)
        xh, _, _ = feat.transform_parts(he)
        if block:
            dom = DomFeaturizer().fit(tr)
            x = sp.hstack([x, dom.transform(tr)], format="csr")
            xh = sp.hstack([xh, dom.transform(he)], format="csr")
        weights = 1.0 + np.log1p(np.asarray((words > 0).sum(axis=1)).ravel())
        lr = LogisticRegression(solver="saga", max_iter=20, C=2, random_state=0)
        lr.fit(x, y, sample_weight=weights)
        pred = lr.predict(xh)
        scores: list[PageScore] = []
        per: dict[str, list[PageScore]] = {}
        k = 0
        for s in held:
            n = len(s.page.lines)
            kept = "\n".join(
                line.text
                for line, p in zip(s.page.lines, pred[k : k + n], strict=True)
                if p == article
            )
            k += n
            score = page_score(kept, s.truth or "")
            scores.append(score)
            per.setdefault(s.page.id.split(":")[0], []).append(score)
        f = ArticleF1.of(scores)
        corp = "  ".join(f"{c} {ArticleF1.of(v).f1:.3f}" for c, v in per.items())
        out.append(
            f"{name:<18} P {f.precision:.3f} R {f.recall:.3f} F1 {f.f1:.3f} "
            f"line-acc {float(np.mean(pred == y_held)):.3f}  [{corp}]  "
            f"{time.perf_counter() - start:.0f} s"
        )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--corpora", type=Path, default=_CORPORA_DEFAULT)
    ap.add_argument("--limit", type=int, default=None, help="at most N held-out pages")
    ap.add_argument("--model", help="classify model (default: the shipped lines.joblib)")
    ap.add_argument("--quick-train", type=int, default=0, help="train on N pages if no model")
    ap.add_argument("--systems", default=",".join(_SYSTEMS), help="comma-separated subset")
    ap.add_argument("--page-seconds", type=float, default=_PAGE_SECONDS_DEFAULT)
    ap.add_argument("--dom-ablation", action="store_true", help="text vs DOM features instead")
    ap.add_argument("--train-pages", type=int, default=600, help="for --dom-ablation")
    args = ap.parse_args(argv)
    if args.dom_ablation:
        print(dom_ablation(args.corpora, args.train_pages))
        return 0
    wanted = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(wanted) - set(_SYSTEMS)
    if unknown:
        ap.error(f"unknown systems: {', '.join(sorted(unknown))}")
    records = load_records(args.corpora, args.limit)
    if not records:
        ap.error(f"no held-out pages in {args.corpora}")
    kb = sum(len(r.html) for r in records) / len(records) / 1e3
    print(f"{len(records)} held-out pages, mean {kb:.0f} kB of HTML")
    scorer = _load_scorer(args) if {"classify", "classify-batch"} & set(wanted) else None
    render = _run("render-only", _render_only, records, args.page_seconds)
    print(f"render_html only: {len(records) / render.seconds:.1f} pages/s")
    systems: dict[str, Callable[[str], str]] = {
        "trafilatura": _trafilatura,
        "readability": _readability,
        "resiliparse": _resiliparse,
        "justext": _justext,
        "c4-rule": _c4,
        "ccnet-dedup": _CCNet(c4=False),
        "ccnet+c4": _CCNet(c4=True),
        "keep-all": _keep_all,
    }
    if scorer is not None:
        systems["classify"] = lambda html: str(scorer.score_page(render_html(html)).article)
    results: list[Result] = []
    for name in wanted:
        if name == "classify-batch":
            if scorer is not None:
                results.append(_run_batch(name, scorer, records, _BATCH_DEFAULT))
        elif name in systems:
            results.append(_run(name, systems[name], records, args.page_seconds))
        print(f"  done {name}", file=sys.stderr, flush=True)
    if scorer is not None:  # after the systems: the classify rows ran with cold caches
        print(_score_only(scorer, records))
    print(_table(results, len(records)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
