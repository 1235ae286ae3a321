"""HTML to line records: the visible text blocks of a page, one block per line.

One parse with libxml2 (``lxml.etree.HTMLParser``), then a few passes in C that shrink the
tree (drop invisible subtrees, unwrap inline tags other than ``<a>``), then one
non-recursive walk over what is left (elements in document order, ends found from the
parent links): block elements start and end
lines, ``<br>`` splits a line, ``<a>`` is tracked for link density. Each line carries the
:class:`~classify.records.DomFacts` of the innermost block element that holds it.

Rules:

* Skipped with their content: ``head``, ``script``, ``style``, ``noscript``, ``template``,
  ``svg``, ``math``, ``iframe``, ``object``, ``embed``, ``canvas``, ``audio``, ``video``,
  ``select``/``option``, ``textarea``, comments, and elements that are hidden (``hidden``
  attribute, ``aria-hidden="true"``, inline style ``display:none`` or
  ``visibility:hidden``).
* When a page renders to under :data:`_NOSCRIPT_FALLBACK_CHARS_DEFAULT` characters and has
  ``<noscript>`` content, it is rendered again with that content (script-built pages).
* ``<pre>`` keeps its line breaks; everywhere else whitespace runs collapse to one space.
* ``tag_path`` lists the block elements from ``body`` down to the line's block (last
  :data:`_PATH_TAGS_DEFAULT`); ``depth`` counts all of them. Inline tags are not in it.
* ``class_tokens``: class and id tokens of the block, then of its block ancestors
  (nearest first), lowercased, split on non-alphanumerics, without pure numbers, deduped,
  at most :data:`_CLASS_TOKENS_DEFAULT`.
* Container facts (:func:`container_facts`, a pass after the walk): the share of the
  page's prose under each line's block and its ancestors, and where the line sits
  relative to the page's main prose container (before, inside, after), as readability and
  trafilatura find the content block.
* Nesting deeper than libxml2's limit (2048 levels; it stops building the tree there and
  silently drops the rest of the page): the page is parsed again with the tags below
  :data:`_FLATTEN_DEPTH_DEFAULT` levels removed (:func:`flatten_deep`), so all text is kept;
  :class:`RenderError` if even that is cut.

Speed: the walk runs compiled when ``classify/_walk.pyx`` is built (:data:`COMPILED`): it
reads libxml2's nodes directly, does the strip passes as it goes without changing the
tree, and gives the same lines and facts as the Python walk below, which is the reference
and the fallback (tests compare the two). In both, path, class tokens and facts are
computed only for blocks that hold a line, memoised per page, and identical
:class:`~classify.records.DomFacts` are one shared object. On the held-out corpus pages
(187 kB of HTML on average) the compiled path spends over half its time in lxml's parse.
"""

from __future__ import annotations

import codecs
import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from classify.records import (
    CLOSERS,
    PROSE_MIN_WORDS,
    TERMINAL_PUNCT,
    DomFacts,
    Line,
    Page,
    make_line,
    with_container,
)

_PATH_TAGS_DEFAULT = 6
"""Tags kept in ``tag_path``: deeper ancestors add little but length."""
_CLASS_TOKENS_DEFAULT = 24
"""Class/id tokens kept per line: the nearest ones carry the signal (``comment``, ``nav``)."""
_CHARSET_SNIFF_BYTES_DEFAULT = 4096
"""Bytes searched for a ``<meta charset>``: browsers look in the first 1024, pages vary."""

_NOSCRIPT_FALLBACK_CHARS_DEFAULT = 200
"""Below this much text, render ``<noscript>`` content too: the page is built by script."""
_LIBXML_MAX_DEPTH = 2048
"""libxml2 (huge mode) stops building the tree, and drops the rest, past this depth."""
_FLATTEN_DEPTH_DEFAULT = 512
"""Nesting kept when flattening a too-deep page: far below libxml2's limit, and deeper
blocks add nothing to a line but ``depth``."""
_FLATTEN_CLOSE_SEARCH_DEFAULT = 256
"""Open elements searched for an end tag's match: bounds the cost of stray end tags."""

_SKIP_TAGS = (
    "head",
    "title",
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "canvas",
    "audio",
    "video",
    "select",
    "option",
    "datalist",
    "textarea",
    "map",
)
"""Elements whose content is never visible text of the page."""

