"""GridSampler and BruteForceSampler stop a study once its whole space is explored, whatever the
pruner, even when the pruner hands them a view of some trials only (HyperbandPruner's brackets).

Every ``optimize`` here is bounded by a callback that raises after ``RUNAWAY`` trials, so a
sampler that never stops fails the test instead of hanging it.
"""

from __future__ import annotations

import multiprocessing
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import tansaku
from tansaku.pruners import BasePruner, HyperbandPruner, NopPruner, SuccessiveHalvingPruner
from tansaku.pruners._bracket_study import BracketStudy
from tansaku.samplers import BaseSampler, BruteForceSampler, GridSampler, PartialFixedSampler
from tansaku.storages import BaseStorage
from tansaku.trial import FrozenTrial, TrialState
from tests.storages._contract_backends import STORAGE_FACTORIES

RUNAWAY = 60
N_STEPS = 10
GRID = {"x": [0, 1, 2], "y": [0, 1, 2]}
ALL_POINTS = {(x, y) for x in GRID["x"] for y in GRID["y"]}


class RunawayError(Exception):
    """The study kept starting trials after its space was explored."""


def stop_runaway(study: tansaku.Study, trial: FrozenTrial) -> None:
    if trial.number >= RUNAWAY:
        raise RunawayError(f"{trial.number + 1} trials: the sampler did not stop the study")


def objective(trial: tansaku.Trial) -> float:
    x = trial.suggest_int("x", 0, 2)
    y = trial.suggest_int("y", 0, 2)
    if (x, y) == (1, 1):
        raise ValueError("a failed point")
    # Reported values grow with x + y, so every pruner prunes some trials.
    for step in range(N_STEPS):
        trial.report(x + y + 0.1 * step, step)
        if trial.should_prune():
            raise tansaku.TrialPruned()
    return float(x + y)


SAMPLERS: dict[str, Callable[[], BaseSampler]] = {
    "grid": lambda: GridSampler(GRID, seed=0),
    "brute_force": lambda: BruteForceSampler(seed=0),
}
PRUNERS: dict[str, Callable[[], BasePruner]] = {
    "hyperband": lambda: HyperbandPruner(max_resource=N_STEPS),
    "hyperband_auto": lambda: HyperbandPruner(),
    "successive_halving": lambda: SuccessiveHalvingPruner(),
    "nop": lambda: NopPruner(),
}


@pytest.fixture(autouse=True)
def quiet() -> Iterator[None]:
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tansaku.exceptions.ExperimentalWarning)
        yield


@pytest.fixture(params=list(STORAGE_FACTORIES))
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseStorage]:
    backend = STORAGE_FACTORIES[request.param](tmp_path)
    yield backend
    backend.remove_session()


def points(study: tansaku.Study) -> list[tuple[int, int]]:
    return [(t.params["x"], t.params["y"]) for t in study.trials]


def run(
    sampler: str,
    pruner: str,
    n_trials: int | None = None,
    n_jobs: int = 1,
    storage: BaseStorage | None = None,
) -> tansaku.Study:
    study = tansaku.create_study(
        storage=storage, sampler=SAMPLERS[sampler](), pruner=PRUNERS[pruner]()
    )
    study.optimize(
        objective, n_trials=n_trials, n_jobs=n_jobs, callbacks=[stop_runaway], catch=ValueError
    )
    return study


@pytest.mark.parametrize("pruner", sorted(PRUNERS))
@pytest.mark.parametrize("sampler", sorted(SAMPLERS))
def test_finite_sampler_stops_after_every_point_once_whatever_the_pruner(
    sampler: str, pruner: str
) -> None:
    study = run(sampler, pruner)
    assert sorted(points(study)) == sorted(ALL_POINTS)
    states = {t.state for t in study.trials}
    assert TrialState.FAIL in states
    if pruner != "nop":
        assert TrialState.PRUNED in states


@pytest.mark.parametrize("sampler", sorted(SAMPLERS))
def test_finite_sampler_under_hyperband_runs_each_point_once_within_n_trials(
    sampler: str,
) -> None:
    study = run(sampler, "hyperband", n_trials=len(ALL_POINTS) + 1)
    assert sorted(points(study)) == sorted(ALL_POINTS)


@pytest.mark.parametrize("sampler", sorted(SAMPLERS))
def test_finite_sampler_under_hyperband_stops_on_every_storage(
    sampler: str, storage: BaseStorage
) -> None:
    study = run(sampler, "hyperband", storage=storage)
    assert sorted(points(study)) == sorted(ALL_POINTS)


