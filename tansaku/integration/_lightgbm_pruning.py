"""LightGBMPruningCallback: report a LightGBM metric per boosting round and prune by it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tansaku._internal.validation import invalid, invalid_type
from tansaku.exceptions import TrialPruned
from tansaku.integration._imports import missing_framework
from tansaku.study import StudyDirection

if TYPE_CHECKING:
    from tansaku.trial import Trial

try:
    import lightgbm as lgb
except ImportError as error:
    raise missing_framework("tansaku.integration.lightgbm", "lightgbm", "lightgbm") from error

_WHERE = "LightGBMPruningCallback"
# The dataset name LightGBM gives the (averaged) held-out folds of lightgbm.cv.
_CV_VALID_NAME = "valid"


class LightGBMPruningCallback:
    """A ``lightgbm.train`` / ``lightgbm.cv`` callback that reports a validation metric to the
    trial after boosting rounds and raises :class:`~tansaku.TrialPruned` when the study's pruner
    says so.

    Example:
        >>> def objective(trial):
        ...     params = {"objective": "binary", "metric": "binary_error", "verbosity": -1,
        ...               "num_leaves": trial.suggest_int("num_leaves", 2, 64)}
        ...     pruning = LightGBMPruningCallback(trial, "binary_error")
        ...     booster = lgb.train(params, train_set, valid_sets=[valid_set],
        ...                         callbacks=[pruning])
        ...     return booster.best_score["valid_0"]["binary_error"]

    Round ``i`` (0-based, LightGBM's ``env.iteration``) is reported as step ``i``. With
    ``lightgbm.cv`` the metric's mean over the folds is reported and ``valid_name`` is not used.

    Args:
        trial: The trial being evaluated.
        metric: The LightGBM metric to report, e.g. ``"binary_error"`` or ``"multi_logloss"``
            (with or without LightGBM 4's ``"valid "`` prefix).
        valid_name: The validation set to read, as named by ``valid_names`` of
            ``lightgbm.train``; ``"valid_0"`` is LightGBM's name for the first one.
        report_interval: Report (and ask the pruner) every this many rounds; the pruner's own
            interval still decides when it prunes.

    Raises:
        ValueError: ``report_interval`` is not a positive integer. During training:
            ``valid_name`` or ``metric`` is not among LightGBM's evaluation results (the
            message lists those that are), or the metric's direction (LightGBM's
            "higher is better") contradicts the study's direction.
        TypeError: ``metric`` or ``valid_name`` is not a string.
        RuntimeError: the study has several objectives (intermediate values are
            single-objective); raised here rather than in the first boosting round.
    """

    def __init__(
        self,
        trial: Trial,
        metric: str,
        valid_name: str = "valid_0",
        report_interval: int = 1,
    ) -> None:
        if not isinstance(metric, str):
            raise invalid_type(_WHERE, "metric", metric, "a str")
        if not isinstance(valid_name, str):
            raise invalid_type(_WHERE, "valid_name", valid_name, "a str")
        if isinstance(report_interval, bool) or not isinstance(report_interval, int):
            raise invalid_type(_WHERE, "report_interval", report_interval, "an int")
        if report_interval < 1:
            raise invalid(_WHERE, "report_interval", report_interval, "must be >= 1")
        directions = trial.study.directions
        if len(directions) != 1:
            raise RuntimeError(
                f"{_WHERE} reports intermediate values, which multi-objective studies do not "
                f"support; the study has {len(directions)} objectives"
            )
        self._trial = trial
        self._metric = metric
        self._valid_name = valid_name
        self._report_interval = report_interval
        self._direction = directions[0]

    def __call__(self, env: Any) -> None:
        if (env.iteration + 1) % self._report_interval != 0:
            return
        # lightgbm.cv hands its callbacks a CVBooster and names the folds' mean "valid".
        is_cv = isinstance(env.model, lgb.CVBooster)
        valid_name = _CV_VALID_NAME if is_cv else self._valid_name
        value, higher_is_better = self._find(env.evaluation_result_list or [], valid_name)
        metric_direction = StudyDirection.MAXIMIZE if higher_is_better else StudyDirection.MINIMIZE
        if metric_direction != self._direction:
            raise ValueError(
                f"{_WHERE}: metric {self._metric!r} is to be "
                f"{'maximized' if higher_is_better else 'minimized'} but the study's direction "
                f"is {self._direction.name}; report a metric that goes the study's way"
            )
        self._trial.report(value, step=env.iteration)
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at iteration {env.iteration}.")

    def _find(self, results: list[Any], valid_name: str) -> tuple[float, bool]:
        """The value and "higher is better" of the metric on ``valid_name`` in ``results``.

        Each result starts with (dataset name, metric name, value, higher is better).
        """
        wanted = {self._metric, f"valid {self._metric}"}
        for result in results:
            dataset_name, metric_name, value, higher_is_better = tuple(result)[:4]
            if dataset_name == valid_name and metric_name in wanted:
                return float(value), bool(higher_is_better)
        available = [f"{tuple(result)[0]}/{tuple(result)[1]}" for result in results]
        raise ValueError(
            f"{_WHERE}: no evaluation result for valid_name={valid_name!r} and "
            f"metric={self._metric!r}; LightGBM evaluated (valid_name/metric): {available}. "
            "Pass one of these, and the validation set in valid_sets"
        )
