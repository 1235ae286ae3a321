"""The ``classify`` command: a thin layer over the library, with one error boundary.

Exit codes: 0 success; 1 some input records failed (each has an ``error`` in the output);
2 usage error or unreadable input/model (nothing written).
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any, TypeVar

from classify.inputs import InputError, InputRecord, ReadStats, read_inputs, rendered
from classify.persist import ModelFileError
from classify.records import DecidedBy, Label, Page, PageResult, result_record
from classify.samples import SampleFormatError
from classify.template import TemplateIndexError

log = logging.getLogger("classify")
T = TypeVar("T")

PROGRESS_EVERY_DEFAULT = 100  # pages between plain progress lines when tqdm is not installed
BATCHES_IN_FLIGHT_PER_WORKER = 2  # with --workers: batches queued per worker (bounds memory)
EXIT_OK = 0
EXIT_RECORD_ERRORS = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A failure to report in one line, exit code 2."""


_FLAGS = {DecidedBy.SITE_TEMPLATE: "T", DecidedBy.SEQUENCE: "S"}


def explain(result: PageResult) -> str:
    """Each line beside its label and probability, for a person to read."""
    head = f"# {result.id}" + (f"  {result.url}" if result.url else "")
    if result.error is not None:
        return f"{head}\n  error: {result.error}\n"
    out = [head]
    for line in result.lines:
        p = line.probabilities[line.label]
        flag = _FLAGS.get(line.decided_by, " ")
        text = line.text if len(line.text) <= 100 else line.text[:97] + "..."
        out.append(f"{line.label.value:<11} {p:4.2f} {flag} {text}")
    return "\n".join(out) + "\n"


class AtomicOutput:
    """Write to a temporary file beside ``path`` and rename it into place on success."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._tmp: str | None = None
        self.stream: IO[str]

    def __enter__(self) -> IO[str]:
        if self.path is None or self.path == "-":
            self.stream = sys.stdout
            return self.stream
        target = Path(self.path)
        if target.parent and not target.parent.exists():
            raise CliError(f"output folder does not exist: {target.parent}")
        fd, self._tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        self.stream = os.fdopen(fd, "w", encoding="utf-8")
        return self.stream

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._tmp is None:
            self.stream.flush()
            return
        self.stream.close()
        if exc_type is None:
            os.replace(self._tmp, str(self.path))
        else:
            Path(self._tmp).unlink(missing_ok=True)


Output = tuple[str, str | None, str]
"""One input record's output: its id, its error (or None) and the text written for it."""


def _progress(items: Iterable[Output], enabled: bool) -> Iterator[Output]:
    if not enabled:
        yield from items
        return
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is the optional `progress` extra: count pages plainly instead
        count = 0
        for count, item in enumerate(items, 1):
            if count % PROGRESS_EVERY_DEFAULT == 0:
                print(f"\rclassify: {count} pages", end="", file=sys.stderr, flush=True)
            yield item
        if count >= PROGRESS_EVERY_DEFAULT:
            print(f"\rclassify: {count} pages", file=sys.stderr)
        return
    yield from tqdm(items, unit="page", file=sys.stderr, mininterval=0.5)


@dataclass(frozen=True, slots=True)
class OutputConfig:
    """What ``classify score`` writes for each record."""

    format: str  # "jsonl", "explain" or "text" (the kept article)
    with_lines: bool = True


def _formatted(result: PageResult, scorer: Any, output: OutputConfig) -> str:
    """The text ``classify score`` writes for one result."""
    if output.format == "jsonl":
        record = result_record(result, with_lines=output.with_lines)
        return json.dumps(record, ensure_ascii=False) + "\n"
    if output.format == "explain":
        return explain(result)
    return "" if result.error is not None else scorer.kept_article(result) + "\n"


