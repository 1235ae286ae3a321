from __future__ import annotations

import pickle
import zlib
from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from classify.dom import DomFeaturizer, dom_tokens
from classify.records import DomFacts, Line, Page
from classify.render import render_html


def _facts(path: str, tokens: str = "", **kw: object) -> DomFacts:
    return DomFacts(tag_path=path, class_tokens=tokens, **kw)  # type: ignore[arg-type]


def _pages() -> list[Page]:
    article = _facts("body>div>article>p", "post body content")
    side = _facts("body>div>aside>ul>li", "sidebar related widget", in_list=True)
    foot = _facts("body>footer>p", "footer site", in_chrome=True)
    a = Page(
        id="a",
        lines=(
            Line("The story begins here.", article),
            Line("More of the story.", article),
            Line("Related link", side),
            Line("Copyright", foot),
        ),
    )
    b = Page(id="b", lines=(Line("plain text line"), Line("Another", side)))
    return [a, b]


def test_tokens_of_a_line() -> None:
    tokens = dom_tokens(_facts("body>div>ul>li", "sidebar nav"))
    assert "t:ul" in tokens and "leaf:li" in tokens
    assert "p:ul>li" in tokens and "p:div>ul>li" in tokens
    assert "c:sidebar" in tokens and "c:nav" in tokens
    assert dom_tokens(DomFacts()) == []


def test_rows_per_line_and_zero_rows_without_dom() -> None:
    pages = _pages()
    m = DomFeaturizer().fit(pages).transform(pages)
    assert sp.issparse(m) and m.shape == (6, 1 << 14)
    nnz = np.diff(m.indptr)
    assert nnz[4] == 0  # "plain text line" has no DomFacts
    assert all(nnz[i] > 0 for i in (0, 1, 2, 3, 5))
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    assert np.allclose(norms[[0, 1, 2, 3, 5]], 1.0, atol=1e-5)
    # identical facts give identical rows, across pages too
    assert (m[0] != m[1]).nnz == 0 and (m[2] != m[5]).nnz == 0
    assert (m[0] != m[2]).nnz > 0


def test_class_word_lands_in_its_bucket() -> None:
    pages = _pages()
    feat = DomFeaturizer().fit(pages)
    m = feat.transform(pages)
    only = Page(id="s", lines=(Line("x", _facts("", "sidebar")),))
    col = feat.transform([only]).indices
    assert len(col) == 1
    assert m[2, col[0]] > 0 and m[0, col[0]] == 0


def test_deterministic_and_picklable() -> None:
    pages = _pages()
    one = DomFeaturizer().fit(pages).transform(pages)
    feat = pickle.loads(pickle.dumps(DomFeaturizer().fit(pages)))
    two = feat.transform(pages)
    assert (one != two).nnz == 0
    assert clone(feat).get_params() == {"bits": 14, "path_ngrams": (2, 3), "class_tokens": 12}


def test_fit_transform_contract() -> None:
    pages = _pages()
    feat = DomFeaturizer(bits=10)
    with pytest.raises(ValueError, match="not fitted"):
        feat.transform(pages)
    m = feat.fit_transform(pages)
    assert m.shape == (6, 1024) and feat.n_features_out_ == 1024
    assert feat.transform([]).shape == (0, 1024)
    assert feat.transform([Page(id="e", lines=())]).shape == (0, 1024)
    # common tokens weigh less than rare ones
    assert feat.idf_.min() >= 1.0


