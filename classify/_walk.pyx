# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The walk of :func:`classify.render._render_lines`, compiled.

It reads libxml2's nodes under an lxml element directly (lxml's public C API) instead of
going through element proxies, and does the per-line bookkeeping of ``render._Walk`` in
C. The rules are those of the Python walk in ``classify/render.py``, which stays as the
reference and as the fallback when this module is not built: tests/test_render.py checks
that both give the same lines, facts and spans.
"""

from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.string cimport strcmp, strlen

cimport lxml.includes.etreepublic as cetree
from lxml.includes cimport tree
from lxml.includes.tree cimport xmlAttr, xmlNode

import builtins
from dataclasses import fields

import numpy as np

from classify.records import DomFacts, Line

cetree.import_lxml__etree()

cdef extern from "Python.h":
    void PyObject_GC_UnTrack(void* op)


cdef object _round = builtins.round
cdef object _new = object.__new__
# DomFacts is a frozen dataclass with slots: its records are made by setting the slots
# through their descriptors, as classify.records does (no __init__, no Python frame)
(
    _tag_path, _class_tokens, _link_density, _in_list, _in_heading, _in_table, _in_chrome,
    _depth, _prose_block, _prose_parent, _prose_up3, _parent_prose_density, _main_position,
    _main_share, _main_link_density,
) = [getattr(DomFacts, f.name).__set__ for f in fields(DomFacts)]
_line_text, _line_dom = [getattr(Line, f.name).__set__ for f in fields(Line)]


cdef list _lines(list texts, list facts):
    """``list(map(records.make_line, texts, facts))``, the lines left out of the cyclic
    collector's sight: a Line holds a str and a DomFacts, which hold no containers, so no
    cycle can pass through them, and a batch of rendered pages is thousands of them."""
    cdef Py_ssize_t i, n = len(texts)
    out = [None] * n
    for i in range(n):
        obj = _new(Line)
        _line_text(obj, texts[i])
        _line_dom(obj, facts[i])
        PyObject_GC_UnTrack(<void*>obj)
        out[i] = obj
    return out


cdef object _dom_facts(tuple static, double link_density):
    """``render._make_facts(*static, link_density)``."""
    path, tokens, flags, depth = static
    cdef int f = flags
    obj = _new(DomFacts)
    _tag_path(obj, path)
    _class_tokens(obj, tokens)
    _link_density(obj, link_density)
    _in_list(obj, bool(f & F_LIST))
    _in_heading(obj, bool(f & F_HEADING))
    _in_table(obj, bool(f & F_TABLE))
    _in_chrome(obj, bool(f & F_CHROME))
    _depth(obj, depth)
    _prose_block(obj, 0.0)
    _prose_parent(obj, 0.0)
    _prose_up3(obj, 0.0)
    _parent_prose_density(obj, 0.0)
    _main_position(obj, 0)
    _main_share(obj, 0.0)
    _main_link_density(obj, 0.0)
    PyObject_GC_UnTrack(<void*>obj)  # holds only str, float, bool and int: no cycle
    return obj


cdef object _with_container(base, tuple shares, int position, double share, double links):
    """``records.with_container``."""
    obj = _new(DomFacts)
    _tag_path(obj, base.tag_path)
    _class_tokens(obj, base.class_tokens)
    _link_density(obj, base.link_density)
    _in_list(obj, base.in_list)
    _in_heading(obj, base.in_heading)
    _in_table(obj, base.in_table)
    _in_chrome(obj, base.in_chrome)
    _depth(obj, base.depth)
    _prose_block(obj, shares[0])
    _prose_parent(obj, shares[1])
    _prose_up3(obj, shares[2])
    _parent_prose_density(obj, shares[3])
    _main_position(obj, position)
    _main_share(obj, share)
    _main_link_density(obj, links)
    PyObject_GC_UnTrack(<void*>obj)
    return obj

# tag codes: the DOM flags of render._TAG_FLAGS in the low bits, then what the walk needs
cdef enum:
    F_LIST = 1
    F_HEADING = 2
    F_TABLE = 4
    F_CHROME = 8
    F_PRE = 16
    F_DOM = 15
    K_BLOCK = 32
    K_ANCHOR = 64
    K_BREAK = 128
    K_LI = 256
    K_SKIP = 512
    K_UNWRAP = 1024


cdef inline bint _is_text(xmlNode* n) noexcept nogil:
    return n.type == tree.XML_TEXT_NODE or n.type == tree.XML_CDATA_SECTION_NODE


cdef inline xmlNode* _text_or_skip(xmlNode* n) noexcept nogil:
    """lxml's ``_textNodeOrSkip``: ``n`` if it is text, past XInclude markers, else NULL."""
    while n is not NULL:
        if _is_text(n):
            return n
        if n.type == tree.XML_XINCLUDE_START or n.type == tree.XML_XINCLUDE_END:
            n = n.next
        else:
            return NULL
    return NULL


