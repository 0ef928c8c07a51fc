"""Hyperparameter search as a scikit-learn estimator: :class:`OptunaSearchCV`.

Example:
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from tansaku.distributions import FloatDistribution
    >>> from tansaku.integration.sklearn import OptunaSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = OptunaSearchCV(
    ...     SVC(), {"C": FloatDistribution(1e-3, 1e3, log=True)}, n_trials=20, random_state=0
    ... )
    >>> search.fit(X, y).best_params_
    >>> search.predict(X[:3])

Each trial of the search is one cross-validation of the estimator with the params the study's
sampler suggests; the search then behaves as the best estimator, refit on all the data.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.validation import invalid, invalid_type
from tansaku.distributions import BaseDistribution
from tansaku.integration._imports import missing_framework
from tansaku.logging import get_logger
from tansaku.samplers import TPESampler
from tansaku.study import Study, StudyDirection, create_study
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    import pandas as pd

_REQUIREMENT = "scikit-learn>=1.6"
try:
    from sklearn.base import BaseEstimator, clone, is_classifier
    from sklearn.metrics import check_scoring
    from sklearn.model_selection import check_cv
    from sklearn.utils import _safe_indexing, check_random_state, get_tags
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.validation import _num_samples, check_is_fitted, indexable

    from tansaku.integration._sklearn_objective import CrossValidationObjective
except ImportError as error:
    # get_tags (scikit-learn 1.6) is how the search takes on its estimator's kind.
    raise missing_framework("tansaku.integration.sklearn", _REQUIREMENT, "sklearn") from error

_logger = get_logger(__name__)
_WHERE = "OptunaSearchCV"
# Attributes fit sets, and those it sets only with refit=True.
_FITTED = ("n_splits_", "sample_indices_", "scorer_", "study_")
_REFITTED = ("best_estimator_", "refit_time_")

__all__ = ["OptunaSearchCV"]


def _best_estimator_has(method: str) -> Callable[[OptunaSearchCV], bool]:
    """Whether the search offers ``method``: its refit estimator (or, unfitted, the estimator
    it searches) has it."""

    def check(search: OptunaSearchCV) -> bool:
        if hasattr(search, "best_estimator_"):
            return hasattr(search.best_estimator_, method)
        return hasattr(search.estimator, method)

    return check


class OptunaSearchCV(BaseEstimator):
    """Search an estimator's hyperparameters with a study, scoring each candidate by
    cross-validation; a scikit-learn estimator itself.

    ``fit`` runs ``n_trials`` trials (or until ``timeout``): each suggests the params of
    ``param_distributions``, cross-validates the estimator with them and returns the mean test
    score, which the study maximizes (scikit-learn scorers are greater-is-better). Each trial's
    user attrs hold what GridSearchCV's ``cv_results_`` holds for a candidate (per-fold and
    mean test scores, fit and score times). With ``refit`` the best params are then fit on all
    of ``X``, and ``predict``, ``predict_proba``, ``transform``, ... call that estimator.

    Args:
        estimator: The estimator to tune; it has ``score`` or ``scoring`` is given.
        param_distributions: The params to search: name -> a tansaku distribution
            (:class:`~tansaku.distributions.FloatDistribution`, ``IntDistribution``,
            ``CategoricalDistribution``). Names may reach into pipelines
            (``"svc__C"``), as in ``set_params``.
        cv: The folds: None (5), a number of folds (stratified for classifiers), a
            scikit-learn splitter or an iterable of (train, test) index arrays.
        enable_pruning: Train with ``partial_fit``, one epoch per step up to ``max_iter``,
            report the mean test score after each and let the study's pruner stop the trial.
            The estimator must have ``partial_fit``.
        error_score: The score of a fold whose fit fails (a number; NaN by default, which
            fails the trial when every fold fails), or ``"raise"`` to raise the error. The
            final refit always raises.
        max_iter: Epochs of ``partial_fit`` per trial when ``enable_pruning``.
        n_jobs: Trials run at once, in threads (None: 1; -1: one per CPU).
        n_trials: Trials to run; None runs until ``timeout``.
        random_state: Seeds the subsample and the default study's sampler (an int, a
            ``numpy.random.RandomState``, or None for numpy's global one).
        refit: Fit the best params on all of ``X`` afterwards (``best_estimator_``).
        return_train_score: Also score each fold's training data (``*_train_score`` attrs).
        scoring: A scorer name or callable; None uses the estimator's ``score``.
        study: The study to run trials in; it must maximize one objective. None creates one
            in memory with a seeded :class:`~tansaku.samplers.TPESampler`.
        subsample: Search on a sample of the rows: a fraction of them (float) or a count (int).
            The refit uses all of them.
        timeout: Seconds after which no new trial starts; None for no limit.
        verbose: 0 logs warnings only, 1 the search's progress, 2 and more debug messages.
        callbacks: Called with the study and each finished trial, as ``Study.optimize`` does.
        catch: Exceptions a trial may raise without stopping the search (the trial fails).

    Attributes:
        best_estimator_: The estimator refit with the best params (with ``refit``).
        n_splits_: The number of cross-validation folds.
        refit_time_: Seconds the refit took (with ``refit``).
        sample_indices_: The rows the search used (all of them without ``subsample``).
        scorer_: The scorer of each fold.
        study_: The study the trials ran in.
    """

    _required_parameters = ["estimator", "param_distributions"]

    def __init__(
        self,
        estimator: BaseEstimator,
        param_distributions: Mapping[str, BaseDistribution],
        *,
        cv: int | Any | Iterable | None = None,
        enable_pruning: bool = False,
        error_score: Real | float | str = np.nan,
        max_iter: int = 1000,
        n_jobs: int | None = None,
        n_trials: int | None = 10,
        random_state: int | np.random.RandomState | None = None,
        refit: bool = True,
        return_train_score: bool = False,
        scoring: Callable[..., float] | str | None = None,
        study: Study | None = None,
        subsample: float | int = 1.0,
        timeout: float | None = None,
        verbose: int = 0,
        callbacks: list[Callable[[Study, FrozenTrial], None]] | None = None,
        catch: Iterable[type[Exception]] | type[Exception] = (),
    ) -> None:
        # Checked here, so the call that passes a wrong space fails; every argument is kept
        # as given (clone and get_params need that) and the rest is checked by fit.
        _check_distributions(param_distributions)
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.cv = cv
        self.enable_pruning = enable_pruning
        self.error_score = error_score
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.n_trials = n_trials
        self.random_state = random_state
        self.refit = refit
        self.return_train_score = return_train_score
        self.scoring = scoring
        self.study = study
        self.subsample = subsample
        self.timeout = timeout
        self.verbose = verbose
        self.callbacks = callbacks
        self.catch = catch

    # -- scikit-learn protocol ------------------------------------------------------------------
    def __sklearn_tags__(self) -> Any:
        # The search is whatever kind of estimator it tunes (classifier, regressor, ...), so
        # cross_val_score stratifies its folds and scorers find its predict methods.
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.transformer_tags = inner.transformer_tags
        tags.input_tags.pairwise = inner.input_tags.pairwise
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.non_deterministic = True
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        names = _FITTED + (_REFITTED if self.refit else ())
        return all(hasattr(self, name) for name in names)

    def _check_is_fitted(self) -> None:
        check_is_fitted(self)

    # -- search -------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, groups: Any = None, **fit_params: Any) -> OptunaSearchCV:
        """Search the params on (a subsample of) ``X`` and ``y``, then refit the best.

        Args:
            X: Training data.
            y: Targets (None for unsupervised estimators).
            groups: Group labels of the samples, for group-aware splitters.
            **fit_params: Passed to the estimator's ``fit`` (or ``partial_fit``); those with
                one value per sample are subsampled with the rows.

        Returns:
            self.
        """
        self._check_params()
        X, y, groups = indexable(X, y, groups)  # checks that they have one row per sample
        random_state = check_random_state(self.random_state)
        n_samples = _num_samples(X)
        self.sample_indices_ = self._sample_indices(n_samples, random_state)
        X_search, y_search, groups_search = X, y, groups
        fit_params_search = fit_params
        if len(self.sample_indices_) < n_samples:
            X_search, y_search, groups_search = (
                None if data is None else _safe_indexing(data, self.sample_indices_)
                for data in (X, y, groups)
            )
            fit_params_search = _index_sample_params(fit_params, n_samples, self.sample_indices_)

        cv = check_cv(self.cv, y_search, classifier=is_classifier(self.estimator))
        self.n_splits_ = cv.get_n_splits(X_search, y_search, groups=groups_search)
        self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)
        if self.study is None:
            seed = int(random_state.randint(0, np.iinfo(np.int32).max))
            self.study_ = create_study(direction="maximize", sampler=TPESampler(seed=seed))
        else:
            self.study_ = self.study

        objective = CrossValidationObjective(
            self.estimator,
            self.param_distributions,
            X_search,
            y_search,
            cv,
            enable_pruning=self.enable_pruning,
            error_score=self.error_score,
            fit_params=fit_params_search,
            groups=groups_search,
            max_iter=self.max_iter,
            return_train_score=self.return_train_score,
            scorer=self.scorer_,
        )
        with _logging_at(self.verbose):
            _logger.info(
                f"Searching the best hyperparameters on {len(self.sample_indices_)} samples"
            )
            self.study_.optimize(
                objective,
                n_trials=self.n_trials,
                timeout=self.timeout,
                n_jobs=1 if self.n_jobs is None else self.n_jobs,
                catch=self.catch,
                callbacks=self.callbacks,
            )
            _logger.info("Finished the hyperparameter search")
            if self.refit:
                self._refit(X, y, **fit_params)
        return self

    def _check_params(self) -> None:
        _check_distributions(self.param_distributions)
        if not hasattr(self.estimator, "fit"):
            raise invalid_type(_WHERE, "estimator", self.estimator, "an estimator with fit")
        if self.enable_pruning and not hasattr(self.estimator, "partial_fit"):
            raise invalid(
                _WHERE,
                "estimator",
                self.estimator,
                "must have partial_fit when enable_pruning=True",
            )
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, Integral):
            raise invalid_type(_WHERE, "max_iter", self.max_iter, "an int")
        if self.max_iter <= 0:
            raise invalid(_WHERE, "max_iter", self.max_iter, "must be > 0")
        if self.error_score != "raise" and not isinstance(self.error_score, Real):
            raise invalid(_WHERE, "error_score", self.error_score, "must be 'raise' or a number")
        if isinstance(self.subsample, bool) or not isinstance(self.subsample, (Real, Integral)):
            raise invalid_type(_WHERE, "subsample", self.subsample, "a float or an int")
        if isinstance(self.subsample, Integral):
            if self.subsample < 1:
                raise invalid(_WHERE, "subsample", self.subsample, "must be >= 1 (a count)")
        elif not 0.0 < self.subsample <= 1.0:
            raise invalid(_WHERE, "subsample", self.subsample, "must be in (0, 1] (a fraction)")
        if self.study is not None and (
            len(self.study.directions) != 1 or self.study.directions[0] != StudyDirection.MAXIMIZE
        ):
            raise invalid(
                _WHERE,
                "study",
                self.study,
                f"must maximize one objective (scores are greater-is-better), "
                f"has directions {[d.name for d in self.study.directions]}",
            )

    def _sample_indices(self, n_samples: int, random_state: np.random.RandomState) -> np.ndarray:
        count = (
            int(self.subsample)
            if isinstance(self.subsample, Integral)
            else int(self.subsample * n_samples)
        )
        indices = np.arange(n_samples)
        if count < n_samples:
            indices = np.sort(random_state.choice(indices, count, replace=False))
        return indices

    def _refit(self, X: Any, y: Any = None, **fit_params: Any) -> None:
        states = Counter(trial.state.name for trial in self.study_.trials)
        if not states["COMPLETE"]:
            raise ValueError(
                f"{_WHERE}: no trial of the search completed ({dict(states)}), so there are no "
                "best params to refit; the warnings of the failed trials say why"
            )
        self.best_estimator_ = clone(self.estimator).set_params(**self.study_.best_params)
        _logger.info(f"Refitting the estimator on {_num_samples(X)} samples")
        start = time.perf_counter()
        self.best_estimator_.fit(X, y, **fit_params)
        self.refit_time_ = time.perf_counter() - start
        _logger.info(f"Finished refitting in {self.refit_time_:.3f} s")

    # -- results ------------------------------------------------------------------------------
    @property
    def best_trial_(self) -> FrozenTrial:
        """The study's best trial."""
        self._check_is_fitted()
        return self.study_.best_trial

    @property
    def best_index_(self) -> int:
        """The number of the best trial (``best_trial_.number``)."""
        return self.best_trial_.number

    @property
    def best_params_(self) -> dict[str, Any]:
        """The params of the best trial."""
        self._check_is_fitted()
        return self.study_.best_params

    @property
    def best_score_(self) -> float:
        """The mean cross-validated score of the best trial."""
        self._check_is_fitted()
        return self.study_.best_value

    @property
    def trials_(self) -> list[FrozenTrial]:
        """Every trial of the study."""
        self._check_is_fitted()
        return self.study_.trials

    @property
    def n_trials_(self) -> int:
        """The number of trials in the study."""
        return len(self.trials_)

    @property
    def user_attrs_(self) -> dict[str, Any]:
        """The study's user attrs."""
        self._check_is_fitted()
        return self.study_.user_attrs

    @property
    def cv_results_(self) -> dict[str, list[Any]]:
        """The cross-validation results of the trials, keyed by the user attr names of the
        first trial, with one value per trial (GridSearchCV's ``cv_results_`` shape)."""
        attrs = [trial.user_attrs for trial in self.trials_]
        if not attrs:
            return {}
        return {key: [trial_attrs.get(key) for trial_attrs in attrs] for key in attrs[0]}

    @property
    def n_features_in_(self) -> int:
        """The number of features the refit estimator was fit on."""
        self._check_is_fitted()
        return int(self._best().n_features_in_)

    @property
    def classes_(self) -> Any:
        """The class labels of the refit classifier."""
        self._check_is_fitted()
        return self.best_estimator_.classes_

    def set_user_attr(self, key: str, value: Any) -> None:
        """Set a user attr on the study (``study_.set_user_attr``)."""
        self._check_is_fitted()
        self.study_.set_user_attr(key, value)

    def trials_dataframe(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """The study's trials as a pandas DataFrame (``study_.trials_dataframe``)."""
        self._check_is_fitted()
        return self.study_.trials_dataframe(*args, **kwargs)

    # -- the refit estimator ------------------------------------------------------------------
    def score(self, X: Any, y: Any = None) -> float:
        """Score the refit estimator on ``X`` and ``y`` with ``scorer_``."""
        self._check_is_fitted()
        return float(self.scorer_(self.best_estimator_, X, y))

    @available_if(_best_estimator_has("predict"))
    def predict(self, X: Any, **kwargs: Any) -> Any:
        """Call ``predict`` on the refit estimator."""
        return self._best().predict(X, **kwargs)

    @available_if(_best_estimator_has("predict_proba"))
    def predict_proba(self, X: Any, **kwargs: Any) -> Any:
        """Call ``predict_proba`` on the refit estimator."""
        return self._best().predict_proba(X, **kwargs)

    @available_if(_best_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X: Any, **kwargs: Any) -> Any:
        """Call ``predict_log_proba`` on the refit estimator."""
        return self._best().predict_log_proba(X, **kwargs)

    @available_if(_best_estimator_has("decision_function"))
    def decision_function(self, X: Any, **kwargs: Any) -> Any:
        """Call ``decision_function`` on the refit estimator."""
        return self._best().decision_function(X, **kwargs)

    @available_if(_best_estimator_has("score_samples"))
    def score_samples(self, X: Any) -> Any:
        """Call ``score_samples`` on the refit estimator."""
        return self._best().score_samples(X)

    @available_if(_best_estimator_has("transform"))
    def transform(self, X: Any, *args: Any, **kwargs: Any) -> Any:
        """Call ``transform`` on the refit estimator."""
        return self._best().transform(X, *args, **kwargs)

    @available_if(_best_estimator_has("inverse_transform"))
    def inverse_transform(self, X: Any, *args: Any, **kwargs: Any) -> Any:
        """Call ``inverse_transform`` on the refit estimator."""
        return self._best().inverse_transform(X, *args, **kwargs)

    def _best(self) -> Any:
        self._check_is_fitted()
        if not self.refit:
            raise AttributeError(
                f"{_WHERE} was fit with refit=False: it has no best_estimator_ to call; "
                "use best_params_ to fit one"
            )
        return self.best_estimator_


def _check_distributions(param_distributions: Any) -> None:
    if not isinstance(param_distributions, Mapping):
        raise invalid_type(
            _WHERE, "param_distributions", param_distributions, "a mapping of name -> distribution"
        )
    for name, distribution in param_distributions.items():
        if not isinstance(distribution, BaseDistribution):
            raise invalid_type(
                _WHERE,
                f"param_distributions[{name!r}]",
                distribution,
                "a tansaku distribution (FloatDistribution, IntDistribution or "
                "CategoricalDistribution from tansaku.distributions)",
            )


def _index_sample_params(
    fit_params: dict[str, Any], n_samples: int, indices: np.ndarray
) -> dict[str, Any]:
    """``fit_params`` with those that hold one value per sample (sample_weight, ...) cut to
    ``indices``; the others as given."""
    cut = {}
    for key, value in fit_params.items():
        per_sample = hasattr(value, "__len__") or hasattr(value, "shape")
        if per_sample and _num_samples_or_none(value) == n_samples:
            cut[key] = _safe_indexing(value, indices)
        else:
            cut[key] = value
    return cut


def _num_samples_or_none(value: Any) -> int | None:
    try:
        return int(_num_samples(value))
    except TypeError:
        return None


@contextlib.contextmanager
def _logging_at(verbose: int) -> Iterator[None]:
    """Set this module's log level from ``verbose`` for the duration of a fit."""
    previous = _logger.level
    _logger.setLevel(
        logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    )
    try:
        yield
    finally:
        _logger.setLevel(previous)
