"""The lifecycle states of a trial."""

from __future__ import annotations

import enum


class TrialState(enum.IntEnum):
    """State of a trial.

    ``RUNNING`` and ``WAITING`` (enqueued, not yet started) are live states; ``COMPLETE``,
    ``PRUNED`` and ``FAIL`` are final, and a trial in a final state never changes again.
    """

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def __repr__(self) -> str:
        return f"<TrialState.{self.name}: {self.value}>"

    def __str__(self) -> str:
        return f"TrialState.{self.name}"

    def is_finished(self) -> bool:
        """Return True for the final states COMPLETE, PRUNED and FAIL."""
        return self in FINISHED_STATES


FINISHED_STATES = frozenset((TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL))
