"""BruteForceSampler: every combination of a finite, possibly conditional, search space."""

from __future__ import annotations

import copy
import decimal
import math
import random
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tansaku._internal.caches import forget_on_escape
from tansaku._internal.deprecation import warn_experimental
from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.samplers._base import IndependentSampler
from tansaku.search_space._intersection import _FinishedTrialCursor
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study

# Candidate lists kept per distribution before the cache is reset (dynamic ranges make many).
_CANDIDATE_CACHE_SIZE = 4096
# Tolerance, relative to the step, under which a float from elsewhere counts as a grid point.
_GRID_TOLERANCE = 1e-9


class _Node:
    """A prefix of params: what trials suggested, in order, up to this point.

    An unexpanded node (``children is None``) is a leaf we know nothing below; it is *open* until
    a finished trial ended there (``closed``). Expanding it records the next param the objective
    suggests after the prefix, with one child per candidate value. ``n_open`` counts the open
    leaves below (itself, when unexpanded) and ``n_total`` all leaves below.
    """

    __slots__ = ("param_name", "distribution", "children", "closed", "n_open", "n_total")

    def __init__(self) -> None:
        self.param_name: str | None = None
        self.distribution: BaseDistribution | None = None
        self.children: dict[float, _Node] | None = None
        self.closed = False
        self.n_open = 1
        self.n_total = 1


class _Tree:
    """The tree of every prefix the objective suggested, with open-leaf counts kept current."""

    def __init__(self) -> None:
        self.root = _Node()
        # How many subtrees were replaced because a trial contradicted them.
        self.n_rebuilt = 0

    def walk(
        self, path: Iterable[tuple[str, BaseDistribution, Sequence[float], float]], rebuild: bool
    ) -> list[_Node] | None:
        """Follow ``path`` (name, distribution, candidates, value) from the root, expanding the
        nodes it is the first to pass; return the nodes visited, or None when the path leaves the
        tree (a value off the grid, or a contradiction that ``rebuild`` does not allow)."""
        nodes = [self.root]
        for name, distribution, candidates, value in path:
            if not self.expand(nodes, name, distribution, candidates, rebuild):
                return None
            children = nodes[-1].children
            assert children is not None
            child = children.get(value)
            if child is None:
                return None
            nodes.append(child)
        return nodes

    def expand(
        self,
        nodes: list[_Node],
        name: str,
        distribution: BaseDistribution,
        candidates: Sequence[float],
        rebuild: bool,
    ) -> bool:
        """Make ``nodes[-1]`` the node of param ``name`` with ``candidates`` as children.

        A node that already holds another param (or other values) means the objective changed.
        With ``rebuild`` the node's subtree is replaced, so the newest trial's space wins;
        without, nothing changes and the result is False.
        """
        node = nodes[-1]
        if node.children is None:
            old_open, old_total = (0 if node.closed else 1), 1
        elif node.param_name == name and (
            node.distribution == distribution or node.children.keys() == set(candidates)
        ):
            return True
        elif not rebuild:
            return False
        else:
            old_open, old_total = node.n_open, node.n_total
            self.n_rebuilt += 1
        node.param_name = name
        node.distribution = distribution
        node.children = {value: _Node() for value in candidates}
        # A trial that ended here before suggesting ``name`` (pruned or failed midway) explored
        # none of the leaves below, so the node is open again.
        node.closed = False
        for ancestor in nodes:
            ancestor.n_open += len(candidates) - old_open
            ancestor.n_total += len(candidates) - old_total
        return True

    @staticmethod
    def close(nodes: list[_Node]) -> None:
        """Mark the leaf at the end of ``nodes`` explored by a finished trial."""
        end = nodes[-1]
        if end.children is not None or end.closed:
            return
        end.closed = True
        for ancestor in nodes:
            ancestor.n_open -= 1


