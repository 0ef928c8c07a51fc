"""fANOVA: the exact decomposition of a tree, against a brute-force computation and known
answers, and the evaluator's seeds and encodings."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.tree import DecisionTreeRegressor

from tansaku.distributions import CategoricalDistribution, FloatDistribution
from tansaku.importance import FanovaImportanceEvaluator, get_param_importances
from tansaku.importance import _functional_anova as functional_anova
from tansaku.importance._functional_anova import leaf_boxes, variance_fractions
from tests.importance.conftest import MIXED_SPACE, dominated_by_x, make_study


def _brute_force_fractions(
    tree: DecisionTreeRegressor, bounds: np.ndarray, groups: list[np.ndarray], n_grid: list[int]
) -> np.ndarray:
    """V_S / V from the tree's predictions at the midpoints of a grid of the whole box whose
    boundaries include every threshold (so each grid cell lies in one leaf)."""
    axes = [np.linspace(low, high, n + 1) for (low, high), n in zip(bounds, n_grid)]
    mids = [(a[1:] + a[:-1]) / 2 for a in axes]
    points = np.array(list(itertools.product(*mids)))
    values = tree.predict(points).reshape(n_grid)
    centred = values - values.mean()
    total = np.mean(centred**2)
    fractions = []
    for columns in groups:
        others = tuple(axis for axis in range(len(bounds)) if axis not in columns)
        marginal = centred.mean(axis=others)
        fractions.append(np.mean(marginal**2) / total)
    return np.array(fractions)


def test_marginal_variances_match_a_brute_force_evaluation() -> None:
    rng = np.random.default_rng(3)
    # Columns 0..2 numeric; 3 and 4 a one-hot pair, as a two-choice categorical is encoded.
    features = rng.random((200, 5)) * [1.0, 4.0, 2.0, 1.0, 1.0]
    choice = rng.integers(0, 2, 200)
    features[:, 3], features[:, 4] = choice == 0, choice == 1
    y = np.sin(3 * features[:, 0]) + features[:, 1] * features[:, 0] + 0.5 * features[:, 3]
    bounds = np.array([[0, 1], [0, 4], [0, 2], [0, 1], [0, 1]], dtype=float)
    # Values on multiples of 1/8 put every threshold on an odd multiple of 1/16.
    features[:, :3] = np.round(features[:, :3] * 8) / 8
    tree = DecisionTreeRegressor(max_depth=6, random_state=0).fit(features, y)
    groups = [np.array([0]), np.array([1]), np.array([2]), np.array([3, 4])]
    fast = variance_fractions(leaf_boxes([tree], bounds), bounds, groups, 1)[0]
    slow = _brute_force_fractions(tree, bounds, groups, [16, 64, 32, 2, 2])
    assert fast == pytest.approx(slow, rel=1e-6, abs=1e-9)


def test_pairwise_and_product_grid_forms_agree_for_a_one_hot_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(1)
    n_choices = 6
    choice = rng.integers(0, n_choices, 300)
    features = np.column_stack([np.eye(n_choices)[choice], rng.random(300)])
    y = choice * 0.5 + np.sin(4 * features[:, -1])
    bounds = np.array([[0.0, 1.0]] * (n_choices + 1))
    forest = RandomForestRegressor(n_estimators=4, random_state=0).fit(features, y)
    boxes = leaf_boxes(forest.estimators_, bounds)
    groups = [np.arange(n_choices), np.array([n_choices])]
    on_grid = variance_fractions(boxes, bounds, groups, 4)
    monkeypatch.setattr(functional_anova, "_MAX_PRODUCT_CELLS", 1)
    pairwise = variance_fractions(boxes, bounds, groups, 4)
    assert pairwise == pytest.approx(on_grid, rel=1e-9)


def test_a_categorical_with_many_choices_stays_cheap() -> None:
    choices = [f"c{i}" for i in range(24)]  # 2^24 product cells: only the pairwise form fits
    space = {"kind": CategoricalDistribution(choices), "x": FloatDistribution(0.0, 1.0)}
    study = make_study(lambda p: choices.index(p["kind"]) % 3 + 0.1 * p["x"], space, 400)
    importances = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    assert list(importances) == ["kind", "x"]


def test_an_additive_function_is_fully_explained_by_its_main_effects() -> None:
    rng = np.random.default_rng(0)
    features = rng.random((400, 3))
    y = 4 * features[:, 0] + np.sin(6 * features[:, 1])  # no interaction, column 2 unused
    bounds = np.array([[0.0, 1.0]] * 3)
    forest = RandomForestRegressor(n_estimators=8, random_state=0).fit(features, y)
    groups = [np.array([j]) for j in range(3)]
    fractions = variance_fractions(leaf_boxes(forest.estimators_, bounds), bounds, groups, 8)
    assert np.all(fractions >= 0.0)
    assert fractions.sum(axis=1) == pytest.approx(np.ones(8), abs=0.1)
    assert np.all(fractions[:, 0] > fractions[:, 1])
    assert np.all(fractions[:, 2] < 0.02)


def test_an_interaction_leaves_variance_unexplained_by_main_effects() -> None:
    rng = np.random.default_rng(0)
    features = rng.uniform(-1, 1, (600, 2))
    y = features[:, 0] * features[:, 1]  # pure interaction: both marginals are flat
    bounds = np.array([[-1.0, 1.0]] * 2)
    forest = RandomForestRegressor(n_estimators=8, random_state=0).fit(features, y)
    groups = [np.array([0]), np.array([1])]
    fractions = variance_fractions(leaf_boxes(forest.estimators_, bounds), bounds, groups, 8)
    assert fractions.mean(axis=0) == pytest.approx([0.0, 0.0], abs=0.1)


def test_a_tree_that_predicts_a_constant_is_marked_as_such() -> None:
    tree = DecisionTreeRegressor().fit(np.random.default_rng(0).random((10, 2)), np.ones(10))
    bounds = np.array([[0.0, 1.0]] * 2)
    fractions = variance_fractions(leaf_boxes([tree], bounds), bounds, [np.array([0])], 1)
    assert np.isnan(fractions).all()


def test_same_seed_gives_the_same_importances() -> None:
    study = make_study(dominated_by_x, MIXED_SPACE, 150)
    first = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=7))
    again = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=7))
    other = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=8))
    assert first == again
    assert first != other


def test_log_params_are_measured_on_their_log_scale() -> None:
    # f depends on log10(lr) linearly: on the log scale lr explains as much as x does.
    space = {"lr": FloatDistribution(1e-6, 1.0, log=True), "x": FloatDistribution(-6.0, 0.0)}
    study = make_study(lambda p: float(np.log10(p["lr"]) + p["x"]), space, 600)
    importances = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    assert importances["lr"] == pytest.approx(0.5, abs=0.08)


def test_categorical_param_is_one_group_of_one_hot_columns() -> None:
    space = {
        "kind": CategoricalDistribution(["a", "b", "c", "d"]),
        "x": FloatDistribution(0.0, 1.0),
    }
    offsets = {"a": 0.0, "b": 1.0, "c": 2.0, "d": 3.0}
    study = make_study(lambda p: offsets[p["kind"]] + 0.2 * p["x"], space, 400)
    importances = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    assert list(importances) == ["kind", "x"]
    assert importances["kind"] > 0.8


@pytest.mark.parametrize(("argument", "value"), [("n_trees", 0), ("max_depth", -1)])
def test_forest_sizes_must_be_positive(argument: str, value: int) -> None:
    with pytest.raises(ValueError, match=f"{argument}={value}"):
        FanovaImportanceEvaluator(**{argument: value})
