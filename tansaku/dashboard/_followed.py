"""A study the dashboard follows: its trials kept in memory, brought up to date by cursor reads.

Each open study's trials are read once, finished ones possibly without their intermediate
values (which the kept trials are never asked for) and without their params
(``BaseStorage._get_trials_changed_since_without_params``); after that a refresh asks the
storage only for the trials created since and those that were live, so a poll costs O(new +
live trials) whatever the size of the study. ``version`` grows with every refresh that changed
something, so that derived results (summaries, plots) are cached by it.

Params left out are read when something shows them: those of a table page's trials for that
page, all of them for a filter or sort by param, a plot of params or the CSV export. A cold
study page (its header, first table page and history plot) then reads no param row but those
of the 50 trials it shows: at 50,000 trials of ten params, half a million rows spared.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Collection, Container, Sequence
from typing import Any

from tansaku._internal.study_direction import StudyDirection
from tansaku.distributions import BaseDistribution
from tansaku.storages import BaseStorage, FrozenStudy, TrialCursor
from tansaku.trial import FrozenTrial, TrialState

# A refresh within this many seconds of the last one reuses it: many browser tabs polling one
# study then cost the storage one read per interval, not one per tab.
MIN_REFRESH_INTERVAL = 0.25

# ``with_params`` of every trial reads the study's params whole past this many left out.
_READ_ALL_PARAMS_FROM = 1000


class FollowedStudy:
    """One study's trials, kept up to date by reads of what changed.

    Args:
        storage: The storage holding the study.
        study_id: The study's id.
    """

    def __init__(self, storage: BaseStorage, study_id: int) -> None:
        self.storage = storage
        self.study_id = study_id
        self.name = storage.get_study_name_from_id(study_id)
        self.directions = storage.get_study_directions(study_id)
        self.trials: list[FrozenTrial] = []  # by number: trial n at index n
        self.cursor = TrialCursor()
        self.version = 0
        self._refreshed_at = -float("inf")
        self._lock = threading.Lock()
        self._cache: dict[Any, Any] = {}
        # Numbers of kept finished trials without params: theirs may have been left out (a
        # trial that has none looks the same, and costs one small read to be sure of it).
        self._params_left_out: set[int] = set()
        # The names of the params of COMPLETE trials, once asked for; kept up to date.
        self._param_names: set[str] | None = None

    def refresh(self, force: bool = False) -> int:
        """Read what changed since the last refresh; return the new ``version``.

        Raises:
            KeyError: the study was deleted.
        """
        with self._lock:
            now = time.monotonic()
            if not force and now - self._refreshed_at < MIN_REFRESH_INTERVAL:
                return self.version
            # Without the intermediate values of finished trials: most of a large study's
            # rows, which only the trial page (one trial, read whole) and the intermediate
            # values plot (the study read whole) show; and without their params, read when
            # shown (see with_params).
            changed, cursor = self.storage._get_trials_changed_since_without_params(
                self.study_id, self.cursor
            )
            self._refreshed_at = now
            if not changed or (cursor == self.cursor and _same(changed, self.trials)):
                return self.version
            trials = list(self.trials)  # readers hold the old list: replace, do not mutate
            left_out = self._params_left_out
            for trial in changed:
                if trial.number < len(trials):
                    trials[trial.number] = trial
                else:
                    trials.append(trial)
                if trial.distributions or not trial.state.is_finished():
                    left_out.discard(trial.number)
                    if self._param_names is not None and trial.state is TrialState.COMPLETE:
                        self._param_names.update(trial.distributions)
                else:
                    left_out.add(trial.number)
                    if trial.state is TrialState.COMPLETE:
                        self._param_names = None  # asked of the storage again
            self.trials = trials
            self.cursor = cursor
            self.version += 1
            self._cache.clear()
            return self.version

    def with_params(self, numbers: Collection[int] | None = None) -> list[FrozenTrial]:
        """The kept trials, those numbered in ``numbers`` (None: all) with their params.

        Reads the params left out of those trials (one statement for a page of them) and keeps
        them: the kept trials are replaced by copies that have them. The version stays: nothing
        about the study changed.
        """
        with self._lock:
            left_out = self._params_left_out
            if numbers is None:
                missing = sorted(left_out)
            else:
                missing = sorted(n for n in numbers if n in left_out)
            if not missing:
                return self.trials
            trials = list(self.trials)  # readers hold the old list: replace, do not mutate
            ids = [trials[n]._trial_id for n in missing]
            # All the study's at once when most are wanted: one read in table order.
            whole = numbers is None and len(missing) > _READ_ALL_PARAMS_FROM
            read = self.storage._get_params_of_trials(self.study_id, None if whole else ids)
            for number, trial_id in zip(missing, ids):
                params = read.get(trial_id)
                if params is not None and params[1]:
                    clone = copy.copy(trials[number])
                    clone.params, clone.distributions = params
                    trials[number] = clone
                left_out.discard(number)
            self.trials = trials
            return trials

    def param_names(self) -> list[str]:
        """The names of the params of the study's COMPLETE trials, in name order."""
        with self._lock:
            if self._param_names is None:
                trials = self.trials
                names = {
                    name
                    for trial in trials
                    if trial.state is TrialState.COMPLETE
                    for name in trial.distributions
                }
                if any(trials[n].state is TrialState.COMPLETE for n in self._params_left_out):
                    names.update(
                        self.storage._get_param_names(self.study_id, (TrialState.COMPLETE,))
                    )
                self._param_names = names
            return sorted(self._param_names)

    def changed_since(self, next_number: int, live_numbers: Sequence[int]) -> list[FrozenTrial]:
        """The kept trials a client that saw ``(next_number, live_numbers)`` has not seen."""
        trials = self.trials
        seen_live = [trials[n] for n in live_numbers if 0 <= n < min(next_number, len(trials))]
        return seen_live + trials[max(next_number, 0) :]

    def cached(self, key: Any, compute: Any) -> Any:
        """``compute()``, remembered until the trials change."""
        version = self.version
        entry = self._cache.get(key)
        if entry is not None and entry[0] == version:
            return entry[1]
        value = compute()
        self._cache[key] = (version, value)
        return value

    def study_view(self, params: bool = True) -> Any:
        """A ``Study`` reading this copy of the trials, for the plots and importances (not
        for intermediate values: see ``whole_study_view``); with ``params`` False, trials may
        lack the params left out of them (for what reads no params)."""
        from tansaku.samplers import RandomSampler
        from tansaku.study import Study

        trials = self.with_params() if params else self.trials
        return Study(self.name, KeptTrialsStorage(self, trials), sampler=RandomSampler(seed=0))

    def whole_study_view(self) -> Any:
        """A ``Study`` reading the storage's whole trials, intermediate values included."""
        from tansaku.samplers import RandomSampler
        from tansaku.study import Study

        return Study(self.name, self.storage, sampler=RandomSampler(seed=0))


