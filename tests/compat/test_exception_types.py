"""Bad input raises the same exception type in tansaku as in Optuna 5.0.

One row per public call and kind of bad input; each runs once with Optuna and once with
tansaku. Differences listed in ``deliberate_differences.toml`` must hold as recorded there.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from tests.compat._observe import Case, case_params, check_case


def _study(lib: ModuleType, **kwargs: Any) -> Any:
    return lib.create_study(sampler=lib.samplers.RandomSampler(seed=0), **kwargs)


def _trial(lib: ModuleType) -> Any:
    return _study(lib).ask()


def _finished_trial(lib: ModuleType) -> Any:
    study = _study(lib)
    trial = study.ask()
    study.tell(trial, 1.0)
    return trial


def _frozen(lib: ModuleType, **kwargs: Any) -> Any:
    return lib.trial.create_trial(**kwargs)


def _dist(lib: ModuleType) -> Any:
    return lib.distributions


CASES: dict[str, Case] = {
    # -- module functions ------------------------------------------------------------------
    "create_study_bad_direction": lambda lib: lib.create_study(direction="up"),
    "create_study_direction_list": lambda lib: lib.create_study(direction=["minimize"]),
    "create_study_directions_str": lambda lib: lib.create_study(directions="minimize"),
    "create_study_directions_int": lambda lib: lib.create_study(directions=5),
    "create_study_directions_empty": lambda lib: lib.create_study(directions=[]),
    "create_study_both_directions": lambda lib: lib.create_study(
        direction="minimize", directions=["minimize"]
    ),
    "create_study_duplicated_name": lambda lib: [
        lib.create_study(study_name="s", storage=(s := lib.storages.InMemoryStorage())),
        lib.create_study(study_name="s", storage=s),
    ],
    "create_study_bad_storage_url": lambda lib: lib.create_study(storage="nosuchdb:///x"),
    "create_study_storage_not_a_storage": lambda lib: lib.create_study(storage=5),
    "load_study_missing": lambda lib: lib.load_study(
        study_name="missing", storage=lib.storages.InMemoryStorage()
    ),
    "load_study_no_name_many_studies": lambda lib: [
        lib.create_study(storage=(s := lib.storages.InMemoryStorage())),
        lib.create_study(storage=s),
        lib.load_study(study_name=None, storage=s),
    ],
    "delete_study_missing": lambda lib: lib.delete_study(
        study_name="missing", storage=lib.storages.InMemoryStorage()
    ),
    "copy_study_missing": lambda lib: lib.copy_study(
        from_study_name="missing",
        from_storage=lib.storages.InMemoryStorage(),
        to_storage=lib.storages.InMemoryStorage(),
    ),
    "copy_study_existing_target": lambda lib: [
        lib.create_study(study_name="s", storage=(a := lib.storages.InMemoryStorage())),
        lib.create_study(study_name="s", storage=(b := lib.storages.InMemoryStorage())),
        lib.copy_study(from_study_name="s", from_storage=a, to_storage=b),
    ],
    # -- Study -----------------------------------------------------------------------------
    "optimize_negative_n_trials": lambda lib: _study(lib).optimize(lambda t: 1.0, n_trials=-1),
    "optimize_n_jobs_zero": lambda lib: _study(lib).optimize(lambda t: 1.0, n_trials=1, n_jobs=0),
    "optimize_catch_not_exception": lambda lib: _study(lib).optimize(
        lambda t: 1.0, n_trials=1, catch=(1,)
    ),
    "optimize_objective_not_callable": lambda lib: _study(lib).optimize(5, n_trials=1),
    "best_trial_without_trials": lambda lib: _study(lib).best_trial,
    "best_value_without_trials": lambda lib: _study(lib).best_value,
    "best_params_without_trials": lambda lib: _study(lib).best_params,
    "best_trial_multi_objective": lambda lib: (
        _study(lib, directions=["minimize", "minimize"]).best_trial
    ),
    "direction_multi_objective": lambda lib: (
        _study(lib, directions=["minimize", "minimize"]).direction
    ),
    "ask_bad_fixed_distribution": lambda lib: _study(lib).ask({"x": 5}),
    "tell_bad_trial_type": lambda lib: _study(lib).tell("x", 1.0),
    "tell_missing_trial_number": lambda lib: _study(lib).tell(3, 1.0),
    "tell_other_studys_trial": lambda lib: _study(lib).tell(_trial(lib), 1.0),
    "tell_bad_state": lambda lib: (s := _study(lib)).tell(
        s.ask(), 1.0, state=lib.trial.TrialState.WAITING
    ),
    "tell_values_with_pruned": lambda lib: (s := _study(lib)).tell(
        s.ask(), 1.0, state=lib.trial.TrialState.PRUNED
    ),
    "enqueue_trial_params_not_dict": lambda lib: _study(lib).enqueue_trial([1]),
    "add_trial_running": lambda lib: _study(lib).add_trial(
        _frozen(lib, state=lib.trial.TrialState.RUNNING)
    ),
    "add_trial_complete_without_value": lambda lib: _study(lib).add_trial(
        _frozen(lib, state=lib.trial.TrialState.COMPLETE)
    ),
    "add_trial_wrong_number_of_values": lambda lib: _study(lib).add_trial(
        _frozen(lib, values=[1.0, 2.0])
    ),
    "add_trials_not_trials": lambda lib: _study(lib).add_trials([5]),
    "set_user_attr_not_json": lambda lib: _study(lib, storage="sqlite:///:memory:").set_user_attr(
        "k", object()
    ),
    "stop_outside_optimize": lambda lib: _study(lib).stop(),
    "set_metric_names_wrong_count": lambda lib: _study(lib).set_metric_names(["a", "b"]),
    "trials_dataframe_bad_attr": lambda lib: [
        (s := _study(lib)).optimize(lambda t: 1.0, n_trials=1),
        s.trials_dataframe(attrs=("nosuchattr",)),
    ],
    # -- Trial -----------------------------------------------------------------------------
    "suggest_float_low_above_high": lambda lib: _trial(lib).suggest_float("x", 1, 0),
    "suggest_float_log_nonpositive": lambda lib: _trial(lib).suggest_float("x", 0, 1, log=True),
    "suggest_float_log_and_step": lambda lib: _trial(lib).suggest_float(
        "x", 1, 2, log=True, step=0.5
    ),
    "suggest_float_step_zero": lambda lib: _trial(lib).suggest_float("x", 0, 1, step=0),
    "suggest_float_str_bound": lambda lib: _trial(lib).suggest_float("x", "a", 1),
    "suggest_int_low_above_high": lambda lib: _trial(lib).suggest_int("x", 1, 0),
    "suggest_int_log_zero": lambda lib: _trial(lib).suggest_int("x", 0, 3, log=True),
    "suggest_int_step_zero": lambda lib: _trial(lib).suggest_int("x", 0, 3, step=0),
    "suggest_categorical_empty": lambda lib: _trial(lib).suggest_categorical("x", []),
    "suggest_categorical_not_a_sequence": lambda lib: _trial(lib).suggest_categorical("x", 5),
    "suggest_changed_kind": lambda lib: [
        (t := _trial(lib)).suggest_float("x", 0, 1),
        t.suggest_categorical("x", ["a"]),
    ],
    "report_bad_value": lambda lib: _trial(lib).report("high", 1),
    "report_negative_step": lambda lib: _trial(lib).report(1.0, -1),
    "report_on_finished_trial": lambda lib: _finished_trial(lib).report(1.0, 1),
    "report_multi_objective": lambda lib: (
        _study(lib, directions=["minimize", "minimize"]).ask().report(1.0, 1)
    ),
    "should_prune_multi_objective": lambda lib: (
        _study(lib, directions=["minimize", "minimize"]).ask().should_prune()
    ),
    "trial_set_user_attr_on_finished": lambda lib: _finished_trial(lib).set_user_attr("k", 1),
    "suggest_on_finished_trial": lambda lib: _finished_trial(lib).suggest_float("x", 0, 1),
    "fixed_trial_missing_param": lambda lib: lib.trial.FixedTrial({}).suggest_float("x", 0, 1),
    "fixed_trial_value_outside": lambda lib: lib.trial.FixedTrial({"x": 5}).suggest_int("x", 0, 1),
    "fixed_trial_bad_choice": lambda lib: lib.trial.FixedTrial({"x": "c"}).suggest_categorical(
        "x", ["a", "b"]
    ),
    # -- create_trial / FrozenTrial --------------------------------------------------------
    "create_trial_value_and_values": lambda lib: _frozen(lib, value=1.0, values=[1.0]),
    "create_trial_param_without_distribution": lambda lib: _frozen(lib, params={"x": 1}, value=1),
    "create_trial_param_outside_distribution": lambda lib: _frozen(
        lib, params={"x": 5}, distributions={"x": _dist(lib).IntDistribution(0, 1)}, value=1
    ),
    "frozen_trial_value_multi": lambda lib: _frozen(lib, values=[1.0, 2.0]).value,
    # -- distributions ---------------------------------------------------------------------
    "float_distribution_low_above_high": lambda lib: _dist(lib).FloatDistribution(1, 0),
    "float_distribution_log_nonpositive": lambda lib: _dist(lib).FloatDistribution(0, 1, log=True),
    "float_distribution_log_and_step": lambda lib: _dist(lib).FloatDistribution(
        1, 2, log=True, step=0.5
    ),
    "float_distribution_step_negative": lambda lib: _dist(lib).FloatDistribution(0, 1, step=-1),
    "int_distribution_low_above_high": lambda lib: _dist(lib).IntDistribution(1, 0),
    "int_distribution_log_zero": lambda lib: _dist(lib).IntDistribution(0, 1, log=True),
    "int_distribution_log_and_step": lambda lib: _dist(lib).IntDistribution(1, 9, True, 2),
    "int_distribution_step_zero": lambda lib: _dist(lib).IntDistribution(0, 1, step=0),
    "categorical_distribution_empty": lambda lib: _dist(lib).CategoricalDistribution([]),
    "distribution_to_internal_bad_choice": lambda lib: (
        _dist(lib).CategoricalDistribution(["a"]).to_internal_repr("b")
    ),
    "check_distribution_compatibility_kinds": lambda lib: _dist(
        lib
    ).check_distribution_compatibility(
        _dist(lib).FloatDistribution(0, 1), _dist(lib).IntDistribution(0, 1)
    ),
    # -- samplers --------------------------------------------------------------------------
    "tpe_n_startup_negative": lambda lib: lib.samplers.TPESampler(n_startup_trials=-1),
    "tpe_negative_prior_weight": lambda lib: lib.samplers.TPESampler(prior_weight=-1.0),
    "grid_sampler_not_a_mapping": lambda lib: lib.samplers.GridSampler([1, 2]),
    "grid_sampler_empty_values": lambda lib: lib.samplers.GridSampler({"x": []}),
    "grid_sampler_param_not_in_grid": lambda lib: (
        lib.create_study(sampler=lib.samplers.GridSampler({"x": [0]})).ask().suggest_int("y", 0, 1)
    ),
    "partial_fixed_sampler_bad_base": lambda lib: (
        _study(lib, sampler=lib.samplers.PartialFixedSampler({"x": 1}, None))
        .ask()
        .suggest_int("y", 0, 1)
    ),
    # -- pruners ---------------------------------------------------------------------------
    "median_negative_startup": lambda lib: lib.pruners.MedianPruner(n_startup_trials=-1),
    "median_negative_warmup": lambda lib: lib.pruners.MedianPruner(n_warmup_steps=-1),
    "median_interval_zero": lambda lib: lib.pruners.MedianPruner(interval_steps=0),
    "percentile_out_of_range": lambda lib: lib.pruners.PercentilePruner(150.0),
    "percentile_negative_startup": lambda lib: lib.pruners.PercentilePruner(
        25.0, n_startup_trials=-1
    ),
    "successive_halving_bad_rate": lambda lib: lib.pruners.SuccessiveHalvingPruner(
        reduction_factor=1
    ),
    "successive_halving_bad_min_resource": lambda lib: lib.pruners.SuccessiveHalvingPruner(
        min_resource=0
    ),
    "hyperband_bad_min_resource": lambda lib: lib.pruners.HyperbandPruner(min_resource=0),
    "threshold_no_bounds": lambda lib: lib.pruners.ThresholdPruner(),
    "threshold_lower_above_upper": lambda lib: lib.pruners.ThresholdPruner(lower=1, upper=0),
    "patient_negative_patience": lambda lib: lib.pruners.PatientPruner(None, patience=-1),
    "wilcoxon_bad_p": lambda lib: lib.pruners.WilcoxonPruner(p_threshold=-0.1),
    # -- callbacks and storages ------------------------------------------------------------
    "max_trials_callback_bad_states": lambda lib: _study(lib).optimize(
        lambda t: 1.0,
        n_trials=1,
        callbacks=[lib.study.MaxTrialsCallback(1, states=5)],
    ),
    "rdb_bad_heartbeat": lambda lib: lib.storages.RDBStorage(
        "sqlite:///:memory:", heartbeat_interval=0
    ),
    "rdb_bad_grace_period": lambda lib: lib.storages.RDBStorage(
        "sqlite:///:memory:", grace_period=0
    ),
}


@pytest.mark.parametrize(("case_id", "run"), case_params(CASES))
def test_raises_what_optuna_raises(case_id: str, run: Case, optuna: ModuleType) -> None:
    check_case(case_id, run, optuna)