cdef inline xmlNode* _next_element(xmlNode* n) noexcept nogil:
    """The first node from ``n`` on (``n`` included) that ``etree.iter()`` yields."""
    while n is not NULL and not cetree._isElement(n):
        n = n.next
    return n


cdef inline Py_ssize_t _visible(const char* s) noexcept nogil:
    """Code points of UTF-8 ``s`` that are not ' ', '\\n', '\\t' or '\\r'."""
    cdef Py_ssize_t count = 0
    cdef unsigned char c
    while s[0] != 0:
        c = <unsigned char>s[0]
        if (c & 0xC0) != 0x80 and c != 32 and c != 10 and c != 9 and c != 13:
            count += 1
        s += 1
    return count


cdef inline bint _blank(const char* s) noexcept nogil:
    """All of ``s`` is ' ', '\\t', '\\n' or '\\r'."""
    cdef unsigned char c
    while s[0] != 0:
        c = <unsigned char>s[0]
        if c != 32 and c != 10 and c != 9 and c != 13:
            return False
        s += 1
    return True


cdef object _utf8(const char* s):
    return PyUnicode_DecodeUTF8(s, strlen(s), NULL)


cdef object _attribute(xmlNode* node, const char* name):
    """The value of the attribute ``name`` (no namespace) of ``node``, or None."""
    cdef xmlAttr* attr = node.properties
    cdef xmlNode* child
    cdef list parts
    while attr is not NULL:
        if attr.ns is NULL and strcmp(<const char*>attr.name, name) == 0:
            child = attr.children
            if child is not NULL and child.next is NULL and child.content is not NULL:
                return _utf8(<const char*>child.content)
            parts = []
            while child is not NULL:
                if child.content is not NULL:
                    parts.append(_utf8(<const char*>child.content))
                child = child.next
            return "".join(parts)
        attr = attr.next
    return None


cdef int _reserve(int** array, Py_ssize_t* capacity, Py_ssize_t need) except -1:
    """Grow ``array`` to hold at least ``need`` ints."""
    cdef Py_ssize_t cap = capacity[0]
    cdef void* p
    if need <= cap:
        return 0
    cap = max(need, 2 * cap, 256)
    p = PyMem_Realloc(array[0], cap * sizeof(int))
    if p is NULL:
        raise MemoryError()
    array[0] = <int*>p
    capacity[0] = cap
    return 0


