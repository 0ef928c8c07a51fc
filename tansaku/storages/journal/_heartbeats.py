"""Heartbeats of running trials kept in a journal, judged by each reader's own clock.

A heartbeat is an ordinary journal record, "set trial system attr" with the single key
:data:`HEARTBEAT_KEY`, so a journal with heartbeats stays readable by every reader of the
format (Optuna replays it as a system attr of the trial). tansaku's replay routes the record
here instead of into the trial, so it never shows up in ``trial.system_attrs``.

Staleness is judged by when this process *saw* a trial's latest heartbeat, on its monotonic
clock, not by the time written in the record: workers on several machines share a journal
but not a clock, and a reader's own clock cannot be skewed against itself. A trial is stale
when no new heartbeat of it has shown up for ``grace_period`` seconds of this process's
time. A process that opens the journal (or syncs after a long pause) counts the heartbeats it
finds as seen just then, so it waits a full grace period before failing a trial: it may fail a
dead worker's trial late, never a live one early.
"""

from __future__ import annotations

import time

# The system attr key of heartbeat records.
HEARTBEAT_KEY = "tansaku:heartbeat"


def is_heartbeat_record(system_attr: dict[str, object]) -> bool:
    """True when a "set trial system attr" record's attrs are a heartbeat."""
    return len(system_attr) == 1 and HEARTBEAT_KEY in system_attr


class HeartbeatLedger:
    """When this process last saw a heartbeat of each running trial (monotonic seconds)."""

    def __init__(self) -> None:
        self._seen: dict[int, float] = {}

    def saw(self, trial_id: int) -> None:
        """A heartbeat of ``trial_id`` showed up just now."""
        self._seen[trial_id] = time.monotonic()

    def forget(self, trial_id: int) -> None:
        """``trial_id`` finished: its heartbeats no longer matter."""
        self._seen.pop(trial_id, None)

    def trial_ids(self) -> list[int]:
        """The trials with heartbeats, for a snapshot of the replayed state."""
        return sorted(self._seen)

    def restore(self, trial_ids: list[int]) -> None:
        """Count a snapshot's trials with heartbeats as seen now."""
        for trial_id in trial_ids:
            self.saw(trial_id)

    def stale(self, trial_ids: list[int], grace_period: float) -> list[int]:
        """Those of ``trial_ids`` whose latest heartbeat was seen over ``grace_period`` ago.

        A trial without any heartbeat is never stale: its worker does not send them.
        """
        deadline = time.monotonic() - grace_period
        return [
            trial_id
            for trial_id in trial_ids
            if trial_id in self._seen and self._seen[trial_id] < deadline
        ]
