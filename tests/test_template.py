"""Tests for the site-template index (classify.template)."""

from __future__ import annotations

import json
import multiprocessing
import random
import sqlite3
import string
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from classify.records import Line, Page
from classify.template import (
    SqliteTemplateStore,
    TemplateConfig,
    TemplateIndex,
    TemplateIndexError,
    _normalise_unicode,
    article_span,
    digest_page,
    line_hash,
    line_hashes,
    normalise_line,
    normalise_lines,
    site_key,
)

WORDS = [
    "river",
    "stone",
    "market",
    "winter",
    "garden",
    "silver",
    "engine",
    "harbor",
    "violet",
    "summer",
    "paper",
    "candle",
    "forest",
    "bridge",
    "signal",
    "meadow",
    "copper",
    "lantern",
    "orbit",
    "thunder",
    "velvet",
    "canyon",
    "marble",
    "falcon",
    "echo",
    "prism",
    "tundra",
    "willow",
    "ember",
    "glacier",
]

CHROME = (
    "Home > News > World",
    "View",
    "veryGood! ({n})",
    "Views: {big}",
    "Related",
    "Ranking",
    "Share this article",
    "Copyright {year} Example Media",
)


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(9, 16))).capitalize() + "."


def make_article(rng: random.Random, n: int = 8) -> list[str]:
    return [sentence(rng) for _ in range(n)]


def make_page(
    rng: random.Random,
    i: int,
    article: list[str],
    *,
    site: str | None = "example.com",
    url: str | None = None,
    sidebar: list[str] | None = None,
) -> Page:
    fill = {"n": rng.randint(0, 9999), "big": f"{rng.randint(1, 999)},{rng.randint(0, 999):03d}"}
    fill["year"] = rng.randint(2000, 2024)
    chrome = [c.format(**fill) for c in CHROME]
    texts = chrome[:4] + article + (sidebar or []) + chrome[4:]
    return Page(id=f"p{i}", lines=tuple(Line(t) for t in texts), url=url, site=site)


def make_site(rng: random.Random, n: int, site: str = "example.com") -> list[Page]:
    return [make_page(rng, i, make_article(rng), site=site) for i in range(n)]


# --------------------------------------------------------------------------- normalisation


def test_normalisation_equalities() -> None:
    assert normalise_line("veryGood! (7483)") == normalise_line("veryGood! (12)")
    assert normalise_line("Views: 1,234") == normalise_line("Views: 98")
    assert normalise_line("Posted 2024-01-05 12:30") == normalise_line("Posted 1999-12-31 9:05")
    assert normalise_line("  HOME  >>  News ") == normalise_line("home > news")
    assert normalise_line("Straße") == normalise_line("STRASSE")  # case-folded
    assert normalise_line("snake_case") == "snake case"
    assert normalise_line("veryGood! (7483)") == "verygood 0"
    assert normalise_line("Related") != normalise_line("Ranking")
    assert line_hash("veryGood! (7483)") == line_hash("VERYGOOD (1)")
    assert line_hash("a") != line_hash("b")
    hashes = line_hashes(["Views: 1,234", "Views: 98", "other"])
    assert hashes.dtype == np.uint64 and hashes[0] == hashes[1] != hashes[2]
    assert int(hashes[2]) == line_hash("other")


def test_line_hash_is_stable_across_runs() -> None:
    # blake2b of the normalised UTF-8 text: a fixed value, not Python's salted hash().
    digest = int.from_bytes(
        __import__("hashlib").blake2b(b"verygood 0", digest_size=8).digest(), "little"
    )
    assert line_hash("veryGood! (7483)") == digest


def test_ascii_fast_path_matches_unicode_path() -> None:
    rng = random.Random(5)
    alphabet = string.printable.replace("\n", "") + "0000  __"
    for _ in range(3000):
        texts = ["".join(rng.choices(alphabet, k=rng.randint(0, 20))) for _ in range(4)]
        assert normalise_lines(texts) == [_normalise_unicode([t])[0] for t in texts]
    mixed = ["Café — 12 €", "plain 3,4 text", "«Ünïcode» 7"]
    assert normalise_lines(mixed) == [_normalise_unicode([t])[0] for t in mixed]


