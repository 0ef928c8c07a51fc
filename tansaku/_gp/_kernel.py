"""The Matern 5/2 ARD kernel with a Hamming term for categorical inputs, and its gradients.

Inputs are rows of a unit cube: numerical columns hold a value in [0, 1], categorical columns
hold the index of a choice. With one weight ``w_d = 1 / length_d^2`` per column, the scaled
squared distance between rows ``a`` and ``b`` is

    r^2 = sum_{numerical d} w_d (a_d - b_d)^2 + sum_{categorical c} w_c [a_c != b_c]

(the categorical term is a Hamming distance, as in Ru et al. 2020, CoCaBO), and the kernel is

    k(a, b) = scale * (1 + sqrt(5) r + 5/3 r^2) exp(-sqrt(5) r)    (Rasmussen & Williams, eq. 4.17)

Its derivative with respect to ``r^2`` is ``-5/6 scale (1 + sqrt(5) r) exp(-sqrt(5) r)``,
finite at ``r = 0``, so gradients need no special case for coincident rows.

Every function is vectorised over rows; nothing loops over columns or rows.
"""

from __future__ import annotations

import numpy as np

_SQRT5 = float(np.sqrt(5.0))


def matern52(r2: np.ndarray) -> np.ndarray:
    """The unit-scale Matern 5/2 kernel as a function of the squared scaled distance."""
    r = np.sqrt(r2)
    return (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2) * np.exp(-_SQRT5 * r)


def matern52_and_d_r2(r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``matern52(r2)`` and its derivative d matern52 / d r^2 (always <= 0), sharing one
    square root and exponential."""
    r5 = np.sqrt(5.0 * r2)
    decay = np.exp(-r5)
    linear = 1.0 + r5
    return (linear + (5.0 / 3.0) * r2) * decay, (-5.0 / 6.0) * linear * decay


def scaled_sq_dist(
    a: np.ndarray, b: np.ndarray, weights: np.ndarray, categorical: np.ndarray
) -> np.ndarray:
    """The ``(len(a), len(b))`` scaled squared distances ``r^2`` between the rows of a and b.

    Args:
        a: Rows, (n_a, d).
        b: Rows, (n_b, d).
        weights: Inverse squared length scales, (d,).
        categorical: Which columns are categorical, (d,) bool.
    """
    numerical = ~categorical
    root = np.sqrt(weights[numerical])
    sa, sb = a[:, numerical] * root, b[:, numerical] * root
    # |sa - sb|^2 expanded into matrix products; rounding can make it slightly negative.
    r2 = (sa * sa).sum(1)[:, None] + (sb * sb).sum(1)[None, :] - 2.0 * (sa @ sb.T)
    np.maximum(r2, 0.0, out=r2)
    if categorical.any():
        differs = a[:, None, categorical] != b[None, :, categorical]  # (n_a, n_b, n_cat)
        r2 += differs @ weights[categorical]
    return r2


def pairwise_sum(coefficients: np.ndarray, x: np.ndarray, categorical: np.ndarray) -> np.ndarray:
    """``sum_ij A_ij D_ijd`` for each column d, with ``D_ijd`` the unweighted distance term of
    column d between rows i and j (squared difference or mismatch) and A symmetric (n, n).

    This is what the gradient of a kernel matrix with respect to the length scales needs,
    computed with matrix products instead of an (n, n, d) tensor for numerical columns:
    ``sum_ij A_ij (x_i - x_j)^2 = 2 sum_i x_i^2 (A 1)_i - 2 x^T A x``.
    """
    out = np.empty(x.shape[1])
    numerical = ~categorical
    xn = x[:, numerical]
    row_sums = coefficients.sum(1)
    out[numerical] = 2.0 * (xn * xn).T @ row_sums - 2.0 * (xn * (coefficients @ xn)).sum(0)
    if categorical.any():
        differs = x[:, None, categorical] != x[None, :, categorical]
        out[categorical] = np.einsum("ij,ijc->c", coefficients, differs)
    return out


def cross_gradient(
    factors: np.ndarray,
    queries: np.ndarray,
    data: np.ndarray,
    weights: np.ndarray,
    categorical: np.ndarray,
) -> np.ndarray:
    """``sum_i F_ki d r^2(q_k, x_i) / d q_kd`` for every query k and column d, (k, d).

    ``d r^2 / d q_d = 2 w_d (q_d - x_d)`` for numerical columns; categorical columns take no
    gradient (their values are searched exhaustively) and get 0.

    Args:
        factors: F, (k, n).
        queries: q, (k, d).
        data: x, (n, d).
        weights: Inverse squared length scales, (d,).
        categorical: Which columns are categorical, (d,) bool.
    """
    grad = 2.0 * weights * (queries * factors.sum(1)[:, None] - factors @ data)
    grad[:, categorical] = 0.0
    return grad
