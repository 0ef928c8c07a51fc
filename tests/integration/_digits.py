"""Small real data for the deep-learning adapters' tests: scikit-learn's digits, scaled to [0, 1].

Importable by spawned worker processes (distributed Lightning fits), so the models live here
and not in a test module.
"""

from __future__ import annotations

import numpy as np

N_FEATURES = 64
N_CLASSES = 10


def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``x_train, y_train, x_valid, y_valid``: 1,200 training and 597 validation images."""
    from sklearn.datasets import load_digits  # here: collecting the tests needs no sklearn

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)  # (1797, 64)
    y = y.astype(np.int64)
    return x[:1200], y[:1200], x[1200:], y[1200:]