_INLINE_UNWRAP = (
    "span",
    "b",
    "i",
    "em",
    "strong",
    "small",
    "big",
    "u",
    "s",
    "strike",
    "sub",
    "sup",
    "font",
    "abbr",
    "acronym",
    "cite",
    "code",
    "kbd",
    "samp",
    "var",
    "tt",
    "mark",
    "q",
    "time",
    "label",
    "bdi",
    "bdo",
    "del",
    "ins",
    "dfn",
    "wbr",
    "nobr",
    "data",
    "img",
    "picture",
    "source",
    "input",
    "button",
    "font",
    "blink",
    "marquee",
    "meter",
    "progress",
    "output",
)
"""Inline tags unwrapped in C before the walk (content and tail kept): fewer nodes to visit."""

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LISTS = frozenset({"ul", "ol", "li", "dl", "dt", "dd", "menu", "dir"})
_TABLES = frozenset({"table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption"})
_CHROME = frozenset({"nav", "aside", "header", "footer", "form"})
_BLOCKS = frozenset(
    {
        "html",
        "body",
        "address",
        "article",
        "blockquote",
        "center",
        "details",
        "dialog",
        "div",
        "fieldset",
        "figcaption",
        "figure",
        "frameset",
        "frame",
        "hgroup",
        "legend",
        "main",
        "noframes",
        "p",
        "pre",
        "section",
        "summary",
        "listing",
        "xmp",
        "plaintext",
    }
    | _HEADINGS
    | _LISTS
    | _TABLES
    | _CHROME
)
_BREAKS = frozenset({"br", "hr"})
_BLANKS = " \t\n\r"
"""Whitespace that adds nothing to a line's text or link density: text made only of it is
not gathered when it would start a line (it would be collapsed away)."""

_F_LIST, _F_HEADING, _F_TABLE, _F_CHROME, _F_PRE = 1, 2, 4, 8, 16
_F_DOM = _F_LIST | _F_HEADING | _F_TABLE | _F_CHROME
_TAG_FLAGS: dict[str, int] = {
    **{t: _F_LIST for t in _LISTS},
    **{t: _F_HEADING for t in _HEADINGS},
    **{t: _F_TABLE for t in _TABLES},
    **{t: _F_CHROME for t in _CHROME},
    "pre": _F_PRE,
    "listing": _F_PRE,
    "xmp": _F_PRE,
    "plaintext": _F_PRE,
}

_HIDDEN_ATTRS_XPATH = etree.XPath("//@style|//@hidden|//@aria-hidden")
"""Attributes that may hide an element; selecting attributes is ~5x faster than predicates."""
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_TITLE_XPATH = etree.XPath("(/html/head/title | //title)[1]")
_NOSCRIPT_OPEN = re.compile(rb"<noscript", re.I)
_TAG_SCAN = re.compile(r"<(?:(/?)([A-Za-z][A-Za-z0-9:-]*)([^>]*)>|!--.*?-->|[!?][^>]*>)", re.S)
"""A start or end tag (name, attributes), or a comment / doctype / processing instruction."""
_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta"}
    | {"param", "source", "track", "wbr"}
)
_RAW_TEXT_TAGS = frozenset({"script", "style", "textarea", "title", "xmp", "plaintext"})
_CLASS_TOKEN = re.compile(r"[0-9]*[a-z][0-9a-z]*")
"""A run of ASCII letters and digits that is not a pure number (a class/id token)."""
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@functools.cache
def _tag_codes(skip: tuple[str, ...]) -> dict[str, int]:
    """Tag -> DOM flags plus what the compiled walk needs: 32 block, 64 ``a``, 128 break, 256
    ``li``, 512 skipped (``skip``), 1024 unwrapped (see classify/_walk.pyx)."""
    return {
        tag: _TAG_FLAGS.get(tag, 0)
        | (32 if tag in _BLOCKS else 0)
        | (64 if tag == "a" else 0)
        | (128 if tag in _BREAKS else 0)
        | (256 if tag == "li" else 0)
        | (512 if tag in skip else 0)
        | (1024 if tag in _INLINE_UNWRAP else 0)
        for tag in _BLOCKS | _BREAKS | {"a"} | set(skip) | set(_INLINE_UNWRAP)
    }


