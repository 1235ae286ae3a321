from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from classify import scorer as scorer_module
from classify.cli import main
from classify.persist import ModelFileError
from classify.records import LABELS, DecidedBy, Label, Page, lines_from_text, page_from_text
from classify.scorer import ScoreConfig, Scorer, page_verdict

from .conftest import SEED


def test_score_gives_every_line_a_label_and_probabilities(small_model_path: Path) -> None:
    scorer = Scorer.load(small_model_path)
    text = SEED.read_text(encoding="utf-8")
    result = scorer.score(text, url="https://example.org/a")
    assert len(result.lines) == len([t for t in text.splitlines() if t.strip()])
    for line in result.lines:
        assert set(line.probabilities) == set(LABELS)
        assert sum(line.probabilities.values()) == pytest.approx(1.0)
        assert line.label is max(line.probabilities, key=line.probabilities.__getitem__)
        assert line.decided_by is DecidedBy.MODEL
    assert result.article == "\n".join(r.text for r in result.lines if r.label is Label.ARTICLE)


def test_score_many_keeps_input_order_and_batches(small_model_path: Path) -> None:
    scorer = Scorer.load(small_model_path, config=ScoreConfig(batch_size=2))
    pages = [Page(id=str(i), lines=()) for i in range(3)]
    texts = ["Home\nA sentence about the weather today, which was wet.", "x"]
    results = list(scorer.score_many([*pages, *texts]))
    assert [r.id for r in results[:3]] == ["0", "1", "2"]
    assert len(results) == 5
    assert results[0].lines == () and results[0].article == ""


def test_score_many_rejects_a_lone_string(small_model_path: Path) -> None:
    scorer = Scorer.load(small_model_path)
    with pytest.raises(TypeError, match="use score\\(\\) for one page"):
        list(scorer.score_many("just one page"))
    with pytest.raises(TypeError, match="decode bytes first"):
        scorer.score(b"bytes")  # type: ignore[arg-type]


def test_scorer_pickles_without_its_model_and_reloads(small_model_path: Path) -> None:
    scorer = Scorer.load(small_model_path)
    blob = pickle.dumps(scorer)
    assert len(blob) < 5_000
    clone = pickle.loads(blob)
    text = "Home\nThe river rose by two metres overnight, officials said on Monday."
    a = scorer.score(text)
    b = clone.score(text)
    assert [line.label for line in a.lines] == [line.label for line in b.lines]


def test_load_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="no such model file"):
        Scorer.load(tmp_path / "missing.joblib")
    bad = tmp_path / "bad.joblib"
    bad.write_bytes(b"not a pickle")
    with pytest.raises(ModelFileError, match="no metadata sidecar"):
        Scorer.load(bad)
    bad.with_suffix(".json").write_text('{"kind": "lines"}', encoding="utf-8")
    with pytest.raises(ModelFileError, match="cannot load model"):
        Scorer.load(bad)
    bad.with_suffix(".json").write_text('{"kind": "headlines"}', encoding="utf-8")
    with pytest.raises(ModelFileError, match="a 'headlines' model, expected 'lines'"):
        Scorer.load(bad)


