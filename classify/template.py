"""Site-template index: how many of a site's pages carry each (normalised) line.

Sites repeat the same chrome on every page (breadcrumbs, "View", "veryGood! (7483)",
"Related" headers, share bars, footers) and rotate sidebar headlines across pages. A line
that recurs across a site's pages is template, whatever its words. This module counts that.

Pipeline, per page:

1. :func:`site_key` picks the site (the record's ``site``, else the URL host).
2. :func:`normalise_line` folds case, digit runs and punctuation; :func:`line_hash` is a
   stable 64-bit blake2b hash of the normalised line.
3. :func:`digest_page` computes the page's distinct line hashes, an exact *fingerprint*
   (hash of the sorted distinct line hashes) and a *content signature* (the distinct
   hashes of its long lines) with MinHash band keys for near-duplicate lookup.
4. Near-duplicate pages (identical fingerprint, or Jaccard of content signatures
   >= ``near_dup_threshold``) are counted once: as one *cluster*.

Two implementations share one query API (:class:`TemplateQueries`):

* :class:`TemplateIndex` — batch, in memory, built from all pages at once. Exact and
  independent of page order: clusters are the connected components of the near-duplicate
  graph and each cluster is counted through its canonical representative, the member with
  the smallest fingerprint. ``save``/``load`` use the SQLite format below.
* :class:`SqliteTemplateStore` — streaming, persisted in one SQLite file, updated page by
  page and reused across runs. A page that matches an already counted page is skipped
  (the first-seen page represents the cluster). Given the same pages, with no eviction and
  near-duplicate groups whose members carry the same lines (e.g. a page crawled twice),
  the store gives exactly the batch shares.

**Self-exclusion rule.** ``counts``/``shares`` describe *the other pages* of the site. When
the scored page is known to the index — its fingerprint was seen, or its content signature
matches a counted page — its own cluster is removed: each of its lines gets
``max(count - 1, 0)`` over ``pages - 1`` pages. So a line seen only on this page (or only on
its near-duplicates) gets share 0, and a site with a single page gives shares of 0. For a
page that is not known, counts are used as stored over ``pages``. (When the page is a
non-representative member of its cluster, a line it has but the representative lacks is
also decremented; that makes such a count at most one lower.)

**Use in labelling** (:class:`classify.scorer.Scorer`). :meth:`TemplateLookup.template_mask`
decides lines: a line on at least ``template_share`` of a site's other pages, on a site with
at least ``min_pages`` other pages, is template (never article or title), except a line
inside the page's *article span* (:func:`article_span`: between the first and last line of
at least ``article_span_words`` words that the model labels article), where recurring lines
are the content's own headers and field labels on product and documentation pages. With
``TemplateConfig.recurrence_features`` the shares also feed the line model as features (off
by default; see there why).

**Memory.** The batch index keeps, per site, sorted ``uint64`` line hashes and ``uint32``
page counts (12 bytes per distinct line), plus per counted page its fingerprint and
content signature (~8 bytes per long line) and 16 band keys (~16 bytes each with the
cluster index), plus one example text per line seen on two or more pages. The number of
distinct lines per site is capped (``max_lines_per_site``; lines with the fewest pages are
evicted first), and so is the number of tracked page signatures (``max_pages_per_site``).
``bench/templates.py`` measures the figures.

**Concurrency.** The SQLite file is opened in WAL mode; each ``add_many`` batch is one
``BEGIN IMMEDIATE`` transaction that reads and updates the counts, so concurrent writers
(processes, each with its own :class:`SqliteTemplateStore`; one store is not shared between
threads or across ``fork``) are serialised by SQLite's lock and wait up to ``busy_timeout``
seconds; creating the file is part of that locking. The file is read through SQLite only
(see :func:`_validate` for why a plain ``open()`` loses data). The file must be on a local
file system (WAL needs shared memory; not NFS).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sqlite3
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from hashlib import blake2b
from itertools import repeat
from pathlib import Path
from types import TracebackType
from typing import Final
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt

from classify.records import Page

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "PageDigest",
    "SqliteTemplateStore",
    "TemplateConfig",
    "TemplateIndex",
    "TemplateIndexError",
    "TemplateLookup",
    "TemplateQueries",
    "article_span",
    "digest_page",
    "line_hash",
    "line_hashes",
    "normalise_line",
    "normalise_lines",
    "site_key",
]

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

FORMAT_NAME: Final = "classify.template"
"""Value of the ``format`` key in the SQLite ``meta`` table: marks our files."""
FORMAT_VERSION: Final = 1
"""Schema version; bumped on incompatible changes so old files are rejected clearly."""

HASH_BYTES: Final = 8
"""64-bit line hashes: collisions are negligible at ~10^9 distinct lines per site."""
MINHASH_BANDS: Final = 16
"""LSH bands: with 3 rows, a pair at Jaccard 0.8 is missed with probability ~1e-5."""
MINHASH_ROWS: Final = 3
"""Rows per band: a pair at Jaccard 0.3 becomes a candidate ~35% of the time (then verified)."""
SQL_CHUNK: Final = 500
"""Parameters per ``IN (...)`` query; well under SQLite's variable limit."""
EVICT_SLACK: Final = 0.1
"""The store evicts down to 90% of a cap, so the sort runs once per 10% of growth."""
SEEN_BITS_LOG2: Final = 27
"""Batch build: a 16 MB bitmap of seen (site, line) pairs, so example texts are kept only
for lines seen twice (false positives merely keep a few extra texts)."""

_MASK64: Final = (1 << 64) - 1
_NON_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+(?: \d+)*")
_SEP: Final = " \ua66e "
"""Line separator for one regex pass over a page: a rare *word* character (so runs of
punctuation around it fold to single spaces) that casefolds to itself."""

_PUBLIC_SECOND_LEVEL: Final = frozenset(
    {"ac", "co", "com", "edu", "gob", "gov", "go", "gv", "ltd", "ne", "net", "nhs", "nic"}
    | {"or", "org", "plc", "sch"}
)
"""Second-level labels that are public suffix parts under a two-letter country TLD
(``co.uk``, ``com.au``, ``co.jp``...): a small approximation of the Public Suffix List."""


class TemplateIndexError(RuntimeError):
    """A template index file is corrupt, foreign, of another version, or misused."""


