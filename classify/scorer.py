"""The scorer: a read-only, picklable object that labels the lines of pages.

``Scorer.load()`` takes the default model shipped in the package, or a path the caller
names. It holds no module globals, prints nothing and pickles cheaply: the fitted model is
dropped from the pickle and reloaded from its path on first use in the worker.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import islice, repeat
from pathlib import Path
from typing import Any

import numpy as np

from classify.features import Recurrence
from classify.headlines import HeadlineClassifier, load_headline_model
from classify.inputs import InputRecord, input_record, rendered
from classify.model import LineClassifier, line_words
from classify.persist import PACKAGE_MODELS, load_model
from classify.records import (
    LABELS,
    DecidedBy,
    Label,
    Page,
    PageResult,
    make_line_result,
    page_from_text,
    result_record,
)
from classify.template import TemplateLookup, TemplateQueries

try:
    from classify import _records
except ImportError:  # built without a C compiler: the records are made in Python, the same
    _records = None  # type: ignore[assignment]
COMPILED = _records is not None
"""The compiled record building (classify/_records.pyx) is built and used by :class:`Scorer`."""

_Groups = list[tuple[LineClassifier, list[int]]]
"""Models and the indices of the batch's pages each one scores."""

DEFAULT_MODEL = PACKAGE_MODELS / "lines.joblib"
DEFAULT_HTML_MODEL = PACKAGE_MODELS / "lines-html.joblib"
"""Used for pages rendered from HTML when present (``Scorer.load()`` without a path)."""
MODEL_KIND = "lines"
BATCH_SIZE_DEFAULT = 64  # pages per vectorisation: large enough to amortise numpy overhead


@dataclass(frozen=True, slots=True)
class ScoreConfig:
    """How pages are scored and which pages are kept."""

    batch_size: int = BATCH_SIZE_DEFAULT
    headlines: bool = True
    """Score ``title`` and ``link`` lines for clickbait with the headline model."""
    max_junk: float | None = None
    """Drop the article of pages whose ``junk`` score is above this (the record stays)."""
    min_article_chars: int = 0
    """Drop the article of pages that keep fewer article characters than this."""
    recall_weight: float | None = None
    """The page decision's weight of recall against precision (classify.model), instead of
    the model's own (chosen in training for page F1): lower keeps less and cleaner article
    text, higher keeps more of it."""

    def __post_init__(self) -> None:
        if self.recall_weight is not None and not 0 < self.recall_weight < math.inf:
            raise ValueError(f"recall weight must be above 0 and finite, not {self.recall_weight}")


