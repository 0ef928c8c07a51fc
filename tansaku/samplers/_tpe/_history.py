"""The finished trials of one study as arrays, appended to as trials finish.

Finished trials never change, so each one is read once, when it is first seen, into preallocated
arrays that double when full: the sampler never rebuilds them from trial objects.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from tansaku._internal.study_direction import StudyDirection
from tansaku._pareto import loss_signs
from tansaku.samplers._tpe._encoding import transform
from tansaku.trial import FrozenTrial, TrialState
from tansaku.trial._constraints import CONSTRAINT_PREFIX, CONSTRAINTS_FUNC_KEY

_INITIAL_ROWS = 64
_INITIAL_COLUMNS = 8


class TrialHistory:
    """COMPLETE and PRUNED trials of one study: numbers, losses, constraint violations and
    params (transformed, see :func:`~tansaku.samplers._tpe._encoding.transform`; NaN where a
    trial lacks the param), one row per trial in the order they were seen.

    Args:
        directions: The study's directions; losses are values with maximized ones negated.
        constraints_func_set: A ``constraints_func`` is in use, so a trial without its
            results counts as infinitely infeasible.
    """

    def __init__(self, directions: Sequence[StudyDirection], constraints_func_set: bool) -> None:
        self._signs = loss_signs(directions)
        self._constraints_func_set = constraints_func_set
        self.n = 0
        self._numbers = np.empty(_INITIAL_ROWS, dtype=np.int64)
        self._pruned = np.empty(_INITIAL_ROWS, dtype=bool)
        self._loss = np.empty((_INITIAL_ROWS, len(directions)))
        self._step = np.empty(_INITIAL_ROWS)
        self._violation = np.empty(_INITIAL_ROWS)
        self._values = np.full((_INITIAL_ROWS, _INITIAL_COLUMNS), np.nan)
        self._columns: dict[str, int] = {}
        self._in_number_order = True
        self._all_plain = True  # complete and feasible so far
        self._rows_by_number: np.ndarray | None = None

    # -- growing --------------------------------------------------------------------------------
    def append(self, trial: FrozenTrial) -> None:
        """Add a COMPLETE or PRUNED trial."""
        row = self.n
        if row == len(self._numbers):
            self._grow_rows()
        if row and trial.number < self._numbers[row - 1]:
            self._in_number_order = False
        self._numbers[row] = trial.number
        pruned = trial.state is TrialState.PRUNED
        self._pruned[row] = pruned
        self._step[row] = -1.0
        if not pruned:
            assert trial.values is not None
            self._loss[row] = np.asarray(trial.values, dtype=float) * self._signs
        elif len(self._signs) == 1 and trial.intermediate_values:
            last_step = max(trial.intermediate_values)
            self._step[row] = last_step
            self._loss[row, 0] = trial.intermediate_values[last_step] * self._signs[0]
        else:
            self._loss[row] = np.nan
        self._violation[row] = violation = self._total_violation(trial)
        if pruned or violation > 0.0:
            self._all_plain = False
        for name, value in trial.params.items():
            column = self._columns.get(name)
            if column is None:
                column = self._add_column(name)
            distribution = trial.distributions[name]
            self._values[row, column] = transform(
                distribution, distribution.to_internal_repr(value)
            )
        self.n = row + 1
        self._rows_by_number = None

    def _grow_rows(self) -> None:
        size = 2 * len(self._numbers)
        self._numbers = _resized(self._numbers, size)
        self._pruned = _resized(self._pruned, size)
        self._loss = _resized(self._loss, size)
        self._step = _resized(self._step, size)
        self._violation = _resized(self._violation, size)
        values = np.full((size, self._values.shape[1]), np.nan)
        values[: self.n] = self._values[: self.n]
        self._values = values

    def _add_column(self, name: str) -> int:
        column = len(self._columns)
        if column == self._values.shape[1]:
            values = np.full((self._values.shape[0], 2 * column), np.nan)
            values[:, :column] = self._values
            self._values = values
        self._columns[name] = column
        return column

    def _total_violation(self, trial: FrozenTrial) -> float:
        """Sum of the positive constraint values (0 when feasible or unconstrained)."""
        attrs = trial.system_attrs
        func_values = attrs.get(CONSTRAINTS_FUNC_KEY)
        if func_values is None and self._constraints_func_set:
            warnings.warn(
                f"TPESampler: trial {trial.number} has no constraint values from "
                "constraints_func; it ranks after every trial that has them.",
                UserWarning,
                stacklevel=2,
            )
            return math.inf
        total = 0.0
        constraint_values = list(func_values or ())
        constraint_values.extend(v for k, v in attrs.items() if k.startswith(CONSTRAINT_PREFIX))
        for value in constraint_values:
            number = float(value)
            if math.isnan(number):
                return math.inf
            total += max(number, 0.0)
        return total

    # -- reading --------------------------------------------------------------------------------
    @property
    def numbers(self) -> np.ndarray:
        """Trial numbers, (n,)."""
        return self._numbers[: self.n]

    @property
    def pruned(self) -> np.ndarray:
        """Whether each trial was pruned, (n,)."""
        return self._pruned[: self.n]

    @property
    def loss(self) -> np.ndarray:
        """Losses to minimize, (n, n_objectives); a pruned trial's last intermediate value."""
        return self._loss[: self.n]

    @property
    def step(self) -> np.ndarray:
        """Last reported step of pruned trials, -1 when none, (n,)."""
        return self._step[: self.n]

    @property
    def violation(self) -> np.ndarray:
        """Total constraint violation, 0 for feasible trials, (n,)."""
        return self._violation[: self.n]

    @property
    def is_plain(self) -> bool:
        """One objective, every trial COMPLETE and feasible, rows in number order."""
        return self._all_plain and self._in_number_order and len(self._signs) == 1

    @property
    def all_complete_feasible(self) -> bool:
        """Every trial is COMPLETE and feasible (any number of objectives, any row order)."""
        return self._all_plain

    def has_param(self, name: str) -> bool:
        """Whether some finished trial has the param ``name``."""
        return name in self._columns

    def values(self, names: Sequence[str]) -> np.ndarray | None:
        """Transformed values of params ``names`` in every row, (n, len(names)), NaN where a
        trial lacks one; None when no finished trial has one of them."""
        try:
            columns = [self._columns[name] for name in names]
        except KeyError:
            return None
        return self._values[: self.n, columns]

    def values_between(self, names: Sequence[str], start: int, stop: int) -> np.ndarray:
        """Transformed values of params ``names`` in rows ``start:stop``, NaN where a trial lacks
        one (or no trial has it), (stop - start, len(names))."""
        result = np.full((stop - start, len(names)), np.nan)
        for j, name in enumerate(names):
            column = self._columns.get(name)
            if column is not None:
                result[:, j] = self._values[start:stop, column]
        return result

    def rows_by_number(self) -> np.ndarray:
        """Row indices ordered by trial number, (n,)."""
        if self._rows_by_number is None:
            if self._in_number_order:
                self._rows_by_number = np.arange(self.n)
            else:
                self._rows_by_number = np.argsort(self.numbers, kind="stable")
        return self._rows_by_number


def _resized(array: np.ndarray, rows: int) -> np.ndarray:
    grown = np.empty((rows, *array.shape[1:]), dtype=array.dtype)
    grown[: len(array)] = array
    return grown
