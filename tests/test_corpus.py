from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import pytest

from classify.corpus import (
    align_labels,
    corpus_samples,
    headline,
    site_split,
    variant_options,
    words,
)
from classify.records import DomFacts, Label, Line
from classify.render import render_html

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"

A, T, L, B = Label.ARTICLE, Label.TITLE, Label.LINK, Label.BOILERPLATE

GOLD = """Rivers of the north flood again
The river rose two metres overnight and the town council opened the shelters near the old bridge.
Residents said they had never seen the water move so fast through the lower streets.
Home insurance claims are expected to rise sharply this week.
Aftermath"""


def line(text: str, density: float = 0.0, heading: bool = False) -> Line:
    return Line(text, DomFacts(link_density=density, in_heading=heading))


def test_article_title_link_boilerplate() -> None:
    lines = [
        line("Home", 1.0),
        line("Rivers of the north flood again", heading=True),
        line("The river rose two metres overnight and the town council opened the shelters"),
        line("near the old bridge."),
        line("Share"),
        line(
            "Residents said they had never seen the water move so fast through the lower streets."
        ),
        line("Aftermath"),
        line("Most read: Ten recipes for a cold night", 1.0),
        line("Copyright 2024 The Daily Example"),
    ]
    labels = align_labels(lines, GOLD, "Rivers of the north flood again")
    assert labels == (L, T, A, A, B, A, A, L, B)


def test_short_lines_need_whole_line_or_context() -> None:
    # "Home" and "river" occur in the gold, but not as whole gold lines
    lines = [line("Home"), line("river"), line("Intro text that is unrelated to the gold here")]
    assert align_labels(lines, GOLD, None) == (B, B, B)
    # two gold words in a row, next to an article line: article
    lines = [
        line(
            "Residents said they had never seen the water move so fast through the lower streets."
        ),
        line("Home insurance"),
    ]
    assert align_labels(lines, GOLD, None) == (A, A)


def test_lone_menu_link_matching_gold_is_link() -> None:
    lines = [line("Home insurance claims are expected", 1.0), line("Contact us", 1.0)]
    assert align_labels(lines, GOLD, None) == (L, L)


def test_duplicate_keeps_copy_in_context() -> None:
    para = "Residents said they had never seen the water move so fast through the lower streets."
    lines = [
        line(para, 1.0),  # teaser copy in a sidebar
        line("Sports results from the weekend league games today", 1.0),
        line("The river rose two metres overnight and the town council opened the shelters"),
        line(para),
        line("Home insurance claims are expected to rise sharply this week."),
    ]
    assert align_labels(lines, GOLD, None) == (L, L, A, A, A)


def test_title_prefers_heading_and_is_single() -> None:
    lines = [
        line("Rivers of the north flood again", 1.0),  # breadcrumb / related link
        line("Rivers of the North flood again!", heading=True),
        line("Rivers of the north flood again"),
    ]
    labels = align_labels(lines, GOLD, "Rivers of the north flood again")
    assert labels.count(T) == 1 and labels[1] is T


def test_empty_gold_has_no_article() -> None:
    lines = [line("Anything at all here in this line", 0.0), line("link", 1.0)]
    assert align_labels(lines, "", None) == (B, L)


def test_words_normalise_quotes_and_case() -> None:
    assert (
        words("Don’t “STOP” — now") == words('don\'t "stop" - NOW') == ["don", "t", "stop", "now"]
    )


def test_headline_from_title_strips_site_name() -> None:
    html = (
        "<title>Rivers of the north flood again | The Daily Example</title>"
        "<nav><a>The Daily Example</a></nav><h1>Rivers of the north flood again</h1><p>x</p>"
    )
    page = render_html(html)
    assert headline(page, GOLD) == "Rivers of the north flood again"


def test_site_split_deterministic_and_by_site() -> None:
    sites = [f"site{i}.example" for i in range(400)]
    first = [site_split(s) for s in sites]
    assert first == [site_split(s) for s in sites]
    share = first.count("heldout") / len(first)
    assert 0.12 < share < 0.28
    assert {site_split("site7.example", 20) for _ in range(5)} == {site_split("site7.example")}
    assert all(site_split(s, 0) == "train" for s in sites)
    assert all(site_split(s, 100) == "heldout" for s in sites)


def test_variant_options_deterministic() -> None:
    opts = [variant_options("wcxb_dev", str(i), k) for i in range(50) for k in range(2)]
    assert opts == [variant_options("wcxb_dev", str(i), k) for i in range(50) for k in range(2)]
    assert {o.bullets for o in opts} == {"", "- ", "* ", "• "}
    assert any(o.wrap is None for o in opts)
    assert all(o.wrap is None or 80 <= o.wrap <= 120 for o in opts)


def _coverage_of_gold(path: Path, n: int) -> list[float]:
    shares = []
    for sample in itertools.islice(corpus_samples(path, variants=1, plain=True), n):
        gold = words(sample.truth or "")
        if not gold:
            continue
        kept: set[str] = set()
        for text, label in zip(sample.page.texts, sample.labels, strict=True):
            if label in (A, T):
                kept.update(words(text))
        shares.append(sum(1 for w in gold if w in kept) / len(gold))
    return shares


@pytest.mark.skipif(not CORPORA.is_dir(), reason="corpora not available")
@pytest.mark.parametrize("name", ["wcxb_dev", "cleaneval", "cleanportal"])
def test_real_pages_gold_words_land_in_article_lines(name: str) -> None:
    path = CORPORA / f"{name}.jsonl.gz"
    if not path.exists():
        pytest.skip(f"{path} missing")
    shares = _coverage_of_gold(path, 6)
    assert shares, "no pages with gold"
    assert sum(shares) / len(shares) > 0.85


@pytest.mark.skipif(not CORPORA.is_dir(), reason="corpora not available")
def test_sample_ids_and_sites_kept() -> None:
    path = CORPORA / "cleanportal.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        first = json.loads(fh.readline())
    sample = next(corpus_samples(path, variants=2))
    assert sample.page.id == f"cleanportal:{first['id']}:v0"
    assert sample.page.site == first["site"]
    assert sample.truth == first["truth"]
