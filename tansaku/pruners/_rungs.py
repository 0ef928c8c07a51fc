"""The rungs of asynchronous successive halving: the value each trial recorded at each rung.

A trial that reaches a rung records its value there in its own system attrs, under
``completed_rung_<rung>`` (Optuna's key, so studies interoperate). Every worker that shares the
storage reads them back, which is what lets many workers promote asynchronously.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tansaku._internal.caches import forget_on_escape
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study

RUNG_KEY_PREFIX = "completed_rung_"


def rung_key(rung: int) -> str:
    """The system attr key under which a trial records its value at ``rung``."""
    return f"{RUNG_KEY_PREFIX}{rung}"


def current_rung(system_attrs: Mapping[str, Any]) -> int:
    """The first rung the trial has not completed (rungs are completed in order from 0)."""
    rung = 0
    while rung_key(rung) in system_attrs:
        rung += 1
    return rung


def promotion_rank(n_competitors: int, reduction_factor: int) -> int:
    """How many competitors may be ahead of a trial that is still promoted: the top
    ``n // reduction_factor`` are promoted, and at least the best one."""
    return max(n_competitors // reduction_factor - 1, 0)


def _recorded_rungs(system_attrs: Mapping[str, Any]) -> list[tuple[int, float]]:
    recorded = []
    for key, value in system_attrs.items():
        if key.startswith(RUNG_KEY_PREFIX):
            suffix = key[len(RUNG_KEY_PREFIX) :]
            if suffix.isdigit() and str(int(suffix)) == suffix:
                recorded.append((int(suffix), float(value)))
    return recorded


class RungValues:
    """The values every trial of one study recorded at each rung, for ranking a newcomer.

    Finished trials never change, so each is folded in once into a sorted list per rung (a
    cursor over the study's trials, by position, skips the finished prefix); running trials
    are re-read on every call. Ranking a value is then a binary search. Safe to share between
    threads; a copy (pickle) starts empty.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset(None)

    def _reset(self, key: tuple[int, int] | None) -> None:
        self._key = key
        self._watermark = 0  # trials[:watermark] are finished and folded
        self._number_below_watermark = -1
        self._folded_above: set[int] = set()
        self._finished: dict[int, list[float]] = {}  # rung -> sorted values

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._lock = threading.Lock()
        self._reset(None)

    def read(
        self, study: Study, trials: Sequence[FrozenTrial], exclude_number: int
    ) -> dict[int, list[float]]:
        """Fold in the finished trials of ``trials`` (all of the study's, by number) not seen
        yet, and collect what the running ones recorded.

        Returns:
            The values the running trials recorded, by rung, leaving out the trial numbered
            ``exclude_number`` (the one being judged); pass it on to :meth:`standing`.
        """
        key = (id(study._storage), study._study_id)
        # A trial marked folded before all its values were inserted would stay short: a read
        # that anything escapes starts the values over.
        with self._lock, forget_on_escape(self._reset, None):
            watermark = self._watermark
            if (
                key != self._key
                or len(trials) < watermark
                or (watermark and trials[watermark - 1].number != self._number_below_watermark)
            ):
                self._reset(key)
                watermark = 0
            folded_above, finished = self._folded_above, self._finished
            live: dict[int, list[float]] = {}
            for index in range(watermark, len(trials)):
                trial = trials[index]
                if trial.state.is_finished():
                    if trial.number not in folded_above:
                        folded_above.add(trial.number)
                        for rung, value in _recorded_rungs(trial.system_attrs):
                            if not math.isnan(value):
                                bisect.insort(finished.setdefault(rung, []), value)
                    if index == watermark:
                        folded_above.discard(trial.number)
                        watermark += 1
                elif trial.number != exclude_number:
                    for rung, value in _recorded_rungs(trial.system_attrs):
                        live.setdefault(rung, []).append(value)
            self._watermark = watermark
            if watermark:
                self._number_below_watermark = trials[watermark - 1].number
        return live

    def standing(
        self, rung: int, value: float, maximize: bool, live: dict[int, list[float]]
    ) -> tuple[int, int]:
        """Rank ``value`` at ``rung`` among the finished trials' values and ``live`` ones.

        Returns:
            The number of competitors, ``value`` included, and how many of them are strictly
            better than ``value``.
        """
        with self._lock:
            finished = self._finished.get(rung, [])
            running = live.get(rung, ())
            if maximize:
                ahead = len(finished) - bisect.bisect_right(finished, value)
                ahead += sum(1 for other in running if other > value)
            else:
                ahead = bisect.bisect_left(finished, value)
                ahead += sum(1 for other in running if other < value)
            return len(finished) + len(running) + 1, ahead