@dataclass(frozen=True, slots=True)
class TemplateConfig:
    """How the template index counts lines. Stored in the index file."""

    # min_pages and template_share were calibrated by `python bench/templates_eval.py` on 60
    # generated sites built from train-side articles: every setting with share >= 0.4 decides
    # no article or title line there; 5 / 0.5 is the conservative one of those.
    min_pages: int = 5
    """A line can be template only if the site has at least this many other pages."""
    template_share: float = 0.5
    """A line is template when its share of the site's other pages is at least this."""
    near_dup_threshold: float = 0.8
    """Two pages are near-duplicates when the Jaccard of their content signatures is >= this."""
    max_lines_per_site: int = 200_000
    """Cap on distinct lines kept per site; lines on the fewest pages are evicted first."""
    max_pages_per_site: int = 100_000
    """Cap on page fingerprints/signatures tracked per site for duplicate detection."""
    registrable: bool = False
    """Key sites by an approximate registrable domain (``news.bbc.co.uk`` -> ``bbc.co.uk``)."""
    signature_lines: int = 10
    """The content signature is the set of the page's longest distinct lines, this many: the
    article's paragraphs, not the rotating sidebar headlines or the chrome."""
    signature_min_chars: int = 40
    """... counting only lines whose normalised text has at least this many characters."""
    signature_min_lines: int = 3
    """Pages with fewer long lines have no content signature (only exact duplicates merge)."""
    max_example_chars: int = 300
    """Example texts (for :meth:`TemplateQueries.top_lines`) are cut to this length."""
    # How the scorer uses the index. Measured by `python bench/templates_eval.py` (variants
    # table, shipped model of 2026-11-28): the hard decisions alone never lower article F1
    # (CleanPortalEval 0.9410 -> 0.9412, WCXB multi-page sites 0.7057 -> 0.7080, held-out
    # generated sites 0.9880 -> 0.9891). Adding the recurrence features helps WCXB (0.7244)
    # and generated sites (0.9937) but costs CleanPortalEval (0.9300; held-out portal 0.8827
    # -> 0.8547): the model learns them on generated sites, where 88.5% of a known site's
    # non-recurring lines are article, against 44.7% on the real training-side multi-page
    # sites (both printed by the bench), so "does not recur" reads as "article" and keeps
    # real sites' page-specific sidebars. Decisions only is the default until the generated
    # sites carry page-specific chrome; True feeds the shares to the model as well.
    recurrence_features: bool = False
    """Feed each line's recurrence (share, site size, neighbours' shares) to the line model."""
    # Calibrated on training-side data only: the span sweep of `python -m
    # bench.templates_eval` (60 generated train-part sites, seed 2; CleanPortalEval's three
    # train-split portals; WCXB's train-split multi-page sites), shipped model of 2026-11-28.
    # On the WCXB train-split sites, 1 / 2 / 4 / 8 / 20 words give decision precision
    # 0.9868 / 0.9866 / 0.9860 / 0.9827 / 0.9704 and article F1 0.7097 / 0.7097 / 0.7100 /
    # 0.7098 / 0.7093 (0.7054 without an index): 4 words has the best F1 and nearly the best
    # precision. Precision is 1.0 on the other two at every setting; generated sites' F1 is
    # 0.9938 without an index, 0.9950 at 4 words, 0.9952 at 20 (a wider span decides less).
    # Lines under 4 words (field labels, prices, "Apple TV") do not open or close the span.
    article_span_words: int = 4
    """Template lines between the page's first and last *body paragraph* (a line of at least
    this many words, labelled article by the model, not template) are left to the model: on
    product, documentation and collection pages they are the content's own section headers
    and field labels ("System Requirements", "Memory: 8 GB RAM"). 0 turns the rule off."""

    def __post_init__(self) -> None:
        if not 0.0 < self.near_dup_threshold <= 1.0:
            raise ValueError("near_dup_threshold must be in (0, 1]")
        if not 0.0 <= self.template_share <= 1.0:
            raise ValueError("template_share must be in [0, 1]")
        if self.max_lines_per_site < 1 or self.max_pages_per_site < 1:
            raise ValueError("caps must be >= 1")
        if self.min_pages < 0 or self.signature_min_chars < 0:
            raise ValueError("min_pages and signature_min_chars must be >= 0")
        if not 1 <= self.signature_min_lines <= self.signature_lines:
            raise ValueError("need 1 <= signature_min_lines <= signature_lines")
        if self.article_span_words < 0:
            raise ValueError("article_span_words must be >= 0")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TemplateConfig:
        try:
            return cls(**json.loads(text))
        except (TypeError, ValueError) as exc:
            raise TemplateIndexError(f"bad template config in index file: {exc}") from None


# --------------------------------------------------------------------------- keys, hashing


def site_key(url: str | None, site: str | None, *, registrable: bool = False) -> str | None:
    """The key a page's lines are counted under.

    ``site`` when given (non-blank, returned stripped), else the URL's host, lowercased,
    without ``www.``, port, user info or trailing dot. With ``registrable=True`` the host
    is cut to an *approximate* registrable domain: the last two labels, or the last three
    when the second-level label is a common public-suffix part under a two-letter country
    TLD (``co.uk``, ``com.au``, ``co.jp``); this is not the full Public Suffix List.
    IP addresses are kept whole. ``None`` when neither gives a key.
    """
    if site is not None and site.strip():
        return site.strip()
    if not url or not url.strip():
        return None
    url = url.strip()
    try:
        host = urlsplit(url if "://" in url else "//" + url).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if not host:
        return None
    if registrable and not _is_ip(host):
        labels = host.split(".")
        keep = 2
        if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _PUBLIC_SECOND_LEVEL:
            keep = 3
        host = ".".join(labels[-keep:])
    return host


def _is_ip(host: str) -> bool:
    return ":" in host or host.replace(".", "").isdigit()


def _ascii_fold_table() -> bytes:
    table = bytearray(range(256))
    for code in range(128):
        char = chr(code)
        if char.isupper():
            table[code] = ord(char.lower())
        elif char.isdigit():
            table[code] = ord("0")
        elif not char.isalnum() and char != "\n":
            table[code] = ord(" ")  # punctuation, "_", whitespace and control characters
    return bytes(table)


_ASCII_FOLD: Final = _ascii_fold_table()
"""bytes.translate table: ASCII lowercase, digits to ``0``, everything else to a space."""


def _normalise_ascii(texts: Sequence[str]) -> list[bytes] | None:
    """Fast path for ASCII lines: one translate and a few C-speed replace passes.

    Equal to the regex path on ASCII input (tested); None when a text holds a newline.
    """
    data = "\n".join(texts).encode("ascii").translate(_ASCII_FOLD)
    if data.count(b"\n") != len(texts) - 1:
        return None
    while b"  " in data:
        data = data.replace(b"  ", b" ")
    if b"0" in data:
        while b"00" in data:
            data = data.replace(b"00", b"0")
        while b"0 0" in data:
            data = data.replace(b"0 0", b"0")
    data = data.replace(b" \n", b"\n").replace(b"\n ", b"\n").strip(b" ")
    return data.split(b"\n")


def _normalise_unicode(texts: Sequence[str]) -> list[str]:
    """General path: Unicode casefold, ``\\W`` and ``\\d`` (one regex pass per page)."""
    joined = _SEP.join(texts).casefold()
    if joined.count(_SEP) != len(texts) - 1:  # a text holds the separator character
        return [_normalise_unicode([text.replace(_SEP.strip(), " ")])[0] for text in texts]
    folded = _DIGITS.sub("0", _NON_WORD.sub(" ", joined))
    return [part.strip() for part in folded.split(_SEP.strip())]


