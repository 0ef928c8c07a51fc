"""The in-process cache of a study's trials: finished trials are read from the database once.

A finished trial never changes, so after its first read it is served from memory. Each sync
reads only the trials this process has not seen finished: those created since the last sync
(trial ids grow with trial numbers within a study, because trials of a study are created
under a lock on the study's row) and those still running or waiting at the last sync.

Ids are reused: SQLite gives a new row the highest id in its table plus one, so after a study
is deleted (by any process, tansaku or Optuna) a new study, and its new trials, may get the
ids the deleted ones had. A cache keyed by id must then not serve the deleted rows. Nothing in
the schema marks a row's incarnation (and the schema cannot change: Optuna refuses revisions it
does not know), so each sync re-reads the ``trials`` row of one finished trial the cache holds,
its *anchor*, in the sync's own statement, and compares it with the cached copy (see
:func:`same_trial_row`): a study that was deleted takes all its trials with it, so a changed
or missing anchor, or a live trial that came back changed or not at all, means the study the
cache copies is gone, and the cache starts over.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Container, Sequence

from tansaku._internal.study_direction import StudyDirection
from tansaku.distributions import BaseDistribution
from tansaku.trial import FrozenTrial, TrialState

_N_STATES = len(TrialState)


def _number_of(trial: FrozenTrial) -> int:
    return trial.number


class StudyTrials:
    """What one process knows of one study's trials."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything (the study was deleted); the lock stays."""
        self.max_trial_id = -1
        self.finished: list[FrozenTrial] = []
        self.finished_by_number: dict[int, FrozenTrial] = {}
        self.finished_by_state: list[list[FrozenTrial]] = [[] for _ in range(_N_STATES)]
        # trial_id -> the trial as last read, for trials not finished at the last sync.
        self.live: dict[int, FrozenTrial] = {}
        # param name -> the study's distribution of it (the first met): a param write checks
        # against it without the indexed read of the study's params it would take each time.
        self.distributions: dict[str, BaseDistribution] = {}
        # A finished trial held, re-read by every sync to learn whether the study is the same.
        self.anchor: FrozenTrial | None = None
        # The study's directions, valid as long as the anchor is (RDBStorage._directions).
        self.directions: list[StudyDirection] | None = None

    def absorb(self, trials: list[FrozenTrial]) -> None:
        """Take in freshly read trials (those the sync asked for)."""
        last_space: dict[str, BaseDistribution] | None = None
        for trial in trials:
            trial_id = trial._trial_id
            if trial_id > self.max_trial_id:
                self.max_trial_id = trial_id
            # Finished trials of a read share one dict per search space (SharedSpaces): a run
            # of trials in one space is looked at once.
            if trial.distributions is not last_space:
                last_space = trial.distributions
                for name, distribution in last_space.items():
                    self.distributions.setdefault(name, distribution)
            if trial.state.is_finished():
                self.live.pop(trial_id, None)
                if self.anchor is None:
                    self.anchor = trial
                if trial.number in self.finished_by_number:
                    continue
                self.finished_by_number[trial.number] = trial
                self._insert(self.finished, trial)
                self._insert(self.finished_by_state[trial.state], trial)
            else:
                self.live[trial_id] = trial

    @staticmethod
    def _insert(trials: list[FrozenTrial], trial: FrozenTrial) -> None:
        if not trials or trials[-1].number < trial.number:
            trials.append(trial)  # the usual case: trials finish in order
        else:
            bisect.insort(trials, trial, key=_number_of)

    def select(self, states: Container[TrialState] | None) -> list[FrozenTrial]:
        """The trials in ``states`` ordered by number (finished ones shared, not copied)."""
        if states is None:
            finished = self.finished
            live = list(self.live.values())
        else:
            wanted = [state for state in TrialState if state in states]
            finished_lists = [self.finished_by_state[s] for s in wanted if s.is_finished()]
            if len(finished_lists) == 1:
                finished = finished_lists[0]
            else:
                finished = [t for part in finished_lists for t in part]
                if len(finished_lists) > 1:
                    finished.sort(key=_number_of)
            live = [t for t in self.live.values() if t.state in states]
        if not live:
            return list(finished)
        merged = finished + sorted(live, key=_number_of)
        merged.sort(key=_number_of)  # nearly sorted: linear time
        return merged

    def numbered(self, numbers: Sequence[int], from_number: int) -> list[FrozenTrial]:
        """The trials numbered in ``numbers`` (all below ``from_number``) or ``from_number``
        and above, ordered by number: O(len(numbers) + live + new trials)."""
        live_by_number = {trial.number: trial for trial in self.live.values()}
        picked = [
            trial
            for number in numbers
            if (trial := self.finished_by_number.get(number) or live_by_number.get(number))
            is not None
        ]
        first = bisect.bisect_left(self.finished, from_number, key=_number_of)
        tail = self.finished[first:] + [
            trial for number, trial in live_by_number.items() if number >= from_number
        ]
        tail.sort(key=_number_of)  # nearly sorted: linear time
        return picked + tail


def same_trial_row(cached: FrozenTrial, read: FrozenTrial) -> bool:
    """Whether ``read`` (a trial as just read) is the row ``cached`` was read from, later.

    A trial's number never changes, nor its start once it has one, nor anything once it has
    finished; a new trial that took the id of a deleted one was created later, so its start
    differs (to the microsecond the databases keep). Only a copy made with a template that
    repeats the deleted trial's number and times exactly could pass for it.
    """
    if cached.number != read.number:
        return False
    if cached.datetime_start is not None and cached.datetime_start != read.datetime_start:
        return False
    if cached.state.is_finished():
        return read.state is cached.state and read.datetime_complete == cached.datetime_complete
    return True


class JustCreated:
    """Trials this process has just created, each served once to the read that follows.

    ``Study.ask`` reads back the trial it created; the trial as written is that read's answer
    (a read right after the commit would see the same rows), so it needs no transaction. A
    write of this process to the trial drops it; so does the first read. Only the latest few
    are kept, for trials created and never read.
    """

    _KEEP = 64

    def __init__(self) -> None:
        self._trials: dict[int, FrozenTrial] = {}

    def put(self, trial_id: int, trial: FrozenTrial) -> None:
        if len(self._trials) >= self._KEEP:
            self._trials.clear()
        self._trials[trial_id] = trial

    def take(self, trial_id: int) -> FrozenTrial | None:
        return self._trials.pop(trial_id, None)

    def clear(self) -> None:
        self._trials.clear()
