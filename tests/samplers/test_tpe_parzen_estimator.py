"""The Parzen estimator: densities against a direct formula, bandwidths, sampling, encodings."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import tansaku
from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.samplers import TPESampler
from tansaku.samplers._tpe._encoding import CONTINUOUS, LOG_INT, Points, SpaceEncoding
from tansaku.samplers._tpe._scoring import Workspace, log_pdfs
from tansaku.samplers._tpe._truncnorm import (
    log_interval_mass,
    log_unit_normalizer,
    sample_unit_truncnorm,
)
from tansaku.samplers._tpe.parzen_estimator import (
    ParzenEstimator,
    ParzenOptions,
    neighbour_bandwidths,
)
from tansaku.trial import Trial
from tests._hypothesis import examples


def _log_pdf(estimator: ParzenEstimator, points: Points) -> np.ndarray:
    """Log density (log mass along discrete params) of ``points`` under ``estimator``, (n,)."""
    return log_pdfs([estimator], points, Workspace())[0]


def _categorical_log_probs(estimator: ParzenEstimator) -> list[np.ndarray]:
    """The kernels' log probabilities of every choice, (n_kernels, n_choices) per param."""
    return [
        estimator.categorical_log_probs_at(j, np.arange(n_choices)).T
        for j, n_choices in enumerate(estimator.encoding.n_choices)
    ]


SPACE: dict[str, BaseDistribution] = {
    "float": FloatDistribution(-3.0, 7.0),
    "float_log": FloatDistribution(1e-4, 1.0, log=True),
    "int": IntDistribution(1, 6),
    "int_log": IntDistribution(2, 5000, log=True),
    "float_step": FloatDistribution(0.0, 1.0, step=0.1),
    "choice": CategoricalDistribution(["x", "y", "z"]),
    "int_step": IntDistribution(0, 300, step=3),
}


def _random_estimator(
    encoding: SpaceEncoding, rng: np.random.Generator, n_obs: int
) -> ParzenEstimator:
    unit = rng.random((n_obs, encoding.n_numerical))
    choices = rng.integers(0, 3, (n_obs, len(encoding.n_choices)))
    values, _ = encoding.snap(unit, choices)
    transformed = np.where(encoding.log, np.log(np.maximum(values, 1e-300)), values)
    weights = rng.random(n_obs) + 0.1
    return ParzenEstimator.fit(
        encoding, encoding.to_unit(transformed), choices, weights, ParzenOptions()
    )


def _kernel_density(
    estimator: ParzenEstimator, encoding: SpaceEncoding, k: int, j: int, value: float
) -> float:
    """Kernel k's truncated density (mass for a discrete param) at ``value`` of param j, from
    the textbook formula."""
    mu, sigma = estimator.mus[k, j], estimator.sigmas[k, j]
    inside = stats.norm.cdf((1 - mu) / sigma) - stats.norm.cdf(-mu / sigma)
    t_low, t_width = encoding.t_low[j], encoding.t_width[j]
    if encoding.kinds[j] == CONTINUOUS:
        u = ((math.log(value) if encoding.log[j] else value) - t_low) / t_width
        return float(stats.norm.pdf((u - mu) / sigma) / sigma / inside)
    if encoding.kinds[j] == LOG_INT:
        low, high = math.log(value - 0.5), math.log(value + 0.5)
    else:
        low, high = value - encoding.step[j] / 2, value + encoding.step[j] / 2
    low, high = (low - t_low) / t_width, (high - t_low) / t_width
    mass = stats.norm.cdf((high - mu) / sigma) - stats.norm.cdf((low - mu) / sigma)
    return float(mass / inside)


@pytest.mark.parametrize("seed", range(3))
def test_joint_density_matches_the_mixture_formula(seed: int) -> None:
    encoding = SpaceEncoding(SPACE)
    rng = np.random.default_rng(seed)
    estimator = _random_estimator(encoding, rng, n_obs=int(rng.integers(1, 30)))
    unit, choices = estimator.sample(rng, 12)
    values, points = encoding.snap(unit, choices)
    expected = []
    for x, c in zip(values, choices):
        total = 0.0
        for k in range(estimator.n_kernels):
            product = estimator.weights[k]
            for j in range(encoding.n_numerical):
                product *= _kernel_density(estimator, encoding, k, j, x[j])
            product *= math.exp(_categorical_log_probs(estimator)[0][k, c[0]])
            total += product
        expected.append(math.log(total))
    # Discrete params with many values take the midpoint rule for narrow bins: 0.2% at most.
    np.testing.assert_allclose(_log_pdf(estimator, points), expected, atol=2e-3)


