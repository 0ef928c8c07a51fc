"""Mean decrease impurity: seeds, categorical params and the forest's arguments."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from tansaku.distributions import CategoricalDistribution, FloatDistribution
from tansaku.importance import (
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    get_param_importances,
)
from tests.importance.conftest import MIXED_SPACE, dominated_by_x, make_study


def test_same_seed_gives_the_same_importances() -> None:
    study = make_study(dominated_by_x, MIXED_SPACE, 150)
    first = get_param_importances(study, evaluator=MeanDecreaseImpurityImportanceEvaluator(seed=3))
    again = get_param_importances(study, evaluator=MeanDecreaseImpurityImportanceEvaluator(seed=3))
    other = get_param_importances(study, evaluator=MeanDecreaseImpurityImportanceEvaluator(seed=4))
    assert first == again
    assert first != other


def test_categorical_param_collects_the_credit_of_all_its_choices() -> None:
    space = {
        "kind": CategoricalDistribution(["a", "b", "c", "d", "e"]),
        "x": FloatDistribution(0.0, 1.0),
    }
    offsets = {"a": 0.0, "b": 1.0, "c": 2.0, "d": 3.0, "e": 4.0}
    study = make_study(lambda p: offsets[p["kind"]] + 0.3 * p["x"], space, 300)
    evaluator = MeanDecreaseImpurityImportanceEvaluator(seed=0)
    importances = get_param_importances(study, evaluator=evaluator)
    assert list(importances) == ["kind", "x"]
    assert importances["kind"] > 0.9


def test_more_trees_are_accepted_and_agree_on_the_winner() -> None:
    study = make_study(dominated_by_x, MIXED_SPACE, 150)
    evaluator = MeanDecreaseImpurityImportanceEvaluator(n_trees=8, max_depth=4, seed=0)
    assert next(iter(get_param_importances(study, evaluator=evaluator))) == "x"


@pytest.mark.parametrize(("argument", "value"), [("n_trees", 0), ("max_depth", 1.5)])
def test_forest_sizes_must_be_positive_ints(argument: str, value: Any) -> None:
    with pytest.raises(ValueError, match=f"{argument}="):
        MeanDecreaseImpurityImportanceEvaluator(**{argument: value})


@pytest.mark.parametrize(
    "make_evaluator", [MeanDecreaseImpurityImportanceEvaluator, FanovaImportanceEvaluator]
)
def test_missing_scikit_learn_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, make_evaluator: type
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.ensemble", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install tansaku\[importance\]"):
        make_evaluator()
