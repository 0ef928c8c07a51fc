"""Prune XGBoost training from its evaluation log: :class:`XGBoostPruningCallback`.

Example:
    >>> import xgboost as xgb
    >>> from tansaku.integration import XGBoostPruningCallback
    >>> def objective(trial):
    ...     params = {"objective": "binary:logistic", "eval_metric": "logloss",
    ...               "max_depth": trial.suggest_int("max_depth", 1, 9)}
    ...     pruning = XGBoostPruningCallback(trial, "validation-logloss")
    ...     booster = xgb.train(params, dtrain, evals=[(dvalid, "validation")],
    ...                         callbacks=[pruning])
    ...     return float(booster.eval(dvalid).split(":")[1])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tansaku._internal.validation import invalid_type
from tansaku.exceptions import TrialPruned
from tansaku.integration._imports import missing_framework

if TYPE_CHECKING:
    from tansaku.trial import Trial

try:
    import xgboost as xgb
except ImportError as error:
    raise missing_framework("tansaku.integration.xgboost", "xgboost", "xgboost") from error

_WHERE = "XGBoostPruningCallback"


class XGBoostPruningCallback(xgb.callback.TrainingCallback):
    """An XGBoost training callback that reports a metric after each round and raises
    :class:`~tansaku.TrialPruned` when the study's pruner says so.

    Works with ``xgboost.train``, ``xgboost.cv`` (the mean over the folds is reported) and the
    scikit-learn API (pass it in the estimator's ``callbacks``). Round ``i`` (0-based) is
    reported as step ``i``.

    Args:
        trial: The trial being evaluated.
        observation_key: ``"<dataset>-<metric>"`` as XGBoost names it in its evaluation log:
            the name given in ``evals`` and the ``eval_metric``, e.g. ``"validation-logloss"``
            (``"test-error"`` with ``xgboost.cv``, ``"validation_0-logloss"`` with the
            scikit-learn API's first ``eval_set``).

    Raises:
        TypeError: ``observation_key`` is not a string.
        NotImplementedError: the study has several objectives (intermediate values are
            single-objective); raised here rather than in the first round.
        ValueError: during training, ``observation_key`` is not in XGBoost's evaluation log
            (the message lists the keys that are).
    """

    def __init__(self, trial: Trial, observation_key: str) -> None:
        if not isinstance(observation_key, str):
            raise invalid_type(_WHERE, "observation_key", observation_key, "a str")
        n_objectives = len(trial.study.directions)
        if n_objectives != 1:
            raise NotImplementedError(
                f"{_WHERE} reports intermediate values, which multi-objective studies do not "
                f"support; the study has {n_objectives} objectives"
            )
        super().__init__()
        self._trial = trial
        self._observation_key = observation_key
        self._is_cv = False

    def before_training(self, model: Any) -> Any:
        """Note whether this is ``xgboost.cv`` (whose log holds (mean, std) pairs)."""
        self._is_cv = not isinstance(model, xgb.Booster)
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: dict[str, Any]) -> bool:
        """Report this round's value of the observed metric; prune if the pruner says so.

        Returns:
            False: the pruning callback never stops training by itself.
        """
        # Keys are matched whole: dataset names and metrics (``"ndcg@3-"``) may hold "-".
        scores = {
            f"{dataset}-{metric}": values
            for dataset, metrics in evals_log.items()
            for metric, values in metrics.items()
        }
        if self._observation_key not in scores:
            raise ValueError(
                f"{_WHERE}: observation_key={self._observation_key!r} is not in XGBoost's "
                f"evaluation log, which has {list(scores)}; name the evals dataset and the "
                "eval_metric as '<dataset>-<metric>'"
            )
        latest = scores[self._observation_key][-1]
        # xgboost.cv logs (mean, standard deviation) over the folds.
        value = float(latest[0] if self._is_cv else latest)
        self._trial.report(value, step=epoch)
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at iteration {epoch}.")
        return False