def test_site_key_cases() -> None:
    assert site_key("https://other.org/x", "given") == "given"
    assert site_key("https://WWW.Example.COM:8080/a?b=1", None) == "example.com"
    assert site_key("example.com/path", None) == "example.com"
    assert site_key("http://user:pw@news.example.com./x", None) == "news.example.com"
    assert site_key(None, None) is None
    assert site_key("", "  ") is None
    assert site_key("not a url at all", None) is None or isinstance(
        site_key("not a url at all", None), str
    )
    assert site_key("https://news.bbc.co.uk/a", None, registrable=True) == "bbc.co.uk"
    assert site_key("https://a.b.example.com/", None, registrable=True) == "example.com"
    assert site_key("https://www.abc.net.au/", None, registrable=True) == "abc.net.au"
    assert site_key("https://shop.example.co.jp/", None, registrable=True) == "example.co.jp"
    assert site_key("http://10.0.0.1:80/", None, registrable=True) == "10.0.0.1"


# --------------------------------------------------------------------------- batch index


def test_shares_identical_for_shuffled_orders() -> None:
    rng = random.Random(1)
    pages = make_site(rng, 30)
    # near-duplicates with different sidebars, so the representative choice matters
    pages += [
        make_page(rng, 100 + i, pages[i].texts[4:12], sidebar=[sentence(rng)]) for i in (0, 1)
    ]
    pages += make_site(rng, 10, site="other.org")
    reference = TemplateIndex.build(pages)
    expected = [reference.shares(p).tobytes() for p in pages]
    for seed in range(4):
        shuffled = pages[:]
        random.Random(seed).shuffle(shuffled)
        index = TemplateIndex.build(shuffled)
        assert [index.shares(p).tobytes() for p in pages] == expected
        assert index.site_pages("example.com") == reference.site_pages("example.com") == 30


def test_republished_article_keeps_share_zero() -> None:
    rng = random.Random(2)
    pages = make_site(rng, 12)
    article = make_article(rng)
    twin_a = make_page(rng, 50, article, sidebar=[sentence(rng)])
    twin_b = make_page(rng, 51, article, sidebar=[sentence(rng)])
    index = TemplateIndex.build([*pages, twin_a, twin_b])
    assert index.site_pages("example.com") == 13  # the twins count once
    for twin in (twin_a, twin_b):
        lookup = index.lookup(twin)
        assert lookup.known and lookup.pages == 12
        shares = lookup.shares
        n_chrome = 4
        assert np.all(shares[:n_chrome] == 1.0)  # chrome on every other page
        assert np.all(shares[n_chrome : n_chrome + len(article)] == 0.0)
    # a fresh page republishing it again is recognised as a near-duplicate too
    fresh = make_page(rng, 52, article)
    assert np.all(index.shares(fresh)[4:12] == 0.0)


def test_unknown_page_counts_are_not_reduced() -> None:
    rng = random.Random(3)
    index = TemplateIndex.build(make_site(rng, 10))
    new = make_page(rng, 99, make_article(rng))
    lookup = index.lookup(new)
    assert not lookup.known and lookup.pages == 10
    assert lookup.counts[:4].tolist() == [10, 10, 10, 10]
    assert index.template_mask(new)[:4].all() and not index.template_mask(new)[4:12].any()


def test_single_page_site_gives_zero_shares() -> None:
    rng = random.Random(4)
    page = make_site(rng, 1)[0]
    index = TemplateIndex.build([page])
    assert index.site_pages("example.com") == 1
    assert np.all(index.shares(page) == 0.0)
    assert np.all(index.counts(page) == 0)
    assert not index.template_mask(page).any()