def _normalise_bytes(texts: Sequence[str]) -> list[bytes]:
    """UTF-8 of each normalised line: ASCII lines take the fast path, others the regex."""
    if not texts:
        return []
    ascii_flags = [text.isascii() for text in texts]  # O(1) per str in CPython
    if all(ascii_flags):
        fast = _normalise_ascii(texts)
        if fast is not None:
            return fast
    elif not any(ascii_flags):
        return [n.encode() for n in _normalise_unicode(texts)]
    other = [t for t, a in zip(texts, ascii_flags, strict=True) if not a]
    plain = [t for t, a in zip(texts, ascii_flags, strict=True) if a]
    fast = _normalise_ascii(plain) if plain else []
    if fast is None:
        fast = [n.encode() for n in _normalise_unicode(plain)]
    slow = [n.encode() for n in _normalise_unicode(other)]
    it_fast, it_slow = iter(fast), iter(slow)
    return [next(it_fast) if a else next(it_slow) for a in ascii_flags]


def normalise_lines(texts: Sequence[str]) -> list[str]:
    """:func:`normalise_line` for many lines at once (much faster than one by one)."""
    return [n.decode() for n in _normalise_bytes(texts)]


def normalise_line(text: str) -> str:
    """Case-fold, fold punctuation/whitespace runs to one space, map digit runs to ``0``.

    Digit runs separated only by punctuation or spaces become a single ``0``, so
    ``veryGood! (7483)`` == ``veryGood! (12)`` and ``Views: 1,234`` == ``Views: 98``;
    dates such as ``2024-01-05`` and ``12:30`` also fold to ``0``.
    """
    return normalise_lines([text])[0]


def _hash_normalised(norms: Sequence[bytes]) -> U64:
    digests = b"".join([blake2b(n, digest_size=HASH_BYTES).digest() for n in norms])
    return np.frombuffer(digests, dtype="<u8").astype(np.uint64)


def line_hashes(texts: Sequence[str]) -> U64:
    """Stable 64-bit hashes (blake2b, little-endian) of the normalised lines."""
    return _hash_normalised(_normalise_bytes(texts))


def line_hash(text: str) -> int:
    """Stable 64-bit hash of :func:`normalise_line` (blake2b with an 8-byte digest)."""
    return int(line_hashes([text])[0])


def _mix(x: U64) -> U64:
    """SplitMix64 finaliser, vectorised (uint64 arithmetic wraps)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _seeds(n: int, start: int) -> U64:
    seeds = _mix(np.arange(start, start + n, dtype=np.uint64))
    seeds.flags.writeable = False
    return seeds


_MINHASH_SEEDS: Final = _seeds(MINHASH_BANDS * MINHASH_ROWS, 1)
_BAND_SALTS: Final = _seeds(MINHASH_BANDS, 1_000)
_ROW_MULTIPLIERS: Final = _seeds(MINHASH_ROWS, 2_000) | np.uint64(1)


def _band_keys(signature: U64) -> U64:
    """MinHash LSH keys (one per band) of a non-empty set of hashes."""
    mins = _mix(signature[None, :] ^ _MINHASH_SEEDS[:, None]).min(axis=1)
    rows = mins.reshape(MINHASH_BANDS, MINHASH_ROWS) * _ROW_MULTIPLIERS
    return _mix(rows.sum(axis=1, dtype=np.uint64) ^ _BAND_SALTS)


def _hash_bytes(data: bytes) -> int:
    return int.from_bytes(blake2b(data, digest_size=HASH_BYTES).digest(), "little")


def _signed(value: int) -> int:
    """uint64 -> int64 for SQLite INTEGER columns."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int) -> int:
    return value & _MASK64


_EMPTY_U64: Final = np.zeros(0, dtype=np.uint64)
_EMPTY_U64.flags.writeable = False


@dataclass(frozen=True, slots=True, eq=False)
class PageDigest:
    """What the index needs from a page; compute once with :func:`digest_page`."""

    site: str | None
    line_hashes: U64
    """Hash of each line, in page order."""
    unique: U64
    """Sorted distinct line hashes."""
    fingerprint: int
    """Hash of ``unique``: equal for pages with the same set of normalised lines."""
    signature: U64
    """Sorted distinct hashes of the long lines; empty when the page has too few."""
    band_keys: U64
    """MinHash LSH keys of ``signature`` (empty when it is)."""
    informative: npt.NDArray[np.bool_]
    """Per line: its normalised text has letters (a line of digits and punctuation, such as
    "1." or "$145", folds to the same text as the site's counters and is never template)."""
    words: npt.NDArray[np.int64]
    """Per line: the number of words of its normalised text."""

    @property
    def countable(self) -> bool:
        """Pages with a site and at least one line are counted; others are ignored."""
        return self.site is not None and self.unique.size > 0


def digest_page(page: Page, config: TemplateConfig) -> PageDigest:
    """Hash a page's lines and compute its fingerprint and content signature."""
    site = site_key(page.url, page.site, registrable=config.registrable)
    norms = _normalise_bytes([line.text for line in page.lines])
    hashes = _hash_normalised(norms)
    unique = np.unique(hashes)
    fingerprint = _hash_bytes(unique.astype("<u8").tobytes())
    lengths = np.fromiter(map(len, norms), dtype=np.int64, count=len(norms))
    long_hashes = _longest(hashes, lengths, config)
    informative = np.fromiter(
        (n not in (b"", b"0") for n in norms), dtype=np.bool_, count=len(norms)
    )
    spaces = np.fromiter(map(bytes.count, norms, repeat(b" ")), dtype=np.int64, count=len(norms))
    words = spaces + (lengths > 0)  # normalised text: words are separated by single spaces
    if long_hashes.size >= config.signature_min_lines:
        return PageDigest(
            site,
            hashes,
            unique,
            fingerprint,
            long_hashes,
            _band_keys(long_hashes),
            informative,
            words,
        )
    return PageDigest(site, hashes, unique, fingerprint, _EMPTY_U64, _EMPTY_U64, informative, words)


def _longest(hashes: U64, lengths: I64, config: TemplateConfig) -> U64:
    """Sorted hashes of the ``signature_lines`` longest distinct long lines (ties by hash)."""
    keep = lengths >= config.signature_min_chars
    cand_h, cand_len = hashes[keep], lengths[keep]
    if cand_h.size == 0:
        return _EMPTY_U64
    ordered = cand_h[np.lexsort((cand_h, -cand_len))]
    first = np.ones(ordered.size, dtype=np.bool_)
    first[1:] = ordered[1:] != ordered[:-1]  # equal hashes are adjacent (same length)
    return np.sort(ordered[first][: config.signature_lines])


def _jaccard(a: U64, b: U64) -> float:
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (a.size + b.size - inter)


# --------------------------------------------------------------------------- query API


