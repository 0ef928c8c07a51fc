"""LightGBM's parameter and metric aliases, as its Parameters page documents them.

The tuner writes the canonical names (``num_leaves``, ``lambda_l1``, ...); a user's alias of a
tuned parameter must become that name, or LightGBM would see two values for one parameter.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

# Canonical parameter -> its aliases, for the parameters the tuner sets.
_PARAMETER_ALIASES: dict[str, tuple[str, ...]] = {
    "bagging_fraction": ("sub_row", "subsample", "bagging"),
    "bagging_freq": ("subsample_freq",),
    "feature_fraction": ("sub_feature", "colsample_bytree"),
    "lambda_l1": ("reg_alpha", "l1_regularization"),
    "lambda_l2": ("reg_lambda", "lambda", "l2_regularization"),
    "learning_rate": ("shrinkage_rate", "eta"),
    "min_child_samples": ("min_data_per_leaf", "min_data", "min_data_in_leaf", "min_samples_leaf"),
    "min_gain_to_split": ("min_split_gain",),
    "min_sum_hessian_in_leaf": (
        "min_sum_hessian_per_leaf",
        "min_sum_hessian",
        "min_hessian",
        "min_child_weight",
    ),
    "num_leaves": ("num_leaf", "max_leaves", "max_leaf", "max_leaf_nodes"),
}

# Metric alias -> the name LightGBM reports the metric under.
_METRIC_NAMES: dict[str, str] = {
    alias: canonical
    for canonical, aliases in {
        "ndcg": ("lambdarank", "rank_xendcg", "xendcg", "xe_ndcg", "xe_ndcg_mart", "xendcg_mart"),
        "map": ("mean_average_precision",),
        "l2": ("regression", "regression_l2", "mean_squared_error", "mse"),
        "l1": ("regression_l1", "mean_absolute_error", "mae"),
        "binary_logloss": ("binary",),
        "multi_logloss": (
            "multiclass",
            "softmax",
            "multiclassova",
            "multiclass_ova",
            "ova",
            "ovr",
        ),
        "cross_entropy": ("xentropy",),
        "cross_entropy_lambda": ("xentlambda",),
        "kullback_leibler": ("kldiv",),
        "mape": ("mean_absolute_percentage_error",),
        "custom": ("none", "null", "na"),
        "rmse": ("l2_root", "root_mean_squared_error"),
    }.items()
    for alias in aliases
}


def canonicalize_parameters(params: dict[str, Any]) -> None:
    """Rename aliases of the tuned parameters in ``params`` to their canonical names, in place.

    When several aliases of one parameter are given, the last in LightGBM's alias order wins
    and a UserWarning says which value is used.
    """
    for canonical, aliases in _PARAMETER_ALIASES.items():
        given = {alias: params.pop(alias) for alias in aliases if alias in params}
        if not given:
            continue
        params[canonical] = list(given.values())[-1]
        if len(given) > 1:
            warnings.warn(
                f"LightGBM params give {canonical} under several aliases {given}; "
                f"{canonical}={params[canonical]!r} is used",
                UserWarning,
                stacklevel=3,
            )


def canonicalize_metrics(params: dict[str, Any]) -> None:
    """Replace metric aliases in ``params["metric"]`` (a name or names) in place.

    Raises:
        ValueError: ``metric`` is neither a string nor an iterable of strings.
    """
    metric = params.get("metric")
    if metric is None:
        return
    if isinstance(metric, str):
        params["metric"] = _METRIC_NAMES.get(metric, metric)
    elif isinstance(metric, Iterable):
        params["metric"] = [_METRIC_NAMES.get(name, name) for name in metric]
    else:
        raise ValueError(
            f"LightGBM tuner: params['metric'] must be a string or an iterable of strings, got "
            f"{metric!r} of type {type(metric).__name__}"
        )
