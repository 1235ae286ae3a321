"""Type stub of the compiled record building (classify/_records.pyx)."""

import numpy as np

from classify.records import DecidedBy, Label, LineResult

def line_results(
    texts: list[str],
    labels: np.ndarray,
    rows: np.ndarray,
    decided: np.ndarray,
    label_values: tuple[Label, ...],
    decided_values: tuple[DecidedBy, ...],
    shares: list[float] | None,
) -> tuple[LineResult, ...]: ...