def _score_batch(scorer: Any, output: OutputConfig, batch: list[InputRecord]) -> list[Output]:
    """The outputs of a batch of records, in order (see :meth:`Scorer.score_inputs`)."""
    return [(r.id, r.error, _formatted(r, scorer, output)) for r in scorer.score_inputs(batch)]


_worker: tuple[Any, OutputConfig] | None = None
"""A scoring worker process's scorer and output settings (set once, by its initializer)."""


def _start_worker(scorer: Any, output: OutputConfig) -> None:
    global _worker
    _worker = (scorer, output)


def _score_batch_in_worker(batch: list[InputRecord]) -> list[Output]:
    assert _worker is not None, "worker not initialised"
    return _score_batch(*_worker, batch)


def _outputs(
    scorer: Any, output: OutputConfig, records: Iterable[InputRecord], workers: int
) -> Iterator[Output]:
    """One output per record, in input order; with ``workers`` > 1, worker processes render
    and score batches while this one reads."""
    batches = _batches(records, scorer.config.batch_size)
    if workers == 1:
        for batch in batches:
            yield from _score_batch(scorer, output, batch)
        return
    init = (_start_worker, (scorer, output))
    yield from _in_workers(_score_batch_in_worker, batches, workers, init)


def _batches(records: Iterable[InputRecord], size: int) -> Iterator[list[InputRecord]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def _render_batch(batch: list[InputRecord]) -> list[Page | None]:
    return [rendered(r).page for r in batch]


def _in_workers(
    work: Callable[[list[InputRecord]], list[T]],
    batches: Iterable[list[InputRecord]],
    workers: int,
    init: tuple[Callable[..., None], tuple[Any, ...]] | None = None,
) -> Iterator[T]:
    """``work`` over ``batches`` in ``workers`` spawned processes (``init``: each one's
    initializer and its arguments); results in input order, ``2 * workers`` batches in flight."""
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    initializer, initargs = init if init is not None else (None, ())
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),  # no forked locks or threads
        initializer=initializer,
        initargs=initargs,
    )
    pending: deque[Future[list[T]]] = deque()
    try:
        for batch in batches:
            pending.append(pool.submit(work, batch))
            while len(pending) > BATCHES_IN_FLIGHT_PER_WORKER * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    except BrokenProcessPool as exc:
        raise CliError(f"a worker process died: {exc}") from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _batch_templates(
    inputs: list[str], stdin_kind: str, workers: int, batch_size: int
) -> tuple[Any, list[InputRecord] | None]:
    """Pass 1 of batch mode: a site-template index over all the given pages (rendered by
    ``workers`` processes when more than one).

    Files are read twice (pass 1 here, pass 2 when scoring); standard input, which cannot be
    read twice, is buffered and returned.
    """
    from classify.template import TemplateIndex

    stats = ReadStats()
    if "-" in inputs:
        buffered = list(read_inputs(inputs, stats, stdin_kind=stdin_kind))
        pages = [r.page for r in buffered if r.page is not None]
        return TemplateIndex.build(pages), buffered
    if workers == 1:
        records = read_inputs(inputs, stats, stdin_kind=stdin_kind)
        return TemplateIndex.build(r.page for r in records if r.page is not None), None
    records = read_inputs(inputs, stats, stdin_kind=stdin_kind, render=False)
    rendered_pages = _in_workers(_render_batch, _batches(records, batch_size), workers)
    return TemplateIndex.build(p for p in rendered_pages if p is not None), None


def _is_single_page(inputs: list[str]) -> bool:
    from classify.inputs import expand, input_kind

    files = expand(inputs)
    return len(files) == 1 and files[0] != "-" and input_kind(files[0]) in ("text", "html")


