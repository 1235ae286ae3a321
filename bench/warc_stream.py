"""Streaming speed and peak memory of classify.warc.read_warc on a large generated WARC.

    python bench/warc_stream.py [--size-mb 200] [--samples ../shared/corpora/warc] [--keep]
                                [--score-workers N]

Builds a ``.warc.gz`` of about ``--size-mb`` MB (on disk, compressed) in a temporary
folder by repeating every record of the sample WARC files with new record ids, then streams
it through ``read_warc`` (decoding and rendering included, no model) and prints records/s,
MB/s (compressed and uncompressed) and peak RSS. A second pass reads the same file without
rendering, to show what the WARC reading itself costs. ``--score-workers N`` then runs
``classify score`` on the file in one process and with N workers. The file is deleted at
the end.

Each sample record is gzipped once; a copy is a fresh gzip member for its new WARC header
followed by the sample's compressed block, so building the file costs little more than
writing it. (Readers see one continuous stream of records, as with any multi-member gzip.)
"""

from __future__ import annotations

import argparse
import gzip
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from fastwarc.warc import ArchiveIterator

from classify.inputs import ReadStats
from classify.warc import read_warc

_ROOT = Path(__file__).resolve().parents[1]
_SAMPLES_DEFAULT = _ROOT.parent / "shared" / "corpora" / "warc"
_SIZE_MB_DEFAULT = 200
"""About 100 s of rendering on one core here; 1 GB (3.9 GB raw) took 8.4 minutes."""
_MEMORY_LIMIT_MB = 500
"""Peak RSS the stream must stay under, whatever the file size."""
_MB = 1024 * 1024


def _templates(folder: Path) -> list[tuple[list[tuple[str, str]], str, bytes, int]]:
    """Every record of the samples: WARC headers, version line, gzipped block, block size."""
    out = []
    for path in sorted(folder.glob("*.warc.gz")):
        for record in ArchiveIterator(str(path), parse_http=False):
            block = record.reader.read()
            headers = [(k, v) for k, v in record.headers.items()]
            version = record.headers.status_line or "WARC/1.0"
            out.append((headers, version, gzip.compress(block + b"\r\n\r\n", 6), len(block)))
    if not out:
        sys.exit(f"no *.warc.gz in {folder}")
    return out


def _build(path: Path, folder: Path, size_mb: int) -> tuple[int, int, Counter[str]]:
    """Write the big file; return compressed and uncompressed sizes and record types."""
    templates = _templates(folder)
    target = size_mb * _MB
    written = raw = 0
    types: Counter[str] = Counter()
    with path.open("wb") as fh:
        while written < target:
            for headers, version, block_gz, block_len in templates:
                lines = [version]
                for key, value in headers:
                    if key.lower() == "warc-record-id":
                        value = f"<urn:uuid:{uuid.uuid4()}>"
                    if key.lower() == "warc-type":
                        types[value] += 1
                    lines.append(f"{key}: {value}")
                head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
                member = gzip.compress(head, 6)
                fh.write(member)
                fh.write(block_gz)
                written += len(member) + len(block_gz)
                raw += len(head) + block_len + 4
                if written >= target:
                    break
    return written, raw, types


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _score_rows(path: Path, records: int, workers: int) -> None:
    """``classify score`` end to end on the file (site templates off): one process, then
    ``workers``; the largest process's peak RSS so far after each; beside the C4 rule over
    the same pages, read and rendered the same way."""
    from classify.evaluate import c4_keep

    out = path.with_suffix(".out.jsonl")
    print(f"classify score {path.name} -o OUT.jsonl (start-up and model loading included)")
    start = time.perf_counter()
    for record in read_warc(path, ReadStats()):
        if record.page is not None:
            sum(1 for text in record.page.texts if c4_keep(text))
    elapsed = time.perf_counter() - start
    print(f"  c4-rule (read_warc + render + rule): {records / elapsed:.0f} pages/s")
    for n in dict.fromkeys((1, workers)):
        cmd = [sys.executable, "-m", "classify.cli", "score", str(path), "-o", str(out), "-q"]
        cmd += ["--no-templates", "--workers", str(n)]
        start = time.perf_counter()
        subprocess.run(cmd, check=False, cwd=_ROOT)  # exit 1: some records failed, counted
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"  --workers {n}: {records / elapsed:.0f} pages/s ({elapsed:.1f} s), "
            f"largest process so far {peak:.0f} MB"
        )
    out.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=_SIZE_MB_DEFAULT)
    parser.add_argument("--samples", type=Path, default=_SAMPLES_DEFAULT)
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    parser.add_argument(
        "--score-workers",
        type=int,
        default=0,
        metavar="N",
        help="then score the file with `classify score` in one process and with N workers",
    )
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="warc-bench-"))
    path = tmp / "big.warc.gz"
    try:
        start = time.perf_counter()
        size, raw, types = _build(path, args.samples, args.size_mb)
        built = time.perf_counter() - start
        print(
            f"built {path.name}: {size / _MB:.0f} MB gzipped, {raw / _MB:.0f} MB raw, "
            f"{sum(types.values())} records ({dict(types)}) in {built:.1f} s"
        )
        print(f"peak RSS after building: {_peak_rss_mb():.0f} MB")

        stats = ReadStats()
        pages = lines = 0
        start = time.perf_counter()
        for record in read_warc(path, stats):
            if record.page is not None:
                pages += 1
                lines += len(record.page.lines)
        elapsed = time.perf_counter() - start
        rss = _peak_rss_mb()
        print(
            f"read_warc + render: {stats.records} records ({pages} pages, {lines} lines, "
            f"{stats.errors} errors), {sum(stats.skipped.values())} skipped, in {elapsed:.1f} s"
        )
        print(
            f"  {stats.records / elapsed:.0f} pages/s, {size / _MB / elapsed:.2f} MB/s gzipped, "
            f"{raw / _MB / elapsed:.2f} MB/s raw; peak RSS {rss:.0f} MB "
            f"({'under' if rss < _MEMORY_LIMIT_MB else 'OVER'} {_MEMORY_LIMIT_MB} MB)"
        )

        start = time.perf_counter()
        n = 0
        with gzip.open(path, "rb") as fh:
            for warc_record in ArchiveIterator(fh, parse_http=False, stream_detect=False):
                warc_record.reader.consume()
                n += 1
        elapsed = time.perf_counter() - start
        print(
            f"reading only (gzip + FastWARC, no render): {n} records in {elapsed:.1f} s, "
            f"{raw / _MB / elapsed:.0f} MB/s raw"
        )
        if args.score_workers:
            _score_rows(path, stats.records, args.score_workers)
        return 0 if rss < _MEMORY_LIMIT_MB else 1
    finally:
        if args.keep:
            print(f"kept {path}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
