"""The intersection search space: the params every finished trial of a study suggested alike.

Also home of :class:`_FinishedTrialCursor`, the incremental reader of a study's history that the
search spaces and the exhaustive samplers share: finished trials never change, so anything folded
from them is folded once.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from tansaku._internal.caches import forget_on_escape
from tansaku.distributions import BaseDistribution
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study


def _number_of(trial: FrozenTrial) -> int:
    return trial.number


class _Advance(NamedTuple):
    """What a :class:`_FinishedTrialCursor` saw since its last call."""

    new: list[FrozenTrial]
    """Finished trials not handed out before."""
    live: list[FrozenTrial]
    """RUNNING and WAITING trials (those at or above the watermark: all of them)."""
    restarted: bool
    """The cursor started over (another study, or a shorter history): drop what was folded."""


class _FinishedTrialCursor:
    """Hand out each finished trial of one study exactly once, however often it is asked.

    It remembers the trial number below which every trial has been handed out, plus the numbers
    handed out above it (with several workers, trials finish out of order). Each call looks only
    at the trials from that number on, so the cost follows the trials still running and those new
    since the last call, not the length of the history.
    """

    __slots__ = ("_study_key", "_watermark", "_handed_out")

    def __init__(self) -> None:
        self._study_key: tuple[int, int] | None = None
        self._watermark = 0
        self._handed_out: set[int] = set()

    def advance(self, study: Study, trials: Sequence[FrozenTrial]) -> _Advance:
        """Split the part of ``trials`` not handed out yet into new finished and live trials.

        Args:
            study: The study the trials belong to; another study starts the cursor over.
            trials: The trials of the study, ordered by number (``get_trials(deepcopy=False)``);
                or those from the watermark on, when the cursor has handed out some.
        """
        key = (id(study._storage), study._study_id)
        last_number = trials[-1].number if trials else -1
        restarted = False
        if key != self._study_key or last_number < self._watermark - 1:
            restarted = self._study_key is not None
            self._study_key = key
            self._watermark = 0
            self._handed_out = set()
        start = bisect.bisect_left(trials, self._watermark, key=_number_of)
        handed_out = self._handed_out
        new: list[FrozenTrial] = []
        live: list[FrozenTrial] = []
        for trial in trials[start:]:
            if not trial.state.is_finished():
                live.append(trial)
            elif trial.number not in handed_out:
                handed_out.add(trial.number)
                new.append(trial)
        while self._watermark in handed_out:
            handed_out.remove(self._watermark)
            self._watermark += 1
        return _Advance(new, live, restarted)

    def read(self, study: Study) -> _Advance:
        """:meth:`advance` over the trials of ``study``, reading only those from the
        watermark on (``BaseStorage._get_trials_from``) once it has handed out some."""
        if self._watermark and self._study_key == (id(study._storage), study._study_id):
            recent = study._storage._get_trials_from(study._study_id, self._watermark)
            if recent:
                return self.advance(study, recent)
            # No trial at or above the watermark: the history may have shrunk (the study
            # was replaced); the whole history tells.
        return self.advance(study, study.get_trials(deepcopy=False))


def _states_of_interest(include_pruned: bool) -> tuple[TrialState, ...]:
    if include_pruned:
        return (TrialState.COMPLETE, TrialState.PRUNED)
    return (TrialState.COMPLETE,)


def _intersect(
    search_space: dict[str, BaseDistribution] | None,
    trials: Iterable[FrozenTrial],
    states: tuple[TrialState, ...],
) -> dict[str, BaseDistribution] | None:
    """Fold ``trials`` in ``states`` into ``search_space`` (None: no trial folded yet).

    Returns ``search_space`` itself when no trial changed it, so a caller that folds one trial
    at a time (TPE's state) can tell a change by identity.
    """
    for trial in trials:
        if trial.state not in states:
            continue
        distributions = trial.distributions
        if search_space is None:
            search_space = dict(distributions)
            continue
        # Trials read from one storage share distribution objects: ``is`` settles most.
        kept = {
            name: distribution
            for name, distribution in search_space.items()
            if (other := distributions.get(name)) is distribution or other == distribution
        }
        if len(kept) != len(search_space):
            search_space = kept
    return search_space


def _sorted(search_space: Mapping[str, BaseDistribution] | None) -> dict[str, BaseDistribution]:
    return dict(sorted((search_space or {}).items()))


def pinned_study_id(pinned: int | None, study: Study, where: str) -> int:
    """The id of the one study a search space folds: ``study``'s on the first call (``pinned``
    None), else ``pinned``, which ``study`` must have.

    Raises:
        ValueError: ``study`` is another study than the one of the earlier calls.
    """
    if pinned is None:
        return study._study_id
    if pinned != study._study_id:
        raise ValueError(
            f"{where}: study={study.study_name!r} (id {study._study_id}) must be the study of "
            f"the earlier calls (id {pinned})"
        )
    return pinned


class IntersectionSearchSpace:
    """The params that every completed trial of a study suggested, with the same distribution.

    A param whose distribution changed between trials (a dynamic range) is left out. The space is
    computed incrementally: each call folds in only the trials that finished since the last one,
    so asking for it before every trial stays cheap as the study grows.

    An instance serves one study; pass the same study to every :meth:`calculate` call.

    Args:
        include_pruned: Fold in PRUNED trials too, not only COMPLETE ones.

    Example:
        >>> space = IntersectionSearchSpace()
        >>> study.optimize(objective, n_trials=10)
        >>> space.calculate(study)  # {"x": FloatDistribution(...), "y": IntDistribution(...)}
    """

    def __init__(self, include_pruned: bool = False) -> None:
        self._include_pruned = include_pruned
        self._cursor = _FinishedTrialCursor()
        self._search_space: dict[str, BaseDistribution] | None = None
        self._study_id: int | None = None

    def calculate(self, study: Study, use_cache: bool = False) -> dict[str, BaseDistribution]:
        """Return the intersection search space of ``study``, sorted by param name.

        Args:
            study: The study; the same one on every call.
            use_cache: Accepted for compatibility with Optuna. tansaku always reuses what it
                folded before, and storages cache finished trials, so it changes nothing.

        Returns:
            A new dict from param name to distribution (empty before any trial completed).

        Raises:
            ValueError: ``study`` is not the study of the earlier calls.
        """
        self._study_id = pinned_study_id(
            self._study_id, study, "IntersectionSearchSpace.calculate"
        )
        # A trial the cursor handed out must be folded in, or the next call starts over.
        with forget_on_escape(self._forget):
            advance = self._cursor.read(study)
            if advance.restarted:
                self._search_space = None
            self._search_space = _intersect(
                self._search_space, advance.new, _states_of_interest(self._include_pruned)
            )
        return _sorted(self._search_space)

    def _forget(self) -> None:
        self._cursor = _FinishedTrialCursor()
        self._search_space = None


def intersection_search_space(
    trials: Sequence[FrozenTrial], include_pruned: bool = False
) -> dict[str, BaseDistribution]:
    """Return the params that every completed trial in ``trials`` suggested alike.

    The one-shot form of :class:`IntersectionSearchSpace`, for a list of trials at hand; a sampler
    that asks before every trial should keep an :class:`IntersectionSearchSpace` instead.

    Args:
        trials: The trials to intersect; those not COMPLETE (or PRUNED, see below) are skipped.
        include_pruned: Intersect PRUNED trials too.

    Returns:
        A dict from param name to distribution, sorted by name.
    """
    return _sorted(_intersect(None, trials, _states_of_interest(include_pruned)))