@pytest.mark.parametrize("seed", range(3))
def test_marginal_densities_match_the_one_dimensional_mixtures(seed: int) -> None:
    encoding = SpaceEncoding(SPACE)
    rng = np.random.default_rng(seed)
    estimator = _random_estimator(encoding, rng, n_obs=int(rng.integers(1, 30)))
    unit, choices = estimator.sample_marginals(rng, 10)
    values, points = encoding.snap(unit, choices)
    marginals = estimator.log_marginal_pdfs(points)
    for i, (x, c) in enumerate(zip(values, choices)):
        for j in range(encoding.n_numerical):
            density = sum(
                estimator.weights[k] * _kernel_density(estimator, encoding, k, j, x[j])
                for k in range(estimator.n_kernels)
            )
            assert marginals[i, j] == pytest.approx(math.log(density), abs=2e-3)
        probability = np.sum(
            estimator.weights * np.exp(_categorical_log_probs(estimator)[0][:, c[0]])
        )
        assert marginals[i, -1] == pytest.approx(math.log(probability), abs=1e-9)


def test_discrete_masses_sum_to_one_over_all_values() -> None:
    for distribution in (IntDistribution(1, 6), IntDistribution(1, 40, log=True)):
        encoding = SpaceEncoding({"p": distribution})
        rng = np.random.default_rng(0)
        estimator = _random_estimator(encoding, rng, n_obs=7)
        values = np.arange(distribution.low, distribution.high + 1, dtype=float)[:, None]
        unit = encoding.to_unit(np.log(values) if distribution.log else values)
        _, points = encoding.snap(unit, np.zeros((len(values), 0), dtype=np.intp))
        assert np.exp(_log_pdf(estimator, points)).sum() == pytest.approx(1.0, abs=1e-9)


def test_a_log_int_bin_is_wide_at_small_values_and_narrow_at_large_ones() -> None:
    encoding = SpaceEncoding({"units": IntDistribution(1, 1024, log=True)})
    unit = encoding.to_unit(np.log(np.array([[1.0], [1024.0]])))
    _, points = encoding.snap(unit, np.zeros((2, 0), dtype=np.intp))
    widths = (points.edge_high - points.edge_low)[:, 0] * encoding.t_width[0]
    np.testing.assert_allclose(widths, [math.log(1.5 / 0.5), math.log(1024.5 / 1023.5)])


def test_continuous_density_integrates_to_one() -> None:
    encoding = SpaceEncoding({"x": FloatDistribution(0.0, 1.0)})
    estimator = _random_estimator(encoding, np.random.default_rng(1), n_obs=5)
    grid = np.linspace(0.0, 1.0, 20001)[:, None]
    _, points = encoding.snap(grid, np.zeros((len(grid), 0), dtype=np.intp))
    density = np.exp(_log_pdf(estimator, points))
    assert np.trapezoid(density, grid[:, 0]) == pytest.approx(1.0, abs=1e-6)


def test_categorical_rows_are_smoothed_histograms() -> None:
    encoding = SpaceEncoding({"c": CategoricalDistribution(["a", "b", "c", "d"])})
    choices = np.array([[0], [0], [2]])
    estimator = ParzenEstimator.fit(
        encoding, np.zeros((3, 0)), choices, np.ones(3), ParzenOptions()
    )
    (table,) = _categorical_log_probs(estimator)
    probabilities = np.exp(table)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert probabilities[0].argmax() == 0 and probabilities[2].argmax() == 2
    np.testing.assert_allclose(probabilities[-1], 0.25)  # the prior row
    mixture = estimator.weights @ probabilities
    assert mixture[0] > mixture[2] > mixture[1] == pytest.approx(mixture[3])


def _brute_force_bandwidths(values: np.ndarray, endpoints: bool) -> np.ndarray:
    n = len(values)
    use_ends = endpoints or n == 1
    result = np.empty(n)
    for i in range(n):
        # Ties: earlier observations count as left of a point.
        def is_left(j: int, i: int = i) -> bool:
            return values[j] < values[i] or (values[j] == values[i] and j < i)

        lefts = [values[j] for j in range(n) if j != i and is_left(j)]
        rights = [values[j] for j in range(n) if j != i and not is_left(j)]
        left_gap = values[i] - max(lefts) if lefts else (values[i] if use_ends else 0.0)
        right_gap = min(rights) - values[i] if rights else ((1 - values[i]) if use_ends else 0.0)
        result[i] = max(left_gap, right_gap)
    return result