class BruteForceSampler(IndependentSampler):
    """Try every combination of a finite search space, conditional params included.

    The sampler learns the space from what the objective suggests: it keeps a tree whose paths
    are the params of earlier trials in the order they were suggested, and at each ``suggest``
    picks a branch that still has unexplored combinations, weighted by how many it has. A branch
    no trial entered yet counts as large as its explored siblings, so it is explored early
    instead of starved. When the whole tree is explored the sampler stops ``optimize``
    (:meth:`Study.stop`; ask-and-tell is not stopped), and a trial started after that repeats a
    random combination.

    The history is folded in incrementally (finished trials never change), so one ``suggest``
    costs about the depth of the tree plus the trials still running, not the length of the study.

    Every distribution must be finite: categorical, int, or float with ``step``. The objective
    must suggest the same params in the same order for the same earlier values: a ``suggest``
    that contradicts the finished trials that agree with the trial so far (another param, or
    another range) raises ValueError, as in Optuna. Finished trials that contradict each other
    (e.g. written by an older objective in another process) are folded in with a warning, the
    newest winning. A trial with values off the grid is left out of the tree.

    Args:
        seed: Seed of the order in which combinations are tried. With several workers the order
            also depends on timing.
        avoid_premature_stop: By default a running trial counts as exploring everything below the
            params it has suggested so far, and a FAIL trial counts as explored; several workers
            may then stop before every combination has run. With True only COMPLETE and PRUNED
            trials count: the search is strictly exhaustive, FAIL combinations are retried, and
            workers may duplicate combinations that are still running.

    Raises:
        ValueError: (at ``suggest``) a float param has no ``step``.

    Example:
        >>> def objective(trial):
        ...     kind = trial.suggest_categorical("kind", ["linear", "tree"])
        ...     if kind == "tree":
        ...         return trial.suggest_int("depth", 1, 3)
        ...     return 0.0
        >>> study = tansaku.create_study(sampler=BruteForceSampler())
        >>> study.optimize(objective)
        >>> len(study.trials)
        4
    """

    def __init__(self, seed: int | None = None, avoid_premature_stop: bool = False) -> None:
        warn_experimental("BruteForceSampler")
        self._rng = random.Random(seed)
        self._avoid_premature_stop = avoid_premature_stop
        self._lock = threading.Lock()
        self._cursor = _FinishedTrialCursor()
        self._tree = _Tree()
        self._candidates: dict[BaseDistribution, tuple[float, ...]] = {}
        self._warned_conflict = False
        # Params that PartialFixedSampler holds at these values (see _for_fixed_params).
        self._fixed: dict[str, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _for_fixed_params(self, fixed_params: Mapping[str, Any]) -> BruteForceSampler:
        """A copy that explores the combinations of the params not in ``fixed_params``.

        Its tree leaves out the fixed params, and the trials whose values of them differ from
        the fixed ones (they explored another part of the space), so the study stops once the
        free params' combinations have run with the fixed values. The copy draws the sequence
        this sampler would draw next.
        """
        restricted = copy.copy(self)  # a new lock, through __getstate__ / __setstate__
        restricted._rng = copy.deepcopy(self._rng)
        restricted._cursor = _FinishedTrialCursor()
        restricted._tree = _Tree()
        restricted._candidates = {}
        restricted._warned_conflict = False
        restricted._fixed = {**self._fixed, **fixed_params}
        return restricted

    # -- BaseSampler ------------------------------------------------------------------------------
    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        """Pick a value of ``param_name`` that leads to unexplored combinations.

        Raises:
            ValueError: ``param_distribution`` is a float distribution without ``step``, or
                earlier trials with the same params so far suggested another param or range
                here.
        """
        if param_distribution.single():
            # A param of one value takes no branch; trials set it without asking, so it is not
            # in the tree (see _walk).
            return param_distribution.to_external_repr(_single_internal(param_distribution))
        candidates = self._candidates_of(param_name, param_distribution)
        with self._lock, forget_on_escape(self._forget_tree):
            running = self._update(study._unfiltered_study(), trial.number)
            n_rebuilt = self._tree.n_rebuilt
            nodes = self._walk(trial, rebuild=True)
            choice = None
            if nodes is not None:
                node = nodes[-1]
                if not self._tree.expand(
                    nodes, param_name, param_distribution, candidates, rebuild=False
                ):
                    raise ValueError(
                        f"BruteForceSampler: trial {trial.number} suggests {param_name!r} with "
                        f"{param_distribution!r} where earlier trials with the same params "
                        f"before it suggested {node.param_name!r} with {node.distribution!r}; "
                        "the search space must not change between trials"
                    )
                choice = self._choose(node, self._running_below(running))
            if nodes is None or self._tree.n_rebuilt != n_rebuilt:
                self._warn_conflict(trial)
            if choice is None:
                choice = candidates[self._rng.randrange(len(candidates))]
        return param_distribution.to_external_repr(choice)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        """Stop ``optimize`` when this trial explored the last open combination."""
        # A pruner may hand samplers a view of some trials only; the space is the whole study's.
        study = study._unfiltered_study()
        if not study._in_optimize_loop():
            # Study.stop only works inside optimize; ask-and-tell has nothing to stop.
            return
        with self._lock, forget_on_escape(self._forget_tree):
            running = self._update(study, trial.number)
            if self._explores(state) and self._has_fixed_values(trial):
                nodes = self._walk(trial, rebuild=True)
                if nodes is not None:
                    self._tree.close(nodes)
            root = self._tree.root
            n_open = root.n_open
            if not self._avoid_premature_stop:
                n_open -= self._running_below(running).get(id(root), 0)
        if n_open == 0:
            study.stop()

    # -- internals --------------------------------------------------------------------------------
    def _explores(self, state: TrialState) -> bool:
        if state is TrialState.FAIL:
            return not self._avoid_premature_stop
        return state in (TrialState.COMPLETE, TrialState.PRUNED)

    def _forget_tree(self) -> None:
        """Drop the tree, to be rebuilt from the storage on the next call: whatever escaped an
        update may have left a trial taken from the history but not folded in, or the open
        counts of a path half updated."""
        self._cursor = _FinishedTrialCursor()
        self._tree = _Tree()

    def _update(self, study: Study, current_number: int) -> list[list[_Node]]:
        """Fold the newly finished trials of ``study`` (the whole study, not a pruner's view)
        into the tree; return the paths of the other running trials (call under the lock)."""
        trials = study._storage.get_all_trials(study._study_id, deepcopy=False)
        advance = self._cursor.advance(study, trials)
        if advance.restarted:
            self._tree = _Tree()
        for finished in advance.new:
            if self._explores(finished.state) and self._has_fixed_values(finished):
                n_rebuilt = self._tree.n_rebuilt
                nodes = self._walk(finished, rebuild=True)
                if nodes is not None:
                    self._tree.close(nodes)
                if nodes is None or self._tree.n_rebuilt != n_rebuilt:
                    self._warn_conflict(finished)
        running = []
        for live in advance.live:
            if (
                live.state is TrialState.RUNNING
                and live.number != current_number
                and self._has_fixed_values(live)
            ):
                # A running trial that contradicts the tree is ignored, not trusted: it may
                # have started before the objective changed.
                nodes = self._walk(live, rebuild=False)
                if nodes is not None:
                    running.append(nodes)
        return running

    def _has_fixed_values(self, trial: FrozenTrial) -> bool:
        """Whether ``trial`` has the fixed params' values (those it suggested: a conditional
        fixed param it never reached does not set it apart)."""
        for name, value in self._fixed.items():
            distribution = trial.distributions.get(name)
            if distribution is None:
                continue
            try:
                if distribution.to_internal_repr(value) != distribution.to_internal_repr(
                    trial.params[name]
                ):
                    return False
            except ValueError:
                return False
        return True

    def _walk(self, trial: FrozenTrial, rebuild: bool) -> list[_Node] | None:
        path = []
        for name, distribution in trial.distributions.items():
            if name in self._fixed:
                # Held by PartialFixedSampler: not a branch (trials with other values are left
                # out before the walk, by _has_fixed_values).
                continue
            if distribution.single():
                # Trial.suggest sets a param of one value without asking the sampler, so the
                # tree never gets a node for it while the trial runs: leave it out here too.
                continue
            candidates = self._candidates_or_none(distribution)
            if candidates is None:
                return None
            value = _grid_value(distribution, candidates, trial.params[name])
            if value is None:
                return None
            path.append((name, distribution, candidates, value))
        return self._tree.walk(path, rebuild)

    def _running_below(self, running: list[list[_Node]]) -> dict[int, int]:
        """For each node (by id), how many open leaves below it running trials hold."""
        counts: dict[int, int] = {}
        seen: set[int] = set()
        for nodes in running:
            end = nodes[-1]
            # Only an open leaf is held: a running trial ending inside the tree has more
            # params to suggest, and those leaves stay open to everyone.
            if end.children is not None or end.closed or id(end) in seen:
                continue
            seen.add(id(end))
            for node in nodes:
                counts[id(node)] = counts.get(id(node), 0) + 1
        return counts

    def _choose(self, node: _Node, running_below: dict[int, int]) -> float | None:
        """A child of ``node`` with open leaves, weighted by how many; None if it has none."""
        assert node.children is not None
        keys = list(node.children)
        children = list(node.children.values())
        free = [child.n_open - running_below.get(id(child), 0) for child in children]
        if max(free) <= 0:
            if not self._avoid_premature_stop:
                return None
            # Only leaves that running trials hold are left: strictly exhaustive means running
            # them too.
            free = [child.n_open for child in children]
            if max(free) <= 0:
                return None
        # An unexpanded child hides an unknown number of leaves: guess as many as its expanded
        # siblings have on average, so branches no trial entered yet are not starved.
        expanded_totals = [child.n_total for child in children if child.children is not None]
        guess = sum(expanded_totals) / len(expanded_totals) if expanded_totals else 1.0
        weights = [
            0.0 if n <= 0 else (guess if child.children is None else float(n))
            for n, child in zip(free, children)
        ]
        return self._rng.choices(keys, weights)[0]

    def _candidates_of(self, name: str, distribution: BaseDistribution) -> tuple[float, ...]:
        candidates = self._candidates_or_none(distribution)
        if candidates is None:
            raise ValueError(
                f"BruteForceSampler: param {name!r} has {distribution!r}, which holds infinitely "
                "many values; give suggest_float a step (only categorical, int and stepped "
                "float params can be searched exhaustively)"
            )
        return candidates

    def _candidates_or_none(self, distribution: BaseDistribution) -> tuple[float, ...] | None:
        candidates = self._candidates.get(distribution)
        if candidates is None:
            candidates = _enumerate(distribution)
            if candidates is None:
                return None
            if len(self._candidates) >= _CANDIDATE_CACHE_SIZE:
                self._candidates.clear()
            self._candidates[distribution] = candidates
        return candidates

    def _warn_conflict(self, trial: FrozenTrial) -> None:
        if self._warned_conflict:
            return
        self._warned_conflict = True
        warnings.warn(
            f"BruteForceSampler: the params of trial {trial.number} ({trial.params}) do not fit "
            "those earlier trials suggested in the same order, or lie off the grid (did the "
            "objective's params or ranges change?); combinations may be skipped or repeated.",
            UserWarning,
            stacklevel=2,
        )


def _single_internal(distribution: BaseDistribution) -> float:
    """The internal value of a distribution of one value (its first choice, or its low end)."""
    if isinstance(distribution, CategoricalDistribution):
        return 0.0
    assert isinstance(distribution, FloatDistribution | IntDistribution)
    return float(distribution.low)


def _enumerate(distribution: BaseDistribution) -> tuple[float, ...] | None:
    """The internal values of a finite distribution, in order; None for a continuous one."""
    if isinstance(distribution, CategoricalDistribution):
        return tuple(float(i) for i in range(len(distribution.choices)))
    if isinstance(distribution, IntDistribution):
        return tuple(
            float(v) for v in range(distribution.low, distribution.high + 1, distribution.step)
        )
    if isinstance(distribution, FloatDistribution):
        if distribution.step is None:
            return None
        # Decimal arithmetic gives the values a user writes (0.3, not 0.30000000000000004).
        low = decimal.Decimal(str(distribution.low))
        step = decimal.Decimal(str(distribution.step))
        n_steps = int((decimal.Decimal(str(distribution.high)) - low) // step)
        return tuple(float(low + k * step) for k in range(n_steps + 1))
    return None


def _grid_value(
    distribution: BaseDistribution, candidates: Sequence[float], external: Any
) -> float | None:
    """The candidate that a stored param value stands for, or None if it is off the grid."""
    try:
        internal = distribution.to_internal_repr(external)
    except ValueError:
        return None
    if isinstance(distribution, FloatDistribution) and distribution.step is not None:
        # Values from other samplers may carry float rounding; snap them to the grid.
        k = round((internal - distribution.low) / distribution.step)
        if 0 <= k < len(candidates) and math.isclose(
            candidates[k], internal, rel_tol=0.0, abs_tol=_GRID_TOLERANCE * distribution.step
        ):
            return candidates[k]
        return None
    return internal
