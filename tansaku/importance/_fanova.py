"""fANOVA: the share of a random forest's variance that each param explains on its own."""

from __future__ import annotations

from typing import Any

import numpy as np

from tansaku.importance._forest_evaluator import ForestImportanceEvaluator
from tansaku.importance._forest_inputs import ForestInputs
from tansaku.importance._functional_anova import leaf_boxes, variance_fractions


class FanovaImportanceEvaluator(ForestImportanceEvaluator):
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

    _where = "FanovaImportanceEvaluator"

    def _importances(self, forest: Any, inputs: ForestInputs) -> dict[str, float]:
        boxes = leaf_boxes(forest.estimators_, inputs.bounds)
        groups = [
            np.flatnonzero(inputs.column_param == index) for index in range(len(inputs.modelled))
        ]
        fractions = variance_fractions(boxes, inputs.bounds, groups, len(forest.estimators_))
        varying = ~np.isnan(fractions[:, 0])  # trees that predict more than a constant
        if not varying.any():
            return {}
        return dict(zip(inputs.modelled, fractions[varying].mean(axis=0).tolist()))
