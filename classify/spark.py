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

Site templates: with ``site_templates=True`` the rows are regrouped by site (the key
``classify score`` uses: the ``site`` column, else the URL's host), and each site's pages
get a template index built from them alone, as ``classify score``'s batch mode builds one
over its input: a line that recurs across most of a site's pages is template, whatever
its words. A site's pages are then held in one executor's memory together, and the output
rows come grouped by site (join on ``id``). Otherwise pages are scored without an index,
unless the given scorer has one (``Scorer.load(templates=...)``, e.g. a file index built by
``classify templates build`` on storage every executor can read).

Needs the ``spark`` extra (``pip install 'classify[spark]'``): pyspark, and Java for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from classify.inputs import input_record
from classify.records import result_record
from classify.scorer import Scorer
from classify.template import TemplateIndex, site_key

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
    df: DataFrame,
    scorer: Scorer | None = None,
    *,
    with_lines: bool = False,
    site_templates: bool = False,
) -> DataFrame:
    """One output row per row of ``df``, scored by ``scorer`` (the package's default models
    when None): in the same partitions and order, or grouped by site with
    ``site_templates`` (see the module's docstring). Lazy, as Spark transformations are:
    nothing is scored until an action runs."""
    columns = [c for c in INPUT_COLUMNS if c in df.columns]
    if "text" not in columns and "html" not in columns:
        raise ValueError(f"the DataFrame needs a 'text' or 'html' column; it has {df.columns}")
    shared = df.sparkSession.sparkContext.broadcast(scorer or Scorer.load())
    rows = df.select(*columns).rdd
    if site_templates:
        url_at = columns.index("url") if "url" in columns else None
        site_at = columns.index("site") if "site" in columns else None

        def key(row: Row) -> str:
            url = row[url_at] if url_at is not None else None
            site = row[site_at] if site_at is not None else None
            return site_key(url, site) or ""

        def sites(index: int, keyed: Iterable[tuple[str, Row]]) -> Iterator[dict[str, Any]]:
            return score_sites(shared.value, keyed, index, columns, with_lines=with_lines)

        by_site = rows.keyBy(key).repartitionAndSortWithinPartitions(rows.getNumPartitions())
        out = by_site.mapPartitionsWithIndex(sites)
    else:

        def partition(index: int, part: Iterable[Row]) -> Iterator[dict[str, Any]]:
            return score_partition(shared.value, part, index, columns, with_lines=with_lines)

        out = rows.mapPartitionsWithIndex(partition)
    schema = OUTPUT_SCHEMA_WITH_LINES if with_lines else OUTPUT_SCHEMA
    return df.sparkSession.createDataFrame(out, schema)


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
    return scorer.score_records(_records(rows, index, columns), with_lines=with_lines)


def score_sites(
    scorer: Scorer,
    keyed: Iterable[tuple[str, Row]],
    index: int,
    columns: Iterable[str] = INPUT_COLUMNS,
    *,
    with_lines: bool = False,
) -> Iterator[dict[str, Any]]:
    """The output records of one partition's ``(site key, row)`` pairs, sorted by key: each
    site's pages scored with a template index built over them ("" : no site, no index)."""
    n = 0
    for site, group in groupby(keyed, key=itemgetter(0)):
        rows = [row for _, row in group]
        inputs = [input_record(r, r["id"]) for r in _records(rows, index, columns, start=n)]
        n += len(rows)
        pages = [r.page for r in inputs if r.page is not None]
        templates = TemplateIndex.build(pages) if site else None
        for result in scorer.with_templates(templates).score_inputs(inputs):
            yield result_record(result, with_lines=with_lines)


def _records(
    rows: Iterable[Row], index: int, columns: Iterable[str], *, start: int = 0
) -> Iterator[dict[str, Any]]:
    """Input records of rows: null columns left out, a null id ``<index>:<row>``."""
    names = tuple(columns)
    for n, row in enumerate(rows, start):
        record = {k: v for k, v in zip(names, row, strict=True) if v is not None}
        record.setdefault("id", f"{index}:{n}")
        yield record
