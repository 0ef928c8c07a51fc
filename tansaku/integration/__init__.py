"""Adapters that let other frameworks search with tansaku's samplers and studies.

Each adapter imports its framework only when it is used, so ``import tansaku.integration``
needs none of them:

- :class:`TansakuSearch` (``tansaku.integration.ray_tune``): a Ray Tune ``Searcher`` backed by
  a tansaku study (``pip install "tansaku[cluster]"``, which pulls ``ray[tune]``).
- :class:`LightGBMPruningCallback`, :class:`LightGBMTuner`, :class:`LightGBMTunerCV`
  (``tansaku.integration.lightgbm``, also a drop-in for ``import lightgbm as lgb``;
  ``tansaku[lightgbm]``), :class:`XGBoostPruningCallback` (``tansaku[xgboost]``) and
  :class:`CatBoostPruningCallback` (``tansaku[catboost]``): prune or tune gradient boosting.
- :class:`MLflowCallback` (``tansaku.integration.mlflow``): each trial as an MLflow run
  (``pip install "tansaku[mlflow]"``).
- :class:`WeightsAndBiasesCallback` (``tansaku.integration.wandb``): a study in Weights & Biases
  (``pip install "tansaku[wandb]"``).
- :class:`TensorBoardCallback` (``tansaku.integration.tensorboard``): trials in TensorBoard's
  HParams tab, without TensorFlow (``pip install "tansaku[tensorboard]"``).
- :class:`OptunaSearchCV` (``tansaku.integration.sklearn``): a scikit-learn estimator that
  searches another's hyperparameters by cross-validation (``tansaku[sklearn]``).
- :class:`SkoptSampler` (``tansaku.integration.skopt``): scikit-optimize's Bayesian optimizer as
  a sampler (``tansaku[skopt]``).
- :class:`DaskStorage` (``tansaku.integration.dask``): a storage kept on a Dask scheduler, shared
  by the workers of a ``distributed.Client`` (``tansaku[cluster]``).
- :class:`PyTorchLightningPruningCallback` (``tansaku.integration.pytorch_lightning``): prunes
  a trial from a Lightning fit, distributed ones included (``tansaku[lightning]``).
- :class:`KerasPruningCallback` (``tansaku.integration.keras``): prunes a trial from a Keras
  fit (``tansaku[keras]``).
"""

from __future__ import annotations

import importlib
from typing import Any

# Public name -> the submodule that defines it (imported on first access: it imports its
# framework).
_LAZY_NAMES = {
    "TansakuSearch": "tansaku.integration.ray_tune",
    "LightGBMPruningCallback": "tansaku.integration.lightgbm",
    "LightGBMTuner": "tansaku.integration.lightgbm",
    "LightGBMTunerCV": "tansaku.integration.lightgbm",
    "XGBoostPruningCallback": "tansaku.integration.xgboost",
    "CatBoostPruningCallback": "tansaku.integration.catboost",
    "MLflowCallback": "tansaku.integration.mlflow",
    "WeightsAndBiasesCallback": "tansaku.integration.wandb",
    "TensorBoardCallback": "tansaku.integration.tensorboard",
    "OptunaSearchCV": "tansaku.integration.sklearn",
    "SkoptSampler": "tansaku.integration.skopt",
    "DaskStorage": "tansaku.integration.dask",
    "PyTorchLightningPruningCallback": "tansaku.integration.pytorch_lightning",
    "KerasPruningCallback": "tansaku.integration.keras",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    raise AttributeError(f"module 'tansaku.integration' has no attribute {name!r}")


__all__ = [
    "TansakuSearch",
    "LightGBMPruningCallback",
    "LightGBMTuner",
    "LightGBMTunerCV",
    "XGBoostPruningCallback",
    "CatBoostPruningCallback",
    "MLflowCallback",
    "WeightsAndBiasesCallback",
    "TensorBoardCallback",
    "OptunaSearchCV",
    "SkoptSampler",
    "DaskStorage",
    "PyTorchLightningPruningCallback",
    "KerasPruningCallback",
]
