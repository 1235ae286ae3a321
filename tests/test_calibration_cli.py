"""The CLI's calibration choices are the model's."""

from __future__ import annotations

from classify.cli import build_parser
from classify.model import CALIBRATIONS


def test_train_offers_every_calibration() -> None:
    train = build_parser()._subparsers._group_actions[0].choices["train"]  # type: ignore[union-attr]
    action = next(a for a in train._actions if a.dest == "calibration")
    assert tuple(action.choices) == CALIBRATIONS
