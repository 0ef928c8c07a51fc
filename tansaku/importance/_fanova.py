"""fANOVA: the share of a random forest's variance that each param explains on its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from tansaku.importance._base import BaseImportanceEvaluator, sorted_by_importance, zeros
from tansaku.importance._forest_inputs import check_forest_arguments, fit_forest, forest_inputs
from tansaku.importance._functional_anova import leaf_boxes, variance_fractions
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study

_WHERE = "FanovaImportanceEvaluator"


class FanovaImportanceEvaluator(BaseImportanceEvaluator):
    """fANOVA importance evaluator (Hutter, Hoos and Leyton-Brown, ICML 2014).

    Fits a random forest that predicts the target of the completed trials from their params,
    then decomposes each tree's variance over the search space: the importance of a param is
    the variance of the tree's marginal prediction along that param alone, as a share of the
    tree's total variance, averaged over the trees. The more accurately the forest predicts,
    the more these numbers mean, so trials spread over the whole space (e.g. by
    :class:`~tansaku.samplers.RandomSampler`) suit it best. Needs scikit-learn
    (``pip install tansaku[importance]``).

    The decomposition is computed exactly from the trees' split thresholds with array
    operations, typically in a fraction of the time of fitting the forest. Log params are
    measured uniformly on the log scale they are sampled on. A categorical param is one 0/1
    column per choice, and its marginal is taken over all of them together.

    Assesses the params that every completed trial has with the same domain, unless ``params``
    names others; a multi-objective study needs a ``target``. Params with a one-value domain
    get 0; when the forest predicts a constant, every param gets 0.

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
        boxes = leaf_boxes(forest.estimators_, inputs.bounds)
        groups = [
            np.flatnonzero(inputs.column_param == index) for index in range(len(inputs.modelled))
        ]
        fractions = variance_fractions(boxes, inputs.bounds, groups, len(forest.estimators_))
        varying = ~np.isnan(fractions[:, 0])  # trees that predict more than a constant
        if varying.any():
            per_param = fractions[varying].mean(axis=0)
            importances.update(zip(inputs.modelled, per_param.tolist()))
        return sorted_by_importance(importances)