@given(
    values=st.lists(
        st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 0.5, 1.0])), min_size=1, max_size=12
    ),
    endpoints=st.booleans(),
    magic_clip=st.booleans(),
)
@settings(max_examples=examples(200), deadline=None)
def test_neighbour_bandwidths_are_the_wider_gap_to_the_neighbours(
    values: list[float], endpoints: bool, magic_clip: bool
) -> None:
    unit = np.array(values)
    options = ParzenOptions(endpoints=endpoints, magic_clip=magic_clip)
    kernels = np.argsort(unit, kind="stable")[None, :]
    sigmas = neighbour_bandwidths(unit[kernels], kernels, options)[:, 0]
    expected = np.clip(
        _brute_force_bandwidths(unit, endpoints), options.min_bandwidth(len(unit) + 1), 1.0
    )
    np.testing.assert_allclose(sigmas[:-1], expected)
    assert sigmas[-1] == 1.0  # the prior


def test_magic_clip_bounds_bandwidths_below_by_the_kernel_count() -> None:
    assert ParzenOptions().min_bandwidth(9) == pytest.approx(0.1)
    assert ParzenOptions().min_bandwidth(500) == pytest.approx(0.01)
    assert ParzenOptions(magic_clip=False).min_bandwidth(500) < 1e-9


def test_truncated_normal_draws_follow_the_truncated_distribution() -> None:
    rng = np.random.default_rng(0)
    mu, sigma = 0.9, 0.3
    draws = sample_unit_truncnorm(rng, np.full(20000, mu), np.full(20000, sigma))
    assert draws.min() >= 0.0 and draws.max() <= 1.0
    a, b = (0.0 - mu) / sigma, (1.0 - mu) / sigma
    reference = stats.truncnorm(a, b, loc=mu, scale=sigma)
    assert stats.kstest(draws, reference.cdf).pvalue > 0.01


def test_normal_masses_stay_accurate_far_in_the_tails() -> None:
    z_low, z_high = np.array([30.0, -31.0, -0.5]), np.array([30.5, -30.0, 0.5])
    expected = [
        math.log(stats.norm.sf(30.0) - stats.norm.sf(30.5)),
        math.log(stats.norm.cdf(-30.0) - stats.norm.cdf(-31.0)),
        math.log(stats.norm.cdf(0.5) - stats.norm.cdf(-0.5)),
    ]
    result = log_interval_mass(z_low, z_high)
    assert result[2] == pytest.approx(expected[2])
    # Beyond 8.3 standard deviations a bin gets no mass: the prior kernel dominates there.
    assert result[0] == -np.inf and result[1] == -np.inf
    mus, sigmas = np.array([0.0, 0.5, 1.0, 0.3]), np.array([0.01, 1.0, 0.2, 0.001])
    expected_mass = stats.norm.cdf((1 - mus) / sigmas) - stats.norm.cdf(-mus / sigmas)
    np.testing.assert_allclose(np.exp(log_unit_normalizer(mus, sigmas)), expected_mass)


# -- every kind of param stays inside its distribution -----------------------------------------
@st.composite
def _search_spaces(draw: st.DrawFn) -> dict[str, BaseDistribution]:
    space: dict[str, BaseDistribution] = {}
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["float", "float_log", "float_step", "int", "int_log", "cat"]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # high shrunk to the step grid
            if kind == "float":
                low = draw(st.floats(-1e6, 1e6))
                dist: BaseDistribution = FloatDistribution(low, low + draw(st.floats(1e-6, 1e6)))
            elif kind == "float_log":
                low = draw(st.floats(1e-8, 1e3))
                dist = FloatDistribution(low, low * draw(st.floats(1.001, 1e6)), log=True)
            elif kind == "float_step":
                low = draw(st.floats(-100, 100))
                step = draw(st.sampled_from([0.01, 0.1, 0.25, 1.0, 3.0]))
                dist = FloatDistribution(low, low + step * draw(st.integers(1, 500)), step=step)
            elif kind == "int":
                low = draw(st.integers(-1000, 1000))
                step = draw(st.integers(1, 5))
                dist = IntDistribution(low, low + step * draw(st.integers(1, 300)), step=step)
            elif kind == "int_log":
                low = draw(st.integers(1, 100))
                dist = IntDistribution(low, low + draw(st.integers(1, 100000)), log=True)
            else:
                n_choices = draw(st.integers(2, 6))
                dist = CategoricalDistribution([None, True, 1, 2.5, "s", "t"][:n_choices])
        space[f"p{i}"] = dist
    return space


def _inside(distribution: BaseDistribution, value: Any) -> bool:
    if isinstance(distribution, CategoricalDistribution):
        return any(value is choice for choice in distribution.choices)
    assert isinstance(distribution, FloatDistribution | IntDistribution)
    if not distribution.low <= value <= distribution.high:
        return False
    if isinstance(distribution, IntDistribution):
        return type(value) is int and (value - distribution.low) % distribution.step == 0
    if distribution.step is not None:
        k = (value - distribution.low) / distribution.step
        return abs(k - round(k)) < 1e-6
    return type(value) is float