try:
    from classify import _walk
except ImportError:  # built without a C compiler: the pure-Python walk, same rules
    _walk = None  # type: ignore[assignment]
COMPILED = _walk is not None
"""The compiled walk (classify/_walk.pyx) is built and used by :func:`render_html`."""


class RenderError(ValueError):
    """The HTML could not be parsed at all."""


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How lines are written, the way different scrapers write them."""

    bullets: str = ""
    """Prefix for the first line of each ``<li>``, e.g. ``"- "``, ``"* "``, ``"• "``."""
    wrap: int | None = None
    """Wrap lines longer than this many characters at word boundaries (each piece a Line)."""


_PLAIN = RenderOptions()


def decode_html(data: bytes) -> str:
    """Decode page bytes: BOM, else valid UTF-8, else the declared charset, else UTF-8 lossy.

    Never raises: undecodable bytes become U+FFFD.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(name, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    head = data[:_CHARSET_SNIFF_BYTES_DEFAULT]
    match = _XML_DECL.search(head) or _META_CHARSET.search(head)
    if match:
        try:
            name = codecs.lookup(match.group(1).decode("ascii")).name
        except (LookupError, UnicodeDecodeError):
            name = "utf-8"
        if name.startswith(("utf-16", "utf-32")):
            name = "utf-8"  # a meta tag read as ASCII cannot be UTF-16; browsers do the same
        if name in ("latin-1", "iso8859-1", "ascii"):
            name = "cp1252"  # what browsers use for these labels
        return data.decode(name, errors="replace")
    return data.decode("utf-8", errors="replace")


def _to_utf8(html: str | bytes) -> bytes:
    text = decode_html(html) if isinstance(html, bytes) else html
    if "\x00" in text:
        text = text.replace("\x00", " ")
    return text.encode("utf-8", errors="replace")


def _parse_utf8(data: bytes) -> tuple[etree._Element | None, bool]:
    """Parse UTF-8 HTML; also whether libxml2 stopped at its nesting-depth limit."""
    parser = etree.HTMLParser(
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
        no_network=True,
        huge_tree=True,
        default_doctype=False,
        collect_ids=False,  # no id lookups here; saves a hash table per page
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.LxmlError, ValueError) as exc:
        raise RenderError(f"cannot parse HTML ({len(data)} bytes): {exc}") from exc
    last = parser.error_log.last_error
    too_deep = last is not None and last.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT
    return root, too_deep


def _parse(data: bytes) -> etree._Element | None:
    """Parse UTF-8 HTML. Past libxml2's nesting limit (it stops building the tree there and
    drops everything after), parse again with the deep tags flattened (see
    :func:`flatten_deep`); raise :class:`RenderError` if even that is cut."""
    if not data.strip():
        return None
    root, too_deep = _parse_utf8(data)
    if too_deep:
        flat = flatten_deep(data.decode("utf-8", errors="replace")).encode("utf-8")
        root, too_deep = _parse_utf8(flat)
        if too_deep:
            raise RenderError(f"nesting deeper than {_LIBXML_MAX_DEPTH} levels, even flattened")
    return root


def flatten_deep(html: str, max_depth: int = _FLATTEN_DEPTH_DEFAULT) -> str:
    """Drop the start and end tags of elements nested deeper than ``max_depth`` (text kept).

    Open elements are tracked with a tag scanner (void and self-closed tags, comments and
    the raw text of ``script``/``style``/... handled); an end tag closes the nearest open
    element of its name within :data:`_FLATTEN_CLOSE_SEARCH_DEFAULT` levels. Implied end
    tags (``<p>``, ``<li>``) are not modelled, so the depth counted here is never below the
    parser's: flattening errs towards dropping more tags, never fewer.
    """
    out: list[str] = []
    stack: list[tuple[str, bool]] = []
    pos = 0
    n = len(html)
    while pos < n:
        m = _TAG_SCAN.search(html, pos)
        if m is None:
            break
        out.append(html[pos : m.start()])
        pos = m.end()
        name = m.group(2)
        if name is None:  # comment, doctype or processing instruction
            out.append(m.group(0))
            continue
        name = name.lower()
        if m.group(1):  # end tag
            low = max(0, len(stack) - _FLATTEN_CLOSE_SEARCH_DEFAULT)
            for i in range(len(stack) - 1, low - 1, -1):
                if stack[i][0] == name:
                    if stack[i][1]:
                        out.append(m.group(0))
                    del stack[i:]
                    break
            else:
                out.append(m.group(0))
            continue
        if name in _VOID_TAGS or m.group(3).rstrip().endswith("/"):
            out.append(m.group(0))
            continue
        keep = len(stack) < max_depth
        if keep:
            out.append(m.group(0))
        if name in _RAW_TEXT_TAGS:  # never visible: dropped whole when too deep
            end = re.compile(rf"</{name}\s*>", re.I).search(html, pos)
            stop = n if end is None else end.end()
            if keep:
                out.append(html[pos:stop])
            pos = stop
            continue
        stack.append((name, keep))
    out.append(html[pos:])
    return "".join(out)


_HIDDEN_MARK = "CLASSIFY-HIDDEN"
"""Tag given to hidden elements before they are stripped: the HTML parser lowercases every
tag, so no page can hold it."""


def _drop_hidden(root: etree._Element) -> None:
    """Remove hidden elements with their content, keeping their tails (see the module rules).

    They are marked and stripped in C, which keeps the tail text where it was (setting text
    through the API would refuse control characters that the parser let through)."""
    marked = False
    for value in _HIDDEN_ATTRS_XPATH(root):
        name = getattr(value, "attrname", "")
        if (
            name == "hidden"
            or (name == "aria-hidden" and str(value).strip().lower() == "true")
            or (name == "style" and _HIDDEN_STYLE.search(str(value)))
        ):
            el = value.getparent()
            if el is not None and el.tag not in ("html", "body"):
                el.tag = _HIDDEN_MARK
                marked = True
    if marked:
        etree.strip_elements(root, _HIDDEN_MARK, with_tail=False)


def _title(root: etree._Element) -> str | None:
    found = _TITLE_XPATH(root)
    if not isinstance(found, list) or not found:
        return None
    node = found[0]
    if not isinstance(node, etree._Element):
        return None
    text = " ".join("".join(node.itertext()).split())
    return text or None


def wrap_text(text: str, width: int) -> list[str]:
    """Greedy word wrap into pieces of at most ``width`` chars (a longer word stays whole)."""
    if len(text) <= width:
        return [text]
    out: list[str] = []
    words: list[str] = []
    size = -1
    for word in text.split(" "):
        if words and size + 1 + len(word) > width:
            out.append(" ".join(words))
            words = []
            size = -1
        words.append(word)
        size += 1 + len(word)
    if words:
        out.append(" ".join(words))
    return out


def _own_tokens(raw: str) -> tuple[tuple[str, ...], frozenset[str], int]:
    """The class/id tokens of one block's ``"class id"`` string: lowercased, split on
    non-alphanumerics, without pure numbers, deduped, at most :data:`_CLASS_TOKENS_DEFAULT`;
    the same as a set, and the room left for inherited tokens."""
    own = tuple(dict.fromkeys(_CLASS_TOKEN.findall(raw.lower())))[:_CLASS_TOKENS_DEFAULT]
    return own, frozenset(own), _CLASS_TOKENS_DEFAULT - len(own)


def _link_density(linked: list[str], total: int) -> float:
    """Share of a line's ``total`` visible (non-space) characters that are inside links, from
    the ``linked`` text pieces, rounded to 4 places."""
    lk = "".join(linked)
    visible = len(lk) - lk.count(" ") - lk.count("\n") - lk.count("\t") - lk.count("\r")
    return round(min(1.0, visible / total), 4)


def _make_facts(path: str, tokens: str, flags: int, depth: int, link_density: float) -> DomFacts:
    """The :class:`DomFacts` of a line of a block (container fields left zero)."""
    return DomFacts(
        tag_path=path,
        class_tokens=tokens,
        link_density=link_density,
        in_list=bool(flags & _F_LIST),
        in_heading=bool(flags & _F_HEADING),
        in_table=bool(flags & _F_TABLE),
        in_chrome=bool(flags & _F_CHROME),
        depth=depth,
    )


class _Walk:
    """The open block elements during one walk, as parallel stacks (internal).

    Index ``i`` is the block at depth ``i`` (``html`` at 0). :func:`_render_lines` pushes
    and pops the stacks itself (no call per block). Class tokens and the static part of
    the facts are computed only for blocks that hold a line, and then cached at their
    level until the block closes; identical facts share one :class:`DomFacts`.
    """

    __slots__ = (
        "els",
        "facts",
        "flags",
        "keys",
        "li_of",
        "li_started",
        "line_facts",
        "merged",
        "options",
        "own",
        "plain",
        "spans",
        "tags",
        "texts",
        "tokens",
    )

    def __init__(self, options: RenderOptions) -> None:
        self.options = options
        self.plain = not options.bullets and options.wrap is None
        """Lines are written as they are (no bullets, no wrapping)."""
        self.texts: list[str] = []
        self.line_facts: list[DomFacts] = []
        """Text and facts of each line written so far (the lines are made at the end)."""
        self.tags: list[str] = []
        self.els: list[etree._Element] = []
        self.flags: list[int] = []
        """Flags of the block and all its block ancestors, OR-ed."""
        self.tokens: list[tuple[str, ...] | None] = []
        """Class tokens of the block, once computed (else ``None``)."""
        self.keys: list[tuple[str, str, int, int] | None] = []
        """(tag path, class tokens, DOM flags, depth) of the block, once computed."""
        self.li_of: list[int] = []
        """Level of the nearest ``<li>`` at or above each level, or -1 (bullets only)."""
        self.li_started: list[bool] = []
        self.own: dict[str, tuple[tuple[str, ...], frozenset[str], int]] = {}
        """Raw ``class id`` attribute string -> its first distinct tokens (capped), as a
        set, and the room they leave for inherited tokens (:func:`_own_tokens`)."""
        self.merged: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}
        """(raw ``class id`` string, inherited tokens) -> the block's tokens (:meth:`_merge`)."""
        self.facts: dict[tuple[tuple[str, str, int, int], float], DomFacts] = {}
        self.spans: list[tuple[etree._Element, int, int]] = []
        """(block element, first line, end line) of each written text (for
        :func:`container_facts`)."""

    def _tokens(self, level: int) -> tuple[str, ...]:
        tokens = self.tokens
        j = level
        while j >= 0 and tokens[j] is None:
            j -= 1
        inherited: tuple[str, ...] = (tokens[j] or ()) if j >= 0 else ()
        merged = self.merged
        els = self.els
        for i in range(j + 1, level + 1):
            el = els[i]
            cls = el.get("class")
            ident = el.get("id")
            if cls or ident:
                key = (f"{cls or ''} {ident or ''}", inherited)
                found = merged.get(key)
                if found is None:  # sibling blocks mostly repeat their class and parent
                    found = merged[key] = self._merge(*key)
                inherited = found
            tokens[i] = inherited
        return inherited

    def _merge(self, raw: str, inherited: tuple[str, ...]) -> tuple[str, ...]:
        """A block's class tokens: its own (of its ``"class id"`` string ``raw``) first, then
        the ``inherited`` ones not among them, at most :data:`_CLASS_TOKENS_DEFAULT`."""
        found = self.own.get(raw)
        if found is None:
            found = self.own[raw] = _own_tokens(raw)
        own, own_set, room = found
        if not own:
            return inherited
        if room <= 0 or not inherited:
            return own
        if own_set.isdisjoint(inherited):
            return own + inherited[:room]
        return own + tuple([t for t in inherited if t not in own_set][:room])

    def _facts(self, level: int, link_density: float) -> DomFacts:
        static = self.keys[level]
        if static is None:
            tags = self.tags
            start = max(level + 1 - _PATH_TAGS_DEFAULT, 1 if tags[0] == "html" else 0)
            path = ">".join(tags[start : level + 1])
            tokens = " ".join(self._tokens(level))
            static = (path, tokens, self.flags[level] & _F_DOM, level)
            self.keys[level] = static
        key = (static, link_density)
        found = self.facts.get(key)
        if found is None:
            found = self.facts[key] = _make_facts(*static, link_density)
        return found

    def flush(self, segs: list[str], linked: list[str]) -> None:
        """Write the text gathered since the last block boundary (unless it is all
        whitespace) and empty ``segs`` and ``linked`` for the next."""
        raw = "".join(segs)
        if not raw.isspace():
            level = len(self.tags) - 1
            if self.plain and level >= 0 and not self.flags[level] & _F_PRE:
                # :meth:`emit` inlined for its common case: one line, written as is
                text = " ".join(raw.split())
                total = len(text) - text.count(" ")
                density = _link_density(linked, total) if linked and total else 0.0
                start = len(self.texts)
                self.texts.append(text)
                self.line_facts.append(self._facts(level, density))
                self.spans.append((self.els[-1], start, start + 1))
            else:
                start = len(self.texts)
                self.emit(raw, linked)
                if len(self.texts) > start:
                    self.spans.append((self.els[-1], start, len(self.texts)))
        segs.clear()
        linked.clear()

    def emit(self, raw: str, linked: list[str]) -> None:
        """Write the text gathered in the innermost open block as line(s); ``raw`` is not
        all whitespace."""
        level = len(self.tags) - 1
        if level < 0:
            return
        if self.flags[level] & _F_PRE:
            pieces = [p for p in (" ".join(q.split()) for q in raw.splitlines()) if p]
            total = sum(len(p) - p.count(" ") for p in pieces)
        else:
            text = " ".join(raw.split())
            pieces = [text]
            total = len(text) - text.count(" ")
        density = _link_density(linked, total) if linked and total else 0.0
        facts = self._facts(level, density)
        texts = self.texts
        bullets = self.options.bullets
        wrap = self.options.wrap
        if not bullets and wrap is None:
            texts.extend(pieces)
            self.line_facts.extend([facts] * len(pieces))
            return
        li = self.li_of[level] if bullets else -1  # li_of is kept only for bullets
        for piece in pieces:
            text = piece
            if bullets and li >= 0 and not self.li_started[li]:
                self.li_started[li] = True
                text = bullets + piece
            if wrap is not None and len(text) > wrap:
                parts = wrap_text(text, wrap)
                texts.extend(parts)
                self.line_facts.extend([facts] * len(parts))
            else:
                texts.append(text)
                self.line_facts.append(facts)


