"""The search spaces and objectives of the sampler contract, and the checks of what a study holds.

A space is a define-by-run script that calls ``suggest(name, distribution)``, so one script
drives a live trial, a FixedTrial replay and the record of which distributions a name may take.
Every space comes in two forms: with continuous floats, and ``finite`` (stepped floats only) for
samplers that search finite spaces only. Each also names grid values (inside every distribution
its param takes) for samplers that need the values up front, and one param to hold fixed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tansaku import Study, TrialPruned
from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.trial import BaseTrial, FrozenTrial, TrialState

Suggest = Callable[[str, BaseDistribution], Any]
Script = Callable[[Suggest, bool], None]

# Every choice type, with the pairs Python finds equal (False == 0, True == 1) kept apart.
CHOICES: tuple[Any, ...] = (None, False, True, 0, 1, 2.5, "s")


def _float(finite: bool, low: float, high: float, log: bool = False) -> FloatDistribution:
    """A continuous float range, or its stepped stand-in for samplers of finite spaces."""
    if finite:
        return FloatDistribution(low, high, step=(high - low) / 4)
    return FloatDistribution(low, high, log=log)


def _every_kind(suggest: Suggest, finite: bool) -> None:
    if not finite:
        suggest("float", FloatDistribution(-3.0, 3.0))
        suggest("float_log", FloatDistribution(1e-4, 1.0, log=True))
    suggest("float_step", FloatDistribution(0.0, 1.0, step=0.25))
    suggest("int", IntDistribution(-5, 5))
    suggest("int_log", IntDistribution(1, 64, log=True))
    suggest("int_step", IntDistribution(0, 12, step=3))
    suggest("categorical", CategoricalDistribution(CHOICES))
    # Ranges of one value: the trial sets them without asking the sampler.
    suggest("float_single", FloatDistribution(0.5, 0.5))
    suggest("int_single", IntDistribution(3, 3))
    suggest("categorical_single", CategoricalDistribution(("only",)))


def _conditional(suggest: Suggest, finite: bool) -> None:
    """Branches with their own params, names whose range and step move with the branch
    (``width``, ``shift``) and a variable number of params (``units_i``)."""
    branch = suggest("branch", CategoricalDistribution(("a", "b")))
    if branch == "a":
        suggest("a_only", _float(finite, 0.0, 1.0))
        suggest("width", IntDistribution(1, 8))
        suggest("shift", _float(finite, 0.0, 1.0))
    else:
        suggest("width", IntDistribution(4, 16, step=2))
        suggest("b_only", CategoricalDistribution(("x", 2, None)))
        suggest("shift", FloatDistribution(0.5, 1.5, step=0.25))
    for i in range(suggest("n_layers", IntDistribution(1, 3))):
        suggest(f"units_{i}", IntDistribution(1, 8, log=True))


@dataclass(frozen=True)
class Space:
    """A define-by-run search space of the contract.

    Attributes:
        script: Calls ``suggest(name, distribution)`` for each param; the second argument says
            whether the space must be finite.
        grid: Values by param name for samplers that need them, each inside every distribution
            the name takes (in both forms of the space).
        fixed: One param that every trial suggests, with a value inside its distributions.
    """

    script: Script
    grid: dict[str, list[Any]]
    fixed: dict[str, Any]


SPACES: dict[str, Space] = {
    "every_kind": Space(
        _every_kind,
        grid={
            "float": [-3.0, 0.5],
            "float_log": [1e-3, 1.0],
            "float_step": [0.25, 1.0],
            "int": [-5, 2],
            "int_log": [1, 7],
            "int_step": [3, 12],
            "categorical": list(CHOICES),
            "float_single": [0.5],
            "int_single": [3],
            "categorical_single": ["only"],
        },
        fixed={"int": 2},
    ),
    "conditional": Space(
        _conditional,
        grid={
            "branch": ["a", "b"],
            "a_only": [0.0, 0.5],
            "width": [4, 8],
            "b_only": ["x", None],
            "shift": [0.5, 1.0],
            "n_layers": [1, 3],
            "units_0": [1, 8],
            "units_1": [2, 3],
            "units_2": [4],
        },
        fixed={"n_layers": 2},
    ),
}


def suggest_with(trial: BaseTrial) -> Suggest:
    """``suggest(name, distribution)`` through the trial's public ``suggest_*`` methods."""

    def suggest(name: str, distribution: BaseDistribution) -> Any:
        if isinstance(distribution, CategoricalDistribution):
            return trial.suggest_categorical(name, distribution.choices)
        if isinstance(distribution, IntDistribution):
            return trial.suggest_int(
                name,
                distribution.low,
                distribution.high,
                step=distribution.step,
                log=distribution.log,
            )
        assert isinstance(distribution, FloatDistribution)
        return trial.suggest_float(
            name,
            distribution.low,
            distribution.high,
            step=distribution.step,
            log=distribution.log,
        )

    return suggest


def _steered(pick: int, run: dict[str, BaseDistribution]) -> Suggest:
    """A suggest that records each distribution in ``run`` and answers by ``pick``: the first,
    second, ... choice, and the low (0) or high end of ranges."""

    def suggest(name: str, distribution: BaseDistribution) -> Any:
        run[name] = distribution
        if isinstance(distribution, CategoricalDistribution):
            return distribution.choices[pick % len(distribution.choices)]
        assert isinstance(distribution, FloatDistribution | IntDistribution)
        return distribution.high if pick else distribution.low

    return suggest


