"""The scorer with a site-template index: what ``site_template`` decides, and what it never does.

Uses the ``small_model`` fixture (trained on data/train in a few seconds). Pages are generated
with :mod:`classify.synth` from a tiny hand-made source pool, or written here.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import numpy as np
import pytest

from classify.model import LineClassifier
from classify.records import (
    LABELS,
    DecidedBy,
    Label,
    Line,
    Page,
    PageResult,
    page_from_text,
    result_record,
)
from classify.scorer import ScoreConfig, Scorer
from classify.synth import SourceArticle, SourcePool, generate_sites
from classify.template import TemplateConfig, TemplateIndex, normalise_line

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_42de02defef711ca.txt"
SEED_SITE = "tradewise.example"

_TOPICS = ("harbour", "orchard", "glacier", "violin", "lantern", "meadow", "copper", "falcon")
_PLACES = ("Millbrook", "Eastfield", "Harlow Bay", "Corran", "Westmere", "Oakridge", "Lindholm")
_BODIES = ("city council", "school board", "water authority", "port commission", "county court")
_ACTS = (
    "approved a plan to rebuild the old pedestrian bridge",
    "delayed a vote on the new parking rules until next month",
    "agreed to fund two more night buses on the river route",
    "rejected a proposal to close the public library on Sundays",
    "ordered an audit of the contracts signed for the stadium repairs",
    "opened an inquiry into the flooding of the lower market streets",
)
_SAID = (
    "Residents who spoke at the meeting said the decision had been expected for months.",
    "Officials said the cost would be covered by reserves rather than by higher fees.",
    "Several business owners told reporters they were worried about the timetable.",
    "A spokeswoman said the details would be published on the authority's website.",
    "Critics argued that the plan had been drawn up without enough public consultation.",
    "The measure passed by a narrow margin after a debate that lasted most of the evening.",
)


def _prose(rng: random.Random) -> str:
    """An invented news paragraph of two or three sentences."""
    place, body, act = rng.choice(_PLACES), rng.choice(_BODIES), rng.choice(_ACTS)
    first = f"The {body} in {place} {act} on {rng.choice(('Monday', 'Tuesday', 'Friday'))}."
    rest = rng.sample(_SAID, rng.randint(1, 2))
    amount = f"The project is expected to cost about {rng.randint(2, 90)} million dollars."
    return " ".join([first, *rest, amount])


def _source_pool() -> SourcePool:
    rng = random.Random(0)
    articles = tuple(
        SourceArticle(
            title=f"Story {i}: the {_TOPICS[i % 8]} committee makes its decision",
            paragraphs=tuple(_prose(rng) for _ in range(4 + i % 4)),
            source_id=f"test:{i}",
        )
        for i in range(14)
    )
    headlines = tuple(
        f"Offsite headline {i}: a {_TOPICS[i % 8]} story that surprises readers" for i in range(120)
    )
    return SourcePool(articles=articles, headlines=headlines)


def _records(results: list[PageResult]) -> dict[str, str]:
    return {r.id: json.dumps(result_record(r), sort_keys=True, ensure_ascii=False) for r in results}


def _decided(result: PageResult) -> list[bool]:
    return [line.decided_by is DecidedBy.SITE_TEMPLATE for line in result.lines]


# --------------------------------------------------------------------------- order independence


def test_batch_mode_output_is_identical_for_any_page_order(small_model: LineClassifier) -> None:
    pages = [s.page for s in generate_sites(_source_pool(), sites=4, pages_per_site=(6, 9), seed=3)]
    pages.append(page_from_text("A page without a site.\nIt has two lines.", id="nosite"))
    assert len({p.id for p in pages}) == len(pages)
    config = ScoreConfig(batch_size=5)  # batches of different pages in each order

    def run(order: list[Page]) -> dict[str, str]:
        index = TemplateIndex.build(order)
        return _records(list(Scorer(small_model, config=config, templates=index).score_many(order)))

    reference = run(pages)
    decided = sum(
        line["decided_by"] == "site_template"
        for record in reference.values()
        for line in json.loads(record)["lines"]
    )
    assert decided > 50  # the comparison covers template decisions, not only model labels
    for seed in range(4):
        shuffled = pages[:]
        random.Random(seed).shuffle(shuffled)
        assert run(shuffled) == reference, f"shuffle {seed}"


# --------------------------------------------------------------------------- republished article


_CHROME_TOP = ("Example Daily", "Home News Business Sport Culture Opinion", "Menu Search Login")
_CHROME_BOTTOM = (
    "Subscribe to our newsletter",
    "Share on Facebook Share on X Email",
    "About us Contact Privacy policy Terms of use",
    "Copyright 2025 Example Daily. All rights reserved.",
)
_SIDEBAR = tuple(f"Sidebar story {i} about the {_TOPICS[i % 8]} festival crowds" for i in range(30))


def _site_page(rng: random.Random, k: int, title: str, paragraphs: list[str]) -> Page:
    lines = [
        *_CHROME_TOP,
        title,
        f"Published 2025-03-{k + 1:02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
        f"Views: {rng.randint(10, 99999)}",
        *paragraphs,
        "Most read",
        *rng.sample(_SIDEBAR, 5),
        *_CHROME_BOTTOM,
    ]
    return Page(id=f"daily-{k}", lines=tuple(Line(t) for t in lines), site="daily.example")


def test_republished_article_keeps_its_article_lines(small_model: LineClassifier) -> None:
    rng = random.Random(5)
    shared = [_prose(rng) for _ in range(6)]
    pages = [
        _site_page(
            rng, k, f"Local story number {k} from the region", [_prose(rng) for _ in range(5)]
        )
        for k in range(6)
    ]
    twins = [
        _site_page(rng, 6 + k, "The harbour bridge decision explained", shared) for k in (0, 1)
    ]
    assert twins[0].texts != twins[1].texts  # other counters, dates and sidebar items
    index = TemplateIndex.build([*pages, *twins])
    assert index.site_pages("daily.example") == 7  # the twins count once
    scorer = Scorer(small_model, config=ScoreConfig(headlines=False), templates=index)
    for twin, result in zip(twins, scorer.score_many(twins), strict=True):
        by_text = {line.text: line for line in result.lines}
        for paragraph in shared:
            line = by_text[paragraph]
            assert line.decided_by is DecidedBy.MODEL, paragraph
            assert line.template_share == 0.0
            assert line.label is Label.ARTICLE, paragraph
        # the chrome around it is still recognised as the site's template
        for chrome in (*_CHROME_TOP, *_CHROME_BOTTOM, "Most read"):
            assert by_text[chrome].decided_by is DecidedBy.SITE_TEMPLATE, (twin.id, chrome)
            assert by_text[chrome].label not in (Label.ARTICLE, Label.TITLE)
        counter = next(line for line in result.lines if line.text.startswith("Views: "))
        assert counter.decided_by is DecidedBy.SITE_TEMPLATE  # digits fold to one token


# --------------------------------------------------------------------------- the seed's site


_SEED_HEADLINES = {
    "related": [
        "IRS recovers $4.7 billion in back taxes and braces for cuts with Trump and GOP in power",
        "Slain Ecuador candidate fearlessly took on drug cartels and corruption",
        "Fire in vacation home for people with disabilities in France kills 11",
        "AP Week in Pictures: North America",
        "Before-and-after satellite images show Maui devastation in stark contrast",
    ],
    "ranking": [
        "England midfielder Lauren James handed two-match ban at World Cup",
        "Wholesale inflation in US edged up in July from low levels",
        "Video shows suspects steal $300,000 worth of designer goods in 'flash mob burglary'",
    ],
    "recommendation": [
        "The company planning a successor to Concorde makes its first supersonic test",
        "Mets have visions of grandeur, and a dynasty, with Juan Soto as major catalyst",
        "From Astronomy to Blockchain: The Journey of James Williams, the Crypto Visionary",
    ],
}
_INVENTED_TITLES = (
    "Regional rail operator promises fewer delays after signal upgrade",
    "Farmers count losses as late frost hits cherry orchards",
    "Museum reopens its maritime wing after three years of repairs",
    "City plans new cycle lanes along the eastern ring road",
    "Coastal town votes to limit holiday rentals in the old quarter",
    "Hospital opens night clinic to ease pressure on emergency ward",
    "University students protest against a rise in housing fees",
    "Wind farm project cleared after a long environmental review",
    "Ferry service resumes after strike ends with a pay agreement",
    "Library network extends opening hours during exam season",
)


def _seed_site_pages(rng: random.Random) -> list[Page]:
    """10 pages in the seed's template: same chrome, other titles, articles, numbers, lists."""
    pages = []
    for k, title in enumerate(_INVENTED_TITLES):
        lists = []
        for header, own in (("Related", 10), ("Ranking", 8), ("Recommendation", 8)):
            # a few of the seed's items rotate through, the rest are this page's own
            known = _SEED_HEADLINES[header.lower()]
            items = rng.sample(known, rng.randint(1, len(known) - 1))
            items += [f"{header} pick {k}.{j}: {rng.choice(_INVENTED_TITLES)}" for j in range(own)]
            items = items[:own]
            bullet = "" if header == "Recommendation" else "- "
            lists += [header, *(bullet + item for item in items)]
        lines = [
            f"Current:Home > Scams{title} -TradeWise",
            title,
            "View",
            f"Date:2025-0{rng.randint(1, 9)}-{rng.randint(10, 28)} "
            f"{rng.randint(10, 23)}:{rng.randint(10, 59)}:{rng.randint(10, 59)}",
            *(_prose(rng) for _ in range(rng.randint(4, 7))),
            f"veryGood! ({rng.randint(100, 99999)})",
            *lists,
        ]
        pages.append(Page(id=f"tw-{k}", lines=tuple(Line(t) for t in lines), site=SEED_SITE))
    return pages


