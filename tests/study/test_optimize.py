from __future__ import annotations

import threading
import time

import pytest

import tansaku
from tansaku.study import MaxTrialsCallback
from tansaku.trial import Trial, TrialState


def quadratic(trial: Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


def test_optimize_runs_n_trials() -> None:
    study = tansaku.create_study()
    study.optimize(quadratic, n_trials=20)
    assert len(study.trials) == 20
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_optimize_stops_at_the_timeout() -> None:
    study = tansaku.create_study()

    def slow(trial: Trial) -> float:
        time.sleep(0.05)
        return quadratic(trial)

    started = time.monotonic()
    study.optimize(slow, timeout=0.3)
    assert time.monotonic() - started < 2.0
    assert 2 <= len(study.trials) <= 10


def test_optimize_with_threads_runs_exactly_n_trials() -> None:
    study = tansaku.create_study()
    seen_threads: set[int] = set()

    def objective(trial: Trial) -> float:
        seen_threads.add(threading.get_ident())
        time.sleep(0.002)
        return quadratic(trial)

    study.optimize(objective, n_trials=40, n_jobs=4)
    numbers = sorted(t.number for t in study.trials)
    assert numbers == list(range(40))
    assert len(seen_threads) > 1


def test_pruned_trial_keeps_last_intermediate_value() -> None:
    def objective(trial: Trial) -> float:
        for step in range(3):
            trial.report(float(step), step)
        raise tansaku.TrialPruned()

    study = tansaku.create_study()
    study.optimize(objective, n_trials=2)
    assert all(t.state is TrialState.PRUNED for t in study.trials)
    assert study.trials[0].value == 2.0


def test_caught_exception_fails_the_trial_and_the_study_goes_on() -> None:
    calls = []

    def objective(trial: Trial) -> float:
        calls.append(trial.number)
        if trial.number % 2 == 0:
            raise ValueError("bad data")
        return 1.0

    study = tansaku.create_study()
    study.optimize(objective, n_trials=4, catch=(ValueError,))
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.COMPLETE] * 2


def test_uncaught_exception_fails_the_trial_then_propagates() -> None:
    def objective(trial: Trial) -> float:
        trial.suggest_float("x", 0, 1)
        raise KeyError("boom")

    study = tansaku.create_study()
    with pytest.raises(KeyError, match="boom"):
        study.optimize(objective, n_trials=5)
    assert [t.state for t in study.trials] == [TrialState.FAIL]


def test_keyboard_interrupt_fails_the_trial_then_propagates() -> None:
    def objective(trial: Trial) -> float:
        raise KeyboardInterrupt

    study = tansaku.create_study()
    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=5)
    assert [t.state for t in study.trials] == [TrialState.FAIL]


def test_exception_in_a_thread_stops_the_other_threads() -> None:
    def objective(trial: Trial) -> float:
        time.sleep(0.001)
        if trial.number == 5:
            raise RuntimeError("fatal")
        return 0.0

    study = tansaku.create_study()
    with pytest.raises(RuntimeError, match="fatal"):
        study.optimize(objective, n_trials=1000, n_jobs=3)
    assert len(study.trials) < 100


def test_nan_objective_fails_the_trial_without_stopping_the_study() -> None:
    study = tansaku.create_study()
    study.optimize(lambda t: float("nan"), n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 3


def test_callbacks_receive_each_finished_trial() -> None:
    received = []
    study = tansaku.create_study()
    study.optimize(quadratic, n_trials=3, callbacks=[lambda s, t: received.append(t.number)])
    assert received == [0, 1, 2]


def test_stop_from_a_callback_ends_optimize() -> None:
    study = tansaku.create_study()

    def stop_at_three(study: tansaku.Study, trial: object) -> None:
        if len(study.trials) == 3:
            study.stop()

    study.optimize(quadratic, n_trials=100, callbacks=[stop_at_three])
    assert len(study.trials) == 3
    study.optimize(quadratic, n_trials=2)
    assert len(study.trials) == 5


def test_max_trials_callback_counts_only_the_given_states() -> None:
    study = tansaku.create_study()

    def objective(trial: Trial) -> float:
        if trial.number % 2:
            raise tansaku.TrialPruned()
        return 1.0

    study.optimize(objective, n_trials=100, callbacks=[MaxTrialsCallback(3)])
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 3


def test_nested_optimize_is_rejected() -> None:
    study = tansaku.create_study()

    def objective(trial: Trial) -> float:
        study.optimize(quadratic, n_trials=1)
        return 0.0

    with pytest.raises(RuntimeError, match="Nested"):
        study.optimize(objective, n_trials=1)


@pytest.mark.parametrize(
    "kwargs", [{"n_trials": -1}, {"timeout": -1.0}, {"n_jobs": 0}, {"catch": ("x",)}]
)
def test_optimize_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises((ValueError, TypeError)):
        tansaku.create_study().optimize(quadratic, **kwargs)


def test_progress_bar_and_gc_options_run(capsys: pytest.CaptureFixture[str]) -> None:
    study = tansaku.create_study()
    study.optimize(quadratic, n_trials=3, show_progress_bar=True, gc_after_trial=True)
    assert "Best trial" in capsys.readouterr().err


def test_fixed_seed_gives_the_same_params() -> None:
    def run() -> list[dict]:
        study = tansaku.create_study(sampler=tansaku.samplers.RandomSampler(seed=7))
        study.optimize(quadratic, n_trials=5)
        return [t.params for t in study.trials]

    assert run() == run()