def test_verdict_and_filters(small_model_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    scorer = Scorer.load(small_model_path, config=ScoreConfig(min_article_chars=10**6))
    result = scorer.score(text)
    verdict = result.verdict
    assert 0.0 <= float(verdict["junk"]) <= 1.0  # type: ignore[arg-type]
    assert verdict["kept"] is False
    assert "chars <" in str(verdict["dropped_because"])
    assert scorer.kept_article(result) == ""
    assert result.article  # the lines keep their labels; only the kept text is dropped
    links = [line for line in result.lines if line.label in (Label.LINK, Label.TITLE)]
    assert links and all(line.clickbait is not None for line in links)


def test_junk_rises_with_clickbait_among_the_links() -> None:
    from classify.records import LineResult, PageResult

    def result(clickbait: float) -> PageResult:
        p = dict.fromkeys(LABELS, 0.25)
        lines = [LineResult(text="x" * 80, label=Label.TITLE, probabilities=p)]
        lines += [LineResult(text="x" * 80, label=Label.ARTICLE, probabilities=p)] * 5
        lines += [
            LineResult(text="x" * 60, label=Label.LINK, probabilities=p, clickbait=clickbait)
        ] * 10
        return PageResult(id="p", url=None, site=None, lines=tuple(lines))

    clean = page_verdict(result(0.1))
    farm = page_verdict(result(0.9))
    assert float(farm["junk"]) > 0.5 > float(clean["junk"])  # type: ignore[arg-type]
    assert clean["clickbait_share"] == 0.0 and farm["clickbait_share"] == 1.0
    assert np.isclose(float(clean["article_share"]), 5 * 80 / (6 * 80 + 10 * 60), atol=1e-4)  # type: ignore[arg-type]
    assert clean["article_lines"] == 5 and clean["template_share"] is None


def test_pages_with_dom_facts_go_to_the_html_model(small_model_path: Path) -> None:
    from classify.records import DomFacts, Line

    scorer = Scorer(model_path=small_model_path, html_model_path=small_model_path)
    seen: list[int] = []
    html = scorer.html_model
    assert html is not None and html is not scorer.model
    original = html.predict_proba_and_outside

    def spy(pages: list[Page], recurrence: object = None) -> tuple[np.ndarray, np.ndarray]:
        seen.append(len(pages))
        return original(pages, recurrence)  # type: ignore[arg-type]

    html.predict_proba_and_outside = spy  # type: ignore[method-assign]
    dom_page = Page(id="h", lines=(Line("A paragraph of text here.", DomFacts(tag_path="p")),))
    text_page = Page(id="t", lines=(Line("A paragraph of text here."),))
    results = list(scorer.score_many([text_page, dom_page, text_page]))
    assert [r.id for r in results] == ["t", "h", "t"]
    assert seen == [1]


def test_scoring_pauses_the_garbage_collector_only_inside_a_batch(small_model_path: Path) -> None:
    import gc

    scorer = Scorer.load(small_model_path, config=ScoreConfig(batch_size=1))
    seen = []
    original = scorer._score_batch

    def spy(pages: list[Page]) -> list:  # type: ignore[type-arg]
        seen.append(gc.isenabled())
        return original(pages)

    scorer._score_batch = spy  # type: ignore[method-assign]
    assert gc.isenabled()
    results = scorer.score_many(["One line.", "Another line."])
    next(results)
    assert gc.isenabled()  # back on between batches, while the caller holds the generator
    list(results)
    assert seen == [False, False] and gc.isenabled()
    gc.disable()
    try:
        list(scorer.score_many(["One line."]))
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


@pytest.mark.skipif(not scorer_module.COMPILED, reason="classify._records is not built")
def test_compiled_records_equal_the_python_ones(
    small_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classify.template import TemplateIndex

    chrome = ["Home | News | Sport", "Most read", "© 2026 Daily Example"]
    pages = [
        Page(
            id=str(k),
            url=f"https://daily.example/{k}",
            site="daily.example",
            lines=lines_from_text(
                "\n".join(
                    [
                        *chrome[:2],
                        f"The council meets to vote on the new {topic} plan this week.",
                        f"Residents near the {topic} said the plan came far too late.",
                        f"The mayor's office answered questions about the {topic} budget.",
                        f"A final vote on the {topic} is expected before the summer.",
                        chrome[2],
                    ]
                )
            ),
        )
        for k, topic in enumerate(["harbour", "school", "railway", "library", "market", "park"])
    ]
    pages.append(page_from_text(SEED.read_text(encoding="utf-8"), id="seed"))
    index = TemplateIndex.build(pages)  # template shares and decisions go into the records
    results = {}
    for compiled in (True, False):
        if not compiled:
            monkeypatch.setattr(scorer_module, "_records", None)
        scorer = Scorer.load(small_model_path, templates=index)
        results[compiled] = list(scorer.score_many(pages))
    assert sum(len(r.lines) for r in results[True]) > 60
    assert any(line.template_share for line in results[True][0].lines)  # shares were given
    assert results[True] == results[False]
    import gc

    line = results[True][0].lines[0]  # records with no cycle are left to reference counting
    assert not gc.is_tracked(line) and not gc.is_tracked(line.probabilities)


def test_score_records_gives_one_output_per_input_as_the_command_writes(
    small_model_path: Path, tmp_path: Path
) -> None:
    seed = SEED.read_text(encoding="utf-8")
    records: list[Any] = [
        {"id": "t", "url": "https://a.example/1", "site": "a", "text": seed, "extra": 1},
        {"id": "h", "html": "<title>T</title><h1>Head</h1><p>One paragraph of text.</p>"},
        {"id": "none"},
        {"id": "bad-url", "url": 5, "text": "x"},
        ["not", "a", "mapping"],
        {"id": "empty", "text": ""},
    ]
    scorer = Scorer.load(small_model_path)
    got = list(scorer.score_records(iter(records)))
    assert [r["id"] for r in got] == ["t", "h", "none", "bad-url", "4", "empty"]
    assert [i for i, r in enumerate(got) if "error" in r] == [2, 3, 4]
    assert got[4]["error"] == "expected a mapping, not list"
    assert "MOSCOW (AP)" in got[0]["article"] and got[0]["site"] == "a"
    assert got[1]["lines"][0]["text"] == "Head" and got[5]["lines"] == []
    assert "lines" not in next(scorer.score_records(records[:1], with_lines=False))
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in records if isinstance(r, dict)) + "\n")
    out = tmp_path / "out.jsonl"
    main(["score", str(src), "-o", str(out), "--model", str(small_model_path), "--no-templates"])
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert written == [r for r in got if r["id"] != "4"]