cdef class _Walk:
    """The open blocks and the lines written so far (``render._Walk``, in C).

    Elements are numbered in document order; ``up[i]`` is element ``i``'s parent (-1 for
    the top) and ``last[i]`` its last descendant, which is what the container pass needs.
    """

    cdef list texts, line_facts, spans, tags, tokens, keys, segs
    cdef dict own, merged, facts, codes, names, statics
    cdef xmlNode** nodes
    cdef int* flags
    cdef int* li_of
    cdef char* li_started
    cdef Py_ssize_t depth, capacity, linked
    cdef int* up
    cdef int* last
    cdef int* open_els
    cdef int* block_el
    cdef Py_ssize_t n_els, els_cap, last_cap, open_depth, open_cap, block_cap
    cdef bint plain, pre_any
    cdef object bullets, wrap, wrap_text, tag_flags
    cdef int path_tags, class_tokens

    def __cinit__(self):
        self.nodes = NULL
        self.flags = NULL
        self.li_of = NULL
        self.li_started = NULL
        self.depth = 0
        self.capacity = 0
        self.up = NULL
        self.last = NULL
        self.open_els = NULL
        self.block_el = NULL
        self.n_els = self.els_cap = self.last_cap = 0
        self.open_depth = self.open_cap = self.block_cap = 0

    def __dealloc__(self):
        PyMem_Free(self.nodes)
        PyMem_Free(self.flags)
        PyMem_Free(self.li_of)
        PyMem_Free(self.li_started)
        PyMem_Free(self.up)
        PyMem_Free(self.last)
        PyMem_Free(self.open_els)
        PyMem_Free(self.block_el)

    cdef int open_element(self) except -1:
        """Number the element being opened; it is open until :meth:`close_element`."""
        cdef Py_ssize_t i = self.n_els
        _reserve(&self.up, &self.els_cap, i + 1)
        _reserve(&self.last, &self.last_cap, i + 1)
        _reserve(&self.open_els, &self.open_cap, self.open_depth + 1)
        self.up[i] = self.open_els[self.open_depth - 1] if self.open_depth else -1
        self.last[i] = i
        self.open_els[self.open_depth] = <int>i
        self.open_depth += 1
        self.n_els = i + 1
        return 0

    cdef int close_element(self) except -1:
        self.open_depth -= 1
        self.last[self.open_els[self.open_depth]] = <int>(self.n_els - 1)
        return 0

    cdef int _grow(self) except -1:
        cdef Py_ssize_t cap = max(64, 2 * self.capacity)
        cdef void* p
        p = PyMem_Realloc(self.nodes, cap * sizeof(xmlNode*))
        if p is NULL:
            raise MemoryError()
        self.nodes = <xmlNode**>p
        p = PyMem_Realloc(self.flags, cap * sizeof(int))
        if p is NULL:
            raise MemoryError()
        self.flags = <int*>p
        p = PyMem_Realloc(self.li_of, cap * sizeof(int))
        if p is NULL:
            raise MemoryError()
        self.li_of = <int*>p
        p = PyMem_Realloc(self.li_started, cap * sizeof(char))
        if p is NULL:
            raise MemoryError()
        self.li_started = <char*>p
        self.capacity = cap
        return 0

    cdef int code(self, xmlNode* node) except -1:
        """The tag code of an element (0 for comments and other element-like nodes)."""
        if node.type != tree.XML_ELEMENT_NODE:
            return 0
        key = <size_t>node.name
        found = self.codes.get(key)
        if found is None:
            name = _utf8(<const char*>node.name)
            if node.ns is not NULL and node.ns.href is not NULL:
                name = "{%s}%s" % (_utf8(<const char*>node.ns.href), name)
            found = self.tag_flags.get(name, 0)
            self.codes[key] = found
            self.names[key] = name
        return found

    cdef object name(self, xmlNode* node):
        return self.names[<size_t>node.name]

    cdef tuple _tokens(self, Py_ssize_t level):
        cdef list tokens = self.tokens
        cdef Py_ssize_t j = level, i
        while j >= 0 and tokens[j] is None:
            j -= 1
        cdef tuple inherited = (tokens[j] or ()) if j >= 0 else ()
        for i in range(j + 1, level + 1):
            cls = _attribute(self.nodes[i], "class")
            ident = _attribute(self.nodes[i], "id")
            if cls or ident:
                key = (f"{cls or ''} {ident or ''}", inherited)
                found = self.merged.get(key)
                if found is None:
                    found = self.merged[key] = self._merge(key[0], inherited)
                inherited = found
            tokens[i] = inherited
        return inherited

    cdef tuple _merge(self, str raw, tuple inherited):
        found = self.own.get(raw)
        if found is None:
            found = self.own[raw] = _own_tokens(raw, self.class_tokens)
        own, own_set, room = found
        if not own:
            return inherited
        if room <= 0 or not inherited:
            return own
        if own_set.isdisjoint(inherited):
            return own + inherited[:room]
        return own + tuple([t for t in inherited if t not in own_set][:room])

    cdef tuple _static(self, Py_ssize_t level):
        """(tag path, class tokens, DOM flags, depth) of the block at ``level``. They follow
        from the parent block's and the block's tag, class and id, so blocks that repeat
        those (the items of a list, the paragraphs of a story) share one computation."""
        static = self.keys[level]
        if static is not None:
            return static
        parent = self._static(level - 1) if level else None
        node = self.nodes[level]
        key = (parent, self.tags[level], _attribute(node, "class"), _attribute(node, "id"))
        found = self.statics.get(key)
        if found is None:
            start = max(level + 1 - self.path_tags, 1 if self.tags[0] == "html" else 0)
            path = ">".join(self.tags[start : level + 1])
            tokens = self._tokens(level)
            static = (path, " ".join(tokens), self.flags[level] & F_DOM, level)
            self.statics[key] = (static, tokens)
        else:
            static, self.tokens[level] = found
        self.keys[level] = static
        return static

    cdef object _facts(self, Py_ssize_t level, double link_density):
        static = self._static(level)
        key = (static, link_density)
        found = self.facts.get(key)
        if found is None:
            found = self.facts[key] = _dom_facts(static, link_density)
        return found

    cdef double _density(self, Py_ssize_t total):
        if self.linked and total:
            return _round(min(1.0, self.linked / <double>total), 4)
        return 0.0

    cdef int flush(self) except -1:
        raw = "".join(self.segs)
        cdef Py_ssize_t level = self.depth - 1
        cdef Py_ssize_t start, total
        if not raw.isspace():
            start = len(self.texts)
            if self.plain and level >= 0 and not self.flags[level] & F_PRE:
                text = " ".join(raw.split())
                total = len(text) - text.count(" ")
                self.texts.append(text)
                self.line_facts.append(self._facts(level, self._density(total)))
                self.spans.append((self.block_el[level], start, start + 1))
            else:
                self.emit(raw, level)
                if len(self.texts) > start:
                    self.spans.append((self.block_el[level], start, len(self.texts)))
        self.segs.clear()
        self.linked = 0
        return 0

    cdef int emit(self, str raw, Py_ssize_t level) except -1:
        cdef Py_ssize_t total, li
        if level < 0:
            return 0
        if self.flags[level] & F_PRE:
            pieces = [p for p in (" ".join(q.split()) for q in raw.splitlines()) if p]
            total = sum([len(p) - p.count(" ") for p in pieces])
        else:
            text = " ".join(raw.split())
            pieces = [text]
            total = len(text) - text.count(" ")
        facts = self._facts(level, self._density(total))
        texts = self.texts
        bullets = self.bullets
        wrap = self.wrap
        if not bullets and wrap is None:
            texts.extend(pieces)
            self.line_facts.extend([facts] * len(pieces))
            return 0
        li = self.li_of[level] if bullets else -1
        for piece in pieces:
            text = piece
            if bullets and li >= 0 and not self.li_started[li]:
                self.li_started[li] = 1
                text = bullets + piece
            if wrap is not None and len(text) > wrap:
                parts = self.wrap_text(text, wrap)
                texts.extend(parts)
                self.line_facts.extend([facts] * len(parts))
            else:
                texts.append(text)
                self.line_facts.append(facts)
        return 0

    cdef int gather(self, xmlNode* first, bint anchored) except -1:
        """Add the text run starting at ``first`` (lxml's ``.text``/``.tail``) to the line."""
        cdef xmlNode* n = _text_or_skip(first)
        cdef xmlNode* m
        cdef Py_ssize_t size = 0, visible = 0
        cdef bint blank = True, single
        if n is NULL or self.depth == 0:
            return 0
        m = n
        single = True
        while m is not NULL:
            if m.content is not NULL and m.content[0] != 0:
                size += 1
                if blank and not _blank(<const char*>m.content):
                    blank = False
            m = _text_or_skip(m.next)
            if m is not NULL:
                single = False
        if size == 0 or (blank and not self.segs):
            return 0
        if single:
            text = _utf8(<const char*>n.content)
            if anchored:
                visible = _visible(<const char*>n.content)
        else:
            parts = []
            m = n
            while m is not NULL:
                if m.content is not NULL:
                    parts.append(_utf8(<const char*>m.content))
                    if anchored:
                        visible += _visible(<const char*>m.content)
                m = _text_or_skip(m.next)
            text = "".join(parts)
        self.segs.append(text)
        if anchored:
            self.linked += visible
        return 0

    cdef int push(self, xmlNode* node, int code) except -1:
        cdef Py_ssize_t d = self.depth
        if d == self.capacity:
            self._grow()
        _reserve(&self.block_el, &self.block_cap, d + 1)
        self.block_el[d] = self.open_els[self.open_depth - 1]
        self.nodes[d] = node
        self.flags[d] = (self.flags[d - 1] if d else 0) | (code & (F_DOM | F_PRE))
        if code & K_LI:
            self.li_of[d] = d
        else:
            self.li_of[d] = self.li_of[d - 1] if d else -1
        self.li_started[d] = 0
        self.tags.append(self.name(node))
        self.tokens.append(None)
        self.keys.append(None)
        self.depth = d + 1
        return 0

    cdef int pop(self) except -1:
        self.depth -= 1
        self.tags.pop()
        self.tokens.pop()
        self.keys.pop()
        return 0


