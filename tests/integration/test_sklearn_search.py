"""OptunaSearchCV: a scikit-learn estimator whose fit is a study of cross-validated trials.

Needs only scikit-learn (which ``make test`` has), so it is not marked ``integrations``. The data
are small slices of iris and digits, the studies a few trials each.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone, is_classifier
from sklearn.datasets import load_digits, load_iris
from sklearn.decomposition import PCA
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils import estimator_checks

import tansaku
from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tansaku.integration.sklearn import OptunaSearchCV
from tansaku.pruners import ThresholdPruner
from tansaku.trial import TrialState

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
C_SPACE = {"C": FloatDistribution(1e-2, 1e2, log=True)}


def _digits(n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    x, y = load_digits(return_X_y=True)
    return x[:n] / 16.0, y[:n]


def _svc_search(**kwargs: Any) -> OptunaSearchCV:
    kwargs = {"n_trials": 4, "cv": 3, "random_state": 0, **kwargs}
    return OptunaSearchCV(SVC(), C_SPACE, **kwargs)


class _FailingClassifier(ClassifierMixin, BaseEstimator):
    """Fails every fit with the error it is given (a param, so clone keeps it)."""

    def __init__(self, C: float = 1.0, error: type[Exception] = RuntimeError) -> None:
        self.C = C
        self.error = error

    def fit(self, X: Any, y: Any) -> _FailingClassifier:
        raise self.error("this classifier never fits")


class _NotFitting(Exception):
    pass


def test_search_refits_the_best_params_and_predicts_with_them() -> None:
    space = {"alpha": FloatDistribution(1e-4, 1e-1, log=True)}
    classifier = SGDClassifier(loss="log_loss", random_state=0)
    search = OptunaSearchCV(classifier, space, n_trials=4, cv=3, random_state=0)
    search.fit(X_IRIS, Y_IRIS)

    best = search.best_estimator_
    assert best.get_params()["alpha"] == search.best_params_["alpha"]
    assert search.best_params_ == search.study_.best_params
    assert search.best_trial_.number == search.best_index_
    assert search.best_score_ == search.best_trial_.value > 0.6
    assert search.n_trials_ == len(search.trials_) == 4
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        np.testing.assert_array_equal(
            getattr(search, method)(X_IRIS), getattr(best, method)(X_IRIS)
        )
    np.testing.assert_array_equal(search.classes_, [0, 1, 2])
    assert search.n_features_in_ == 4
    assert search.score(X_IRIS, Y_IRIS) == best.score(X_IRIS, Y_IRIS)
    assert search.refit_time_ >= 0.0
    assert search.n_splits_ == 3
    assert is_classifier(search)
    assert not hasattr(search, "transform")  # the classifier has none, nor has the search


def test_each_trial_records_its_cross_validation_as_user_attrs() -> None:
    search = _svc_search(n_trials=3, return_train_score=True).fit(X_IRIS, Y_IRIS)

    splits = [f"split{i}_{kind}_score" for kind in ("test", "train") for i in range(3)]
    means = [f"{s}_{name}" for name in ("fit_time", "score_time") for s in ("mean", "std")]
    scores = [f"{s}_{kind}_score" for kind in ("test", "train") for s in ("mean", "std")]
    for trial in search.trials_:
        attrs = trial.user_attrs
        assert set(attrs) == set(splits + means + scores)
        tests = [attrs[f"split{i}_test_score"] for i in range(3)]
        assert attrs["mean_test_score"] == pytest.approx(np.mean(tests))
        assert attrs["std_test_score"] == pytest.approx(np.std(tests))
        assert trial.value == attrs["mean_test_score"]
        assert trial.system_attrs["terminator:cv_scores"] == tests
    results = search.cv_results_
    assert set(results) == set(splits + means + scores)
    assert results["mean_test_score"] == [t.value for t in search.trials_]


def test_search_runs_in_the_given_study_and_rejects_one_that_minimizes() -> None:
    study = tansaku.create_study(direction="maximize")
    search = _svc_search(study=study, n_trials=2).fit(X_IRIS, Y_IRIS)
    assert search.study_ is study and len(study.trials) == 2

    minimizing = tansaku.create_study(direction="minimize")
    with pytest.raises(ValueError, match=r"OptunaSearchCV: study=.* must maximize one objective"):
        _svc_search(study=minimizing).fit(X_IRIS, Y_IRIS)
    assert minimizing.trials == []


def test_the_same_random_state_repeats_the_search() -> None:
    first = _svc_search(random_state=3, subsample=0.5).fit(X_IRIS, Y_IRIS)
    second = _svc_search(random_state=3, subsample=0.5).fit(X_IRIS, Y_IRIS)
    assert [t.params for t in first.trials_] == [t.params for t in second.trials_]
    np.testing.assert_array_equal(first.sample_indices_, second.sample_indices_)


@pytest.mark.parametrize(("subsample", "expected"), [(0.4, 60), (50, 50), (1.0, 150)])
def test_subsample_searches_on_sorted_rows_and_refits_on_all(
    subsample: Any, expected: int
) -> None:
    search = _svc_search(n_trials=1, subsample=subsample).fit(X_IRIS, Y_IRIS)
    indices = search.sample_indices_
    assert len(indices) == expected == len(set(indices.tolist()))
    assert list(indices) == sorted(indices)
    assert search.best_estimator_.n_features_in_ == 4
    assert len(search.best_estimator_.predict(X_IRIS)) == 150


def test_pruning_trains_epoch_by_epoch_and_reports_each() -> None:
    x, y = _digits()
    space = {"alpha": FloatDistribution(1e-5, 1e-1, log=True)}
    search = OptunaSearchCV(
        SGDClassifier(random_state=0), space, enable_pruning=True, max_iter=3, n_trials=2, cv=3
    ).fit(x, y)
    for trial in search.trials_:
        assert trial.state == TrialState.COMPLETE
        assert sorted(trial.intermediate_values) == [0, 1, 2]
        assert trial.value == pytest.approx(trial.intermediate_values[2])


def test_a_pruned_trial_keeps_the_scores_it_reached() -> None:
    x, y = _digits()
    # No accuracy reaches 1.1, so every trial is pruned after its first epoch.
    study = tansaku.create_study(direction="maximize", pruner=ThresholdPruner(lower=1.1))
    space = {"alpha": FloatDistribution(1e-5, 1e-1, log=True)}
    search = OptunaSearchCV(
        SGDClassifier(random_state=0),
        space,
        enable_pruning=True,
        max_iter=5,
        n_trials=2,
        cv=3,
        study=study,
        refit=False,
    ).fit(x, y)
    for trial in search.trials_:
        assert trial.state == TrialState.PRUNED
        assert list(trial.intermediate_values) == [0]
        assert trial.user_attrs["mean_test_score"] == pytest.approx(trial.intermediate_values[0])
        assert "split2_test_score" in trial.user_attrs


def test_pruning_needs_partial_fit() -> None:
    with pytest.raises(
        ValueError, match=r"OptunaSearchCV: estimator=SVC\(\) must have partial_fit"
    ):
        _svc_search(enable_pruning=True).fit(X_IRIS, Y_IRIS)


def test_a_failing_fit_scores_error_score_or_raises() -> None:
    space = {"C": FloatDistribution(0.1, 1.0)}
    search = OptunaSearchCV(
        _FailingClassifier(), space, error_score=0.25, n_trials=2, cv=3, refit=False
    )
    with pytest.warns(FitFailedWarning):
        search.fit(X_IRIS, Y_IRIS)
    assert [t.value for t in search.trials_] == [0.25, 0.25]
    assert search.trials_[0].user_attrs["split1_test_score"] == 0.25

    raising = OptunaSearchCV(_FailingClassifier(), space, error_score="raise", n_trials=2, cv=3)
    with pytest.raises(RuntimeError, match="never fits"):
        raising.fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match=r"OptunaSearchCV: error_score='often' must be 'raise'"):
        OptunaSearchCV(_FailingClassifier(), space, error_score="often").fit(X_IRIS, Y_IRIS)


def test_caught_errors_fail_their_trial_and_refit_says_none_completed() -> None:
    space = {"C": FloatDistribution(0.1, 1.0)}
    search = OptunaSearchCV(
        _FailingClassifier(error=_NotFitting),
        space,
        error_score="raise",
        n_trials=3,
        catch=(_NotFitting,),
    )
    with pytest.raises(ValueError, match=r"no trial of the search completed \({'FAIL': 3}\)"):
        search.fit(X_IRIS, Y_IRIS)
    assert [t.state for t in search.study_.trials] == [TrialState.FAIL] * 3


def test_callbacks_timeout_and_threads_reach_the_study() -> None:
    seen: list[int] = []
    search = _svc_search(
        n_trials=4,
        n_jobs=2,
        timeout=60.0,
        callbacks=[lambda study, trial: seen.append(trial.number)],
    ).fit(X_IRIS, Y_IRIS)
    assert sorted(seen) == [0, 1, 2, 3]
    assert search.n_trials_ == 4

    # The study checks its timeout before each trial: one already over runs none.
    stopped = _svc_search(n_trials=None, timeout=1e-9, refit=False).fit(X_IRIS, Y_IRIS)
    assert stopped.n_trials_ == 0


def test_search_works_on_a_pipeline_and_inside_cross_val_score() -> None:
    pipeline = Pipeline([("scale", StandardScaler()), ("svc", SVC())])
    space = {
        "svc__C": FloatDistribution(1e-2, 1e2, log=True),
        "svc__kernel": CategoricalDistribution(["linear", "rbf"]),
    }
    search = OptunaSearchCV(pipeline, space, n_trials=3, cv=3, random_state=0).fit(X_IRIS, Y_IRIS)
    assert search.best_params_["svc__C"] == search.best_estimator_.named_steps["svc"].C

    folds = KFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(_svc_search(n_trials=2), X_IRIS, Y_IRIS, cv=folds)
    assert scores.shape == (3,) and np.all(scores > 0.8)


def test_search_over_a_transformer_transforms_with_the_best() -> None:
    space = {"n_components": IntDistribution(1, 3)}
    search = OptunaSearchCV(PCA(), space, n_trials=3, cv=3, random_state=0).fit(X_IRIS)
    n_components = search.best_params_["n_components"]
    assert search.transform(X_IRIS).shape == (150, n_components)
    restored = search.inverse_transform(search.transform(X_IRIS))
    np.testing.assert_allclose(
        restored,
        search.best_estimator_.inverse_transform(search.best_estimator_.transform(X_IRIS)),
    )
    np.testing.assert_array_equal(
        search.score_samples(X_IRIS), search.best_estimator_.score_samples(X_IRIS)
    )


def test_without_refit_the_search_has_params_but_no_estimator() -> None:
    search = _svc_search(refit=False, n_trials=2).fit(X_IRIS, Y_IRIS)
    assert set(search.best_params_) == {"C"}
    assert not hasattr(search, "best_estimator_")
    with pytest.raises(AttributeError, match="refit=False"):
        search.predict(X_IRIS)


def test_results_before_fit_raise_not_fitted() -> None:
    search = _svc_search()
    for name in ("best_params_", "best_score_", "best_trial_", "best_index_", "trials_"):
        with pytest.raises(NotFittedError):
            getattr(search, name)
    with pytest.raises(NotFittedError):
        search.predict(X_IRIS)


def test_study_helpers_reach_the_study() -> None:
    search = _svc_search(n_trials=2).fit(X_IRIS, Y_IRIS)
    search.set_user_attr("dataset", "iris")
    assert search.user_attrs_ == {"dataset": "iris"}
    assert len(search.trials_dataframe()) == 2


def test_a_param_that_is_not_a_distribution_fails_at_the_call_naming_it() -> None:
    with pytest.raises(
        TypeError, match=r"OptunaSearchCV: param_distributions\['C'\] must be a tansaku distr"
    ):
        OptunaSearchCV(SVC(), {"C": [0.1, 1.0, 10.0]})
    with pytest.raises(TypeError, match="OptunaSearchCV: param_distributions must be a mapping"):
        OptunaSearchCV(SVC(), [("C", FloatDistribution(0.1, 1.0))])  # type: ignore[arg-type]

    # A space set after construction is checked when fit runs, before any trial.
    search = _svc_search().set_params(param_distributions={"gamma": "scale"})
    with pytest.raises(TypeError, match=r"param_distributions\['gamma'\]"):
        search.fit(X_IRIS, Y_IRIS)


def test_verbose_logs_the_search_and_restores_the_level(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    logger = logging.getLogger("tansaku.integration.sklearn")
    before = logger.level
    with caplog.at_level(logging.INFO, logger="tansaku"):
        _svc_search(n_trials=1, verbose=1).fit(X_IRIS, Y_IRIS)
    assert "Searching the best hyperparameters on 150 samples" in caplog.text
    assert "Refitting the estimator on 150 samples" in caplog.text
    assert logger.level == before


def test_clone_keeps_every_param() -> None:
    search = _svc_search(n_jobs=2, subsample=0.5, callbacks=[print])
    copy = clone(search)
    assert copy.get_params(deep=False).keys() == search.get_params(deep=False).keys()
    assert copy.n_jobs == 2 and copy.subsample == 0.5 and copy.n_trials == 4
    assert copy.param_distributions == C_SPACE


# scikit-learn's estimator checks about the estimator API (clone, params, fit's return, pickling,
# fitted state). Left out: the checks of input validation (NaN, sparse, empty or one-sample data,
# malformed targets), which OptunaSearchCV leaves to the estimator it tunes and, as GridSearchCV
# does, turns into error_score; and check_do_not_raise_errors_in_init_or_set_params, because a
# space that is not made of distributions fails at the constructor that received it.
API_CHECKS = [
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_estimators_unfitted",
    "check_fit_check_is_fitted",
    "check_estimators_pickle",
    "check_mixin_order",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_classifiers_classes",
    "check_classifier_data_not_an_array",
    "check_fit_score_takes_y",
    "check_dict_unchanged",
]


@pytest.mark.parametrize("check", API_CHECKS)
def test_scikit_learn_api_checks_pass(check: str) -> None:
    search = OptunaSearchCV(SVC(), C_SPACE, n_trials=2, cv=2)
    getattr(estimator_checks, check)("OptunaSearchCV", search)
