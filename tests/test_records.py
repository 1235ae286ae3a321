from __future__ import annotations

from dataclasses import fields

import pytest

from classify.records import (
    DecidedBy,
    DomFacts,
    Label,
    Line,
    LineResult,
    lines_from_text,
    make_line,
    make_line_result,
)


def test_fast_builders_give_the_records_their_constructors_give() -> None:
    probs = {Label.ARTICLE: 0.7, Label.TITLE: 0.1, Label.LINK: 0.1, Label.BOILERPLATE: 0.1}
    fast = make_line_result("A line.", Label.ARTICLE, probs, DecidedBy.SITE_TEMPLATE, 0.25, 0.5)
    slow = LineResult(
        text="A line.",
        label=Label.ARTICLE,
        probabilities=probs,
        decided_by=DecidedBy.SITE_TEMPLATE,
        clickbait=0.25,
        template_share=0.5,
    )
    assert fast == slow and repr(fast) == repr(slow)
    assert [getattr(fast, f.name) for f in fields(LineResult)] == [
        "A line.",
        Label.ARTICLE,
        probs,
        DecidedBy.SITE_TEMPLATE,
        0.25,
        0.5,
    ]
    dom = DomFacts(tag_path="body>p")
    assert make_line("x", dom) == Line("x", dom) and make_line("x") == Line("x")
    with pytest.raises(AttributeError):
        fast.label = Label.LINK  # type: ignore[misc]  # still frozen


def test_lines_from_text_strips_and_drops_blank_lines() -> None:
    text = "  Title  \n\n\t\nBody text here.\r\nLast\u2028line"
    assert lines_from_text(text) == tuple(
        Line(t) for t in ("Title", "Body text here.", "Last", "line")
    )