@dataclass(frozen=True, slots=True, eq=False)
class TemplateLookup:
    """Template statistics of one page's lines, with the page itself excluded."""

    site: str | None
    counts: npt.NDArray[np.uint32]
    """For each line, on how many *other* (near-dup-collapsed) pages of the site it occurs."""
    pages: int
    """How many other (collapsed) pages the site has: the share denominator."""
    known: bool
    """The page (or a near-duplicate) was counted, so its own cluster was excluded."""
    informative: npt.NDArray[np.bool_]
    """Per line: whether it can be template at all (see :class:`PageDigest`)."""
    words: npt.NDArray[np.int64]
    """Per line: words of its normalised text (for the article-span rule)."""

    @property
    def shares(self) -> npt.NDArray[np.float64]:
        """``counts / pages`` per line; all 0 when there are no other pages."""
        if self.pages <= 0:
            return np.zeros(self.counts.size, dtype=np.float64)
        return self.counts.astype(np.float64) / float(self.pages)

    def template_mask(
        self, config: TemplateConfig, model_article: npt.NDArray[np.bool_] | None = None
    ) -> npt.NDArray[np.bool_]:
        """Lines the template decides.

        A line is template when its share reaches ``template_share`` on a site with
        ``min_pages`` other pages. With ``model_article`` (per line: the model labels it
        article) and ``config.article_span_words``, template lines inside the article span
        are not decided: see :func:`article_span`.
        """
        if self.pages < max(config.min_pages, 1):
            return np.zeros(self.counts.size, dtype=np.bool_)
        mask = (self.shares >= config.template_share) & self.informative
        if model_article is not None and config.article_span_words > 0 and mask.any():
            mask &= ~article_span(mask, model_article, self.words, config.article_span_words)
        return mask


def article_span(
    template: npt.NDArray[np.bool_],
    model_article: npt.NDArray[np.bool_],
    words: npt.NDArray[np.int64],
    min_words: int,
) -> npt.NDArray[np.bool_]:
    """Lines strictly between the page's first and last body paragraphs.

    A body paragraph is a line that is not template, that the model labels article and that
    has at least ``min_words`` words. A template line inside that span sits in the page's
    own content (a section header between paragraphs, a field label in a specification
    list); outside it, it is the chrome before or after the content. All False when the page
    has fewer than two body paragraphs.
    """
    model_article = np.asarray(model_article, dtype=np.bool_)
    if model_article.shape != template.shape:
        raise ValueError(f"{model_article.size} model labels for {template.size} lines")
    body = np.flatnonzero(model_article & ~template & (words >= min_words))
    span = np.zeros(template.size, dtype=np.bool_)
    if body.size >= 2:
        span[body[0] + 1 : body[-1]] = True
    return span


class TemplateQueries(ABC):
    """Query API shared by :class:`TemplateIndex` and :class:`SqliteTemplateStore`."""

    @property
    @abstractmethod
    def config(self) -> TemplateConfig:
        """The configuration the index was built with."""

    @abstractmethod
    def sites(self) -> list[str]:
        """All site keys, sorted."""

    @abstractmethod
    def site_pages(self, site: str) -> int:
        """How many (near-dup-collapsed) pages were counted for ``site`` (0 when unknown)."""

    @abstractmethod
    def site_lines(self, site: str) -> int:
        """How many distinct normalised lines are kept for ``site``."""

    @abstractmethod
    def top_lines(self, site: str, n: int = 20) -> list[tuple[str, float]]:
        """The ``n`` lines on most pages of ``site``: (an example text, share of pages).

        Lines seen on a single page have no stored example and show as ``#<hash>``.
        """

    @abstractmethod
    def _line_counts(self, site: str, unique: U64) -> tuple[int, npt.NDArray[np.uint32]]:
        """(site pages, count of each hash in ``unique``; 0 when not kept)."""

    @abstractmethod
    def _is_known(self, site: str, digest: PageDigest) -> bool:
        """Whether the page's fingerprint or a near-duplicate signature was counted."""

    def digest(self, page: Page) -> PageDigest:
        """:func:`digest_page` with this index's configuration."""
        return digest_page(page, self.config)

    def lookup(self, page: Page | PageDigest) -> TemplateLookup:
        """Counts and share denominator for each line of ``page``, excluding the page itself.

        See the module docstring for the self-exclusion rule.
        """
        digest = page if isinstance(page, PageDigest) else self.digest(page)
        n_lines = digest.line_hashes.size
        if digest.site is None or n_lines == 0:
            return TemplateLookup(
                digest.site,
                np.zeros(n_lines, np.uint32),
                0,
                False,
                digest.informative,
                digest.words,
            )
        pages, unique_counts = self._line_counts(digest.site, digest.unique)
        known = pages > 0 and self._is_known(digest.site, digest)
        if known:
            unique_counts = np.maximum(unique_counts.astype(np.int64) - 1, 0).astype(np.uint32)
            pages -= 1
        counts = unique_counts[np.searchsorted(digest.unique, digest.line_hashes)]
        return TemplateLookup(digest.site, counts, pages, known, digest.informative, digest.words)

    def counts(self, page: Page) -> npt.NDArray[np.uint32]:
        """For each line, on how many other (collapsed) pages of the site it occurs."""
        return self.lookup(page).counts

    def shares(self, page: Page) -> npt.NDArray[np.float64]:
        """For each line, the share of the site's other pages carrying it (0 if unknown site)."""
        return self.lookup(page).shares

    def template_mask(self, page: Page) -> npt.NDArray[np.bool_]:
        """Lines that are site template under this index's configuration."""
        return self.lookup(page).template_mask(self.config)


# --------------------------------------------------------------------------- batch index


