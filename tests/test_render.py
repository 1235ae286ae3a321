from __future__ import annotations

import gzip
import itertools
import json
import os
import random
import re

import pytest

from classify import render
from classify.render import (
    RenderError,
    RenderOptions,
    flatten_deep,
    html_to_text,
    render_html,
    wrap_text,
)
from tests.conftest import CORPORA


def texts(html: str | bytes, **kw: object) -> list[str]:
    return render_html(html, **kw).texts  # type: ignore[arg-type]


def test_blocks_split_and_inline_stays() -> None:
    html = (
        "<body><div>One <b>bold</b> <a href='#'>link</a> here<p>Two <em>x</em></p>tail</div></body>"
    )
    assert texts(html) == ["One bold link here", "Two x", "tail"]


def test_br_splits_and_whitespace_collapses() -> None:
    assert texts("<p>a\n   b<br>c<br/><br>  d  </p>") == ["a b", "c", "d"]


def test_invisible_content_skipped() -> None:
    html = (
        "<html><head><title>T</title><style>p{}</style></head><body>"
        "<script>var s = 'x';</script><noscript>no</noscript><!-- hidden comment -->"
        "<p>seen" + " and read" * 30 + "</p><div hidden>h1</div><div aria-hidden='true'>h2</div>"
        "<div style='color:red; DISPLAY : none'>h3</div><select><option>o</option></select>"
        "<svg><text>s</text></svg><template><p>t</p></template><p>also seen</p></body></html>"
    )
    assert texts(html) == ["seen" + " and read" * 30, "also seen"]


def test_hidden_element_keeps_following_text() -> None:
    assert texts("<p>before<span hidden>gone</span> after</p>") == ["before after"]


def test_entities_and_title() -> None:
    page = render_html("<title>  A &amp; B </title><p>caf&eacute; &lt;x&gt; &#8212; &nbsp;ok</p>")
    assert page.title == "A & B"
    assert page.texts == ["café <x> — ok"]


def test_link_density() -> None:
    page = render_html("<p><a href=x>abcd</a> efgh</p><p><a href=y>all link</a></p><p>none</p>")
    densities = [line.dom.link_density for line in page.lines if line.dom]
    assert densities == [0.5, 1.0, 0.0]


def test_dom_flags_and_path() -> None:
    html = (
        "<body class='Home-Page'><nav id='main_nav'><ul><li><a>Home</a></li></ul></nav>"
        "<article class='post-body 123'><h2>Head</h2><table><tr><td>cell</td></tr></table>"
        "<p>text</p></article></body>"
    )
    page = render_html(html)
    facts = {line.text: line.dom for line in page.lines}
    home, head, cell, text = facts["Home"], facts["Head"], facts["cell"], facts["text"]
    assert home is not None and head is not None and cell is not None and text is not None
    assert home.tag_path == "body>nav>ul>li"
    assert home.in_chrome and home.in_list and not home.in_heading
    assert home.class_tokens.split() == ["main", "nav", "home", "page"]
    assert head.in_heading and not head.in_chrome and not head.in_list
    assert cell.in_table and cell.tag_path.endswith("table>tr>td")
    assert "123" not in text.class_tokens.split()
    assert text.class_tokens.split()[:2] == ["post", "body"]
    assert text.depth == head.depth


def test_tag_path_capped() -> None:
    html = "<body>" + "<div>" * 20 + "deep" + "</div>" * 20 + "</body>"
    (line,) = render_html(html).lines
    assert line.dom is not None
    assert line.dom.tag_path == ">".join(["div"] * 6)
    assert line.dom.depth == 21


def test_bullets_and_wrap() -> None:
    html = "<ul><li>first<p>second para</p></li><li>next</li></ul><p>" + "word " * 30 + "</p>"
    page = render_html(html, options=RenderOptions(bullets="• ", wrap=40))
    assert page.texts[:3] == ["• first", "second para", "• next"]
    wrapped = page.texts[3:]
    assert len(wrapped) == 4 and all(len(t) <= 40 for t in wrapped)
    assert " ".join(wrapped) == " ".join(["word"] * 30)
    assert len({line.dom for line in page.lines[3:]}) == 1


