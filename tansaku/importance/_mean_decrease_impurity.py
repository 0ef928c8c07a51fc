"""Mean decrease impurity: how much a random forest's splits on a param reduce its error."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from tansaku.importance._base import BaseImportanceEvaluator, sorted_by_importance, zeros
from tansaku.importance._forest_inputs import check_forest_arguments, fit_forest, forest_inputs
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study

_WHERE = "MeanDecreaseImpurityImportanceEvaluator"


class MeanDecreaseImpurityImportanceEvaluator(BaseImportanceEvaluator):
    """Mean decrease impurity (MDI) importance evaluator.

    Fits a random forest that predicts the target of the completed trials from their params,
    and credits each param with the total decrease in squared error of the splits on it,
    averaged over the trees (scikit-learn's ``feature_importances_``). A categorical param is
    credited with the splits on all of its choices. Needs scikit-learn
    (``pip install tansaku[importance]``).

    Assesses the params that every completed trial has with the same domain, unless ``params``
    names others; a multi-objective study needs a ``target``.

    Args:
        n_trees: The number of trees in the forest.
        max_depth: The maximal depth of each tree.
        seed: The forest's random seed; the same seed on the same trials gives the same
            importances.

    Raises:
        ValueError: ``n_trees`` or ``max_depth`` is not a positive int.
        ImportError: scikit-learn is not installed.
    """

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64, seed: int | None = None) -> None:
        check_forest_arguments(_WHERE, n_trees, max_depth)
        self._n_trees = n_trees
        self._max_depth = max_depth
        self._seed = seed

    def evaluate(
        self,
        study: Study,
        params: list[str] | None = None,
        *,
        target: Callable[[FrozenTrial], float] | None = None,
    ) -> dict[str, float]:
        """Assess the params every completed trial has alike, or only ``params``.

        Raises:
            ValueError: Several objectives without ``target``; no completed trial has all of
                ``params``; the domain of one of ``params`` changed between trials.
        """
        inputs = forest_inputs(study, params, target, _WHERE)
        importances = zeros(inputs.names)
        if not inputs.modelled or len(inputs.values) <= 1:
            return importances
        forest = fit_forest(inputs, self._n_trees, self._max_depth, self._seed, _WHERE)
        per_param = np.bincount(
            inputs.column_param,
            weights=forest.feature_importances_,
            minlength=len(inputs.modelled),
        )
        importances.update(zip(inputs.modelled, per_param.tolist()))
        return sorted_by_importance(importances)
