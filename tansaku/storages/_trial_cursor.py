"""TrialCursor: where a reader of a growing study stands, for reading only what changed since.

Finished trials never change and trial numbers are dense from 0, so what a reader has seen of a
study is summed up by the next number it has not seen and the numbers of the trials that were
still live (RUNNING or WAITING) when it read them. The trials that may have changed since are
exactly those numbered from the next number on and those live ones: a read of them costs
O(new + live trials), not O(history). ``BaseStorage.get_trials_changed_since`` makes that read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tansaku.trial import FrozenTrial


@dataclass(frozen=True, slots=True)
class TrialCursor:
    """What a reader has seen of one study's trials (the start of the study by default).

    Attributes:
        next_number: The number of the first trial the reader has not seen.
        live_numbers: The numbers below ``next_number`` of the trials that were not finished
            when the reader last saw them, in increasing order.
    """

    next_number: int = 0
    live_numbers: tuple[int, ...] = ()

    def advanced(self, changed: Sequence[FrozenTrial]) -> TrialCursor:
        """The cursor after reading ``changed``, the trials read for this cursor."""
        next_number = self.next_number
        live = []
        for trial in changed:
            next_number = max(next_number, trial.number + 1)
            if not trial.state.is_finished():
                live.append(trial.number)
        return TrialCursor(next_number, tuple(sorted(live)))