def test_wrap_text_keeps_long_words() -> None:
    assert wrap_text("aa bb " + "x" * 12 + " cc", 5) == ["aa bb", "x" * 12, "cc"]


def test_pre_keeps_lines() -> None:
    assert texts("<pre>a   b\n\n  c</pre>") == ["a b", "c"]


def test_bytes_with_wrong_declared_charset() -> None:
    # declared UTF-8 but encoded as Latin-1: never raises, bad bytes become U+FFFD
    data = "<meta charset='utf-8'><p>caf\xe9 ok</p>".encode("latin-1")
    assert texts(data) == ["caf\ufffd ok"]
    # declared Latin-1 but really UTF-8: valid UTF-8 wins
    data = "<meta charset='iso-8859-1'><p>café</p>".encode()
    assert texts(data) == ["café"]
    # declared charset that does not exist
    data = "<meta charset='x-bogus'><p>caf\xe9</p>".encode("latin-1")
    assert texts(data) == ["caf\ufffd"]
    # correct legacy declaration is honoured
    data = "<meta http-equiv=Content-Type content='text/html; charset=windows-1251'><p>мир</p>"
    assert texts(data.encode("cp1251")) == ["мир"]


def test_xml_declaration_in_str_is_fine() -> None:
    assert texts("<?xml version='1.0' encoding='utf-8'?><html><body><p>x</p></body></html>") == [
        "x"
    ]


def test_empty_inputs() -> None:
    for html in ("", "   ", b"", "<html><body></body></html>", "<html><head><title>t</title>"):
        page = render_html(html, id="e")
        assert page.lines == ()
        assert page.id == "e"


def test_deep_nesting_does_not_recurse() -> None:
    # libxml2 stops building the tree past depth 2048: the page is flattened and parsed again
    html = "<body><p>start</p>" + "<div><span>" * 10_000 + "x" + "</span></div>" * 10_000
    page = render_html(html)
    assert page.texts == ["start", "x"]
    html = "<body><p>start</p>" + "<div>" * 1_500 + "mid" + "</div>" * 1_500 + "<p>end</p>"
    assert render_html(html).texts == ["start", "mid", "end"]


def test_binary_garbage() -> None:
    data = os.urandom(200_000) + b"\x00<p>\x00tail</p>"
    page = render_html(data)
    assert all("\x00" not in t for t in page.texts)


def test_metadata_passed_through() -> None:
    page = render_html("<p>x</p>", id="i", url="https://a.example/x", site="a.example")
    assert (page.id, page.url, page.site) == ("i", "https://a.example/x", "a.example")


def test_html_to_text() -> None:
    assert html_to_text("<h1>A</h1><p>B</p>") == "A\nB"


def test_render_error_is_value_error() -> None:
    assert issubclass(RenderError, ValueError)


@pytest.mark.parametrize("bullets", ["", "- ", "* "])
def test_bullet_only_on_first_line_of_li(bullets: str) -> None:
    page = render_html("<ol><li>a<br>b</li></ol>", options=RenderOptions(bullets=bullets))
    assert page.texts == [f"{bullets}a", "b"]


def test_noscript_fallback_for_script_built_pages() -> None:
    html = "<body><div id=app></div><noscript><p>" + "served for crawlers " * 5 + "</p></noscript>"
    assert render_html(html).texts == [("served for crawlers " * 5).strip()]
    html = "<body><p>" + "normal page text " * 20 + "</p><noscript>enable JS</noscript></body>"
    assert "enable JS" not in render_html(html).texts


def test_deep_nesting_keeps_text_after_the_deep_part() -> None:
    deep = "<div class='d'>" * 10_000 + "<p>Deep text</p>" + "</div>" * 10_000
    html = "<html><body><p>start</p>" + deep + "<p>end</p></body></html>"
    page = render_html(html.encode())
    assert page.texts == ["start", "Deep text", "end"]
    dom = page.lines[1].dom
    assert dom is not None and dom.depth <= 520 and dom.class_tokens == "d"


