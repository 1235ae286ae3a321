"""Tests of the synthetic content-farm generator (classify.synth)."""

from __future__ import annotations

import dataclasses
import gzip
import inspect
import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from classify import synth
from classify.records import Label, LabelledPage
from classify.samples import read_jsonl, sample_to_record, write_jsonl
from classify.synth import (
    SiteStyle,
    SourceArticle,
    SourcePool,
    draw_style,
    generate_site,
    generate_sites,
    site_split,
)

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
SEED_TEMPLATE_WORDS = ("veryGood", "TradeWise", "Ranking", "Recommendation", "Current:")

_TOPICS = ("harbour", "orchard", "glacier", "violin", "lantern", "meadow", "copper", "falcon")
_VERBS = ("surprises", "worries", "delights", "confuses", "excites", "divides")


def _article(i: int) -> SourceArticle:
    topic = _TOPICS[i % len(_TOPICS)]
    paragraphs = tuple(
        f"Paragraph {j} of story {i}: the {topic} committee met on day {j} and discussed "
        f"budget item {i * 10 + j} at considerable length with residents."
        for j in range(4 + i % 5)
    )
    return SourceArticle(
        title=f"Story {i}: the {topic} committee makes its decision",
        paragraphs=paragraphs,
        source_id=f"test:{i}",
    )


def _pool() -> SourcePool:
    headlines = tuple(
        f"Offsite headline {i}: a {_TOPICS[i % 8]} story that {_VERBS[i % 6]} readers"
        for i in range(150)
    )
    return SourcePool(articles=tuple(_article(i) for i in range(12)), headlines=headlines)


POOL = _pool()


def _sites(samples: list[LabelledPage]) -> dict[str, list[LabelledPage]]:
    by_site: dict[str, list[LabelledPage]] = defaultdict(list)
    for sample in samples:
        by_site[sample.page.site or ""].append(sample)
    return by_site


@pytest.fixture(scope="module")
def samples() -> list[LabelledPage]:
    return list(generate_sites(POOL, sites=60, pages_per_site=(3, 10), seed=7))


def _lines(sample: LabelledPage, label: Label) -> list[str]:
    return [
        line.text
        for line, lab in zip(sample.page.lines, sample.labels, strict=True)
        if lab is label
    ]


def test_deterministic_given_seed() -> None:
    first = [sample_to_record(s) for s in generate_sites(POOL, sites=15, seed=3)]
    second = [sample_to_record(s) for s in generate_sites(POOL, sites=15, seed=3)]
    other = [sample_to_record(s) for s in generate_sites(POOL, sites=15, seed=4)]
    assert first == second
    assert first != other


def test_generate_site_deterministic_given_rng() -> None:
    a = generate_site(POOL, random.Random(11), pages=6)
    b = generate_site(POOL, random.Random(11), pages=6)
    assert [sample_to_record(s) for s in a] == [sample_to_record(s) for s in b]


def test_every_page_has_exactly_one_title_line(samples: list[LabelledPage]) -> None:
    titles = {a.title for a in POOL.articles}
    for sample in samples:
        title_lines = _lines(sample, Label.TITLE)
        assert len(title_lines) == 1, sample.page.id
        assert title_lines[0] in titles


def test_article_lines_are_source_paragraphs_in_order(samples: list[LabelledPage]) -> None:
    by_title = {a.title: a for a in POOL.articles}
    for sample in samples:
        article = by_title[_lines(sample, Label.TITLE)[0]]
        assert sample.truth == "\n".join(article.paragraphs)
        got = " ".join(_lines(sample, Label.ARTICLE)).split()
        assert got == " ".join(article.paragraphs).split(), sample.page.id


def test_link_lines_are_pool_headlines(samples: list[LabelledPage]) -> None:
    candidates = [*POOL.headlines, *(a.title for a in POOL.articles)]
    links = 0
    for sample in samples:
        for text in _lines(sample, Label.LINK):
            links += 1
            # items may carry bullets, prefixes ("READ MORE: …") or be truncated (>= 30 chars)
            assert any(h[:30].rstrip() in text for h in candidates), text
    assert links > 500


def test_headlines_do_not_leak_into_other_labels(samples: list[LabelledPage]) -> None:
    headlines = set(POOL.headlines)
    for sample in samples:
        for label in (Label.BOILERPLATE, Label.ARTICLE, Label.TITLE):
            assert not headlines.intersection(_lines(sample, label))


def test_lines_are_stripped_and_labels_align(samples: list[LabelledPage]) -> None:
    for sample in samples:
        assert len(sample.labels) == len(sample.page.lines)
        for line in sample.page.lines:
            assert line.text and line.text == line.text.strip()


