"""BaseGASampler: generations, populations and parent populations for genetic samplers.

A trial's generation is stored with the trial (the system attr ``<ClassName>:generation``,
written before its params are sampled), and the parents chosen for a generation are stored
with the study (``<ClassName>:parent:<generation>``, the trial ids), so that every worker on
one storage runs the same generations. Each process keeps a cache of both, folded in
incrementally, so the cost of an ask does not grow with the history.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tansaku._internal.caches import forget_on_escape
from tansaku._internal.system_attrs import read as read_system_attr
from tansaku._internal.system_attrs import set_study_system_attr, set_trial_system_attr
from tansaku.samplers._base import BaseSampler
from tansaku.samplers._ga._state import GenerationState
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study

# Studies whose state one sampler keeps at once; a sampler rarely serves more than one.
_MAX_STUDIES = 8


class BaseGASampler(BaseSampler, abc.ABC):
    """Base class of genetic-algorithm samplers: trials grouped into generations.

    Generation 0 is the first ``population_size`` completed trials (sampled at random by the
    subclasses here). A new trial joins the highest generation that has a completed trial, or
    the next one once that generation has ``population_size`` completed trials. The parents of
    generation ``g`` are chosen once, by :meth:`select_parent`, and stored in the study.

    With several workers, two of them may choose the parents of one generation at the same
    time; the later write wins in storage, and each worker breeds from the parents it read or
    chose. The subclasses here choose deterministically from the same trials, so they agree.

    Args:
        population_size: Completed trials per generation.
    """

    def __init__(self, population_size: int | None) -> None:
        self._population_size = population_size
        self._init_state()

    def _init_state(self) -> None:
        self._lock = threading.RLock()
        self._states: dict[tuple[int, int], GenerationState] = {}
        self._last_assigned: tuple[int, int] = (-1, -1)  # (trial id, generation)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for name in ("_lock", "_states", "_last_assigned"):
            del state[name]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_state()

    @classmethod
    def _get_generation_key(cls) -> str:
        return f"{cls.__name__}:generation"

    @classmethod
    def _get_parent_cache_key_prefix(cls) -> str:
        return f"{cls.__name__}:parent:"

    @property
    def population_size(self) -> int:
        """Completed trials per generation."""
        return self._population_size  # type: ignore[return-value]

    @population_size.setter
    def population_size(self, value: int) -> None:
        self._population_size = value

    # -- generations ----------------------------------------------------------------------------
    def _state(self, study: Study) -> GenerationState:
        key = (id(study._storage), study._study_id)
        state = self._states.get(key)
        if state is None:
            if len(self._states) >= _MAX_STUDIES:
                self._states.clear()
            state = self._states[key] = GenerationState(self._get_generation_key())
        return state

    def _updating(self, study: Study) -> forget_on_escape:
        """Guard a block that updates the study's state: whatever escapes it (an interrupt,
        a strategy's error) drops the state, to be rebuilt from the storage on the next call,
        since it may have left a trial taken from the history but not folded in."""
        return forget_on_escape(self._states.pop, (id(study._storage), study._study_id), None)

    def get_trial_generation(self, study: Study, trial: FrozenTrial) -> int:
        """Return the generation of ``trial``, assigning and storing it on the first call.

        Args:
            study: The study of the trial.
            trial: A running trial (or a finished one that has its generation).

        Returns:
            The highest generation of any completed trial, or the next one when that generation
            already has ``population_size`` completed trials (0 before any completed).
        """
        key = self._get_generation_key()
        stored = trial.system_attrs.get(key)
        if stored is not None:
            return int(stored)
        with self._lock, self._updating(study):
            if self._last_assigned[0] == trial._trial_id:
                return self._last_assigned[1]
            state = self._state(study)
            state.refresh(study, trial.number)
            generation = max(state.max_generation, 0)
            if len(state.populations.get(generation, ())) >= self.population_size:
                generation += 1
            set_trial_system_attr(study, trial._trial_id, key, generation)
            self._last_assigned = (trial._trial_id, generation)
            return generation

    def get_population(self, study: Study, generation: int) -> list[FrozenTrial]:
        """The completed trials of ``generation``, in number order (shared: do not modify)."""
        with self._lock, self._updating(study):
            state = self._state(study)
            state.refresh(study)
            return list(state.populations.get(generation, ()))

    def get_parent_population(self, study: Study, generation: int) -> list[FrozenTrial]:
        """The parents of ``generation``: chosen by :meth:`select_parent` once and stored in
        the study's system attrs, or read from there when another worker chose them.

        Returns:
            The parent trials; empty for generation 0.
        """
        if generation == 0:
            return []
        with self._lock, self._updating(study):
            state = self._state(study)
            cached = state.parents.get(generation)
            if cached is not None:
                return cached
            key = self._get_parent_cache_key_prefix() + str(generation)
            stored = read_system_attr(study._storage.get_study_system_attrs(study._study_id), key)
            if stored is not None:
                state.refresh(study)
                parents = [state.by_id.get(i) or study._storage.get_trial(i) for i in stored]
            else:
                parents = list(self.select_parent(study, generation))
                set_study_system_attr(study, key, [t._trial_id for t in parents])
            state.keep_parents(generation, parents)
            return parents

    @abc.abstractmethod
    def select_parent(self, study: Study, generation: int) -> list[FrozenTrial]:
        """Choose the parents of ``generation`` (>= 1), typically from the population and the
        parents of ``generation - 1``. Called once per generation and process at most; the
        result is stored in the study."""

    # -- hooks ----------------------------------------------------------------------------------
    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        """Assign the trial's generation before any of its params is sampled."""
        self.get_trial_generation(study, trial)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        """Nothing to do: the generation is stored already."""
