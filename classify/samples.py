"""Labelled samples: the JSONL format and the plain form for labelling by hand.

JSONL, one page per record::

    {"id": "p1", "url": "https://x.example/a", "site": "x.example",
     "lines": [{"text": "Home > News", "label": "boilerplate"}, ...],
     "truth": "optional gold article text"}

A line may carry ``"dom"``: the :class:`~classify.records.DomFacts` fields of a line
rendered from HTML (tag path, class tokens, link density, ...).

Hand form (``.tsv``), one line each: ``label<TAB>text``. Lines starting with ``#`` are
comments, except the header lines ``# id: ...``, ``# url: ...``, ``# site: ...``. A line
``---`` (alone) separates pages in one file. Blank lines are ignored.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from classify.records import DomFacts, LabelledPage, Line, Page, labels_from_strings

_HEADER_KEYS = ("id", "url", "site")


class SampleFormatError(ValueError):
    """A labelled-sample file is malformed; the message names the file and line."""


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def sample_from_record(record: dict[str, Any], where: str = "") -> LabelledPage:
    """Build a sample from one JSONL record."""
    try:
        lines = record["lines"]
        texts = [str(item["text"]) for item in lines]
        labels = labels_from_strings(str(item["label"]) for item in lines)
    except (KeyError, TypeError) as exc:
        raise SampleFormatError(f"{where}: expected 'lines' of {{text, label}}: {exc}") from None
    except ValueError as exc:
        raise SampleFormatError(f"{where}: {exc}") from None
    keep = [i for i, text in enumerate(texts) if text.strip()]
    doms = [_dom_from(item.get("dom"), where) for item in lines]
    page = Page(
        id=str(record.get("id", "")),
        lines=tuple(Line(texts[i].strip(), doms[i]) for i in keep),
        url=record.get("url"),
        site=record.get("site"),
        title=record.get("title"),
    )
    return LabelledPage(page=page, labels=tuple(labels[i] for i in keep), truth=record.get("truth"))


def _dom_from(value: Any, where: str) -> DomFacts | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SampleFormatError(f"{where}: 'dom' must be an object")
    try:
        return DomFacts(**value)
    except TypeError as exc:
        raise SampleFormatError(f"{where}: bad 'dom': {exc}") from None


def sample_to_record(sample: LabelledPage) -> dict[str, Any]:
    """The JSONL record of a sample (DOM facts kept when the lines have them)."""
    page = sample.page
    record: dict[str, Any] = {"id": page.id, "url": page.url, "site": page.site}
    if page.title is not None:
        record["title"] = page.title
    lines: list[dict[str, Any]] = []
    for line, label in zip(page.lines, sample.labels, strict=True):
        item: dict[str, Any] = {"text": line.text, "label": label.value}
        if line.dom is not None:
            item["dom"] = asdict(line.dom)
        lines.append(item)
    record["lines"] = lines
    if sample.truth is not None:
        record["truth"] = sample.truth
    return record


def read_jsonl(path: Path) -> Iterator[LabelledPage]:
    with _open_text(path) as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise SampleFormatError(f"{path}:{n}: invalid JSON: {exc.msg}") from None
            if not isinstance(record, dict):
                raise SampleFormatError(f"{path}:{n}: expected a JSON object")
            yield sample_from_record(record, f"{path}:{n}")


def read_tsv(path: Path) -> Iterator[LabelledPage]:
    """Read the hand form; a file may hold several pages separated by ``---``."""
    header: dict[str, str] = {}
    texts: list[str] = []
    labels: list[str] = []
    count = 0

    def flush() -> LabelledPage | None:
        nonlocal count
        if not texts:
            return None
        count += 1
        page_id = header.get("id") or (path.stem if count == 1 else f"{path.stem}#{count}")
        page = Page(
            id=page_id,
            lines=tuple(Line(t) for t in texts),
            url=header.get("url"),
            site=header.get("site"),
        )
        return LabelledPage(page=page, labels=labels_from_strings(labels))

    with _open_text(path) as fh:
        for n, raw in enumerate(fh, 1):
            line = raw.rstrip("\n").rstrip("\r")
            if not line.strip():
                continue
            if line.strip() == "---":
                sample = flush()
                if sample is not None:
                    yield sample
                header, texts, labels = {}, [], []
                continue
            if line.startswith("#"):
                key, _, value = line[1:].partition(":")
                if key.strip() in _HEADER_KEYS and value.strip():
                    header[key.strip()] = value.strip()
                continue
            label, tab, text = line.partition("\t")
            if not tab:
                raise SampleFormatError(f"{path}:{n}: expected 'label<TAB>text'")
            if not text.strip():
                continue
            try:
                labels_from_strings([label.strip()])
            except ValueError as exc:
                raise SampleFormatError(f"{path}:{n}: {exc}") from None
            texts.append(text.strip())
            labels.append(label.strip())
    sample = flush()
    if sample is not None:
        yield sample


def read_samples(paths: Iterable[str | Path]) -> Iterator[LabelledPage]:
    """Read samples from ``.jsonl``/``.jsonl.gz`` and ``.tsv`` files, or folders of them."""
    for item in paths:
        path = Path(item)
        if path.is_dir():
            children = sorted(p for p in path.rglob("*") if p.is_file() and _is_sample_file(p))
            yield from read_samples(children)
        elif not path.exists():
            raise FileNotFoundError(f"no such sample file: {path}")
        elif path.name.endswith((".tsv", ".tsv.gz")):
            yield from read_tsv(path)
        elif path.name.endswith((".jsonl", ".jsonl.gz")):
            yield from read_jsonl(path)
        else:
            raise SampleFormatError(f"{path}: expected a .jsonl, .jsonl.gz or .tsv file")


def _is_sample_file(path: Path) -> bool:
    return path.name.endswith((".tsv", ".tsv.gz", ".jsonl", ".jsonl.gz"))


def format_tsv(sample: LabelledPage) -> str:
    """The hand form of one sample."""
    page = sample.page
    out = [
        f"# {key}: {value}"
        for key, value in (("id", page.id), ("url", page.url), ("site", page.site))
        if value
    ]
    out += [
        f"{label.value}\t{line.text}" for line, label in zip(page.lines, sample.labels, strict=True)
    ]
    return "\n".join(out) + "\n"


def write_atomic(path: str | Path, chunks: Iterable[str]) -> None:
    """Write text to ``path`` atomically: a temporary file in the same folder, then rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for chunk in chunks:
                fh.write(chunk)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: str | Path, samples: Iterable[LabelledPage]) -> int:
    """Write samples as JSONL (gzipped when the name ends in ``.gz``); returns the count."""
    path = Path(path)
    count = 0

    def lines() -> Iterator[str]:
        nonlocal count
        for sample in samples:
            count += 1
            yield json.dumps(sample_to_record(sample), ensure_ascii=False) + "\n"

    if path.suffix == ".gz":
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
        os.close(fd)
        try:
            with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=6) as fh:
                for chunk in lines():
                    fh.write(chunk)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    else:
        write_atomic(path, lines())
    return count