def test_ids_urls_and_sites(samples: list[LabelledPage]) -> None:
    ids = [s.page.id for s in samples]
    assert len(set(ids)) == len(ids)
    urls = [s.page.url for s in samples]
    assert len(set(urls)) == len(urls)
    for site, pages in _sites(samples).items():
        assert site.endswith((".example", ".test"))
        for k, sample in enumerate(pages):
            assert sample.page.id == f"synth:{site}:{k}"
            assert sample.page.url is not None
            assert sample.page.url.startswith(f"https://{site}/")
    assert len(_sites(samples)) == 60


def test_template_lines_recur_across_a_site(samples: list[LabelledPage]) -> None:
    for site, pages in _sites(samples).items():
        on_pages = Counter(
            text for sample in pages for text in set(_lines(sample, Label.BOILERPLATE))
        )
        assert any(n == len(pages) for n in on_pages.values()), site


def test_headlines_recur_across_a_site(samples: list[LabelledPage]) -> None:
    recurring_sites = 0
    for pages in _sites(samples).values():
        on_pages = Counter(text for sample in pages for text in set(_lines(sample, Label.LINK)))
        if any(n >= 2 for n in on_pages.values()):
            recurring_sites += 1
    assert recurring_sites >= 20


def test_counters_vary_between_pages() -> None:
    rng = random.Random(5)
    style = dataclasses.replace(
        draw_style(rng), counters_after=("Views: {n:,}",), counters_joiner=None
    )
    pages = generate_site(POOL, rng, pages=8, style=style)
    views = [t for s in pages for t in _lines(s, Label.BOILERPLATE) if t.startswith("Views: ")]
    assert len(views) == 8
    assert len(set(views)) > 1


def test_clean_and_busy_sites_both_occur(samples: list[LabelledPage]) -> None:
    link_counts = [
        sum(len(_lines(s, Label.LINK)) for s in pages) for pages in _sites(samples).values()
    ]
    assert any(n == 0 for n in link_counts)
    assert any(n > 20 for n in link_counts)


def test_styles_vary_widely() -> None:
    styles = [draw_style(random.Random(i)) for i in range(300)]
    signatures = {
        (
            s.locale,
            s.crumb_mode,
            len(s.lists),
            s.meta_joiner,
            s.share_placement,
            s.tag_prefix,
            s.prev_next,
            s.wrap_width is None,
            tuple(sl.bullet for sl in s.lists),
        )
        for s in styles
    }
    assert len(signatures) > 250
    assert len({s.domain for s in styles}) > 250
    assert {s.locale for s in styles} >= {"en", "zh"}
    assert any(sl.header is None for s in styles for sl in s.lists)
    assert any(not s.lists for s in styles)


def test_no_seed_template_words() -> None:
    source = inspect.getsource(synth)
    for word in SEED_TEMPLATE_WORDS:
        assert word not in source
    out = list(generate_sites(POOL, sites=80, seed=1))
    for sample in out:
        for text in _lines(sample, Label.BOILERPLATE):
            assert not any(word in text for word in SEED_TEMPLATE_WORDS), text


def test_no_placeholder_is_left_unfilled() -> None:
    """Every ``{key}`` of the site templates is filled (a literal ``Image: {name}`` once
    stood on every page of the sites that drew it)."""
    placeholder = re.compile(r"\{[A-Za-z_]\w*\}")
    out = list(generate_sites(POOL, sites=300, pages_per_site=(2, 3), seed=3))
    leftovers = {line.text for s in out for line in s.page.lines if placeholder.search(line.text)}
    assert not leftovers, sorted(leftovers)[:5]


def test_republished_pages_share_article_text() -> None:
    pages = generate_site(POOL, random.Random(2), pages=20, republish_prob=0.5)
    truths = Counter(s.truth for s in pages)
    assert any(n >= 2 for n in truths.values())
    repeated = next(t for t, n in truths.items() if n >= 2)
    copies = [s for s in pages if s.truth == repeated]
    assert len({tuple(_lines(s, Label.ARTICLE)) for s in copies}) == 1
    assert len({s.page.url for s in copies}) == len(copies)


def test_wrapped_paragraphs_stay_article() -> None:
    rng = random.Random(8)
    style = dataclasses.replace(draw_style(rng), wrap_width=80)
    pages = generate_site(POOL, rng, pages=4, style=style)
    for sample in pages:
        lines = _lines(sample, Label.ARTICLE)
        assert all(len(t) <= 80 for t in lines)
        assert len(lines) > len((sample.truth or "").splitlines())
        assert " ".join(lines).split() == (sample.truth or "").split()


