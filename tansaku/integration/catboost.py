"""Prune CatBoost training from its evaluation metrics: :class:`CatBoostPruningCallback`.

Example:
    >>> import catboost as cb
    >>> from tansaku.integration import CatBoostPruningCallback
    >>> def objective(trial):
    ...     model = cb.CatBoostClassifier(depth=trial.suggest_int("depth", 1, 8),
    ...                                   eval_metric="Logloss", iterations=100)
    ...     pruning = CatBoostPruningCallback(trial, "Logloss")
    ...     model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)], callbacks=[pruning])
    ...     pruning.check_pruned()  # CatBoost swallows exceptions raised in its callbacks
    ...     return model.get_best_score()["validation"]["Logloss"]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.validation import invalid, invalid_type
from tansaku.exceptions import TrialPruned
from tansaku.integration._imports import missing_framework

if TYPE_CHECKING:
    from tansaku.trial import Trial

try:
    import catboost  # noqa: F401  (the framework this adapter serves, checked at import)
except ImportError as error:
    raise missing_framework("tansaku.integration.catboost", "catboost", "catboost") from error

_WHERE = "CatBoostPruningCallback"
# CatBoost's name for the eval_set's dataset; with several, "validation_<index>".
_VALID_NAME = "validation"


class CatBoostPruningCallback:
    """A CatBoost callback that reports a validation metric after each iteration and stops
    training when the study's pruner says so; :meth:`check_pruned` then raises
    :class:`~tansaku.TrialPruned`.

    CatBoost does not let an exception raised in a callback out of ``fit``, so the callback
    stops training by returning False and remembers why: call :meth:`check_pruned` right after
    ``fit``. Iteration ``i`` (CatBoost counts from 1) is reported as step ``i - 1``. CatBoost
    runs user callbacks on the CPU only. Experimental, as in Optuna: creating one warns with
    :class:`~tansaku.exceptions.ExperimentalWarning`.

    Args:
        trial: The trial being evaluated.
        metric: The CatBoost metric to report, e.g. ``"Logloss"`` or ``"AUC"`` (the
            ``eval_metric`` or one of the ``custom_metric`` of the model).
        eval_set_index: With several ``eval_set`` datasets, the index of the one to read;
            None (the default) for a single ``eval_set``.

    Raises:
        TypeError: ``metric`` is not a string or ``eval_set_index`` not an int.
        ValueError: ``eval_set_index`` is negative. During ``fit``: the validation set or the
            metric is not among CatBoost's metrics (the message lists those that are).
        NotImplementedError: the study has several objectives (intermediate values are
            single-objective); raised here rather than in the first iteration.
    """

    def __init__(self, trial: Trial, metric: str, eval_set_index: int | None = None) -> None:
        warn_experimental(_WHERE)
        if not isinstance(metric, str):
            raise invalid_type(_WHERE, "metric", metric, "a str")
        if eval_set_index is not None:
            if isinstance(eval_set_index, bool) or not isinstance(eval_set_index, int):
                raise invalid_type(_WHERE, "eval_set_index", eval_set_index, "an int or None")
            if eval_set_index < 0:
                raise invalid(_WHERE, "eval_set_index", eval_set_index, "must be >= 0")
        n_objectives = len(trial.study.directions)
        if n_objectives != 1:
            raise NotImplementedError(
                f"{_WHERE} reports intermediate values, which multi-objective studies do not "
                f"support; the study has {n_objectives} objectives"
            )
        self._trial = trial
        self._metric = metric
        self._valid_name = (
            _VALID_NAME if eval_set_index is None else f"{_VALID_NAME}_{eval_set_index}"
        )
        self._pruned_message: str | None = None

    def after_iteration(self, info: Any) -> bool:
        """Report the metric of this iteration; called by CatBoost.

        Args:
            info: CatBoost's state: ``info.iteration`` (from 1) and ``info.metrics``, a dict of
                dataset name -> metric name -> values so far.

        Returns:
            False to stop training (the trial should be pruned), True to go on.
        """
        step = info.iteration - 1
        metrics = info.metrics.get(self._valid_name)
        if metrics is None:
            raise ValueError(
                f"{_WHERE}: CatBoost has no dataset {self._valid_name!r} (from eval_set_index); "
                f"it has {sorted(info.metrics)}. Pass eval_set to fit, and eval_set_index only "
                "with several eval_set datasets"
            )
        if self._metric not in metrics:
            raise ValueError(
                f"{_WHERE}: metric={self._metric!r} is not evaluated on {self._valid_name!r}; "
                f"CatBoost evaluates {sorted(metrics)}. Set it as eval_metric or custom_metric"
            )
        self._trial.report(float(metrics[self._metric][-1]), step=step)
        if self._trial.should_prune():
            self._pruned_message = f"Trial was pruned at iteration {step}."
            return False
        return True

    def check_pruned(self) -> None:
        """Raise :class:`~tansaku.TrialPruned` if this callback stopped training to prune."""
        if self._pruned_message is not None:
            raise TrialPruned(self._pruned_message)
