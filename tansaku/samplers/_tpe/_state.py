"""What a TPESampler keeps about one study between trials, all of it rebuilt from storage.

Finished trials never change, so each one is folded in once, when it is first seen (by a cursor
over the study's trials): into the history's arrays, into the relative search spaces, and, when
a search space asks for it, into that space's encoded observations. The good / bad split is
recomputed once per new finished trial. Running trials change, so they are re-read every trial.
Nothing here is the source of truth: a fresh state rebuilt from storage is the same state, which
is what keeps several processes that share a storage correct.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku.distributions import BaseDistribution
from tansaku.samplers._tpe._encoding import SpaceEncoding, transform
from tansaku.samplers._tpe._history import TrialHistory
from tansaku.samplers._tpe._observations import EncodedObservations
from tansaku.samplers._tpe._split import DominanceSplit, SortedLosses, call_gamma, good_mask
from tansaku.search_space import _SearchSpaceGroup
from tansaku.search_space._intersection import _FinishedTrialCursor, _intersect
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study

# Search spaces whose encoded observations one study keeps (a conditional objective has a few).
_MAX_SPACES = 256
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


class StudyState:
    """The history of one study as the sampler sees it.

    Args:
        study: The study.
        constraints_func_set: A ``constraints_func`` is in use (see :class:`TrialHistory`).
        group: Keep the group-decomposed search space instead of the intersection.
    """

    def __init__(self, study: Study, constraints_func_set: bool, group: bool) -> None:
        self.directions = study.directions
        self.n_objectives = len(self.directions)
        self._constraints_func_set = constraints_func_set
        self._group = group
        self.cursor = _FinishedTrialCursor()
        self.refreshed_for = -1  # the trial number the state was last brought up to date for
        self.live: list[FrozenTrial] = []  # the RUNNING and WAITING trials, as last read
        self._reset()

    def _reset(self) -> None:
        self.history = TrialHistory(self.directions, self._constraints_func_set)
        # The relative search spaces, folded from the same trials as the history: the params
        # every finished trial had alike (None before the first), and the groups of params
        # that always appeared together.
        self._intersection: dict[str, BaseDistribution] | None = None
        self._group_space = _SearchSpaceGroup()
        self._spaces_changed = True
        self._relative_space: dict[str, BaseDistribution] = {}
        self.groups: list[dict[str, BaseDistribution]] = []
        self._sorted_losses = SortedLosses()
        self._dominance_split = DominanceSplit()
        self._split_version = -1
        self._good_rows = np.zeros(0, dtype=np.intp)
        self._bad_rows = np.zeros(0, dtype=np.intp)
        # Encoded observations per search space, keyed by the identity of its distributions.
        self._observations: dict[
            tuple[Any, ...], tuple[tuple[BaseDistribution, ...], EncodedObservations]
        ] = {}

    # -- reading the study ------------------------------------------------------------------------
    def refresh(self, study: Study, trial: FrozenTrial) -> None:
        """Fold in every trial that finished since the last refresh, and re-read the running ones.

        The study is read once per trial (on its first call): trials that finish while
        ``trial`` runs count from the next trial on, as for the relative sample.
        """
        if self.refreshed_for == trial.number:
            return
        self.refreshed_for = trial.number
        advance = self.cursor.read(study)
        if advance.restarted:
            # The study was replaced (a shorter history): fold everything in again.
            self._reset()
        self.live = advance.live
        for finished in advance.new:
            if finished.state in _FINISHED:
                self._fold(finished)

    def _fold(self, trial: FrozenTrial) -> None:
        self.history.append(trial)
        distributions = trial.distributions
        if self._group:
            before = self._group_space.search_spaces
            self._group_space.add_distributions(distributions)
            self._spaces_changed |= self._group_space.search_spaces != before
        else:
            previous = self._intersection
            self._intersection = _intersect(previous, (trial,), _FINISHED)
            self._spaces_changed |= self._intersection is not previous

    # -- what sampling needs --------------------------------------------------------------------
    def relative_search_space(self) -> dict[str, BaseDistribution]:
        """The params to sample together: those every finished trial had alike (or, with
        ``group``, every group's), sorted by name, single-valued ones left out. With ``group``,
        ``self.groups`` holds the groups."""
        if self._spaces_changed:
            if self._group:
                self.groups = [
                    {n: d for n, d in sorted(g.items()) if not d.single()}
                    for g in self._group_space.search_spaces
                ]
                self._relative_space = {n: d for g in self.groups for n, d in g.items()}
            else:
                intersection = sorted((self._intersection or {}).items())
                self._relative_space = {n: d for n, d in intersection if not d.single()}
            self._spaces_changed = False
        return dict(self._relative_space)

    def observed(self, search_space: dict[str, BaseDistribution]) -> EncodedObservations:
        """The history encoded for ``search_space``, brought up to date."""
        key = tuple((name, id(d)) for name, d in search_space.items())
        distributions = tuple(search_space.values())
        cached = self._observations.get(key)
        if cached is not None and all(a is b for a, b in zip(cached[0], distributions)):
            observed = cached[1]
        else:
            if len(self._observations) >= _MAX_SPACES:
                self._observations.clear()
            observed = EncodedObservations(SpaceEncoding(search_space))
            self._observations[key] = (distributions, observed)
        observed.update(self.history)
        return observed

    def split(self, gamma: Callable[[int], int]) -> tuple[np.ndarray, np.ndarray]:
        """History rows of the good and of the bad trials, each in trial-number order."""
        history = self.history
        n = history.n
        if self._split_version == n:
            return self._good_rows, self._bad_rows
        n_good = call_gamma(gamma, n)
        if history.is_plain:
            # One objective, every trial complete and feasible, rows in number order (the usual
            # case): the good rows are the first of the rows kept in order of loss.
            good = np.sort(self._sorted_losses.best(history.loss[:, 0], n_good))
            bad = np.ones(n, dtype=bool)
            bad[good] = False
            self._good_rows, self._bad_rows = good, np.flatnonzero(bad)
        else:
            if history.all_complete_feasible and self.n_objectives > 1:
                # Several objectives, nothing pruned or infeasible: the previous selection
                # often stands (see DominanceSplit).
                mask = np.zeros(n, dtype=bool)
                mask[self._dominance_split.best(history.loss, n_good)] = True
            else:
                mask = good_mask(
                    history.numbers,
                    history.pruned,
                    history.loss,
                    history.step,
                    history.violation,
                    n_good,
                )
            by_number = history.rows_by_number()
            in_order = mask[by_number]
            self._good_rows, self._bad_rows = by_number[in_order], by_number[~in_order]
        self._split_version = n
        return self._good_rows, self._bad_rows

    def running(self, trial: FrozenTrial, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Transformed params (k, len(names)) and numbers (k,) of the running trials other
        than ``trial`` that have every param of ``names``: the constant liar's bad points."""
        rows: list[list[float]] = []
        numbers: list[int] = []
        for live in self.live:
            if live.state is not TrialState.RUNNING or live.number == trial.number:
                continue
            params, distributions = live.params, live.distributions
            if not all(name in params for name in names):
                continue
            rows.append(
                [
                    transform(distributions[n], distributions[n].to_internal_repr(params[n]))
                    for n in names
                ]
            )
            numbers.append(live.number)
        return np.array(rows).reshape(len(rows), len(names)), np.array(numbers, dtype=np.int64)
