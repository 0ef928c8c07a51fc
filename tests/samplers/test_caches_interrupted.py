"""An interrupt in the middle of a sampler's or pruner's cache update does not leave it wrong.

Samplers, pruners and search spaces fold the study's finished trials into in-process caches,
a few at a time. A KeyboardInterrupt can land between any two steps of such an update; the
user catches it and goes on. Each case here interrupts one update at a chosen point (right
after the trials' cursor handed out the trial numbered ``_TARGET``, or at a chosen line,
through ``sys.settrace``), runs more trials in the same process, and checks that they complete
and that the cache holds what a fresh process builds from the storage. Before caches were
dropped on an escaping exception, the interrupted trial was lost to the cache for good.
(TPE has its own such test, in ``test_tpe_interrupted.py``.)
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

import pytest

import tansaku
from tansaku.pruners import _hyperband
from tansaku.pruners._completed_steps import CompletedStepValues
from tansaku.pruners._rungs import RungValues
from tansaku.samplers._brute_force import _Tree
from tansaku.samplers._qmc import _FirstTrialSpace
from tansaku.search_space import IntersectionSearchSpace
from tansaku.search_space._group_decomposed import _GroupDecomposedSearchSpace
from tansaku.search_space._intersection import _FinishedTrialCursor
from tansaku.storages import BaseStorage
from tansaku.trial import FrozenTrial, TrialState
from tests.storages._contract_backends import contract_storage  # noqa: F401 (the fixture)

pytestmark = pytest.mark.filterwarnings("ignore::tansaku.exceptions.ExperimentalWarning")

_TARGET = 3  # the trial whose folding in is interrupted


# -- interrupting ---------------------------------------------------------------------------------
@contextlib.contextmanager
def _after_handing_out(
    monkeypatch: pytest.MonkeyPatch, number: int = _TARGET
) -> Iterator[list[bool]]:
    """Raise KeyboardInterrupt once, right after a cursor over a study's finished trials
    handed out trial ``number``, before its reader folded it in."""
    advance = _FinishedTrialCursor.advance
    fired: list[bool] = []

    def interrupted(self: _FinishedTrialCursor, study: Any, trials: Any) -> Any:
        handed_out = advance(self, study, trials)
        if not fired and any(trial.number == number for trial in handed_out.new):
            fired.append(True)
            raise KeyboardInterrupt
        return handed_out

    with monkeypatch.context() as patch:
        patch.setattr(_FinishedTrialCursor, "advance", interrupted)
        yield fired


@contextlib.contextmanager
def _at_line(
    function: Callable[..., Any], text: str, when: Callable[[FrameType], bool]
) -> Iterator[list[bool]]:
    """Raise KeyboardInterrupt once, as ``function`` is about to run its first line holding
    ``text`` in a call where ``when(frame)`` holds (as a SIGINT landing there would)."""
    code = function.__code__
    lines, first = inspect.getsourcelines(function)
    target = first + next(i for i, line in enumerate(lines) if text in line)
    fired: list[bool] = []

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line" and frame.f_lineno == target and not fired and when(frame):
            fired.append(True)
            raise KeyboardInterrupt
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code is code else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        yield fired
    finally:
        sys.settrace(previous)


def _folding_target(frame: FrameType) -> bool:
    trial = frame.f_locals.get("trial")
    return trial is not None and trial.number == _TARGET


def _at_the_root(frame: FrameType) -> bool:
    return frame.f_locals["ancestor"] is frame.f_locals["nodes"][0]


# -- objectives -----------------------------------------------------------------------------------
def _conditional(trial: tansaku.Trial) -> float:
    # Trial _TARGET leaves y out: the intersection of the spaces loses y with it.
    x = trial.suggest_float("x", -5.0, 5.0)
    if trial.number == _TARGET:
        return x * x
    return x * x + trial.suggest_float("y", -5.0, 5.0) ** 2


def _quadratic(trial: tansaku.Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_int("y", -5, 5)
    return x * x + y * y


def _two_objectives(trial: tansaku.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", 0.0, 1.0)
    y = trial.suggest_float("y", 0.0, 1.0)
    return x + y, (1 - x) ** 2 + y


def _finite(trial: tansaku.Trial) -> float:
    x = trial.suggest_int("x", 0, 3)
    return x + (trial.suggest_categorical("c", ["a", "b"]) == "a")


def _reporting(trial: tansaku.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    for step in range(9):
        trial.report(x + step * (1 - x), step)
        if trial.should_prune():
            raise tansaku.TrialPruned
    return x


# -- what a cache holds, for comparison with a fresh one ------------------------------------------
def _cmaes_state(sampler: Any, study: tansaku.Study, trial: FrozenTrial) -> Any:
    space = sampler.infer_relative_search_space(study, trial)
    params = sampler.sample_relative(study, trial, space)
    run = sampler._runs[(id(study._storage), study._study_id)]
    generation = run._run.generation
    # Older generations are dropped as the run moves on: a fresh ledger still holds them.
    finished = [tagged.trial.number for tagged in run._ledger._finished.get(generation, ())]
    return run.n_usable, generation, finished, params


def _relative_space(sampler: Any, study: tansaku.Study, trial: FrozenTrial) -> Any:
    return sorted(sampler.infer_relative_search_space(study, trial))


def _qmc_state(sampler: Any, study: tansaku.Study, trial: FrozenTrial) -> Any:
    space = sampler.infer_relative_search_space(study, trial)
    return sorted(space), sampler.sample_relative(study, trial, space)


def _ga_state(sampler: Any, study: tansaku.Study, trial: FrozenTrial) -> Any:
    state = sampler._state(study)
    state.refresh(study)
    populations = {g: [t.number for t in trials] for g, trials in state.populations.items()}
    return populations, state.max_generation, sorted(state.search_space())


def _grid_state(sampler: Any, study: tansaku.Study, trial: FrozenTrial) -> Any:
    with sampler._lock:
        evaluated, _, _ = sampler._taken_grid_ids(study)
    return evaluated.tolist()


def _brute_force_state(sampler: Any, study: tansaku.Study, trial: FrozenTrial) -> Any:
    with sampler._lock:
        sampler._update(study, -1)
    root = sampler._tree.root
    return root.n_open, root.n_total


def _step_values(pruner: Any, study: tansaku.Study, trial: FrozenTrial) -> Any:
    values: CompletedStepValues = pruner._completed
    values.update(study, study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    return values._sorted, values._counts


def _rung_values(pruner: Any, study: tansaku.Study, trial: FrozenTrial) -> Any:
    rungs = pruner._rungs
    rungs.read(study, study.get_trials(deepcopy=False), -1)
    return rungs._finished


def _brackets(pruner: Any, study: tansaku.Study) -> Any:
    pruner._set_up_brackets(study)
    return pruner._budget_ends, [p._min_early_stopping_rate for p in pruner._pruners]


# -- the cases ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Case:
    make: Callable[[], Any]  # a sampler or a pruner, the same on every call
    objective: Callable[[tansaku.Trial], Any]
    # What the cache holds at the history's end, asked about a new trial (the same for both).
    state: Callable[[Any, tansaku.Study, FrozenTrial], Any]
    interrupt: str = "cursor"  # or a key of _LINES
    pruner: bool = False
    directions: tuple[str, ...] = ("minimize",)
    n_after: int = 12


_LINES: dict[str, tuple[Callable[..., Any], str, Callable[[FrameType], bool]]] = {
    # The space is known, the params it models not yet.
    "qmc": (_FirstTrialSpace.settle, "self.relative = {", lambda frame: True),
    # The trial is marked folded in, its values are not inserted yet.
    "steps": (CompletedStepValues.update, "counts[step] = ", _folding_target),
    "rungs": (RungValues.read, "bisect.insort(finished", _folding_target),
    # A leaf is closed, the open counts of the nodes above it not lowered yet.
    "tree": (_Tree.close, "ancestor.n_open -= 1", _at_the_root),
}

_CASES = {
    "cmaes": _Case(
        lambda: tansaku.samplers.CmaEsSampler(seed=0, popsize=4, n_startup_trials=1),
        _quadratic,
        _cmaes_state,
        n_after=16,
    ),
    "gp": _Case(
        # One trial after the startup ones is modelled (fits are slow).
        lambda: tansaku.samplers.GPSampler(seed=0, n_startup_trials=_TARGET + 4),
        _conditional,
        _relative_space,
        n_after=5,
    ),
    "cfo": _Case(lambda: tansaku.samplers.CFOSampler(seed=0), _conditional, _relative_space),
    "nsgaii": _Case(
        lambda: tansaku.samplers.NSGAIISampler(seed=0, population_size=4),
        _two_objectives,
        _ga_state,
        directions=("minimize", "minimize"),
    ),
    "nsgaiii": _Case(
        lambda: tansaku.samplers.NSGAIIISampler(seed=0, population_size=4),
        _two_objectives,
        _ga_state,
        directions=("minimize", "minimize"),
    ),
    "qmc": _Case(
        lambda: tansaku.samplers.QMCSampler(seed=0, warn_independent_sampling=False),
        _quadratic,
        _qmc_state,
        interrupt="qmc",
    ),
    "grid": _Case(
        lambda: tansaku.samplers.GridSampler({"x": [0, 1, 2, 3], "c": ["a", "b"]}, seed=0),
        _finite,
        _grid_state,
        n_after=3,
    ),
    "brute_force": _Case(
        lambda: tansaku.samplers.BruteForceSampler(seed=0),
        _finite,
        _brute_force_state,
        interrupt="tree",
        n_after=3,
    ),
    "median": _Case(
        lambda: tansaku.pruners.MedianPruner(n_startup_trials=0, n_warmup_steps=0),
        _reporting,
        _step_values,
        interrupt="steps",
        pruner=True,
    ),
    "successive_halving": _Case(
        lambda: tansaku.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
        _reporting,
        _rung_values,
        interrupt="rungs",
        pruner=True,
    ),
}


def _check_case(case: _Case, monkeypatch: pytest.MonkeyPatch, storage: Any = None) -> None:
    tansaku.logging.set_verbosity(tansaku.logging.ERROR)
    used = case.make()
    if case.pruner:
        sampler, pruner = tansaku.samplers.RandomSampler(seed=0), used
    else:
        sampler, pruner = used, None
    study = tansaku.create_study(
        storage=storage, directions=list(case.directions), sampler=sampler, pruner=pruner
    )
    if case.interrupt == "cursor":
        interrupting = _after_handing_out(monkeypatch)
    else:
        interrupting = _at_line(*_LINES[case.interrupt])
    with interrupting as fired, pytest.raises(KeyboardInterrupt):
        study.optimize(case.objective, n_trials=_TARGET + 10)
    assert fired
    n_before = len(study.trials)
    study.optimize(case.objective, n_trials=case.n_after)
    states = [t.state for t in study.trials]
    # The interrupted trial fails, unless the interrupt landed in after_trial (it is then
    # stored with its values).
    assert states.count(TrialState.FAIL) <= 1
    assert TrialState.FAIL not in states[n_before:]
    assert len(states) == n_before + case.n_after
    # Both states are read at the same point of the history; a fresh sampler or pruner
    # builds its cache from the storage, as in a new process.
    trial = study._storage.get_trial(study.ask()._trial_id)
    assert case.state(used, study, trial) == case.state(case.make(), study, trial)


@pytest.mark.parametrize("name", sorted(_CASES))
def test_trials_after_an_interrupted_cache_update_complete_and_the_cache_is_a_fresh_ones(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    _check_case(_CASES[name], monkeypatch)


def test_cmaes_run_after_an_interrupted_update_is_a_fresh_ones_on_every_storage(
    monkeypatch: pytest.MonkeyPatch, storage: BaseStorage
) -> None:
    # Its cursor reads the trials through each backend's _get_trials_from, and its run is
    # stored in the study's system attrs.
    _check_case(_CASES["cmaes"], monkeypatch, storage)


def test_hyperband_interrupted_while_setting_up_its_brackets_sets_up_each_bracket_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tansaku.logging.set_verbosity(tansaku.logging.ERROR)
    pruner = tansaku.pruners.HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    study = tansaku.create_study(pruner=pruner, sampler=tansaku.samplers.RandomSampler(seed=0))
    bracket = _hyperband.SuccessiveHalvingPruner
    made: list[int] = []

    def interrupted_second(**arguments: Any) -> Any:
        made.append(1)
        if len(made) == 2:
            raise KeyboardInterrupt  # as a SIGINT landing in the set-up loop
        return bracket(**arguments)

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(_hyperband, "SuccessiveHalvingPruner", interrupted_second)
        study.optimize(_reporting, n_trials=5)
    study.optimize(_reporting, n_trials=10)
    assert [t.state for t in study.trials].count(TrialState.FAIL) == 1
    fresh = tansaku.pruners.HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    assert _brackets(pruner, study) == _brackets(fresh, study)


@pytest.mark.parametrize("space", [IntersectionSearchSpace, _GroupDecomposedSearchSpace])
def test_search_space_interrupted_after_its_cursor_handed_out_a_trial_is_a_fresh_ones(
    monkeypatch: pytest.MonkeyPatch, space: Callable[[], Any]
) -> None:
    tansaku.logging.set_verbosity(tansaku.logging.ERROR)
    study = tansaku.create_study(sampler=tansaku.samplers.RandomSampler(seed=0))
    study.optimize(_conditional, n_trials=_TARGET)
    used = space()
    used.calculate(study)
    study.optimize(_conditional, n_trials=3)
    with _after_handing_out(monkeypatch) as fired, pytest.raises(KeyboardInterrupt):
        used.calculate(study)
    assert fired
    assert repr(used.calculate(study)) == repr(space().calculate(study))
