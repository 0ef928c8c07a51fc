"""PED-ANOVA: its arguments, conditional params, several objectives and its grid densities."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tansaku
from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tansaku.importance import PedAnovaImportanceEvaluator, get_param_importances
from tansaku.importance._grid_density import grid_counts, grid_density, grid_size
from tests.importance.conftest import MIXED_SPACE, dominated_by_x, make_study


@pytest.mark.parametrize(
    ("target_quantile", "region_quantile", "argument"),
    [
        (0.0, 1.0, "target_quantile"),
        (1.0, 1.0, "target_quantile"),
        (0.5, 0.3, "region_quantile"),
        (0.1, 1.5, "region_quantile"),
        (0.3, 0.3, "region_quantile"),
    ],
)
def test_quantiles_out_of_order_are_rejected(
    target_quantile: float, region_quantile: float, argument: str
) -> None:
    with pytest.raises(ValueError, match=f"{argument}="):
        PedAnovaImportanceEvaluator(
            target_quantile=target_quantile, region_quantile=region_quantile
        )


def test_region_quantile_without_local_evaluation_warns() -> None:
    with pytest.warns(UserWarning, match="no effect"):
        PedAnovaImportanceEvaluator(region_quantile=0.5, evaluate_on_local=False)


def test_a_target_warns_that_low_values_are_explained(mixed_study: tansaku.Study) -> None:
    with pytest.warns(UserWarning, match="negate"):
        get_param_importances(mixed_study, target=lambda t: t.value)


def test_negating_the_target_explains_the_other_end() -> None:
    # The lowest values need x near 0; the highest need y above 0.8 first of all.
    space = {"x": FloatDistribution(-1, 1), "y": FloatDistribution(0, 1)}
    study = make_study(lambda p: abs(p["x"]) + (p["y"] > 0.8) * 5.0, space, 500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        low = get_param_importances(study, target=lambda t: t.value)
        high = get_param_importances(study, target=lambda t: -t.value)
    assert next(iter(low)) == "x"
    assert next(iter(high)) == "y"


def test_maximized_study_explains_high_values() -> None:
    space = {"x": FloatDistribution(0, 1), "y": FloatDistribution(0, 1)}
    study = make_study(lambda p: float(p["x"] > 0.9), space, 400, directions=["maximize"])
    assert next(iter(get_param_importances(study))) == "x"


def test_local_and_global_comparisons_agree_on_a_clear_winner(
    mixed_study: tansaku.Study,
) -> None:
    for evaluate_on_local in (True, False):
        evaluator = PedAnovaImportanceEvaluator(evaluate_on_local=evaluate_on_local)
        assert next(iter(get_param_importances(mixed_study, evaluator=evaluator))) == "x"


def test_region_quantile_measures_inside_the_good_region() -> None:
    # Over the whole space, reaching |x| < 0.2 matters most; once there (the best 15%), x no
    # longer changes anything and y decides.
    space = {"x": FloatDistribution(-1, 1), "y": FloatDistribution(-1, 1)}
    study = make_study(lambda p: 10 * max(abs(p["x"]) - 0.2, 0.0) + abs(p["y"]), space, 2000)
    overall = get_param_importances(study)
    within = get_param_importances(
        study, evaluator=PedAnovaImportanceEvaluator(target_quantile=0.03, region_quantile=0.15)
    )
    assert next(iter(overall)) == "x"
    assert next(iter(within)) == "y"


def test_several_objectives_without_target_explain_the_pareto_front() -> None:
    # Both objectives trade off through x; noise matters to neither.
    space = {"x": FloatDistribution(0, 1), "noise": FloatDistribution(0, 1)}
    study = make_study(
        lambda p: [p["x"], (1 - p["x"]) ** 2 + 0.5 * abs(p["noise"] - 0.5)],
        space,
        300,
        directions=["minimize", "minimize"],
    )
    importances = get_param_importances(study)
    assert next(iter(importances)) == "noise"  # the front is where noise is near 0.5
    assert importances["noise"] > 0.6


def test_conditional_params_are_assessed() -> None:
    rng = np.random.default_rng(0)
    study = tansaku.create_study(sampler=tansaku.samplers.RandomSampler(seed=0))

    def objective(trial: tansaku.Trial) -> float:
        model = trial.suggest_categorical("model", ["tree", "linear"])
        if model == "tree":
            depth = trial.suggest_int("depth", 1, 10)
            return abs(depth - 7) + 0.1 * rng.random()
        alpha = trial.suggest_float("alpha", 1e-4, 1.0, log=True)
        return 3.0 + 0.1 * np.log10(alpha) ** 2 / 16

    study.optimize(objective, n_trials=300)
    importances = get_param_importances(study)
    assert set(importances) == {"model", "depth", "alpha"}
    # The best trials are all trees with a depth near 7.
    assert list(importances)[-1] == "alpha"
    assert importances["depth"] > importances["alpha"]
    assert importances["model"] > importances["alpha"]


def test_a_conditional_param_may_be_named_when_some_trial_has_it() -> None:
    study = tansaku.create_study(sampler=tansaku.samplers.RandomSampler(seed=0))
    study.optimize(
        lambda t: t.suggest_float("a", 0, 1) if t.number % 2 else t.suggest_float("b", 0, 1),
        n_trials=40,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert set(get_param_importances(study, params=["a", "b"])) == {"a", "b"}


def test_identical_top_and_region_sets_warn_and_give_equal_shares() -> None:
    space = {"x": FloatDistribution(0, 1), "y": FloatDistribution(0, 1)}
    study = make_study(lambda p: 0.0, space, 20)  # all tied: every trial is in the top set
    with pytest.warns(UserWarning, match="same"):
        importances = get_param_importances(study)
    assert importances == {"x": 0.5, "y": 0.5}


def test_pedanova_ignores_the_order_in_which_trials_were_added() -> None:
    forward = make_study(dominated_by_x, MIXED_SPACE, 200)
    backward = tansaku.create_study()
    backward.add_trials(list(reversed(forward.trials)))
    assert get_param_importances(forward) == pytest.approx(get_param_importances(backward))


# -- the grid densities --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("distribution", "expected"),
    [
        (FloatDistribution(0, 1), 50),
        (FloatDistribution(0, 1, step=0.25), 5),
        (IntDistribution(0, 9), 10),
        (IntDistribution(0, 1000), 50),
        (IntDistribution(1, 1024, log=True), 11),
        (CategoricalDistribution(["a", "b", "c"]), 3),
    ],
)
def test_grid_size_follows_the_domain(distribution: object, expected: int) -> None:
    assert grid_size(distribution, 50) == expected  # type: ignore[arg-type]


def test_grid_counts_vote_for_the_nearest_point_on_the_log_scale() -> None:
    counts = grid_counts(FloatDistribution(1.0, 100.0, log=True), np.array([1.0, 9.0, 100.0]), 3)
    assert counts.tolist() == [1, 1, 1]  # 9 is nearer to 10 than to 1 in log space


@pytest.mark.parametrize("categorical", [False, True])
def test_grid_density_is_a_distribution_peaked_at_the_votes(categorical: bool) -> None:
    counts = np.array([0, 0, 8, 1, 0, 0, 0])
    density = grid_density(counts, categorical, prior_weight=1.0)
    assert density.sum() == pytest.approx(1.0)
    assert np.all(density > 0.0)
    assert int(np.argmax(density)) == 2


def test_grid_density_without_votes_is_uniform() -> None:
    assert grid_density(np.zeros(4, dtype=int), False, 1.0) == pytest.approx([0.25] * 4)
