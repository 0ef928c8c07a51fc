"""Which finished trials close a generation: decided alike by every worker of a study.

A trial drawn by CMA-ES is tagged with its generation. Generation ``g`` closes with the
``popsize`` lowest-numbered *usable* trials tagged ``g`` (COMPLETE ones, and PRUNED ones with an
intermediate value when pruned trials count), and only once no trial below the last of them is
still running (it might yet be tagged ``g`` and finish usable). Finished trials never change,
so every worker that can close ``g`` closes it with the same trials; the next state is a pure
function of the state and those trials, hence the same everywhere, and the state cannot fork.
Trials tagged ``g`` beyond those ``popsize`` (drawn while ``g`` waited for a straggler) are
not used. A trial that never finishes holds its generation open; the heartbeat of RDB and
journal storages marks a crashed worker's trials FAIL, which releases it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from tansaku.distributions import BaseDistribution
from tansaku.samplers._cmaes._codec import TRIAL_KEY, parse_tag
from tansaku.search_space._intersection import (
    _FinishedTrialCursor,
    _intersect,
    _states_of_interest,
)
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study


def tag_of(trial: FrozenTrial) -> tuple[int, list[float]] | None:
    """The generation and unit-box point a trial was drawn with, or None."""
    tag: Any = trial.system_attrs.get(TRIAL_KEY)
    return parse_tag(tag) if isinstance(tag, str) else None


def generation_of(trial: FrozenTrial) -> int | None:
    """The generation a trial was drawn in (its tag's prefix only), or None."""
    tag: Any = trial.system_attrs.get(TRIAL_KEY)
    if not isinstance(tag, str):
        return None
    prefix = tag.partition(":")[0]
    return int(prefix) if prefix.isdigit() else None


def usable_value(trial: FrozenTrial, consider_pruned: bool) -> float | None:
    """The value a finished trial gives CMA-ES (minimized as stored), or None if none."""
    if trial.state == TrialState.COMPLETE:
        values = trial.values
        return float(values[0]) if values else None
    if consider_pruned and trial.state == TrialState.PRUNED and trial.intermediate_values:
        value = float(trial.intermediate_values[max(trial.intermediate_values)])
        return value if not math.isnan(value) else None
    return None


class Tagged(NamedTuple):
    """A finished trial drawn by CMA-ES, with its point in the unit box."""

    trial: FrozenTrial
    x: list[float]


class Ledger:
    """The trials of one study by generation, folded in once each as they finish, and the
    intersection of their search spaces (one pass over the history serves both)."""

    def __init__(self, consider_pruned: bool) -> None:
        self._consider_pruned = consider_pruned
        self._space_states = _states_of_interest(consider_pruned)
        self._cursor = _FinishedTrialCursor()
        self._reset()

    def _reset(self) -> None:
        # The params every COMPLETE (and PRUNED, when they count) trial suggested alike, as
        # ``IntersectionSearchSpace`` has it, unsorted: the same dict object while no trial
        # changes it, so a caller tells a change by identity. None before any such trial.
        self.space: dict[str, BaseDistribution] | None = None
        # generation -> its finished usable trials, each with its point (parsed once)
        self._finished: dict[int, list[Tagged]] = {}
        self.n_usable = 0  # finished trials with a usable value (for n_startup_trials)
        self.max_generation = -1  # the newest generation any trial is tagged with
        self.live: list[FrozenTrial] = []
        # trial number -> the tag this worker wrote on it and its point, so that folding the
        # trial need not parse back the floats it has just formatted
        self._drawn: dict[int, tuple[str, int, list[float]]] = {}

    def drawn(self, number: int, tag: str, generation: int, x: list[float]) -> None:
        """Remember that this worker tagged trial ``number`` with ``tag`` (its generation, x)."""
        self._drawn[number] = (tag, generation, x)

    def advance(self, study: Study) -> None:
        """Fold in the trials of ``study`` that finished since the last call."""
        advance = self._cursor.read(study)
        if advance.restarted:
            self._reset()
        self.space = _intersect(self.space, advance.new, self._space_states)
        drawn = self._drawn
        for trial in advance.new:
            mine = drawn.pop(trial.number, None) if drawn else None
            if usable_value(trial, self._consider_pruned) is None:
                continue
            self.n_usable += 1
            if mine is not None and trial.system_attrs.get(TRIAL_KEY) == mine[0]:
                tag: tuple[int, list[float]] | None = (mine[1], mine[2])
            else:
                tag = tag_of(trial)
            if tag is not None:
                self._finished.setdefault(tag[0], []).append(Tagged(trial, tag[1]))
                self.max_generation = max(self.max_generation, tag[0])
        for trial in advance.live:
            generation = generation_of(trial)
            if generation is not None:
                self.max_generation = max(self.max_generation, generation)
        self.live = advance.live

    def closing(
        self,
        generation: int,
        popsize: int,
        current_number: int,
        fits: Callable[[Tagged], bool],
    ) -> list[Tagged] | None:
        """The trials that close ``generation`` (by number), or None while it stays open."""
        tagged = self._finished.get(generation, ())
        if len(tagged) < popsize:
            return None
        finished = [t for t in tagged if fits(t)]
        if len(finished) < popsize:
            return None
        finished.sort(key=lambda tagged: tagged.trial.number)
        chosen = finished[:popsize]
        last = chosen[-1].trial.number
        for trial in self.live:
            if trial.number >= last:
                break
            if trial.number == current_number:
                continue
            tagged_with = generation_of(trial)
            if tagged_with is None or tagged_with == generation:
                return None
        return chosen

    def forget_before(self, generation: int) -> None:
        """Drop the trials of generations older than ``generation`` (never needed again)."""
        for old in [g for g in self._finished if g < generation]:
            del self._finished[old]
