"""WARC and WET reading: real sample files end to end, and bad input built at test time."""

from __future__ import annotations

import gzip
import io
import re
import time
import zlib
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator as WarcioIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from classify.cli import main
from classify.inputs import InputRecord, ReadStats, rendered
from classify.render import decode_html, render_html
from classify.warc import is_warc, is_wet, read_warc, read_wet

WARC_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "warc"
SAMPLES = {
    # file: (HTML pages, skipped by reason), checked by hand and against warcio below
    "cc-main-2020-34-sample.warc.gz": (16, {"warcinfo": 1, "request": 17, "metadata": 16}),
    "clueweb09-ja-sample.warc.gz": (29, {"warcinfo": 1}),
    "sample-0000.warc.gz": (22, {"warcinfo": 1, "request": 22, "metadata": 1, "resource": 2}),
    "sample-0001.warc.gz": (15, {"warcinfo": 1, "request": 15, "metadata": 1, "resource": 2}),
}
needs_samples = pytest.mark.skipif(not WARC_DIR.is_dir(), reason="shared WARC samples missing")

HTML = b"<html><head><title>T</title></head><body><p>Hello page %d</p></body></html>"


# --- building WARC files ------------------------------------------------------------------


def _response(
    uri: str,
    body: bytes,
    headers: list[tuple[str, str]] | None = None,
    status: str = "200 OK",
) -> tuple[str, bytes, list[tuple[str, str]] | None, str]:
    if headers is None:
        headers = [("Content-Type", "text/html; charset=utf-8")]
    return (uri, body, headers, status)


