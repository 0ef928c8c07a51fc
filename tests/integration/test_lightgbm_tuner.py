"""LightGBMTuner, LightGBMTunerCV and the drop-in tansaku.integration.lightgbm, end to end on
tiny real models (breast cancer data, a few boosting rounds)."""

from __future__ import annotations

import itertools
import json

import pytest
from sklearn.datasets import load_breast_cancer

import tansaku
from tansaku.integration._lightgbm_steps import STEP_NAME_KEY, StepSampler
from tansaku.samplers import RandomSampler
from tansaku.trial import TrialState

pytestmark = pytest.mark.integrations

lgb = pytest.importorskip("lightgbm")

X, Y = load_breast_cancer(return_X_y=True)
PARAMS = {
    "objective": "binary",
    "metric": "binary_logloss",
    "verbosity": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_col_wise": True,
}
# Steps in Optuna's order with their trial counts; feature_fraction_stage2 keeps the grid
# points within [0.4, 1.0], so its count depends on the best feature_fraction of step 1.
STEPS = ["feature_fraction", "num_leaves", "bagging", "feature_fraction_stage2",
         "regularization_factors", "min_child_samples"]  # fmt: skip
COUNTS = {"feature_fraction": 7, "num_leaves": 20, "bagging": 10, "regularization_factors": 20,
          "min_child_samples": 5}  # fmt: skip


def _sets() -> tuple[object, object]:
    train = lgb.Dataset(X[:400], Y[:400])
    return train, lgb.Dataset(X[400:], Y[400:], reference=train)


def _tuner(**kwargs: object) -> object:
    from tansaku.integration import LightGBMTuner

    train, valid = _sets()
    return LightGBMTuner(PARAMS, train, num_boost_round=3, valid_sets=[valid],
                         show_progress_bar=False, optuna_seed=0, **kwargs)  # fmt: skip


def _step_runs(study: tansaku.Study) -> list[tuple[str, int]]:
    names = [t.system_attrs[STEP_NAME_KEY] for t in study.trials]
    return [(name, len(list(group))) for name, group in itertools.groupby(names)]


def _assert_full_run(study: tansaku.Study) -> None:
    runs = _step_runs(study)
    assert [name for name, _ in runs] == STEPS
    for name, count in runs:
        assert count == COUNTS.get(name, count)
    assert 1 <= dict(runs)["feature_fraction_stage2"] <= 6
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, str, str]:
    storage = f"sqlite:///{tmp_path_factory.mktemp('tuner')}/tuner.db"
    model_dir = str(tmp_path_factory.mktemp("boosters"))
    study = tansaku.create_study(storage=storage, study_name="tuner")
    tuner = _tuner(study=study, model_dir=model_dir)
    tuner.run()
    return tuner, storage, model_dir


def test_tuner_runs_the_steps_in_order_and_keeps_the_best(tuned: tuple) -> None:
    tuner, _, model_dir = tuned
    study = tuner.study
    _assert_full_run(study)
    best = study.best_trial
    assert tuner.best_score == best.value == min(t.value for t in study.trials)
    assert {**tuner.best_params, "objective": "binary"} == json.loads(
        best.system_attrs["lightgbm_tuner:lgbm_params"]
    )
    assert tuner.best_params["feature_pre_filter"] is False
    booster = tuner.get_best_booster()
    assert booster.best_score["valid_0"]["binary_logloss"] == tuner.best_score
    # Each trial's booster is kept in model_dir under its number.
    assert (len(study.trials) - 1) == max(int(p.split(".")[0]) for p in _listdir(model_dir))


def _listdir(path: str) -> list[str]:
    import os

    return os.listdir(path)


def test_tuner_resumed_on_a_finished_study_runs_nothing_and_loads_the_best_booster(
    tuned: tuple,
) -> None:
    tuner, storage, model_dir = tuned
    n_trials = len(tuner.study.trials)
    study = tansaku.load_study(study_name="tuner", storage=storage)
    resumed = _tuner(study=study, model_dir=model_dir)
    resumed.run()
    assert len(study.trials) == n_trials
    assert resumed.best_params == tuner.best_params
    booster = resumed.get_best_booster()  # read back from model_dir
    assert booster.best_score["valid_0"]["binary_logloss"] == tuner.best_score
    without_dir = _tuner(study=study)
    with pytest.raises(ValueError, match="model_dir"):
        without_dir.get_best_booster()


