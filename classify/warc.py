"""Reading pages from WARC files (``.warc``, ``.warc.gz``) and WET files (``.warc.wet.gz``).

Streams records with FastWARC: one record in memory at a time, whatever the file size.

WARC: every ``response`` record with an HTML HTTP ``Content-Type`` (``text/html``,
``application/xhtml+xml``; sniffed from the body when the header is missing) yields one
:class:`~classify.inputs.InputRecord`, rendered with :func:`~classify.render.render_html`.
WET: every ``conversion`` record yields one text page. All other records are not pages: they
are counted in :attr:`ReadStats.skipped <classify.inputs.ReadStats.skipped>` by reason
(``"request"``, ``"metadata"``, ``"non-html: image/jpeg"``, ``"http-redirect"``, ...).

Rules, in the order they apply to a response record:

* Redirects (HTTP 3xx) are skipped as ``"http-redirect"``: their body is not the page.
  Other non-HTML types are skipped as ``"non-html: <type>"``, responses that are not HTTP
  (``dns:``) as ``"non-http: <WARC content type>"``, and bodies without a ``Content-Type``
  that do not look like HTML as ``"non-html: (no content-type)"``.
* A body over ``max_record_bytes`` (raw, or after decompression) is an error record; it is
  not read into memory.
* ``Transfer-Encoding: chunked`` is undone (a body that is not chunked after all is kept
  as it is: crawlers often store the decoded body with the original header).
  ``Content-Encoding`` ``gzip``/``x-gzip``/``deflate``/``br`` is undone; a body that does not
  decode but does not look compressed is kept as it is (ClueWeb09 stores decoded bodies
  under ``Content-Encoding: gzip``); one that looks compressed but fails is an error.
* A body that is binary (image, PDF, archive signatures, or many control bytes) is an error
  record ("binary body"), whatever the header says.
* Charset: a BOM wins; then a body that is valid UTF-8 is read as UTF-8 even if the header
  names another charset (a page declared ``iso-8859-1`` that is valid UTF-8 Japanese reads
  as Japanese; a legacy-charset page is almost never valid UTF-8 by chance); then the HTTP
  charset (``latin-1``/``ascii`` read as ``cp1252``, as browsers do; a declared UTF-8 that
  is not valid, or an unknown name, falls through); then
  :func:`~classify.render.decode_html` (``<meta charset>``, else lossy UTF-8). A declared
  UTF-16/32 charset is used as it is (such bodies are full of NUL bytes, valid UTF-8).
* Very deep nesting: libxml2 stops at depth 2048; ``render_html`` then parses the page
  again with the deep tags flattened (text kept), see ``tests/test_warc.py``.
* An empty body gives a page with no lines (not an error: the server sent an empty page).
* A record whose processing takes longer than ``time_limit`` seconds becomes an error
  record. Rendering is linear in the page size and bodies are capped by
  ``max_record_bytes``, so this is a check after the fact, not a preemptive timeout: no
  signal or thread is used, so the reader is safe in any thread. HTML left pending
  (``render=False``, rendered by ``classify score --workers`` in a worker) carries the
  limit and the reading time, and :func:`~classify.inputs.rendered` counts its rendering
  against them, so the same records fail with workers as without.
* A record cut short (truncated file, ``Content-Length`` past the end) is an error record.
* A stream that cannot be read on (truncated or corrupt gzip, garbage where a record header
  should be) yields one last error record, ``stream unreadable after N records: ...``, and
  the reader stops. WARC headers are parsed strictly (FastWARC's quirks mode would skip
  garbage silently, losing records unseen); HTTP headers leniently (ClueWeb09 ends them
  with bare LF). So a wrong ``Content-Length`` gives: too large, an error record for it
  (its body runs into the next record) and then the stream error; too small, the page cut
  short and then the stream error. Nothing here raises for bad input: a file that cannot
  be opened is that one error record too. ``.gz`` files are decompressed with Python's
  :mod:`gzip`, which reports a truncated file (FastWARC's own reader stops silently).

Ids: the ``WARC-Record-ID`` without its angle brackets, else the target URI, else
``<file name>#<record number>``. ``site`` is left ``None`` for the caller to derive from the
URL.
"""

from __future__ import annotations

import gzip
import io
import re
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

from fastwarc.stream_io import BrotliReader
from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from classify.inputs import InputRecord, ReadStats, over_time_limit, rendered
from classify.records import page_from_text
from classify.render import decode_html

