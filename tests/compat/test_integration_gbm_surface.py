"""The LightGBM, XGBoost and CatBoost integrations have optuna_integration 5.0's signatures.

Run with the benchmark environment (``.venv-bench/bin/python``), where optuna_integration is
installed; its classes are imported for their signatures only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

optuna_integration = pytest.importorskip("optuna_integration")
pytest.importorskip("lightgbm")
pytest.importorskip("xgboost")
pytest.importorskip("catboost")

import tansaku.integration  # noqa: E402
import tansaku.integration.lightgbm  # noqa: E402

CLASSES = [
    "LightGBMPruningCallback",
    "LightGBMTuner",
    "LightGBMTunerCV",
    "XGBoostPruningCallback",
    "CatBoostPruningCallback",
]
# Public methods and properties of Optuna's classes that tansaku's must have too.
MEMBERS = {
    "LightGBMTuner": [
        "run", "get_best_booster", "best_params", "best_score", "sample_train_set",
        "tune_feature_fraction", "tune_num_leaves", "tune_bagging",
        "tune_feature_fraction_stage2", "tune_regularization_factors", "tune_min_data_in_leaf",
        "higher_is_better", "compare_validation_metrics",
    ],
    "XGBoostPruningCallback": ["before_training", "after_iteration"],
    "CatBoostPruningCallback": ["after_iteration", "check_pruned"],
}  # fmt: skip
MEMBERS["LightGBMTunerCV"] = MEMBERS["LightGBMTuner"]


def _parameters(function: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
    """Names, kinds and defaults: what a caller relies on (annotations name each library)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("name", CLASSES)
def test_constructor_has_optunas_parameters_kinds_and_defaults(name: str) -> None:
    ours = getattr(tansaku.integration, name)
    theirs = getattr(optuna_integration, name)
    assert _parameters(ours.__init__) == _parameters(theirs.__init__)


@pytest.mark.parametrize("name", sorted(MEMBERS))
def test_public_members_exist_with_optunas_signatures(name: str) -> None:
    ours = getattr(tansaku.integration, name)
    theirs = getattr(optuna_integration, name)
    for member in MEMBERS[name]:
        mine = inspect.getattr_static(ours, member)
        optunas = inspect.getattr_static(theirs, member)
        assert isinstance(mine, property) == isinstance(optunas, property), member
        if callable(optunas):
            assert _parameters(mine) == _parameters(getattr(theirs, member)), member


def test_drop_in_train_has_optunas_signature() -> None:
    from optuna_integration import lightgbm as optuna_lgb

    assert _parameters(tansaku.integration.lightgbm.train) == _parameters(optuna_lgb.train)
    for name in optuna_lgb.__all__:
        assert hasattr(tansaku.integration.lightgbm, name), name