def _same(changed: list[FrozenTrial], trials: list[FrozenTrial]) -> bool:
    """Whether the re-read live trials are those already kept (nothing happened)."""
    return all(t.number < len(trials) and trials[t.number] == t for t in changed)


class KeptTrialsStorage(BaseStorage):
    """A read-only storage serving one followed study: its trials from the kept copy, the rest
    from the real storage. Writes raise; the dashboard writes to the real storage."""

    def __init__(self, followed: FollowedStudy, trials: list[FrozenTrial]) -> None:
        self._followed = followed
        self._storage = followed.storage
        self._trials = trials  # one consistent snapshot for one plot

    def _read_only(self) -> Any:
        raise NotImplementedError("the dashboard's view of a study is read-only")

    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        return self._read_only()  # type: ignore[no-any-return]

    def delete_study(self, study_id: int) -> None:
        self._read_only()

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._read_only()

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._read_only()

    def get_study_id_from_name(self, study_name: str) -> int:
        return self._storage.get_study_id_from_name(study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self._followed.name

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return list(self._followed.directions)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._storage.get_study_user_attrs(study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._storage.get_study_system_attrs(study_id)

    def get_all_studies(self) -> list[FrozenStudy]:
        return self._storage.get_all_studies()

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        return self._read_only()  # type: ignore[no-any-return]

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        self._read_only()

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        return self._trials[trial_number]._trial_id

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        return self._read_only()  # type: ignore[no-any-return]

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        self._read_only()

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._read_only()

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._read_only()

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return self._storage.get_trial(trial_id)

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        trials = self._trials
        if states is not None:
            trials = [t for t in trials if t.state in states]
        if deepcopy:
            return [t.__deepcopy__({}) for t in trials]
        return list(trials)
