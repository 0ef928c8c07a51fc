"""The group-decomposed search space: params split into groups that always appear together.

A conditional objective suggests different params in different trials. Grouping the params that
every finished trial either suggested all of or none of gives independent sub-spaces, each of
which a joint model (TPE with ``group=True``) can learn from the trials that have it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tansaku._internal.caches import forget_on_escape
from tansaku.distributions import BaseDistribution
from tansaku.search_space._intersection import (
    _FinishedTrialCursor,
    _states_of_interest,
    pinned_study_id,
)

if TYPE_CHECKING:
    from tansaku.study import Study


class _SearchSpaceGroup:
    """A partition of param names into groups of params that always appeared together.

    Each group maps its param names (sorted) to the distribution first seen for them. Groups are
    listed in the order they formed; a group that splits is replaced, in its place, by the part
    the new trial suggested followed by the rest.
    """

    def __init__(self, search_spaces: list[dict[str, BaseDistribution]] | None = None) -> None:
        self._search_spaces: list[dict[str, BaseDistribution]] = [
            dict(group) for group in search_spaces or ()
        ]

    @property
    def search_spaces(self) -> list[dict[str, BaseDistribution]]:
        """The groups, each a dict from param name to distribution."""
        return self._search_spaces

    def add_distributions(self, distributions: dict[str, BaseDistribution]) -> None:
        """Refine the groups with the params of one more trial.

        Each group splits into the params the trial suggested and those it did not; the trial's
        params that no group holds yet form a new group.
        """
        unseen = set(distributions)
        refined: list[dict[str, BaseDistribution]] = []
        for group in self._search_spaces:
            inside = {name: dist for name, dist in group.items() if name in distributions}
            if len(inside) == len(group) or not inside:
                refined.append(group)
            else:
                refined.append(inside)
                refined.append({name: dist for name, dist in group.items() if name not in inside})
            unseen.difference_update(inside)
        if unseen:
            refined.append({name: distributions[name] for name in sorted(unseen)})
        self._search_spaces = refined

    def __repr__(self) -> str:
        return f"_SearchSpaceGroup({self._search_spaces!r})"


class _GroupDecomposedSearchSpace:
    """The groups of params that always appeared together in the completed trials of a study.

    Computed incrementally: each call folds in only the trials that finished since the last one.
    An instance serves one study.

    Args:
        include_pruned: Fold in PRUNED trials too, not only COMPLETE ones.
    """

    def __init__(self, include_pruned: bool = False) -> None:
        self._include_pruned = include_pruned
        self._cursor = _FinishedTrialCursor()
        self._group = _SearchSpaceGroup()
        self._study_id: int | None = None

    def calculate(self, study: Study, use_cache: bool = False) -> _SearchSpaceGroup:
        """Return the groups of ``study``'s params (a copy the caller may keep).

        Args:
            study: The study; the same one on every call.
            use_cache: Accepted for compatibility with Optuna. tansaku always reuses what it
                folded before, and storages cache finished trials, so it changes nothing.

        Raises:
            ValueError: ``study`` is not the study of the earlier calls.
        """
        self._study_id = pinned_study_id(
            self._study_id, study, "_GroupDecomposedSearchSpace.calculate"
        )
        # A trial the cursor handed out must be folded in, or the next call starts over.
        with forget_on_escape(self._forget):
            advance = self._cursor.read(study)
            if advance.restarted:
                self._group = _SearchSpaceGroup()
            states = _states_of_interest(self._include_pruned)
            for trial in advance.new:
                if trial.state in states:
                    self._group.add_distributions(trial.distributions)
        return _SearchSpaceGroup(self._group.search_spaces)

    def _forget(self) -> None:
        self._cursor = _FinishedTrialCursor()
        self._group = _SearchSpaceGroup()
