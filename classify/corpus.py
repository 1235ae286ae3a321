"""Labelled line samples from the page corpora (``../shared/corpora``).

Each page is rendered with :func:`classify.render.render_html` and every line gets a label by
aligning it with the corpus gold text (``truth``) and headline:

* Normalisation: NFKC, casefold, then words = runs of ``\\w`` characters. Quotes, dashes and
  other punctuation drop out, so curly/straight quotes and dash variants compare equal.
* ``article``: a line of at least :data:`_SHORT_WORDS_DEFAULT` words is article when at
  least :data:`_NGRAM_SHARE_DEFAULT` of its word 3-grams occur in the gold word sequence
  (3-grams run across gold line breaks, so wrapped or merged paragraphs still match). A
  shorter line is article when it equals a whole gold line, or (2+ words) occurs contiguously
  in the gold and a neighbouring line is article by one of the stronger rules; a lone
  "Share" or "Home" is never article just because the word occurs in the gold.
  A mostly-link line (density >= :data:`_LINK_DENSITY_DEFAULT`) also needs such a
  neighbour within :data:`_LINK_CONTEXT_DEFAULT` lines, so a menu item is not article.
  Duplicates: when the same text appears on more lines than in the gold, only the copies
  with the most article neighbours (contiguous alignment) keep the label.
* ``title``: the first line near-equal to the headline (same words, or word-sequence
  similarity >= :data:`_TITLE_SIMILARITY_DEFAULT`), preferring heading lines, then
  lines that are not mostly a link. The headline
  is WCXB's ``title``; otherwise the HTML ``<title>`` with site-name parts removed (the part
  that matches a line), or else the first ``<h1>``/``<h2>`` (not a logo link) that shares words with
  gold or ``<title>``. The title label wins over article.
* ``link``: not article/title and link density >= :data:`_LINK_DENSITY_DEFAULT`.
* ``boilerplate``: everything else.

Wrapped renderings are labelled before wrapping (each wrapped piece keeps its paragraph's
label), so a short tail piece of an article paragraph stays article.

Run ``python -m classify.corpus --corpora ../shared/corpora --out work-data/samples
--variants 2`` to write ``train.jsonl.gz`` and ``heldout.jsonl.gz``; ``--check
data/alignment_check.jsonl`` reports agreement of the alignment with hand labels.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from classify.records import Label, LabelledPage, Line, Page
from classify.render import RenderError, RenderOptions, render_html, wrap_text
from classify.samples import write_jsonl

_NGRAM_SHARE_DEFAULT = 0.6
"""Share of a line's 3-grams found in gold to call it article: tolerates edited gold."""
_SHORT_WORDS_DEFAULT = 4
"""Lines with fewer words have too few 3-grams; they need whole-line or contextual matches."""
_TITLE_SIMILARITY_DEFAULT = 0.85
"""Word-sequence similarity for a headline match: allows a kicker word or edited casing."""
_LINK_DENSITY_DEFAULT = 0.5
"""A line mostly made of anchor text is a link."""
_LINK_CONTEXT_DEFAULT = 2
"""A mostly-link line matching gold needs gold-matching lines this close (lists in gold)."""
_MIN_COVERAGE_DEFAULT = 0.5
"""Skip pages whose article lines cover less of the gold: the render missed the content."""
_HELD_OUT_PERCENT_DEFAULT = 20
_PAGE_CORPORA_DEFAULT = ("wcxb_dev.jsonl.gz", "cleaneval.jsonl.gz", "cleanportal.jsonl.gz")
_BULLETS_DEFAULT = ("", "- ", "* ", "• ")
_WRAP_RANGE_DEFAULT = (80, 120)
"""Wrap widths drawn for wrapped variants, like fixed-width text dumps."""

_PLAIN_DEFAULT = RenderOptions()
"""Plain rendering (no bullets, no wrap): held-out samples use it for stable evaluation."""
_WORD = re.compile(r"\w+")
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·»«/~]+\s+|\s*(?:::|\|)\s*")