def test_rejects_a_lone_page_and_other_records() -> None:
    pages = _pages()
    feat = DomFeaturizer().fit(pages)
    with pytest.raises(TypeError, match="single Page"):
        feat.transform(pages[0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Page records"):
        feat.transform(["text"])  # type: ignore[list-item]


def test_rendered_html_pages() -> None:
    html = (
        "<body><div class='sidebar'><ul><li><a href=x>Menu item</a></li></ul></div>"
        "<article class='entry-content'><p>Body text of the story.</p></article></body>"
    )
    page = render_html(html)
    m = DomFeaturizer().fit([page]).transform([page])
    assert m.shape[0] == len(page.lines) == 2
    assert np.diff(m.indptr).min() > 0


def _reference_rows(feat: DomFeaturizer, pages: list[Page]) -> np.ndarray:
    """The documented math, line by line: sublinear tf times idf, L2-normalised."""
    out = np.zeros((sum(len(p.lines) for p in pages), 1 << feat.bits))
    k = 0
    for page in pages:
        for line in page.lines:
            if line.dom is not None:
                for token in dom_tokens(line.dom):
                    out[k, zlib.crc32(token.encode()) & ((1 << feat.bits) - 1)] += 1
                nz = out[k] > 0
                out[k, nz] = (1 + np.log(out[k, nz])) * feat.idf_[nz]
                norm = np.sqrt((out[k] ** 2).sum())
                out[k] /= norm if norm else 1.0
            k += 1
    return out


def test_cached_rows_do_not_depend_on_batching_or_cache() -> None:
    pages = [*_pages(), render_html("<div class='x'><p>a</p></div><ul><li>b</li></ul>")]
    feat = DomFeaturizer().fit(pages)
    together = feat.transform(pages)
    one_by_one = sp.vstack([feat.transform([p]) for p in reversed(pages)][::-1], format="csr")
    fresh = pickle.loads(pickle.dumps(feat)).transform(pages[::-1])  # no cache, other order
    assert (together != one_by_one).nnz == 0
    ends = np.cumsum([len(p.lines) for p in pages])
    blocks = [together[end - len(p.lines) : end] for p, end in zip(pages, ends, strict=True)]
    assert (fresh != sp.vstack(blocks[::-1], format="csr")).nnz == 0
    assert np.allclose(together.toarray(), _reference_rows(feat, pages), atol=1e-6)


def test_cache_is_not_pickled_and_refit_forgets_it() -> None:
    pages = _pages()
    feat = DomFeaturizer().fit(pages)
    before = feat.transform(pages)
    assert "_rows" not in pickle.loads(pickle.dumps(feat)).__dict__
    other = [Page(id="o", lines=(Line("x", _facts("body>nav>ul>li", "sidebar menu")),))]
    feat.fit(other + pages[:1])  # other idf: rows must be recomputed
    after = feat.transform(pages)
    assert np.allclose(after.toarray(), _reference_rows(feat, pages), atol=1e-6)
    assert (before != after).nnz > 0


def test_rows_do_not_depend_on_facts_objects_being_shared() -> None:
    pages = [*_pages(), render_html("<ul>" + "<li><a href=x>item</a> more</li>" * 5 + "</ul>")]
    feat = DomFeaturizer().fit(pages)
    shared = feat.transform(pages)
    # every line its own DomFacts object, equal in value
    copies = [
        Page(
            id=p.id,
            lines=tuple(
                Line(ln.text, None if ln.dom is None else replace(ln.dom)) for ln in p.lines
            ),
        )
        for p in pages
    ]
    assert len({id(ln.dom) for p in copies for ln in p.lines}) == sum(len(p.lines) for p in pages)
    fresh = pickle.loads(pickle.dumps(feat))
    assert (fresh.transform(copies) != shared).nnz == 0
    assert np.allclose(shared.toarray(), _reference_rows(feat, pages), atol=1e-6)
    assert feat.transform([]).shape == (0, 1 << feat.bits)


@pytest.mark.parametrize("class_tokens", [12, 3, 1, 0])
def test_cached_columns_are_the_columns_of_the_tokens(class_tokens: int) -> None:
    """The columns cached per path and per class word are those of dom_tokens' tokens."""
    from classify.dom import _bucket, _columns

    cases = [
        ("", ""),
        ("body", ""),
        ("body>div>ul>li", "sidebar nav menu item"),
        ("div>p", " ".join(f"w{i}" for i in range(30))),
        ("html>body>main>article>section>div>p", "post post body"),
        ("", "only classes here"),
    ]
    for path, tokens in cases:
        for ngrams in ((2, 3), (2,), ()):
            expected = tuple(
                _bucket(t, 14)
                for t in dom_tokens(
                    _facts(path, tokens), path_ngrams=ngrams, class_tokens=class_tokens
                )
            )
            assert _columns(path, tokens, 14, ngrams, class_tokens) == expected
