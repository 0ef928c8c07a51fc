"""Acquisitions: log-EI against mpmath in the tails, gradients against finite differences,
and the acquisition search on mixed spaces."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from tansaku._gp import (
    GaussianProcess,
    GPParams,
    GPSpace,
    ModelAcquisition,
    combine,
    log_ei,
    log_h,
    log_pof,
    maximize,
)
from tansaku._gp._acquisition import d_log_h
from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

mpmath.mp.dps = 50


def _reference_log_h(z: float) -> float:
    x = mpmath.mpf(z)
    return float(mpmath.log(mpmath.npdf(x) + x * mpmath.ncdf(x)))


Z_VALUES = [-1e8, -1e5, -1e4, -3e3, -100.5, -99.5, -40, -38.5, -10, -1.0001, -0.9999, 0, 3, 40]


@pytest.mark.parametrize("z", Z_VALUES)
def test_log_h_matches_mpmath_far_in_the_tails(z: float) -> None:
    reference = _reference_log_h(z)
    assert log_h(np.array([z]))[0] == pytest.approx(reference, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("z", Z_VALUES)
def test_log_h_slope_matches_mpmath(z: float) -> None:
    x = mpmath.mpf(z)
    reference = float(mpmath.ncdf(x) / (mpmath.npdf(x) + x * mpmath.ncdf(x)))
    value = log_h(np.array([z]))
    assert d_log_h(np.array([z]), value)[0] == pytest.approx(reference, rel=1e-9)


def test_log_ei_is_finite_where_plain_ei_underflows() -> None:
    value, d_mean, d_var = log_ei(np.array([[1e3]]), np.array([[1e-4]]), best=0.0)
    assert np.isfinite(value[0]) and value[0] < -1e9
    assert d_mean[0, 0] < 0 and np.isfinite(d_var[0, 0])


def _check_gradients(function, mean: np.ndarray, var: np.ndarray) -> None:
    """Each column of mean and var moved at once: the rows are independent points."""
    _, d_mean, d_var = function(mean, var)
    for which, grad in ((0, d_mean), (1, d_var)):
        for column in range(mean.shape[1]):
            args_up, args_down = [mean.copy(), var.copy()], [mean.copy(), var.copy()]
            step = 1e-6 * np.maximum(1.0, np.abs(args_up[which][:, column]))
            args_up[which][:, column] += step
            args_down[which][:, column] -= step
            numeric = (function(*args_up)[0] - function(*args_down)[0]) / (2 * step)
            np.testing.assert_allclose(grad[:, column], numeric, rtol=1e-5, atol=1e-6)


def test_log_ei_gradient_matches_finite_differences() -> None:
    mean = np.array([[0.3], [-1.0], [5.0], [40.0]])
    var = np.array([[0.5], [2.0], [0.1], [0.9]])
    _check_gradients(lambda m, v: log_ei(m, v, best=-0.2), mean, var)


def test_log_pof_matches_the_normal_cdf_and_its_gradient_finite_differences() -> None:
    mean = np.array([[0.3, -2.0], [4.0, 0.0], [-1.0, 30.0]])
    var = np.array([[0.5, 1.0], [2.0, 0.1], [0.2, 0.3]])
    thresholds = np.array([0.0, 0.5])
    value, _, _ = log_pof(mean, var, thresholds)
    reference = [
        sum(
            float(mpmath.log(mpmath.ncdf((t - m) / mpmath.sqrt(v))))
            for m, v, t in zip(row_m, row_v, thresholds)
        )
        for row_m, row_v in zip(mean, var)
    ]
    np.testing.assert_allclose(value, reference, rtol=1e-10)
    _check_gradients(lambda m, v: log_pof(m, v, thresholds), mean, var)


def test_combined_acquisition_gradient_with_respect_to_rows_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((25, 3))
    # Fixed, well-conditioned hyperparameters: the test is about the chain rule.
    numerical = np.zeros(3, dtype=bool)
    objective = GaussianProcess(
        x, np.sin(4 * x[:, 0]) - x[:, 1], numerical, GPParams(np.array([0.3, 0.5, 1.0]), 1.0, 1e-2)
    )
    constraint = GaussianProcess(
        x, x[:, 2] - 0.5, numerical, GPParams(np.array([1.0, 1.0, 0.4]), 0.5, 1e-2)
    )
    acquisition = ModelAcquisition(
        [objective, constraint],
        combine(
            [
                (lambda m, v: log_ei(m, v, best=-0.5), slice(0, 1)),
                (lambda m, v: log_pof(m, v, np.array([0.0])), slice(1, 2)),
            ]
        ),
    )
    rows = rng.random((5, 3))
    value, grad = acquisition.with_gradient(rows)
    np.testing.assert_allclose(value, acquisition(rows))
    eps = 1e-6
    for column in range(3):
        up, down = rows.copy(), rows.copy()
        up[:, column] += eps
        down[:, column] -= eps
        numeric = (acquisition(up) - acquisition(down)) / (2 * eps)
        np.testing.assert_allclose(grad[:, column], numeric, rtol=1e-4, atol=1e-5)


def test_maximize_finds_the_optimum_of_a_mixed_space_on_its_grid() -> None:
    space = GPSpace(
        {
            "x": FloatDistribution(0.0, 1.0),
            "n": IntDistribution(0, 10),
            "c": CategoricalDistribution(["a", "b", "c"]),
        }
    )
    grid = dict(space.grids)[1]
    target = np.array([0.37, grid[7], 2.0])

    def values(rows: np.ndarray) -> np.ndarray:
        return -((rows[:, :2] - target[:2]) ** 2).sum(1) - (rows[:, 2] != 2.0)

    def with_gradient(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grad = np.zeros_like(rows)
        grad[:, :2] = -2 * (rows[:, :2] - target[:2])
        return values(rows), grad

    row = maximize(values, with_gradient, space, np.random.default_rng(0), n_candidates=64)
    assert row[0] == pytest.approx(0.37, abs=1e-5)
    assert row[1] == grid[7] and row[2] == 2.0
    assert space.decode(row) == {"x": pytest.approx(0.37, abs=1e-5), "n": 7, "c": "c"}