@dataclass(slots=True, eq=False)
class _SiteTable:
    """One site's counts and counted pages (internal; arrays sorted for searchsorted)."""

    pages: int
    hashes: U64
    counts: npt.NDArray[np.uint32]
    examples: dict[int, str]
    member_fps: U64
    """Fingerprints of all counted pages (collapsed members included), sorted."""
    rep_fps: U64
    """Fingerprints of the representatives that have a content signature."""
    sig_offsets: npt.NDArray[np.int64]
    sig_data: U64
    band_keys: U64
    """Sorted band keys of the representatives' signatures ..."""
    band_reps: npt.NDArray[np.int64]
    """... and the index (into ``rep_fps``) of the representative for each key."""

    def count_of(self, unique: U64) -> npt.NDArray[np.uint32]:
        out = np.zeros(unique.size, dtype=np.uint32)
        if self.hashes.size:
            pos = np.minimum(np.searchsorted(self.hashes, unique), self.hashes.size - 1)
            hit = self.hashes[pos] == unique
            out[hit] = self.counts[pos[hit]]
        return out

    def signature(self, rep: int) -> U64:
        return self.sig_data[self.sig_offsets[rep] : self.sig_offsets[rep + 1]]

    def is_known(self, digest: PageDigest, threshold: float) -> bool:
        fp = np.uint64(digest.fingerprint)
        pos = int(np.searchsorted(self.member_fps, fp))
        if pos < self.member_fps.size and self.member_fps[pos] == fp:
            return True
        if digest.signature.size == 0 or self.band_keys.size == 0:
            return False
        lo = np.searchsorted(self.band_keys, digest.band_keys, side="left")
        hi = np.searchsorted(self.band_keys, digest.band_keys, side="right")
        reps = {int(r) for a, b in zip(lo, hi, strict=True) for r in self.band_reps[a:b]}
        return any(_jaccard(digest.signature, self.signature(r)) >= threshold for r in reps)

    def top(self, n: int) -> list[tuple[str, float]]:
        if self.pages == 0 or n <= 0:
            return []
        order = np.lexsort((self.hashes, -self.counts.astype(np.int64)))[:n]
        return [
            (self.examples.get(int(h), f"#{int(h):016x}"), int(c) / self.pages)
            for h, c in zip(self.hashes[order], self.counts[order], strict=True)
        ]


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass(slots=True, eq=False)
class _SiteBuild:
    """Per-site accumulator of a batch build: one entry per distinct fingerprint."""

    salt: np.uint64
    by_fp: dict[int, int] = field(default_factory=dict)
    uniques: list[U64] = field(default_factory=list)
    signatures: list[U64] = field(default_factory=list)
    bands: list[U64] = field(default_factory=list)
    examples: dict[int, str] = field(default_factory=dict)

    def add(self, digest: PageDigest) -> None:
        if digest.fingerprint in self.by_fp:
            return  # an exact duplicate (same set of normalised lines)
        self.by_fp[digest.fingerprint] = len(self.uniques)
        self.uniques.append(digest.unique)
        self.signatures.append(digest.signature)
        self.bands.append(digest.band_keys)

    def finish(self, config: TemplateConfig) -> _SiteTable:
        fps = np.fromiter(self.by_fp.keys(), dtype=np.uint64, count=len(self.by_fp))
        n = fps.size
        uf = _UnionFind(n)
        # Pages with identical signatures are near-duplicates (Jaccard 1): merge directly.
        by_sig: dict[bytes, int] = {}
        for i, sig in enumerate(self.signatures):
            if sig.size:
                uf.union(by_sig.setdefault(sig.tobytes(), i), i)
        # Candidates share an LSH band among distinct signatures; verify the exact Jaccard.
        buckets: dict[int, list[int]] = {}
        for i in by_sig.values():
            for key in self.bands[i].tolist():
                buckets.setdefault(key, []).append(i)
        checked: set[tuple[int, int]] = set()
        for members in buckets.values():
            for x, a in enumerate(members):
                for b in members[x + 1 :]:
                    pair = (a, b) if a < b else (b, a)
                    if pair in checked or uf.find(a) == uf.find(b):
                        continue
                    checked.add(pair)
                    if (
                        _jaccard(self.signatures[a], self.signatures[b])
                        >= config.near_dup_threshold
                    ):
                        uf.union(a, b)
        # Canonical representative of a cluster: the member with the smallest fingerprint.
        rep_of: dict[int, int] = {}
        for i in range(n):
            root = uf.find(i)
            best = rep_of.get(root)
            if best is None or fps[i] < fps[best]:
                rep_of[root] = i
        reps = sorted(rep_of.values(), key=lambda i: int(fps[i]))
        if reps:
            hashes, counts = np.unique(
                np.concatenate([self.uniques[i] for i in reps]), return_counts=True
            )
        else:
            hashes, counts = _EMPTY_U64, np.zeros(0, dtype=np.int64)
        if hashes.size > config.max_lines_per_site:
            keep = np.sort(np.lexsort((hashes, -counts))[: config.max_lines_per_site])
            hashes, counts = hashes[keep], counts[keep]
        hashes = hashes.astype(np.uint64)
        kept = set(hashes[counts >= 2].tolist())
        examples = {h: t for h, t in self.examples.items() if h in kept}
        return _site_table(
            pages=len(reps),
            hashes=hashes,
            counts=counts.astype(np.uint32),
            examples=examples,
            member_fps=fps,
            reps=[(int(fps[i]), self.signatures[i], self.bands[i]) for i in reps],
            max_pages=config.max_pages_per_site,
        )


def _site_table(
    *,
    pages: int,
    hashes: U64,
    counts: npt.NDArray[np.uint32],
    examples: dict[int, str],
    member_fps: U64,
    reps: Sequence[tuple[int, U64, U64 | None]],
    max_pages: int,
) -> _SiteTable:
    """Assemble a site table from representatives' (fingerprint, signature, band keys)."""
    if member_fps.size > max_pages:  # track a bounded, order-independent subset
        member_fps = np.sort(member_fps)[:max_pages]
    with_sig = sorted((r for r in reps if r[1].size), key=lambda r: r[0])[:max_pages]
    rep_fps = np.array([r[0] for r in with_sig], dtype=np.uint64)
    sigs = [r[1] for r in with_sig]
    offsets = np.zeros(len(sigs) + 1, dtype=np.int64)
    if sigs:
        offsets[1:] = np.cumsum([s.size for s in sigs])
    sig_data = np.concatenate(sigs).astype(np.uint64) if sigs else _EMPTY_U64
    keys = [_band_keys(r[1]) if r[2] is None else r[2] for r in with_sig]
    band_keys = np.concatenate(keys) if keys else _EMPTY_U64
    band_reps = np.repeat(np.arange(len(sigs), dtype=np.int64), MINHASH_BANDS)
    order = np.argsort(band_keys, kind="stable")
    return _SiteTable(
        pages=pages,
        hashes=hashes,
        counts=counts,
        examples=examples,
        member_fps=np.sort(member_fps.astype(np.uint64)),
        rep_fps=rep_fps,
        sig_offsets=offsets,
        sig_data=sig_data,
        band_keys=band_keys[order],
        band_reps=band_reps[order],
    )


