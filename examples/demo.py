"""Tune a scikit-learn classifier on the digits dataset with tansaku.

The objective picks a model family, then suggests only that family's hyperparameters: the
search space is built by the code as it runs. Each trial is scored by 5-fold cross-validated
accuracy on scikit-learn's bundled digits dataset (no download).

The study is kept in the SQLite file ``tansaku-demo.db`` when this build of tansaku has the
database storage, and in memory otherwise. With SQLite, running the demo again continues the
same study.

Run:
    python examples/demo.py
    python examples/demo.py --n-trials 10 --seed 0
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from collections.abc import Callable

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC

import tansaku as optuna

STORAGE_URL = "sqlite:///tansaku-demo.db"
STUDY_NAME = "digits-classifier"


def suggest_classifier(trial: optuna.Trial) -> ClassifierMixin:
    """Build the classifier a trial asks for: a model family, then that family's params.

    Param names carry the family's prefix because each family has its own ranges, and a name
    must keep one range throughout a study.
    """
    family = trial.suggest_categorical(
        "classifier", ["logistic_regression", "svc", "random_forest", "knn"]
    )
    if family == "logistic_regression":
        # Inverse regularization strength spans orders of magnitude: search it on a log scale.
        c = trial.suggest_float("logreg_C", 1e-4, 1e2, log=True)
        return LogisticRegression(C=c, max_iter=1000)
    if family == "svc":
        c = trial.suggest_float("svc_C", 1e-2, 1e3, log=True)
        gamma = trial.suggest_float("svc_gamma", 1e-4, 1e1, log=True)
        return SVC(C=c, gamma=gamma)
    if family == "random_forest":
        # Capped at 200 trees so that one trial stays around a second.
        n_estimators = trial.suggest_int("rf_n_estimators", 20, 200, step=20)
        max_depth = trial.suggest_int("rf_max_depth", 2, 32, log=True)
        return RandomForestClassifier(
            n_estimators=n_estimators, max_depth=max_depth, n_jobs=1, random_state=0
        )
    n_neighbors = trial.suggest_int("knn_n_neighbors", 1, 30)
    weights = trial.suggest_categorical("knn_weights", ["uniform", "distance"])
    return KNeighborsClassifier(n_neighbors=n_neighbors, weights=weights, n_jobs=1)


def make_objective(features: np.ndarray, labels: np.ndarray) -> Callable[[optuna.Trial], float]:
    """Return the objective: mean 5-fold cross-validated accuracy of the suggested model."""

    def objective(trial: optuna.Trial) -> float:
        classifier = suggest_classifier(trial)
        # n_jobs=1 keeps sklearn from starting its own workers, so the run time is predictable.
        scores = cross_val_score(classifier, features, labels, cv=5, n_jobs=1)
        return float(scores.mean())

    return objective


def create_study(sampler: optuna.samplers.BaseSampler | None) -> tuple[optuna.Study, str]:
    """Create (or continue) the study in SQLite if this build has it, else in memory.

    Returns:
        The study and a description of where its results are kept.
    """
    try:
        study = optuna.create_study(
            storage=STORAGE_URL,
            study_name=STUDY_NAME,
            direction="maximize",
            sampler=sampler,
            load_if_exists=True,
        )
    except NotImplementedError:
        print(
            f"Note: {STORAGE_URL} is not available in this build; keeping the study in memory.",
            flush=True,
        )
        study = optuna.create_study(direction="maximize", sampler=sampler)
        return study, "in memory (gone when this process exits)"
    path = os.path.abspath(STORAGE_URL.removeprefix("sqlite:///"))
    return study, f"{path} (study {STUDY_NAME!r}; run the demo again to add trials)"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n-trials", type=int, default=50, help="trials to run (default 50)")
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="make the run reproducible with RandomSampler(seed=SEED) "
        "instead of the default sampler",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    features, labels = load_digits(return_X_y=True)
    # Pixels are 0..16; scaled to 0..1 they suit every family without a per-family pipeline.
    features = features / 16.0

    sampler = None if args.seed is None else optuna.samplers.RandomSampler(seed=args.seed)
    study, where = create_study(sampler)
    started = time.perf_counter()
    study.optimize(make_objective(features, labels), n_trials=args.n_trials)
    elapsed = time.perf_counter() - started

    counts = Counter(trial.state.name for trial in study.trials)
    by_state = ", ".join(f"{state} {count}" for state, count in sorted(counts.items()))
    print()
    print(f"Ran {args.n_trials} trials in {elapsed:.1f} s.")
    print(f"Trials in the study by state: {by_state}")
    best = study.best_trial
    print(f"Best trial: #{best.number}")
    print(f"  accuracy (5-fold CV): {best.value:.4f}")
    print("  params:")
    for name, value in best.params.items():
        print(f"    {name}: {value}")
    print(f"Results: {where}")


if __name__ == "__main__":
    main()
