"""GridSampler: every combination of given values, one per trial, in a random order."""

from __future__ import annotations

import math
import random
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku import logging as tansaku_logging
from tansaku._internal.caches import forget_on_escape
from tansaku._internal.given_values import warn_if_outside
from tansaku._internal.validation import invalid_type
from tansaku.distributions import BaseDistribution
from tansaku.samplers._base import IndependentSampler
from tansaku.search_space._intersection import _FinishedTrialCursor
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study

GridValueType = str | float | int | bool | None

_logger = tansaku_logging.get_logger(__name__)

# Trial system attrs (Optuna's keys, so studies and workers of both interoperate).
GRID_ID_KEY = "grid_id"
SEARCH_SPACE_KEY = "search_space"
FIXED_PARAMS_KEY = "fixed_params"


class GridSampler(IndependentSampler):
    """Try every combination of the given param values, one combination per trial.

    The grid is the product of the value lists, ordered by param name and, within a param, by the
    order given; its points are numbered in that order. Each trial takes a random point among
    those no trial of the study has taken yet (running or finished). Workers sharing a storage
    therefore rarely pick the same point, and need no lock; the threads of one ``optimize`` call
    pick distinct points while untaken ones remain. The point's number and the grid are recorded
    on the trial as the system attrs ``"grid_id"`` and ``"search_space"``, and only trials
    recorded with the same grid count.

    Once every point is finished or being evaluated by a trial of the running ``optimize``
    (its other threads), the sampler stops ``optimize`` (:meth:`Study.stop`); those trials
    finish before it returns, so a threaded run evaluates each point once, except when a thread
    starts a trial in the instant before another takes the last point. A point that only a
    trial outside this ``optimize`` holds (another process, or a trial from :meth:`Study.ask`)
    does not count: when only such points are left, the next trial evaluates one of them again,
    as in Optuna, so ``optimize`` returns only once every point has been evaluated. With
    ask-and-tell nothing is stopped (Optuna raises RuntimeError there). A trial started after
    every point was evaluated takes a random point again.

    An enqueued trial (:meth:`Study.enqueue_trial`) counts as the grid point its params match.
    One enqueued without some grid params takes no point: suggesting a grid param it lacks
    raises ValueError, as in Optuna.

    Args:
        search_space: The values to try, by param name (lists, tuples, ranges or numpy arrays;
            numpy scalars become Python ones). Values are None, bool, int, float or str (other
            types work in memory but cannot be stored persistently: a warning says so). A value
            outside the range the objective passes to ``suggest_*`` is used as given, with a
            warning.
        seed: Seed of the order in which points are taken.

    Raises:
        TypeError: ``search_space`` is not a mapping of sequences of values.
        ValueError: a param has no values.

    Example:
        >>> sampler = GridSampler({"x": [-1.0, 0.0, 1.0], "y": [1, 2]})
        >>> study = tansaku.create_study(sampler=sampler)
        >>> study.optimize(lambda t: t.suggest_float("x", -2, 2) * t.suggest_int("y", 0, 3))
        >>> len(study.trials)
        6
    """

    def __init__(
        self, search_space: Mapping[str, Sequence[GridValueType]], seed: int | None = None
    ) -> None:
        if not isinstance(search_space, Mapping):
            raise invalid_type("GridSampler", "search_space", search_space, "a mapping")
        self._param_names = sorted(search_space)
        self._values: dict[str, tuple[Any, ...]] = {}
        for name in self._param_names:
            self._values[name] = _checked_values(name, search_space[name])
        # The grid as the JSON-ready value recorded on trials and compared to earlier records.
        self._search_space: dict[str, list[Any]] = {
            name: list(values) for name, values in self._values.items()
        }
        # Point ids are mixed-radix numbers, the last param varying fastest, so a point is
        # decoded from its id without building the product.
        self._n_grids = math.prod(len(values) for values in self._values.values())
        self._strides: dict[str, int] = {}
        stride = 1
        for name in reversed(self._param_names):
            self._strides[name] = stride
            stride *= len(self._values[name])
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._cursor = _FinishedTrialCursor()
        self._evaluated = np.zeros(self._n_grids, dtype=bool)  # (n_grids,)
        # Ids of the trials this sampler placed inside an ``optimize`` of this process and not
        # yet seen end: their points will be evaluated before that ``optimize`` returns.
        self._placed_in_optimize: set[int] = set()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        # A copy in another process runs none of the trials of this process's optimize.
        self._placed_in_optimize = set()

    # -- BaseSampler ------------------------------------------------------------------------------
    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        """Pick the trial's grid point and record it on the trial."""
        if GRID_ID_KEY in trial.system_attrs:
            # Already placed, e.g. a failed trial re-queued with its attrs.
            return
        fixed = trial.system_attrs.get(FIXED_PARAMS_KEY)
        study = study._unfiltered_study()
        # The lock makes a pick and its record one step for the threads of this process, so
        # they never pick the same point; other processes see the record in the storage.
        with self._lock:
            evaluated, running_here, running_elsewhere = self._taken_grid_ids(study)
            if fixed is None:
                candidates = None
            elif any(name not in fixed for name in self._param_names):
                # As in Optuna, an enqueued trial gives every grid param it suggests: one it
                # lacks has no grid point to take its value from (sample_independent raises).
                return
            else:
                candidates = self._grid_ids_matching(fixed)
                if candidates is None:
                    # The enqueued params lie off the grid: it is not a grid point.
                    return
            grid_id = self._pick(evaluated, running_here, running_elsewhere, candidates)
            storage = study._storage
            storage.set_trial_system_attr(trial._trial_id, SEARCH_SPACE_KEY, self._search_space)
            storage.set_trial_system_attr(trial._trial_id, GRID_ID_KEY, grid_id)
            if study._in_optimize_loop():
                self._placed_in_optimize.add(trial._trial_id)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        """Return the value of ``param_name`` at the trial's grid point.

        Raises:
            ValueError: ``param_name`` is not in the grid, the trial has no grid point (it was
                enqueued without every grid param, or with params off the grid), or the grid
                value is not one of the choices of a categorical param.
        """
        values = self._values.get(param_name)
        if values is None:
            raise ValueError(
                f"GridSampler: param {param_name!r} is not in the grid; the grid has params "
                f"{self._param_names}. Add it to search_space."
            )
        grid_id = trial.system_attrs.get(GRID_ID_KEY)
        if grid_id is None:
            raise ValueError(
                f"GridSampler: trial {trial.number} has no grid point, so param {param_name!r} "
                "has no value; it was enqueued with params "
                f"{trial.system_attrs.get(FIXED_PARAMS_KEY)} that lack a grid param or are not "
                "on the grid. Enqueue every param the objective suggests."
            )
        value = values[grid_id // self._strides[param_name] % len(values)]
        try:
            internal = param_distribution.to_internal_repr(value)
        except ValueError as error:
            raise ValueError(f"GridSampler: grid value of param {param_name!r}: {error}") from None
        what = f"GridSampler: grid value {value!r} of param {param_name!r}"
        warn_if_outside(param_distribution, internal, what, stacklevel=4)
        return value

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        """Stop ``optimize`` once every grid point is finished or being evaluated by a trial of
        this ``optimize``."""
        # A pruner may hand samplers a view of some trials only; the grid is the whole study's.
        study = study._unfiltered_study()
        if not study._in_optimize_loop():
            # Study.stop only works inside optimize; ask-and-tell users check is_exhausted.
            return
        with self._lock:
            # This trial is still RUNNING in the storage: it counts among this optimize's (and
            # leaves the set when it is seen finished, like the others).
            self._placed_in_optimize.add(trial._trial_id)
            evaluated, running_here, _ = self._taken_grid_ids(study)
            n_done = int(evaluated.sum()) + sum(1 for i in running_here if not evaluated[i])
        if n_done == self._n_grids:
            study.stop()

    # -- public helpers ---------------------------------------------------------------------------
    def is_exhausted(self, study: Study) -> bool:
        """Return True when a finished trial of ``study`` has evaluated every grid point."""
        with self._lock:
            evaluated, _, _ = self._taken_grid_ids(study._unfiltered_study())
        return bool(evaluated.all())

    # -- internals --------------------------------------------------------------------------------
    def _taken_grid_ids(self, study: Study) -> tuple[np.ndarray, set[int], set[int]]:
        """The mask of evaluated grid ids, and the ids running now in trials this sampler placed
        inside an ``optimize`` of this process and in other trials (call under the lock).

        The mask is the sampler's own state: read it, do not modify it. ``study`` must be the
        whole study, not a pruner's view of some of its trials.
        """
        trials = study._storage.get_all_trials(study._study_id, deepcopy=False)
        placed = self._placed_in_optimize
        # A trial the cursor handed out must be marked, or the next call starts over.
        with forget_on_escape(self._forget_evaluated):
            advance = self._cursor.advance(study, trials)
            if advance.restarted:
                self._evaluated = np.zeros(self._n_grids, dtype=bool)
            for finished in advance.new:
                placed.discard(finished._trial_id)
                grid_id = self._own_grid_id(finished)
                if grid_id is not None:
                    self._evaluated[grid_id] = True
        running_here, running_elsewhere = set(), set()
        for live in advance.live:
            grid_id = self._own_grid_id(live)
            if grid_id is not None and live.state is TrialState.RUNNING:
                if live._trial_id in placed:
                    running_here.add(grid_id)
                else:
                    running_elsewhere.add(grid_id)
        return self._evaluated, running_here, running_elsewhere

    def _forget_evaluated(self) -> None:
        self._cursor = _FinishedTrialCursor()
        self._evaluated = np.zeros(self._n_grids, dtype=bool)

    def _own_grid_id(self, trial: FrozenTrial) -> int | None:
        """The trial's grid id if it took a point of this grid (same search space), else None."""
        attrs = trial.system_attrs
        grid_id = attrs.get(GRID_ID_KEY)
        if not isinstance(grid_id, int) or not 0 <= grid_id < self._n_grids:
            return None
        recorded = attrs.get(SEARCH_SPACE_KEY)
        if recorded is self._search_space or recorded == self._search_space:
            return grid_id
        return None

    def _grid_ids_matching(self, fixed: Mapping[str, Any]) -> np.ndarray | None:
        """The grid ids that agree with the enqueued ``fixed`` params, or None if none does."""
        grid_ids = np.arange(self._n_grids)  # (n_grids,)
        mask = np.ones(self._n_grids, dtype=bool)
        for name, fixed_value in fixed.items():
            values = self._values.get(name)
            if values is None:
                continue
            allowed = [i for i, value in enumerate(values) if _same_value(value, fixed_value)]
            if not allowed:
                return None
            digits = grid_ids // self._strides[name] % len(values)
            mask &= np.isin(digits, allowed)
        return grid_ids[mask]

    def _pick(
        self,
        evaluated: np.ndarray,
        running_here: set[int],
        running_elsewhere: set[int],
        candidates: np.ndarray | None,
    ) -> int:
        """A random grid id among ``candidates`` (None: all): untaken if possible, else not yet
        evaluated, held outside this ``optimize`` first, else any."""
        fixed = candidates is not None
        if candidates is None:
            candidates = np.arange(self._n_grids)
        free = candidates[~evaluated[candidates]]
        held_here = np.isin(free, list(running_here))
        held_elsewhere = np.isin(free, list(running_elsewhere))
        untaken = free[~held_here & ~held_elsewhere]
        not_held_here = free[~held_here]
        if len(untaken) > 0:
            pool = untaken
        elif len(not_held_here) > 0:
            pool = not_held_here
        elif len(free) > 0:
            pool = free
        else:
            if not fixed:
                _logger.warning(
                    "GridSampler: every grid point has been evaluated, so this trial re-evaluates "
                    "a random one (is_exhausted(study) tells when to stop asking)."
                )
            pool = candidates
        return int(pool[self._rng.randrange(len(pool))])


def _checked_values(name: str, values: Any) -> tuple[Any, ...]:
    where = f"GridSampler: search_space[{name!r}]"
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise TypeError(f"{where} must be a sequence of values, got {values!r}")
    # numpy scalars (from np.linspace, np.arange, ...) become Python ones, which JSON can store.
    checked = tuple(value.item() if isinstance(value, np.generic) else value for value in values)
    if len(checked) == 0:
        raise ValueError(f"{where}={list(checked)!r} must hold at least one value")
    for value in checked:
        if value is not None and not isinstance(value, bool | int | float | str):
            warnings.warn(
                f"{where} holds {value!r} of type {type(value).__name__}, which is not one of "
                "None, bool, int, float or str; it cannot be stored persistently.",
                UserWarning,
                stacklevel=4,
            )
            break
    return checked


def _same_value(grid_value: Any, value: Any) -> bool:
    # bool is an int in Python; True must not match the grid value 1.
    if isinstance(grid_value, bool) != isinstance(value, bool):
        return False
    try:
        return bool(grid_value == value)
    except Exception:
        return False
