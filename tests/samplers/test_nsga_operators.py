"""The numeric parts of NSGA-II / NSGA-III: non-domination ranks, constrained domination,
crowding distance, reference points, crossovers and mutations."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import tansaku
from tansaku._pareto import nondomination_ranks, pareto_front_mask
from tansaku.samplers._ga._constraints import constrained_ranks
from tansaku.samplers._nsgaiii._reference_points import (
    associate,
    das_dennis,
    normalize,
    select_by_reference_points,
)
from tansaku.samplers.nsgaii import (
    BaseCrossover,
    BLXAlphaCrossover,
    PolynomialMutation,
    SBXCrossover,
    SPXCrossover,
    UNDXCrossover,
    UniformCrossover,
    VSBXCrossover,
)
from tansaku.samplers.nsgaii._child_generation import NSGAIIChildGenerationStrategy
from tansaku.samplers.nsgaii._elite import crowding_distance, select_elites
from tests._hypothesis import examples


def _quiet(factory: Callable[[], BaseCrossover]) -> BaseCrossover:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return factory()


CROSSOVERS: dict[str, Callable[[], BaseCrossover]] = {
    "uniform": UniformCrossover,
    "blx": BLXAlphaCrossover,
    "sbx": SBXCrossover,
    "vsbx": VSBXCrossover,
    "undx": UNDXCrossover,
    "spx": SPXCrossover,
}
N_PARENTS = {"uniform": 2, "blx": 2, "sbx": 2, "vsbx": 2, "undx": 3, "spx": 3}


def _brute_force_ranks(loss: np.ndarray) -> np.ndarray:
    ranks = np.full(len(loss), -1)
    remaining = np.arange(len(loss))
    rank = 0
    while remaining.size:
        mask = pareto_front_mask(loss[remaining])
        ranks[remaining[mask]] = rank
        remaining = remaining[~mask]
        rank += 1
    return ranks


# -- ranks ----------------------------------------------------------------------------------------
@settings(max_examples=examples(60))
@given(
    arrays(
        float,
        st.tuples(st.integers(0, 40), st.integers(1, 9)),
        elements=st.sampled_from([0.0, 1.0, 2.0, 3.0, 0.5]),
    )
)
def test_nondomination_ranks_equal_peeling_fronts_one_by_one(loss: np.ndarray) -> None:
    np.testing.assert_array_equal(nondomination_ranks(loss), _brute_force_ranks(loss))


def test_nondomination_ranks_of_a_large_population_peel_by_masks() -> None:
    loss = np.random.RandomState(0).rand(2100, 3)  # above the matrix limit
    np.testing.assert_array_equal(nondomination_ranks(loss), _brute_force_ranks(loss))


def test_nondomination_ranks_stop_after_the_fronts_needed() -> None:
    loss = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    np.testing.assert_array_equal(nondomination_ranks(loss, n_needed=2), [0, 1, 2, 2])


# -- constrained domination (Deb et al. 2002, Sec. IV-A) -----------------------------------------
def test_a_feasible_trial_beats_an_infeasible_one_whatever_its_values() -> None:
    loss = np.array([[10.0, 10.0], [0.0, 0.0]])
    ranks = constrained_ranks(loss, np.array([0.0, 0.5]))
    assert ranks[0] < ranks[1]


def test_of_two_infeasible_trials_the_smaller_total_violation_wins() -> None:
    loss = np.array([[0.0, 0.0], [5.0, 5.0], [1.0, 1.0]])
    ranks = constrained_ranks(loss, np.array([2.0, 0.1, 2.0]))
    assert ranks[1] < ranks[0] == ranks[2]


def test_feasible_trials_rank_by_pareto_domination() -> None:
    loss = np.array([[1.0, 1.0], [0.0, 2.0], [2.0, 2.0]])
    np.testing.assert_array_equal(constrained_ranks(loss, np.zeros(3)), [0, 0, 1])


def test_elite_selection_keeps_feasible_trials_before_better_infeasible_ones() -> None:
    loss = np.array([[0.0, 0.0], [0.1, 0.1], [9.0, 9.0], [8.0, 9.5]])
    violation = np.array([1.0, 0.5, 0.0, 0.0])
    np.testing.assert_array_equal(select_elites(loss, violation, 3), [1, 2, 3])


# -- crowding distance ----------------------------------------------------------------------------
def test_crowding_distance_gives_the_ends_infinity_and_the_crowded_less() -> None:
    loss = np.array([[0.0, 4.0], [1.0, 3.0], [1.1, 2.9], [3.0, 1.0], [4.0, 0.0]])
    distance = crowding_distance(loss)
    assert np.isinf(distance[0]) and np.isinf(distance[4])
    # The sum over objectives of the neighbours' normalized gap (Deb et al. 2002, Fig. 6).
    np.testing.assert_allclose(distance[1:4], [0.55, 1.0, 1.45])


def test_elite_selection_cuts_the_last_front_by_crowding_distance() -> None:
    front = np.array([[0.0, 4.0], [1.0, 3.0], [1.05, 2.95], [2.5, 1.5], [4.0, 0.0]])
    kept = select_elites(front, np.zeros(5), 4)
    np.testing.assert_array_equal(kept, [0, 2, 3, 4])  # [1.0, 3.0] is the most crowded


# -- reference points (Deb & Jain 2014) -----------------------------------------------------------
@pytest.mark.parametrize(("m", "p", "count"), [(2, 3, 4), (3, 4, 15), (5, 3, 35), (9, 3, 165)])
def test_das_dennis_points_lie_on_the_simplex_in_steps_of_one_over_p(
    m: int, p: int, count: int
) -> None:
    points = das_dennis(m, p)
    assert points.shape == (count, m)
    np.testing.assert_allclose(points.sum(axis=1), 1.0)
    np.testing.assert_allclose(points * p, np.round(points * p), atol=1e-12)
    assert len(np.unique(points, axis=0)) == count


def test_normalization_maps_a_linear_front_onto_the_unit_simplex() -> None:
    rng = np.random.RandomState(0)
    weights = rng.dirichlet(np.ones(3), 50)
    loss = 2.0 + weights * np.array([1.0, 10.0, 100.0])
    np.testing.assert_allclose(normalize(loss).sum(axis=1), 1.0, atol=1e-9)


def test_each_point_is_associated_with_its_nearest_reference_line() -> None:
    reference = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    nearest, distance = associate(np.array([[0.9, 0.1], [0.4, 0.6], [0.0, 2.0]]), reference)
    np.testing.assert_array_equal(nearest, [0, 1, 2])
    assert distance[2] == pytest.approx(0.0)


def test_reference_point_niching_spreads_the_survivors_over_the_front() -> None:
    # One front: a tight cluster near one axis and one point near each other reference line.
    cluster = np.array([[0.0, 1.0], [0.01, 0.99], [0.02, 0.98], [0.03, 0.97]])
    others = np.array([[0.5, 0.5], [1.0, 0.0]])
    loss = np.vstack([cluster, others])
    reference = das_dennis(2, 2)  # (0, 1), (0.5, 0.5), (1, 0)
    kept = select_by_reference_points(loss, np.zeros(6), 3, reference, np.random.RandomState(0))
    assert {4, 5} <= set(kept.tolist())
    assert len(set(kept.tolist()) & {0, 1, 2, 3}) == 1


# -- crossovers and mutation ----------------------------------------------------------------------
def _study(n_objectives: int = 2) -> tansaku.Study:
    return tansaku.create_study(directions=["minimize"] * n_objectives)


@pytest.mark.parametrize("name", list(CROSSOVERS))
def test_crossover_declares_its_parent_count(name: str) -> None:
    assert _quiet(CROSSOVERS[name]).n_parents == N_PARENTS[name]


@pytest.mark.parametrize("name", list(CROSSOVERS))
def test_children_of_every_crossover_stay_inside_the_bounds(name: str) -> None:
    crossover = _quiet(CROSSOVERS[name])
    rng = np.random.RandomState(1)
    bounds = np.array([[0.0, 1.0], [-5.0, 5.0], [10.0, 10.5], [-1.0, 0.0]])
    breeding = NSGAIIChildGenerationStrategy(
        crossover=crossover,
        crossover_prob=1.0,
        swapping_prob=0.5,
        mutation_prob=0.0,
        mutation=None,
        constraints_func=None,
        rng=rng,
    )
    study = _study()
    for _ in range(200):
        # Parents at the edges, where the operators overshoot most.
        parents = bounds[:, 0] + rng.rand(crossover.n_parents, 4) ** 4 * (
            bounds[:, 1] - bounds[:, 0]
        )
        child = breeding._cross(study, parents, bounds)
        assert child.shape == (4,)
        assert np.all(bounds[:, 0] <= child) and np.all(child <= bounds[:, 1])


@pytest.mark.parametrize(
    "factory",
    [
        BLXAlphaCrossover,
        lambda: SBXCrossover(use_child_gene_prob=1.0),
        lambda: VSBXCrossover(use_child_gene_prob=1.0),
        UNDXCrossover,
        SPXCrossover,
    ],
)
def test_crossover_children_move_away_from_the_parents(
    factory: Callable[[], BaseCrossover],
) -> None:
    crossover = _quiet(factory)
    rng = np.random.RandomState(0)
    parents = rng.rand(crossover.n_parents, 3)
    bounds = np.array([[-10.0, 10.0]] * 3)
    children = np.array([crossover.crossover(parents, rng, _study(), bounds) for _ in range(50)])
    assert not any(np.any(np.all(np.isclose(c, parents), axis=1)) for c in children)


def test_polynomial_mutation_stays_inside_the_bounds_and_near_the_value() -> None:
    mutation = _quiet(PolynomialMutation)  # type: ignore[arg-type]
    rng = np.random.RandomState(0)
    bounds = np.array([0.0, 1.0])
    values = [mutation.mutation(x, rng, _study(), bounds) for x in [0.0, 1.0, 0.5] * 200]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert np.median(np.abs(np.array(values[2::3]) - 0.5)) < 0.1


@pytest.mark.parametrize(
    ("factory", "argument"),
    [
        (lambda: UniformCrossover(swapping_prob=1.5), "swapping_prob"),
        (lambda: BLXAlphaCrossover(alpha=-1.0), "alpha"),
        (lambda: SBXCrossover(eta=-0.5), "eta"),
        (lambda: SBXCrossover(uniform_crossover_prob=-0.1), "uniform_crossover_prob"),
        (lambda: VSBXCrossover(use_child_gene_prob=0.0), "use_child_gene_prob"),
        (lambda: UNDXCrossover(sigma_xi=0.0), "sigma_xi"),
        (lambda: SPXCrossover(epsilon=-2.0), "epsilon"),
        (lambda: PolynomialMutation(eta=-1.0), "eta"),
    ],
)
def test_operator_arguments_out_of_range_are_refused_by_name(
    factory: Callable[[], object], argument: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=argument):
            factory()


@pytest.mark.parametrize(
    ("factory", "argument"),
    [
        (lambda: UniformCrossover(swapping_prob="0.5"), "swapping_prob"),
        (lambda: BLXAlphaCrossover(alpha="0.5"), "alpha"),
        (lambda: SBXCrossover(eta="2"), "eta"),
        (lambda: VSBXCrossover(uniform_crossover_prob=None), "uniform_crossover_prob"),
        (lambda: UNDXCrossover(sigma_xi="0.5"), "sigma_xi"),
        (lambda: SPXCrossover(epsilon="1"), "epsilon"),
        (lambda: PolynomialMutation(eta="20"), "eta"),
    ],
)
def test_operator_arguments_that_are_not_numbers_raise_type_error_by_name(
    factory: Callable[[], object], argument: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TypeError, match=argument):
            factory()


def test_distribution_index_zero_is_the_widest_spread_not_an_error() -> None:
    # Deb & Agrawal (1995) allow any eta >= 0; 0 spreads children and mutants the most.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        crossover, mutation = SBXCrossover(eta=0.0), PolynomialMutation(eta=0.0)
    rng = np.random.RandomState(0)
    parents = np.array([[0.4, 0.2], [0.6, 0.8]])
    bounds = np.array([[0.0, 1.0], [0.0, 1.0]])
    children = np.array([crossover.crossover(parents, rng, _study(), bounds) for _ in range(200)])
    assert np.all((children >= 0.0) & (children <= 1.0))
    mutants = [mutation.mutation(0.5, rng, _study(), bounds[0]) for _ in range(200)]
    assert all(0.0 <= v <= 1.0 for v in mutants)
