"""What a genetic sampler remembers about one study: its generations, read incrementally.

Storage is the truth (each trial's generation is a system attr, each generation's parents a
study system attr); this is a cache of it. Finished trials never change, so each one is folded
in once, when a cursor over the study's trials first sees it: its generation's population and
the intersection search space grow by it. A fresh state rebuilt from storage is the same state,
which is what lets several processes share one run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tansaku.distributions import BaseDistribution
from tansaku.search_space._intersection import _FinishedTrialCursor
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study

# Generations whose parents are kept in memory: the current one and the
# one before it (a worker may still finish a child of the older one).
_KEPT_GENERATIONS = 2


class GenerationState:
    """The completed trials of one study by generation, and per-generation caches.

    Args:
        generation_key: The trial system attr that holds a trial's generation.
    """

    def __init__(self, generation_key: str) -> None:
        self._generation_key = generation_key
        self._cursor = _FinishedTrialCursor()
        self._refreshed_for: int | None = None  # the trial number of the last refresh
        self._reset()

    def _reset(self) -> None:
        self.populations: dict[int, list[FrozenTrial]] = {}
        self.max_generation = -1  # the highest generation of a completed trial
        self.by_id: dict[int, FrozenTrial] = {}  # completed trials by trial id
        self._intersection: dict[str, BaseDistribution] | None = None
        self.parents: dict[int, list[FrozenTrial]] = {}

    def refresh(self, study: Study, trial_number: int | None = None) -> None:
        """Fold in the trials that completed since the last call.

        With ``trial_number``, the study is read once per trial: trials that complete while
        that trial is being sampled count from the next trial on.
        """
        if trial_number is not None:
            if trial_number == self._refreshed_for:
                return
            self._refreshed_for = trial_number
        advance = self._cursor.read(study)
        if advance.restarted:
            self._reset()
        key = self._generation_key
        for trial in advance.new:
            if trial.state is not TrialState.COMPLETE:
                continue
            self.by_id[trial._trial_id] = trial
            self._fold_space(trial.distributions)
            generation = trial.system_attrs.get(key)
            if not isinstance(generation, int):
                continue  # not sampled by this kind of sampler (e.g. added with add_trial)
            population = self.populations.setdefault(generation, [])
            in_order = not population or population[-1].number < trial.number
            population.append(trial)
            if not in_order:  # trials of several workers finish out of order
                population.sort(key=lambda t: t.number)
            if generation > self.max_generation:
                self.max_generation = generation

    def _fold_space(self, distributions: dict[str, BaseDistribution]) -> None:
        if self._intersection is None:
            self._intersection = dict(distributions)
            return
        kept = {
            n: d
            for n, d in self._intersection.items()
            if (other := distributions.get(n)) is d or other == d
        }
        if len(kept) != len(self._intersection):
            self._intersection = kept

    def search_space(self) -> dict[str, BaseDistribution]:
        """The params every completed trial suggested alike, single-valued ones left out,
        sorted by name."""
        space = self._intersection or {}
        return {n: d for n, d in sorted(space.items()) if not d.single()}

    def keep_parents(self, generation: int, trials: list[FrozenTrial]) -> None:
        """Remember ``generation``'s parents; drop what older generations left."""
        self.parents[generation] = trials
        for old in [g for g in self.parents if g <= generation - _KEPT_GENERATIONS]:
            del self.parents[old]
