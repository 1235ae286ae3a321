"""Text scoring speed and memory, beside the C4 line rule, on the same pages in one run.

Pages: the article pages of ../shared/corpora rendered to text (one block per line) whose
text is 2-10 KB, i.e. typical news pages. Prints pages/s and lines/s single-process for:
classify (model only; model + clickbait headlines + verdict) and the C4 rule; then streams
``--stream`` pages (the same pages repeated) through ``Scorer.score_many`` in a child
process and prints its peak RSS; then runs ``classify score`` on ``--cli-pages`` of them
as JSONL (text; HTML; HTML of 40 sites with site templates on), in one process and with
``--workers``, beside the C4 rule reading the same file.

    python bench/score_speed.py [--model PATH] [--pages 500] [--stream 10000] [--corpora DIR]
                                [--cli-pages 6000] [--workers 2]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import time
from itertools import cycle, islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
SITES = 40  # sites of the CLI rows' site-template file
sys.path.insert(0, str(ROOT))  # measure the checkout this script is in, not an installed copy


def typical_pages(limit: int, corpora: Path = CORPORA) -> list[tuple[str, str]]:
    """(HTML, rendered text) of up to ``limit`` corpus article pages of 2-10 KB of text."""
    from classify.render import html_to_text

    out: list[tuple[str, str]] = []
    for name in ("wcxb_dev", "cleanportal", "cleaneval"):
        with gzip.open(corpora / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for raw in fh:
                record = json.loads(raw)
                if record.get("page_type", "article") != "article":
                    continue
                text = html_to_text(record["html"])
                if 2_000 <= len(text.encode("utf-8")) <= 10_000:
                    out.append((record["html"], text))
                if len(out) >= limit:
                    return out
    return out


def c4_rule(texts: list[str]) -> int:
    from classify.evaluate import c4_keep

    kept = 0
    for text in texts:
        kept += sum(1 for line in text.splitlines() if line.strip() and c4_keep(line.strip()))
    return kept


def timed(label: str, fn: object, texts: list[str], lines: int) -> None:
    start = time.perf_counter()
    fn(texts)  # type: ignore[operator]
    seconds = time.perf_counter() - start
    print(f"{label:<34} {len(texts) / seconds:>9.0f} pages/s {lines / seconds:>11.0f} lines/s")


def _peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM on Linux (``ru_maxrss`` also counts the parent's RSS
    at fork time, which exec does not reset, and the parent holds the pages and two scorers)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stream_child(model: str | None, pages_file: str, count: int) -> None:
    from classify.scorer import Scorer

    texts = Path(pages_file).read_text(encoding="utf-8").split("\f")
    scorer = Scorer.load(model)
    start = time.perf_counter()
    n = 0
    for _ in scorer.score_many(islice(cycle(texts), count)):
        n += 1
    seconds = time.perf_counter() - start
    peak = _peak_rss_mb()
    print(
        f"streamed {n} pages in {seconds:.1f} s ({n / seconds:.0f} pages/s), peak RSS {peak:.0f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--stream", type=int, default=10_000)
    parser.add_argument("--corpora", type=Path, default=CORPORA, help="shared corpora folder")
    parser.add_argument("--cli-pages", type=int, default=6_000, help="pages for the CLI rows")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of a CLI row")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        stream_child(args.model, args.child[0], int(args.child[1]))
        return 0

    from classify.scorer import ScoreConfig, Scorer

    pages = typical_pages(args.pages, args.corpora)
    texts = [text for _, text in pages]
    lines = sum(1 for t in texts for line in t.splitlines() if line.strip())
    kb = sum(len(t.encode("utf-8")) for t in texts) / len(texts) / 1024
    print(f"{len(texts)} pages, {lines / len(texts):.0f} lines and {kb:.1f} KB of text per page")
    bare = Scorer.load(args.model, config=ScoreConfig(headlines=False))
    full = Scorer.load(args.model)
    full.score("warm up\nthe headline model")
    bare.score("warm up")

    def run(scorer: Scorer) -> object:
        return lambda ts: sum(1 for _ in scorer.score_many(ts))

    print(f"{'system':<34} {'speed':>15} {'':>19}")
    timed("c4-rule", c4_rule, texts, lines)
    timed("classify (lines only)", run(bare), texts, lines)
    timed("classify (lines + clickbait)", run(full), texts, lines)
    pages_file = ROOT / "work-data" / "bench-pages.txt"
    pages_file.parent.mkdir(exist_ok=True)
    pages_file.write_text("\f".join(texts), encoding="utf-8")
    cmd = [sys.executable, __file__, "--child", str(pages_file), str(args.stream)]
    if args.model:
        cmd += ["--model", args.model]
    subprocess.run(cmd, check=True)
    pages_file.unlink()
    cli_rows(pages, args.cli_pages, args.workers, args.model)
    return 0


def cli_rows(pages: list[tuple[str, str]], count: int, workers: int, model: str | None) -> None:
    """The command end to end, JSONL in and out: text pages, the same pages as HTML, and the
    HTML again with a site key (``SITES`` sites) and batch-mode site templates on; each in
    one process and with ``--workers``, beside the C4 rule over the same file read the same
    way (HTML rendered)."""
    from classify.inputs import ReadStats, read_inputs

    src = ROOT / "work-data" / "bench-pages.jsonl"
    out = src.with_suffix(".out.jsonl")
    for field, index, templates in (("text", 1, False), ("html", 0, False), ("html", 0, True)):
        with src.open("w", encoding="utf-8") as fh:
            for i, page in enumerate(islice(cycle(pages), count)):
                record = {"id": f"p{i}", field: page[index]}
                if templates:
                    record["site"] = f"s{i % SITES}.example"
                fh.write(json.dumps(record) + "\n")
        what = f"{field}, {SITES} sites, site templates on" if templates else field
        print(f"\nclassify score, {count} pages JSONL ({what}) -> JSONL (start-up included)")
        start = time.perf_counter()
        for record in read_inputs([str(src)], ReadStats()):
            assert record.page is not None
            c4_rule(["\n".join(record.page.texts)])
        seconds = time.perf_counter() - start
        print(f"{'c4-rule (same file)':<34} {count / seconds:>9.0f} pages/s")
        for n in dict.fromkeys((1, workers)):
            cmd = [sys.executable, "-m", "classify.cli", "score", str(src), "-o", str(out)]
            cmd += ["-q", "--workers", str(n)] + ([] if templates else ["--no-templates"])
            cmd += ["--model", model] if model else []
            start = time.perf_counter()
            subprocess.run(cmd, check=True, cwd=ROOT)
            seconds = time.perf_counter() - start
            print(f"{f'classify --workers {n}':<34} {count / seconds:>9.0f} pages/s")
    src.unlink()
    out.unlink()


if __name__ == "__main__":
    sys.exit(main())