cdef tuple _own_tokens(str raw, int cap):
    """``render._own_tokens``: the runs of ASCII letters and digits of the lowercased
    ``raw`` that hold a letter, deduped, the first ``cap``; as a set; the room left."""
    cdef str low = raw.lower()
    cdef list out = []
    cdef set seen = set()
    cdef Py_ssize_t i, start = -1, n = len(low)
    cdef Py_UCS4 ch
    cdef bint letter = False
    for i in range(n + 1):
        ch = low[i] if i < n else 32
        if (97 <= ch <= 122) or (48 <= ch <= 57):
            if start < 0:
                start = i
                letter = False
            if ch >= 97:
                letter = True
        elif start >= 0:
            if letter:
                token = low[start:i]
                if token not in seen:
                    seen.add(token)
                    out.append(token)
                    if len(out) == cap:
                        break
            start = -1
    own = tuple(out)
    return own, frozenset(own), cap - len(own)


cdef bint _hidden(xmlNode* node, str tag, object hidden_style) except -1:
    """``render._drop_hidden``'s test: a ``hidden`` attribute, ``aria-hidden="true"`` or an
    inline style that hides (never ``html`` or ``body``)."""
    cdef xmlAttr* attr = node.properties
    cdef const char* name
    while attr is not NULL:
        if attr.ns is NULL:
            name = <const char*>attr.name
            if strcmp(name, "hidden") == 0:
                return tag != "html" and tag != "body"
            if strcmp(name, "aria-hidden") == 0:
                value = _attribute(node, "aria-hidden")
                if value.strip().lower() == "true":
                    return tag != "html" and tag != "body"
            elif strcmp(name, "style") == 0:
                if hidden_style.search(_attribute(node, "style")) is not None:
                    return tag != "html" and tag != "body"
        attr = attr.next
    return False