@pytest.fixture(scope="module")
def seed_page() -> Page:
    return page_from_text(SEED.read_text(encoding="utf-8"), id="seed", site=SEED_SITE)


def test_seed_template_lines_are_decided_by_the_site_template(
    small_model: LineClassifier, seed_page: Page
) -> None:
    others = _seed_site_pages(random.Random(11))
    index = TemplateIndex.build([seed_page, *others])
    assert index.site_pages(SEED_SITE) == 11
    scorer = Scorer(small_model, config=ScoreConfig(headlines=False), templates=index)
    results = {r.id: r for r in scorer.score_many([seed_page, *others])}
    seed = results["seed"]
    by_text = {line.text: line for line in seed.lines}
    texts = seed_page.texts
    template = ["View", "Date:2025-04-13 12:41:32", "veryGood! (7483)", "Related", "Ranking"]
    template.append("Recommendation")
    for text in template:
        line = by_text[text]
        assert line.decided_by is DecidedBy.SITE_TEMPLATE, text
        assert line.template_share == 1.0, text
        assert line.label not in (Label.ARTICLE, Label.TITLE), text
    # The breadcrumb glues the page title to the section ("ScamsPutin visits ..."), so its
    # normalised text differs on every page: it does not recur and is not template-decided
    # (the model still calls it boilerplate).
    crumb = by_text[texts[0]]
    assert texts[0].startswith("Current:Home > ScamsPutin")
    assert normalise_line(texts[0]) != normalise_line(others[0].texts[0])
    assert crumb.decided_by is DecidedBy.MODEL and crumb.template_share == 0.0
    # the 11 article paragraphs (lines 5-15 of the seed) are never template-decided
    article = seed.lines[4:15]
    assert len(article) == 11 and all(len(line.text) > 100 for line in article)
    assert all(line.decided_by is DecidedBy.MODEL for line in article)
    assert all(line.template_share == 0.0 for line in article)
    assert [line.label for line in article] == [Label.ARTICLE] * 11
    # the same holds on the other pages of the site, whose articles are all different
    for page in others:
        result = results[page.id]
        assert all(d for d, t in zip(_decided(result), page.texts, strict=True) if t in template)
        assert not any(_decided(result)[4 : len(page.lines) - 30])  # their article paragraphs