def _warc_bytes(records: list[tuple[str, bytes, list[tuple[str, str]] | None, str]]) -> bytes:
    """Uncompressed WARC bytes: a warcinfo record, then one response per item."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    writer.write_record(writer.create_warcinfo_record("test.warc", {"software": "test"}))
    for uri, body, headers, status in records:
        http = StatusAndHeaders(status, headers or [], protocol="HTTP/1.1")
        record = writer.create_warc_record(
            uri, "response", payload=io.BytesIO(body), http_headers=http, length=len(body)
        )
        writer.write_record(record)
    return buf.getvalue()


def _gzip_members(raw: bytes) -> bytes:
    """Gzip each record as its own member, as real .warc.gz files do."""
    parts = re.split(rb"(?=WARC/1\.[01]\r\n)", raw)
    return b"".join(gzip.compress(p) for p in parts if p)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _read(path: Path, **kwargs: float) -> tuple[list[InputRecord], ReadStats]:
    stats = ReadStats()
    out = list(read_warc(path, stats, **kwargs))  # type: ignore[arg-type]
    assert stats.records == len(out)
    assert stats.errors == sum(1 for r in out if r.error)
    return out, stats


def _texts(record: InputRecord) -> list[str]:
    assert record.error is None, record.error
    assert record.page is not None
    return record.page.texts


# --- names --------------------------------------------------------------------------------


def test_suffixes() -> None:
    assert is_warc("a.warc") and is_warc("A.WARC.GZ")
    assert not is_warc("a.warc.wet.gz") and not is_warc("a.arc.gz") and not is_warc("a.html")
    assert is_wet("a.warc.wet.gz") and is_wet("a.wet.gz") and is_wet("a.wet")
    assert not is_wet("a.warc.gz")


# --- the real samples ---------------------------------------------------------------------


def _warcio_counts(path: Path) -> tuple[int, Counter[str], dict[str, str]]:
    """Expected pages and skips, computed independently with warcio."""
    pages = 0
    skipped: Counter[str] = Counter()
    urls: dict[str, str] = {}
    with path.open("rb") as fh:
        for rec in WarcioIterator(fh):
            if rec.rec_type != "response":
                skipped[rec.rec_type] += 1
                continue
            ctype = (rec.http_headers.get_header("Content-Type") or "").split(";")[0].lower()
            assert ctype == "text/html"  # all responses in the samples are HTML
            pages += 1
            rid = rec.rec_headers.get_header("WARC-Record-ID").strip("<>")
            urls[rid] = rec.rec_headers.get_header("WARC-Target-URI").strip("<>")
    return pages, skipped, urls


@needs_samples
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_files_end_to_end(name: str) -> None:
    path = WARC_DIR / name
    out, stats = _read(path)
    pages, skipped = SAMPLES[name]
    expected_pages, expected_skipped, urls = _warcio_counts(path)
    assert (len(out), dict(stats.skipped)) == (pages, skipped)
    assert (expected_pages, dict(expected_skipped)) == (pages, skipped)
    assert stats.errors == 0, [r.error for r in out if r.error]
    assert {r.id: r.url for r in out} == urls
    for record in out:
        assert record.page is not None and record.site is None
        assert record.page.id == record.id and record.page.url == record.url
        assert len(record.page.lines) >= 5, record.id
        text = "\n".join(record.page.texts)
        assert text.count("\ufffd") < 20, record.id  # charsets honoured


@needs_samples
def test_html_left_pending_renders_to_the_same_records() -> None:
    path = WARC_DIR / "clueweb09-ja-sample.warc.gz"
    now, _ = _read(path)
    later = list(read_warc(path, ReadStats(), render=False))
    assert all(r.page is None and r.html for r in later)
    assert [rendered(r) for r in later] == now


@needs_samples
def test_worker_processes_render_and_score_what_one_process_does(
    tmp_path: Path, small_model_path: Path
) -> None:
    src = WARC_DIR / "sample-0000.warc.gz"
    written = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}.jsonl"
        args = ["score", str(src), "-o", str(out), "--model", str(small_model_path), "-q"]
        assert main([*args, "--workers", workers]) == 0  # site templates learnt first: pass 1
        written.append(out.read_text(encoding="utf-8"))
    assert written[0] == written[1]
    assert len(written[0].splitlines()) == SAMPLES[src.name][0]


@needs_samples
def test_clueweb_euc_jp_decoded() -> None:
    out, _ = _read(WARC_DIR / "clueweb09-ja-sample.warc.gz")
    for record in out:
        text = "\n".join(_texts(record))
        assert "ヘッドポーター" in text, record.url
        assert "\ufffd" not in text


@needs_samples
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_texts_match_warcio_decoding(name: str) -> None:
    """Bodies decoded by warcio (chunked, gzip) render to the same lines as ours."""
    path = WARC_DIR / name
    ours = {r.id: _texts(r) for r in _read(path)[0]}
    chunked = 0
    with path.open("rb") as fh:
        for rec in WarcioIterator(fh):
            if rec.rec_type == "response":
                rid = rec.rec_headers.get_header("WARC-Record-ID").strip("<>")
                chunked += "chunked" in (rec.http_headers.get_header("Transfer-Encoding") or "")
                page = render_html(decode_html(rec.content_stream().read()), id=rid)
                assert page.texts == ours[rid], rid
    assert chunked == {"sample-0000.warc.gz": 2, "sample-0001.warc.gz": 4}.get(name, 0)


@needs_samples
def test_truncated_gzip_sample(tmp_path: Path) -> None:
    data = (WARC_DIR / "cc-main-2020-34-sample.warc.gz").read_bytes()
    path = _write(tmp_path, "cut.warc.gz", data[: len(data) // 2])
    out, stats = _read(path)
    assert all(r.error is None for r in out[:-1]) and len(out) >= 5
    last = out[-1]
    assert last.error is not None and last.error.startswith("stream unreadable after ")
    done = sum(stats.skipped.values()) + len(out) - 1
    assert f"after {done} records" in last.error


@needs_samples
def test_corrupt_gzip_mid_file(tmp_path: Path) -> None:
    data = bytearray((WARC_DIR / "sample-0001.warc.gz").read_bytes())
    middle = len(data) // 2
    data[middle : middle + 300] = b"A" * 300
    out, _ = _read(_write(tmp_path, "bad.warc.gz", bytes(data)))
    assert out and all(r.error is None for r in out[:-1])
    assert out[-1].error is not None and "stream unreadable" in out[-1].error


# --- built files --------------------------------------------------------------------------


@pytest.mark.parametrize("compressed", [False, True])
def test_plain_pages_and_skips(tmp_path: Path, compressed: bool) -> None:
    raw = _warc_bytes(
        [
            _response("http://www.a.example/1", HTML % 1),
            _response(
                "http://a.example/img.jpg", b"\xff\xd8\xff\xe0", [("Content-Type", "image/jpeg")]
            ),
            _response("http://a.example/old", b"", [("Location", "/new")], "301 Moved Permanently"),
            _response("http://a.example/2", HTML % 2, [("Content-Type", "application/xhtml+xml")]),
            _response(
                "http://a.example/doc.pdf", b"%PDF-1.4", [("Content-Type", "application/pdf")]
            ),
        ]
    )
    data = _gzip_members(raw) if compressed else raw
    out, stats = _read(_write(tmp_path, "t.warc.gz" if compressed else "t.warc", data))
    assert [_texts(r) for r in out] == [["Hello page 1"], ["Hello page 2"]]
    assert out[0].url == "http://www.a.example/1" and out[0].id.startswith("urn:uuid:")
    assert out[0].page is not None and out[0].page.title == "T"
    assert dict(stats.skipped) == {
        "warcinfo": 1,
        "non-html: image/jpeg": 1,
        "http-redirect": 1,
        "non-html: application/pdf": 1,
    }


def test_sniffs_missing_content_type(tmp_path: Path) -> None:
    raw = _warc_bytes(
        [
            _response("http://a.example/1", b"\n<!DOCTYPE html><p>Sniffed</p>", [("Server", "x")]),
            _response("http://a.example/2", b"just some text", [("Server", "x")]),
        ]
    )
    out, stats = _read(_write(tmp_path, "t.warc", raw))
    assert [_texts(r) for r in out] == [["Sniffed"]]
    assert stats.skipped["non-html: (no content-type)"] == 1


def _chunked(body: bytes, size: int) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def test_transfer_and_content_encodings(tmp_path: Path) -> None:
    ct = ("Content-Type", "text/html")
    deflater = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw_deflate = deflater.compress(HTML % 4) + deflater.flush()
    records = [
        _response(
            "http://a.example/1", _chunked(HTML % 1, 7), [ct, ("Transfer-Encoding", "chunked")]
        ),
        _response(
            "http://a.example/2", gzip.compress(HTML % 2), [ct, ("Content-Encoding", "gzip")]
        ),
        _response(
            "http://a.example/3", zlib.compress(HTML % 3), [ct, ("Content-Encoding", "deflate")]
        ),
        _response("http://a.example/4", raw_deflate, [ct, ("Content-Encoding", "deflate")]),
        # stored decoded under the original header (as in ClueWeb09): kept as it is
        _response("http://a.example/5", HTML % 5, [ct, ("Content-Encoding", "gzip")]),
        _response("http://a.example/6", HTML % 6, [ct, ("Transfer-Encoding", "chunked")]),
        _response(
            "http://a.example/7",
            _chunked(gzip.compress(HTML % 7), 10),
            [ct, ("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")],
        ),
        # compressed, but broken: a clear error
        _response(
            "http://a.example/8", b"\x1f\x8b\x08\x00garbage!", [ct, ("Content-Encoding", "gzip")]
        ),
    ]
    out, _ = _read(_write(tmp_path, "t.warc.gz", _gzip_members(_warc_bytes(records))))
    assert [_texts(r) for r in out[:7]] == [[f"Hello page {i}"] for i in range(1, 8)]
    assert out[7].error is not None and out[7].error.startswith("cannot decode gzip body")
    assert out[7].url == "http://a.example/8"


def test_brotli(tmp_path: Path) -> None:
    brotli = pytest.importorskip("brotli")
    body = brotli.compress(HTML % 1)
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "br")]
    out, _ = _read(
        _write(tmp_path, "t.warc", _warc_bytes([_response("http://a/1", body, headers)]))
    )
    assert _texts(out[0]) == ["Hello page 1"]


def test_charsets(tmp_path: Path) -> None:
    ja = "<html><body><p>日本語のページです</p></body></html>"
    fr = "<html><body><p>Café déjà vu – “quoted”</p></body></html>"
    records = [
        # declared iso-8859-1, but valid UTF-8: UTF-8 wins
        _response("http://a/1", ja.encode(), [("Content-Type", "text/html; charset=iso-8859-1")]),
        _response(
            "http://a/2", ja.encode("euc-jp"), [("Content-Type", "text/html; charset=EUC-JP")]
        ),
        _response(
            "http://a/3", ja.encode("shift_jis"), [("Content-Type", "text/html; charset=sjis")]
        ),
        # latin-1 is read as cp1252, as browsers do
        _response(
            "http://a/4", fr.encode("cp1252"), [("Content-Type", "text/html; charset=ISO-8859-1")]
        ),
        # no HTTP charset: the <meta> tag
        _response(
            "http://a/5",
            b'<meta charset="gb2312"><p>' + "中文网页".encode("gb2312") + b"</p>",
            [("Content-Type", "text/html")],
        ),
        # declared UTF-8 but is not: the <meta> tag decides
        _response(
            "http://a/6",
            b'<meta charset="euc-jp"><p>' + "日本語".encode("euc-jp") + b"</p>",
            [("Content-Type", "text/html; charset=utf-8")],
        ),
        # unknown charset name: decode_html's rules
        _response("http://a/7", ja.encode(), [("Content-Type", "text/html; charset=x-bogus")]),
        # UTF-16 without a BOM (full of NUL bytes, not binary), and with one
        _response(
            "http://a/8", ja.encode("utf-16-le"), [("Content-Type", "text/html; charset=utf-16le")]
        ),
        _response("http://a/9", ja.encode("utf-16"), [("Content-Type", "text/html")]),
    ]
    out, _ = _read(_write(tmp_path, "t.warc", _warc_bytes(records)))
    texts = [_texts(r) for r in out]
    assert texts == [
        ["日本語のページです"],
        ["日本語のページです"],
        ["日本語のページです"],
        ["Café déjà vu – “quoted”"],
        ["中文网页"],
        ["日本語"],
        ["日本語のページです"],
        ["日本語のページです"],
        ["日本語のページです"],
    ]


def test_binary_served_as_html(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    noise = bytes((i * 37) % 32 for i in range(2000))
    records = [
        _response("http://a/1.png", png),
        _response("http://a/2", noise),
        _response("http://a/3", HTML % 3),
    ]
    out, _ = _read(_write(tmp_path, "t.warc", _warc_bytes(records)))
    assert [r.error is not None and r.error.startswith("binary body") for r in out] == [
        True,
        True,
        False,
    ]
    assert out[0].url == "http://a/1.png"


def test_empty_body(tmp_path: Path) -> None:
    out, _ = _read(_write(tmp_path, "t.warc", _warc_bytes([_response("http://a/1", b"")])))
    assert len(out) == 1 and out[0].error is None
    assert out[0].page is not None and out[0].page.lines == ()


def _set_length(raw: bytes, uri: bytes, delta: int) -> bytes:
    """Change the WARC Content-Length of the record for ``uri`` by ``delta``."""
    start = raw.index(b"WARC-Target-URI: " + uri)
    match = re.compile(rb"Content-Length: (\d+)").search(raw, start)
    assert match is not None
    new = str(int(match.group(1)) + delta).encode()
    return raw[: match.start(1)] + new + raw[match.end(1) :]


@pytest.mark.parametrize(("delta", "expect"), [(200, "error"), (-10, "cut")])
def test_wrong_content_length(tmp_path: Path, delta: int, expect: str) -> None:
    raw = _warc_bytes([_response(f"http://a/{i}", HTML % i) for i in range(1, 5)])
    out, _ = _read(_write(tmp_path, "t.warc", _set_length(raw, b"http://a/2", delta)))
    assert _texts(out[0]) == ["Hello page 1"]
    if expect == "error":  # runs into record 3
        assert out[1].url == "http://a/2"
        assert out[1].error is not None and "wrong Content-Length" in out[1].error
    else:  # cut short: the page lost only "</html>"
        assert _texts(out[1]) == ["Hello page 2"]
    # then the stream cannot be read on, and says so
    assert len(out) == 3
    assert out[2].error is not None and out[2].error.startswith("stream unreadable after 3 records")


def test_content_length_past_the_end(tmp_path: Path) -> None:
    raw = _warc_bytes([_response(f"http://a/{i}", HTML % i) for i in range(1, 4)])
    out, _ = _read(_write(tmp_path, "t.warc", _set_length(raw, b"http://a/3", 100)))
    assert [r.error is None for r in out] == [True, True, False]
    assert out[2].url == "http://a/3" and out[2].error is not None and "cut short" in out[2].error


def test_truncated_plain_warc(tmp_path: Path) -> None:
    raw = _warc_bytes([_response(f"http://a/{i}", HTML % i) for i in range(1, 4)])
    out, _ = _read(_write(tmp_path, "t.warc", raw[:-40]))
    assert [r.error is None for r in out] == [True, True, False]
    assert out[-1].error is not None and "cut short" in out[-1].error


def test_not_a_warc_and_missing_file(tmp_path: Path) -> None:
    out, _ = _read(_write(tmp_path, "junk.warc", b"this is not a WARC file\n" * 50))
    assert len(out) == 1 and out[0].error is not None
    assert out[0].error.startswith("stream unreadable after 0 records")
    out, _ = _read(tmp_path / "missing.warc.gz")
    assert len(out) == 1 and out[0].error is not None and "stream unreadable" in out[0].error
    out, _ = _read(_write(tmp_path, "junk.warc.gz", b"\x1f\x8b\x08\x00 not gzip" * 10))
    assert len(out) == 1 and out[0].error is not None and "stream unreadable" in out[0].error


def test_too_large_body_and_bomb(tmp_path: Path) -> None:
    big = b"<html><body>" + b"<p>Big page text here.</p>\n" * (800 * 1024) + b"</body></html>"
    assert len(big) > 20 * 1024 * 1024
    bomb = gzip.compress(b"<p>" + b"a" * (21 * 1024 * 1024) + b"</p>")
    records = [
        _response("http://a/big", big),
        _response(
            "http://a/bomb", bomb, [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
        ),
        _response("http://a/after", HTML % 1),
    ]
    path = _write(tmp_path, "t.warc.gz", _gzip_members(_warc_bytes(records)))
    start = time.monotonic()
    out, _ = _read(path)
    assert time.monotonic() - start < 10
    assert [r.url for r in out] == ["http://a/big", "http://a/bomb", "http://a/after"]
    assert out[0].error is not None and out[0].error.startswith("too large")
    assert out[1].error is not None and "once decompressed" in out[1].error
    assert _texts(out[2]) == ["Hello page 1"]
    # a smaller limit applies to small pages too
    out, _ = _read(path, max_record_bytes=50)
    assert all(r.error is not None and r.error.startswith("too large") for r in out)


def _deep(depth: int) -> bytes:
    return b"<html><body>" + b"<div>" * depth + b"<p>Deep text</p>" + b"</div>" * depth


def test_deep_nesting_does_not_crash_or_hang(tmp_path: Path) -> None:
    records = [_response("http://a/deep", _deep(10_000)), _response("http://a/next", HTML % 2)]
    start = time.monotonic()
    out, _ = _read(_write(tmp_path, "t.warc", _warc_bytes(records)))
    assert time.monotonic() - start < 10
    assert [r.url for r in out] == ["http://a/deep", "http://a/next"]
    assert _texts(out[1]) == ["Hello page 2"]
    out, _ = _read(_write(tmp_path, "t2.warc", _warc_bytes([_response("http://a/d", _deep(2000))])))
    assert _texts(out[0]) == ["Deep text"]


def test_deep_nesting_is_text_or_error(tmp_path: Path) -> None:
    out, _ = _read(
        _write(tmp_path, "t.warc", _warc_bytes([_response("http://a/d", _deep(10_000))]))
    )
    assert out[0].error is not None or _texts(out[0]) == ["Deep text"]


def test_time_limit(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.warc", _warc_bytes([_response("http://a/1", HTML % 1)]))
    out, _ = _read(path, time_limit=0.0)
    assert out[0].error is not None and "per-record limit" in out[0].error
    assert out[0].url == "http://a/1"


def test_time_limit_counts_rendering_left_to_a_worker(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.warc", _warc_bytes([_response("http://a/1", HTML % 1)]))
    [pending], _ = _read(path, time_limit=30.0, render=False)
    assert pending.html is not None and pending.time_limit == 30.0
    assert 0.0 <= pending.read_seconds < 30.0
    assert rendered(pending).page is not None
    # the same record when reading took more than its allowance: the worker's rendering
    # reports it as the reader would have
    late = replace(pending, read_seconds=31.0)
    failed = rendered(late)
    assert failed.page is None and failed.url == "http://a/1"
    assert failed.error is not None and "over the 30 s per-record limit" in failed.error
    # without a limit (JSONL, HTML files) rendering is not timed
    assert rendered(replace(late, time_limit=None)).page is not None


def test_other_record_types(tmp_path: Path) -> None:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    writer.write_record(
        writer.create_warc_record(
            "http://a/", "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")
        )
    )
    writer.write_record(
        writer.create_warc_record("http://a/", "metadata", payload=io.BytesIO(b"x: y\r\n"))
    )
    writer.write_record(
        writer.create_warc_record(
            "http://a/", "revisit", payload=io.BytesIO(b""), warc_headers_dict={"WARC-Profile": "x"}
        )
    )
    writer.write_record(
        writer.create_warc_record(
            "dns:a.example",
            "response",
            payload=io.BytesIO(b"a.example. 60 IN A 1.2.3.4"),
            warc_content_type="text/dns",
        )
    )
    out, stats = _read(_write(tmp_path, "t.warc.gz", buf.getvalue()))
    assert out == []
    assert dict(stats.skipped) == {
        "request": 1,
        "metadata": 1,
        "revisit": 1,
        "non-http: text/dns": 1,
    }


# --- WET ----------------------------------------------------------------------------------


def test_wet(tmp_path: Path) -> None:
    path = tmp_path / "t.warc.wet.gz"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record("t.warc.wet.gz", {"software": "t"}))
        for i, text in enumerate(["First line\n\nSecond line  \n", "Ünïcödé text\n", ""]):
            record = writer.create_warc_record(
                f"http://a.example/{i}",
                "conversion",
                payload=io.BytesIO(text.encode()),
                warc_content_type="text/plain",
            )
            writer.write_record(record)
        bad = writer.create_warc_record(
            "http://a.example/bad",
            "conversion",
            payload=io.BytesIO(b"ok \xff\xfe bytes\n"),
            warc_content_type="text/plain",
        )
        writer.write_record(bad)
    stats = ReadStats()
    out = list(read_wet(path, stats))
    assert [r.url for r in out] == [f"http://a.example/{i}" for i in range(3)] + [
        "http://a.example/bad"
    ]
    assert [r.page.texts if r.page else r.error for r in out] == [
        ["First line", "Second line"],
        ["Ünïcödé text"],
        [],
        ["ok \ufffd\ufffd bytes"],
    ]
    assert all(r.id.startswith("urn:uuid:") for r in out)
    assert dict(stats.skipped) == {"warcinfo": 1} and stats.records == 4 and stats.errors == 0
