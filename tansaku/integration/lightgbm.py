"""LightGBM with tansaku: a drop-in for ``import lightgbm as lgb`` whose ``train`` tunes.

Example:
    >>> import tansaku.integration.lightgbm as lgb
    >>> booster = lgb.train(  # runs LightGBMTuner, returns the best booster
    ...     {"objective": "binary", "metric": "binary_logloss", "verbosity": -1},
    ...     lgb.Dataset(X_train, y_train),
    ...     valid_sets=[lgb.Dataset(X_valid, y_valid)],
    ... )

Everything LightGBM exports (``Dataset``, ``Booster``, ``cv``, ``early_stopping``,
``LGBMClassifier``, ...) is LightGBM's own, re-exported unchanged; only :func:`train` differs.
The module also holds :class:`LightGBMTuner` and :class:`LightGBMTunerCV` (the stepwise
tuners) and :class:`LightGBMPruningCallback` (pruning from LightGBM's evaluation results).

The tuners' steps, in order (each starts from the best parameters found so far):

1. ``feature_fraction``: 7 trials on an even grid over [0.4, 1.0];
2. ``num_leaves``: 20 TPE trials in [2, 2 ** max_depth] (max_depth 8 when unset);
3. ``bagging``: 10 TPE trials of bagging_fraction in [0.4, 1.0] and bagging_freq in [1, 7];
4. ``feature_fraction_stage2``: up to 6 trials on a grid within 0.08 of the best;
5. ``regularization_factors``: 20 TPE trials of lambda_l1 and lambda_l2 in [1e-8, 10], log;
6. ``min_child_samples``: 5 trials on the grid 5, 10, 25, 50, 100.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tansaku.integration._imports import missing_framework

try:
    import lightgbm as _lgb
except ImportError as error:
    raise missing_framework("tansaku.integration.lightgbm", "lightgbm", "lightgbm") from error

from tansaku.integration._lightgbm_cv import LightGBMTunerCV
from tansaku.integration._lightgbm_pruning import LightGBMPruningCallback
from tansaku.integration._lightgbm_train import LightGBMTuner

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

# LightGBM's public names, re-exported unchanged; ``train`` is this module's own.
globals().update({name: getattr(_lgb, name) for name in _lgb.__all__ if name != "train"})
Dataset = _lgb.Dataset


def train(
    params: dict[str, Any],
    train_set: _lgb.Dataset,
    num_boost_round: int = 1000,
    valid_sets: list[_lgb.Dataset] | tuple[_lgb.Dataset, ...] | _lgb.Dataset | None = None,
    valid_names: Any | None = None,
    feval: Callable[..., Any] | None = None,
    feature_name: str | None = None,
    categorical_feature: str | None = None,
    keep_training_booster: bool = False,
    callbacks: list[Callable[..., Any]] | None = None,
    time_budget: int | None = None,
    sample_size: int | None = None,
    study: Study | None = None,
    optuna_callbacks: list[Callable[[Study, FrozenTrial], None]] | None = None,
    model_dir: str | None = None,
    *,
    show_progress_bar: bool = True,
    optuna_seed: int | None = None,
) -> _lgb.Booster:
    """Tune with :class:`LightGBMTuner` and return the best booster, in place of
    ``lightgbm.train``.

    Takes ``lightgbm.train``'s arguments (``valid_sets`` is required: the last one is
    scored) and :class:`LightGBMTuner`'s; to resume or inspect a run, use the tuner itself.

    Raises:
        ValueError: as :class:`LightGBMTuner`.
    """
    tuner = LightGBMTuner(
        params,
        train_set,
        num_boost_round=num_boost_round,
        valid_sets=valid_sets,
        valid_names=valid_names,
        feval=feval,
        feature_name=feature_name,
        categorical_feature=categorical_feature,
        keep_training_booster=keep_training_booster,
        callbacks=callbacks,
        time_budget=time_budget,
        sample_size=sample_size,
        study=study,
        optuna_callbacks=optuna_callbacks,
        model_dir=model_dir,
        show_progress_bar=show_progress_bar,
        optuna_seed=optuna_seed,
    )
    tuner.run()
    return tuner.get_best_booster()


__all__ = ["Dataset", "LightGBMPruningCallback", "LightGBMTuner", "LightGBMTunerCV", "train"]