def _runs(space: Space, finite: bool) -> list[dict[str, BaseDistribution]]:
    """The distributions of each run of the script, by every way of steering its branches."""
    runs = []
    for pick in range(3):
        run: dict[str, BaseDistribution] = {}
        space.script(_steered(pick, run), finite)
        runs.append(run)
    return runs


def declared_distributions(space: Space, finite: bool) -> dict[str, list[BaseDistribution]]:
    """Every distribution each name of ``space`` may take."""
    found: dict[str, list[BaseDistribution]] = {}
    for run in _runs(space, finite):
        for name, distribution in run.items():
            if distribution not in found.setdefault(name, []):
                found[name].append(distribution)
    return found


def first_suggested(space: Space, finite: bool) -> dict[str, BaseDistribution]:
    """The params every trial of ``space`` suggests first, in the same order and with the same
    distributions (the whole space when it has no branches)."""
    first, *others = _runs(space, finite)
    prefix: dict[str, BaseDistribution] = {}
    for position, (name, distribution) in enumerate(first.items()):
        if any(
            list(run.items())[position : position + 1] != [(name, distribution)] for run in others
        ):
            break
        prefix[name] = distribution
    return prefix


# -- the objective ------------------------------------------------------------------------------


class InjectedFailure(Exception):
    """Raised by the objective on purpose; the only exception the studies here catch, so an
    error a sampler raises fails the test instead of a trial."""


# Faults by trial number modulo 10: a trial failing before or after some suggests, pruned with
# and without intermediate values, returning NaN (FAIL with a warning). The rest complete.
_FAULTS = {1: "fail_midway", 3: "pruned_reported", 4: "nan", 6: "pruned_silent", 9: "fail_first"}


def planned_state(number: int) -> TrialState:
    """The state a trial of :func:`objective` with ``faults`` ends in."""
    fault = _FAULTS.get(number % 10)
    if fault is None:
        return TrialState.COMPLETE
    return TrialState.PRUNED if fault.startswith("pruned") else TrialState.FAIL


def as_number(value: Any) -> float:
    """A param value as a number, for deterministic losses over every choice type."""
    if value is None:
        return -1.0
    if isinstance(value, str):
        return float(len(value)) + 0.5
    return float(value)


def objective(
    space: Space, finite: bool, n_objectives: int = 1, faults: bool = False
) -> Callable[[BaseTrial], float | Sequence[float]]:
    """A deterministic objective over ``space``; with ``faults``, trials end as
    :func:`planned_state` says."""

    def run(trial: BaseTrial) -> float | Sequence[float]:
        fault = _FAULTS.get(trial.number % 10) if faults else None
        if fault == "fail_first":
            raise InjectedFailure(f"trial {trial.number} fails before any suggest")
        suggest = suggest_with(trial)
        n_suggested = 0

        def counted(name: str, distribution: BaseDistribution) -> Any:
            nonlocal n_suggested
            if fault == "fail_midway" and n_suggested == 2:
                raise InjectedFailure(f"trial {trial.number} fails after two suggests")
            n_suggested += 1
            return suggest(name, distribution)

        space.script(counted, finite)
        numbers = [as_number(value) for value in trial.params.values()]
        losses = [sum((x - 0.3 * (k + 1)) ** 2 for x in numbers) for k in range(n_objectives)]
        if fault == "pruned_reported" and n_objectives == 1:
            for step in range(3):
                trial.report(losses[0] + step, step)
            raise TrialPruned()
        if fault in ("pruned_silent", "pruned_reported"):
            raise TrialPruned()
        if fault == "nan":
            return [math.nan] * n_objectives if n_objectives > 1 else math.nan
        return losses if n_objectives > 1 else losses[0]

    return run


# -- checks -------------------------------------------------------------------------------------


def assert_inside(name: str, distribution: BaseDistribution, value: Any) -> None:
    """``value`` is a valid external value of ``distribution``, of the right type."""
    if isinstance(distribution, CategoricalDistribution):
        assert any(type(value) is type(c) and value == c for c in distribution.choices), (
            f"{name}={value!r} is not one of {distribution.choices!r}"
        )
    elif isinstance(distribution, IntDistribution):
        assert type(value) is int, f"{name}={value!r} is not an int"
    else:
        assert type(value) is float, f"{name}={value!r} is not a float"
    internal = distribution.to_internal_repr(value)
    assert distribution._contains(internal), f"{name}={value!r} is outside {distribution!r}"


def assert_trial_fits_space(trial: FrozenTrial, space: Space, finite: bool) -> None:
    """Every param of ``trial`` is inside a distribution its space gives the name; a COMPLETE
    trial has exactly the params its branch of the script suggests."""
    declared = declared_distributions(space, finite)
    for name, value in trial.params.items():
        distribution = trial.distributions[name]
        assert distribution in declared.get(name, []), (name, distribution)
        assert_inside(name, distribution, value)
    if trial.state is TrialState.COMPLETE:
        replayed: dict[str, BaseDistribution] = {}

        def replay(name: str, distribution: BaseDistribution) -> Any:
            replayed[name] = distribution
            return trial.params[name]

        space.script(replay, finite)
        assert replayed == trial.distributions, (trial.number, trial.params)


def assert_study_fits_space(
    study: Study, space: Space, finite: bool, faults: bool, n_trials: int
) -> None:
    """The study ran ``n_trials`` trials, each ended as planned, with params that fit."""
    trials = study.get_trials(deepcopy=False)
    assert [t.number for t in trials] == list(range(n_trials))
    for trial in trials:
        expected = planned_state(trial.number) if faults else TrialState.COMPLETE
        assert trial.state is expected, (trial.number, trial.state, trial.system_attrs)
        assert_trial_fits_space(trial, space, finite)