MAX_RECORD_BYTES_DEFAULT = 20 * 1024 * 1024
"""Largest page body read: real HTML pages are far smaller; larger ones are dumps or traps."""
TIME_LIMIT_DEFAULT = 10.0
"""Seconds one record may take: a normal page renders in milliseconds."""
_MAX_HEADER_BYTES = 64 * 1024
"""Longest WARC or HTTP header block: real ones are a few KB; longer ones are corrupt."""
_SNIFF_BYTES = 1024
"""Bytes looked at to sniff HTML or binary content: what browsers look at for sniffing."""
_BINARY_CONTROL_SHARE = 0.1
"""Share of control bytes above which a body is binary: text has almost none."""
_SIGNATURE_BYTES = 16
"""Prefix of the body checked for binary file signatures."""

WARC_SUFFIXES = (".warc", ".warc.gz")
WET_SUFFIXES = (".warc.wet.gz", ".warc.wet", ".wet.gz", ".wet")
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

_BINARY_SIGNATURES = (
    b"%PDF-",
    b"\x89PNG",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"\x00\x00\x01\x00",
    b"wOFF",
    b"wOF2",
    b"OggS",
    b"ID3",
    b"\x7fELF",
)
"""File signatures of common non-HTML bodies (PDF, images, zip, gzip, fonts, media)."""
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_WIDE_CHARSETS = ("utf-16", "utf_16", "utf-32", "utf_32")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\x0c\x1b")
_HTML_START = re.compile(rb"^\s*<(?:!doctype\s+html|html|head|body|!--|title|meta|p|div)[\s>/]")
_HTML_ANYWHERE = re.compile(rb"<(?:html|head|body|title)[\s>]")
_NEXT_RECORD = re.compile(rb"\r?\n\r?\nWARC/\d\.\d+\r?\n")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]+)[ \t]*(?:;[^\r\n]*)?\r?\n")


class _RecordError(Exception):
    """A record that cannot give a page; the message says why."""


def is_warc(name: str) -> bool:
    """A WARC file by its name (``.warc``, ``.warc.gz``), not a WET file."""
    lower = name.lower()
    return lower.endswith(WARC_SUFFIXES) and not is_wet(name)


def is_wet(name: str) -> bool:
    """A WET file (extracted text records) by its name."""
    return name.lower().endswith(WET_SUFFIXES)


def read_warc(
    path: Path,
    stats: ReadStats,
    *,
    max_record_bytes: int = MAX_RECORD_BYTES_DEFAULT,
    time_limit: float = TIME_LIMIT_DEFAULT,
    render: bool = True,
) -> Iterator[InputRecord]:
    """One record per HTML response of a WARC file; other records counted as skipped.
    ``render=False``: the records' HTML is left pending, with the time limit and the
    reading time for :func:`~classify.inputs.rendered` to count the rendering against."""

    def handle(record: WarcRecord, rid: str, url: str | None) -> InputRecord | str:
        return _response(record, rid, url, max_record_bytes, time_limit, render)

    yield from _read(path, stats, handle)


def read_wet(
    path: Path,
    stats: ReadStats,
    *,
    max_record_bytes: int = MAX_RECORD_BYTES_DEFAULT,
    time_limit: float = TIME_LIMIT_DEFAULT,
) -> Iterator[InputRecord]:
    """One text page per ``conversion`` record of a WET file; other records skipped."""

    def handle(record: WarcRecord, rid: str, url: str | None) -> InputRecord | str:
        return _conversion(record, rid, url, max_record_bytes, time_limit)

    yield from _read(path, stats, handle)


_Handler = Callable[[WarcRecord, str, str | None], InputRecord | str]


def _read(path: Path, stats: ReadStats, handle: _Handler) -> Iterator[InputRecord]:
    """Iterate the records of ``path``; ``handle`` gives a record, or a skip reason."""
    done = 0
    with ExitStack() as stack:
        try:
            stream = stack.enter_context(_open(path))
            records = iter(
                ArchiveIterator(
                    stream,
                    parse_http=False,
                    quirks_mode=False,  # garbage between records stops the stream, loudly
                    stream_detect=False,
                    max_header_len=_MAX_HEADER_BYTES,
                )
            )
        except (OSError, ValueError) as exc:
            yield _stream_error(stats, path, done, exc)
            return
        while True:
            try:
                record = next(records, None)
                if record is None:
                    return
                rid, url = _names(record, path, done + 1)
                result = handle(record, rid, url)
            except (OSError, EOFError, zlib.error, ValueError) as exc:
                yield _stream_error(stats, path, done, exc)
                return
            done += 1
            if isinstance(result, str):
                stats.skipped[result] += 1
                continue
            stats.records += 1
            if result.error is not None:
                stats.errors += 1
            yield result