def test_unknown_site_and_pages_without_site() -> None:
    rng = random.Random(5)
    no_site = make_page(rng, 0, make_article(rng), site=None)
    index = TemplateIndex.build([no_site, *make_site(rng, 3)])
    assert index.sites() == ["example.com"]
    assert np.all(index.shares(no_site) == 0.0)
    elsewhere = make_page(rng, 1, make_article(rng), site="elsewhere.net")
    assert np.all(index.shares(elsewhere) == 0.0) and index.site_pages("elsewhere.net") == 0
    empty = Page(id="e", lines=(), site="example.com")
    assert index.shares(empty).size == 0


def test_url_sites_are_keyed_by_host() -> None:
    rng = random.Random(6)
    pages = [
        make_page(rng, i, make_article(rng), site=None, url=f"https://www.host.com:443/{i}")
        for i in range(4)
    ]
    index = TemplateIndex.build(pages)
    assert index.sites() == ["host.com"] and index.site_pages("host.com") == 4


def test_many_identical_lines_is_fast() -> None:
    page = Page(id="big", lines=tuple(Line("Same line 42") for _ in range(50_000)), site="s")
    start = time.perf_counter()
    index = TemplateIndex.build([page])
    shares = index.shares(page)
    assert time.perf_counter() - start < 5.0
    assert shares.shape == (50_000,) and np.all(shares == 0.0)
    assert index.site_lines("s") == 1


def test_top_lines() -> None:
    rng = random.Random(7)
    index = TemplateIndex.build(make_site(rng, 10))
    top = index.top_lines("example.com", 4)
    assert len(top) == 4 and all(share == 1.0 for _, share in top)
    texts = {normalise_line(t) for t, _ in top}
    assert texts <= {normalise_line(c.format(n=1, big="1", year=1)) for c in CHROME}
    assert index.top_lines("nowhere", 3) == []


def test_line_cap_evicts_rarest_first() -> None:
    rng = random.Random(8)
    pages = make_site(rng, 40)
    config = TemplateConfig(max_lines_per_site=20)
    index = TemplateIndex.build(pages, config=config)
    assert index.site_lines("example.com") == 20
    assert all(share == 1.0 for _, share in index.top_lines("example.com", len(CHROME)))
    assert np.all(index.shares(pages[0])[:4] == 1.0)


# --------------------------------------------------------------------------- persistence


def test_save_load_roundtrip(tmp_path: Path) -> None:
    rng = random.Random(9)
    pages = make_site(rng, 15) + make_site(rng, 5, site="b.org")
    index = TemplateIndex.build(pages)
    path = tmp_path / "index.sqlite"
    index.save(path)
    loaded = TemplateIndex.load(path)
    assert loaded.config == index.config and loaded.sites() == index.sites()
    for page in pages:
        assert loaded.shares(page).tobytes() == index.shares(page).tobytes()
    assert loaded.top_lines("example.com", 3) == index.top_lines("example.com", 3)
    with SqliteTemplateStore(path) as store:  # the same file, opened for streaming
        for page in pages[:5]:
            assert store.shares(page).tobytes() == index.shares(page).tobytes()


def test_store_equals_batch(tmp_path: Path) -> None:
    rng = random.Random(10)
    pages = make_site(rng, 20) + make_site(rng, 6, site="b.org")
    pages.append(pages[3])  # crawled twice
    pages.append(make_page(rng, 77, pages[5].texts[4:12]))  # republished, same sidebar
    index = TemplateIndex.build(pages)
    with SqliteTemplateStore(tmp_path / "s.sqlite") as store:
        assert store.add_many(pages) == 26
        for page in pages:
            assert store.shares(page).tobytes() == index.shares(page).tobytes()
            assert store.counts(page).tolist() == index.counts(page).tolist()
        assert store.site_pages("example.com") == index.site_pages("example.com") == 20
        assert store.top_lines("b.org", 3) == index.top_lines("b.org", 3)
        assert store.to_index().shares(pages[0]).tobytes() == index.shares(pages[0]).tobytes()