def cmd_score(args: argparse.Namespace) -> int:
    from classify.scorer import ScoreConfig, Scorer

    if args.workers < 1:
        raise CliError(f"--workers must be 1 or more, not {args.workers}")
    inputs = args.inputs or ["-"]
    single_page = _is_single_page(inputs)
    config = ScoreConfig(
        headlines=not args.no_headlines,
        max_junk=args.max_junk,
        min_article_chars=args.min_article_chars,
        recall_weight=args.recall_weight,
    )
    buffered: list[InputRecord] | None = None
    templates: Any = None
    if args.templates:
        from classify.template import TemplateIndex

        templates = TemplateIndex.load(args.templates)
    elif (
        not args.no_templates
        and not (inputs == ["-"] and args.stdin_format != "jsonl")
        and not single_page
    ):
        templates, buffered = _batch_templates(
            inputs, args.stdin_format, args.workers, config.batch_size
        )
    scorer = Scorer.load(args.model, config=config, templates=templates)
    fmt = args.format
    if fmt is None:
        if args.output and args.output.endswith(".jsonl"):
            fmt = "jsonl"
        else:
            fmt = "text" if single_page or inputs == ["-"] else "jsonl"
    if args.explain:
        fmt = "explain"
    stats = ReadStats()
    if buffered is not None:
        records: Iterable[InputRecord] = buffered
    else:
        render = args.workers == 1  # else the workers render
        records = read_inputs(inputs, stats, stdin_kind=args.stdin_format, render=render)
    failed = 0
    total = 0
    show_progress = sys.stderr.isatty() and not args.quiet
    output = OutputConfig(format=fmt, with_lines=not args.no_lines)
    with AtomicOutput(args.output) as out:
        outputs = _outputs(scorer, output, records, args.workers)
        for record_id, error, text in _progress(outputs, show_progress):
            total += 1
            if error is not None:
                failed += 1
                log.warning("%s: %s", record_id, error)
            out.write(text)
    if stats.skipped:
        skipped = ", ".join(f"{k}: {v}" for k, v in sorted(stats.skipped.items()))
        print(f"skipped records (not pages): {skipped}", file=sys.stderr)
    if failed:
        print(f"{failed} of {total} records failed (see 'error')", file=sys.stderr)
        return EXIT_RECORD_ERRORS
    return EXIT_OK


