"""Reading pages to score: text files, JSONL records, HTML files, standard input.

Every input record yields exactly one :class:`InputRecord`: either a page, or an error that
says what went wrong (the output then carries an ``error`` field for it). Nothing is
dropped silently. Records that are not pages at all (e.g. WARC request records) are not
records to score: they are counted in :class:`ReadStats` by reason.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from classify.records import Page, page_from_text
from classify.render import RenderError, decode_html, render_html

MAX_RECORD_BYTES_DEFAULT = 50 * 1024 * 1024  # a larger "page" is not a web page
TEXT_SUFFIXES = (".txt", ".text")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")


@dataclass(frozen=True, slots=True)
class InputRecord:
    """One record read from the input: a page, or an error in its place."""

    id: str
    url: str | None = None
    site: str | None = None
    page: Page | None = None
    error: str | None = None
    html: str | None = None
    """HTML not rendered yet (a reader asked not to render): :func:`rendered` makes the page."""
    text: str | None = None
    """Text not split into lines yet (likewise)."""
    time_limit: float | None = None
    """Seconds the record may take in all, when its reader has a per-record limit and left
    the HTML pending: :func:`rendered` counts its rendering against it."""
    read_seconds: float = 0.0
    """Seconds the reader already spent on the record (with ``time_limit``)."""


def rendered(record: InputRecord) -> InputRecord:
    """The record with its pending HTML rendered (or text split) into its page; a failure
    is its error."""
    rid, url, site = record.id, record.url, record.site
    if record.text is not None:
        return InputRecord(rid, url, site, page_from_text(record.text, id=rid, url=url, site=site))
    if record.html is None:
        return record
    start = time.monotonic()
    try:
        page = render_html(record.html, id=rid, url=url, site=site)
    except RenderError as exc:
        return InputRecord(rid, url, site, error=f"cannot render HTML: {exc}")
    except Exception as exc:  # one bad page (C parser, codec) must not end the stream
        return InputRecord(rid, url, site, error=f"cannot render HTML: {type(exc).__name__}: {exc}")
    if record.time_limit is not None:
        took = record.read_seconds + time.monotonic() - start
        if took > record.time_limit:
            return InputRecord(rid, url, site, error=over_time_limit(took, record.time_limit))
    return InputRecord(rid, url, site, page)


def over_time_limit(took: float, limit: float) -> str:
    """The error of a record that took longer than its reader's per-record limit."""
    return f"took {took:.1f} s, over the {limit:g} s per-record limit"


@dataclass
class ReadStats:
    """What the reader saw: records read, and records skipped by reason (not pages)."""

    records: int = 0
    errors: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


class InputError(ValueError):
    """An input cannot be read at all (missing file, unknown kind)."""


BINARY_CONTROL_SHARE_DEFAULT = 0.1  # text has tabs and newlines, not 10% other control bytes
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 12, 13))