@dataclass(frozen=True, slots=True)
class _Gold:
    trigrams: frozenset[tuple[str, str, str]]
    lines: frozenset[tuple[str, ...]]
    padded: str
    """Gold words joined by single spaces, with a space at both ends (for containment)."""


def words(text: str) -> list[str]:
    """Normalised words of a text: NFKC, casefolded, runs of word characters."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _trigrams(toks: Sequence[str]) -> list[tuple[str, str, str]]:
    return list(zip(toks, toks[1:], toks[2:], strict=False))


def _gold(truth: str) -> _Gold:
    toks = words(truth)
    gold_lines = frozenset(tuple(words(raw)) for raw in truth.splitlines() if raw.strip())
    return _Gold(frozenset(_trigrams(toks)), gold_lines, " " + " ".join(toks) + " ")


def _near_equal(line: Sequence[str], headline: Sequence[str]) -> bool:
    if not line or not headline:
        return False
    if list(line) == list(headline):
        return True
    if len(line) > 2 * len(headline) + 2 or len(headline) > 2 * len(line) + 2:
        return False
    return SequenceMatcher(None, line, headline, autojunk=False).ratio() >= (
        _TITLE_SIMILARITY_DEFAULT
    )


def _title_index(lines: Sequence[Line], toks: Sequence[list[str]], title: str | None) -> int:
    if not title:
        return -1
    head = words(title)
    first = plain = -1
    for i, line in enumerate(lines):
        if _near_equal(toks[i], head):
            dom = line.dom
            if dom is not None and dom.in_heading:
                return i
            if plain < 0 and (dom is None or dom.link_density < _LINK_DENSITY_DEFAULT):
                plain = i
            if first < 0:
                first = i
    return plain if plain >= 0 else first


def align_labels(lines: Sequence[Line], truth: str, title: str | None) -> tuple[Label, ...]:
    """Label rendered lines against the gold text and headline (rules in the module doc)."""
    toks = [words(line.text) for line in lines]
    gold = _gold(truth or "")
    strong = [False] * len(lines)
    weak = [False] * len(lines)
    for i, t in enumerate(toks):
        if not t:
            continue
        if len(t) >= _SHORT_WORDS_DEFAULT:
            grams = _trigrams(t)
            hits = sum(1 for g in grams if g in gold.trigrams)
            strong[i] = hits >= _NGRAM_SHARE_DEFAULT * len(grams)
        elif tuple(t) in gold.lines:
            strong[i] = True
        elif len(t) >= 2 and f" {' '.join(t)} " in gold.padded:
            weak[i] = True
    n = len(lines)
    article = list(strong)
    for i, is_weak in enumerate(weak):
        if is_weak and ((i > 0 and strong[i - 1]) or (i + 1 < n and strong[i + 1])):
            article[i] = True
    for i, line in enumerate(lines):
        dom = line.dom
        if article[i] and dom is not None and dom.link_density >= _LINK_DENSITY_DEFAULT:
            # a lone menu item whose words happen to be in the gold is not article
            near = range(max(0, i - _LINK_CONTEXT_DEFAULT), min(n, i + _LINK_CONTEXT_DEFAULT + 1))
            if not any(strong[j] for j in near if j != i):
                article[i] = False
    _drop_extra_copies(toks, article, gold)
    labels = [Label.ARTICLE if a else Label.BOILERPLATE for a in article]
    for i, line in enumerate(lines):
        dom = line.dom
        if labels[i] is Label.BOILERPLATE and dom is not None:
            labels[i] = Label.LINK if dom.link_density >= _LINK_DENSITY_DEFAULT else labels[i]
    t_index = _title_index(lines, toks, title)
    if t_index >= 0:
        labels[t_index] = Label.TITLE
    return tuple(labels)


def _drop_extra_copies(toks: Sequence[list[str]], article: list[bool], gold: _Gold) -> None:
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, t in enumerate(toks):
        if article[i]:
            groups.setdefault(tuple(t), []).append(i)
    for key, idx in groups.items():
        if len(idx) < 2:
            continue
        allowed = max(1, gold.padded.count(" " + " ".join(key) + " "))
        if len(idx) <= allowed:
            continue
        copies = set(idx)
        support = {
            i: sum(
                1
                for j in range(max(0, i - 2), min(len(article), i + 3))
                if j not in copies and article[j]
            )
            for i in idx
        }
        keep = set(sorted(idx, key=lambda i: (-support[i], i))[:allowed])
        for i in idx:
            if i not in keep:
                article[i] = False


def gold_coverage(lines: Sequence[Line], labels: Sequence[Label], truth: str) -> float:
    """Share of gold 3-grams that occur in the article and title lines (1.0 for empty gold)."""
    gold = set(_trigrams(words(truth or "")))
    if not gold:
        return 1.0
    kept: set[tuple[str, str, str]] = set()
    for line, label in zip(lines, labels, strict=True):
        if label in (Label.ARTICLE, Label.TITLE):
            kept.update(_trigrams(words(line.text)))
    return len(gold & kept) / len(gold)


def headline(page: Page, truth: str = "") -> str | None:
    """The headline of a page without a gold one.

    ``<title>`` (or its part between site-name separators) when a line matches it, else the
    first h1/h2 line that is not mostly a link (site logo) and shares words with the gold or
    the ``<title>``.
    """
    toks = [words(line.text) for line in page.lines]
    if page.title:
        parts = [page.title, *_TITLE_SEPARATORS.split(page.title)]
        candidates = [p.strip() for p in parts if len(words(p)) >= 2]
        for candidate in candidates:
            if _title_index(page.lines, toks, candidate) >= 0:
                return candidate
    reference = set(words(truth)) | set(words(page.title or ""))
    for line, t in zip(page.lines, toks, strict=True):
        dom = line.dom
        if dom is None or not t or not dom.tag_path.endswith(("h1", "h2")):
            continue
        if dom.link_density < _LINK_DENSITY_DEFAULT and sum(1 for w in t if w in reference) >= (
            0.5 * len(t)
        ):
            return line.text
    return None


def wrap_labelled(
    lines: Sequence[Line], labels: Sequence[Label], width: int | None
) -> tuple[tuple[Line, ...], tuple[Label, ...]]:
    """Wrap lines longer than ``width``; each piece keeps the line's facts and label."""
    if width is None:
        return tuple(lines), tuple(labels)
    out_lines: list[Line] = []
    out_labels: list[Label] = []
    for line, label in zip(lines, labels, strict=True):
        for piece in wrap_text(line.text, width):
            out_lines.append(Line(piece, line.dom))
            out_labels.append(label)
    return tuple(out_lines), tuple(out_labels)