def test_store_reopened_across_runs(tmp_path: Path) -> None:
    rng = random.Random(11)
    pages = make_site(rng, 12)
    path = tmp_path / "s.sqlite"
    with SqliteTemplateStore(path) as store:
        store.add_many(pages[:7])
        assert store.add(pages[0]) is False  # already counted
    with SqliteTemplateStore(path) as store:
        store.add_many(pages[7:])
        assert store.site_pages("example.com") == 12
        expected = TemplateIndex.build(pages)
        assert store.shares(pages[9]).tobytes() == expected.shares(pages[9]).tobytes()
    with pytest.raises(TemplateIndexError):
        SqliteTemplateStore(path, config=TemplateConfig(min_pages=3))


def test_corrupt_file_is_rejected_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.sqlite"
    data = b"this is not a database" * 100
    path.write_bytes(data)
    with pytest.raises(TemplateIndexError, match="not a SQLite file"):
        SqliteTemplateStore(path)
    with pytest.raises(TemplateIndexError):
        TemplateIndex.load(path)
    assert path.read_bytes() == data
    broken = tmp_path / "broken.sqlite"
    broken_data = b"SQLite format 3\x00" + b"\xff" * 4000
    broken.write_bytes(broken_data)
    with pytest.raises(TemplateIndexError):
        SqliteTemplateStore(broken)
    assert broken.read_bytes() == broken_data


def test_foreign_sqlite_is_rejected_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "foreign.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (a INTEGER)")
    conn.execute("INSERT INTO things VALUES (1)")
    conn.commit()
    conn.close()
    data = path.read_bytes()
    with pytest.raises(TemplateIndexError, match="without a template index"):
        SqliteTemplateStore(path)
    with pytest.raises(TemplateIndexError):
        TemplateIndex.load(path)
    assert path.read_bytes() == data
    other_version = tmp_path / "v0.sqlite"
    with SqliteTemplateStore(other_version):
        pass
    conn = sqlite3.connect(other_version)
    conn.execute("UPDATE meta SET value = '0' WHERE key = 'version'")
    conn.commit()
    conn.close()
    with pytest.raises(TemplateIndexError, match="version"):
        SqliteTemplateStore(other_version)


def _worker(path: str, seed: int, n: int) -> None:
    rng = random.Random(seed)
    pages = [make_page(rng, i, make_article(rng)) for i in range(n)]
    with SqliteTemplateStore(path, busy_timeout=30.0) as store:
        for page in pages:  # one transaction per page: maximal interleaving
            store.add(page)


def _worker_pages(seed: int, n: int) -> list[Page]:
    rng = random.Random(seed)
    return [make_page(rng, i, make_article(rng)) for i in range(n)]


def _run_writers(path: str, seeds: tuple[int, ...], n: int) -> None:
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_worker, args=(path, seed, n)) for seed in seeds]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0


