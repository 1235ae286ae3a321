from __future__ import annotations

import pickle
from dataclasses import fields, replace

import pytest

from classify.records import (
    DecidedBy,
    DomFacts,
    Label,
    Line,
    LineResult,
    Page,
    lines_from_text,
    make_line,
    make_line_result,
    with_container,
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


def test_with_container_equals_replace() -> None:
    base = DomFacts("body>div>p", "story", 0.25, True, False, True, False, 3)
    made = with_container(base, (0.1, 0.5, 0.9, 0.75), 2, 0.6, 0.05)
    assert made == replace(
        base,
        prose_block=0.1,
        prose_parent=0.5,
        prose_up3=0.9,
        parent_prose_density=0.75,
        main_position=2,
        main_share=0.6,
        main_link_density=0.05,
    )


def test_pages_pickle_to_equal_pages() -> None:
    facts = DomFacts(tag_path="body>p", class_tokens="story", link_density=0.25, depth=3)
    page = Page(id="a", lines=(Line("one"), Line("two", facts)), url="u", site="s", title="t")
    back = pickle.loads(pickle.dumps(page))
    assert back == page and type(back.lines[1].dom) is DomFacts