_MAIN_SHARE_DEFAULT = 0.5
"""The main container holds more than this share of the page's prose (so candidates nest:
the deepest one is the main container)."""

_Span = tuple[etree._Element, int, int]


def container_facts(
    texts: Sequence[str], facts: Sequence[DomFacts], spans: Sequence[_Span]
) -> Sequence[DomFacts]:
    """The lines' :class:`DomFacts` with their container fields filled from the tree.

    ``texts`` and ``facts`` are the lines' text and facts; ``spans`` are (block element,
    first line, end line) of each text the walk wrote, in document order (all lines of a
    span share one :class:`DomFacts`). A span is prose when
    it has at least :data:`~classify.records.PROSE_MIN_WORDS` words and ends in terminal
    punctuation; its words count for its block and every ancestor. The *main container* is
    the deepest element that is an ancestor of a prose span's block and holds more than
    :data:`_MAIN_SHARE_DEFAULT` of the page's prose words. Each line then gets the shares
    of the page's prose under its block, the block's parent and its ancestor three levels
    up, the prose share of the words of the block and its siblings (the texts whose block
    has the same parent; all rounded to 0.01), whether it is before,
    inside or after the main container, and the main container's prose share and link
    density. Lines of a page without prose keep their facts (all fields zero).
    Each element is visited once; identical facts stay one shared object.
    """
    if not spans:
        return facts
    n_words: list[int] = []
    prose: list[int] = []
    total = 0
    for _, start, end in spans:
        # lines are single-spaced (whitespace collapsed): words are spaces + 1
        if end - start == 1:
            text = texts[start]
            words = text.count(" ") + 1
        else:
            words = sum(t.count(" ") + 1 for t in texts[start:end])
            text = texts[end - 1]
        n_words.append(words)
        if words >= PROSE_MIN_WORDS and text.rstrip(CLOSERS)[-1:] in TERMINAL_PUNCT:
            prose.append(words)
            total += words
        else:
            prose.append(0)
    if not total:
        return facts
    # the parent of every span's block and of its ancestors (each element visited once)
    parent: dict[etree._Element, etree._Element | None] = {}
    for el, _, _ in spans:
        if el in parent:
            continue
        parent[el] = up = el.getparent()
        while up is not None and up not in parent:
            parent[up] = above_up = up.getparent()
            up = above_up
    # prose words under each element, and the elements above a prose block
    under: dict[etree._Element, int] = {}
    above: set[etree._Element] = set()
    sibling_words: dict[etree._Element | None, int] = {}
    sibling_prose: dict[etree._Element | None, int] = {}
    for (el, _, _), words, w in zip(spans, n_words, prose, strict=True):
        up = parent[el]
        sibling_words[up] = sibling_words.get(up, 0) + words
        if w:
            sibling_prose[up] = sibling_prose.get(up, 0) + w
            under[el] = under.get(el, 0) + w
            while up is not None:
                under[up] = under.get(up, 0) + w
                above.add(up)
                up = parent[up]
    # holders of over half the prose nest (one chain); the main container is the deepest
    holders = {e for e in above if under[e] > _MAIN_SHARE_DEFAULT * total}
    if not holders:  # the only prose is the root's own text
        return facts
    main = next(e for e in holders if not any(parent[h] is e for h in holders))
    inside: dict[etree._Element | None, bool] = {main: True}
    span_inside: list[bool] = []
    for el, _, _ in spans:
        found = inside.get(el)
        if found is None:
            path = []
            node: etree._Element | None = el
            while node is not None and node not in inside:
                path.append(node)
                node = parent[node]
            found = node is not None and inside[node]
            for seen in path:
                inside[seen] = found
        span_inside.append(found)
    chars = link = 0.0
    for (_, start, end), yes in zip(spans, span_inside, strict=True):
        if yes:
            for k in range(start, end):
                size = len(texts[k])
                chars += size
                link += facts[k].link_density * size
    main_share = round(under[main] / total, 2)
    main_links = round(link / chars, 2) if chars else 0.0
    scale = 100.0 / total  # shares in hundredths, rounded half up (cheaper than round())
    first = span_inside.index(True)
    out = list(facts)
    shares_of: dict[etree._Element, tuple[float, float, float, float]] = {}
    made: dict[tuple[int, tuple[float, float, float, float], int], DomFacts] = {}
    for k, (el, start, end) in enumerate(spans):
        base = facts[start]
        shares = shares_of.get(el)
        if shares is None:
            up1 = parent[el]
            up3 = el  # three levels up, or the root if that is nearer
            for _ in range(3):
                next_up = parent[up3]
                if next_up is None:
                    break
                up3 = next_up
            shares = shares_of[el] = (
                int(under.get(el, 0) * scale + 0.5) / 100,
                0.0 if up1 is None else int(under.get(up1, 0) * scale + 0.5) / 100,
                int(under.get(up3, 0) * scale + 0.5) / 100,
                int(100.0 * sibling_prose.get(up1, 0) / max(sibling_words[up1], 1) + 0.5) / 100,
            )
        key = (id(base), shares, 2 if span_inside[k] else 1 if k < first else 3)
        filled = made.get(key)
        if filled is None:
            filled = made[key] = with_container(base, shares, key[2], main_share, main_links)
        if end - start == 1:
            out[start] = filled
        else:
            out[start:end] = [filled] * (end - start)
    return out