def test_flatten_deep_bounds_depth_and_keeps_text() -> None:
    html = "<!doctype html><body>" + "<div><br><img src=x/>" * 50 + "t" + "</div>" * 50
    html += "<script>if (a < b) { x = '<div>'; }</script><!-- <div> --><p>after</p>"
    flat = flatten_deep(html, max_depth=10)
    assert flat.count("<div>") == 9 + 2 and flat.count("</div>") == 9  # +2: script, comment
    assert flat.count("<br>") == 50 and "t" in flat and "<p>after</p>" in flat
    assert "x = '<div>'" in flat and "<!-- <div> -->" in flat
    assert flatten_deep(html, max_depth=100) == html
    # stray end tags are kept for the parser to ignore
    assert flatten_deep("<p>a</b></p>") == "<p>a</b></p>"


def test_identical_facts_are_shared() -> None:
    page = render_html("<ul>" + "<li><a href=x>item</a></li>" * 20 + "</ul><p>x</p><p>y</p>")
    facts = {id(line.dom) for line in page.lines}
    assert len(facts) == 2
    assert page.lines[-1].dom is page.lines[-2].dom


def test_noscript_fallback_with_bytes_and_upper_case() -> None:
    html = b"<body><div id=app></div><NOSCRIPT><p>" + b"for crawlers " * 20 + b"</p></NOSCRIPT>"
    assert render_html(html).texts == [("for crawlers " * 20).strip()]


def _facts_of(html: str, **kw: object) -> list[tuple[str, str, str, float, int]]:
    lines = render_html(html, **kw).lines  # type: ignore[arg-type]
    return [
        (line.text, line.dom.tag_path, line.dom.class_tokens, line.dom.link_density, line.dom.depth)
        for line in lines
        if line.dom is not None
    ]


def test_walk_closes_elements_in_order() -> None:
    # an anchor around a block: its text before, inside and after the block
    assert _facts_of("<div>a <a href=x>b<p>c</p>d</a> e</div><p>f</p>") == [
        ("a b", "body>div", "", 0.5, 2),
        ("c", "body>div>p", "", 1.0, 3),
        ("d e", "body>div", "", 0.5, 2),
        ("f", "body>p", "", 0.0, 2),
    ]
    # text after a nested list belongs to the outer item again; tokens nearest first
    html = "<ul class='m'><li>one<ul><li id='i2'>two</li></ul>after</li><li>three</li></ul>"
    assert _facts_of(html, options=RenderOptions(bullets="* ")) == [
        ("* one", "body>ul>li", "m", 0.0, 3),
        ("* two", "body>ul>li>ul>li", "i2 m", 0.0, 5),
        ("after", "body>ul>li", "m", 0.0, 3),
        ("* three", "body>ul>li", "m", 0.0, 3),
    ]
    # the tail of the last block of the page, after several elements close at once
    assert _facts_of("<div><p>x<br>y</p></div>tail") == [
        ("x", "body>div>p", "", 0.0, 3),
        ("y", "body>div>p", "", 0.0, 3),
        ("tail", "body", "", 0.0, 1),
    ]


_SENTENCE = "This sentence of the story has well over ten words in it, as prose does."
"""15 words ending in a full stop: one prose paragraph."""


def _containers(html: str, **kw: object) -> list[tuple[str, int, float, float, float]]:
    lines = render_html(html, **kw).lines  # type: ignore[arg-type]
    out = []
    for line in lines:
        assert line.dom is not None
        d = line.dom
        out.append((line.text[:12], d.main_position, d.prose_block, d.prose_parent, d.prose_up3))
    return out