class Scorer:
    """Label every line of pages with a fitted :class:`LineClassifier`."""

    def __init__(
        self,
        model: LineClassifier | None = None,
        *,
        model_path: str | Path | None = None,
        config: ScoreConfig | None = None,
        templates: TemplateQueries | None = None,
        headline_model_path: str | Path | None = None,
        html_model_path: str | Path | None = None,
    ) -> None:
        if model is None and model_path is None:
            raise ValueError("give a fitted model or a model path (or use Scorer.load())")
        self._model = model
        self.model_path = Path(model_path) if model_path is not None else None
        self.config = config or ScoreConfig()
        self.templates = templates
        self.headline_model_path = (
            Path(headline_model_path) if headline_model_path is not None else None
        )
        self._headlines: HeadlineClassifier | None = None
        self.html_model_path = Path(html_model_path) if html_model_path is not None else None
        self._html: LineClassifier | None = None

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        config: ScoreConfig | None = None,
        templates: TemplateQueries | None = None,
        headline_model_path: str | Path | None = None,
    ) -> Scorer:
        """Load the model at ``path``, or the package's default model when ``path`` is None.

        A model file is a pickle: load only files you trust.
        """
        model_path = Path(path) if path is not None else DEFAULT_MODEL
        html_path = DEFAULT_HTML_MODEL if path is None and DEFAULT_HTML_MODEL.exists() else None
        scorer = cls(
            model_path=model_path,
            config=config,
            templates=templates,
            headline_model_path=headline_model_path,
            html_model_path=html_path,
        )
        scorer.model  # noqa: B018 -- load now so a bad path fails here, not mid-stream
        return scorer

    @property
    def model(self) -> LineClassifier:
        if self._model is None:
            assert self.model_path is not None
            self._model = load_model(self.model_path, kind=MODEL_KIND, expected_type=LineClassifier)
        return self._model

    @property
    def html_model(self) -> LineClassifier | None:
        """The model for pages rendered from HTML (with DOM facts), if one is installed."""
        if self.html_model_path is None:
            return None
        if self._html is None:
            self._html = load_model(
                self.html_model_path, kind=MODEL_KIND, expected_type=LineClassifier
            )
        return self._html

    @property
    def headline_model(self) -> HeadlineClassifier | None:
        """The clickbait model (package default unless a path was given), or None if off."""
        if not self.config.headlines:
            return None
        if self._headlines is None:
            self._headlines = load_headline_model(self.headline_model_path)
        return self._headlines

    def score_headline(self, text: str) -> float:
        """Clickbait probability of one headline."""
        if self._headlines is None:
            self._headlines = load_headline_model(self.headline_model_path)
        return float(self._headlines.score([text])[0])

    def with_templates(self, templates: TemplateQueries | None) -> Scorer:
        """This scorer with another site-template index (or none); the models already
        loaded are shared, not loaded again."""
        other = object.__new__(Scorer)
        other.__dict__.update(self.__dict__)
        other.templates = templates
        return other

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if self.model_path is not None:
            state["_model"] = None  # reloaded lazily in the worker
        state["_headlines"] = None
        state["_html"] = None
        return state

    def score(
        self, text: str, url: str | None = None, *, site: str | None = None, id: str = ""
    ) -> PageResult:
        """Score one page given as text, one block per line."""
        return self.score_page(page_from_text(text, id=id, url=url, site=site))

    def score_page(self, page: Page) -> PageResult:
        return next(iter(self.score_many([page])))

    def kept_article(self, result: PageResult) -> str:
        """The article text of a page that passes the filters, else an empty string."""
        return result.article if result.verdict.get("kept", True) else ""

    def score_records(
        self, records: Iterable[Mapping[str, Any]], *, with_lines: bool = True
    ) -> Iterator[dict[str, Any]]:
        """For ingestion jobs (a Spark partition, a pipeline step): one output record per
        input record ``{"id", "url", "site", "text" | "html"}``, in order, the records
        ``classify score --format jsonl`` writes; one that cannot be scored (no text, not a
        mapping, HTML that does not parse) gets an ``error`` instead of lines."""

        def inputs() -> Iterator[InputRecord]:
            for n, record in enumerate(records):
                if isinstance(record, Mapping):
                    yield input_record(record, default_id=str(n))
                else:
                    yield InputRecord(
                        id=str(n), error=f"expected a mapping, not {type(record).__name__}"
                    )

        for result in self.score_inputs(inputs()):
            yield result_record(result, with_lines=with_lines)

    def score_inputs(self, records: Iterable[InputRecord]) -> Iterator[PageResult]:
        """One result per input record, in order: pages scored (pending HTML rendered first),
        records that failed to read or render carry their error."""
        iterator = iter(records)
        while batch := [rendered(r) for r in islice(iterator, self.config.batch_size)]:
            scored = self.score_many([r.page for r in batch if r.page is not None])
            for r in batch:
                if r.page is None:
                    yield PageResult(id=r.id, url=r.url, site=r.site, error=r.error)
                else:
                    yield next(scored)

    def score_many(self, pages: Iterable[Page | str]) -> Iterator[PageResult]:
        """Score pages lazily, one vectorisation per batch; results come in input order."""
        if isinstance(pages, str | Page):
            raise TypeError("score_many expects an iterable of pages; use score() for one page")
        iterator = iter(pages)
        while batch := list(islice(iterator, self.config.batch_size)):
            with _gc_paused():
                results = self._score_batch(
                    [p if isinstance(p, Page) else page_from_text(p) for p in batch]
                )
            yield from results

    def _score_batch(self, pages: list[Page]) -> list[PageResult]:
        lookups = None
        if self.templates is not None:
            lookups = [self.templates.lookup(page) for page in pages]  # keyed by site or URL host
        recurrence = (
            [Recurrence(shares=lk.shares, site_pages=lk.pages) for lk in lookups]
            if lookups is not None and self.templates and self.templates.config.recurrence_features
            else None  # TemplateConfig.recurrence_features: decisions only
        )
        rows_of, outside_of, groups = self._predict(pages, recurrence)
        words = line_words(pages)
        labels_of = self._decide(rows_of, outside_of, words, groups)
        decided_of = [np.zeros(len(rows), dtype=bool) for rows in rows_of]
        if lookups is not None and self.templates is not None:
            for k, lookup in enumerate(lookups):
                if not len(rows_of[k]):
                    continue
                # template lines inside the model's article span stay the model's (template.py)
                model_article = labels_of[k] == LABELS.index(Label.ARTICLE)
                decided_of[k] = decided = lookup.template_mask(self.templates.config, model_article)
                if decided.any():
                    # a line on most of the site's pages is template: never article or title
                    rows = rows_of[k] = rows_of[k].copy()
                    rows[np.ix_(decided, _TEXT_COLUMNS)] = 0.0
                    rows[decided] /= np.maximum(rows[decided].sum(axis=1, keepdims=True), 1e-12)
            if any(d.any() for d in decided_of):
                labels_of = self._decide(rows_of, outside_of, words, groups)
        results = [
            self._page_result(
                page,
                rows_of[k],
                labels_of[k],
                decided_of[k],
                lookups[k].shares if lookups is not None else None,
            )
            for k, page in enumerate(pages)
        ]
        headline_model = self.headline_model
        if headline_model is not None:
            results = self._add_clickbait(results, headline_model)
        return [
            self._with_verdict(r, lookups[k] if lookups else None) for k, r in enumerate(results)
        ]

    def _decide(
        self,
        rows_of: list[np.ndarray],
        outside_of: list[np.ndarray],
        words: np.ndarray,
        groups: _Groups,
    ) -> list[np.ndarray]:
        """Each page's label indices, decided by the model that scored it (one call per
        model for all of its pages in the batch); ``outside_of``: each page's lines outside
        its story's prose span; ``words``: the batch's line word counts."""
        out: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(rows_of)
        offsets = np.r_[0, np.cumsum([len(rows) for rows in rows_of])]
        for model, members in groups:
            lengths = [len(rows_of[k]) for k in members]
            page_words = np.concatenate([words[offsets[k] : offsets[k + 1]] for k in members])
            decided = model.decide(
                np.vstack([rows_of[k] for k in members]),
                page_words,
                lengths,
                recall_weight=self.config.recall_weight,
                outside=np.concatenate([outside_of[k] for k in members]),
            )
            for k, part in zip(members, np.split(decided, np.cumsum(lengths)[:-1]), strict=True):
                out[k] = part
        return out

    def _predict(
        self, pages: list[Page], recurrence: list[Recurrence] | None
    ) -> tuple[list[np.ndarray], list[np.ndarray], _Groups]:
        """Probability rows of each page, its lines outside the story's prose span, and
        which pages each model scored: pages with DOM facts go to the HTML model if any."""
        html = self.html_model
        groups: _Groups = []
        if html is None:
            groups.append((self.model, list(range(len(pages)))))
        else:
            has_dom = [any(line.dom is not None for line in p.lines) for p in pages]
            groups.append((self.model, [k for k, d in enumerate(has_dom) if not d]))
            groups.append((html, [k for k, d in enumerate(has_dom) if d]))
        groups = [(model, members) for model, members in groups if members]
        out: list[np.ndarray] = [np.zeros((0, len(LABELS)))] * len(pages)
        outside_of: list[np.ndarray] = [np.zeros(0, dtype=bool)] * len(pages)
        for model, members in groups:
            chosen = [pages[k] for k in members]
            rec = [recurrence[k] for k in members] if recurrence is not None else None
            proba, outside = model.predict_proba_and_outside(chosen, rec)
            start = 0
            for k in members:
                end = start + len(pages[k].lines)
                out[k], outside_of[k] = proba[start:end], outside[start:end]
                start = end
        return out, outside_of, groups

    @staticmethod
    def _page_result(
        page: Page,
        rows: np.ndarray,
        labels: np.ndarray,
        decided: np.ndarray,
        shares: np.ndarray | None,
        compiled: bool = True,
    ) -> PageResult:
        """The page's result records; ``compiled``: built by classify/_records.pyx when it
        is built (:data:`COMPILED`; the same records)."""
        # 0: the line's own argmax, 1: the site template, 2: the page's label sequence
        decided_by = (
            np.where(decided, 1, 2 * (labels != rows.argmax(axis=1))) if len(rows) else decided
        )
        if _records is not None and compiled and len(rows):
            lines = _records.line_results(
                [line.text for line in page.lines],
                np.ascontiguousarray(labels, dtype=np.int64),
                np.ascontiguousarray(rows, dtype=np.float64),
                np.ascontiguousarray(decided_by, dtype=np.int64),
                LABELS,
                _DECIDED_BY,
                None if shares is None else shares.tolist(),
            )
            return PageResult(id=page.id, url=page.url, site=page.site, lines=lines)
        shares_of = repeat(None) if shares is None else shares.tolist()
        lines = tuple(
            map(
                make_line_result,
                [line.text for line in page.lines],
                map(LABELS.__getitem__, labels.tolist()),
                _probability_maps(rows),
                map(_DECIDED_BY.__getitem__, decided_by.tolist()),
                repeat(None),
                shares_of,
            )
        )
        return PageResult(id=page.id, url=page.url, site=page.site, lines=lines)

    @staticmethod
    def _add_clickbait(results: list[PageResult], model: HeadlineClassifier) -> list[PageResult]:
        texts = [line.text for r in results for line in r.lines if line.label in _HEADLINE_LABELS]
        if not texts:
            return results
        # each distinct headline once: menus and link lists repeat across a site's pages
        unique = dict.fromkeys(texts)
        score_of = dict(zip(unique, model.score(list(unique)).tolist(), strict=True))
        scores = map(score_of.__getitem__, texts)
        out = []
        for r in results:
            lines = tuple(
                make_line_result(
                    line.text,
                    line.label,
                    line.probabilities,
                    line.decided_by,
                    next(scores),
                    line.template_share,
                )
                if line.label in _HEADLINE_LABELS
                else line
                for line in r.lines
            )
            out.append(replace(r, lines=lines))
        return out

    def _with_verdict(self, result: PageResult, lookup: TemplateLookup | None) -> PageResult:
        verdict = page_verdict(result, lookup)
        cfg = self.config
        reasons = []
        if cfg.max_junk is not None and float(verdict["junk"] or 0.0) > cfg.max_junk:
            reasons.append(f"junk {verdict['junk']:.2f} > {cfg.max_junk}")
        if int(verdict["article_chars"] or 0) < cfg.min_article_chars:
            reasons.append(f"article {verdict['article_chars']} chars < {cfg.min_article_chars}")
        verdict["kept"] = not reasons
        verdict["dropped_because"] = "; ".join(reasons) or None
        return replace(result, verdict=verdict)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is scored.

    Scoring builds a few records per line and no reference cycles; with the collector on,
    every few hundred records trigger a collection that re-walks the young objects (and now
    and then the whole heap), about a tenth of the scoring time. Reference counting still
    frees everything; the collector resumes (if it was on) when the batch is done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_DECIDED_BY = (DecidedBy.MODEL, DecidedBy.SITE_TEMPLATE, DecidedBy.SEQUENCE)