def label_record(
    record: dict[str, Any], sample_id: str, options: RenderOptions = _PLAIN_DEFAULT
) -> LabelledPage:
    """Render one corpus record with ``options`` and label its lines. Raises RenderError."""
    page = render_html(
        record.get("html") or "",
        id=sample_id,
        url=record.get("url"),
        site=record.get("site"),
        options=replace(options, wrap=None),
    )
    truth = record.get("truth") or ""
    title = record.get("title") or (headline(page, truth) if truth.strip() else None)
    labels = align_labels(page.lines, truth, title)
    lines, labels = wrap_labelled(page.lines, labels, options.wrap)
    return LabelledPage(page=replace(page, lines=lines), labels=labels, truth=truth)


def variant_options(source: str, page_id: str, k: int, seed: int = 0) -> RenderOptions:
    """Deterministic render options for variant ``k`` of a page."""
    digest = hashlib.sha1(f"{seed}:{source}:{page_id}:{k}".encode()).digest()
    bullets = _BULLETS_DEFAULT[digest[0] % len(_BULLETS_DEFAULT)]
    low, high = _WRAP_RANGE_DEFAULT
    wrap = None if digest[1] % 2 == 0 else low + digest[2] % (high - low + 1)
    return RenderOptions(bullets=bullets, wrap=wrap)


