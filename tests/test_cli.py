from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from classify.cli import main

from .conftest import SEED


def test_score_text_page_prints_article(
    small_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["score", str(SEED), "--model", str(small_model_path), "-q"])
    out = capsys.readouterr().out
    assert code == 0
    assert "MOSCOW (AP)" in out


def test_score_jsonl_one_record_per_input_in_order(tmp_path: Path, small_model_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    seed = SEED.read_text(encoding="utf-8")
    src.write_text(
        "\n".join(
            [
                json.dumps({"id": "seed", "text": seed}),
                "{broken",
                json.dumps({"id": "empty", "text": ""}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    code = main(["score", str(src), "-o", str(out), "--model", str(small_model_path), "-q"])
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert code == 1  # one record failed, and says so
    assert [r["id"] for r in records] == ["seed", "in.jsonl:2", "empty"]
    assert "error" in records[1] and "error" not in records[0]
    first = records[0]
    assert {"id", "url", "article", "title", "lines", "verdict"} <= set(first)
    line = first["lines"][0]
    assert set(line) >= {"text", "label", "p", "decided_by"}
    assert set(line["p"]) == {"article", "title", "link", "boilerplate"}
    assert records[2]["lines"] == [] and records[2]["article"] == ""


def test_usage_errors_exit_2_and_write_nothing(
    tmp_path: Path, small_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    assert (
        main(
            ["score", str(tmp_path / "nope.txt"), "-o", str(out), "--model", str(small_model_path)]
        )
        == 2
    )
    assert capsys.readouterr().err.startswith("classify: error: no such input")
    assert not out.exists()
    assert main(["score", str(SEED), "--model", str(tmp_path / "missing.joblib")]) == 2
    assert "no such model file" in capsys.readouterr().err


def test_explain_shows_labels_and_probabilities(
    small_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["score", str(SEED), "--explain", "--model", str(small_model_path), "-q"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("# ")
    assert any(line.startswith("article ") for line in out)


def test_samples_convert_round_trip(tmp_path: Path) -> None:
    seed_tsv = Path(__file__).resolve().parent.parent / "data" / "test" / "seed.tsv"
    jsonl = tmp_path / "seed.jsonl"
    assert main(["samples", str(seed_tsv), "-o", str(jsonl)]) == 0
    back = tmp_path / "seed.tsv"
    assert main(["samples", str(jsonl), "-o", str(back)]) == 0
    assert [ln.split("\t")[0] for ln in back.read_text().splitlines() if "\t" in ln] == [
        ln.split("\t")[0] for ln in seed_tsv.read_text().splitlines() if "\t" in ln
    ]


def test_headlines_command(tmp_path: Path) -> None:
    src = tmp_path / "h.txt"
    src.write_text("Parliament passes the budget\n\nYou won't believe what this cat did\n")
    run = subprocess.run(
        [sys.executable, "-m", "classify.cli", "headlines", str(src)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    rows = [line.split("\t", 1) for line in run.stdout.splitlines()]
    assert [r[1] for r in rows] == [
        "Parliament passes the budget",
        "",
        "You won't believe what this cat did",
    ]
    assert float(rows[2][0]) > float(rows[0][0])


def test_filters_drop_the_article_but_keep_the_record(
    tmp_path: Path, small_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    args = ["score", str(SEED), "--model", str(small_model_path), "-q", "--max-junk", "-1"]
    assert main([*args, "-o", str(out)]) == 0
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["verdict"]["kept"] is False
    assert record["verdict"]["dropped_because"].startswith("junk ")
    assert record["article"]  # the record still says what the article was
    assert main([*args, "--format", "text"]) == 0
    assert capsys.readouterr().out == "\n"  # dropped from the text output
    assert main([*args[:-2], "--min-article-chars", "1", "--format", "text"]) == 0
    assert "MOSCOW (AP)" in capsys.readouterr().out


def test_recall_weight_trades_article_text_for_cleanliness(
    tmp_path: Path, small_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["score", str(SEED), "--model", str(small_model_path), "-q", "--format", "text"]
    kept = {}
    for weight in ("0.05", "1", "50"):
        assert main([*args, "--recall-weight", weight]) == 0
        kept[weight] = [line for line in capsys.readouterr().out.splitlines() if line]
    assert set(kept["0.05"]) <= set(kept["1"]) <= set(kept["50"])
    assert len(kept["0.05"]) < len(kept["50"])
    out = tmp_path / "out.jsonl"
    for bad in ("0", "-1", "nan", "inf"):
        assert main([*args, "--recall-weight", bad, "-o", str(out)]) == 2
        assert "recall weight must be above 0 and finite" in capsys.readouterr().err
    assert not out.exists()


def test_worker_processes_write_what_one_process_writes(
    tmp_path: Path, small_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = SEED.read_text(encoding="utf-8")
    records = [
        json.dumps({"id": f"p{i}", "site": f"s{i % 2}", "text": seed[: 300 + 40 * i]})
        for i in range(150)  # three batches of 64, each ending at its own place in the seed
    ]
    records[7] = "{broken"
    records[70] = json.dumps({"id": "no-text"})
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(records) + "\n", encoding="utf-8")
    base = ["score", str(src), "--model", str(small_model_path), "-q"]
    written: dict[str, list[str]] = {}
    for fmt, extra in (("jsonl", []), ("text", ["--no-templates"])):
        for workers in ("1", "2"):
            out = tmp_path / f"out{workers}.{fmt}"
            code = main([*base, *extra, "--format", fmt, "-o", str(out), "--workers", workers])
            assert code == 1  # two records failed, and say so
            written.setdefault(fmt, []).append(out.read_text(encoding="utf-8"))
        assert written[fmt][0] == written[fmt][1]
    rows = [json.loads(line) for line in written["jsonl"][0].splitlines()]
    ids = [f"p{i}" for i in range(150)]
    ids[7], ids[70] = "in.jsonl:8", "no-text"
    assert [r["id"] for r in rows] == ids
    assert [i for i, r in enumerate(rows) if "error" in r] == [7, 70]
    assert "MOSCOW (AP)" in written["text"][0]
    capsys.readouterr()
    out = tmp_path / "out.jsonl"
    assert main([*base, "-o", str(out), "--workers", "0"]) == 2
    assert "--workers must be 1 or more" in capsys.readouterr().err
    assert not out.exists()
