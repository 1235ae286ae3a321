"""classify.spark on a local Spark session: the DataFrame path gives what score_records gives."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from classify.scorer import Scorer

from .conftest import SEED

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java", allow_module_level=True)

from pyspark.sql import SparkSession  # noqa: E402

from classify.spark import score_dataframe  # noqa: E402

STORY = "Rain fell on the valley all day long, and the river rose by a metre, the mayor said."
MORE = "Farmers moved their cattle to higher fields on Sunday as the water kept rising."
HTML = (
    "<html><body><nav><a href=/>Home</a> <a href=/n>News</a></nav><article>"
    f"<h1>River rises in the valley</h1><p>{STORY}</p><p>{MORE}</p></article>"
    "<footer>Contact us</footer></body></html>"
)
RECORDS: list[dict[str, Any]] = [
    {"id": "seed", "url": "https://farm.example/a", "text": SEED.read_text(encoding="utf-8")},
    {"id": "html", "html": HTML},
    {"id": "empty", "text": None, "html": None},
    {"id": None, "site": "x.example", "text": f"Home | News\n{STORY}"},
    {"id": "no-lines", "text": ""},
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = (
        SparkSession.builder.master("local[2]")
        .appName("classify-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    yield session
    session.stop()


def _frame(spark: Any) -> Any:
    schema = "id string, url string, site string, text string, html string"
    rows = [tuple(r.get(k) for k in ("id", "url", "site", "text", "html")) for r in RECORDS]
    return spark.createDataFrame(rows, schema).repartition(1)


def test_one_row_per_input_row_as_score_records_gives(spark: Any) -> None:
    scorer = Scorer.load()
    out = score_dataframe(_frame(spark), scorer, with_lines=True).collect()
    assert len(out) == len(RECORDS)
    # what the Python API gives for the same records (the null id numbered as in Spark)
    inputs = [{k: v for k, v in r.items() if v is not None} for r in RECORDS]
    inputs[3]["id"] = "0:3"
    expected = list(scorer.score_records(inputs, with_lines=True))
    for row, want in zip(out, expected, strict=True):
        got = row.asDict(recursive=True)
        assert got["id"] == want["id"] and got["error"] == want.get("error")
        assert got["article"] == want.get("article") and got["title"] == want.get("title")
        if want.get("lines"):
            assert [ln["label"] for ln in got["lines"]] == [ln["label"] for ln in want["lines"]]
            assert got["lines"][0]["p"] == want["lines"][0]["p"]
            assert got["verdict"]["junk"] == want["verdict"]["junk"]
    assert out[0]["article"].startswith("MOSCOW (AP)")
    assert (
        out[1]["article"] == f"{STORY}\n{MORE}" and out[1]["title"] == "River rises in the valley"
    )
    assert out[3]["id"] == "0:3"
    assert out[2]["error"] and out[2]["article"] is None


def test_without_lines_and_with_text_only(spark: Any) -> None:
    frame = spark.createDataFrame([("a", f"Menu\n{STORY}")], "id string, text string")
    [row] = score_dataframe(frame).collect()
    assert "lines" not in row.asDict() and row["article"] == STORY


def test_a_frame_without_text_or_html_is_refused(spark: Any) -> None:
    frame = spark.createDataFrame([("a", "b")], "id string, body string")
    with pytest.raises(ValueError, match="'text' or 'html' column"):
        score_dataframe(frame)


STORIES = (
    ("The council", "approved a new bridge over the river at a cost of four million"),
    ("Fishing crews", "protested against the closure of the northern quay for repairs"),
    ("A local bakery", "won the regional bread prize for the third year running"),
    ("The school board", "voted to extend the summer term by two weeks next year"),
    ("Firefighters", "rescued two hikers stranded on the cliffs during the storm"),
    ("The museum", "opened an exhibition of maps drawn by the first harbour pilots"),
)


def _site_pages() -> list[dict[str, Any]]:
    """Two sites of six pages: each page a story of its own inside the site's template,
    whose last line reads like a sentence of the story."""
    out = []
    for site, footer in (
        ("https://ledger.example", "Subscribe now and read every story on the harbour first."),
        ("https://courier.test", "Our newsroom checks every story before it goes online."),
    ):
        for n, (who, what) in enumerate(STORIES):
            story = f"{who} {what}, officials said on Tuesday after a long meeting."
            text = f"Home | News | Sport\n{story}\nThe works would start in spring.\n{footer}"
            out.append({"id": f"{site[8:]}-{n}", "url": f"{site}/{n}", "text": text})
    out.append({"id": "no-site", "text": "Home\nA page with no address, scored alone."})
    return out


def test_site_templates_per_site_as_the_batch_index_gives(spark: Any) -> None:
    from classify.inputs import input_record
    from classify.template import TemplateIndex

    records = _site_pages()
    frame = spark.createDataFrame(
        [(r["id"], r.get("url"), r["text"]) for r in records], "id string, url string, text string"
    ).repartition(3)
    out = score_dataframe(frame, with_lines=True, site_templates=True).collect()
    got = {row["id"]: row.asDict(recursive=True) for row in out}
    assert sorted(got) == sorted(r["id"] for r in records)
    # classify score's batch mode: one index over all the pages
    scorer = Scorer.load()
    index = TemplateIndex.build(input_record(r, r["id"]).page for r in records)
    want = {r["id"]: r for r in scorer.with_templates(index).score_records(records)}
    for rid, record in want.items():
        lines = [(ln["label"], ln["decided_by"]) for ln in record["lines"]]
        assert [(ln["label"], ln["decided_by"]) for ln in got[rid]["lines"]] == lines
        assert got[rid]["article"] == record["article"]
    decided = [ln for r in got.values() for ln in r["lines"] if ln["decided_by"] == "site_template"]
    recurring = "The works would start in spring."  # a sentence on every page of both sites
    assert {ln["text"] for ln in decided} >= {"Home | News | Sport", recurring}
    assert all(ln["label"] != "article" for ln in decided)
    # without site templates nothing is decided by a template, and the model alone keeps
    # the recurring sentence as article text
    plain = score_dataframe(frame, with_lines=True).collect()
    assert all(ln["decided_by"] != "site_template" for row in plain for ln in row["lines"])
    assert any(recurring in (row["article"] or "") for row in plain)