_ARTICLE, _TITLE, _LINK, _BOILERPLATE = LABELS


def _probability_maps(rows: np.ndarray) -> list[dict[Label, float]]:
    """One ``{label: probability}`` dict per row (a dict display is twice as fast as zip)."""
    return [{_ARTICLE: a, _TITLE: t, _LINK: k, _BOILERPLATE: b} for a, t, k, b in rows.tolist()]


_TEXT_COLUMNS = np.array([LABELS.index(Label.ARTICLE), LABELS.index(Label.TITLE)])
_HEADLINE_LABELS = (Label.TITLE, Label.LINK)

# Junk score: a logistic function of the page facts below, fitted by `python bench/junk.py
# --part train` (generated content-farm pages against clean corpus article pages, train side
# of the by-site split) and checked on the held-out side (`python bench/junk.py`). The
# template share is not fitted: the clean corpus pages come one per site, so a weight on it
# would learn how the pages were sampled. Clickbait among the link lines carries the score.
JUNK_WEIGHTS_DEFAULT = {
    "bias": -1.92,
    "link_share": -2.51,
    "clickbait_share": 9.39,
    "article_share": 0.4,
    "template_share": 0.0,
    "thin": -0.07,
}


def page_verdict(result: PageResult, lookup: TemplateLookup | None = None) -> dict[str, Any]:
    """Page facts and a ``junk`` score in [0, 1] (see :data:`JUNK_WEIGHTS_DEFAULT`)."""
    lines = result.lines
    total_chars = article_chars = n_article = n_links = n_template = n_scored = n_clickbait = 0
    for r in lines:  # one pass: this runs on every page
        size = len(r.text)
        total_chars += size
        if r.label is Label.ARTICLE:
            n_article += 1
            article_chars += size
        elif r.label is Label.LINK:
            n_links += 1
            if r.clickbait is not None:
                n_scored += 1
                n_clickbait += r.clickbait >= 0.5
        if r.decided_by is DecidedBy.SITE_TEMPLATE:
            n_template += 1
    clickbait_share = n_clickbait / n_scored if n_scored else None
    template_share = None
    if lookup is not None and lines:
        template_share = n_template / len(lines)
    article_share = article_chars / total_chars if total_chars else 0.0
    link_share = n_links / len(lines) if lines else 0.0
    w = JUNK_WEIGHTS_DEFAULT
    z = (
        w["bias"]
        + w["link_share"] * link_share
        + w["clickbait_share"] * (clickbait_share or 0.0)
        + w["article_share"] * article_share
        + w["template_share"] * (template_share or 0.0)
        + w["thin"] * (article_chars < 500)
    )
    return {
        "article_share": round(article_share, 4),
        "article_lines": n_article,
        "article_chars": article_chars,
        "link_share": round(link_share, 4),
        "clickbait_share": None if clickbait_share is None else round(clickbait_share, 4),
        "template_share": None if template_share is None else round(template_share, 4),
        "junk": round(1.0 / (1.0 + math.exp(-z)), 4),
    }
