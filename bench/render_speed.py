"""Pages per second of classify.render.render_html and trafilatura.extract on the same pages.

    python bench/render_speed.py [--corpus ../shared/corpora/wcxb_dev.jsonl.gz] [--pages 200]

Parsing is included in every figure. The pages are read into memory first.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections.abc import Callable
from pathlib import Path

from classify.render import RenderOptions, render_html

_CORPUS_DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "wcxb_dev.jsonl.gz"


def _load(path: Path, n: int) -> list[str]:
    pages: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for raw in fh:
            pages.append(json.loads(raw)["html"])
            if len(pages) >= n:
                break
    return pages


def _rate(fn: Callable[[str], object], pages: list[str], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for html in pages:
            fn(html)
        best = min(best, time.perf_counter() - start)
    return len(pages) / best


def _selectolax_parse(html: str) -> object:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    return tree.body.text(separator="\n") if tree.body is not None else ""


def _lxml_parse(html: str) -> object:
    from lxml import etree

    return etree.fromstring(html.encode("utf-8"), etree.HTMLParser(encoding="utf-8"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=_CORPUS_DEFAULT)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--no-trafilatura", action="store_true")
    args = ap.parse_args()
    pages = _load(args.corpus, args.pages)
    mb = sum(len(p) for p in pages) / len(pages) / 1e3
    print(f"{len(pages)} pages, mean {mb:.0f} kB of HTML")
    print(f"lxml parse only          {_rate(_lxml_parse, pages, 3):8.1f} pages/s")
    print(f"selectolax parse+text    {_rate(_selectolax_parse, pages, 3):8.1f} pages/s")
    print(f"render_html (plain)      {_rate(render_html, pages, 3):8.1f} pages/s")
    opts = RenderOptions(bullets="- ", wrap=100)
    rate = _rate(lambda h: render_html(h, options=opts), pages, 3)
    print(f"render_html (bullets+wrap){rate:7.1f} pages/s")
    if not args.no_trafilatura:
        import trafilatura

        print(f"trafilatura.extract      {_rate(trafilatura.extract, pages):8.1f} pages/s")


if __name__ == "__main__":
    main()