def test_seed_alone_or_with_too_few_pages_is_not_template_decided(
    small_model: LineClassifier, seed_page: Page
) -> None:
    few = _seed_site_pages(random.Random(12))[:4]  # the seed has 4 other pages < min_pages 5
    index = TemplateIndex.build([seed_page, *few])
    result = Scorer(small_model, config=ScoreConfig(headlines=False), templates=index).score_page(
        seed_page
    )
    assert not any(_decided(result))
    view = next(line for line in result.lines if line.text == "View")
    assert view.template_share == 1.0  # the share is known, but the site is too small


# --------------------------------------------------------------------------- edge cases


def test_pages_without_url_or_site_are_scored_without_a_template(
    small_model: LineClassifier, seed_page: Page
) -> None:
    bare = [
        page_from_text(SEED.read_text(encoding="utf-8"), id=f"bare-{k}", url=None, site=None)
        for k in range(8)
    ]
    index = TemplateIndex.build(bare)
    assert index.sites() == []
    config = ScoreConfig(headlines=False)
    for result in Scorer(small_model, config=config, templates=index).score_many(bare):
        assert all(line.decided_by is DecidedBy.MODEL for line in result.lines)
        assert all(line.template_share in (None, 0.0) for line in result.lines)
    plain = Scorer(small_model, config=config).score_page(bare[0])
    assert all(line.template_share is None for line in plain.lines)
    assert all(line.decided_by is DecidedBy.MODEL for line in plain.lines)


