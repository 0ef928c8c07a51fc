"""What a proxy client keeps of a study's trials: finished ones are fetched once.

A finished trial never changes, so after its first read it is kept, and each sync asks the
proxy only for the others: those numbered from the first number not yet known finished, except
the finished ones known beyond it (trials finish out of order only by a few). Running and
waiting trials are fetched again by every sync.
"""

from __future__ import annotations

import threading
from collections.abc import Container
from typing import Any, cast

from tansaku.trial import FrozenTrial


class StudyTrials:
    """One study's trials as this client last saw them, ``slots[number]``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # one sync of the study at a time
        self.slots: list[FrozenTrial | None] = []
        self.finished_prefix = 0  # trials numbered below it are all finished and kept
        self.finished_beyond: set[int] = set()  # finished numbers from finished_prefix on

    def request(self) -> dict[str, Any]:
        """What a sync asks the proxy for: the trials not kept."""
        return {"after": self.finished_prefix, "known": sorted(self.finished_beyond)}

    def absorb(self, trials: list[FrozenTrial], n_trials: int) -> bool:
        """Take in a sync's answer; False when it does not fit what is kept (then reset).

        Args:
            trials: The trials the proxy sent.
            n_trials: How many trials the study has.
        """
        slots = self.slots
        if n_trials < len(slots):
            return False
        slots.extend([None] * (n_trials - len(slots)))
        for trial in trials:
            if trial.number >= n_trials:
                return False
            slots[trial.number] = trial
            if trial.state.is_finished():
                self.finished_beyond.add(trial.number)
        if any(trial is None for trial in slots[self.finished_prefix :]):
            return False
        prefix = self.finished_prefix
        while prefix < n_trials and prefix in self.finished_beyond:
            self.finished_beyond.discard(prefix)
            prefix += 1
        self.finished_prefix = prefix
        return True

    def select(self, states: Container[Any] | None) -> list[FrozenTrial]:
        """The trials (shared, not copied) in ``states``, ordered by number."""
        # After a sync that fits, every slot holds a trial.
        trials = cast("list[FrozenTrial]", self.slots)
        if states is None:
            return list(trials)
        return [trial for trial in trials if trial.state in states]

    def finished_trial(self, number: int) -> FrozenTrial | None:
        """The finished trial ``number`` if kept."""
        if number < self.finished_prefix or number in self.finished_beyond:
            return self.slots[number]
        return None


class JustCreated:
    """Trials this client has just created, each served once to the read that follows.

    ``Study.ask`` reads back the trial it created; the proxy sends it with the new id, so that
    read costs no round trip. A write of this client to the trial drops it; so does the first
    read. Only the latest few are kept, for trials created and never read.
    """

    _KEEP = 64

    def __init__(self) -> None:
        self._trials: dict[int, FrozenTrial] = {}

    def put(self, trial: FrozenTrial) -> None:
        if len(self._trials) >= self._KEEP:
            self._trials.clear()
        self._trials[trial._trial_id] = trial

    def take(self, trial_id: int) -> FrozenTrial | None:
        return self._trials.pop(trial_id, None)

    def clear(self) -> None:
        self._trials.clear()
