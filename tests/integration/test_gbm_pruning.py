"""LightGBM, XGBoost and CatBoost pruning callbacks on tiny real models (breast cancer data).

Each pruned run uses ThresholdPruner(upper=0): every value reported from its warm-up step on
is above the bound, so the trial is pruned at a step known in advance.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

import tansaku
from tansaku.pruners import NopPruner, ThresholdPruner
from tansaku.trial import TrialState

pytestmark = pytest.mark.integrations

X, Y = load_breast_cancer(return_X_y=True)
X_TRAIN, Y_TRAIN, X_VALID, Y_VALID = X[:400], Y[:400], X[400:], Y[400:]


def _pruned_study(warmup: int) -> tansaku.Study:
    return tansaku.create_study(pruner=ThresholdPruner(upper=0.0, n_warmup_steps=warmup))


# -- LightGBM -------------------------------------------------------------------------------------
lgb = pytest.importorskip("lightgbm")
LGB_PARAMS = {"objective": "binary", "verbosity": -1, "num_threads": 1, "force_col_wise": True}


def _lgb_sets() -> tuple[object, object]:
    train = lgb.Dataset(X_TRAIN, Y_TRAIN)
    return train, lgb.Dataset(X_VALID, Y_VALID, reference=train)


def test_lightgbm_callback_reports_every_interval_and_prunes_at_the_pruner_step() -> None:
    from tansaku.integration import LightGBMPruningCallback

    study = _pruned_study(warmup=3)
    trial = study.ask()
    train, valid = _lgb_sets()
    pruning = LightGBMPruningCallback(trial, "binary_logloss", report_interval=2)
    with pytest.raises(tansaku.TrialPruned, match="iteration 3"):
        lgb.train(LGB_PARAMS, train, 10, valid_sets=[valid], callbacks=[pruning])
    study.tell(trial, state=TrialState.PRUNED)
    # The same (deterministic) training, unpruned, gives the values each round.
    record: dict = {}
    train, valid = _lgb_sets()
    lgb.train(LGB_PARAMS, train, 10, valid_sets=[valid], callbacks=[lgb.record_evaluation(record)])
    logloss = record["valid_0"]["binary_logloss"]
    (frozen,) = study.trials
    assert frozen.state is TrialState.PRUNED
    # Rounds 1 and 3 (0-based) are reported, round 3 is past the warm-up: pruned there.
    assert frozen.intermediate_values == {1: logloss[1], 3: logloss[3]}


def test_lightgbm_callback_in_optimize_with_cv_reports_the_fold_mean() -> None:
    from tansaku.integration import LightGBMPruningCallback

    def objective(trial: tansaku.Trial) -> float:
        results = lgb.cv(
            {**LGB_PARAMS, "num_leaves": trial.suggest_int("num_leaves", 2, 8)},
            lgb.Dataset(X, Y), 4, nfold=2,
            callbacks=[LightGBMPruningCallback(trial, "binary_logloss")],
        )  # fmt: skip
        trial.set_user_attr("means", results["valid binary_logloss-mean"])
        return results["valid binary_logloss-mean"][-1]

    study = tansaku.create_study(pruner=NopPruner())
    study.optimize(objective, n_trials=1)
    frozen = study.trials[0]
    assert frozen.state is TrialState.COMPLETE
    assert frozen.intermediate_values == dict(enumerate(frozen.user_attrs["means"]))

    pruned = _pruned_study(warmup=0)
    pruned.optimize(objective, n_trials=1)
    assert pruned.trials[0].state is TrialState.PRUNED
    assert list(pruned.trials[0].intermediate_values) == [0]


@pytest.mark.parametrize(
    ("metric", "valid_name", "missing"),
    [("binary_logloss", "holdout", "valid_name='holdout'"), ("auc", "valid_0", "metric='auc'")],
)
def test_lightgbm_callback_names_an_unknown_valid_name_or_metric_and_what_exists(
    metric: str, valid_name: str, missing: str
) -> None:
    from tansaku.integration import LightGBMPruningCallback

    study = tansaku.create_study()
    trial = study.ask()
    train, valid = _lgb_sets()
    pruning = LightGBMPruningCallback(trial, metric, valid_name=valid_name)
    with pytest.raises(ValueError, match=rf"{missing}.*valid_0/binary_logloss"):
        lgb.train(LGB_PARAMS, train, 2, valid_sets=[valid], callbacks=[pruning])
    assert study.trials[0].intermediate_values == {}


def test_lightgbm_callback_refuses_a_metric_against_the_study_direction() -> None:
    from tansaku.integration import LightGBMPruningCallback

    trial = tansaku.create_study(direction="maximize").ask()
    train, valid = _lgb_sets()
    pruning = LightGBMPruningCallback(trial, "binary_logloss")
    with pytest.raises(ValueError, match="'binary_logloss' is to be minimized.*MAXIMIZE"):
        lgb.train(LGB_PARAMS, train, 2, valid_sets=[valid], callbacks=[pruning])


def test_lightgbm_callback_refuses_bad_arguments_at_construction() -> None:
    from tansaku.integration import LightGBMPruningCallback

    trial = tansaku.create_study().ask()
    with pytest.raises(ValueError, match="report_interval.*0.*>= 1"):
        LightGBMPruningCallback(trial, "binary_logloss", report_interval=0)
    multi = tansaku.create_study(directions=["minimize", "minimize"]).ask()
    with pytest.raises(RuntimeError, match="LightGBMPruningCallback.*2 objectives"):
        LightGBMPruningCallback(multi, "binary_logloss")


# -- XGBoost --------------------------------------------------------------------------------------
xgb = pytest.importorskip("xgboost")
XGB_PARAMS = {"objective": "binary:logistic", "eval_metric": "logloss", "nthread": 1}


def test_xgboost_callback_reports_each_round_and_prunes_at_the_pruner_step() -> None:
    from tansaku.integration import XGBoostPruningCallback

    study = _pruned_study(warmup=2)
    trial = study.ask()
    dtrain, dvalid = xgb.DMatrix(X_TRAIN, Y_TRAIN), xgb.DMatrix(X_VALID, Y_VALID)
    with pytest.raises(tansaku.TrialPruned, match="iteration 2"):
        xgb.train(
            XGB_PARAMS, dtrain, 10, evals=[(dvalid, "validation")], verbose_eval=False,
            callbacks=[XGBoostPruningCallback(trial, "validation-logloss")],
        )  # fmt: skip
    study.tell(trial, state=TrialState.PRUNED)
    # The same (deterministic) training, unpruned, gives the values each round.
    evals_result: dict = {}
    xgb.train(
        XGB_PARAMS, dtrain, 10, evals=[(dvalid, "validation")], evals_result=evals_result,
        verbose_eval=False,
    )  # fmt: skip
    frozen = study.trials[0]
    assert frozen.state is TrialState.PRUNED
    logloss = evals_result["validation"]["logloss"]
    assert frozen.intermediate_values == {0: logloss[0], 1: logloss[1], 2: logloss[2]}


def test_xgboost_callback_with_cv_reports_the_fold_mean() -> None:
    from tansaku.integration import XGBoostPruningCallback

    study = tansaku.create_study(pruner=NopPruner())
    trial = study.ask()
    results = xgb.cv(
        XGB_PARAMS, xgb.DMatrix(X, Y), 3, nfold=2,
        callbacks=[XGBoostPruningCallback(trial, "test-logloss")],
    )  # fmt: skip
    means = results["test-logloss-mean"].tolist()
    assert study.trials[0].intermediate_values == dict(enumerate(means))


def test_xgboost_callback_names_an_unknown_key_and_refuses_several_objectives() -> None:
    from tansaku.integration import XGBoostPruningCallback

    trial = tansaku.create_study().ask()
    dtrain, dvalid = xgb.DMatrix(X_TRAIN, Y_TRAIN), xgb.DMatrix(X_VALID, Y_VALID)
    pruning = XGBoostPruningCallback(trial, "valid-logloss")
    with pytest.raises(ValueError, match=r"'valid-logloss'.*\['validation-logloss'\]"):
        xgb.train(XGB_PARAMS, dtrain, 2, evals=[(dvalid, "validation")], callbacks=[pruning])
    multi = tansaku.create_study(directions=["minimize", "maximize"]).ask()
    with pytest.raises(NotImplementedError, match="XGBoostPruningCallback.*2 objectives"):
        XGBoostPruningCallback(multi, "validation-logloss")


# -- CatBoost -------------------------------------------------------------------------------------
cb = pytest.importorskip("catboost")


def _catboost_model() -> object:
    return cb.CatBoostClassifier(
        iterations=10, depth=2, eval_metric="Logloss", thread_count=1, verbose=0,
        allow_writing_files=False, random_seed=0,
    )  # fmt: skip


def test_catboost_callback_stops_training_and_check_pruned_raises() -> None:
    from tansaku.integration import CatBoostPruningCallback

    study = _pruned_study(warmup=2)
    trial = study.ask()
    with pytest.warns(tansaku.exceptions.ExperimentalWarning):
        pruning = CatBoostPruningCallback(trial, "Logloss")
    model = _catboost_model()
    model.fit(X_TRAIN, Y_TRAIN, eval_set=[(X_VALID, Y_VALID)], callbacks=[pruning])
    # Stopped after the iteration of step 2: three trees.
    assert model.tree_count_ == 3
    with pytest.raises(tansaku.TrialPruned, match="iteration 2"):
        pruning.check_pruned()
    study.tell(trial, state=TrialState.PRUNED)
    logloss = model.get_evals_result()["validation"]["Logloss"]
    values = study.trials[0].intermediate_values
    assert sorted(values) == [0, 1, 2]
    assert np.allclose([values[step] for step in range(3)], logloss[:3])


def test_catboost_callback_without_pruning_lets_training_finish() -> None:
    from tansaku.integration import CatBoostPruningCallback

    study = tansaku.create_study(pruner=NopPruner())
    trial = study.ask()
    with pytest.warns(tansaku.exceptions.ExperimentalWarning):
        pruning = CatBoostPruningCallback(trial, "Logloss", eval_set_index=1)
    model = _catboost_model()
    eval_set = [(X_VALID, Y_VALID), (X_TRAIN[:100], Y_TRAIN[:100])]
    model.fit(X_TRAIN, Y_TRAIN, eval_set=eval_set, callbacks=[pruning])
    pruning.check_pruned()  # does not raise
    assert model.tree_count_ == 10
    assert sorted(study.trials[0].intermediate_values) == list(range(10))


def test_catboost_callback_names_an_unknown_metric_and_refuses_several_objectives() -> None:
    from tansaku.integration import CatBoostPruningCallback

    trial = tansaku.create_study().ask()
    with pytest.warns(tansaku.exceptions.ExperimentalWarning):
        pruning = CatBoostPruningCallback(trial, "AUC")
    model = _catboost_model()
    # CatBoost wraps what its callbacks raise in a CatBoostError that keeps the message.
    with pytest.raises(Exception, match=r"metric='AUC'.*\['Logloss'\]"):
        model.fit(X_TRAIN, Y_TRAIN, eval_set=[(X_VALID, Y_VALID)], callbacks=[pruning])
    multi = tansaku.create_study(directions=["minimize", "maximize"]).ask()
    with (
        pytest.warns(tansaku.exceptions.ExperimentalWarning),
        pytest.raises(NotImplementedError, match="CatBoostPruningCallback.*2 objectives"),
    ):
        CatBoostPruningCallback(multi, "Logloss")


# -- missing frameworks ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("framework", "module", "name"),
    [
        ("lightgbm", "tansaku.integration.lightgbm", "LightGBMTuner"),
        ("lightgbm", "tansaku.integration.lightgbm", "LightGBMPruningCallback"),
        ("xgboost", "tansaku.integration.xgboost", "XGBoostPruningCallback"),
        ("catboost", "tansaku.integration.catboost", "CatBoostPruningCallback"),
    ],
)
def test_a_missing_framework_raises_import_error_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, framework: str, module: str, name: str
) -> None:
    import tansaku.integration

    # None in sys.modules makes the import raise ImportError, as when it is not installed.
    monkeypatch.setitem(sys.modules, framework, None)
    for loaded in list(sys.modules):
        if loaded.startswith(("tansaku.integration._lightgbm", module)):
            monkeypatch.delitem(sys.modules, loaded)
    with pytest.raises(ImportError, match=rf"{module} needs {framework}.*tansaku\[{framework}\]"):
        getattr(tansaku.integration, name)


def test_importing_the_integration_package_loads_no_boosting_framework() -> None:
    import subprocess

    code = (
        "import sys, tansaku.integration; "
        "loaded = {'lightgbm', 'xgboost', 'catboost'} & set(sys.modules); "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
