"""Score a Spark DataFrame of pages: the ingestion-job form of ``classify score``.

The scorer is broadcast once (it pickles as its model paths: each executor's Python worker
loads the models from there once, so a model of yours must sit where executors can read
it; the package's default models come with the package) and each partition is scored by
:meth:`~classify.scorer.Scorer.score_records`, in batches, one output row per input row in
the partition's order. A row that cannot be scored (no text,
HTML that does not parse) gets ``error`` and null fields, never an exception that would
fail the job::

    from classify.spark import score_dataframe
    scored = score_dataframe(spark.read.json("pages.jsonl"))  # id, url, site, text | html
    scored.select("id", "article", "verdict.junk").write.parquet("scored")

Input columns used: ``text`` and/or ``html`` (one of them is required), and ``id``, ``url``,
``site`` when present; others are ignored. A null ``id`` becomes ``<partition>:<row>``.
Output columns: :data:`OUTPUT_SCHEMA` (``lines`` only with ``with_lines``).

Site templates: pages are scored without a site-template index unless the given scorer
has one (``Scorer.load(templates=...)``, e.g. a file index built by ``classify templates
build`` on storage every executor can read).

Needs the ``spark`` extra (``pip install 'classify[spark]'``): pyspark, and Java for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from classify.scorer import Scorer

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, Row

INPUT_COLUMNS = ("id", "url", "site", "text", "html")

_VERDICT = (
    "struct<article_share: double, article_lines: bigint, article_chars: bigint, "
    "link_share: double, clickbait_share: double, template_share: double, junk: double, "
    "kept: boolean, dropped_because: string>"
)
_LINE = (
    "struct<text: string, label: string, p: map<string, double>, decided_by: string, "
    "template_share: double, clickbait: double>"
)
OUTPUT_SCHEMA = (
    "id string, url string, site string, title string, article string, "
    f"verdict {_VERDICT}, error string"
)
"""The output rows (Spark DDL): the fields of a ``classify score --format jsonl`` record."""
OUTPUT_SCHEMA_WITH_LINES = f"{OUTPUT_SCHEMA}, lines array<{_LINE}>"
""":data:`OUTPUT_SCHEMA` and every line with its label, probabilities and what decided it."""


def score_dataframe(
    df: DataFrame, scorer: Scorer | None = None, *, with_lines: bool = False
) -> DataFrame:
    """One output row per row of ``df``, in the same partitions and order, scored by
    ``scorer`` (the package's default models when None). Lazy, as Spark transformations
    are: nothing is scored until an action runs."""
    columns = [c for c in INPUT_COLUMNS if c in df.columns]
    if "text" not in columns and "html" not in columns:
        raise ValueError(f"the DataFrame needs a 'text' or 'html' column; it has {df.columns}")
    shared = df.sparkSession.sparkContext.broadcast(scorer or Scorer.load())

    def partition(index: int, rows: Iterable[Row]) -> Iterator[dict[str, Any]]:
        return score_partition(shared.value, rows, index, columns, with_lines=with_lines)

    rows = df.select(*columns).rdd.mapPartitionsWithIndex(partition)
    schema = OUTPUT_SCHEMA_WITH_LINES if with_lines else OUTPUT_SCHEMA
    return df.sparkSession.createDataFrame(rows, schema)


def score_partition(
    scorer: Scorer,
    rows: Iterable[Row],
    index: int,
    columns: Iterable[str] = INPUT_COLUMNS,
    *,
    with_lines: bool = False,
) -> Iterator[dict[str, Any]]:
    """The output records of one partition's rows (see :func:`score_dataframe`); null
    columns are left out of the input record, and a null id is ``<index>:<row>``."""
    names = tuple(columns)

    def records() -> Iterator[dict[str, Any]]:
        for n, row in enumerate(rows):
            record = {k: v for k, v in zip(names, row, strict=True) if v is not None}
            record.setdefault("id", f"{index}:{n}")
            yield record

    return scorer.score_records(records(), with_lines=with_lines)