class TemplateIndex(TemplateQueries):
    """Batch template index held in memory. Build with :meth:`build`, or :meth:`load`."""

    def __init__(self, config: TemplateConfig, tables: dict[str, _SiteTable]) -> None:
        self._config = config
        self._tables = tables

    @classmethod
    def build(cls, pages: Iterable[Page], *, config: TemplateConfig | None = None) -> TemplateIndex:
        """Count every line of ``pages`` per site, near-duplicate pages counted once.

        Reads ``pages`` once (a generator is fine). The result does not depend on page order
        (example texts aside). Pages without a site key or without lines are ignored.
        """
        config = config or TemplateConfig()
        builds: dict[str, _SiteBuild] = {}
        seen = np.zeros(1 << (SEEN_BITS_LOG2 - 3), dtype=np.uint8)
        mask = np.uint64((1 << SEEN_BITS_LOG2) - 1)
        for page in pages:
            digest = digest_page(page, config)
            if not digest.countable:
                continue
            assert digest.site is not None
            build = builds.get(digest.site)
            if build is None:
                salt = np.uint64(_hash_bytes(digest.site.encode()))
                build = builds[digest.site] = _SiteBuild(salt)
            bit = (digest.line_hashes ^ build.salt) & mask
            byte, shift = (bit >> np.uint64(3)).astype(np.intp), (bit & np.uint64(7))
            flags = np.left_shift(np.uint8(1), shift.astype(np.uint8))
            again = np.flatnonzero(seen[byte] & flags)
            seen[byte] |= flags
            if again.size:
                examples, lines = build.examples, page.lines
                for i, h in zip(again.tolist(), digest.line_hashes[again].tolist(), strict=True):
                    if h not in examples:
                        examples[h] = lines[i].text[: config.max_example_chars]
            build.add(digest)
        del seen
        tables = {site: builds.pop(site).finish(config) for site in sorted(builds)}
        return cls(config, tables)

    @property
    def config(self) -> TemplateConfig:
        return self._config

    def sites(self) -> list[str]:
        return sorted(self._tables)

    def site_pages(self, site: str) -> int:
        table = self._tables.get(site)
        return table.pages if table else 0

    def site_lines(self, site: str) -> int:
        table = self._tables.get(site)
        return int(table.hashes.size) if table else 0

    def top_lines(self, site: str, n: int = 20) -> list[tuple[str, float]]:
        table = self._tables.get(site)
        return table.top(n) if table else []

    def _line_counts(self, site: str, unique: U64) -> tuple[int, npt.NDArray[np.uint32]]:
        table = self._tables.get(site)
        if table is None:
            return 0, np.zeros(unique.size, dtype=np.uint32)
        return table.pages, table.count_of(unique)

    def _is_known(self, site: str, digest: PageDigest) -> bool:
        table = self._tables.get(site)
        return table is not None and table.is_known(digest, self._config.near_dup_threshold)

    def nbytes(self) -> int:
        """Bytes held by the index's numpy arrays (example texts not included)."""
        total = 0
        for t in self._tables.values():
            for arr in (t.hashes, t.counts, t.member_fps, t.rep_fps, t.sig_offsets):
                total += arr.nbytes
            total += t.sig_data.nbytes + t.band_keys.nbytes + t.band_reps.nbytes
        return total

    # ----------------------------------------------------------------- persistence

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index as a SQLite template file (atomically replacing ``path``).

        The file can be opened by :meth:`load` or, to keep adding pages, by
        :class:`SqliteTemplateStore`.
        """
        target = Path(path)
        fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
        os.close(fd)
        try:
            conn = _connect(Path(tmp), timeout=5.0)
            try:
                conn.execute("BEGIN IMMEDIATE")
                _create_schema(conn, self._config)
                for site in self.sites():
                    self._write_site(conn, site, self._tables[site])
                conn.execute("COMMIT")
                conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                conn.close()
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @staticmethod
    def _write_site(conn: sqlite3.Connection, site: str, t: _SiteTable) -> None:
        cur = conn.execute(
            "INSERT INTO sites(name, pages, n_lines, n_tracked, seq) VALUES (?, ?, ?, ?, ?)",
            (site, t.pages, int(t.hashes.size), int(t.member_fps.size), t.pages),
        )
        site_id = cur.lastrowid
        conn.executemany(
            "INSERT INTO lines(site_id, hash, count, last_seen, example) VALUES (?, ?, ?, 0, ?)",
            (
                (site_id, _signed(h), c, t.examples.get(h))
                for h, c in zip(t.hashes.tolist(), t.counts.tolist(), strict=True)
            ),
        )
        reps = {fp: i for i, fp in enumerate(t.rep_fps.tolist())}
        conn.executemany(
            "INSERT INTO pages(site_id, fingerprint, cluster, seq, sig) VALUES (?, ?, ?, 0, ?)",
            (
                (
                    site_id,
                    _signed(fp),
                    _signed(fp),
                    t.signature(reps[fp]).astype("<u8").tobytes() if fp in reps else None,
                )
                for fp in t.member_fps.tolist()
            ),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO bands(site_id, key, cluster) VALUES (?, ?, ?)",
            (
                (site_id, _signed(k), _signed(int(t.rep_fps[r])))
                for k, r in zip(t.band_keys.tolist(), t.band_reps.tolist(), strict=True)
            ),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TemplateIndex:
        """Read a SQLite template file (from :meth:`save` or a store) into memory."""
        path = Path(path)
        if not path.is_file() or path.stat().st_size == 0:
            raise TemplateIndexError(f"{path}: no template index file")
        stored = _validate(path)
        assert stored is not None
        conn = _connect_readonly(path)
        try:
            return cls(stored, _read_tables(conn, stored))
        except sqlite3.DatabaseError as exc:
            raise TemplateIndexError(f"{path}: unreadable template index: {exc}") from None
        finally:
            conn.close()


def _read_tables(conn: sqlite3.Connection, config: TemplateConfig) -> dict[str, _SiteTable]:
    tables: dict[str, _SiteTable] = {}
    for site_id, name, pages in conn.execute("SELECT site_id, name, pages FROM sites").fetchall():
        rows = conn.execute(
            "SELECT hash, count, example FROM lines WHERE site_id = ?", (site_id,)
        ).fetchall()
        hashes = np.array([r[0] for r in rows], dtype=np.int64).view(np.uint64)
        counts = np.array([r[1] for r in rows], dtype=np.uint32)
        order = np.argsort(hashes)
        examples = {_unsigned(r[0]): r[2] for r in rows if r[2] is not None}
        prow = conn.execute(
            "SELECT fingerprint, cluster, sig FROM pages WHERE site_id = ?", (site_id,)
        ).fetchall()
        member_fps = np.array([r[0] for r in prow], dtype=np.int64).view(np.uint64)
        reps = [
            (_unsigned(fp), np.frombuffer(sig, dtype="<u8").astype(np.uint64), None)
            for fp, cluster, sig in prow
            if fp == cluster and sig
        ]
        tables[name] = _site_table(
            pages=int(pages),
            hashes=hashes[order],
            counts=counts[order],
            examples=examples,
            member_fps=member_fps,
            reps=reps,
            max_pages=config.max_pages_per_site,
        )
    return tables


# --------------------------------------------------------------------------- SQLite format

_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS sites (
        site_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, pages INTEGER NOT NULL,
        n_lines INTEGER NOT NULL, n_tracked INTEGER NOT NULL, seq INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS lines (
        site_id INTEGER NOT NULL, hash INTEGER NOT NULL, count INTEGER NOT NULL,
        last_seen INTEGER NOT NULL, example TEXT,
        PRIMARY KEY (site_id, hash)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS pages (
        site_id INTEGER NOT NULL, fingerprint INTEGER NOT NULL, cluster INTEGER NOT NULL,
        seq INTEGER NOT NULL, sig BLOB,
        PRIMARY KEY (site_id, fingerprint)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS bands (
        site_id INTEGER NOT NULL, key INTEGER NOT NULL, cluster INTEGER NOT NULL,
        PRIMARY KEY (site_id, key, cluster)) WITHOUT ROWID""",
)


def _connect(path: Path, *, timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _set_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another process holds a lock.

    SQLite does not call the busy handler for this pragma: while another process creates
    the file, it fails at once with "database is locked" (seen in the two-writer stress
    test), so it is retried here for up to ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorcode", None) in (
                sqlite3.SQLITE_BUSY,
                sqlite3.SQLITE_LOCKED,
            )
            if not busy or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _connect_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)


