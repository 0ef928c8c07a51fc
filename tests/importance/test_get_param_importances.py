"""get_param_importances with every evaluator: the answer's shape, filters and bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tansaku
from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tansaku.exceptions import ExperimentalWarning
from tansaku.importance import (
    BaseImportanceEvaluator,
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    PedAnovaImportanceEvaluator,
    get_param_importances,
)
from tansaku.trial import TrialState, create_trial
from tests.importance.conftest import MIXED_SPACE, dominated_by_x, draw, make_study

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_dominant_param_ranks_first_and_irrelevant_param_last(
    mixed_study: tansaku.Study, evaluator: BaseImportanceEvaluator
) -> None:
    importances = get_param_importances(mixed_study, evaluator=evaluator)
    ranking = list(importances)
    assert ranking[0] == "x"
    assert importances["x"] > 0.5
    assert importances["x"] > 3 * max(v for k, v in importances.items() if k != "x")
    assert importances["noise"] < 0.05


def test_answer_is_normalized_sorted_and_covers_every_param(
    mixed_study: tansaku.Study, evaluator: BaseImportanceEvaluator
) -> None:
    importances = get_param_importances(mixed_study, evaluator=evaluator)
    assert set(importances) == set(MIXED_SPACE)
    assert math.isclose(sum(importances.values()), 1.0, rel_tol=1e-9)
    values = list(importances.values())
    assert values == sorted(values, reverse=True)
    assert all(type(v) is float and v >= 0.0 for v in values)


def test_default_evaluator_is_ped_anova(mixed_study: tansaku.Study) -> None:
    default = get_param_importances(mixed_study)
    explicit = get_param_importances(mixed_study, evaluator=PedAnovaImportanceEvaluator())
    assert default == explicit


def test_unnormalized_importances_keep_their_scale_and_warn(
    mixed_study: tansaku.Study, evaluator: BaseImportanceEvaluator
) -> None:
    with pytest.warns(ExperimentalWarning):
        raw = get_param_importances(mixed_study, evaluator=evaluator, normalize=False)
    normalized = get_param_importances(mixed_study, evaluator=evaluator)
    assert list(raw) == list(normalized)
    total = sum(raw.values())
    for name, value in raw.items():
        assert value / total == pytest.approx(normalized[name], rel=1e-9)


def test_params_restricts_the_assessment(
    mixed_study: tansaku.Study, evaluator: BaseImportanceEvaluator
) -> None:
    importances = get_param_importances(mixed_study, evaluator=evaluator, params=["n", "x"])
    assert list(importances) == ["x", "n"]
    assert sum(importances.values()) == pytest.approx(1.0)


def test_empty_params_gives_an_empty_answer(
    mixed_study: tansaku.Study, evaluator: BaseImportanceEvaluator
) -> None:
    assert get_param_importances(mixed_study, evaluator=evaluator, params=[]) == {}


def test_param_not_in_the_study_is_named_in_the_error(
    mixed_study: tansaku.Study, evaluator: BaseImportanceEvaluator
) -> None:
    with pytest.raises(ValueError, match="'missing'"):
        get_param_importances(mixed_study, evaluator=evaluator, params=["x", "missing"])


@pytest.mark.parametrize("params", ["x", {"x"}, ["x", 3]])
def test_params_that_are_not_a_list_of_names_are_rejected(
    mixed_study: tansaku.Study, evaluator: BaseImportanceEvaluator, params: object
) -> None:
    with pytest.raises(TypeError, match="params"):
        get_param_importances(mixed_study, evaluator=evaluator, params=params)  # type: ignore[arg-type]


def test_an_evaluator_of_another_kind_is_rejected(mixed_study: tansaku.Study) -> None:
    with pytest.raises(TypeError, match="BaseImportanceEvaluator"):
        get_param_importances(mixed_study, evaluator=object())  # type: ignore[arg-type]


def test_study_without_completed_trials_gives_an_empty_answer(
    evaluator: BaseImportanceEvaluator,
) -> None:
    study = tansaku.create_study()
    trial = study.ask()
    trial.suggest_float("x", 0.0, 1.0)
    study.tell(trial, state=TrialState.FAIL)
    assert get_param_importances(study, evaluator=evaluator) == {}


def test_study_without_completed_trials_rejects_named_params(
    evaluator: BaseImportanceEvaluator,
) -> None:
    with pytest.raises(ValueError, match="'x'"):
        get_param_importances(tansaku.create_study(), evaluator=evaluator, params=["x"])


def test_a_single_trial_gives_every_param_the_same_share(
    evaluator: BaseImportanceEvaluator,
) -> None:
    study = make_study(dominated_by_x, MIXED_SPACE, 1)
    importances = get_param_importances(study, evaluator=evaluator)
    assert importances == pytest.approx(dict.fromkeys(MIXED_SPACE, 0.2))


def test_only_completed_trials_with_finite_values_count(
    evaluator: BaseImportanceEvaluator,
) -> None:
    study = make_study(dominated_by_x, MIXED_SPACE, 200)
    reference = get_param_importances(study, evaluator=evaluator)
    # Extra trials whose values contradict the objective must not change the answer.
    rng = np.random.default_rng(5)
    for state, value in ((TrialState.PRUNED, None), (TrialState.COMPLETE, math.inf)):
        for _ in range(50):
            params = draw(MIXED_SPACE, rng)
            study.add_trial(
                create_trial(params=params, distributions=MIXED_SPACE, value=value, state=state)
            )
    assert get_param_importances(study, evaluator=evaluator) == pytest.approx(reference)


def test_several_objectives_with_a_target_explain_that_target(
    evaluator: BaseImportanceEvaluator,
) -> None:
    study = make_study(
        lambda p: [p["noise"] * 10 + 0.01 * p["x"], p["x"] ** 2],
        MIXED_SPACE,
        300,
        directions=["minimize", "minimize"],
    )
    first = get_param_importances(study, evaluator=evaluator, target=lambda t: t.values[0])
    second = get_param_importances(study, evaluator=evaluator, target=lambda t: t.values[1])
    assert next(iter(first)) == "noise"
    assert next(iter(second)) == "x"


@pytest.mark.parametrize(
    "make_evaluator",
    [FanovaImportanceEvaluator, MeanDecreaseImpurityImportanceEvaluator],
)
def test_forest_evaluators_need_a_target_with_several_objectives(
    make_evaluator: type[BaseImportanceEvaluator],
) -> None:
    study = make_study(lambda p: [p["x"], p["n"]], MIXED_SPACE, 20, directions=["minimize"] * 2)
    with pytest.raises(ValueError, match="target=lambda t: t.values"):
        get_param_importances(study, evaluator=make_evaluator())


def test_a_target_returning_all_objective_values_is_rejected(
    evaluator: BaseImportanceEvaluator,
) -> None:
    study = make_study(lambda p: [p["x"], p["n"]], MIXED_SPACE, 20, directions=["minimize"] * 2)
    with pytest.raises(TypeError, match="target must return one float"):
        get_param_importances(study, evaluator=evaluator, target=lambda t: t.values)


def test_a_constant_objective_gives_every_param_the_same_share(
    evaluator: BaseImportanceEvaluator,
) -> None:
    study = make_study(lambda p: 1.0, MIXED_SPACE, 60)
    importances = get_param_importances(study, evaluator=evaluator)
    assert importances == pytest.approx(dict.fromkeys(MIXED_SPACE, 0.2))


def test_one_value_domains_get_no_importance(evaluator: BaseImportanceEvaluator) -> None:
    space = {
        "x": FloatDistribution(0.0, 1.0),
        "fixed": IntDistribution(3, 3),
        "only": CategoricalDistribution(["a"]),
        "y": FloatDistribution(0.0, 1.0),
    }
    study = make_study(lambda p: p["x"] + 0.1 * p["y"], space, 100)
    importances = get_param_importances(study, evaluator=evaluator)
    assert set(importances) == set(space)
    assert importances["fixed"] == importances["only"] == 0.0
    assert list(importances)[:2] == ["x", "y"]


def test_evaluators_read_studies_in_persistent_storage(
    tmp_path: object, evaluator: BaseImportanceEvaluator
) -> None:
    storage = f"sqlite:///{tmp_path}/importance.db"
    study = tansaku.create_study(storage=storage, sampler=tansaku.samplers.RandomSampler(seed=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(
            lambda t: t.suggest_float("x", -1, 1) ** 2 + 0.01 * t.suggest_int("k", 0, 3),
            n_trials=40,
        )
    loaded = tansaku.load_study(study_name=study.study_name, storage=storage)
    assert next(iter(get_param_importances(loaded, evaluator=evaluator))) == "x"


def _conditional_study() -> tansaku.Study:
    """``x`` everywhere; ``a`` only in odd trials; ``r`` with a range that changes once."""
    study = tansaku.create_study()
    rng = np.random.default_rng(0)
    for number in range(80):
        space = {
            "x": FloatDistribution(0.0, 1.0),
            "r": FloatDistribution(0.0, 1.0 if number < 40 else 2.0),
        }
        params = {"x": float(rng.uniform()), "r": float(rng.uniform())}
        if number % 2:
            space["a"] = IntDistribution(0, 3)
            params["a"] = int(rng.integers(0, 4))
        value = params["x"] + 0.1 * params["r"] + 0.1 * params.get("a", 0)
        study.add_trial(create_trial(params=params, distributions=space, value=value))
    return study


@pytest.mark.parametrize(
    "make_evaluator", [FanovaImportanceEvaluator, MeanDecreaseImpurityImportanceEvaluator]
)
def test_forest_evaluators_assess_only_params_every_trial_has_alike(
    make_evaluator: type[BaseImportanceEvaluator],
) -> None:
    study = _conditional_study()
    assert list(get_param_importances(study, evaluator=make_evaluator(seed=0))) == ["x"]
    # Named, a conditional param is assessed on the trials that have it.
    named = get_param_importances(study, evaluator=make_evaluator(seed=0), params=["a", "x"])
    assert list(named) == ["x", "a"]
    with pytest.raises(ValueError, match="domain"):
        get_param_importances(study, evaluator=make_evaluator(seed=0), params=["r"])


def test_ped_anova_assesses_conditional_and_changing_params() -> None:
    importances = get_param_importances(_conditional_study())
    assert set(importances) == {"x", "a", "r"}
    assert next(iter(importances)) == "x"
