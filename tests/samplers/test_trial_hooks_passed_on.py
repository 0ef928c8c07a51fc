"""Samplers that pass ``before_trial`` / ``after_trial`` on to another sampler: the hooks reach
that sampler when it has them, and cost the study nothing (no second read of the new trial)
when it has not."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import pytest

import tansaku
from tansaku.pbt import PBTSampler
from tansaku.samplers import (
    BaseSampler,
    BlendSearchSampler,
    CFOSampler,
    CmaEsSampler,
    GPSampler,
    PartialFixedSampler,
    QMCSampler,
    RandomSampler,
)
from tansaku.storages import InMemoryStorage
from tansaku.study import Study
from tansaku.trial import FrozenTrial, Trial, TrialState

tansaku.logging.set_verbosity(tansaku.logging.WARNING)

WRAPPERS: dict[str, Callable[[BaseSampler], BaseSampler]] = {
    "cmaes": lambda inner: CmaEsSampler(
        seed=0, independent_sampler=inner, warn_independent_sampling=False
    ),
    "qmc": lambda inner: QMCSampler(
        seed=0, independent_sampler=inner, warn_independent_sampling=False
    ),
    "partial_fixed": lambda inner: PartialFixedSampler({"y": 1}, inner),
    "gp": lambda inner: GPSampler(
        seed=0, independent_sampler=inner, warn_independent_sampling=False
    ),
    "cfo": lambda inner: CFOSampler(seed=0, independent_sampler=inner),
    "blendsearch": lambda inner: BlendSearchSampler(seed=0, independent_sampler=inner),
    "pbt": lambda inner: PBTSampler(population_size=2, base_sampler=inner, seed=0),
}
# Wrappers with no before_trial of their own, which a study may skip.
PASS_THROUGH = [kind for kind in WRAPPERS if kind != "pbt"]


def _wrap(kind: str, inner: BaseSampler) -> BaseSampler:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return WRAPPERS[kind](inner)


class _HookedRandom(RandomSampler):
    """A RandomSampler that records the hooks it is given."""

    def __init__(self) -> None:
        super().__init__(seed=1)
        self.calls: list[str] = []

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self.calls.append(f"before {trial.number}")

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self.calls.append(f"after {trial.number} {state.name}")


class _CountingStorage(InMemoryStorage):
    def __init__(self) -> None:
        super().__init__()
        self.trial_reads = 0

    def get_trial(self, trial_id: int) -> FrozenTrial:
        self.trial_reads += 1
        return super().get_trial(trial_id)


def _objective(trial: Trial) -> float:
    return trial.suggest_float("x", -1, 1) ** 2 + trial.suggest_int("y", 0, 3)


@pytest.mark.parametrize("kind", list(WRAPPERS))
def test_hooks_reach_the_sampler_they_are_passed_to(kind: str) -> None:
    inner = _HookedRandom()
    study = tansaku.create_study(sampler=_wrap(kind, inner))
    study.optimize(_objective, n_trials=3)
    assert inner.calls == [
        "before 0",
        "after 0 COMPLETE",
        "before 1",
        "after 1 COMPLETE",
        "before 2",
        "after 2 COMPLETE",
    ]
    # A wrapper around a wrapper answers for the innermost sampler.
    assert _wrap(kind, _wrap(kind, inner))._acts_before_trial()


@pytest.mark.parametrize("kind", PASS_THROUGH)
def test_ask_reads_the_new_trial_once_when_no_sampler_has_a_before_trial(kind: str) -> None:
    storage = _CountingStorage()
    study = tansaku.create_study(storage=storage, sampler=_wrap(kind, RandomSampler(seed=0)))
    study.optimize(_objective, n_trials=2)
    storage.trial_reads = 0
    trial = study.ask()
    assert storage.trial_reads == 1
    study.tell(trial, 1.0)


def test_a_sampler_with_its_own_hooks_acts_and_one_without_does_not() -> None:
    assert not RandomSampler()._acts_before_trial()
    assert not RandomSampler()._acts_after_trial()
    assert _HookedRandom()._acts_before_trial()
    assert _HookedRandom()._acts_after_trial()

    class _Plain(BaseSampler):
        def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> Any:
            return {}

        def sample_relative(self, study: Study, trial: FrozenTrial, space: Any) -> Any:
            return {}

        def sample_independent(self, study: Study, trial: FrozenTrial, name: str, d: Any) -> Any:
            return 0.0

    assert not _Plain()._acts_before_trial()