def _create_schema(conn: sqlite3.Connection, config: TemplateConfig) -> None:
    for statement in _SCHEMA:
        conn.execute(statement)
    conn.executemany(
        "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)",
        [("format", FORMAT_NAME), ("version", str(FORMAT_VERSION)), ("config", config.to_json())],
    )


def _validate(path: Path) -> TemplateConfig | None:
    """Check, without writing, that ``path`` is one of our files; return its config.

    ``None`` means a missing, empty or table-less SQLite file (a new store may be created).

    The file is read through SQLite only, never opened by Python: closing *any* descriptor
    of a file drops all of the process's POSIX (fcntl) locks on it, including the shared
    lock SQLite holds on a WAL database for as long as a connection is open. Without it,
    a writer in another process that closes believes it is the last connection,
    checkpoints and deletes the WAL file, and whatever this process commits afterwards
    goes to the deleted file and is lost (the lost-tail bug of two concurrent writers).
    """
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = _connect_readonly(path)
        try:
            return _read_meta(conn, path)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise _database_error(path, exc) from None


def _database_error(path: Path, exc: sqlite3.DatabaseError) -> TemplateIndexError:
    code = getattr(exc, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_NOTADB:
        return TemplateIndexError(
            f"{path}: not a SQLite file (or its header is corrupt), so not a template index"
        )
    if code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH):
        return TemplateIndexError(f"{path}: cannot read: {exc}")
    return TemplateIndexError(f"{path}: corrupt SQLite file: {exc}")


