"""Small Optuna programs behave the same under ``import tansaku as optuna``.

Each case runs once with Optuna and once with tansaku and compares what it observed (the
exception type, the warning categories, final trial states, values, column layouts); a case
listed in ``deliberate_differences.toml`` must differ exactly as recorded there instead.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import pytest

from tests.compat._observe import Case, case_params, check_case

CASES: dict[str, Case] = {}


def case(function: Case) -> Case:
    """Register ``function`` as a case under its name."""
    CASES[function.__name__] = function
    return function


def states(study: Any) -> list[str]:
    return [trial.state.name for trial in study.trials]


def quiet_study(lib: ModuleType, **kwargs: Any) -> Any:
    return lib.create_study(sampler=lib.samplers.RandomSampler(seed=0), **kwargs)


# -- the objective returns something that is not its values ------------------------------------
def _optimize_returning(returned: Any) -> Case:
    def run(lib: ModuleType) -> Any:
        study = quiet_study(lib)
        study.optimize(lambda trial: returned, n_trials=2)
        return states(study)

    return run


for _name, _returned in (
    ("none", None),
    ("str", "abc"),
    ("nan", math.nan),
    ("two_values", [1.0, 2.0]),
    ("nan_in_list", [math.nan]),
    ("object", object()),
    ("numeric_str", "1.5"),
    ("digit_str", "1"),
    ("inf", math.inf),
):
    CASES[f"objective_returns_{_name}"] = _optimize_returning(_returned)


@case
def objective_returns_one_value_for_two_objectives(lib: ModuleType) -> Any:
    study = quiet_study(lib, directions=["minimize", "maximize"])
    study.optimize(lambda trial: 1.0, n_trials=2)
    return states(study)


@case
def objective_returns_inf(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    study.optimize(lambda trial: math.inf, n_trials=1)
    return states(study), study.trials[0].value


# -- tell ---------------------------------------------------------------------------------------
@case
def tell_a_finished_trial(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    trial = study.ask()
    study.tell(trial, 1.0)
    study.tell(trial, 2.0)


@case
def tell_a_finished_trial_by_number(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    trial = study.ask()
    study.tell(trial, state=lib.trial.TrialState.FAIL)
    study.tell(trial.number, 2.0)


@case
def tell_a_finished_trial_skip_if_finished(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    trial = study.ask()
    study.tell(trial, 1.0)
    study.tell(trial, 2.0, skip_if_finished=True)
    return states(study), study.trials[0].value


@case
def tell_complete_without_values(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    trial = study.ask()
    try:
        study.tell(trial, state=lib.trial.TrialState.COMPLETE)
    finally:
        assert states(study) == ["RUNNING"]


@case
def tell_complete_with_nan(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    trial = study.ask()
    try:
        study.tell(trial, math.nan, state=lib.trial.TrialState.COMPLETE)
    finally:
        assert states(study) == ["RUNNING"]


@case
def tell_complete_with_wrong_number_of_values(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    trial = study.ask()
    try:
        study.tell(trial, [1.0, 2.0], state=lib.trial.TrialState.COMPLETE)
    finally:
        assert states(study) == ["RUNNING"]


@case
def tell_a_string(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    study.tell(study.ask(), "a")
    return states(study)


@case
def tell_nan(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    study.tell(study.ask(), math.nan)
    return states(study)


@case
def tell_without_values_or_state(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    study.tell(study.ask())
    return states(study)


@case
def tell_wrong_number_of_values(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    study.tell(study.ask(), [1.0, 2.0])
    return states(study)


@case
def tell_values_with_fail(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    study.tell(study.ask(), 1.0, state=lib.trial.TrialState.FAIL)


@case
def tell_running_state(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    study.tell(study.ask(), 1.0, state=lib.trial.TrialState.RUNNING)


@case
def tell_pruned_keeps_last_intermediate_value(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    trial = study.ask()
    trial.report(3.0, 1)
    trial.report(2.0, 4)
    frozen = study.tell(trial, state=lib.trial.TrialState.PRUNED)
    return frozen.state.name, frozen.value


@case
def tell_a_waiting_trial(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    study.enqueue_trial({})
    study.tell(0, 1.0)


@case
def ask_whose_sampler_fails_before_the_trial(lib: ModuleType) -> Any:
    class FailingSampler(lib.samplers.RandomSampler):  # type: ignore[name-defined,misc]
        def before_trial(self, study: Any, trial: Any) -> None:
            raise ZeroDivisionError

    study = lib.create_study(sampler=FailingSampler())
    with pytest.raises(ZeroDivisionError):
        study.ask()
    return states(study)


@case
def tell_unknown_trial_number(lib: ModuleType) -> Any:
    quiet_study(lib).tell(5, 1.0)


@case
def tell_not_a_trial(lib: ModuleType) -> Any:
    quiet_study(lib).tell("0", 1.0)


# -- report -------------------------------------------------------------------------------------
@case
def report_nan_step(lib: ModuleType) -> Any:
    quiet_study(lib).ask().report(1.0, math.nan)


@case
def report_float_step(lib: ModuleType) -> Any:
    trial = quiet_study(lib).ask()
    trial.report(1.0, 1.5)
    return dict(trial.study.trials[0].intermediate_values)


@case
def report_inf_step(lib: ModuleType) -> Any:
    quiet_study(lib).ask().report(1.0, math.inf)


@case
def report_float_integral_step(lib: ModuleType) -> Any:
    trial = quiet_study(lib).ask()
    trial.report(1.0, 2.0)
    return dict(trial.study.trials[0].intermediate_values)


@case
def report_on_a_finished_trial(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    trial = study.ask()
    study.tell(trial, 1.0)
    trial.report(1.0, 1)


@case
def report_str_step(lib: ModuleType) -> Any:
    trial = quiet_study(lib).ask()
    trial.report(1.0, "3")
    return dict(trial.study.trials[0].intermediate_values)


@case
def report_str_value(lib: ModuleType) -> Any:
    quiet_study(lib).ask().report("x", 1)


@case
def report_twice_same_step(lib: ModuleType) -> Any:
    trial = quiet_study(lib).ask()
    trial.report(1.0, 1)
    trial.report(2.0, 1)
    return dict(trial.study.trials[0].intermediate_values)


# -- create_study -------------------------------------------------------------------------------
@case
def create_study_directions_as_a_string(lib: ModuleType) -> Any:
    lib.create_study(directions="minimize")


@case
def create_study_direction_and_directions(lib: ModuleType) -> Any:
    lib.create_study(direction="minimize", directions=["minimize"])


@case
def create_study_unknown_direction(lib: ModuleType) -> Any:
    lib.create_study(direction="up")


# -- optimize -----------------------------------------------------------------------------------
@case
def optimize_with_two_jobs_reseeds_the_sampler_per_trial(lib: ModuleType) -> Any:
    class CountingSampler(lib.samplers.RandomSampler):  # type: ignore[name-defined,misc]
        reseeds = 0

        def reseed_rng(self) -> None:
            type(self).reseeds += 1
            super().reseed_rng()

    study = lib.create_study(sampler=CountingSampler(seed=1))
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=4, n_jobs=2)
    return CountingSampler.reseeds, states(study)


@case
def optimize_with_one_job_does_not_reseed(lib: ModuleType) -> Any:
    class CountingSampler(lib.samplers.RandomSampler):  # type: ignore[name-defined,misc]
        reseeds = 0

        def reseed_rng(self) -> None:
            type(self).reseeds += 1
            super().reseed_rng()

    study = lib.create_study(sampler=CountingSampler(seed=1))
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=3)
    return CountingSampler.reseeds


@case
def optimize_progress_bar_with_timeout_and_two_jobs(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    study.optimize(lambda trial: 1.0, timeout=0.2, n_jobs=2, show_progress_bar=True)
    return len(study.trials) > 0


@case
def optimize_progress_bar_with_timeout_and_n_trials_and_two_jobs(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    study.optimize(lambda t: 1.0, n_trials=2, timeout=10, n_jobs=2, show_progress_bar=True)
    return states(study)


@case
def optimize_error_in_objective_fails_the_trial(lib: ModuleType) -> Any:
    study = quiet_study(lib)

    def objective(trial: Any) -> float:
        raise ZeroDivisionError

    try:
        study.optimize(objective, n_trials=3)
    finally:
        assert states(study) == ["FAIL"]


@case
def optimize_caught_error_goes_on(lib: ModuleType) -> Any:
    study = quiet_study(lib)

    def objective(trial: Any) -> float:
        raise ZeroDivisionError

    study.optimize(objective, n_trials=3, catch=(ZeroDivisionError,))
    return states(study)


@case
def optimize_error_in_callback(lib: ModuleType) -> Any:
    study = quiet_study(lib)

    def callback(study: Any, trial: Any) -> None:
        raise ZeroDivisionError

    try:
        study.optimize(lambda trial: 1.0, n_trials=3, callbacks=[callback])
    finally:
        assert states(study) == ["COMPLETE"]


@case
def optimize_keyboard_interrupt(lib: ModuleType) -> Any:
    study = quiet_study(lib)

    def objective(trial: Any) -> float:
        raise KeyboardInterrupt

    try:
        study.optimize(objective, n_trials=3)
    finally:
        assert states(study) == ["FAIL"]


@case
def optimize_pruned(lib: ModuleType) -> Any:
    study = quiet_study(lib)

    def objective(trial: Any) -> float:
        trial.report(5.0, 2)
        raise lib.TrialPruned()

    study.optimize(objective, n_trials=2)
    return [(t.state.name, t.value) for t in study.trials]


@case
def optimize_catch_as_a_list(lib: ModuleType) -> Any:
    quiet_study(lib).optimize(lambda t: 1.0, n_trials=1, catch=[ValueError])


@case
def optimize_nested(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    study.optimize(lambda t: study.optimize(lambda u: 1.0, n_trials=1), n_trials=1)


# -- warnings -----------------------------------------------------------------------------------
@case
def set_metric_names_is_experimental(lib: ModuleType) -> Any:
    study = quiet_study(lib, directions=["minimize", "minimize"])
    study.set_metric_names(["a", "b"])
    return study.metric_names


@case
def rdb_heartbeat_interval_is_experimental(lib: ModuleType) -> Any:
    storage = lib.storages.RDBStorage("sqlite:///:memory:", heartbeat_interval=60)
    return storage.heartbeat_interval


@case
def rdb_without_heartbeat_does_not_warn(lib: ModuleType) -> Any:
    return lib.storages.RDBStorage("sqlite:///:memory:").heartbeat_interval


# -- trials_dataframe ---------------------------------------------------------------------------
def _dataframe_columns(
    lib: ModuleType, n_objectives: int, metric_names: bool, attrs: Any, multi_index: bool
) -> Any:
    study = quiet_study(lib, directions=["minimize"] * n_objectives)
    if metric_names:
        with_names = [f"m{i}" for i in range(n_objectives)][::-1]
        study.set_metric_names(with_names)

    def objective(trial: Any) -> Any:
        trial.suggest_float("x", 0, 1)
        trial.suggest_int("b", 0, 3)
        trial.set_user_attr("u", 1)
        trial.report(1.0, 0)
        return [1.0] * n_objectives if n_objectives > 1 else 1.0

    study.optimize(objective, n_trials=2)
    study.tell(study.ask(), state=lib.trial.TrialState.FAIL)
    kwargs = {} if attrs is None else {"attrs": attrs}
    frame = study.trials_dataframe(multi_index=multi_index, **kwargs)
    return list(frame.columns), frame.shape


for _objectives in (1, 2):
    for _names in (False, True):
        for _multi_index in (False, True):
            for _attrs_name, _attrs in (
                ("default", None),
                ("values", ("number", "values", "intermediate_values", "state")),
                ("private", ("_trial_id", "value", "distributions", "user_attrs")),
            ):
                _id = f"trials_dataframe_{_objectives}obj_{'names' if _names else 'nonames'}"
                _id += f"_{'multi' if _multi_index else 'flat'}_{_attrs_name}"
                CASES[_id] = lambda lib, o=_objectives, n=_names, a=_attrs, m=_multi_index: (
                    _dataframe_columns(lib, o, n, a, m)
                )


@case
def trials_dataframe_multi_index_values_column(lib: ModuleType) -> Any:
    study = quiet_study(lib, directions=["minimize", "maximize"])
    study.optimize(lambda trial: (1.0, 2.0), n_trials=1)
    frame = study.trials_dataframe(multi_index=True)
    return list(frame["values"][0]), list(frame["values"][1])


@case
def trials_dataframe_empty(lib: ModuleType) -> Any:
    return quiet_study(lib).trials_dataframe().shape


# -- samplers -----------------------------------------------------------------------------------
@case
def brute_force_with_a_changing_search_space(lib: ModuleType) -> Any:
    study = lib.create_study(sampler=lib.samplers.BruteForceSampler(seed=0))

    def objective(trial: Any) -> float:
        if trial.number == 0:
            return trial.suggest_int("a", 0, 1)
        return trial.suggest_int("a", 0, 2)

    study.optimize(objective, n_trials=4)
    return states(study)


@case
def brute_force_with_a_conditional_search_space(lib: ModuleType) -> Any:
    study = lib.create_study(sampler=lib.samplers.BruteForceSampler(seed=0))

    def objective(trial: Any) -> float:
        if trial.suggest_categorical("kind", ["a", "b"]) == "a":
            return trial.suggest_int("x", 0, 1)
        return 0.0

    study.optimize(objective)
    return len(study.trials), states(study)


@case
def brute_force_under_partial_fixed_sampler(lib: ModuleType) -> Any:
    base = lib.samplers.BruteForceSampler(seed=0)
    study = lib.create_study(sampler=lib.samplers.PartialFixedSampler({"kind": "a"}, base))

    def objective(trial: Any) -> float:
        if trial.suggest_categorical("kind", ["a", "b"]) == "a":
            return trial.suggest_int("x", 0, 1)
        return 0.0

    study.optimize(objective, n_trials=10)
    return len(study.trials)


@case
def grid_sampler_enqueued_trial_without_a_grid_param(lib: ModuleType) -> Any:
    sampler = lib.samplers.GridSampler({"x": [0, 1], "y": [0, 1]})
    study = lib.create_study(sampler=sampler)
    study.enqueue_trial({"x": 0})
    study.optimize(lambda t: t.suggest_int("x", 0, 1) + t.suggest_int("y", 0, 1), n_trials=1)
    return states(study)


@case
def grid_sampler_param_outside_the_grid(lib: ModuleType) -> Any:
    study = lib.create_study(sampler=lib.samplers.GridSampler({"x": [0, 1]}))
    study.optimize(lambda t: t.suggest_int("x", 0, 1) + t.suggest_int("z", 0, 1), n_trials=1)
    return states(study)


def _qmc_values(lib: ModuleType, suggest: Any, **sampler_args: Any) -> Any:
    study = lib.create_study(sampler=lib.samplers.QMCSampler(**sampler_args))
    study.optimize(lambda t: float(suggest(t)), n_trials=9)
    return [round(float(t.params["p"]), 12) for t in study.trials[1:]]


for _name, _suggest in (
    ("float", lambda t: t.suggest_float("p", -2.0, 6.0)),
    ("log_float", lambda t: t.suggest_float("p", 1e-4, 10.0, log=True)),
    ("step_float", lambda t: t.suggest_float("p", 0.0, 1.0, step=0.125)),
    ("int", lambda t: t.suggest_int("p", -3, 11)),
    ("step_int", lambda t: t.suggest_int("p", 0, 30, step=3)),
    ("log_int", lambda t: t.suggest_int("p", 1, 500, log=True)),
):
    # Unscrambled, one param: the sequence and its mapping onto the range, trial by trial.
    for _qmc_type in ("sobol", "halton"):
        CASES[f"qmc_{_qmc_type}_{_name}"] = lambda lib, s=_suggest, q=_qmc_type: _qmc_values(
            lib, s, qmc_type=q
        )


@case
def qmc_unknown_qmc_type(lib: ModuleType) -> Any:
    return lib.samplers.QMCSampler(qmc_type="lhs")


@case
def qmc_float_seed(lib: ModuleType) -> Any:
    return lib.samplers.QMCSampler(seed=1.5, scramble=True)


@case
def qmc_categorical_and_conditional_params(lib: ModuleType) -> Any:
    study = lib.create_study(sampler=lib.samplers.QMCSampler(seed=0, scramble=True))

    def objective(trial: Any) -> float:
        if trial.suggest_categorical("kind", ["a", "b"]) == "a":
            return trial.suggest_float("x", 0, 1)
        return trial.suggest_int("n", 0, 3)

    study.optimize(objective, n_trials=8)
    return states(study)


# -- deliberate refusals ------------------------------------------------------------------------
@case
def float_distribution_infinite_high(lib: ModuleType) -> Any:
    return lib.distributions.FloatDistribution(0, math.inf).high


@case
def float_distribution_nan_low(lib: ModuleType) -> Any:
    return repr(lib.distributions.FloatDistribution(math.nan, 1).low)


@case
def suggest_float_infinite_high(lib: ModuleType) -> Any:
    return quiet_study(lib).ask().suggest_float("x", 0, math.inf) >= 0


@case
def study_name_not_a_str_in_memory(lib: ModuleType) -> Any:
    return lib.create_study(study_name=7).study_name  # type: ignore[arg-type]


@case
def study_name_not_a_str_in_sqlite(lib: ModuleType) -> Any:
    storage = lib.storages.RDBStorage("sqlite:///:memory:")
    lib.create_study(study_name=7, storage=storage)  # type: ignore[arg-type]
    return lib.get_all_study_names(storage)


@case
def param_name_not_a_str(lib: ModuleType) -> Any:
    return quiet_study(lib).ask().suggest_int(7, 0, 1) in (0, 1)  # type: ignore[arg-type]


@case
def trial_user_attr_key_not_a_str(lib: ModuleType) -> Any:
    trial = quiet_study(lib).ask()
    trial.set_user_attr(7, 1)  # type: ignore[arg-type]
    return trial.user_attrs


@case
def study_user_attr_key_not_a_str(lib: ModuleType) -> Any:
    study = quiet_study(lib)
    study.set_user_attr(7, 1)  # type: ignore[arg-type]
    return study.user_attrs


# -- distributions and stored values -------------------------------------------------------------
@case
def int_distribution_step_not_an_integer(lib: ModuleType) -> Any:
    return lib.distributions.IntDistribution(0, 10, step=1.5).step


@case
def tuple_choices_come_back_from_sqlite_as_given(lib: ModuleType) -> Any:
    study = lib.create_study(
        storage="sqlite:///:memory:", sampler=lib.samplers.RandomSampler(seed=0)
    )
    study.optimize(lambda t: len(t.suggest_categorical("layers", [(32,), (64, 32)])), n_trials=2)
    return [type(t.params["layers"]).__name__ for t in study.trials]


@case
def unreadable_stored_distribution_is_left_out_of_its_trial(lib: ModuleType) -> Any:
    import sqlite3
    import tempfile

    path = f"{tempfile.mkdtemp()}/study.db"
    study = lib.create_study(storage=f"sqlite:///{path}", sampler=lib.samplers.RandomSampler())
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=2)
    with sqlite3.connect(path) as connection:  # another program wrote a row neither can rebuild
        connection.execute(
            "UPDATE trial_params SET distribution_json = 'not json' "
            "WHERE param_name = 'y' AND trial_id = (SELECT MIN(trial_id) FROM trials)"
        )
    trials = lib.load_study(study_name=study.study_name, storage=f"sqlite:///{path}").trials
    return [sorted(t.params) for t in trials]


# -- artifacts ----------------------------------------------------------------------------------
def _artifact_setup(lib: ModuleType) -> tuple[Any, Any, str]:
    """A study, a directory store and a file to upload, in a new temporary directory."""
    import os
    import tempfile

    directory = tempfile.mkdtemp()
    os.mkdir(f"{directory}/store")
    with open(f"{directory}/model.bin", "wb") as file:
        file.write(b"weights")
    store = lib.artifacts.FileSystemArtifactStore(f"{directory}/store")
    return quiet_study(lib), store, directory


@case
def upload_artifact_of_a_missing_file(lib: ModuleType) -> Any:
    import contextlib

    study, store, directory = _artifact_setup(lib)
    with contextlib.suppress(FileNotFoundError):
        lib.artifacts.upload_artifact(
            artifact_store=store, file_path=f"{directory}/absent.bin", study_or_trial=study
        )
    return len(lib.artifacts.get_all_artifact_meta(study))


@case
def upload_artifact_to_a_study_name(lib: ModuleType) -> Any:
    study, store, directory = _artifact_setup(lib)
    lib.artifacts.upload_artifact(
        artifact_store=store, file_path=f"{directory}/model.bin", study_or_trial=study.study_name
    )


@case
def download_artifact_with_an_unknown_id(lib: ModuleType) -> Any:
    study, store, directory = _artifact_setup(lib)
    lib.artifacts.download_artifact(
        artifact_store=store, file_path=f"{directory}/out.bin", artifact_id="unknown"
    )


@case
def download_artifact_onto_an_existing_file(lib: ModuleType) -> Any:
    study, store, directory = _artifact_setup(lib)
    artifact_id = lib.artifacts.upload_artifact(
        artifact_store=store, file_path=f"{directory}/model.bin", study_or_trial=study
    )
    lib.artifacts.download_artifact(
        artifact_store=store, file_path=f"{directory}/model.bin", artifact_id=artifact_id
    )


@case
def backoff_remove_of_an_artifact(lib: ModuleType) -> Any:
    import os

    study, store, directory = _artifact_setup(lib)
    artifact_id = lib.artifacts.upload_artifact(
        artifact_store=store, file_path=f"{directory}/model.bin", study_or_trial=study
    )
    backoff = lib.artifacts.Backoff(store, max_retries=2, min_delay=1e-3, max_delay=2e-3)
    backoff.remove(artifact_id)
    return len(os.listdir(f"{directory}/store"))


@pytest.mark.parametrize(("case_id", "run"), case_params(CASES))
def test_behaves_as_optuna(case_id: str, run: Case, optuna: ModuleType) -> None:
    check_case(case_id, run, optuna)