def cmd_templates_build(args: argparse.Namespace) -> int:
    from classify.template import SqliteTemplateStore, TemplateIndex

    stats = ReadStats()
    pages = (r.page for r in read_inputs(args.inputs, stats) if r.page is not None)
    if args.update:
        with SqliteTemplateStore(args.output) as store:
            added = store.add_many(pages)
        print(f"added {added} pages to {args.output}", file=sys.stderr)
        return EXIT_OK
    if Path(args.output).exists() and not args.force:
        raise CliError(f"{args.output} exists; use --update to add pages or --force to replace")
    index = TemplateIndex.build(pages)
    index.save(args.output)
    print(
        f"indexed {len(index.sites())} sites from {stats.records} records into {args.output}",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_templates_show(args: argparse.Namespace) -> int:
    from classify.template import TemplateIndex

    index = TemplateIndex.load(args.index)
    sites = [args.site] if args.site else index.sites()
    for site in sites:
        pages = index.site_pages(site)
        print(f"{site}\t{pages} pages")
        if args.site or len(sites) <= 5:
            for text, share in index.top_lines(site, args.top):
                print(f"  {share:6.1%}  {text}")
    return EXIT_OK


def cmd_headlines(args: argparse.Namespace) -> int:
    from classify.headlines import load_headline_model

    model = load_headline_model(args.model)
    inputs = args.inputs or ["-"]
    with AtomicOutput(args.output) as out:
        for item in inputs:
            data = sys.stdin.buffer.read() if item == "-" else Path(item).read_bytes()
            lines = data.decode("utf-8", errors="replace").splitlines()
            scores = model.score(lines).tolist() if lines else []
            for text, score in zip(lines, scores, strict=True):
                if args.format == "jsonl":
                    out.write(
                        json.dumps(
                            {"text": text, "clickbait": round(float(score), 4)}, ensure_ascii=False
                        )
                        + "\n"
                    )
                else:
                    out.write(f"{score:.4f}\t{text}\n")
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from classify.model import ModelConfig
    from classify.train import FARM_WEIGHT_DEFAULT, train_and_save

    config = ModelConfig(decoding=args.decoding)
    if args.max_iter is not None:
        config = replace(config, max_iter=args.max_iter)
    if args.calibration is not None:
        config = replace(config, calibration=args.calibration)
    report = train_and_save(
        args.samples,
        args.output,
        heldout=args.heldout or [],
        synth_sites=args.synth_sites,
        corpora=args.corpora,
        config=config,
        farm_weight=FARM_WEIGHT_DEFAULT if args.farm_weight is None else args.farm_weight,
        keep_dom=args.keep_dom,
        recurrence=not args.no_recurrence,
    )
    print(report)
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from classify.train import evaluate_model

    print(
        evaluate_model(
            args.model,
            args.corpus,
            templates=not args.no_templates,
            keep_dom=args.dom,
            recall_weight=args.recall_weight,
        )
    )
    return EXIT_OK


def cmd_samples(args: argparse.Namespace) -> int:
    from classify.samples import format_tsv, read_samples, write_atomic, write_jsonl

    samples = read_samples(args.inputs)
    if args.output.endswith((".jsonl", ".jsonl.gz")):
        count = write_jsonl(args.output, samples)
    elif args.output.endswith(".tsv"):
        items = list(samples)
        count = len(items)
        write_atomic(args.output, ["---\n".join(format_tsv(s) for s in items)])
    else:
        raise CliError("output must end in .jsonl, .jsonl.gz or .tsv")
    print(f"wrote {count} pages to {args.output}", file=sys.stderr)
    return EXIT_OK


def _recall_weight_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--recall-weight",
        type=float,
        metavar="W",
        help="weigh page recall W against precision when keeping article lines, instead of "
        "the model's own (lower: less and cleaner article text; higher: more of it)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="classify",
        description="Label every line of scraped web pages: article, title, link, boilerplate.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    score = sub.add_parser("score", help="label the lines of pages and keep the article text")
    score.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help=".txt, .jsonl, .html/.htm (.gz) files or folders; '-' for stdin",
    )
    score.add_argument("-o", "--output", help="write here (atomically) instead of stdout")
    score.add_argument(
        "--format",
        choices=("text", "jsonl", "explain"),
        help="text: article only; jsonl: one record per page (default for many)",
    )
    score.add_argument("--explain", action="store_true", help="each line with label and p")
    score.add_argument("--model", help="a model file you trust (default: the shipped model)")
    score.add_argument(
        "--stdin-format",
        choices=("text", "jsonl", "html"),
        default="text",
        help="what '-' holds (default text)",
    )
    score.add_argument("--no-lines", action="store_true", help="jsonl without per-line records")
    score.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    score.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="render and score in N worker processes (this one reads and writes)",
    )
    score.add_argument(
        "--templates", metavar="INDEX", help="a site-template index from 'classify templates build'"
    )
    score.add_argument(
        "--no-templates",
        action="store_true",
        help="do not learn site templates from the given pages (batch mode)",
    )
    score.add_argument("--no-headlines", action="store_true", help="no clickbait scores")
    score.add_argument(
        "--max-junk",
        type=float,
        metavar="X",
        help="drop the article of pages whose junk score is above X",
    )
    score.add_argument(
        "--min-article-chars",
        type=int,
        default=0,
        metavar="N",
        help="drop the article of pages keeping fewer than N characters",
    )
    _recall_weight_option(score)
    score.set_defaults(func=cmd_score)

    templates = sub.add_parser("templates", help="site-template indexes")
    tsub = templates.add_subparsers(dest="templates_command", required=True)
    build = tsub.add_parser("build", help="index the template lines of sites from their pages")
    build.add_argument("inputs", nargs="+", metavar="INPUT")
    build.add_argument("-o", "--output", required=True, metavar="INDEX", help="SQLite file")
    build.add_argument(
        "--update", action="store_true", help="add the pages to an existing index (streaming mode)"
    )
    build.add_argument("--force", action="store_true", help="replace an existing index")
    build.set_defaults(func=cmd_templates_build)
    show = tsub.add_parser("show", help="a site's top template lines and their page shares")
    show.add_argument("index")
    show.add_argument("site", nargs="?")
    show.add_argument("--top", type=int, default=20)
    show.set_defaults(func=cmd_templates_show)

    headlines = sub.add_parser("headlines", help="clickbait probability of headlines, one a line")
    headlines.add_argument("inputs", nargs="*", metavar="FILE", help="files, or '-' for stdin")
    headlines.add_argument("-o", "--output")
    headlines.add_argument("--format", choices=("tsv", "jsonl"), default="tsv")
    headlines.add_argument("--model", help="a headline model file you trust")
    headlines.set_defaults(func=cmd_headlines)

    train = sub.add_parser("train", help="train a line model on labelled samples")
    train.add_argument("samples", nargs="+", help="labelled samples (.jsonl[.gz], .tsv, folders)")
    train.add_argument("-o", "--output", required=True, help="model file to write (.joblib)")
    train.add_argument("--heldout", nargs="*", help="held-out samples for the report")
    train.add_argument(
        "--synth-sites",
        type=int,
        default=0,
        help="add N generated content-farm sites (needs --corpora)",
    )
    train.add_argument("--corpora", help="the shared corpora folder, for --synth-sites")
    train.add_argument(
        "--keep-dom",
        action="store_true",
        help="train on the samples' DOM facts too (a model for HTML input)",
    )
    train.add_argument(
        "--farm-weight",
        type=float,
        help="training weight of content-farm pages, generated and hand-written "
        "(default: classify.train.FARM_WEIGHT_DEFAULT)",
    )
    train.add_argument(
        "--max-iter",
        type=int,
        help="SAGA epochs of each logistic regression (default: ModelConfig.max_iter)",
    )
    train.add_argument(
        "--no-recurrence",
        action="store_true",
        help="do not feed site-template recurrence to the model while training",
    )
    train.add_argument(
        "--calibration",
        choices=("page", "matrix", "temperature", "none"),  # classify.model.CALIBRATIONS
        help="map stage 2's out-of-fold log-probabilities to probabilities "
        "(default: ModelConfig.calibration)",
    )
    train.add_argument(
        "--decoding",
        choices=("sequence", "argmax"),  # classify.model.DECODINGS (not imported at start-up)
        default="sequence",
        help="sequence: decide each page's labels from the sequence marginals and the page "
        "decision of its article lines (chosen on the out-of-fold training rows); argmax: "
        "line by line",
    )
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser("evaluate", help="score a model on labelled samples vs baselines")
    evaluate.add_argument("model", help="model file ('default' for the shipped one)")
    evaluate.add_argument("corpus", nargs="+", help="labelled samples (.jsonl[.gz], .tsv)")
    evaluate.add_argument(
        "--no-templates", action="store_true", help="skip the run with a batch site-template index"
    )
    evaluate.add_argument(
        "--dom", action="store_true", help="score the samples with their DOM facts (HTML input)"
    )
    _recall_weight_option(evaluate)
    evaluate.set_defaults(func=cmd_evaluate)

    samples = sub.add_parser("samples", help="convert labelled samples between .tsv and .jsonl")
    samples.add_argument("inputs", nargs="+")
    samples.add_argument("-o", "--output", required=True)
    samples.set_defaults(func=cmd_samples)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="classify: %(message)s",
        stream=sys.stderr,
    )
    try:
        code: int = args.func(args)
        return code
    except (
        CliError,
        InputError,
        ModelFileError,
        SampleFormatError,
        FileNotFoundError,
        TemplateIndexError,
        ValueError,
    ) as exc:
        print(f"classify: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("classify: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Label", "build_parser", "main", "result_record"]
