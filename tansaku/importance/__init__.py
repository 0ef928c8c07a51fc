"""Parameter importances: which params mattered, judged from a study's completed trials.

Three evaluators: :class:`PedAnovaImportanceEvaluator` (the default; no model, fast),
:class:`FanovaImportanceEvaluator` (functional ANOVA of a random forest) and
:class:`MeanDecreaseImpurityImportanceEvaluator` (the forest's impurity decrease). The two
forest-based ones need scikit-learn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tansaku.importance._base import (
    BaseImportanceEvaluator,
    check_params_argument,
    warn_experimental_argument,
)
from tansaku.importance._fanova import FanovaImportanceEvaluator
from tansaku.importance._mean_decrease_impurity import MeanDecreaseImpurityImportanceEvaluator
from tansaku.importance._ped_anova import PedAnovaImportanceEvaluator

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

__all__ = [
    "BaseImportanceEvaluator",
    "FanovaImportanceEvaluator",
    "MeanDecreaseImpurityImportanceEvaluator",
    "PedAnovaImportanceEvaluator",
    "get_param_importances",
]


def get_param_importances(
    study: Study,
    *,
    evaluator: BaseImportanceEvaluator | None = None,
    params: list[str] | None = None,
    target: Callable[[FrozenTrial], float] | None = None,
    normalize: bool = True,
) -> dict[str, float]:
    """Rank the params of ``study`` by how much they mattered, from its completed trials.

    Importances are non-negative floats, larger for more important params, returned as a dict
    ordered from most to least important. By default they are normalized to sum to 1 (when all
    are 0, each param gets the same share).

    Which params are assessed when ``params`` is None depends on the evaluator:
    :class:`PedAnovaImportanceEvaluator` (the default) assesses every param seen in a completed
    trial, conditional params included; the forest-based evaluators assess the params that
    every completed trial has with the same domain. ``params=[]`` returns an empty dict, and
    so does a study without completed trials when ``params`` is None.

    Only COMPLETE trials with a finite target count. With fewer than two of them every param
    gets the same importance.

    Args:
        study: An optimized study.
        evaluator: The method; :obj:`None` for :class:`PedAnovaImportanceEvaluator`.
        params: Names of the params to assess; :obj:`None` for the evaluator's default (above).
            Each name must occur in a completed trial (for the forest-based evaluators, some
            completed trial must have all of them).
        target: The value to explain, computed from each trial, e.g.
            ``target=lambda t: t.values[0]`` or ``lambda t: t.duration.total_seconds()``;
            :obj:`None` for the objective value. A multi-objective study needs one with the
            forest-based evaluators; PED-ANOVA without one explains reaching the Pareto front.
        normalize: Scale the importances to sum to 1. False is experimental: it returns each
            evaluator's own scale and warns with an ``ExperimentalWarning``.

    Returns:
        Param name to importance, most important first.

    Raises:
        TypeError: ``evaluator`` is not a :class:`BaseImportanceEvaluator`, ``params`` is not a
            list of names, or ``target`` returns something other than one float.
        ValueError: A name in ``params`` is in no completed trial, or the study has several
            objectives and the evaluator needs a ``target``.

    Example:
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -10, 10)
        ...     y = trial.suggest_int("y", 0, 10)
        ...     return x**2 + y
        >>> study = tansaku.create_study()
        >>> study.optimize(objective, n_trials=100)
        >>> importances = tansaku.importance.get_param_importances(study)
        >>> list(importances)  # most important first
        ['x', 'y']
    """
    if evaluator is None:
        evaluator = PedAnovaImportanceEvaluator()
    if not isinstance(evaluator, BaseImportanceEvaluator):
        raise TypeError(
            "get_param_importances: evaluator must be a BaseImportanceEvaluator, got "
            f"{evaluator!r} of type {type(evaluator).__name__}"
        )
    check_params_argument(params)
    importances = evaluator.evaluate(study, params=params, target=target)
    if not normalize:
        warn_experimental_argument("normalize")
        return importances
    total = sum(importances.values())
    if total == 0.0:
        return {name: 1.0 / len(importances) for name in importances}
    return {name: value / total for name, value in importances.items()}
