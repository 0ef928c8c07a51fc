"""Whatever escapes ``optimize``, no trial it started stays RUNNING.

An error from the objective, from a callback, from the sampler (before_trial, sample_relative,
sample_independent, after_trial) or the pruner, KeyboardInterrupt and SystemExit: the trial in
progress is finished (FAIL unless it had already ended) before the error propagates, with one
worker and with two.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import tansaku
import tansaku.study._optimize
from tansaku.pruners import BasePruner
from tansaku.samplers import RandomSampler
from tansaku.storages import BaseStorage
from tansaku.trial import FrozenTrial, Trial, TrialState
from tests.storages._contract_backends import contract_storage  # noqa: F401  (the fixture)


class Boom(Exception):
    """The error the test injects."""


SOURCES = [
    "objective",
    "callback",
    "before_trial",
    "infer_relative_search_space",
    "sample_relative",
    "sample_independent",
    "after_trial",
    "pruner",
    "keyboard_interrupt",
    "system_exit",
]


def _error(source: str) -> BaseException:
    if source == "keyboard_interrupt":
        return KeyboardInterrupt()
    if source == "system_exit":
        return SystemExit(3)
    return Boom(source)


class _FailingSampler(RandomSampler):
    def __init__(self, source: str) -> None:
        super().__init__(seed=0)
        self.source = source

    def before_trial(self, study: Any, trial: FrozenTrial) -> None:
        if self.source == "before_trial" and trial.number == 1:
            raise _error(self.source)

    def infer_relative_search_space(self, study: Any, trial: FrozenTrial) -> dict[str, Any]:
        if self.source == "infer_relative_search_space" and trial.number == 1:
            raise _error(self.source)
        return {"x": tansaku.distributions.FloatDistribution(0, 1)}

    def sample_relative(self, study: Any, trial: FrozenTrial, search_space: Any) -> Any:
        if self.source == "sample_relative" and trial.number == 1:
            raise _error(self.source)
        return super().sample_relative(study, trial, search_space)

    def sample_independent(self, study: Any, trial: FrozenTrial, name: str, dist: Any) -> Any:
        if self.source == "sample_independent" and trial.number == 1:
            raise _error(self.source)
        return super().sample_independent(study, trial, name, dist)

    def after_trial(self, study: Any, trial: FrozenTrial, state: Any, values: Any) -> None:
        if self.source == "after_trial" and trial.number == 1:
            raise _error(self.source)


class _FailingPruner(BasePruner):
    def prune(self, study: Any, trial: FrozenTrial) -> bool:
        if trial.number == 1:
            raise Boom("pruner")
        return False


def _objective(source: str) -> Callable[[Trial], float]:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0, 1)  # sampled relatively
        trial.suggest_int("i", 0, 3)  # sampled independently
        trial.report(x, 0)
        trial.should_prune()
        if trial.number == 1 and source in ("objective", "keyboard_interrupt", "system_exit"):
            raise _error(source)
        return x

    return objective


def _run(storage: BaseStorage | None, source: str, n_jobs: int) -> tansaku.Study:
    study = tansaku.create_study(
        storage=storage,
        sampler=_FailingSampler(source),
        pruner=_FailingPruner() if source == "pruner" else None,
    )

    def callback(study: tansaku.Study, trial: FrozenTrial) -> None:
        if source == "callback" and trial.number == 1:
            raise Boom("callback")

    expected: type[BaseException] = type(_error(source))
    with pytest.raises(expected):
        study.optimize(_objective(source), n_trials=6, n_jobs=n_jobs, callbacks=[callback])
    return study


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("source", SOURCES)
def test_an_error_escaping_optimize_leaves_no_trial_running(source: str, n_jobs: int) -> None:
    study = _run(None, source, n_jobs)
    states = {trial.number: trial.state for trial in study.trials}
    assert TrialState.RUNNING not in states.values(), states
    # The trial the error came from: FAIL, unless it had finished before the error (a callback
    # runs after the trial; after_trial runs while its state is written).
    if source not in ("callback", "after_trial"):
        assert states[1] is TrialState.FAIL


@pytest.mark.parametrize("source", ["objective", "keyboard_interrupt", "before_trial"])
def test_no_trial_is_left_running_on_any_storage(storage: BaseStorage, source: str) -> None:
    study = _run(storage, source, n_jobs=2)
    assert all(trial.state is not TrialState.RUNNING for trial in study.trials)
    assert study.trials[1].state is TrialState.FAIL


@pytest.mark.parametrize("returned", [None, "abc", float("nan"), [1.0, 2.0]])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_an_objective_returning_no_value_fails_its_trial_and_optimize_goes_on(
    returned: object, n_jobs: int
) -> None:
    # As Optuna: a logged warning, the trial FAIL, the next trials run.
    study = tansaku.create_study()
    study.optimize(lambda trial: returned, n_trials=3, n_jobs=n_jobs)  # type: ignore[arg-type,return-value]
    assert [trial.state for trial in study.trials] == [TrialState.FAIL] * 3


def test_threads_reseed_the_sampler_before_each_trial() -> None:
    # Optuna's parallel workers call reseed_rng; custom samplers rely on it.
    calls = []

    class Counting(RandomSampler):
        def reseed_rng(self) -> None:
            calls.append(1)
            super().reseed_rng()

    study = tansaku.create_study(sampler=Counting(seed=0))
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=5)
    assert calls == []
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=5, n_jobs=2)
    assert len(calls) == 5


def test_interrupt_after_the_objective_returned_fails_the_trial_and_propagates(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Ctrl-C that lands while the heartbeat thread stops, after the objective returned.
    @contextlib.contextmanager
    def interrupted_on_exit(storage: Any, trial_id: int) -> Iterator[None]:
        yield
        raise KeyboardInterrupt

    monkeypatch.setattr(tansaku.study._optimize, "heartbeat_thread", interrupted_on_exit)
    storage = tansaku.storages.RDBStorage(
        f"sqlite:///{tmp_path / 'hb.db'}", heartbeat_interval=60, grace_period=120
    )
    study = tansaku.create_study(storage=storage)
    with pytest.raises(KeyboardInterrupt):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert [t.state for t in study.trials] == [TrialState.FAIL]
