"""Mean decrease impurity: how much a random forest's splits on a param reduce its error."""

from __future__ import annotations

from typing import Any

import numpy as np

from tansaku.importance._forest_evaluator import ForestImportanceEvaluator
from tansaku.importance._forest_inputs import ForestInputs


class MeanDecreaseImpurityImportanceEvaluator(ForestImportanceEvaluator):
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

    _where = "MeanDecreaseImpurityImportanceEvaluator"

    def _importances(self, forest: Any, inputs: ForestInputs) -> dict[str, float]:
        per_param = np.bincount(
            inputs.column_param,
            weights=forest.feature_importances_,
            minlength=len(inputs.modelled),
        )
        return dict(zip(inputs.modelled, per_param.tolist()))