def _render_lines(
    root: etree._Element,
    options: RenderOptions,
    skip: tuple[str, ...] = _SKIP_TAGS,
    *,
    compiled: bool = True,
) -> list[Line]:
    """The lines of a parsed page (the tree is changed). ``compiled``: use the compiled
    walk when it is built (:data:`COMPILED`); the pure-Python walk follows the same rules
    and is the reference the tests compare it with."""
    if _walk is not None and compiled:  # the strip passes below are done as it walks
        return _walk.walk(
            root,
            plain=not options.bullets and options.wrap is None,
            bullets=options.bullets,
            wrap=options.wrap,
            tag_flags=_tag_codes(skip),
            class_tokens=_CLASS_TOKENS_DEFAULT,
            wrap_text=wrap_text,
            path_tags=_PATH_TAGS_DEFAULT,
            prose_words=PROSE_MIN_WORDS,
            closers=CLOSERS,
            terminal=TERMINAL_PUNCT,
            main_share=_MAIN_SHARE_DEFAULT,
            hidden_style=_HIDDEN_STYLE,
        )
    etree.strip_elements(root, *skip, with_tail=False)
    _drop_hidden(root)  # after the strip: fewer elements to search
    etree.strip_tags(root, *_INLINE_UNWRAP)

    blocks = _BLOCKS
    breaks = _BREAKS
    tag_flags = _TAG_FLAGS
    walk = _Walk(options)
    flush = walk.flush
    open_tags = walk.tags
    els = walk.els
    flags = walk.flags
    tokens = walk.tokens
    keys = walk.keys
    li_of = walk.li_of
    li_started = walk.li_started
    bullets = bool(options.bullets)
    segs: list[str] = []
    linked: list[str] = []
    anchors = 0

    # Elements in document order; an element's end comes when the next one is not its
    # child (lxml returns the same proxy for an element while one is alive: ``is`` works).
    # Half the Python work of etree.iterwalk's start and end events.
    open_els: list[etree._Element] = []
    open_el_tags: list[str] = []  # the tag of each open element (read once)
    for el in itertools.chain(root.iter(), (None,)):
        parent = None if el is None else el.getparent()  # the end closes every element
        while open_els and open_els[-1] is not parent:
            done = open_els.pop()
            tag = open_el_tags.pop()
            if tag in blocks:
                if segs:
                    flush(segs, linked)
                open_tags.pop()
                els.pop()
                flags.pop()
                tokens.pop()
                keys.pop()
                if bullets:
                    li_of.pop()
                    li_started.pop()
            elif tag == "a":
                anchors -= 1
            tail = done.tail
            if tail and open_tags and (segs or not tail.isspace() or tail.strip(_BLANKS)):
                segs.append(tail)
                if anchors:
                    linked.append(tail)
        if el is None:
            break
        open_els.append(el)
        tag = el.tag
        open_el_tags.append(tag)
        if tag in blocks:
            if segs:
                flush(segs, linked)
            flags.append((flags[-1] if flags else 0) | tag_flags.get(tag, 0))
            if bullets:
                li_of.append(len(open_tags) if tag == "li" else li_of[-1] if li_of else -1)
                li_started.append(False)
            open_tags.append(tag)
            els.append(el)
            tokens.append(None)
            keys.append(None)
        elif tag == "a":
            anchors += 1
        elif tag in breaks:
            if segs:
                flush(segs, linked)
            continue
        text = el.text
        if text and open_tags and (segs or not text.isspace() or text.strip(_BLANKS)):
            segs.append(text)
            if anchors:
                linked.append(text)
    if segs:
        flush(segs, linked)
    facts = container_facts(walk.texts, walk.line_facts, walk.spans)
    return list(map(make_line, walk.texts, facts))


