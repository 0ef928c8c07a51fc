"""Heartbeats of running trials kept in a journal, judged by each reader's own clock.

A heartbeat is an ordinary journal record, "set trial system attr" with the single key
:data:`HEARTBEAT_KEY`, so a journal with heartbeats stays readable by every reader of the
format (Optuna replays it as a system attr of the trial). tansaku's replay routes the record
here instead of into the trial, so it never shows up in ``trial.system_attrs``.

A trial's first heartbeat rides on the record that starts it: with heartbeats on, the
"create trial" record (and the "set trial state values" record that claims a WAITING trial)
carries the top-level field :data:`HEARTBEAT_KEY` with the time, so a worker killed before its
heartbeat thread first beats still leaves a trial that goes stale. Optuna ignores fields it
does not know in those records.

A trial is stale when its latest heartbeat is older than ``grace_period`` by either of two
clocks:

- the time written in the record, against this process's wall clock. This is what lets a
  process that has just opened the journal (a short-lived worker, started after a worker was
  SIGKILLed) fail the dead worker's trial at once. It assumes that the clocks of the machines
  sharing the journal agree to well within ``grace_period - heartbeat_interval`` (as
  ``RDBStorage`` on SQLite does): a machine whose clock runs ahead by more could fail a live
  trial early.
- when this process *saw* the heartbeat, on its monotonic clock, which no skew can fool: a
  process that stays up fails a dead worker's trial at most ``grace_period`` after it saw the
  last heartbeat, whatever the clocks say.

Heartbeats restored from a snapshot carry no written time (the snapshot keeps only which
trials beat), so they count as seen when this process opened the journal.
"""

from __future__ import annotations

import datetime
import time

# The system attr key of heartbeat records.
HEARTBEAT_KEY = "tansaku:heartbeat"


def is_heartbeat_record(system_attr: dict[str, object]) -> bool:
    """True when a "set trial system attr" record's attrs are a heartbeat."""
    return len(system_attr) == 1 and HEARTBEAT_KEY in system_attr


class HeartbeatLedger:
    """When each running trial's latest heartbeat was seen (monotonic) and written (epoch)."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[float, float | None]] = {}

    def saw(self, trial_id: int, written: float | None = None) -> None:
        """A heartbeat of ``trial_id`` written at ``written`` (epoch seconds) showed up now."""
        self._seen[trial_id] = (time.monotonic(), written)

    def forget(self, trial_id: int) -> None:
        """``trial_id`` finished: its heartbeats no longer matter."""
        self._seen.pop(trial_id, None)

    def trial_ids(self) -> list[int]:
        """The trials with heartbeats, for a snapshot of the replayed state."""
        return sorted(self._seen)

    def restore(self, trial_ids: list[int]) -> None:
        """Count a snapshot's trials with heartbeats as seen now (their times are unknown)."""
        for trial_id in trial_ids:
            self.saw(trial_id)

    def stale(self, trial_ids: list[int], grace_period: float) -> list[int]:
        """Those of ``trial_ids`` whose latest heartbeat is over ``grace_period`` old.

        A trial without any heartbeat is never stale: its worker does not send them.
        """
        seen_deadline = time.monotonic() - grace_period
        written_deadline = time.time() - grace_period
        stale = []
        for trial_id in trial_ids:
            beat = self._seen.get(trial_id)
            if beat is None:
                continue
            seen, written = beat
            if seen < seen_deadline or (written is not None and written < written_deadline):
                stale.append(trial_id)
        return stale


def written_time(text: object) -> float | None:
    """The epoch seconds of a heartbeat record's ISO text (None if it is not one)."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None  # no zone: not comparable across machines
    return moment.timestamp()