def test_site_with_one_page_decides_nothing(small_model: LineClassifier, seed_page: Page) -> None:
    index = TemplateIndex.build([seed_page])
    result = Scorer(small_model, config=ScoreConfig(headlines=False), templates=index).score_page(
        seed_page
    )
    assert not any(_decided(result))
    assert all(line.template_share == 0.0 for line in result.lines)
    assert result.verdict["template_share"] == 0.0


def test_page_of_50000_identical_lines(small_model: LineClassifier) -> None:
    page = Page(
        id="big",
        lines=tuple(Line("Click here to subscribe now") for _ in range(50_000)),
        site="big.example",
    )
    others = [
        Page(
            id=f"o{k}",
            lines=(Line("Click here to subscribe now"), Line(f"Story about the {_TOPICS[k]}")),
            site=page.site,
        )
        for k in range(6)
    ]
    start = time.perf_counter()
    index = TemplateIndex.build([page, *others])
    scorer = Scorer(small_model, config=ScoreConfig(headlines=False), templates=index)
    result = scorer.score_page(page)
    seconds = time.perf_counter() - start
    assert seconds < 30.0, seconds
    assert len(result.lines) == 50_000 and result.error is None
    decided = np.array(_decided(result))
    assert index.site_pages("big.example") == 7
    assert decided.all()  # the line is on all 6 other pages
    assert {line.label for line in result.lines} <= {Label.BOILERPLATE, Label.LINK}


# --------------------------------------------------------------------------- how the index is used


class _LengthModel(LineClassifier):
    """A stand-in line model: lines of >= 20 words are article, others boilerplate.

    Records the recurrence it was given, so a test sees whether the features were fed.
    """

    def __init__(self) -> None:
        super().__init__()
        self.recurrence: list[object] = []

    def predict_proba_and_outside(self, pages, recurrence=None):  # type: ignore[no-untyped-def]
        self.recurrence.append(recurrence)
        long = np.array([len(t.split()) >= 20 for p in pages for t in p.texts], dtype=bool)
        rows = np.zeros((long.size, len(LABELS)))
        rows[long, LABELS.index(Label.ARTICLE)] = 0.9
        rows[~long, LABELS.index(Label.BOILERPLATE)] = 0.9
        # each row sums to 1; no line is marked outside the story (no discount either)
        return rows + np.where(rows == 0, 0.1 / 3, 0.0), np.zeros(long.size, dtype=bool)


def _shop_page(rng: random.Random, k: int) -> Page:
    lines = [
        "Shop Deals Support Account",
        _prose(rng) + " " + _prose(rng),
        "Technical details",  # a section header of the product's own content, on every page
        _prose(rng) + " " + _prose(rng),
        "Contact us Privacy Terms",
        "Technical details",  # the same words again, after the content: site chrome here
    ]
    return Page(id=f"shop-{k}", lines=tuple(Line(t) for t in lines), site="shop.example")


def test_template_lines_inside_the_article_stay_the_models() -> None:
    rng = random.Random(21)
    pages = [_shop_page(rng, k) for k in range(7)]
    index = TemplateIndex.build(pages)
    model = _LengthModel()
    scorer = Scorer(model, config=ScoreConfig(headlines=False), templates=index)
    for result in scorer.score_many(pages):
        assert [line.decided_by is DecidedBy.SITE_TEMPLATE for line in result.lines] == [
            *[True, False, False, False, True, True]
        ]
        assert result.lines[2].template_share == 1.0
        assert [line.label for line in result.lines[1:4:2]] == [Label.ARTICLE] * 2
    # with the rule off the header between the paragraphs is decided by the template too
    off = TemplateIndex.build(pages, config=TemplateConfig(article_span_words=0))
    result = Scorer(model, config=ScoreConfig(headlines=False), templates=off).score_page(pages[0])
    assert [line.decided_by is DecidedBy.SITE_TEMPLATE for line in result.lines] == [
        *[True, False, True, False, True, True]
    ]


def test_recurrence_features_can_be_turned_off() -> None:
    rng = random.Random(22)
    pages = [_shop_page(rng, k) for k in range(7)]
    config = ScoreConfig(headlines=False)
    for features in (True, False):
        model = _LengthModel()
        index = TemplateIndex.build(pages, config=TemplateConfig(recurrence_features=features))
        results = list(Scorer(model, config=config, templates=index).score_many(pages))
        (given,) = model.recurrence
        if features:
            assert isinstance(given, list) and len(given) == len(pages)
            assert given[0].shares.tolist() == [1.0, 0.0, 1.0, 0.0, 1.0, 1.0]
        else:
            assert given is None  # the model sees no recurrence: decisions only
        assert all(r.lines[0].decided_by is DecidedBy.SITE_TEMPLATE for r in results)