def test_two_processes_share_one_store(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    _run_writers(path, (1, 2), 40)
    with SqliteTemplateStore(path) as store:
        assert store.site_pages("example.com") == 80
        assert store.top_lines("example.com", 1)[0][1] == 1.0


def test_concurrent_writers_lose_nothing_stress(tmp_path: Path) -> None:
    # Before the fix, 11 of 40 rounds of two 40-page writers lost a tail of one writer's
    # pages on this 2-core machine (the process that created the file had its SQLite locks
    # dropped by a plain open()/close() of the file; see classify.template._validate).
    # Each round checks every count against a batch index of exactly the pages written.
    for round_ in range(6):
        path = str(tmp_path / f"stress{round_}.sqlite")
        seeds = (100 + 2 * round_, 101 + 2 * round_)
        _run_writers(path, seeds, 25)
        written = [page for seed in seeds for page in _worker_pages(seed, 25)]
        expected = TemplateIndex.build(written)
        with SqliteTemplateStore(path) as store:
            assert store.site_pages("example.com") == len(written) == 50, f"round {round_}"
            for page in written[::5]:
                assert store.counts(page).tolist() == expected.counts(page).tolist()


def _writer_on_cue(path: str, seed: int, n: int, go: Any, written: Any, release: Any) -> None:
    go.wait(30)
    with SqliteTemplateStore(path, busy_timeout=30.0) as store:
        store.add_many(_worker_pages(seed, n))
        written.set()
        release.wait(30)


def test_pages_written_after_another_writer_closed_are_kept(tmp_path: Path) -> None:
    # Deterministic form of the lost-tail bug. This process creates the store and reads the
    # file once more (as TemplateIndex.load does); writer A then writes and closes; writer B
    # opens and stays open while this process writes its second half and closes. Before the
    # fix, A's close deleted the WAL under our connection, our second half went to the
    # deleted file and was never checkpointed (B still held the file open): it was lost.
    # The writers are forked before this process opens the file (SQLite state must not be
    # inherited across fork).
    path = tmp_path / "s.sqlite"
    mine = _worker_pages(7, 12)
    ctx = multiprocessing.get_context("fork")
    events = [[ctx.Event() for _ in range(3)] for _ in range(2)]
    writers = [
        ctx.Process(target=_writer_on_cue, args=(str(path), seed, 12, *ev))
        for seed, ev in zip((8, 9), events, strict=True)
    ]
    for writer in writers:
        writer.start()
    try:
        with SqliteTemplateStore(path) as store:
            store.add_many(mine[:6])
            assert TemplateIndex.load(path).site_pages("example.com") == 6
            for ev in events[0]:  # writer A: writes and closes
                ev.set()
            writers[0].join(60)
            assert writers[0].exitcode == 0
            events[1][0].set()  # writer B: writes and stays open
            assert events[1][1].wait(60)
            store.add_many(mine[6:])
            assert store.site_pages("example.com") == 36
    finally:
        for ev in (*events[0], *events[1]):
            ev.set()
        for writer in writers:
            writer.join(60)
    assert writers[1].exitcode == 0
    with SqliteTemplateStore(path) as store:
        assert store.site_pages("example.com") == 36
        everything = [*mine, *_worker_pages(8, 12), *_worker_pages(9, 12)]
        expected = TemplateIndex.build(everything)
        for page in everything[::3]:
            assert store.counts(page).tolist() == expected.counts(page).tolist()


def test_store_caps_hold(tmp_path: Path) -> None:
    rng = random.Random(12)
    pages = make_site(rng, 60)
    config = TemplateConfig(max_lines_per_site=50, max_pages_per_site=20)
    with SqliteTemplateStore(tmp_path / "cap.sqlite", config=config) as store:
        for page in pages:
            store.add(page)
            assert store.site_lines("example.com") <= 50
        rows = store._conn.execute("SELECT count(*) FROM lines").fetchone()[0]
        tracked = store._conn.execute("SELECT count(*) FROM pages").fetchone()[0]
        assert rows <= 50 and tracked <= 20
        assert store.site_pages("example.com") == 60
        # template lines survive eviction: they are on every page
        assert all(share == 1.0 for _, share in store.top_lines("example.com", 4))


def test_digest_signature() -> None:
    rng = random.Random(13)
    config = TemplateConfig()
    page = make_page(rng, 0, make_article(rng, 12))
    digest = digest_page(page, config)
    assert digest.signature.size == config.signature_lines
    assert np.all(np.diff(digest.signature.astype(np.float64)) > 0)
    assert digest.band_keys.size == 16
    short = make_page(rng, 1, [])
    assert digest_page(short, config).signature.size == 0


# --------------------------------------------------------------------------- article span


def test_article_span_is_between_the_first_and_last_body_paragraph() -> None:
    template = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1], dtype=bool)
    model_article = np.array([0, 1, 0, 1, 0, 1, 0, 0, 0], dtype=bool)
    words = np.array([1, 25, 2, 30, 2, 5, 2, 40, 1])
    # body paragraphs: lines 1 and 3 (line 5 is short, line 7 is not labelled article)
    assert article_span(template, model_article, words, 20).tolist() == [
        *[False, False, True],
        *[False] * 6,
    ]
    # a long template line labelled article is not a body paragraph of its own
    long_template = words.copy()
    long_template[0] = 50
    model_all = np.ones(9, dtype=bool)
    assert article_span(template, model_all, long_template, 20)[2:7].all()
    assert not article_span(template, model_all, long_template, 20)[[0, 8]].any()
    # one body paragraph makes no span
    assert not article_span(template, model_article, words, 26).any()
    with pytest.raises(ValueError, match="3 model labels for 9 lines"):
        article_span(template, model_article[:3], words, 20)


