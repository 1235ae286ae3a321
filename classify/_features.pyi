"""Type stub of the compiled word counting (classify/_features.pyx)."""

import numpy as np

class Vocabulary:
    def __init__(self, vocabulary: dict[str, int]) -> None: ...

def word_counts(
    lowered: str, vocabulary: Vocabulary, n_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
def char_ngram_counts(
    texts: list[str],
    width: int,
    ngrams: tuple[int, ...],
    bits: int,
    seed: int,
    *,
    lead: int = -1,
    trail: int = -1,
    last: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
def shape_counts(texts: list[str], table: np.ndarray, bmp: int) -> np.ndarray | None: ...
