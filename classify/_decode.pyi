"""Type stub of the compiled sequence marginals (classify/_decode.pyx)."""

import numpy as np

def marginals(
    emit: np.ndarray, sizes: np.ndarray, trans: np.ndarray, start: np.ndarray
) -> np.ndarray: ...
