"""HTML to line records: the visible text blocks of a page, one block per line.

One parse with libxml2 (``lxml.etree.HTMLParser``), then a few passes in C that shrink the
tree (drop invisible subtrees, unwrap inline tags other than ``<a>``), then one
non-recursive walk (``etree.iterwalk``) over what is left: block elements start and end
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
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from lxml import etree

from classify.records import DomFacts, Line, Page

_PATH_TAGS_DEFAULT = 6
"""Tags kept in ``tag_path``: deeper ancestors add little but length."""
_CLASS_TOKENS_DEFAULT = 24
"""Class/id tokens kept per line: the nearest ones carry the signal (``comment``, ``nav``)."""
_CHARSET_SNIFF_BYTES_DEFAULT = 4096
"""Bytes searched for a ``<meta charset>``: browsers look in the first 1024, pages vary."""

_NOSCRIPT_FALLBACK_CHARS_DEFAULT = 200
"""Below this much text, render ``<noscript>`` content too: the page is built by script."""

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

_F_LIST, _F_HEADING, _F_TABLE, _F_CHROME, _F_PRE = 1, 2, 4, 8, 16
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
_TOKEN_SPLIT = re.compile(r"[^0-9a-z]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


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


class _Frame:
    """An open block element during the walk (internal, one per block).

    Path and class tokens are computed only for blocks that hold a line, walking up the
    parents iteratively (no recursion, for very deep pages).
    """

    __slots__ = (
        "_facts",
        "_last",
        "_tokens",
        "depth",
        "el",
        "flags",
        "li",
        "li_started",
        "parent",
        "tag",
    )

    def __init__(self, tag: str, el: etree._Element, parent: _Frame | None) -> None:
        self.tag = tag
        self.el = el
        self.parent = parent
        self._tokens: tuple[str, ...] | None = None
        self._facts: tuple[str, str] | None = None
        self._last: DomFacts | None = None
        self.li_started = False
        if parent is None:
            self.flags = _TAG_FLAGS.get(tag, 0)
            self.depth = 0
            self.li: _Frame | None = self if tag == "li" else None
        else:
            self.flags = parent.flags | _TAG_FLAGS.get(tag, 0)
            self.depth = parent.depth + 1
            self.li = self if tag == "li" else parent.li

    def _own_tokens(self, cache: dict[str, list[str]]) -> list[str]:
        cls = self.el.get("class")
        ident = self.el.get("id")
        if not (cls or ident):
            return []
        raw = f"{cls or ''} {ident or ''}"
        own = cache.get(raw)
        if own is None:
            own = [t for t in _TOKEN_SPLIT.split(raw.lower()) if t and not t.isdigit()]
            cache[raw] = own
        return own

    def tokens(self, cache: dict[str, list[str]]) -> tuple[str, ...]:
        chain: list[_Frame] = []
        node: _Frame | None = self
        while node is not None and node._tokens is None:
            chain.append(node)
            node = node.parent
        inherited: tuple[str, ...] = () if node is None else node._tokens or ()
        for item in reversed(chain):
            own = item._own_tokens(cache)
            if own:
                merged = dict.fromkeys(own)
                merged.update(dict.fromkeys(inherited))
                inherited = tuple(merged)[:_CLASS_TOKENS_DEFAULT]
            item._tokens = inherited
        return inherited

    def facts(self, link_density: float, cache: dict[str, list[str]]) -> DomFacts:
        last = self._last
        if last is not None and last.link_density == link_density:
            return last
        if self._facts is None:
            path: list[str] = []
            node: _Frame | None = self
            while node is not None and len(path) < _PATH_TAGS_DEFAULT and node.tag != "html":
                path.append(node.tag)
                node = node.parent
            self._facts = (">".join(reversed(path)), " ".join(self.tokens(cache)))
        f = self.flags
        self._last = DomFacts(
            tag_path=self._facts[0],
            class_tokens=self._facts[1],
            link_density=link_density,
            in_list=bool(f & _F_LIST),
            in_heading=bool(f & _F_HEADING),
            in_table=bool(f & _F_TABLE),
            in_chrome=bool(f & _F_CHROME),
            depth=self.depth,
        )
        return self._last


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


def _parse(html: str | bytes) -> etree._Element | None:
    text = decode_html(html) if isinstance(html, bytes) else html
    if "\x00" in text:
        text = text.replace("\x00", " ")
    data = text.encode("utf-8", errors="replace")
    if not data.strip():
        return None
    parser = etree.HTMLParser(
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
        no_network=True,
        huge_tree=True,
        default_doctype=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.LxmlError, ValueError) as exc:
        raise RenderError(f"cannot parse HTML ({len(data)} bytes): {exc}") from exc
    return root


def _drop_keep_tail(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _drop_hidden(root: etree._Element) -> None:
    hidden = []
    for value in _HIDDEN_ATTRS_XPATH(root):
        name = getattr(value, "attrname", "")
        if (
            name == "hidden"
            or (name == "aria-hidden" and str(value).strip().lower() == "true")
            or (name == "style" and _HIDDEN_STYLE.search(str(value)))
        ):
            el = value.getparent()
            if el is not None and el.tag not in ("html", "body"):
                hidden.append(el)
    for el in hidden:
        _drop_keep_tail(el)


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


def _visible_chars(parts: list[str]) -> int:
    return sum(len(p) - p.count(" ") - p.count("\n") - p.count("\t") - p.count("\r") for p in parts)


def _emit(
    out: list[Line],
    frame: _Frame,
    raw: str,
    linked: list[str],
    options: RenderOptions,
    cache: dict[str, list[str]],
) -> None:
    if frame.flags & _F_PRE:
        pieces = [p for p in (" ".join(q.split()) for q in raw.splitlines()) if p]
    else:
        pieces = [" ".join(raw.split())]
    total = sum(len(p) - p.count(" ") for p in pieces)
    density = min(1.0, _visible_chars(linked) / total) if linked and total else 0.0
    facts = frame.facts(round(density, 4), cache)
    bullets = options.bullets
    wrap = options.wrap
    li = frame.li
    for piece in pieces:
        text = piece
        if bullets and li is not None and not li.li_started:
            li.li_started = True
            text = bullets + piece
        if wrap is not None and len(text) > wrap:
            out.extend(Line(part, facts) for part in wrap_text(text, wrap))
        else:
            out.append(Line(text, facts))


def _render_lines(
    root: etree._Element, options: RenderOptions, skip: tuple[str, ...] = _SKIP_TAGS
) -> list[Line]:
    _drop_hidden(root)
    etree.strip_elements(root, *skip, with_tail=False)
    etree.strip_tags(root, *_INLINE_UNWRAP)

    blocks = _BLOCKS
    breaks = _BREAKS
    out: list[Line] = []
    cache: dict[str, list[str]] = {}
    segs: list[str] = []
    linked: list[str] = []
    anchors = 0
    stack: list[_Frame] = []
    frame: _Frame | None = None

    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag
        if event == "start":
            if tag in blocks:
                if segs:
                    raw = "".join(segs)
                    if frame is not None and not raw.isspace():
                        _emit(out, frame, raw, linked, options, cache)
                    segs.clear()
                    linked.clear()
                frame = _Frame(tag, el, frame)
                stack.append(frame)
            elif tag == "a":
                anchors += 1
            elif tag in breaks:
                if segs:
                    raw = "".join(segs)
                    if frame is not None and not raw.isspace():
                        _emit(out, frame, raw, linked, options, cache)
                    segs.clear()
                    linked.clear()
                continue
            text = el.text
            if text and frame is not None:
                segs.append(text)
                if anchors:
                    linked.append(text)
        else:
            if tag in blocks:
                if segs:
                    raw = "".join(segs)
                    if frame is not None and not raw.isspace():
                        _emit(out, frame, raw, linked, options, cache)
                    segs.clear()
                    linked.clear()
                stack.pop()
                frame = stack[-1] if stack else None
            elif tag == "a":
                anchors -= 1
            tail = el.tail
            if tail and frame is not None:
                segs.append(tail)
                if anchors:
                    linked.append(tail)
    if segs and frame is not None:
        raw = "".join(segs)
        if not raw.isspace():
            _emit(out, frame, raw, linked, options, cache)
    return out


def render_html(
    html: str | bytes,
    *,
    id: str = "",
    url: str | None = None,
    site: str | None = None,
    options: RenderOptions = _PLAIN,
) -> Page:
    """Render HTML to a :class:`Page` of visible text blocks with their DOM facts.

    Raises :class:`RenderError` only when lxml cannot parse the input at all; empty or
    garbage input gives a page with few or no lines.
    """
    root = _parse(html)
    if root is None:
        return Page(id=id, lines=(), url=url, site=site, title=None)
    title = _title(root)
    has_noscript = root.find(".//noscript") is not None
    lines = tuple(_render_lines(root, options))
    if has_noscript and sum(len(line.text) for line in lines) < _NOSCRIPT_FALLBACK_CHARS_DEFAULT:
        # script-built page (e.g. a forum app) that serves its content in <noscript>
        root = _parse(html)
        if root is not None:
            skip = tuple(t for t in _SKIP_TAGS if t != "noscript")
            lines = tuple(_render_lines(root, options, skip))
    return Page(id=id, lines=lines, url=url, site=site, title=title)


def html_to_text(html: str | bytes, *, options: RenderOptions = _PLAIN) -> str:
    """The rendered lines of a page joined by newlines."""
    return "\n".join(render_html(html, options=options).texts)