def test_container_facts_find_the_main_container() -> None:
    html = (
        "<body><nav><ul><li><a href=/>Home</a></li><li><a href=/n>News</a></li></ul></nav>"
        "<div id=page><h1>The headline</h1>"
        f"<div class=story><p>{_SENTENCE}</p><p>{_SENTENCE}</p><p><a href=x>A link inside</a> "
        f"{_SENTENCE}</p></div>"
        f"<div class=comments><p>{_SENTENCE}</p></div></div>"
        "<aside><ul><li><a href=/r>Related one</a></li></ul></aside><footer>(c) 2026</footer>"
        "</body>"
    )
    rows = _containers(html)
    # the story div holds 3 of the 4 prose paragraphs (> half): it is the main container;
    # the comments are after it, the headline (outside the story div) before it
    assert [(text, position) for text, position, *_ in rows] == [
        ("Home", 1),
        ("News", 1),
        ("The headline", 1),
        (_SENTENCE[:12], 2),
        (_SENTENCE[:12], 2),
        ("A link insid", 2),
        (_SENTENCE[:12], 3),
        ("Related one", 3),
        ("(c) 2026", 3),
    ]
    words = len(_SENTENCE.split())
    total = 4 * words + 3  # prose words: the third story paragraph has 3 link words more
    story = rows[3]
    assert story[2] == round(words / total, 2)  # its own paragraph
    assert story[3] == round((3 * words + 3) / total, 2)  # its parent, the story div
    assert story[4] == 1.0  # p > div.story > div#page > body
    assert rows[0][2:] == (0.0, 0.0, 1.0)  # li > ul > nav > body: the whole page's prose
    assert rows[6][3] == round(words / total, 2)  # the comment's parent: only the comment
    lines = render_html(html).lines
    facts = lines[4].dom
    assert facts is not None
    assert facts.main_share == round((3 * words + 3) / total, 2)
    assert facts.parent_prose_density == 1.0
    # the link density of the main container: over all its lines' characters
    link = lines[5].dom
    assert link is not None and link.link_density > 0
    size = len(lines[5].text)
    assert facts.main_link_density == round(
        link.link_density * size / (2 * len(_SENTENCE) + size), 2
    )
    # every line of a page carries the same main-container figures
    assert {
        (ln.dom.main_share, ln.dom.main_link_density) for ln in render_html(html).lines if ln.dom
    } == {(facts.main_share, facts.main_link_density)}


def test_container_facts_single_paragraph_uses_its_parent() -> None:
    rows = _containers(f"<body><div><p>{_SENTENCE}</p><p>short</p></div><p>after</p></body>")
    # the one prose paragraph cannot be its own container: its parent div is
    assert [(text, position) for text, position, *_ in rows] == [
        (_SENTENCE[:12], 2),
        ("short", 2),
        ("after", 3),
    ]


def test_container_facts_zero_without_prose() -> None:
    html = "<ul>" + "<li><a href=x>a short item</a></li>" * 5 + "</ul><p>No full stop here</p>"
    page = render_html(html)
    for line in page.lines:
        assert line.dom is not None
        d = line.dom
        assert (d.prose_block, d.prose_parent, d.prose_up3, d.parent_prose_density) == (0, 0, 0, 0)
        assert (d.main_position, d.main_share, d.main_link_density) == (0, 0.0, 0.0)
    assert render_html("").lines == ()
    assert render_html("<p>   </p>").lines == ()


def test_container_facts_prose_measured_before_wrapping() -> None:
    html = f"<body><div><p>{_SENTENCE} {_SENTENCE}</p></div><p>x</p></body>"
    plain = render_html(html).lines
    wrapped = render_html(html, options=RenderOptions(wrap=20)).lines
    assert len(wrapped) > len(plain)
    assert {ln.dom for ln in wrapped[:-1]} == {plain[0].dom}
    assert plain[0].dom is not None and plain[0].dom.main_position == 2


def test_container_facts_deep_nesting() -> None:
    # the story 1,500 levels deep (parsed as is) and 10,000 levels deep (flattened: the
    # paragraphs past the flattening depth are one line)
    for deep, story in ((1_500, [_SENTENCE, _SENTENCE]), (10_000, [_SENTENCE + _SENTENCE])):
        html = (
            "<body><p>menu</p>"
            + "<div>" * deep
            + f"<p>{_SENTENCE}</p><p>{_SENTENCE}</p>"
            + "</div>" * deep
            + f"<div><p>{_SENTENCE}</p></div><p>end</p></body>"
        )
        page = render_html(html)
        assert page.texts == ["menu", *story, _SENTENCE, "end"]
        rows = _containers(html)
        assert [position for _, position, *_ in rows] == [1] + [2] * len(story) + [3, 3]
        words = [len(text.split()) for text in page.texts]
        assert rows[1][3] == round(sum(words[1:-2]) / sum(words[1:-1]), 2)


