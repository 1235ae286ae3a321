from __future__ import annotations

import json
from pathlib import Path

from classify.cli import main
from classify.evaluate import ArticleF1, page_score
from classify.model import LineClassifier
from classify.persist import sidecar_path
from classify.records import Label, LabelledPage, Line, Page
from classify.scorer import Scorer
from classify.train import evaluate

from .conftest import SEED_LABELS, TRAIN_DIR


def test_train_writes_a_model_its_sidecar_and_a_report(tmp_path: Path, capsys: object) -> None:
    farm = sorted(TRAIN_DIR.glob("farm_*.tsv"))[:4]
    out = tmp_path / "m.joblib"
    code = main(["train", *map(str, farm), "-o", str(out), "--heldout", str(SEED_LABELS)])
    report = capsys.readouterr().out  # type: ignore[attr-defined]
    assert code == 0
    assert "page-level article F1 on 1 pages" in report and "c4-rule" in report
    assert "sequence marginals at strength" in report and "page decision with recall" in report
    meta = json.loads(sidecar_path(out).read_text(encoding="utf-8"))
    assert meta["kind"] == "lines" and meta["labels"][0] == "article"
    assert meta["training"]["pages"] == sum(f.read_text().count("\n---\n") + 1 for f in farm)
    assert len(meta["training"]["digest_sha256"]) == 64
    assert meta["training"]["heldout_digest_sha256"]
    assert 0.0 <= meta["scores"]["heldout"]["article_f1"]["f1"] <= 1.0
    assert meta["model_sha256"]
    assert Scorer.load(out).score("Home\nA sentence about rain in the valley today.").lines


def test_evaluate_prints_with_and_without_templates(
    tmp_path: Path, small_model_path: Path, capsys: object
) -> None:
    assert main(["evaluate", str(small_model_path), str(SEED_LABELS)]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "without site templates" in out and "with a batch site-template index" in out
    assert "keep-all" in out


def test_evaluate_scores_ccnet_dedup_on_the_same_pages(small_model: LineClassifier) -> None:
    nav, foot = "Home | World | Sport", "Share this story: 12 comments"
    stories = ["Rain fell on the valley all day long.", "Snow closed the pass on Sunday night."]
    samples = [
        LabelledPage(
            Page(id=str(i), lines=(Line(nav), Line(story), Line(foot)), site="x.example"),
            (Label.BOILERPLATE, Label.ARTICLE, Label.BOILERPLATE),
        )
        for i, story in enumerate(stories)
    ]
    result = evaluate(small_model, samples)
    # CCNet keeps the first page whole and drops its recurring lines from the second
    first = page_score(f"{nav}\n{stories[0]}\n{foot}", stories[0])
    second = page_score(stories[1], stories[1])
    assert result.ccnet == ArticleF1.of([first, second])
    assert result.ccnet.precision < 1.0 and result.ccnet.recall == 1.0
    # the C4 rule after it drops the first page's navigation and footer (no terminal stop)
    assert result.ccnet_c4 == ArticleF1.of([page_score(stories[0], stories[0]), second])
    assert result.ccnet_c4.f1 == 1.0
    assert "ccnet-dedup" in result.format() and "ccnet+c4" in result.format()


def test_train_takes_farm_weight_and_epochs(tmp_path: Path, capsys: object) -> None:
    farm = sorted(TRAIN_DIR.glob("farm_*.tsv"))[:3]
    out = tmp_path / "m.joblib"
    argv = ["train", *map(str, farm), "-o", str(out), "--farm-weight", "5", "--max-iter", "3"]
    assert main(argv) == 0
    capsys.readouterr()  # type: ignore[attr-defined]
    meta = json.loads(sidecar_path(out).read_text(encoding="utf-8"))
    assert meta["training"]["farm_weight"] == 5.0
    assert meta["config"]["max_iter"] == 3


def test_train_without_recurrence_ignores_it(tmp_path: Path, capsys: object) -> None:
    import numpy as np

    from classify.features import Recurrence
    from classify.samples import read_samples

    farm = sorted(TRAIN_DIR.glob("farm_*.tsv"))[:3]
    out = tmp_path / "m.joblib"
    argv = ["train", *map(str, farm), "-o", str(out), "--max-iter", "3", "--no-recurrence"]
    assert main(argv) == 0
    capsys.readouterr()  # type: ignore[attr-defined]
    meta = json.loads(sidecar_path(out).read_text(encoding="utf-8"))
    assert meta["training"]["recurrence"] is False
    model = Scorer.load(out).model
    pages = [s.page for s in read_samples(farm)][:2]
    shares = [Recurrence(np.linspace(0.0, 1.0, len(p.lines)), site_pages=30) for p in pages]
    # the recurrence columns were all zero in training, so their weights are zero
    assert np.array_equal(model.predict_proba(pages), model.predict_proba(pages, shares))