cdef object _node_text(xmlNode* node):
    """``.text`` of a comment, processing instruction or entity (element-like nodes that
    are not elements); the parser drops the first two, so these are rare."""
    if node.type == tree.XML_ENTITY_REF_NODE:
        return "&%s;" % _utf8(<const char*>node.name)
    if node.content is NULL:
        return None
    return _utf8(<const char*>node.content)


def walk(
    cetree._Element root,
    *,
    bint plain,
    object bullets,
    object wrap,
    dict tag_flags,
    int class_tokens,
    object wrap_text,
    int path_tags,
    int prose_words,
    str closers,
    object terminal,
    double main_share,
    object hidden_style,
):
    """Walk the tree under ``root``; return its :class:`Line` records, facts with container
    fields filled (``render._render_lines`` and ``render.container_facts``, whose
    constants are passed in). ``tag_flags`` maps a tag to its DOM flags plus 32 (block),
    64 (``a``), 128 (break), 256 (``li``), 512 (skipped with its content), 1024 (unwrapped
    inline tag). The tree is not changed: the strip passes of ``render._render_lines``
    (skipped tags, hidden elements matched by ``hidden_style`` and the rest of
    ``render._drop_hidden``, unwrapped inline tags) are done as the walk goes.
    """
    cdef _Walk w = _Walk()
    w.texts = []
    w.line_facts = []
    w.spans = []
    w.tags = []
    w.tokens = []
    w.keys = []
    w.segs = []
    w.own = {}
    w.merged = {}
    w.facts = {}
    w.codes = {}
    w.names = {}
    w.statics = {}
    w.linked = 0
    w.plain = plain
    w.bullets = bullets
    w.wrap = wrap
    w.tag_flags = tag_flags
    w.class_tokens = class_tokens
    w.wrap_text = wrap_text
    w.path_tags = path_tags

    cdef xmlNode* top = root._c_node
    cdef xmlNode* node = top
    cdef xmlNode* child
    cdef int code
    cdef Py_ssize_t anchors = 0
    cdef bint skipped
    while True:
        # open ``node``: a skipped subtree (never visible, or hidden) is passed over whole,
        # its tail kept; an unwrapped inline element is not numbered (render strips both)
        code = w.code(node)
        skipped = node is not top and (
            code & K_SKIP
            or (
                node.type == tree.XML_ELEMENT_NODE
                and node.properties is not NULL
                and _hidden(node, w.name(node), hidden_style)
            )
        )
        if skipped:
            w.gather(node.next, anchors > 0)
            child = _next_element(node.next)
            if child is not NULL:
                node = child
                continue
            node = node.parent  # closed below
        else:
            if not code & K_UNWRAP:
                w.open_element()
            if code & K_BLOCK:
                if w.segs:
                    w.flush()
                w.push(node, code)
            elif code & K_ANCHOR:
                anchors += 1
            elif code & K_BREAK:
                if w.segs:
                    w.flush()
            if not code & K_BREAK:
                if node.type == tree.XML_ELEMENT_NODE:
                    w.gather(node.children, anchors > 0)
                elif w.depth:
                    text = _node_text(node)
                    if text and (w.segs or not _blank_str(text)):
                        w.segs.append(text)
                        if anchors:
                            w.linked += _visible_str(text)
            child = _next_element(node.children) if node.type == tree.XML_ELEMENT_NODE else NULL
            if child is not NULL:
                node = child
                continue
        # close ``node`` and its ancestors until one has a next element sibling
        while True:
            code = w.code(node)
            if not code & K_UNWRAP:
                w.close_element()
            if code & K_BLOCK:
                if w.segs:
                    w.flush()
                w.pop()
            elif code & K_ANCHOR:
                anchors -= 1
            if node is top:
                break
            w.gather(node.next, anchors > 0)
            child = _next_element(node.next)
            if child is not NULL:
                node = child
                break
            node = node.parent
        if node is top:
            break
    if w.segs:
        w.flush()
    return _lines(w.texts, _container(w, prose_words, closers, terminal, main_share))