def test_class_tokens_match_the_nearest_first_definition() -> None:
    # class tokens of a line: the distinct tokens of its block's class and id, then of each
    # block ancestor's, nearest first, at most 24; random nesting with shared, repeated,
    # numeric and mixed-case words exercises the merge, the overlap and the cap
    rng = random.Random(5)
    words = ["nav", "Main", "post", "body", "x1", "123", "side_bar", "nav-item", "a", "b"]
    words += [f"w{k}" for k in range(30)]
    own: dict[str, str] = {}
    parent: dict[str, str | None] = {}
    counter = iter(range(10_000))

    def block(up: str | None, depth: int) -> str:
        name = f"t{next(counter)}"
        parent[name] = up
        cls = " ".join(rng.choice(words) for _ in range(rng.randrange(0, 14)))
        ident = rng.choice(["", "", "x-9", "Main_post", "nav"])
        own[name] = f"{cls} {ident}"
        attrs = (f" class='{cls}'" if cls else "") + (f" id='{ident}'" if ident else "")
        children = "".join(
            block(name, depth + 1) for _ in range(rng.randrange(0, 3 if depth < 7 else 1))
        )
        return f"<div{attrs}>{name}{children}</div>"

    html = "<body>" + "".join(block(None, 0) for _ in range(6)) + "</body>"

    def want(name: str) -> str:
        out: list[str] = []
        node: str | None = name
        while node is not None:
            for token in re.split(r"[^0-9a-z]+", own[node].lower()):
                if token and not token.isdigit() and token not in out:
                    out.append(token)
            node = parent[node]
        return " ".join(out[:24])

    lines = render_html(html).lines
    assert [line.text for line in lines] == list(own)
    assert all(line.dom is not None and line.dom.class_tokens == want(line.text) for line in lines)
    assert max(len(want(name).split()) for name in own) == 24  # the cap is reached


@pytest.mark.parametrize(
    ("html", "want"),
    [
        # a link holding only a no-break space counts one linked character of three
        ("<div><a>\xa0</a>foo</div>", [("foo", 0.3333)]),
        ("<div><a>  \n </a>foo bar</div>", [("foo bar", 0.0)]),
        ("<div> <a>x</a> <a>y</a> z</div>", [("x y z", 0.6667)]),
        ("<pre>\n  \n a  b\n\n c</pre>", [("a b", 0.0), ("c", 0.0)]),
        # \x0b is whitespace to str.split but a visible linked character
        (
            "<div>\t<span> </span><a>\r\n</a>text<br> <a>\x0b</a>more</div>",
            [("text", 0.0), ("more", 0.25)],
        ),
        (
            "<ul>\n <li>\n  <a href=x>one</a>\n </li>\n <li>two <a>\xa0three</a></li></ul>",
            [("one", 1.0), ("two three", 0.75)],
        ),
    ],
)
def test_blank_text_at_a_line_start_changes_nothing(
    html: str, want: list[tuple[str, float]]
) -> None:
    # the walk does not gather text made only of spaces, tabs and line breaks when it would
    # start a line; other whitespace (no-break space, \x0b) still counts as linked text
    lines = render_html(html).lines
    assert [(line.text, line.dom.link_density if line.dom else None) for line in lines] == want


