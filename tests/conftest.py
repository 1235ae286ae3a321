"""Shared fixtures: a small model trained on the hand-written samples (fast, not shipped)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from classify.model import LineClassifier, ModelConfig
from classify.persist import save_model
from classify.samples import read_samples
from classify.scorer import MODEL_KIND

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_42de02defef711ca.txt"
SEED_LABELS = ROOT / "data" / "test" / "seed.tsv"
TRAIN_DIR = ROOT / "data" / "train"
# the shared corpora beside the repository; CLASSIFY_CORPORA names them elsewhere (a worktree)
CORPORA = Path(os.environ.get("CLASSIFY_CORPORA") or ROOT.parent / "shared" / "corpora")


@pytest.fixture(scope="session")
def train_samples() -> list:  # type: ignore[type-arg]
    return list(read_samples([TRAIN_DIR]))


@pytest.fixture(scope="session")
def small_model(train_samples: list) -> LineClassifier:  # type: ignore[type-arg]
    config = ModelConfig(folds=2, max_iter=200)
    return LineClassifier(config=config).fit(
        [s.page for s in train_samples], [s.labels for s in train_samples]
    )


@pytest.fixture(scope="session")
def small_model_path(small_model: LineClassifier, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "small.joblib"
    save_model(small_model, path, kind=MODEL_KIND, metadata={"labels": [], "note": "test"})
    return path