def _stream_error(stats: ReadStats, path: Path, done: int, exc: BaseException) -> InputRecord:
    stats.records += 1
    stats.errors += 1
    message = str(exc) or type(exc).__name__
    return InputRecord(
        id=f"{path.name}#{done + 1}", error=f"stream unreadable after {done} records: {message}"
    )


def _open(path: Path) -> BinaryIO:
    """The decompressed bytes of the file: Python's gzip reports truncation, FastWARC's not."""
    if path.name.lower().endswith(".gz"):
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]  # is a BinaryIO
    return open(path, "rb")


def _names(record: WarcRecord, path: Path, number: int) -> tuple[str, str | None]:
    url = _unbracket(record.headers.get("WARC-Target-URI")) or None
    rid = _unbracket(record.record_id) or url or f"{path.name}#{number}"
    return rid, url


def _unbracket(value: str | None) -> str:
    value = (value or "").strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return value


def _response(
    record: WarcRecord, rid: str, url: str | None, max_bytes: int, time_limit: float, render: bool
) -> InputRecord | str:
    if record.record_type != WarcRecordType.response:
        _consume(record)
        return _type_name(record)
    start = time.monotonic()
    if not record.is_http:
        kind = (record.headers.get("Content-Type") or "unknown").split(";")[0].strip()
        _consume(record)
        return f"non-http: {kind.lower() or 'unknown'}"
    try:
        record.parse_http(quirks_mode=True, max_header_len=_MAX_HEADER_BYTES)
    except OSError as exc:
        _consume(record)
        return InputRecord(rid, url, error=f"cannot parse HTTP headers: {exc}")
    headers = record.http_headers
    status = headers.status_code
    if status is not None and 300 <= status < 400:
        _consume(record)
        return "http-redirect"
    content_type = (record.http_content_type or "").strip().lower()
    if content_type and content_type not in HTML_TYPES:
        _consume(record)
        return f"non-html: {content_type}"
    try:
        raw = _body(record, max_bytes)  # a failing stream raises: _read reports it once
    except _RecordError as exc:
        return InputRecord(rid, url, error=str(exc))
    try:
        body = _decode_transfer(raw, headers.get("Transfer-Encoding"))
        body = _decode_content(body, headers.get("Content-Encoding"), max_bytes)
        if not content_type and not _looks_html(body):
            return "non-html: (no content-type)"
        charset = record.http_charset
        if not (charset or "").lower().startswith(_WIDE_CHARSETS):
            _check_text(body)
        html = _decode_text(body, charset)
    except _RecordError as exc:
        return InputRecord(rid, url, error=str(exc))
    except Exception as exc:  # one bad page (codec) must not end the stream
        return InputRecord(rid, url, error=f"cannot decode: {type(exc).__name__}: {exc}")
    if render:
        return _timed(rendered(InputRecord(rid, url, html=html)), start, time_limit)
    # rendered later (in a worker): the rendering counts against what is left of the limit
    spent = time.monotonic() - start
    pending = InputRecord(rid, url, html=html, time_limit=time_limit, read_seconds=spent)
    return _timed(pending, start, time_limit)


def _timed(result: InputRecord, start: float, time_limit: float) -> InputRecord:
    """The result, or an error record when it took longer than ``time_limit`` seconds."""
    elapsed = time.monotonic() - start
    if elapsed <= time_limit:
        return result
    return InputRecord(result.id, result.url, error=over_time_limit(elapsed, time_limit))


def _conversion(
    record: WarcRecord, rid: str, url: str | None, max_bytes: int, time_limit: float
) -> InputRecord | str:
    if record.record_type != WarcRecordType.conversion:
        _consume(record)
        return _type_name(record)
    start = time.monotonic()
    try:
        body = _body(record, max_bytes)
    except _RecordError as exc:
        return InputRecord(rid, url, error=str(exc))
    page = page_from_text(body.decode("utf-8", errors="replace"), id=rid, url=url)
    return _timed(InputRecord(rid, url, page=page), start, time_limit)


def _type_name(record: WarcRecord) -> str:
    name = str(record.record_type).rsplit(".", 1)[-1]
    if name in ("unknown", "no_type"):
        name = (record.headers.get("WARC-Type") or "unknown").strip().lower() or "unknown"
    return name


def _consume(record: WarcRecord) -> None:
    """Skip the rest of the record, checking it is all there."""
    expected = record.content_length
    got = record.reader.consume()
    if got < expected:
        raise EOFError(f"record cut short: {got} of {expected} bytes")


