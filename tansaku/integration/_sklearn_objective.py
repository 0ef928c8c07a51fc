"""The objective OptunaSearchCV optimizes: one trial is one cross-validation of the estimator.

Imported only by ``tansaku.integration.sklearn``, after it has checked that scikit-learn is
there.
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Iterable, Mapping
from numbers import Number
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import BaseCrossValidator, cross_validate
from sklearn.utils.metaestimators import _safe_split

from tansaku.distributions import BaseDistribution
from tansaku.exceptions import TrialPruned
from tansaku.trial import Trial

# The system attr under which a trial keeps its per-fold test scores, as Optuna's terminator
# (its cross-validation error evaluator) reads them.
CV_SCORES_ATTR = "terminator:cv_scores"
# The scores cross_validate returns that hold one value per fold for each split user attr.
_PER_SPLIT = ("test_score", "train_score")


class CrossValidationObjective:
    """Suggest the params of ``param_distributions``, cross-validate, return the mean score.

    Each trial records what GridSearchCV records per candidate, as user attrs:
    ``split{i}_test_score``, ``mean_test_score``, ``std_test_score`` (and the same for train
    scores when asked), ``mean_fit_time``, ``std_fit_time``, ``mean_score_time`` and
    ``std_score_time``.
    """

    def __init__(
        self,
        estimator: BaseEstimator,
        param_distributions: Mapping[str, BaseDistribution],
        X: Any,
        y: Any,
        cv: BaseCrossValidator,
        *,
        enable_pruning: bool,
        error_score: Number | float | str,
        fit_params: dict[str, Any],
        groups: Any,
        max_iter: int,
        return_train_score: bool,
        scorer: Any,
    ) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.X = X
        self.y = y
        self.cv = cv
        self.enable_pruning = enable_pruning
        self.error_score = error_score
        self.fit_params = fit_params
        self.groups = groups
        self.max_iter = max_iter
        self.return_train_score = return_train_score
        self.scorer = scorer

    def __call__(self, trial: Trial) -> float:
        params = {
            name: trial._suggest(name, distribution)
            for name, distribution in self.param_distributions.items()
        }
        estimator = clone(self.estimator).set_params(**params)
        # Threads of one optimize (n_jobs > 1) must not share mutable fit params.
        fit_params = copy.deepcopy(self.fit_params)
        if self.enable_pruning:
            scores = self._cross_validate_step_by_step(trial, estimator, fit_params)
        else:
            scores = self._cross_validate(estimator, fit_params)
        _store_scores(trial, scores)
        test_scores = [float(score) for score in scores["test_score"]]
        if len(test_scores) > 1:
            trial.set_system_attr(CV_SCORES_ATTR, test_scores)
        return float(trial.user_attrs["mean_test_score"])

    def _cross_validate(
        self, estimator: BaseEstimator, fit_params: dict[str, Any]
    ) -> dict[str, np.ndarray]:
        try:
            return cross_validate(
                estimator,
                self.X,
                self.y,
                groups=self.groups,
                scoring=self.scorer,
                cv=self.cv,
                params=fit_params,
                return_train_score=self.return_train_score,
                error_score=self.error_score,
            )
        except ValueError as error:
            # scikit-learn raises when every fold failed; a numeric error_score then stands for
            # each fold's score, as it does when only some failed.
            if self.error_score == "raise":
                raise
            warnings.warn(
                f"every fold failed; each scores error_score={self.error_score!r}: {error}",
                FitFailedWarning,
                stacklevel=2,
            )
            n_splits = self.cv.get_n_splits(self.X, self.y, self.groups)
            nan = np.full(n_splits, np.nan)
            failed = np.full(n_splits, float(self.error_score))  # type: ignore[arg-type]
            scores = {"fit_time": nan, "score_time": nan, "test_score": failed}
            if self.return_train_score:
                scores["train_score"] = failed
            return scores

    def _cross_validate_step_by_step(
        self, trial: Trial, estimator: BaseEstimator, fit_params: dict[str, Any]
    ) -> dict[str, np.ndarray]:
        """Train one ``partial_fit`` epoch per step on every fold, report the mean test score
        after each and stop the trial when the pruner says so."""
        if is_classifier(estimator) and "classes" not in fit_params:
            # partial_fit must know every class on its first call; a fold may lack some.
            fit_params = {**fit_params, "classes": np.unique(np.asarray(self.y))}
        splits = list(self.cv.split(self.X, self.y, groups=self.groups))
        estimators = [clone(estimator) for _ in splits]
        n_splits = len(splits)
        scores = {
            "fit_time": np.zeros(n_splits),
            "score_time": np.zeros(n_splits),
            "test_score": np.empty(n_splits),
        }
        if self.return_train_score:
            scores["train_score"] = np.empty(n_splits)
        for step in range(self.max_iter):
            for i, (train, test) in enumerate(splits):
                fold = self._partial_fit_and_score(estimators[i], train, test, fit_params)
                for name, value in fold.items():
                    if name in _PER_SPLIT:
                        scores[name][i] = value
                    else:
                        scores[name][i] += value
            trial.report(float(np.nanmean(scores["test_score"])), step=step)
            if trial.should_prune():
                _store_scores(trial, scores)
                raise TrialPruned(f"trial was pruned at iteration {step}.")
        return scores

    def _partial_fit_and_score(
        self, estimator: BaseEstimator, train: Iterable[int], test: Iterable[int], fit_params: Any
    ) -> dict[str, float]:
        X_train, y_train = _safe_split(estimator, self.X, self.y, train)
        X_test, y_test = _safe_split(estimator, self.X, self.y, test, train_indices=train)
        start = time.perf_counter()
        try:
            estimator.partial_fit(X_train, y_train, **fit_params)
        except Exception as error:
            if self.error_score == "raise":
                raise
            warnings.warn(
                f"partial_fit failed; its score is error_score={self.error_score!r}: "
                f"{type(error).__name__}: {error}",
                FitFailedWarning,
                stacklevel=2,
            )
            failed = float(self.error_score)  # type: ignore[arg-type]
            result = {"fit_time": time.perf_counter() - start, "score_time": 0.0}
            result["test_score"] = failed
            if self.return_train_score:
                result["train_score"] = failed
            return result
        fit_time = time.perf_counter() - start
        result = {
            "fit_time": fit_time,
            "test_score": float(self.scorer(estimator, X_test, y_test)),
        }
        result["score_time"] = time.perf_counter() - start - fit_time
        if self.return_train_score:
            result["train_score"] = float(self.scorer(estimator, X_train, y_train))
        return result


def _store_scores(trial: Trial, scores: Mapping[str, np.ndarray]) -> None:
    """Record each fold's scores and every score's mean and standard deviation as user attrs."""
    for name, values in scores.items():
        array = np.asarray(values, dtype=float)
        if name in _PER_SPLIT:
            for i, value in enumerate(array):
                trial.set_user_attr(f"split{i}_{name}", float(value))
        with warnings.catch_warnings():
            # All folds NaN (every fit failed with error_score=nan): the mean is NaN, as wanted.
            warnings.simplefilter("ignore", RuntimeWarning)
            trial.set_user_attr(f"mean_{name}", float(np.nanmean(array)))
            trial.set_user_attr(f"std_{name}", float(np.nanstd(array)))
