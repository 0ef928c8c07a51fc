"""Pruning with several threads, and with several processes sharing a SQLite study, decides
like one run.

The curves are built so that every decision is the same whatever order the workers report
in: twelve seeded trials complete first, each better than the one before (so none is
pruned); then each new trial is either clearly better than all of them ("good", completes)
or clearly worse ("bad", pruned at its first judgement: with successive halving, twelve or
more values are ahead of it where at most eight may be).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path

import pytest

import tansaku
from tansaku.pruners import BasePruner, MedianPruner, SuccessiveHalvingPruner
from tansaku.trial import TrialState

N_SEEDED = 12
N_NEW = 24
LAST_STEP = 19


def seeded_value(number: int) -> float:
    return 1.0 - 0.01 * number


def new_value(number: int) -> float:
    return 0.1 if number % 3 == 0 else 5.0  # good / bad


def objective(trial: tansaku.Trial) -> float:
    value = seeded_value(trial.number) if trial.number < N_SEEDED else new_value(trial.number)
    for step in range(LAST_STEP + 1):
        trial.report(value, step)
        if trial.should_prune():
            raise tansaku.TrialPruned()
    return value


PRUNERS: dict[str, Callable[[], BasePruner]] = {
    "median": lambda: MedianPruner(n_startup_trials=N_SEEDED),
    "sha": lambda: SuccessiveHalvingPruner(min_resource=1, reduction_factor=4),
}
# (state, last step) of the new trials in one sequential run.
EXPECTED_STEP = {"median": 0, "sha": 1}


def outcome(study: tansaku.Study) -> dict[int, tuple[str, int, float | None]]:
    return {
        t.number: (t.state.name, t.last_step, t.value)  # type: ignore[misc]
        for t in study.trials
        if t.number >= N_SEEDED
    }


def expected(name: str) -> dict[int, tuple[str, int, float | None]]:
    return {
        n: ("COMPLETE", LAST_STEP, 0.1) if n % 3 == 0 else ("PRUNED", EXPECTED_STEP[name], 5.0)
        for n in range(N_SEEDED, N_SEEDED + N_NEW)
    }


@pytest.fixture(autouse=True)
def quiet() -> None:
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)


@pytest.mark.parametrize("name", sorted(PRUNERS))
def test_one_run_prunes_the_bad_trials_and_keeps_their_last_value(name: str) -> None:
    study = tansaku.create_study(pruner=PRUNERS[name]())
    study.optimize(objective, n_trials=N_SEEDED + N_NEW)
    assert outcome(study) == expected(name)


@pytest.mark.parametrize("name", sorted(PRUNERS))
def test_four_threads_decide_like_one_run(name: str) -> None:
    study = tansaku.create_study(pruner=PRUNERS[name]())
    study.optimize(objective, n_trials=N_SEEDED)
    study.optimize(objective, n_trials=N_NEW, n_jobs=4)
    assert outcome(study) == expected(name)


def _worker(url: str, name: str, n_trials: int) -> None:
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    study = tansaku.load_study(study_name="parallel", storage=url, pruner=PRUNERS[name]())
    study.optimize(objective, n_trials=n_trials)


@pytest.mark.parametrize("name", sorted(PRUNERS))
def test_processes_sharing_sqlite_decide_like_one_run(name: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'parallel.db'}"
    study = tansaku.create_study(study_name="parallel", storage=url, pruner=PRUNERS[name]())
    study.optimize(objective, n_trials=N_SEEDED)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_worker, args=(url, name, N_NEW // 3)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    assert outcome(study) == expected(name)
    if name == "sha":
        # Every trial recorded its rung values for the others to rank against.
        recorded = [t for t in study.trials if "completed_rung_0" in t.system_attrs]
        assert len(recorded) == N_SEEDED + N_NEW
    assert not study.get_trials(states=(TrialState.RUNNING,))