def test_repeated_sibling_classes_keep_their_own_ancestors() -> None:
    # a block's tokens are remembered per (class string, inherited tokens): the same class
    # under another parent, or after an overlapping ancestor, is merged again
    html = (
        "<body class='site'><div class='post main'><ul class='list post'>"
        "<li class='item'>A</li><li class='item'>B</li><li class='item post'>C</li></ul></div>"
        "<div class='side'><ul class='list'><li class='item'>D</li><li class='item'>E</li>"
        "</ul></div></body>"
    )
    got = {line.text: line.dom.class_tokens for line in render_html(html).lines if line.dom}
    assert got == {
        "A": "item list post main site",
        "B": "item list post main site",
        "C": "item post list main site",
        "D": "item list side site",
        "E": "item list side site",
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_plain_lines_are_those_of_the_general_writer(seed: int) -> None:
    # plain options write each text as one line on a fast path; a wrap width no line reaches
    # takes the general path (RenderOptions handling): both give the same lines and facts
    rng = random.Random(seed)
    parts = ["<p>", "</p>", "<div class='c'>", "</div>", "<a href=x>", "</a>", "<br>", "<li>"]
    parts += ["<pre>", "</pre>", "<span>", "</span>", " ", "\n", "\xa0", "word", "two words."]
    parts += ["<ul class='menu'>", "</ul>", "<h2 id='h'>", "</h2>", "<td>", "<nav>", "</nav>"]
    for _ in range(30):
        html = "<body>" + "".join(rng.choice(parts) for _ in range(80)) + "</body>"
        plain = render_html(html)
        general = render_html(html, options=RenderOptions(wrap=10**9))
        assert plain.lines == general.lines


# The compiled walk (classify/_walk.pyx) against the pure-Python walk it must equal.

_needs_compiled = pytest.mark.skipif(
    not render.COMPILED, reason="classify._walk is not built (no C compiler at install)"
)
_WALK_OPTIONS = (RenderOptions(), RenderOptions(bullets="- ", wrap=40), RenderOptions(bullets="* "))
_TRICKY = (
    "<p>Hello <a href=x>world</a> and <b>more</b> words.</p><ul><li>one<li>two <a>x</a></ul>",
    "<body>loose text<div class='A-b c_d 12 x9 İnfo' id=Main>in <a>link <i>deep</i></a> tail"
    "<br>after break<hr>rule</div>body tail</body>",
    "<div><pre>line one\n  line two\n\nline three</pre><pre class=code><a>l1</a>\nl2</pre></div>",
    "<table><tr><td>a</td><td class>b <a href=#> </a>c</td></tr></table><p>&nbsp;</p><p>\xa0x</p>",
    "<nav><ul><li><a>Home</a></li><li><a>News</a><ul><li>Sub</li></ul></li></ul></nav>"
    "<article><h1>Title</h1><p>" + "A sentence of prose that ends here. " * 4 + "</p>"
    "<p>" + "More prose, of the story, with a full stop. " * 3 + "</p></article>"
    "<footer><p>© 2026 Site</p></footer>",
    "<div hidden>gone</div><div style='display:none'>gone</div><p>kept<span aria-hidden=true>"
    "no</span> yes</p><noscript>ns</noscript><script>x</script>",
    "<div>" + "<div class='n'>" * 40 + "deep <a>text</a>" + "</div>" * 40 + "after</div>",
    "<p>" + "word " * 60 + "</p><li>" + "item " * 30 + "</li>",
    "<![CDATA[x]]><p>a<!-- c -->b</p><?pi x?><p>&unknown; &amp; &#x1F600;</p>",
    "",
    "   ",
    "<html><body></body></html>",
    "<body hidden><p style='DISPLAY : None'>x</p><span aria-hidden=' TRUE '>h</span>t<b hidden>"
    "y</b>tail<i style='color:red'>shown</i><div aria-hidden=false>seen</div></body>",
    "<div class=o><span class=s><div class=in><p>"
    + "Prose inside a span, as a story. " * 4
    + "</p></div></span><span>x<script>s</script>y<style>z</style></span></div>",
    "<html hidden style='display:none'><body><p>kept at the top</p></body></html>",
    "<div><span hidden>gone</span>\x0bcontrol\x0c characters\x1f stay<i aria-hidden=true>"
    "x</i>\x08 here</div>",
)


def _both_walks(html: str, options: RenderOptions) -> tuple[list[object], list[object]]:
    data = render._to_utf8(html)
    out = []
    for compiled in (False, True):
        root = render._parse(data)
        lines = [] if root is None else render._render_lines(root, options, compiled=compiled)
        out.append([(line.text, line.dom) for line in lines])
    return out[0], out[1]


@_needs_compiled
@pytest.mark.parametrize("options", _WALK_OPTIONS)
@pytest.mark.parametrize("html", _TRICKY)
def test_compiled_walk_equals_python_walk(html: str, options: RenderOptions) -> None:
    python, compiled = _both_walks(html, options)
    assert compiled == python


@_needs_compiled
def test_compiled_walk_equals_python_walk_on_corpus_pages() -> None:
    path = CORPORA / "wcxb_dev.jsonl.gz"
    if not path.exists():
        pytest.skip(f"{path} not found")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        pages = [json.loads(raw)["html"] for raw in itertools.islice(fh, 40)]
    differ = []
    lines = 0
    for k, html in enumerate(pages):
        for options in _WALK_OPTIONS:
            python, compiled = _both_walks(html, options)
            lines += len(python)
            if compiled != python:
                differ.append((k, options))
    assert lines > 5_000
    assert differ == []


@_needs_compiled
def test_compiled_render_equals_python_render_with_the_noscript_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    html = "<html><body><div id=app></div><noscript><p>Served for crawlers here.</p>" + (
        "<ul><li><a href=/a>A link</a></li></ul></noscript></body></html>"
    )
    compiled = render_html(html)
    monkeypatch.setattr(render, "_walk", None)
    python = render_html(html)
    assert compiled.texts == python.texts == ["Served for crawlers here.", "A link"]
    assert [line.dom for line in compiled.lines] == [line.dom for line in python.lines]


def test_hidden_element_before_control_characters_keeps_its_tail() -> None:
    # the parser lets these control characters through; the Python walk once refused them
    # when moving a hidden element's tail through lxml's API (a ValueError)
    html = "<p>a<span hidden>gone</span>\x0bb\x1fc</p><p>d<b style='display:none'>x</b>\x08e</p>"
    for compiled in (False, True):
        root = render._parse(render._to_utf8(html))
        assert root is not None
        lines = render._render_lines(root, RenderOptions(), compiled=compiled)
        assert [line.text for line in lines] == ["a b c", "d\x08e"]  # \x0b, \x1f: whitespace


_SOUP_TAGS = [
    "div",
    "p",
    "span",
    "a",
    "b",
    "li",
    "ul",
    "ol",
    "table",
    "tr",
    "td",
    "br",
    "hr",
    "pre",
    "h1",
    "nav",
    "footer",
    "script",
    "style",
    "noscript",
    "img",
    "section",
    "article",
    "header",
    "aside",
    "form",
    "select",
    "option",
    "textarea",
    "svg",
    "x-widget",
    "font",
    "i",
    "em",
    "code",
    "blockquote",
    "dl",
    "dt",
    "dd",
    "iframe",
    "template",
    "title",
    "head",
    "body",
    "html",
    "label",
    "button",
]
_SOUP_ATTRS = (
    "",
    " class='a b-c 12'",
    " id=main",
    " hidden",
    " style='display:none'",
    " style='color:red'",
    " aria-hidden=true",
    " class",
    " href=x",
    " class='İ ß ﬁ'",
)
_SOUP_TEXTS = (
    "",
    " ",
    "  \n ",
    "word",
    "Hello world.",
    "\xa0",
    "a\tb",
    "&amp;",
    "&#0;",
    "<",
    "x" * 50,
    "Prose sentence with enough words to count as prose here.",
    "😀",
    "\x0b",
    "\x08",
)


def _soup(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(1, 120)):
        r = rng.random()
        if r < 0.4:
            out.append(f"<{rng.choice(_SOUP_TAGS)}{rng.choice(_SOUP_ATTRS)}>")
        elif r < 0.65:
            out.append(f"</{rng.choice(_SOUP_TAGS)}>")
        elif r < 0.7:
            out.append(rng.choice(["<!-- c -->", "<![CDATA[x]]>", "<?pi x?>", "<br/>", "<p/>"]))
        else:
            out.append(rng.choice(_SOUP_TEXTS))
    return "".join(out)


@_needs_compiled
def test_compiled_walk_equals_python_walk_on_random_tag_soup() -> None:
    rng = random.Random(11)
    lines = 0
    for _ in range(300):
        html = _soup(rng)
        for options in _WALK_OPTIONS:
            python, compiled = _both_walks(html, options)
            assert compiled == python, html
            lines += len(python)
    assert lines > 500


@_needs_compiled
def test_compiled_lines_are_left_out_of_the_cyclic_collector() -> None:
    import gc

    page = render_html("<div class=a><p>One <a href=x>line</a>.</p><p>Two.</p></div>")
    assert page.texts == ["One line.", "Two."]
    assert page.lines[0].dom is not None and page.lines[0].dom.link_density > 0
    assert not any(gc.is_tracked(line) or gc.is_tracked(line.dom) for line in page.lines)
