"""Checks on the hand-labelled data files under data/train and data/test."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from classify.records import Label, LabelledPage
from classify.samples import read_samples

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TRAIN = DATA / "train"
TEST = DATA / "test"
SEED_TSV = TEST / "seed.tsv"
SEED_SOURCE = ROOT / "seeds" / "000_42de02defef711ca.txt"
SEED_HEADERS = ("Related", "Ranking", "Recommendation")
MIN_SHARED_WORDS = 8

DATA_FILES = sorted(
    p for folder in (TRAIN, TEST) for p in folder.rglob("*") if p.is_file() and p.suffix == ".tsv"
)


def _load(path: Path) -> list[LabelledPage]:
    return list(read_samples([path]))


def _seed() -> LabelledPage:
    pages = _load(SEED_TSV)
    assert len(pages) == 1
    return pages[0]


def _train_pages() -> list[LabelledPage]:
    return list(read_samples([TRAIN]))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _shingles(text: str, n: int = MIN_SHARED_WORDS) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_data_files_exist() -> None:
    assert SEED_TSV.is_file()
    assert any(p.parent == TRAIN for p in DATA_FILES)


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: str(p.relative_to(DATA)))
def test_file_parses_with_valid_labels(path: Path) -> None:
    pages = _load(path)
    assert pages, f"{path} holds no page"
    for page in pages:
        assert page.page.lines, page.page.id
        assert len(page.labels) == len(page.page.lines)
        assert all(isinstance(label, Label) for label in page.labels)
        assert all(line.text == line.text.strip() and line.text for line in page.page.lines)


def test_page_ids_are_unique() -> None:
    ids = [page.page.id for page in read_samples([TRAIN, TEST])]
    duplicates = [key for key, count in Counter(ids).items() if count > 1]
    assert not duplicates


def test_training_pages_look_like_pages() -> None:
    for page in _train_pages():
        counts = Counter(page.labels)
        assert counts[Label.TITLE] == 1, page.page.id
        assert counts[Label.ARTICLE] >= 4, page.page.id
        assert page.page.site, page.page.id


def test_seed_matches_source_line_for_line() -> None:
    raw = SEED_SOURCE.read_text(encoding="utf-8").splitlines()
    source = [line.strip() for line in raw if line.strip()]
    assert _seed().page.texts == source


def test_seed_headers() -> None:
    page = _seed().page
    assert page.id == "seed-000"
    assert page.site == "tradewise.example"
    assert page.url is None


def test_seed_label_counts() -> None:
    seed = _seed()
    counts = Counter(seed.labels)
    assert counts[Label.ARTICLE] == 11
    assert counts[Label.TITLE] == 1
    texts = seed.page.texts
    assert seed.labels[0] is Label.BOILERPLATE
    assert seed.labels[1] is Label.TITLE
    articles = [t for t, label in zip(texts, seed.labels, strict=True) if label is Label.ARTICLE]
    assert articles[0].startswith("MOSCOW (AP) —")
    assert articles[-1].startswith("He added that")


def test_seed_lines_under_list_headers_are_links() -> None:
    seed = _seed()
    under_header = False
    seen_headers = []
    for text, label in zip(seed.page.texts, seed.labels, strict=True):
        if text in SEED_HEADERS:
            assert label is Label.BOILERPLATE, text
            seen_headers.append(text)
            under_header = True
        elif under_header:
            assert label is Label.LINK, text
    assert seen_headers == list(SEED_HEADERS)


def test_seed_is_not_in_training_data() -> None:
    # Short chrome such as "Related" or "View" may recur; no longer seed line may.
    seed_texts = {t for t in _seed().page.texts if len(_words(t)) >= 4}
    for page in _train_pages():
        assert page.page.id != "seed-000"
        assert page.page.site != "tradewise.example"
        assert not seed_texts & set(page.page.texts), page.page.id


def test_no_training_line_shares_eight_words_with_seed() -> None:
    seed_lines = [t for t in _seed().page.texts if len(_words(t)) >= MIN_SHARED_WORDS]
    seed_shingles: set[tuple[str, ...]] = set()
    for text in seed_lines:
        seed_shingles |= _shingles(text)
    seed_normalised = {" ".join(_words(t)) for t in seed_lines}
    for page in _train_pages():
        for text in page.page.texts:
            assert " ".join(_words(text)) not in seed_normalised, (page.page.id, text)
            shared = _shingles(text) & seed_shingles
            assert not shared, (page.page.id, text, sorted(shared)[:1])
