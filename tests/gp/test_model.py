"""The GP: gradients against finite differences, recovery of a known function, bad data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from tansaku._gp import (
    GPSpace,
    classic_prior,
    dimension_scaled_prior,
    fit_gp,
    power_warp,
    standardize,
)
from tansaku._gp._kernel import matern52, matern52_and_d_r2
from tansaku._gp._model import GaussianProcess, GPParams, log_posterior
from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

CATEGORICAL = np.array([False, False, False, True])


def _data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 4))
    x[:, 3] = rng.integers(0, 3, n)
    y = np.sin(3 * x[:, 0]) + x[:, 1] ** 2 + 0.3 * x[:, 3]
    return x, (y - y.mean()) / y.std()


def test_matern_derivative_matches_finite_differences() -> None:
    r2 = np.linspace(0.0, 5.0, 11)
    eps = 1e-7
    numeric = (matern52(r2 + eps) - matern52(r2)) / eps
    value, derivative = matern52_and_d_r2(r2)
    np.testing.assert_allclose(value, matern52(r2), rtol=1e-14)
    np.testing.assert_allclose(derivative, numeric, atol=1e-6)


@pytest.mark.parametrize("prior", [classic_prior, dimension_scaled_prior])
@pytest.mark.parametrize("deterministic", [False, True])
def test_log_posterior_gradient_matches_finite_differences(prior, deterministic: bool) -> None:
    x, y = _data(30)
    rng = np.random.default_rng(1)
    theta = rng.normal(size=4 + 1 + (not deterministic)) * 0.5
    _, grad = log_posterior(theta, x, y, CATEGORICAL, prior(4), deterministic)

    def f(t: np.ndarray) -> float:
        return log_posterior(t, x, y, CATEGORICAL, prior(4), deterministic)[0]

    numeric = approx_fprime(theta, f, 1e-6)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-3)


def test_posterior_gradients_match_finite_differences() -> None:
    x, y = _data(30)
    params = GPParams(np.array([0.4, 0.7, 2.0, 1.0]), 1.5, 1e-3)
    gp = GaussianProcess(x, y, CATEGORICAL, params)
    queries, _ = _data(6, seed=2)
    _, _, d_mean, d_var = gp.posterior_with_gradient(queries)
    eps = 1e-5
    for column in range(3):
        up, down = queries.copy(), queries.copy()
        up[:, column] += eps
        down[:, column] -= eps
        (mean_up, var_up), (mean_down, var_down) = gp.posterior(up), gp.posterior(down)
        np.testing.assert_allclose(d_mean[:, column], (mean_up - mean_down) / (2 * eps), atol=1e-5)
        np.testing.assert_allclose(d_var[:, column], (var_up - var_down) / (2 * eps), atol=1e-5)
    assert np.all(d_mean[:, 3] == 0) and np.all(d_var[:, 3] == 0)


def test_fit_recovers_a_known_function_with_calibrated_uncertainty() -> None:
    rng = np.random.default_rng(0)

    def truth(x: np.ndarray) -> np.ndarray:
        return np.sin(6 * x[:, 0]) * np.cos(4 * x[:, 1]) + x[:, 0]

    train, held_out = rng.random((60, 2)), rng.random((400, 2))
    scaled = standardize(truth(train))
    gp = fit_gp(train, scaled.y, np.zeros(2, dtype=bool))
    mean, var = gp.posterior(held_out)
    target = scaled.apply(truth(held_out))
    rmse = float(np.sqrt(np.mean((mean - target) ** 2)))
    assert rmse < 0.1  # in units of the observed standard deviation
    inside = np.abs(mean - target) <= 2 * np.sqrt(var + gp.params.noise)
    assert inside.mean() >= 0.85


def test_fit_warm_started_from_its_own_optimum_stays_there() -> None:
    x, y = _data(40)
    first = fit_gp(x, y, CATEGORICAL)
    second = fit_gp(x, y, CATEGORICAL, warm_start=first.params)
    np.testing.assert_allclose(second.params.length_scales, first.params.length_scales, rtol=1e-2)


def test_duplicate_rows_without_noise_fall_back_to_jitter() -> None:
    x = np.repeat(np.random.default_rng(0).random((5, 2)), 4, axis=0)
    x[::4] += 1e-12
    y = standardize(np.arange(20.0)).y
    gp = fit_gp(x, y, np.zeros(2, dtype=bool), deterministic=True)
    mean, var = gp.posterior(np.random.default_rng(1).random((10, 2)))
    assert np.all(np.isfinite(mean)) and np.all(var > 0)


@pytest.mark.parametrize(
    "values",
    [np.full(5, 3.0), np.array([1e300, -1e300, 5.0, 1e299]), np.array([1.0, 1.0 + 1e-15])],
)
def test_standardize_copes_with_constant_and_huge_values(values: np.ndarray) -> None:
    scaled = standardize(values)
    assert np.all(np.isfinite(scaled.y))
    assert np.isfinite(scaled.scale) and scaled.scale > 0


@pytest.mark.parametrize(
    "values",
    [
        np.exp(np.random.default_rng(0).normal(0.0, 4.0, 60)),  # orders of magnitude
        np.array([1e300, -1e300, 5.0, 1e299, 3.0]),
        np.array([-3.0, 2.0, 2.0, 7.0, 1e6]),
    ],
)
def test_power_warp_keeps_the_order_and_shortens_a_long_tail(values: np.ndarray) -> None:
    warped = power_warp(values)
    assert np.all(np.isfinite(warped))
    # Increasing: every pair keeps its order, and equal values stay equal.
    a, b = np.meshgrid(values, values)
    wa, wb = np.meshgrid(warped, warped)
    assert np.all((a < b) <= (wa <= wb)) and np.all((a == b) <= (wa == wb))

    # The largest value lies fewer standard deviations above the median than before.
    def tail(v: np.ndarray) -> float:
        return float((v.max() - np.median(v)) / v.std())

    with np.errstate(over="ignore"):
        if np.isfinite(values.std()):
            assert tail(warped) < tail(values)


@pytest.mark.parametrize(
    "values", [np.array([1.0, 2.0]), np.full(4, 3.0), np.array([1.0, np.inf, 2.0])]
)
def test_power_warp_leaves_too_few_constant_or_infinite_values_alone(values: np.ndarray) -> None:
    np.testing.assert_array_equal(power_warp(values), values)


def test_space_rows_keep_grids_logs_and_choices() -> None:
    space = GPSpace(
        {
            "lr": FloatDistribution(1e-5, 1e-1, log=True),
            "n": IntDistribution(1, 4),
            "s": FloatDistribution(0.0, 1.0, step=0.25),
            "c": CategoricalDistribution(["a", "b", "c"]),
        }
    )
    assert space.names == ("lr", "n", "s", "c")
    assert space.categorical.tolist() == [False, False, False, True]
    assert space.continuous.tolist() == [True, False, False, False]
    rows = space.encode([{"lr": 1e-3, "n": 2, "s": 0.75, "c": "c"}])
    np.testing.assert_allclose(rows[0], [0.5, 0.375, 0.7, 2.0])
    grid_n = dict(space.grids)[1]
    np.testing.assert_allclose(grid_n, [0.125, 0.375, 0.625, 0.875])
    assert space.decode(rows[0]) == {"lr": pytest.approx(1e-3), "n": 2, "s": 0.75, "c": "c"}


def test_conditioning_by_blocks_matches_a_new_factorization() -> None:
    x, y = _data(30)
    params = GPParams(np.array([0.4, 0.7, 2.0, 1.0]), 1.5, 1e-3)
    gp = GaussianProcess(x[:25], y[:25], CATEGORICAL, params)
    grown = gp.condition_on(x[25:], y[25:])
    direct = GaussianProcess(x, y, CATEGORICAL, params)
    np.testing.assert_allclose(grown.k_inv, direct.k_inv, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grown.cholesky, direct.cholesky, atol=1e-10)
    queries, _ = _data(5, seed=3)
    for a, b in zip(grown.posterior(queries), direct.posterior(queries)):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_joint_posterior_is_the_dense_formula_and_agrees_with_the_marginals() -> None:
    x, y = _data(20)
    params = GPParams(np.array([0.4, 0.7, 2.0, 1.0]), 1.5, 1e-3)
    gp = GaussianProcess(x, y, CATEGORICAL, params)
    queries, _ = _data(4, seed=5)
    mean, cov = gp.joint_posterior(queries)
    gram = gp.kernel(x, x) + params.noise * np.eye(len(x))
    cross = gp.kernel(queries, x)
    expected = gp.kernel(queries, queries) - cross @ np.linalg.solve(gram, cross.T)
    np.testing.assert_allclose(cov, expected, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(cov, cov.T)
    marginal_mean, marginal_var = gp.posterior(queries)
    np.testing.assert_allclose(mean, marginal_mean)
    np.testing.assert_allclose(np.diag(cov), marginal_var, rtol=1e-9, atol=1e-12)
    # Observing f at the last query almost exactly (tiny noise) leaves the other variances
    # reduced by cov^2 / var: the off-diagonal entries are the covariances they claim to be.
    sharp = GaussianProcess(x, y, CATEGORICAL, GPParams(params.length_scales, 1.5, 1e-10))
    _, sharp_cov = sharp.joint_posterior(queries)
    conditioned = sharp.condition_on(queries[3:], sharp.joint_posterior(queries[3:])[0])
    _, after = conditioned.posterior(queries[:3])
    reduced = np.diag(sharp_cov)[:3] - sharp_cov[:3, 3] ** 2 / sharp_cov[3, 3]
    np.testing.assert_allclose(after, np.maximum(reduced, 1e-12 * 1.5), rtol=1e-4, atol=1e-7)
