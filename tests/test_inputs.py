from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from classify import inputs
from classify.inputs import InputError, InputRecord, ReadStats, input_kind, read_inputs, rendered
from classify.render import RenderError


def _read(paths: list[str], **kw: object) -> tuple[list, ReadStats]:  # type: ignore[type-arg]
    stats = ReadStats()
    return list(read_inputs(paths, stats, **kw)), stats  # type: ignore[arg-type]


def test_jsonl_one_record_per_line_with_errors_in_place(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"id": "a", "text": "Hello\nWorld", "url": "https://x.example/a"}),
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"id": "d"}),
        json.dumps({"id": "e", "html": "<p>Para one</p><p>Para two</p>"}),
        json.dumps({"id": "f", "text": 5}),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    records, stats = _read([str(path)])
    assert [r.id for r in records] == ["a", "in.jsonl:2", "in.jsonl:3", "d", "e", "f"]
    assert records[0].page is not None and records[0].page.texts == ["Hello", "World"]
    assert "invalid JSON" in (records[1].error or "")
    assert records[2].error == "line 3: expected a JSON object"
    assert records[3].error == "record has neither 'text' nor 'html'"
    assert records[4].page is not None and records[4].page.texts == ["Para one", "Para two"]
    assert records[5].error == "fields 'text'/'html' must be strings"
    assert stats.records == 6 and stats.errors == 4


def test_text_file_empty_binary_and_latin1(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Caf\xe9 cr\xe8me".encode("latin-1"))
    records, stats = _read([str(empty), str(binary), str(latin)])
    assert records[0].page is not None and records[0].page.lines == ()
    assert "binary data" in (records[1].error or "")
    assert records[2].page is not None and records[2].page.texts == ["Café crème"]
    assert stats.errors == 1


def test_truncated_gzip_jsonl_gives_an_error_record(tmp_path: Path) -> None:
    data = gzip.compress(
        "".join(json.dumps({"id": str(i), "text": "x " * 500}) + "\n" for i in range(50)).encode()
    )
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    records, _ = _read([str(path)])
    assert records[-1].error is not None and "unreadable" in records[-1].error
    assert all(r.page is not None for r in records[:-1])


def test_stdin_and_kinds(tmp_path: Path) -> None:
    records, _ = _read(["-"], stdin=io.BytesIO(b"line one\n\nline two\n"))
    assert records[0].page is not None and records[0].page.texts == ["line one", "line two"]
    assert input_kind("a.warc.gz") == "warc" and input_kind("a.html.gz") == "html"
    with pytest.raises(InputError, match="unknown input kind"):
        input_kind("a.pdf")
    with pytest.raises(InputError, match="no such input"):
        _read([str(tmp_path / "missing.txt")])


def test_huge_single_page_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("classify.inputs.MAX_RECORD_BYTES_DEFAULT", 1000)
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000, encoding="utf-8")
    records, _ = _read([str(path)])
    assert records[0].error == "larger than 0 MB"


def test_html_and_text_left_pending_give_the_same_records(tmp_path: Path) -> None:
    html = "<title>T</title><p>Para one</p><p>Para two</p>"
    src = tmp_path / "in.jsonl"
    src.write_text(
        "\n".join(
            [
                json.dumps({"id": "h", "html": html, "site": "s"}),
                json.dumps({"id": "t", "text": "Plain"}),
                json.dumps({"id": "x", "html": 5}),
            ]
        ),
        encoding="utf-8",
    )
    page = tmp_path / "p.html"
    page.write_text(html, encoding="utf-8")
    now, _ = _read([str(src), str(page)])
    later, _ = _read([str(src), str(page)], render=False)
    assert [r.html is not None for r in later] == [True, False, False, True]
    assert [r.text is not None for r in later] == [False, True, False, False]
    assert all(r.page is None for r in later)
    assert [rendered(r) for r in later] == now
    assert now[0].page is not None and now[0].page.texts == ["Para one", "Para two"]


def test_a_page_that_cannot_render_becomes_its_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RenderError("cannot parse HTML (3 bytes): boom")

    monkeypatch.setattr(inputs, "render_html", fail)
    record = rendered(InputRecord("a", "u", "s", html="<p>"))
    assert record == InputRecord(
        "a", "u", "s", error="cannot render HTML: cannot parse HTML (3 bytes): boom"
    )


def test_an_html_file_that_cannot_render_is_counted_as_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RenderError("cannot parse HTML (3 bytes): boom")

    monkeypatch.setattr(inputs, "render_html", fail)
    page = tmp_path / "p.html"
    page.write_text("<p>", encoding="utf-8")
    records, stats = _read([str(page)])
    assert records[0].error == "cannot render HTML: cannot parse HTML (3 bytes): boom"
    assert (stats.records, stats.errors) == (1, 1)