cdef list _container(
    _Walk w, int prose_words, str closers, object terminal,
    double main_share,
):
    """``render.container_facts`` over the walk's numbered elements: the same figures,
    rounding and shared records (see there for what they mean)."""
    cdef list texts = w.texts, facts = w.line_facts, spans = w.spans
    cdef Py_ssize_t n_spans = len(spans), k, j, el, up1, up3, start, end, n_words, first
    cdef Py_ssize_t total = 0, main = -1, words
    cdef int* up = w.up
    cdef int* last = w.last
    cdef double chars = 0.0, link = 0.0, scale, size
    if not n_spans:
        return facts
    span_el = [0] * n_spans
    span_words = [0] * n_spans
    span_prose = [0] * n_spans
    for k in range(n_spans):
        el, start, end = spans[k]
        if end - start == 1:
            text = texts[start]
            words = text.count(" ") + 1
        else:
            words = 0
            for j in range(start, end):
                words += texts[j].count(" ") + 1
            text = texts[end - 1]
        span_el[k] = el
        span_words[k] = words
        stripped = text.rstrip(closers)
        if words >= prose_words and stripped and stripped[len(stripped) - 1] in terminal:
            span_prose[k] = words
            total += words
    if not total:
        return facts
    # prose words under each element (-1, no parent, has the last slot)
    cdef Py_ssize_t n = w.n_els
    under_arr = np.zeros(n + 1, dtype=np.int64)
    sib_words_arr = np.zeros(n + 1, dtype=np.int64)
    sib_prose_arr = np.zeros(n + 1, dtype=np.int64)
    cdef long long[::1] under = under_arr
    cdef long long[::1] sib_words = sib_words_arr
    cdef long long[::1] sib_prose = sib_prose_arr
    cdef long long w_prose
    for k in range(n_spans):
        el = span_el[k]
        up1 = up[el]
        sib_words[up1 if up1 >= 0 else n] += <long long>span_words[k]
        w_prose = span_prose[k]
        if w_prose:
            sib_prose[up1 if up1 >= 0 else n] += w_prose
            under[el] += w_prose
            while up1 >= 0:
                under[up1] += w_prose
                up1 = up[up1]
    # the main container: the deepest element above a prose block holding over half the
    # prose (a span's own block counts only through an element above another prose block,
    # as in render.container_facts: "above" holds ancestors of prose blocks)
    above_arr = np.zeros(n, dtype=np.uint8)
    cdef unsigned char[::1] above = above_arr
    for k in range(n_spans):
        if span_prose[k]:
            up1 = up[<Py_ssize_t>span_el[k]]
            while up1 >= 0 and not above[up1]:
                above[up1] = 1
                up1 = up[up1]
    cdef double half = main_share * total
    for j in range(n):
        if above[j] and under[j] > half:
            main = j  # holders nest: the last in document order is the deepest
    if main < 0:
        return facts
    cdef Py_ssize_t main_last = last[main]
    inside = [False] * n_spans
    first = -1
    for k in range(n_spans):
        el = span_el[k]
        if main <= el <= main_last:
            inside[k] = True
            if first < 0:
                first = k
            _, start, end = spans[k]
            for j in range(start, end):
                size = len(texts[j])
                chars += size
                link += facts[j].link_density * size
    share = _round(under[main] / <double>total, 2)
    links = _round(link / chars, 2) if chars else 0.0
    scale = 100.0 / total
    out = list(facts)
    shares_of = {}
    made = {}
    for k in range(n_spans):
        el, start, end = spans[k]
        base = facts[start]
        shares = shares_of.get(el)
        if shares is None:
            up1 = up[el]
            up3 = el
            for j in range(3):
                if up[up3] < 0:
                    break
                up3 = up[up3]
            shares = shares_of[el] = (
                <long long>(under[el] * scale + 0.5) / 100.0,
                0.0 if up1 < 0 else <long long>(under[up1] * scale + 0.5) / 100.0,
                <long long>(under[up3] * scale + 0.5) / 100.0,
                <long long>(
                    100.0 * sib_prose[up1 if up1 >= 0 else n]
                    / max(sib_words[up1 if up1 >= 0 else n], 1) + 0.5
                ) / 100.0,
            )
        key = (id(base), shares, 2 if inside[k] else 1 if k < first else 3)
        filled = made.get(key)
        if filled is None:
            filled = made[key] = _with_container(base, shares, key[2], share, links)
        if end - start == 1:
            out[start] = filled
        else:
            out[start:end] = [filled] * (end - start)
    return out


cdef bint _blank_str(str text):
    return not text.strip(" \t\n\r")


cdef Py_ssize_t _visible_str(str text):
    return len(text) - text.count(" ") - text.count("\n") - text.count("\t") - text.count("\r")