def _decode(data: bytes) -> str:
    """Text from bytes: UTF-8, else cp1252; binary data (NULs, control bytes) is an error."""
    head = data[:4096]
    if head and (
        (b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")))
        or len(head) - len(head.translate(None, _CONTROL_BYTES))
        > BINARY_CONTROL_SHARE_DEFAULT * len(head)
    ):
        raise ValueError("binary data, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def input_record(record: Mapping[str, Any], default_id: str, *, render: bool = True) -> InputRecord:
    """The input record of a ``{"id", "url", "site", "text" | "html"}`` mapping: its page
    (or its text or HTML left pending when not ``render``), or what is wrong with it."""
    rid = str(record.get("id", default_id))
    url = record.get("url")
    site = record.get("site")
    if url is not None and not isinstance(url, str):
        return InputRecord(id=rid, error="field 'url' must be a string")
    if site is not None and not isinstance(site, str):
        return InputRecord(id=rid, url=url, error="field 'site' must be a string")
    text = record.get("text")
    html = record.get("html")
    if isinstance(text, str):
        pending = InputRecord(rid, url, site, text=text)
    elif isinstance(html, str):
        pending = InputRecord(rid, url, site, html=html)
    elif text is not None or html is not None:
        return InputRecord(rid, url, site, error="fields 'text'/'html' must be strings")
    else:
        return InputRecord(rid, url, site, error="record has neither 'text' nor 'html'")
    return rendered(pending) if render else pending


def read_jsonl(
    stream: IO[bytes], name: str, stats: ReadStats, *, render: bool = True
) -> Iterator[InputRecord]:
    """One record per non-blank line; a broken line becomes an error record. ``render``:
    make the records' pages now (else their HTML or text comes back pending)."""
    n = 0
    try:
        for n, raw in enumerate(stream, 1):
            if not raw.strip():
                continue
            stats.records += 1
            default_id = f"{name}:{n}"
            try:
                record = json.loads(_decode(raw))
            except (ValueError, UnicodeDecodeError) as exc:
                yield _error(stats, default_id, f"line {n}: invalid JSON: {exc}")
                continue
            if not isinstance(record, dict):
                yield _error(stats, default_id, f"line {n}: expected a JSON object")
                continue
            result = input_record(record, default_id, render=render)
            if result.error:
                stats.errors += 1
            yield result
    except (OSError, EOFError, zlib.error) as exc:
        stats.records += 1
        yield _error(stats, f"{name}:{n + 1}", f"unreadable after line {n}: {exc}")


def _error(stats: ReadStats, rid: str, message: str) -> InputRecord:
    stats.errors += 1
    return InputRecord(id=rid, error=message)


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _read_whole(path: Path | None, stream: IO[bytes] | None) -> bytes:
    if stream is not None:
        data = stream.read(MAX_RECORD_BYTES_DEFAULT + 1)
    else:
        assert path is not None
        with _open_binary(path) as fh:
            data = fh.read(MAX_RECORD_BYTES_DEFAULT + 1)
    if len(data) > MAX_RECORD_BYTES_DEFAULT:
        raise ValueError(f"larger than {MAX_RECORD_BYTES_DEFAULT // (1024 * 1024)} MB")
    return data


def read_single(
    kind: str,
    name: str,
    stats: ReadStats,
    *,
    path: Path | None = None,
    stream: IO[bytes] | None = None,
    render: bool = True,
) -> InputRecord:
    """A whole file (or stream) as one page: ``kind`` is ``text`` or ``html``."""
    stats.records += 1
    try:
        data = _read_whole(path, stream)
        if kind == "html":
            pending = InputRecord(id=name, html=decode_html(data))
        else:
            pending = InputRecord(id=name, text=_decode(data))
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        return _error(stats, name, str(exc) or type(exc).__name__)
    result = rendered(pending) if render else pending
    if result.error is not None:
        stats.errors += 1
    return result


def input_kind(name: str) -> str:
    lower = name.lower()
    if lower.endswith((".warc.wet.gz", ".warc.wet", ".wet.gz", ".wet")):
        return "wet"
    if lower.endswith((".warc", ".warc.gz")):
        return "warc"
    if lower.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if lower.endswith(HTML_SUFFIXES):
        return "html"
    if lower.endswith(TEXT_SUFFIXES) or "." not in Path(lower).name:
        return "text"
    raise InputError(
        f"{name}: unknown input kind; expected .txt, .jsonl, .html/.htm (optionally .gz), "
        ".warc/.warc.gz, .warc.wet.gz or '-'"
    )


def expand(paths: Sequence[str]) -> list[str]:
    """Folders become their files (sorted, known kinds only); '-' stays '-'."""
    out: list[str] = []
    for item in paths:
        path = Path(item)
        if item == "-":
            out.append(item)
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                try:
                    input_kind(child.name)
                except InputError:
                    continue
                out.append(str(child))
        elif not path.exists():
            raise InputError(f"no such input: {item}")
        else:
            input_kind(item)
            out.append(item)
    return out


def read_inputs(
    paths: Sequence[str],
    stats: ReadStats,
    *,
    stdin: IO[bytes] | None = None,
    stdin_kind: str = "text",
    render: bool = True,
) -> Iterator[InputRecord]:
    """Read every input in order. ``-`` is standard input, read as ``stdin_kind``.
    ``render=False`` leaves HTML and text pending in the records (:func:`rendered` makes
    their pages)."""
    for item in expand(paths):
        if item == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            if stdin_kind == "jsonl":
                yield from read_jsonl(stream, "stdin", stats, render=render)
            else:
                yield read_single(stdin_kind, "stdin", stats, stream=stream, render=render)
            continue
        kind = input_kind(item)
        if kind == "jsonl":
            try:
                with _open_binary(Path(item)) as fh:
                    yield from read_jsonl(fh, Path(item).name, stats, render=render)
            except OSError as exc:
                stats.records += 1
                yield _error(stats, item, f"cannot open: {exc}")
        elif kind in ("warc", "wet"):
            try:
                from classify.warc import read_warc, read_wet
            except ImportError as exc:
                raise InputError(
                    f"{item}: reading WARC needs fastwarc (pip install 'classify[warc]'): {exc}"
                ) from exc
            if kind == "warc":
                yield from read_warc(Path(item), stats, render=render)
            else:
                yield from read_wet(Path(item), stats)
        else:
            yield read_single(kind, item, stats, path=Path(item), render=render)
