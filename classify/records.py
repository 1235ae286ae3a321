"""Records that flow through every stage: labels, pages, lines and their results.

A page is a sequence of non-blank lines. Every stage takes and returns these frozen
records; none of them adds attributes after construction.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any


class Label(StrEnum):
    """What a line is. The values are the strings used in data, CLI output and metrics."""

    ARTICLE = "article"
    TITLE = "title"
    LINK = "link"
    BOILERPLATE = "boilerplate"


LABELS: tuple[Label, ...] = tuple(Label)

TERMINAL_PUNCT = frozenset(".!?。！？…")
"""Characters that end a sentence."""
CLOSERS = "\"'”’)]»」』 "
"""Closing quotes and brackets (and spaces) stripped before looking for ``TERMINAL_PUNCT``."""
PROSE_MIN_WORDS = 10
"""A prose line, a story paragraph: at least this many words and terminal punctuation
(the model's page layout and the renderer's main-container pass use the same rule)."""


class DecidedBy(StrEnum):
    """What decided a line's label."""

    MODEL = "model"
    """The line's most probable label."""
    SITE_TEMPLATE = "site_template"
    """The site's template: the line recurs on most of the site's pages."""
    SEQUENCE = "sequence"
    """The page decision, not the line's own most probable label: its neighbours' evidence
    (the sequence marginals) and the page's best set of article lines (classify.model)."""


@dataclass(frozen=True, slots=True)
class DomFacts:
    """What the HTML says about a line (absent for text input)."""

    tag_path: str = ""
    """Tag names from the body to the line's block, e.g. ``body>div>ul>li``."""
    class_tokens: str = ""
    """Class and id tokens of the block and its ancestors, space-separated, lowercased."""
    link_density: float = 0.0
    """Share of the line's characters inside ``<a>``."""
    in_list: bool = False
    in_heading: bool = False
    in_table: bool = False
    in_chrome: bool = False
    """An ancestor is ``nav``, ``aside``, ``header``, ``footer`` or ``form``."""
    depth: int = 0
    # Container context (filled by classify.render.container_facts); all zero when the page
    # has no prose. "Prose" is the words of punctuated lines of at least 10 words.
    prose_block: float = 0.0
    """Share of the page's prose under the line's block element."""
    prose_parent: float = 0.0
    """Share of the page's prose under the block's parent."""
    prose_up3: float = 0.0
    """Share of the page's prose under the block's ancestor three levels up."""
    parent_prose_density: float = 0.0
    """Prose words among all words of the texts whose block has the same parent as the
    line's block (its siblings and itself)."""
    main_position: int = 0
    """Where the line is relative to the page's main container (the deepest element above
    a prose block holding more than half of the page's prose): 0 no prose on the page,
    1 before it, 2 inside it, 3 after it."""
    main_share: float = 0.0
    """Share of the page's prose in the main container (same for every line of a page)."""
    main_link_density: float = 0.0
    """Link density of the main container's lines (same for every line of a page)."""

    def __reduce__(self) -> tuple[type[DomFacts], tuple[object, ...]]:
        return DomFacts, _dom_fact_values(self)


_dom_fact_values = operator.attrgetter(*(f.name for f in fields(DomFacts)))


@dataclass(frozen=True, slots=True)
class Line:
    """One non-blank line of a page."""

    text: str
    dom: DomFacts | None = None

    def __reduce__(self) -> tuple[type[Line], tuple[str, DomFacts | None]]:
        # a constructor call pickles 5x (and loads 3x) faster than the slots' state, and
        # `classify score --workers` ships batches of pages to worker processes
        return Line, (self.text, self.dom)


@dataclass(frozen=True, slots=True)
class Page:
    """A page to score: its lines in order, and where it came from."""

    id: str
    lines: tuple[Line, ...]
    url: str | None = None
    site: str | None = None
    title: str | None = None
    """The document title (HTML ``<title>``) when known; not one of the lines."""

    @property
    def texts(self) -> list[str]:
        return [line.text for line in self.lines]


@dataclass(frozen=True, slots=True)
class LabelledPage:
    """A page with one gold label per line: a training or evaluation sample."""

    page: Page
    labels: tuple[Label, ...]
    truth: str | None = None
    """Gold article text when the sample came from a corpus (for page-level F1)."""

    def __post_init__(self) -> None:
        if len(self.labels) != len(self.page.lines):
            raise ValueError(
                f"page {self.page.id!r}: {len(self.page.lines)} lines but {len(self.labels)} labels"
            )


@dataclass(frozen=True, slots=True)
class LineResult:
    """A scored line: its label, the probability of every label, and what decided it."""

    text: str
    label: Label
    probabilities: Mapping[Label, float]
    decided_by: DecidedBy = DecidedBy.MODEL
    clickbait: float | None = None
    """Clickbait probability, on ``title`` and ``link`` lines when a headline model is loaded."""
    template_share: float | None = None
    """Share of the site's pages that carry this line, when a site template was used."""


@dataclass(frozen=True, slots=True)
class PageResult:
    """A scored page. ``error`` is set (and ``lines`` empty) when the page could not be scored."""

    id: str
    url: str | None
    site: str | None
    lines: tuple[LineResult, ...] = ()
    error: str | None = None
    verdict: Mapping[str, float | int | bool | str | None] = field(default_factory=dict)

    @property
    def article(self) -> str:
        """The kept article text: article lines joined by newlines."""
        return "\n".join(r.text for r in self.lines if r.label is Label.ARTICLE)

    @property
    def title(self) -> str | None:
        """The first line labelled ``title``, if any."""
        return next((r.text for r in self.lines if r.label is Label.TITLE), None)