@given(space=_search_spaces(), multivariate=st.booleans(), seed=st.integers(0, 2**16))
@settings(max_examples=examples(30), deadline=None)
def test_suggested_params_are_always_inside_their_distributions(
    space: dict[str, BaseDistribution], multivariate: bool, seed: int
) -> None:
    def objective(trial: Trial) -> float:
        total = 0.0
        for name, distribution in space.items():
            value = trial._suggest(name, distribution)
            assert _inside(distribution, value), (name, distribution, value)
            total += abs(distribution.to_internal_repr(value)) % 7
        return total

    sampler = TPESampler(seed=seed, n_startup_trials=3, multivariate=multivariate)
    study = tansaku.create_study(sampler=sampler)
    study.optimize(objective, n_trials=12)
    assert all(t.state is tansaku.trial.TrialState.COMPLETE for t in study.trials)


def test_masses_of_many_coinciding_kernels_are_computed_once_and_right() -> None:
    # Thousands of kernels on a few values of a large discrete param, as when TPE converges.
    from tansaku.samplers._tpe._scoring import (
        Workspace,
        _add_distinct_log_bin_mass,
        _add_log_bin_mass,
    )

    rng = np.random.default_rng(0)
    encoding = SpaceEncoding({"units": IntDistribution(16, 1024, log=True)})
    values = rng.choice([64.0, 100.0, 128.0, 129.0, 500.0], size=(600, 1))
    unit = encoding.to_unit(np.log(values))
    mu, sigma = unit[:, 0], np.where(rng.random(600) < 0.8, 0.01, 0.05)
    candidates = rng.random((24, 1))
    _, points = encoding.snap(candidates, np.zeros((24, 0), dtype=np.intp))
    deduplicated = np.zeros((24, 600))
    _add_log_bin_mass(
        deduplicated, points.edge_low[:, 0], points.edge_high[:, 0], mu, sigma, Workspace()
    )
    one_by_one = np.zeros((24, 600))
    _add_distinct_log_bin_mass(
        one_by_one, points.edge_low[:, 0], points.edge_high[:, 0], mu, sigma, Workspace()
    )
    np.testing.assert_array_equal(deduplicated, one_by_one)
    z_low = (points.edge_low[:, :1] - mu) / sigma
    z_high = (points.edge_high[:, :1] - mu) / sigma
    with np.errstate(divide="ignore"):  # masses beyond double precision: -inf, left out
        exact = np.log(stats.norm.cdf(z_high) - stats.norm.cdf(z_low))
    close = exact > -30.0  # where the mass matters at all
    # Bins narrower than a tenth of a bandwidth take the midpoint rule: within 1%.
    np.testing.assert_allclose(deduplicated[close], exact[close], atol=1e-2)


def test_blocked_matrix_products_equal_one_product() -> None:
    from tansaku.samplers._tpe._scoring import _matmul

    rng = np.random.default_rng(0)
    left, right = rng.random((24, 21)), rng.random((21, 3000))
    out = np.empty((24, 3000))
    _matmul(left, right, out)
    np.testing.assert_allclose(out, left @ right)
    stacked_left, stacked_right = rng.random((4, 24, 3)), rng.random((4, 3, 5000))
    stacked_out = np.empty((4, 24, 5000))
    _matmul(stacked_left, stacked_right, stacked_out)
    np.testing.assert_allclose(stacked_out, stacked_left @ stacked_right)


def test_categorical_and_bin_lookups_match_the_full_tables() -> None:
    encoding = SpaceEncoding(SPACE)
    rng = np.random.default_rng(5)
    estimator = _random_estimator(encoding, rng, n_obs=9)
    unit, choices = estimator.sample(rng, 7)
    _, points = encoding.snap(unit, choices)
    (table,) = _categorical_log_probs(estimator)
    np.testing.assert_allclose(
        estimator.categorical_log_probs_at(0, points.choices[:, 0]), table[:, choices[:, 0]].T
    )
    for t, j in enumerate(encoding.tabulated_index):
        full = estimator.bin_log_masses[t]
        np.testing.assert_allclose(
            estimator.bin_log_masses_at(t, points.bins[:, j]), full[:, points.bins[:, j]].T
        )


def test_categorical_draws_follow_the_smoothed_histograms() -> None:
    encoding = SpaceEncoding({"c": CategoricalDistribution(["a", "b", "c"])})
    estimator = ParzenEstimator.fit(
        encoding, np.zeros((2, 0)), np.array([[0], [0]]), np.ones(2), ParzenOptions()
    )
    _, choices = estimator.sample(np.random.default_rng(0), 30000)
    frequencies = np.bincount(choices[:, 0], minlength=3) / 30000
    (table,) = _categorical_log_probs(estimator)
    expected = estimator.weights @ np.exp(table)
    np.testing.assert_allclose(frequencies, expected, atol=0.01)