def test_tuner_interrupted_mid_step_resumes_with_the_trials_left() -> None:
    class Interrupt(Exception):
        pass

    def stop_after_12(study: tansaku.Study, trial: tansaku.trial.FrozenTrial) -> None:
        if trial.number == 11:  # the 5th trial of num_leaves
            raise Interrupt

    study = tansaku.create_study()
    with pytest.raises(Interrupt):
        _tuner(study=study, optuna_callbacks=[stop_after_12]).run()
    assert _step_runs(study) == [("feature_fraction", 7), ("num_leaves", 5)]
    _tuner(study=study).run()
    _assert_full_run(study)


def test_tuner_time_budget_of_zero_runs_no_trial() -> None:
    tuner = _tuner(time_budget=0)
    tuner.run()
    assert tuner.study.trials == []
    assert tuner.best_params["num_leaves"] == 31  # LightGBM's default
    with pytest.raises(ValueError, match="no trial has completed"):
        tuner.get_best_booster()


def test_tuner_refuses_bad_arguments_at_construction() -> None:
    from tansaku.integration import LightGBMTuner

    train, _ = _sets()
    with pytest.raises(ValueError, match="valid_sets.*required"):
        LightGBMTuner(PARAMS, train)
    with pytest.raises(RuntimeError, match="2 objectives"):
        _tuner(study=tansaku.create_study(directions=["minimize", "minimize"]))
    with pytest.raises(ValueError, match="'binary_logloss' is to be minimized"):
        _tuner(study=tansaku.create_study(direction="maximize"))
    with pytest.raises(ValueError, match="sample_size"):
        _tuner(sample_size=0)


def test_tuner_cv_runs_the_steps_and_returns_the_best_cvbooster() -> None:
    from tansaku.integration import LightGBMTunerCV

    data = lgb.Dataset(X[:300], Y[:300])
    tuner = LightGBMTunerCV(PARAMS, data, num_boost_round=2, nfold=2, return_cvbooster=True,
                            show_progress_bar=False, optuna_seed=0)  # fmt: skip
    tuner.run()
    _assert_full_run(tuner.study)
    cvbooster = tuner.get_best_booster()
    assert isinstance(cvbooster, lgb.CVBooster) and len(cvbooster.boosters) == 2
    assert tuner.best_score == min(t.value for t in tuner.study.trials)
    plain = LightGBMTunerCV(PARAMS, data, num_boost_round=2, nfold=2, show_progress_bar=False,
                            time_budget=0)  # fmt: skip
    with pytest.raises(ValueError, match="return_cvbooster=True"):
        plain.get_best_booster()


def test_drop_in_module_trains_by_tuning_and_is_lightgbm_otherwise() -> None:
    import tansaku.integration.lightgbm as tuned_lgb

    assert tuned_lgb.Dataset is lgb.Dataset and tuned_lgb.cv is lgb.cv
    assert tuned_lgb.early_stopping is lgb.early_stopping
    assert tuned_lgb.LGBMClassifier is lgb.LGBMClassifier
    study = tansaku.create_study()
    train, valid = _sets()
    booster = tuned_lgb.train(PARAMS, train, num_boost_round=2, valid_sets=[valid],
                              study=study, show_progress_bar=False)  # fmt: skip
    assert isinstance(booster, lgb.Booster)
    _assert_full_run(study)
    assert booster.best_score["valid_0"]["binary_logloss"] == study.best_value


def test_step_sampler_learns_from_the_trials_of_its_step_only() -> None:
    seen: list[list[int]] = []

    class Recording(RandomSampler):
        def sample_independent(self, study, trial, param_name, param_distribution):  # type: ignore[no-untyped-def]
            seen.append([t.number for t in study.get_trials(states=(TrialState.COMPLETE,))])
            return super().sample_independent(study, trial, param_name, param_distribution)

    study = tansaku.create_study()
    for step in ["a", "b", "a", "b", "a"]:
        trial = study.ask()
        trial.set_system_attr(STEP_NAME_KEY, step)
        study.tell(trial, 0.0)
    study.sampler = StepSampler(Recording(), "a")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert seen == [[0, 2, 4]]
