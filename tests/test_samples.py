from __future__ import annotations

from pathlib import Path

import pytest

from classify.records import Label, LabelledPage, Line, Page
from classify.samples import (
    SampleFormatError,
    format_tsv,
    read_samples,
    read_tsv,
    sample_from_record,
    sample_to_record,
    write_jsonl,
)


def _sample() -> LabelledPage:
    page = Page(
        id="p1",
        lines=(Line("Home > News"), Line("A story about rain.")),
        url="https://x.example/a",
        site="x.example",
    )
    return LabelledPage(page=page, labels=(Label.BOILERPLATE, Label.ARTICLE))


def test_jsonl_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl.gz"
    assert write_jsonl(path, [_sample(), _sample()]) == 2
    back = list(read_samples([path]))
    assert back == [_sample(), _sample()]


def test_tsv_round_trip_and_page_separator(tmp_path: Path) -> None:
    path = tmp_path / "s.tsv"
    path.write_text(format_tsv(_sample()) + "---\n" + format_tsv(_sample()), encoding="utf-8")
    pages = list(read_tsv(path))
    assert len(pages) == 2
    assert pages[0].page.site == "x.example"
    assert pages[0].labels == _sample().labels


def test_record_blank_lines_are_dropped_with_their_labels() -> None:
    record = sample_to_record(_sample())
    record["lines"].insert(1, {"text": "   ", "label": "boilerplate"})
    assert sample_from_record(record) == _sample()


def test_bad_label_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("article\tok text\nnews\tbad label\n", encoding="utf-8")
    with pytest.raises(SampleFormatError, match=r"bad.tsv:2: unknown label 'news'"):
        list(read_tsv(path))


def test_missing_tab_and_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("article no tab here\n", encoding="utf-8")
    with pytest.raises(SampleFormatError, match=r"expected 'label<TAB>text'"):
        list(read_tsv(path))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"lines": [}\n', encoding="utf-8")
    with pytest.raises(SampleFormatError, match=r"bad\.jsonl:1: invalid JSON"):
        list(read_samples([bad]))


def test_unknown_file_kind(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(SampleFormatError, match=r"expected a \.jsonl"):
        list(read_samples([path]))
