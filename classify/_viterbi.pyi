"""Type stub of the compiled sequence decoding (classify/_viterbi.pyx)."""

import numpy as np

def viterbi(
    log_emit: np.ndarray, sizes: np.ndarray, log_trans: np.ndarray, log_start: np.ndarray
) -> np.ndarray: ...