@pytest.mark.parametrize("pruner", ["hyperband", "successive_halving"])
@pytest.mark.parametrize("sampler", sorted(SAMPLERS))
def test_finite_sampler_with_two_threads_stops_after_covering_every_point(
    sampler: str, pruner: str
) -> None:
    study = run(sampler, pruner, n_jobs=2)
    # A thread may start a trial just before the other one takes the last point: at most one
    # point is evaluated twice.
    assert set(points(study)) == ALL_POINTS
    assert len(study.trials) <= len(ALL_POINTS) + 1


def test_brute_force_explores_a_conditional_space_once_under_hyperband() -> None:
    def conditional(trial: tansaku.Trial) -> float:
        kind = trial.suggest_categorical("kind", ["linear", "tree"])
        value = 0.0 if kind == "linear" else float(trial.suggest_int("depth", 1, 3))
        for step in range(N_STEPS):
            trial.report(value + 0.1 * step, step)
            if trial.should_prune():
                raise tansaku.TrialPruned()
        return value

    study = tansaku.create_study(
        sampler=BruteForceSampler(seed=0), pruner=HyperbandPruner(max_resource=N_STEPS)
    )
    study.optimize(conditional, callbacks=[stop_runaway])
    combinations = sorted((t.params["kind"], t.params.get("depth", 0)) for t in study.trials)
    assert combinations == [("linear", 0), ("tree", 1), ("tree", 2), ("tree", 3)]


def _grid_worker(url: str) -> None:
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    study = tansaku.load_study(
        study_name="shared", storage=url, sampler=SAMPLERS["grid"](), pruner=PRUNERS["hyperband"]()
    )
    study.optimize(objective, callbacks=[stop_runaway], catch=ValueError)


def test_processes_sharing_a_grid_under_hyperband_stop_once_every_point_is_evaluated(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    study = tansaku.create_study(study_name="shared", storage=url)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_grid_worker, args=(url,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0  # a runaway raises in the worker
    assert set(points(study)) == ALL_POINTS
    assert not study.get_trials(states=(TrialState.RUNNING,))


def test_a_second_process_finishes_a_grid_started_under_hyperband(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = tansaku.create_study(
        study_name="shared", storage=url, sampler=SAMPLERS["grid"](), pruner=HyperbandPruner()
    )
    first.optimize(objective, n_trials=4, catch=ValueError)
    context = multiprocessing.get_context("spawn")
    worker = context.Process(target=_grid_worker, args=(url,))
    worker.start()
    worker.join(timeout=120)
    assert worker.exitcode == 0
    assert sorted(points(first)) == sorted(ALL_POINTS)


def test_bracket_view_leads_whole_study_decisions_to_the_study_it_views() -> None:
    pruner = HyperbandPruner(max_resource=N_STEPS)
    # Brackets follow a hash of the study's name: a fixed name puts these trials in several.
    study = tansaku.create_study(study_name="bracket-view", pruner=pruner)
    study.optimize(objective, n_trials=6, catch=ValueError)
    view = pruner._bracket_study(study, study.trials[0])
    assert isinstance(view, BracketStudy)
    assert view._unfiltered_study() is study
    assert study._unfiltered_study() is study
    # The view knows whether it runs inside the study's optimize (one per-thread state).
    assert view._thread_local is study._thread_local
    seen = {t.number for t in view.get_trials()}
    assert seen < {t.number for t in study.trials}


def test_grid_is_exhausted_for_a_bracket_view_when_the_whole_grid_is() -> None:
    sampler = GridSampler(GRID)
    pruner = HyperbandPruner(max_resource=N_STEPS)
    study = tansaku.create_study(sampler=sampler, pruner=pruner)
    study.optimize(objective, n_trials=len(ALL_POINTS), catch=ValueError)
    view = pruner._bracket_study(study, study.trials[0])
    assert sampler.is_exhausted(study)
    assert sampler.is_exhausted(view)


def test_grid_inside_partial_fixed_sampler_stops_under_hyperband() -> None:
    sampler = PartialFixedSampler({"x": 1}, GridSampler({"y": GRID["y"]}, seed=0))
    study = tansaku.create_study(sampler=sampler, pruner=PRUNERS["hyperband"]())
    study.optimize(objective, callbacks=[stop_runaway], catch=ValueError)
    assert sorted(points(study)) == [(1, 0), (1, 1), (1, 2)]
