"""tansaku.parallel.optimize on local worker processes, on SQLite and on a journal file.

What the storage takes part in (trial numbers, counts, lost trials) runs on both; what it does
not (errors, environments) on SQLite alone, since each worker process takes seconds to start on
a loaded machine.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

import tansaku
from tansaku.trial import TrialState
from tests.parallel import _objectives
from tests.parallel.conftest import make_storage


def test_runs_exactly_n_trials_with_dense_numbers_on_long_lived_workers(
    shared_study: tansaku.Study,
) -> None:
    tansaku.parallel.optimize(
        shared_study,
        _objectives.quadratic,
        n_trials=12,
        n_workers=2,
        initializer=_objectives.load_data,
        initargs=(str(uuid.uuid4()),),
        worker_env=[{"TANSAKU_TEST_WORKER": "w0"}, {"TANSAKU_TEST_WORKER": "w1"}],
    )
    trials = shared_study.trials
    assert [t.number for t in trials] == list(range(12))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    # Two long-lived processes ran every trial, each initialized once.
    pids = {t.user_attrs["pid"] for t in trials}
    assert len(pids) <= 2
    assert {t.user_attrs["initializer_calls"] for t in trials} == {1}
    tag_of_pid = {t.user_attrs["pid"]: t.user_attrs["worker_tag"] for t in trials}
    assert set(tag_of_pid.values()) <= {"w0", "w1"}
    assert len(set(tag_of_pid.values())) == len(pids)


def test_workers_log_at_the_callers_verbosity(tmp_path: Path) -> None:
    # A spawned worker starts at the default (INFO): without the caller's verbosity it logged
    # every trial to its stderr after the caller had asked for WARNING.
    before = tansaku.logging.get_verbosity()
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    try:
        study = _sqlite_study(tmp_path)
        tansaku.parallel.optimize(study, _objectives.records_verbosity, n_trials=1, n_workers=1)
    finally:
        tansaku.logging.set_verbosity(before)
    assert study.trials[0].user_attrs["verbosity"] == tansaku.logging.WARNING


def test_worker_env_callable_gives_each_worker_its_own_values(tmp_path: Path) -> None:
    study = _sqlite_study(tmp_path)
    tansaku.parallel.optimize(
        study,
        _objectives.quadratic,
        n_trials=6,
        n_workers=2,
        worker_env=_objectives_env,
    )
    assert {t.user_attrs["worker_tag"] for t in study.trials} <= {"gpu0", "gpu1"}


def _objectives_env(i: int) -> dict[str, str]:
    return {"TANSAKU_TEST_WORKER": f"gpu{i}"}


def test_objective_error_stops_every_worker_and_is_raised(tmp_path: Path) -> None:
    study = _sqlite_study(tmp_path)
    with pytest.raises(ZeroDivisionError, match="trial 3"):
        tansaku.parallel.optimize(study, _objectives.fails_on_trial_3, n_trials=50, n_workers=2)
    states = [t.state for t in study.trials]
    assert TrialState.RUNNING not in states
    assert study.trials[3].state == TrialState.FAIL
    assert len(states) < 50


def test_caught_error_fails_the_trial_and_the_study_goes_on(tmp_path: Path) -> None:
    study = _sqlite_study(tmp_path)
    tansaku.parallel.optimize(
        study,
        _objectives.fails_on_trial_3,
        n_trials=8,
        n_workers=2,
        catch=(ZeroDivisionError,),
    )
    states = [t.state for t in study.trials]
    assert len(states) == 8
    assert states.count(TrialState.FAIL) == 1


def test_lost_worker_fails_its_trial_which_is_retried_and_n_trials_others_complete(
    shared_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = tansaku.create_study(storage=make_storage(shared_kind, tmp_path, retry=True))
    monkeypatch.setenv("TANSAKU_TEST_MARKER_DIR", str(tmp_path))
    tansaku.parallel.optimize(study, _objectives.killed_once, n_trials=8, n_workers=2)
    killed_number = int((tmp_path / "killed").read_text())
    trials = study.trials
    # The lost trial does not count: 8 others ran to their end, its retry among them.
    assert [t.number for t in trials] == list(range(9))
    assert trials[killed_number].state == TrialState.FAIL
    assert all(t.state == TrialState.COMPLETE for t in trials if t.number != killed_number)
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == killed_number]
    assert len(retries) == 1
    assert retries[0].state == TrialState.COMPLETE
    assert retries[0].params == trials[killed_number].params
    assert TrialState.RUNNING not in [t.state for t in trials]


def _sqlite_study(tmp_path: Path) -> tansaku.Study:
    return tansaku.create_study(storage=make_storage("sqlite", tmp_path))


def test_study_stop_in_one_worker_stops_every_worker(tmp_path: Path) -> None:
    study = _sqlite_study(tmp_path)
    stop_at_4 = tansaku.study.MaxTrialsCallback(4, states=None)
    tansaku.parallel.optimize(
        study, _objectives.quadratic, n_trials=50, n_workers=2, callbacks=[stop_at_4]
    )
    # The trial that reached 4 stops its worker and the others after their current trial.
    assert 4 <= len(study.trials) <= 4 + 1
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_worker_lost_at_every_trial_is_restarted_three_times_then_the_call_fails(
    tmp_path: Path,
) -> None:
    study = _sqlite_study(tmp_path)
    with pytest.raises(RuntimeError, match=r"worker 0 was lost 4 times.*giving up"):
        tansaku.parallel.optimize(study, _objectives.always_killed, n_trials=10, n_workers=1)
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 4