def _read_meta(conn: sqlite3.Connection, path: Path) -> TemplateConfig | None:
    """The stored config; ``None`` for a database without tables. Raises for foreign files."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    if not tables:
        return None
    if "meta" not in tables:
        raise TemplateIndexError(f"{path}: a SQLite file without a template index")
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("format") != FORMAT_NAME:
        raise TemplateIndexError(f"{path}: a SQLite file without a template index")
    if meta.get("version") != str(FORMAT_VERSION):
        raise TemplateIndexError(
            f"{path}: template index version {meta.get('version')!r}, expected {FORMAT_VERSION}"
        )
    return TemplateConfig.from_json(str(meta.get("config", "")))


def _chunks(values: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), SQL_CHUNK):
        yield values[start : start + SQL_CHUNK]


class SqliteTemplateStore(TemplateQueries):
    """Streaming template index persisted in one SQLite file, reusable across runs.

    ``add(page)`` counts a page (one transaction). A new file is created with ``config``
    (default :class:`TemplateConfig`); an existing file keeps its stored config, and passing
    a different ``config`` raises :class:`TemplateIndexError`. A file that is not SQLite, or
    SQLite without our ``meta`` table and version, raises :class:`TemplateIndexError` and is
    left untouched. Concurrent writers in several processes (one store object each) are
    serialised by SQLite's lock, each waiting up to ``busy_timeout`` seconds; this is
    supported (stress-tested in ``tests/test_template.py``).

    Caps: when a site exceeds ``max_lines_per_site`` distinct lines, the lines on the fewest
    pages (oldest first among ties) are evicted down to 90% of the cap; tracked page
    fingerprints/signatures are evicted oldest first beyond ``max_pages_per_site``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        config: TemplateConfig | None = None,
        busy_timeout: float = 60.0,
    ) -> None:
        self.path = Path(path)
        stored = _validate(self.path)  # read-only: a foreign file is never written to
        if stored is not None and config is not None and stored != config:
            raise TemplateIndexError(
                f"{self.path}: stored config {stored} differs from the requested {config}"
            )
        self._busy_timeout = busy_timeout
        try:
            self._conn = _connect(self.path, timeout=busy_timeout)
        except sqlite3.DatabaseError as exc:
            raise TemplateIndexError(f"{self.path}: cannot open template store: {exc}") from None
        try:
            self._config = self._open(config)
        except BaseException:
            self._conn.close()
            raise

    def _open(self, config: TemplateConfig | None) -> TemplateConfig:
        """Switch to WAL, create the schema if the file has none, and return the config.

        Schema creation and the config check run in one ``BEGIN IMMEDIATE`` transaction,
        so when several processes create the same file at once exactly one creates it and
        the others see (and check) its config.
        """
        conn = self._conn
        try:
            _set_wal(conn, self._busy_timeout)
            with self._transaction():
                found = _read_meta(conn, self.path)
                if found is None:
                    found = config or TemplateConfig()
                    _create_schema(conn, found)
        except sqlite3.DatabaseError as exc:
            raise TemplateIndexError(f"{self.path}: cannot open template store: {exc}") from None
        if config is not None and found != config:
            raise TemplateIndexError(
                f"{self.path}: stored config {found} differs from the requested {config}"
            )
        return found

    # ----------------------------------------------------------------- lifecycle

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SqliteTemplateStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def config(self) -> TemplateConfig:
        return self._config

    # ----------------------------------------------------------------- writing

    def add(self, page: Page) -> bool:
        """Count one page (one transaction); True when it was counted as a new page.

        A page without a site key or lines, or that matches a page already counted (same
        fingerprint, or content signatures with Jaccard >= ``near_dup_threshold``), adds
        nothing to the counts (a near-duplicate's fingerprint is remembered).
        """
        return self.add_many([page]) == 1

    def add_many(self, pages: Iterable[Page], *, batch_size: int = 200) -> int:
        """Count many pages, ``batch_size`` per transaction; returns how many were new."""
        added = 0
        batch: list[tuple[PageDigest, list[str]]] = []
        for page in pages:
            digest = self.digest(page)
            if digest.countable:
                batch.append((digest, page.texts))
            if len(batch) >= batch_size:
                added += self._flush(batch)
                batch = []
        if batch:
            added += self._flush(batch)
        return added

    def _flush(self, batch: list[tuple[PageDigest, list[str]]]) -> int:
        with self._transaction():
            return sum(self._add_digest(d, texts) for d, texts in batch)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` takes the write lock up front (waiting up to the busy timeout)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _site_row(self, site: str) -> tuple[int, int, int, int, int] | None:
        row = self._conn.execute(
            "SELECT site_id, pages, n_lines, n_tracked, seq FROM sites WHERE name = ?", (site,)
        ).fetchone()
        return None if row is None else (row[0], row[1], row[2], row[3], row[4])

    def _add_digest(self, d: PageDigest, texts: Sequence[str]) -> bool:
        assert d.site is not None
        conn, cfg = self._conn, self._config
        row = self._site_row(d.site)
        if row is None:
            cur = conn.execute(
                "INSERT INTO sites(name, pages, n_lines, n_tracked, seq) VALUES (?, 0, 0, 0, 0)",
                (d.site,),
            )
            assert cur.lastrowid is not None
            row = (cur.lastrowid, 0, 0, 0, 0)
        site_id, pages, n_lines, n_tracked, seq = row
        seq += 1
        cluster = self._match(site_id, d)
        if cluster is not None:
            cur = conn.execute(
                "INSERT OR IGNORE INTO pages(site_id, fingerprint, cluster, seq, sig) "
                "VALUES (?, ?, ?, ?, NULL)",
                (site_id, _signed(d.fingerprint), cluster, seq),
            )
            n_tracked += cur.rowcount
            conn.execute(
                "UPDATE sites SET n_tracked = ?, seq = ? WHERE site_id = ?",
                (n_tracked, seq, site_id),
            )
            self._evict_pages(site_id, n_tracked)
            return False
        fp = _signed(d.fingerprint)
        sig = d.signature.astype("<u8").tobytes() if d.signature.size else None
        conn.execute(
            "INSERT INTO pages(site_id, fingerprint, cluster, seq, sig) VALUES (?, ?, ?, ?, ?)",
            (site_id, fp, fp, seq, sig),
        )
        if d.band_keys.size:
            conn.executemany(
                "INSERT OR IGNORE INTO bands(site_id, key, cluster) VALUES (?, ?, ?)",
                [(site_id, k, fp) for k in d.band_keys.view(np.int64).tolist()],
            )
        n_tracked += 1
        pages += 1
        # Lines: insert the new ones (example stored from the second occurrence on).
        unique = d.unique.view(np.int64).tolist()
        existing: set[int] = set()
        for part in _chunks(unique):
            marks = ",".join("?" * len(part))
            existing.update(
                r[0]
                for r in conn.execute(
                    f"SELECT hash FROM lines WHERE site_id = ? AND hash IN ({marks})",
                    (site_id, *part),
                )
            )
        first_text: dict[int, str] = {}
        for h, text in zip(d.line_hashes.view(np.int64).tolist(), texts, strict=True):
            first_text.setdefault(h, text)
        new = [h for h in unique if h not in existing]
        conn.executemany(
            "INSERT INTO lines(site_id, hash, count, last_seen, example) VALUES (?, ?, 1, ?, NULL)",
            [(site_id, h, seq) for h in new],
        )
        conn.executemany(
            "UPDATE lines SET count = count + 1, last_seen = ?, "
            "example = coalesce(example, ?) WHERE site_id = ? AND hash = ?",
            [(seq, first_text[h][: cfg.max_example_chars], site_id, h) for h in existing],
        )
        n_lines += len(new)
        if n_lines > cfg.max_lines_per_site:
            target = int(cfg.max_lines_per_site * (1.0 - EVICT_SLACK))
            conn.execute(
                "DELETE FROM lines WHERE site_id = ? AND hash IN (SELECT hash FROM lines "
                "WHERE site_id = ? ORDER BY count, last_seen, hash LIMIT ?)",
                (site_id, site_id, n_lines - target),
            )
            n_lines = target
        conn.execute(
            "UPDATE sites SET pages = ?, n_lines = ?, n_tracked = ?, seq = ? WHERE site_id = ?",
            (pages, n_lines, n_tracked, seq, site_id),
        )
        self._evict_pages(site_id, n_tracked)
        return True

    def _evict_pages(self, site_id: int, n_tracked: int) -> None:
        cap = self._config.max_pages_per_site
        if n_tracked <= cap:
            return
        target = int(cap * (1.0 - EVICT_SLACK))
        conn = self._conn
        conn.execute(
            "DELETE FROM pages WHERE site_id = ? AND fingerprint IN (SELECT fingerprint FROM "
            "pages WHERE site_id = ? ORDER BY seq, fingerprint LIMIT ?)",
            (site_id, site_id, n_tracked - target),
        )
        conn.execute(
            "DELETE FROM bands WHERE site_id = ? AND cluster NOT IN (SELECT fingerprint FROM "
            "pages WHERE site_id = ? AND sig IS NOT NULL)",
            (site_id, site_id),
        )
        conn.execute("UPDATE sites SET n_tracked = ? WHERE site_id = ?", (target, site_id))

    def _match(self, site_id: int, d: PageDigest) -> int | None:
        """The cluster (signed representative fingerprint) this page belongs to, if any."""
        conn = self._conn
        row = conn.execute(
            "SELECT cluster FROM pages WHERE site_id = ? AND fingerprint = ?",
            (site_id, _signed(d.fingerprint)),
        ).fetchone()
        if row is not None:
            return int(row[0])
        if d.signature.size == 0:
            return None
        keys = d.band_keys.view(np.int64).tolist()
        marks = ",".join("?" * len(keys))
        candidates = sorted(
            r[0]
            for r in conn.execute(
                f"SELECT DISTINCT cluster FROM bands WHERE site_id = ? AND key IN ({marks})",
                (site_id, *keys),
            )
        )
        for cluster in candidates:
            sig_row = conn.execute(
                "SELECT sig FROM pages WHERE site_id = ? AND fingerprint = ?", (site_id, cluster)
            ).fetchone()
            if sig_row is None or not sig_row[0]:
                continue
            other = np.frombuffer(sig_row[0], dtype="<u8").astype(np.uint64)
            if _jaccard(d.signature, other) >= self._config.near_dup_threshold:
                return int(cluster)
        return None

    # ----------------------------------------------------------------- queries

    def sites(self) -> list[str]:
        return sorted(r[0] for r in self._conn.execute("SELECT name FROM sites"))

    def site_pages(self, site: str) -> int:
        row = self._site_row(site)
        return row[1] if row else 0

    def site_lines(self, site: str) -> int:
        row = self._site_row(site)
        return row[2] if row else 0

    def top_lines(self, site: str, n: int = 20) -> list[tuple[str, float]]:
        row = self._site_row(site)
        if row is None or row[1] == 0 or n <= 0:
            return []
        site_id, pages = row[0], row[1]
        rows = self._conn.execute(
            "SELECT hash, count, example FROM lines WHERE site_id = ? "
            "ORDER BY count DESC, hash < 0, hash LIMIT ?",  # ties: unsigned hash order
            (site_id, n),
        ).fetchall()
        return [(ex if ex is not None else f"#{_unsigned(h):016x}", c / pages) for h, c, ex in rows]

    def _line_counts(self, site: str, unique: U64) -> tuple[int, npt.NDArray[np.uint32]]:
        out = np.zeros(unique.size, dtype=np.uint32)
        row = self._site_row(site)
        if row is None:
            return 0, out
        site_id = row[0]
        values = unique.view(np.int64).tolist()
        found: dict[int, int] = {}
        for part in _chunks(values):
            marks = ",".join("?" * len(part))
            found.update(
                self._conn.execute(
                    f"SELECT hash, count FROM lines WHERE site_id = ? AND hash IN ({marks})",
                    (site_id, *part),
                ).fetchall()
            )
        for i, h in enumerate(values):
            out[i] = found.get(h, 0)
        return row[1], out

    def _is_known(self, site: str, digest: PageDigest) -> bool:
        row = self._site_row(site)
        return row is not None and self._match(row[0], digest) is not None

    def to_index(self) -> TemplateIndex:
        """Load the whole store into an in-memory :class:`TemplateIndex`."""
        return TemplateIndex(self._config, _read_tables(self._conn, self._config))