def _body(record: WarcRecord, max_bytes: int) -> bytes:
    """The record's remaining payload; error if too large, cut short or overrunning."""
    expected = record.content_length
    if expected > max_bytes:
        _consume(record)
        raise _RecordError(
            f"too large: {expected} bytes, over the {max_bytes} byte limit (max_record_bytes)"
        )
    data = record.reader.read(expected)
    if len(data) < expected:
        raise _RecordError(f"record cut short: {len(data)} of {expected} bytes (truncated)")
    if b"\nWARC/" in data and _NEXT_RECORD.search(data):
        raise _RecordError(
            "wrong Content-Length: the body runs into the next WARC record"
            " (that record may be lost)"
        )
    return data


def _decode_transfer(data: bytes, encoding: str | None) -> bytes:
    if not encoding or "chunked" not in encoding.lower():
        return data
    return _dechunk(data)


def _dechunk(data: bytes) -> bytes:
    """Undo chunked transfer encoding; a body that is not chunked is returned as it is."""
    parts: list[bytes] = []
    pos = 0
    while pos < len(data):
        match = _CHUNK_SIZE.match(data, pos)
        if match is None:
            return data if not parts else b"".join(parts) + data[pos:]
        size = int(match.group(1), 16)
        if size == 0:
            break
        start = match.end()
        parts.append(data[start : start + size])
        pos = start + size
        if data.startswith(b"\r\n", pos):
            pos += 2
        elif data.startswith(b"\n", pos):
            pos += 1
    return b"".join(parts)


def _decode_content(data: bytes, encoding: str | None, max_bytes: int) -> bytes:
    if not encoding:
        return data
    for name in reversed([e.strip().lower() for e in encoding.split(",") if e.strip()]):
        if name in ("identity", "none", "utf-8", "utf8"):
            continue
        try:
            data = _decompress(data, name, max_bytes)
        except (zlib.error, OSError, EOFError, ValueError) as exc:
            if _looks_compressed(data):
                raise _RecordError(f"cannot decode {name} body: {exc}") from None
            # Stored already decoded under the original header: keep the body as it is.
    return data


def _decompress(data: bytes, name: str, max_bytes: int) -> bytes:
    if name in ("gzip", "x-gzip", "deflate"):
        if name == "deflate" and not data.startswith(b"\x78"):
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
        else:
            inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header
        out = inflater.decompress(data, max_bytes + 1)
        if not out and not inflater.eof:
            raise zlib.error("truncated compressed body")  # a cut-off body with text is kept
    elif name == "br":
        out = BrotliReader(io.BytesIO(data)).read(max_bytes + 1)
    else:
        raise _RecordError(f"unsupported Content-Encoding: {name}")
    if len(out) > max_bytes:
        raise _RecordError(
            f"too large: over {max_bytes} bytes once decompressed (max_record_bytes)"
        )
    return out


def _looks_compressed(data: bytes) -> bool:
    head = data[:_SIGNATURE_BYTES]
    return head.startswith((b"\x1f\x8b", b"\x78")) or not _is_texty(data[:_SNIFF_BYTES])


def _is_texty(head: bytes) -> bool:
    if not head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls <= len(head) * _BINARY_CONTROL_SHARE


def _check_text(body: bytes) -> None:
    head = body[:_SNIFF_BYTES]
    if head.startswith(_BOMS):
        return  # UTF-16 text has many NUL bytes
    if head.lstrip()[:_SIGNATURE_BYTES].startswith(_BINARY_SIGNATURES) or not _is_texty(head):
        raise _RecordError(f"binary body, not HTML ({len(body)} bytes, starts {head[:8]!r})")


def _looks_html(body: bytes) -> bool:
    head = body[:_SNIFF_BYTES].lower().removeprefix(_BOMS[0])
    return bool(_HTML_START.match(head) or _HTML_ANYWHERE.search(head))


def _decode_text(body: bytes, charset: str | None) -> str:
    if charset is None or body.startswith(_BOMS):
        return decode_html(body)
    if charset.lower().startswith(_WIDE_CHARSETS):
        return body.decode(charset, errors="replace")  # full of NULs, which are valid UTF-8
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    name = charset.lower().replace("_", "-")
    if name in ("utf-8", "utf8"):
        return decode_html(body)  # declared UTF-8 but is not: let the <meta> tag decide
    if name in ("latin-1", "latin1", "iso-8859-1", "iso8859-1", "ascii", "us-ascii"):
        name = "cp1252"
    try:
        return body.decode(name, errors="replace")
    except LookupError:
        return decode_html(body)