def _product_page(rng: random.Random, k: int) -> Page:
    lines = [
        "Shop Deals Support Account",  # chrome
        " ".join(rng.choice(WORDS) for _ in range(30)),  # a body paragraph
        "Technical details",  # a section header of the content, on every page
        " ".join(rng.choice(WORDS) for _ in range(25)),
        f"Memory: {rng.choice((4, 8, 16))} GB",  # a field label with a value
        " ".join(rng.choice(WORDS) for _ in range(22)),
        "Contact us Privacy Terms",  # chrome
    ]
    return Page(id=f"p{k}", lines=tuple(Line(t) for t in lines), site="shop.example")


def test_template_lines_inside_the_article_span_are_left_to_the_model() -> None:
    rng = random.Random(8)
    pages = [_product_page(rng, k) for k in range(8)]
    index = TemplateIndex.build(pages)
    lookup = index.lookup(pages[0])
    assert lookup.shares.tolist() == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    assert lookup.words.tolist()[:3] == [4, 30, 2]
    # without the model's labels (or with the rule off) every recurring line is template
    assert lookup.template_mask(index.config).tolist() == [1, 0, 1, 0, 1, 0, 1]
    body = np.array([len(t.split()) >= 20 for t in pages[0].texts])
    off = TemplateConfig(article_span_words=0)
    assert lookup.template_mask(off, body).tolist() == [1, 0, 1, 0, 1, 0, 1]
    # with them, the header and the field label between body paragraphs are not decided
    assert lookup.template_mask(index.config, body).tolist() == [1, 0, 0, 0, 0, 0, 1]
    # paragraphs the model does not call article make no span
    assert lookup.template_mask(index.config, np.zeros(7, dtype=bool)).tolist() == [
        *[1, 0, 1, 0, 1, 0, 1]
    ]


def test_config_of_older_index_files_gets_the_new_defaults() -> None:
    stored = json.loads(TemplateConfig().to_json())
    del stored["recurrence_features"], stored["article_span_words"]
    assert TemplateConfig.from_json(json.dumps(stored)) == TemplateConfig()
    with pytest.raises(ValueError, match="article_span_words"):
        TemplateConfig(article_span_words=-1)


def test_short_body_lines_open_the_article_span_by_default() -> None:
    # Product pages whose content is short lines (names, taglines): a recurring section
    # header between two of them ("Description") is the content's own; chrome outside stays
    # template. Lines under article_span_words ("In stock") do not open the span.
    rng = random.Random(9)
    pages = []
    for k in range(8):
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} opener kit".capitalize()
        tagline = " ".join(rng.choice(WORDS) for _ in range(5)).capitalize() + "."
        texts = ["Shop Deals Support", name, "In stock", "Description", tagline, "Privacy Terms"]
        pages.append(Page(id=f"p{k}", lines=tuple(Line(t) for t in texts), site="s.example"))
    index = TemplateIndex.build(pages)
    lookup = index.lookup(pages[0])
    assert lookup.shares.tolist() == [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
    model_article = np.array([0, 1, 1, 0, 1, 0], dtype=bool)
    assert index.config.article_span_words == 4
    assert lookup.template_mask(index.config, model_article).tolist() == [1, 0, 0, 0, 0, 1]
    longer = TemplateConfig(article_span_words=6)  # the 4- and 5-word lines are not body
    assert lookup.template_mask(longer, model_article).tolist() == [1, 0, 1, 1, 0, 1]