def site_split(site: str | None, held_out_percent: int = _HELD_OUT_PERCENT_DEFAULT) -> str:
    """``"train"`` or ``"heldout"``, from a stable hash of the site (all its pages together)."""
    digest = hashlib.sha1((site or "").encode("utf-8")).digest()
    return "heldout" if int.from_bytes(digest[:8], "big") % 100 < held_out_percent else "train"


def read_corpus_records(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a gzipped JSONL corpus file, blank lines skipped."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for raw in fh:
            if raw.strip():
                record = json.loads(raw)
                if isinstance(record, dict):
                    yield record


def _source(path: Path, record: dict[str, Any]) -> str:
    return str(record.get("source") or path.name.split(".")[0])


def corpus_samples(
    path: Path,
    *,
    variants: int = 1,
    seed: int = 0,
    plain: bool = False,
    split: str | None = None,
    held_out_percent: int = _HELD_OUT_PERCENT_DEFAULT,
    counts: Counter[str] | None = None,
) -> Iterator[LabelledPage]:
    """Labelled samples of every page in a corpus file, ``variants`` renderings each.

    Sample ids are ``source:id:vK``. ``plain`` renders every variant without bullets or
    wrap. ``split`` keeps only pages of that side of :func:`site_split`. Pages that fail to
    render, render to no lines, or whose article lines cover less than
    :data:`_MIN_COVERAGE_DEFAULT` of the gold are skipped; ``counts`` (if given) receives
    ``pages``, ``samples``, ``render_failed``, ``empty``, ``low_coverage`` and ``label:X``.
    """
    tally: Counter[str] = counts if counts is not None else Counter()
    for record in read_corpus_records(path):
        if split is not None and site_split(record.get("site"), held_out_percent) != split:
            continue
        source = _source(path, record)
        page_id = str(record.get("id", ""))
        tally["pages"] += 1
        for k in range(variants):
            options = _PLAIN_DEFAULT if plain else variant_options(source, page_id, k, seed)
            try:
                sample = label_record(record, f"{source}:{page_id}:v{k}", options)
            except RenderError:
                tally["render_failed"] += 1
                break
            if not sample.page.lines:
                tally["empty"] += 1
                break
            if gold_coverage(sample.page.lines, sample.labels, sample.truth or "") < (
                _MIN_COVERAGE_DEFAULT
            ):
                tally["low_coverage"] += 1
                break
            tally["samples"] += 1
            tally.update(f"label:{label.value}" for label in sample.labels)
            yield sample


def build(
    corpora_dir: Path,
    out_dir: Path,
    *,
    variants: int,
    held_out_percent: int = _HELD_OUT_PERCENT_DEFAULT,
    seed: int = 0,
) -> dict[str, Any]:
    """Write ``train.jsonl.gz`` (``variants`` renderings) and ``heldout.jsonl.gz`` (plain).

    Returns counts per split, source and label.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [corpora_dir / name for name in _PAGE_CORPORA_DEFAULT if (corpora_dir / name).exists()]
    if not files:
        raise FileNotFoundError(
            f"no page corpora ({', '.join(_PAGE_CORPORA_DEFAULT)}) in {corpora_dir}"
        )
    result: dict[str, Any] = {}
    for split, n, plain in (("train", variants, False), ("heldout", 1, True)):
        per_source: dict[str, Counter[str]] = {}

        def samples(
            split: str = split,
            n: int = n,
            plain: bool = plain,
            per: dict[str, Counter[str]] = per_source,
        ) -> Iterator[LabelledPage]:
            for path in files:
                tally: Counter[str] = Counter()
                per[path.name.split(".")[0]] = tally
                yield from corpus_samples(
                    path,
                    variants=n,
                    seed=seed,
                    plain=plain,
                    split=split,
                    held_out_percent=held_out_percent,
                    counts=tally,
                )

        written = write_jsonl(out_dir / f"{split}.jsonl.gz", samples())
        total: Counter[str] = Counter()
        for tally in per_source.values():
            total.update(tally)
        result[split] = {
            "samples": written,
            "labels": {k[6:]: v for k, v in sorted(total.items()) if k.startswith("label:")},
            "sources": {
                name: {k: v for k, v in sorted(t.items()) if not k.startswith("label:")}
                | {"labels": {k[6:]: v for k, v in sorted(t.items()) if k.startswith("label:")}}
                for name, t in per_source.items()
            },
        }
    return result


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _find_records(corpora_dir: Path, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    found: dict[tuple[str, str], Any] = {}
    sources = {s for s, _ in wanted}
    for name in _PAGE_CORPORA_DEFAULT:
        path = corpora_dir / name
        if name.split(".")[0] not in sources or not path.exists():
            continue
        for record in read_corpus_records(path):
            key = (_source(path, record), str(record.get("id", "")))
            if key in wanted:
                found[key] = record
    return found


def alignment_agreement(check_path: Path, corpora_dir: Path) -> dict[str, Any]:
    """Agreement of the automatic labels with hand labels in ``check_path``.

    Each check record names a page (``source``, ``id``), the render ``options`` and the
    hand label of every line by the sha1 of its text. Lines are matched by sha1 in order.
    """
    checks = [json.loads(raw) for raw in check_path.read_text("utf-8").splitlines() if raw.strip()]
    records = _find_records(corpora_dir, {(c["source"], str(c["id"])) for c in checks})
    confusion: dict[str, Counter[str]] = {label.value: Counter() for label in Label}
    matched = unmatched = agree = 0
    pages: dict[str, float] = {}
    for check in checks:
        key = (check["source"], str(check["id"]))
        if key not in records:
            unmatched += len(check["lines"])
            continue
        options = RenderOptions(**check.get("options", {}))
        sample = label_record(records[key], f"{key[0]}:{key[1]}", options)
        auto: dict[str, list[Label]] = {}
        for line, label in zip(sample.page.lines, sample.labels, strict=True):
            auto.setdefault(_sha1(line.text), []).append(label)
        page_agree = page_total = 0
        for item in check["lines"]:
            queue = auto.get(item["sha1"])
            if not queue:
                unmatched += 1
                continue
            got = queue.pop(0)
            confusion[item["label"]][got.value] += 1
            matched += 1
            page_total += 1
            if got.value == item["label"]:
                agree += 1
                page_agree += 1
        pages[f"{key[0]}:{key[1]}"] = round(page_agree / page_total, 4) if page_total else 0.0
    per_label = {}
    for label in Label:
        row = confusion[label.value]
        gold_n = sum(row.values())
        auto_n = sum(confusion[g][label.value] for g in confusion)
        hit = row[label.value]
        per_label[label.value] = {
            "hand": gold_n,
            "auto": auto_n,
            "recall": round(hit / gold_n, 4) if gold_n else None,
            "precision": round(hit / auto_n, 4) if auto_n else None,
        }
    return {
        "pages": len(checks),
        "lines": matched,
        "unmatched_lines": unmatched,
        "accuracy": round(agree / matched, 4) if matched else 0.0,
        "per_page": pages,
        "per_label": per_label,
        "confusion": {g: dict(row) for g, row in confusion.items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m classify.corpus", description="Build labelled line samples from corpora."
    )
    ap.add_argument("--corpora", type=Path, required=True, help="folder of *.jsonl.gz corpora")
    ap.add_argument("--out", type=Path, help="output folder for train/heldout .jsonl.gz")
    ap.add_argument("--variants", type=int, default=1, help="renderings per training page")
    ap.add_argument("--held-out-percent", type=int, default=_HELD_OUT_PERCENT_DEFAULT)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check", type=Path, help="hand-label file: report alignment agreement")
    args = ap.parse_args(argv)
    if args.out is None and args.check is None:
        ap.error("give --out and/or --check")
    if args.check is not None:
        print(json.dumps(alignment_agreement(args.check, args.corpora), indent=2))
    if args.out is not None:
        counts = build(
            args.corpora,
            args.out,
            variants=args.variants,
            held_out_percent=args.held_out_percent,
            seed=args.seed,
        )
        print(json.dumps(counts, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