# Slot setters of the records built once per line. A frozen dataclass's ``__init__`` sets each
# field through ``object.__setattr__``; setting the slots directly gives the same record at
# about twice the speed, which matters when the scorer builds one record per line.
_new = object.__new__
_line_text, _line_dom = (getattr(Line, f.name).__set__ for f in fields(Line))
(
    _result_text,
    _result_label,
    _result_probabilities,
    _result_decided_by,
    _result_clickbait,
    _result_template_share,
) = (getattr(LineResult, f.name).__set__ for f in fields(LineResult))


def make_line(text: str, dom: DomFacts | None = None) -> Line:
    """``Line(text, dom)``, faster (see the slot setters above)."""
    obj: Line = _new(Line)
    _line_text(obj, text)
    _line_dom(obj, dom)
    return obj


(
    _dom_tag_path,
    _dom_class_tokens,
    _dom_link_density,
    _dom_in_list,
    _dom_in_heading,
    _dom_in_table,
    _dom_in_chrome,
    _dom_depth,
    _dom_prose_block,
    _dom_prose_parent,
    _dom_prose_up3,
    _dom_parent_prose_density,
    _dom_main_position,
    _dom_main_share,
    _dom_main_link_density,
) = (getattr(DomFacts, f.name).__set__ for f in fields(DomFacts))


def with_container(
    base: DomFacts,
    shares: tuple[float, float, float, float],
    main_position: int,
    main_share: float,
    main_link_density: float,
) -> DomFacts:
    """``base`` with its container fields set (``shares``: prose block, prose parent, prose
    up 3, parent prose density), as ``dataclasses.replace`` but several times faster."""
    obj: DomFacts = _new(DomFacts)
    _dom_tag_path(obj, base.tag_path)
    _dom_class_tokens(obj, base.class_tokens)
    _dom_link_density(obj, base.link_density)
    _dom_in_list(obj, base.in_list)
    _dom_in_heading(obj, base.in_heading)
    _dom_in_table(obj, base.in_table)
    _dom_in_chrome(obj, base.in_chrome)
    _dom_depth(obj, base.depth)
    _dom_prose_block(obj, shares[0])
    _dom_prose_parent(obj, shares[1])
    _dom_prose_up3(obj, shares[2])
    _dom_parent_prose_density(obj, shares[3])
    _dom_main_position(obj, main_position)
    _dom_main_share(obj, main_share)
    _dom_main_link_density(obj, main_link_density)
    return obj


def make_line_result(
    text: str,
    label: Label,
    probabilities: Mapping[Label, float],
    decided_by: DecidedBy,
    clickbait: float | None,
    template_share: float | None,
) -> LineResult:
    """``LineResult(...)`` with every field given, faster (see the slot setters above)."""
    obj: LineResult = _new(LineResult)
    _result_text(obj, text)
    _result_label(obj, label)
    _result_probabilities(obj, probabilities)
    _result_decided_by(obj, decided_by)
    _result_clickbait(obj, clickbait)
    _result_template_share(obj, template_share)
    return obj


def lines_from_text(text: str) -> tuple[Line, ...]:
    """Split page text into non-blank lines (whitespace at both ends stripped)."""
    make = make_line
    return tuple([make(s, None) for s in map(str.strip, text.splitlines()) if s])


def page_from_text(
    text: str, *, id: str = "", url: str | None = None, site: str | None = None
) -> Page:
    """Build a :class:`Page` from plain text, one block per line."""
    if not isinstance(text, str):
        raise TypeError(
            f"page text must be str, got {type(text).__name__}"
            + (
                " (decode bytes first, e.g. data.decode('utf-8'))"
                if isinstance(text, bytes)
                else ""
            )
        )
    return Page(id=id, lines=lines_from_text(text), url=url, site=site)


def labels_from_strings(values: Iterable[str]) -> tuple[Label, ...]:
    """Parse label strings, with a clear error naming the valid labels."""
    out = []
    for value in values:
        try:
            out.append(Label(value))
        except ValueError:
            valid = ", ".join(label.value for label in LABELS)
            raise ValueError(f"unknown label {value!r}; expected one of: {valid}") from None
    return tuple(out)


def result_record(result: PageResult, *, with_lines: bool = True) -> dict[str, Any]:
    """The JSON record of a page result (the ``--format jsonl`` output)."""
    record: dict[str, Any] = {"id": result.id, "url": result.url, "site": result.site}
    if result.error is not None:
        record["error"] = result.error
        return record
    record["title"] = result.title
    record["article"] = result.article
    if result.verdict:
        record["verdict"] = dict(result.verdict)
    if with_lines:
        lines = []
        for line in result.lines:
            item: dict[str, Any] = {
                "text": line.text,
                "label": line.label.value,
                "p": {label.value: round(line.probabilities[label], 4) for label in LABELS},
                "decided_by": line.decided_by.value,
            }
            if line.template_share is not None:
                item["template_share"] = round(line.template_share, 4)
            if line.clickbait is not None:
                item["clickbait"] = round(line.clickbait, 4)
            lines.append(item)
        record["lines"] = lines
    return record