def test_style_is_frozen() -> None:
    style = SiteStyle.draw(random.Random(0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        style.domain = "x.example"  # type: ignore[misc]


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        generate_site(POOL, random.Random(0), pages=0)
    with pytest.raises(ValueError):
        list(generate_sites(POOL, sites=1, pages_per_site=(5, 2)))
    with pytest.raises(ValueError):
        site_split("dev")


def test_site_split_follows_the_corpus_split() -> None:
    from classify.corpus import site_split as corpus_site_split

    train, held_out = site_split("train"), site_split("heldout")
    records = [{"site": f"site{i}.com"} for i in range(1000)]
    assert all(train(r) != held_out(r) for r in records)
    assert all(held_out(r) == (corpus_site_split(str(r["site"])) == "heldout") for r in records)
    assert 100 < sum(held_out(r) for r in records) < 300
    assert sum(site_split("heldout", held_out_percent=50)(r) for r in records) > 350


def test_jsonl_round_trip(tmp_path: Path) -> None:
    out = list(generate_sites(POOL, sites=5, seed=2))
    path = tmp_path / "synth.jsonl.gz"
    assert write_jsonl(path, out) == len(out)
    back = list(read_jsonl(path))
    assert [sample_to_record(s) for s in back] == [sample_to_record(s) for s in out]


def test_cli_writes_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SourcePool, "from_corpora", classmethod(lambda cls, *a, **k: POOL))
    path = tmp_path / "out.jsonl"
    assert synth.main(["--corpora", str(tmp_path), "--sites", "3", "-o", str(path)]) == 0
    assert len(list(read_jsonl(path))) >= 9


def _write_gz(path: Path, records: list[dict[str, object]]) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record) + "\n")


def test_from_corpora_reads_corpus_records(tmp_path: Path) -> None:
    body = [
        f"Sentence {j} of a long enough paragraph that has more than twelve words in it."
        for j in range(5)
    ]
    _write_gz(
        tmp_path / "wcxb_dev.jsonl.gz",
        [
            {
                "id": "1",
                "source": "wcxb_dev",
                "site": "a.com",
                "page_type": "article",
                "title": "A real headline from page one",
                "truth": "\n".join(["A real headline from page one", *body]),
            },
            {
                "id": "2",
                "source": "wcxb_dev",
                "site": "b.com",
                "page_type": "product",
                "title": "A product page title here",
                "truth": "\n".join(body),
            },
            {
                "id": "3",
                "source": "wcxb_dev",
                "site": "c.com",
                "page_type": "article",
                "title": "Too short to use as an article",
                "truth": "One.\nTwo.",
            },
        ],
    )
    _write_gz(
        tmp_path / "cleaneval.jsonl.gz",
        [
            {
                "id": "d1",
                "source": "cleaneval",
                "site": "d.com",
                "html": "<title>x</title>",
                "truth": "\n".join(["A Short Heading Line Here", "____", *body]),
            },
            {
                "id": "d2",
                "source": "cleaneval",
                "site": "e.com",
                "html": "<html><title>Some Site | The HTML title of the page</title></html>",
                "truth": "\n".join(body),
            },
        ],
    )
    _write_gz(
        tmp_path / "clickbait_chakraborty.jsonl.gz",
        [
            {"text": "You won't believe what this cat did next", "label": "clickbait"},
            {"text": "Short", "label": "news"},
        ],
    )
    pool = SourcePool.from_corpora(tmp_path)
    by_id = {a.source_id: a for a in pool.articles}
    assert set(by_id) == {"wcxb_dev:1", "cleaneval:d1", "cleaneval:d2"}
    assert by_id["wcxb_dev:1"].paragraphs == tuple(body)
    assert by_id["cleaneval:d1"].title == "A Short Heading Line Here"
    assert by_id["cleaneval:d1"].paragraphs == tuple(body)
    assert by_id["cleaneval:d2"].title == "The HTML title of the page"
    assert set(pool.headlines) == {
        "A real headline from page one",
        "A product page title here",
        "Too short to use as an article",
        "You won't believe what this cat did next",
    }
    kept = SourcePool.from_corpora(tmp_path, articles_filter=lambda r: r.get("site") != "a.com")
    assert "wcxb_dev:1" not in {a.source_id for a in kept.articles}
    assert "A real headline from page one" not in kept.headlines
    with pytest.raises(FileNotFoundError):
        SourcePool.from_corpora(tmp_path / "missing")


@pytest.mark.skipif(not CORPORA.is_dir(), reason="shared corpora not available")
def test_from_corpora_loads_real_sources() -> None:
    # the small page corpora keep this fast; WCXB parsing is covered by the test above
    pool = SourcePool.from_corpora(
        CORPORA, page_corpora=("cleaneval.jsonl.gz", "cleanportal.jsonl.gz")
    )
    assert len(pool.articles) > 100
    assert len(pool.headlines) > 1000
    assert all(len(a.paragraphs) >= 4 and a.title for a in pool.articles)
    assert all(a.title not in a.paragraphs for a in pool.articles)
    sample = next(generate_sites(pool, sites=1, seed=0))
    assert sum(label is Label.TITLE for label in sample.labels) == 1