def render_html(
    html: str | bytes,
    *,
    id: str = "",
    url: str | None = None,
    site: str | None = None,
    options: RenderOptions = _PLAIN,
) -> Page:
    """Render HTML to a :class:`Page` of visible text blocks with their DOM facts.

    Raises :class:`RenderError` only when lxml cannot parse the input at all, or when its
    nesting is too deep even after flattening; empty or garbage input gives a page with few
    or no lines.
    """
    data = _to_utf8(html)
    root = _parse(data)
    if root is None:
        return Page(id=id, lines=(), url=url, site=site, title=None)
    title = _title(root)
    lines = _render_lines(root, options)
    if sum(len(line.text) for line in lines) < _NOSCRIPT_FALLBACK_CHARS_DEFAULT and (
        _NOSCRIPT_OPEN.search(data) is not None
    ):
        # script-built page (e.g. a forum app) that serves its content in <noscript>
        root = _parse(data)
        if root is not None:
            skip = tuple(t for t in _SKIP_TAGS if t != "noscript")
            lines = _render_lines(root, options, skip)
    return Page(id=id, lines=tuple(lines), url=url, site=site, title=title)


def html_to_text(html: str | bytes, *, options: RenderOptions = _PLAIN) -> str:
    """The rendered lines of a page joined by newlines."""
    return "\n".join(render_html(html, options=options).texts)
