"""WilcoxonPruner: prune a trial that a signed-rank test finds worse than the best trial."""

from __future__ import annotations

import functools
import math
import operator
import threading
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.study_direction import StudyDirection
from tansaku._internal.validation import invalid
from tansaku.pruners._base import BasePruner
from tansaku.pruners._signed_rank import signed_rank_pvalue
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study


def _mean(values: Iterable[float]) -> float:
    # Added one by one in order, as a plain loop does, so equal means compare equal.
    items = list(values)
    return functools.reduce(operator.add, items, 0.0) / len(items)


class WilcoxonPruner(BasePruner):
    """Prune a trial whose values are significantly worse than the best trial's on the same
    instances, by a one-sided Wilcoxon signed-rank test.

    Here a step is an instance (a fold, a problem, a data set), not a time: the objective
    evaluates instances in any order and reports each under its own step, and usually returns
    the mean. The trial is compared with the study's best trial on the steps both reported:
    the paired differences are tested (``scipy.stats.wilcoxon`` semantics, zeros split
    between the signs), and the trial is pruned when the p-value is below ``p_threshold`` -
    unless its mean over its own steps is at least as good as the best trial's mean over its
    steps. Steps the best trial lacks are ignored with a warning; a trial or best trial with a
    non-finite value is never pruned (with a warning).

    What it reads: the trial's own values and the best trial (its values are kept once per
    best trial). The test is computed without scipy's per-call overhead, with the same
    p-values (see ``_signed_rank``). Experimental, as in Optuna.

    Args:
        p_threshold: Prune when the p-value is below it; in [0, 1].
        n_startup_steps: Never prune with fewer shared steps than this (and never below 2).

    Raises:
        ValueError: an argument is out of its range.
    """

    def __init__(self, *, p_threshold: float = 0.1, n_startup_steps: int = 2) -> None:
        where = type(self).__name__
        # Warned first, as Optuna does, so the warning comes even with bad arguments.
        warn_experimental(where)
        if n_startup_steps < 0:
            raise invalid(where, "n_startup_steps", n_startup_steps, "must be >= 0")
        if not 0.0 <= p_threshold <= 1.0:
            raise invalid(where, "p_threshold", p_threshold, "must be in [0, 1]")
        self._p_threshold = p_threshold
        self._n_startup_steps = n_startup_steps
        self._lock = threading.Lock()
        self._best: tuple[int, int, int, dict[int, float], float, bool] | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        state["_best"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        intermediate = trial.intermediate_values
        if not intermediate:
            return False
        if not all(math.isfinite(v) for v in intermediate.values()):
            warnings.warn(
                f"WilcoxonPruner: trial {trial.number} reported an infinite or NaN value; it "
                "is not pruned.",
                UserWarning,
                stacklevel=3,
            )
            return False
        try:
            best_trial = study._best_trial()
        except ValueError:
            return False
        best_values, best_mean, best_finite = self._best_trial_values(study, best_trial)
        if not best_values:
            warnings.warn(
                f"WilcoxonPruner: the best trial {best_trial.number} has no intermediate "
                "values, so no trial can be pruned (a trial added with Study.add_trial needs "
                "intermediate_values).",
                UserWarning,
                stacklevel=3,
            )
            return False
        if not best_finite:
            warnings.warn(
                f"WilcoxonPruner: the best trial {best_trial.number} has an infinite or NaN "
                f"intermediate value; trial {trial.number} is not pruned.",
                UserWarning,
                stacklevel=3,
            )
            return False
        shared = [
            value - best_values[step]
            for step, value in intermediate.items()
            if step in best_values
        ]
        if len(shared) < len(intermediate):
            warnings.warn(
                f"WilcoxonPruner: trial {trial.number} reported steps the best trial "
                f"{best_trial.number} did not; they are ignored.",
                UserWarning,
                stacklevel=3,
            )
        if len(shared) < max(2, self._n_startup_steps):
            return False
        mean = _mean(intermediate.values())
        if study.direction == StudyDirection.MAXIMIZE:
            p_value = signed_rank_pvalue(np.array(shared), "less")
            as_good_on_average = best_mean <= mean
        else:
            p_value = signed_rank_pvalue(np.array(shared), "greater")
            as_good_on_average = best_mean >= mean
        return p_value < self._p_threshold and not as_good_on_average

    def _best_trial_values(
        self, study: Study, best: FrozenTrial
    ) -> tuple[dict[int, float], float, bool]:
        """The best trial's values by step, their mean, and whether all are finite."""
        key = (id(study._storage), study._study_id, best.number)
        cached = self._best
        if cached is not None and cached[:3] == key:
            return cached[3], cached[4], cached[5]
        values = dict(best.intermediate_values)
        mean = _mean(values.values()) if values else math.nan
        finite = all(math.isfinite(v) for v in values.values())
        with self._lock:
            self._best = (*key, values, mean, finite)
        return values, mean, finite
