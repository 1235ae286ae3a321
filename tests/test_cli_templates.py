"""The ``classify templates`` commands and ``classify score`` with site templates, end to end.

Runs the real command (``classify.cli.main``) with the small test model.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from classify.cli import EXIT_OK, EXIT_USAGE, main

SITE = "farm.example"
_CHROME = ("FarmNews", "Home World Money Tech", "View", "Related", "Share this story")
_WORDS = (
    *("council", "river", "market", "bridge", "harvest", "winter", "budget", "school"),
    *("station", "museum", "ferry", "festival", "hospital", "library", "orchard", "harbour"),
)


def _paragraph(rng: random.Random, k: int, j: int) -> str:
    words = " ".join(rng.choice(_WORDS) for _ in range(18))
    return f"Report {k} paragraph {j}: officials said the {words} plan would go ahead this year."


def _page(rng: random.Random, k: int, *, site: str | None = None) -> dict[str, object]:
    lines = [
        _CHROME[0],
        _CHROME[1],
        f"Headline number {k}: {' '.join(rng.sample(_WORDS, 5))}",
        "View",
        f"Date:2025-01-{k + 1:02d} 10:{k:02d}",
        *(_paragraph(rng, k, j) for j in range(5)),
        f"veryGood! ({rng.randint(10, 9999)})",
        "Related",
        *(f"- Sidebar {' '.join(rng.sample(_WORDS, 6))}" for _ in range(4)),
        "Share this story",
    ]
    record: dict[str, object] = {"id": f"p{k}", "text": "\n".join(lines)}
    if site is None:
        record["url"] = f"https://www.{SITE}/news/{k}"
    else:
        record["site"] = site
    return record


def _write(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture()
def pages(tmp_path: Path) -> Path:
    rng = random.Random(3)
    return _write(tmp_path / "pages.jsonl", [_page(rng, k) for k in range(8)])


def _score(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["score", "--format", "jsonl", "--no-headlines", *args]) == EXIT_OK
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines()]


def _decisions(records: list[dict[str, object]]) -> dict[str, str]:
    """text -> decided_by for every line of every record (chrome lines agree across pages)."""
    out: dict[str, str] = {}
    for record in records:
        for line in record["lines"]:  # type: ignore[attr-defined]
            out[line["text"]] = line["decided_by"]
    return out


def test_build_show_and_score_with_an_index(
    pages: Path, tmp_path: Path, small_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "idx.sqlite"
    assert main(["templates", "build", str(pages), "-o", str(index)]) == EXIT_OK
    assert "indexed 1 sites" in capsys.readouterr().err
    assert main(["templates", "show", str(index), SITE]) == EXIT_OK
    shown = capsys.readouterr().out.splitlines()
    assert shown[0] == f"{SITE}\t8 pages"
    listed = {line.split(maxsplit=1)[1] for line in shown[1:] if line.startswith("  100.0%")}
    assert {"FarmNews", "View", "Related", "Share this story"} <= listed
    assert "veryGood! (" in " ".join(listed)  # the counter line, whatever its number
    assert not any(line.strip().startswith("Report") for line in shown)  # articles: 1 page

    records = _score(
        capsys, "--model", str(small_model_path), "--templates", str(index), str(pages)
    )
    assert [r["id"] for r in records] == [f"p{k}" for k in range(8)]
    decided = _decisions(records)
    for chrome in _CHROME:
        assert decided[chrome] == "site_template", chrome
    first = records[0]["lines"]
    assert all(line["template_share"] == 0.0 for line in first if line["text"].startswith("Report"))  # type: ignore[union-attr, index]
    assert all(
        line["decided_by"] == "model"
        for r in records
        for line in r["lines"]  # type: ignore[attr-defined]
        if line["text"].startswith("Report")
    )


def test_build_over_an_existing_file_needs_force(
    pages: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "idx.sqlite"
    assert main(["templates", "build", str(pages), "-o", str(index)]) == EXIT_OK
    before = index.read_bytes()
    capsys.readouterr()
    assert main(["templates", "build", str(pages), "-o", str(index)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("classify: error: ") and "--force" in err
    assert index.read_bytes() == before
    rng = random.Random(9)
    other = _write(tmp_path / "other.jsonl", [_page(rng, k) for k in range(3)])
    assert main(["templates", "build", str(other), "-o", str(index), "--force"]) == EXIT_OK
    capsys.readouterr()
    assert main(["templates", "show", str(index), SITE]) == EXIT_OK
    assert capsys.readouterr().out.splitlines()[0] == f"{SITE}\t3 pages"


@pytest.mark.parametrize(
    "content",
    [b"this is not an index\n", b"SQLite format 3\x00" + b"\x07" * 2000],
    ids=["text", "truncated-sqlite"],
)
def test_corrupt_index_is_a_usage_error_and_left_unchanged(
    content: bytes,
    pages: Path,
    tmp_path: Path,
    small_model_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(content)
    commands = [
        ["score", "--model", str(small_model_path), "--templates", str(bad), str(pages)],
        ["templates", "show", str(bad)],
        ["templates", "build", str(pages), "-o", str(bad), "--update"],
    ]
    for argv in commands:
        capsys.readouterr()
        assert main(argv) == EXIT_USAGE, argv
        captured = capsys.readouterr()
        assert captured.out == ""
        err = captured.err.splitlines()
        assert len(err) == 1 and err[0].startswith("classify: error: "), captured.err
        assert str(bad) in err[0]
        assert bad.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.sqlite", "pages.jsonl"]


def test_missing_index_is_a_usage_error(
    pages: Path, tmp_path: Path, small_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.sqlite"
    argv = ["score", "--model", str(small_model_path), "--templates", str(missing), str(pages)]
    assert main(argv) == EXIT_USAGE
    assert capsys.readouterr().err.startswith("classify: error: ")
    assert not missing.exists()


def test_update_adds_pages_in_streaming_mode(
    tmp_path: Path, small_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(4)
    records = [_page(rng, k) for k in range(9)]
    first = _write(tmp_path / "first.jsonl", records[:4])
    more = _write(tmp_path / "more.jsonl", records[4:])
    index = tmp_path / "idx.sqlite"

    def pages_in_index() -> int:
        capsys.readouterr()
        assert main(["templates", "show", str(index), SITE]) == EXIT_OK
        head = capsys.readouterr().out.splitlines()[0]
        return int(head.split("\t")[1].split()[0])

    assert main(["templates", "build", str(first), "-o", str(index)]) == EXIT_OK
    assert pages_in_index() == 4
    assert main(["templates", "build", str(more), "-o", str(index), "--update"]) == EXIT_OK
    assert "added 5 pages" in capsys.readouterr().err
    assert pages_in_index() == 9
    # the same pages again add nothing (exact duplicates are recognised)
    assert main(["templates", "build", str(more), "-o", str(index), "--update"]) == EXIT_OK
    assert "added 0 pages" in capsys.readouterr().err
    assert pages_in_index() == 9
    # the grown index now decides the template on a page scored alone
    alone = _write(tmp_path / "alone.jsonl", [records[0]])
    scored = _score(capsys, "--model", str(small_model_path), "--templates", str(index), str(alone))
    assert _decisions(scored)["View"] == "site_template"


def test_batch_mode_learns_templates_without_an_index(
    pages: Path, small_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = _score(capsys, "--model", str(small_model_path), str(pages))
    decided = _decisions(records)
    assert all(decided[chrome] == "site_template" for chrome in _CHROME)
    assert all(line["decided_by"] == "model" for line in records[3]["lines"][5:10])  # type: ignore[index]
    off = _score(capsys, "--model", str(small_model_path), "--no-templates", str(pages))
    assert set(_decisions(off).values()) == {"model"}
    assert all("template_share" not in line for r in off for line in r["lines"])  # type: ignore[attr-defined]


def test_batch_mode_needs_enough_pages_of_a_site(
    tmp_path: Path, small_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(6)
    few = _write(tmp_path / "few.jsonl", [_page(rng, k, site="tiny.example") for k in range(4)])
    records = _score(capsys, "--model", str(small_model_path), str(few))
    assert len(records) == 4
    assert set(_decisions(records).values()) == {"model"}  # 3 other pages < min_pages 5
    assert all(r["site"] == "tiny.example" for r in records)
