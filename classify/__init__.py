"""classify: label every line of a scraped web page and keep the article."""

from __future__ import annotations

import logging

from classify.records import (
    LABELS,
    DecidedBy,
    DomFacts,
    Label,
    LabelledPage,
    Line,
    LineResult,
    Page,
    PageResult,
    page_from_text,
)

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "LABELS",
    "DecidedBy",
    "DomFacts",
    "Label",
    "LabelledPage",
    "Line",
    "LineResult",
    "Page",
    "PageResult",
    "page_from_text",
]
