"""What the two random-forest evaluators share: their arguments and the fit of the forest."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tansaku.importance._base import BaseImportanceEvaluator, sorted_by_importance, zeros
from tansaku.importance._forest_inputs import (
    ForestInputs,
    check_forest_arguments,
    fit_forest,
    forest_inputs,
)
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study


class ForestImportanceEvaluator(BaseImportanceEvaluator):
    """An evaluator that reads importances off a random forest fitted to the trials.

    Subclasses say how in :meth:`_importances`; this class validates the forest's arguments,
    gathers the trials' params and fits the forest.
    """

    _where = "ForestImportanceEvaluator"

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64, seed: int | None = None) -> None:
        check_forest_arguments(self._where, n_trees, max_depth)
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
        inputs = forest_inputs(study, params, target, self._where)
        importances = zeros(inputs.names)
        if not inputs.modelled or len(inputs.values) <= 1:
            return importances
        forest = fit_forest(inputs, self._n_trees, self._max_depth, self._seed, self._where)
        importances.update(self._importances(forest, inputs))
        return sorted_by_importance(importances)

    def _importances(self, forest: Any, inputs: ForestInputs) -> dict[str, float]:
        """The importance of each modelled param, read off the fitted ``forest``."""
        raise NotImplementedError
