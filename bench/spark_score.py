"""classify in a Spark job, beside the same scoring in one Python process and the C4 line
rule in the same Spark job, on the same pages in one run.

Pages: the typical corpus article pages of ``bench/score_speed.py`` (2-10 KB of text),
repeated to ``--pages``, as a DataFrame of ``id, text`` (or ``id, html`` with ``--html``)
in ``--partitions`` partitions on a local Spark of ``--cores`` cores. Rows:

- ``classify.spark.score_dataframe`` (one output row per page, written to a no-op sink so
  every row is computed; the time includes broadcasting the scorer);
- the C4 line rule as a Spark job over the same DataFrame (``mapPartitions``; HTML
  rendered to lines by classify's renderer first), a cheap Python pass over the same rows:
  what Spark's own per-row cost is;
- ``Scorer.score_records`` on the same records in this process (no Spark);
- the same two with site templates: the pages spread over ``--sites`` sites (a ``site``
  column), ``score_dataframe(..., site_templates=True)`` against one batch index over all
  the pages (``classify score``'s batch mode) in this process.

Also checks that Spark gives the same article for every page as the Python API, with and
without site templates.
Spark's start-up (JVM, session) is printed apart and not counted.

    python bench/spark_score.py [--pages 4000] [--cores 2] [--partitions 8] [--html]
"""

from __future__ import annotations

import argparse
import sys
import time
from itertools import cycle, islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # measure the checkout this script is in, not an installed copy
sys.path.insert(0, str(ROOT / "bench"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=4000)
    parser.add_argument("--distinct", type=int, default=500, help="distinct corpus pages")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--html", action="store_true", help="score the pages' HTML")
    parser.add_argument("--sites", type=int, default=40, help="sites of the template rows")
    args = parser.parse_args()

    from pyspark.sql import SparkSession
    from score_speed import typical_pages

    from classify.evaluate import c4_keep
    from classify.inputs import input_record
    from classify.scorer import Scorer
    from classify.spark import score_dataframe
    from classify.template import TemplateIndex

    field = "html" if args.html else "text"
    pages = typical_pages(args.distinct)
    chosen = list(islice(cycle(pages), args.pages))
    records = [
        {"id": str(i), "site": f"s{i % args.sites}.example", field: html if args.html else text}
        for i, (html, text) in enumerate(chosen)
    ]
    print(f"{len(records)} pages ({len(pages)} distinct), {field}, {args.cores} cores")

    started = time.perf_counter()
    spark = (
        SparkSession.builder.master(f"local[{args.cores}]")
        .appName("classify-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    frame = spark.createDataFrame(
        [(r["id"], r["site"], r[field]) for r in records], f"id string, site string, {field} string"
    ).repartition(args.partitions)
    frame.cache().count()
    print(f"spark start-up and input caching: {time.perf_counter() - started:.1f} s (not counted)")
    scorer = Scorer.load()

    def rate(label: str, seconds: float) -> None:
        print(f"{label:<44} {len(records) / seconds:>8.0f} pages/s  ({seconds:.1f} s)")

    def c4_partition(rows: Any) -> Any:
        from classify.render import html_to_text

        for row in rows:
            text = html_to_text(row[2]) if args.html else row[2]
            lines = (line.strip() for line in (text or "").splitlines())
            yield (row[0], "\n".join(line for line in lines if line and c4_keep(line)))

    start = time.perf_counter()
    spark.createDataFrame(
        frame.rdd.mapPartitions(c4_partition), "id string, article string"
    ).write.format("noop").mode("overwrite").save()
    rate("C4 line rule, Spark job", time.perf_counter() - start)

    start = time.perf_counter()
    score_dataframe(frame, scorer).write.format("noop").mode("overwrite").save()
    rate("classify.spark.score_dataframe", time.perf_counter() - start)

    start = time.perf_counter()
    expected = {r["id"]: r.get("article") for r in scorer.score_records(records, with_lines=False)}
    rate("Scorer.score_records, one process (no Spark)", time.perf_counter() - start)

    got = {row["id"]: row["article"] for row in score_dataframe(frame, scorer).collect()}
    same = sum(got.get(k) == v for k, v in expected.items())
    print(f"same article as the Python API: {same} of {len(expected)} pages")

    print(f"\nwith site templates ({args.sites} sites)")
    start = time.perf_counter()
    by_site = score_dataframe(frame, scorer, site_templates=True)
    by_site.write.format("noop").mode("overwrite").save()
    rate("classify.spark.score_dataframe(site_templates)", time.perf_counter() - start)

    start = time.perf_counter()
    index = TemplateIndex.build(input_record(r, r["id"]).page for r in records)
    templated = scorer.with_templates(index).score_records(records, with_lines=False)
    expected_t = {r["id"]: r.get("article") for r in templated}
    rate("batch index + Scorer.score_records (no Spark)", time.perf_counter() - start)

    got_t = {row["id"]: row["article"] for row in by_site.collect()}
    same_t = sum(got_t.get(k) == v for k, v in expected_t.items())
    print(f"same article as the Python API with a batch index: {same_t} of {len(expected_t)}")
    spark.stop()
    ok = same == len(expected) == len(got) and same_t == len(expected_t) == len(got_t)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
