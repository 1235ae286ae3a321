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
