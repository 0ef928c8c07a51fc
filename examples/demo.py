"""Tune a scikit-learn classifier on the digits dataset with TPE and pruning.

The objective picks a model family, then suggests only that family's hyperparameters: the
search space is built by the code as it runs. Each model is trained epoch by epoch on the 5
folds of a cross-validation of scikit-learn's bundled digits dataset (no download); after every
epoch the trial reports its mean validation accuracy over the folds, and the pruner stops the
trials that fall behind, so that the time goes to the promising ones. TPESampler proposes the
hyperparameters. The pruner is MedianPruner (the first 5 trials run to the end, and no trial
is judged before its 3rd epoch), or with ``--pruner hyperband`` HyperbandPruner, with which
TPE keeps one model per bracket (BOHB-style).

The study is kept in the SQLite file ``tansaku-demo.db`` when this build of tansaku has the
database storage, and in memory otherwise. With SQLite, running the demo again continues the
same study.

Run:
    python examples/demo.py
    python examples/demo.py --n-trials 10 --seed 0
    python examples/demo.py --pruner hyperband
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Protocol

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.kernel_approximation import RBFSampler
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

import tansaku as optuna

STORAGE_URL = "sqlite:///tansaku-demo.db"
STUDY_NAME = "digits-epochs"
REPORT_PATH = "tansaku-demo.html"
IN_MEMORY = "in memory (gone when this process exits)"
EPOCHS = 10  # the most epochs a trial trains: Hyperband's max_resource
N_FOLDS = 5
CLASSES = np.arange(10)


class EpochModel(Protocol):
    """A model trained one epoch at a time on one fold."""

    def prepare(self, train: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The fold's training and validation features as the model reads them."""
        ...

    def train_epoch(self, features: np.ndarray, labels: np.ndarray) -> None: ...

    def score(self, features: np.ndarray, labels: np.ndarray) -> float: ...


class SGDModel:
    """A linear model trained by stochastic gradient descent, one pass per epoch, on the
    features ``transform`` makes (None: the pixels)."""

    def __init__(self, classifier: SGDClassifier, transform: RBFSampler | None = None) -> None:
        self.classifier = classifier
        self.transform = transform

    def prepare(self, train: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.transform is None:
            return train, valid
        self.transform.fit(train)
        return self.transform.transform(train), self.transform.transform(valid)

    def train_epoch(self, features: np.ndarray, labels: np.ndarray) -> None:
        self.classifier.partial_fit(features, labels, classes=CLASSES)

    def score(self, features: np.ndarray, labels: np.ndarray) -> float:
        return float(self.classifier.score(features, labels))


class GrowingForest:
    """A random forest that grows ``trees_per_epoch`` more trees each epoch."""

    def __init__(self, forest: RandomForestClassifier, trees_per_epoch: int) -> None:
        self.forest = forest
        self.trees_per_epoch = trees_per_epoch

    def prepare(self, train: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return train, valid

    def train_epoch(self, features: np.ndarray, labels: np.ndarray) -> None:
        grown = len(getattr(self.forest, "estimators_", []))
        self.forest.set_params(n_estimators=grown + self.trees_per_epoch)
        self.forest.fit(features, labels)

    def score(self, features: np.ndarray, labels: np.ndarray) -> float:
        return float(self.forest.score(features, labels))


def suggest_model(trial: optuna.Trial) -> EpochModel:
    """Build the model a trial asks for: a model family, then that family's params.

    Param names carry the family's prefix because each family has its own ranges, and a name
    must keep one range throughout a study.
    """
    family = trial.suggest_categorical(
        "classifier", ["logistic_regression", "svc", "random_forest"]
    )
    if family == "logistic_regression":
        # Regularization strength and step size span orders of magnitude: log scale.
        alpha = trial.suggest_float("logreg_alpha", 1e-6, 1e-1, log=True)
        eta0 = trial.suggest_float("logreg_eta0", 1e-4, 1e-1, log=True)
        return SGDModel(
            SGDClassifier(
                loss="log_loss", alpha=alpha, learning_rate="constant", eta0=eta0, random_state=0
            )
        )
    if family == "svc":
        # An RBF-kernel SVM: random Fourier features of the kernel, then a linear hinge loss.
        gamma = trial.suggest_float("svc_gamma", 1e-3, 1.0, log=True)
        alpha = trial.suggest_float("svc_alpha", 1e-6, 1e-1, log=True)
        return SGDModel(
            SGDClassifier(loss="hinge", alpha=alpha, random_state=0),
            RBFSampler(gamma=gamma, n_components=300, random_state=0),
        )
    max_depth = trial.suggest_int("rf_max_depth", 4, 32, log=True)
    max_features = trial.suggest_float("rf_max_features", 0.05, 1.0, log=True)
    forest = RandomForestClassifier(
        n_estimators=0, max_depth=max_depth, max_features=max_features, warm_start=True,
        n_jobs=1, random_state=0,
    )  # fmt: skip
    return GrowingForest(forest, trees_per_epoch=4)


def make_objective(features: np.ndarray, labels: np.ndarray) -> Callable[[optuna.Trial], float]:
    """Return the objective: the mean 5-fold validation accuracy after the last epoch,
    reported after every epoch so that the pruner can stop the trial early."""
    splitter = StratifiedKFold(n_splits=N_FOLDS, shuffle=True, random_state=0)
    folds = list(splitter.split(features, labels))

    def objective(trial: optuna.Trial) -> float:
        template = suggest_model(trial)
        models = [_copy(template) for _ in folds]
        data = [
            (*model.prepare(features[train], features[valid]), labels[train], labels[valid])
            for model, (train, valid) in zip(models, folds)
        ]
        accuracy = 0.0
        for epoch in range(EPOCHS):
            scores = []
            for model, (x_train, x_valid, y_train, y_valid) in zip(models, data):
                model.train_epoch(x_train, y_train)
                scores.append(model.score(x_valid, y_valid))
            accuracy = float(np.mean(scores))
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return accuracy

    return objective


def _copy(model: EpochModel) -> EpochModel:
    """A fresh, untrained copy of ``model``, one per fold."""
    if isinstance(model, GrowingForest):
        return GrowingForest(clone(model.forest), model.trees_per_epoch)
    assert isinstance(model, SGDModel)
    transform = None if model.transform is None else clone(model.transform)
    return SGDModel(clone(model.classifier), transform)


def make_pruner(name: str) -> optuna.pruners.BasePruner:
    """The pruner called ``name`` on the command line."""
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=EPOCHS, reduction_factor=3
        )
    return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2)


def create_study(seed: int | None, pruner_name: str) -> tuple[optuna.Study, str]:
    """Create (or continue) the study in SQLite if this build has it, else in memory.

    Returns:
        The study and a description of where its results are kept.
    """
    sampler = optuna.samplers.TPESampler(seed=seed)
    pruner = make_pruner(pruner_name)
    try:
        study = optuna.create_study(
            storage=STORAGE_URL,
            study_name=STUDY_NAME,
            direction="maximize",
            sampler=sampler,
            pruner=pruner,
            load_if_exists=True,
        )
    except NotImplementedError:
        print(
            f"Note: {STORAGE_URL} is not available in this build; keeping the study in memory.",
            flush=True,
        )
        study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
        return study, IN_MEMORY
    path = os.path.abspath(STORAGE_URL.removeprefix("sqlite:///"))
    return study, f"{path} (study {STUDY_NAME!r}; run the demo again to add trials)"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n-trials", type=int, default=50, help="trials to run (default 50)")
    parser.add_argument(
        "--seed", type=int, default=None, help="make the run reproducible: TPESampler(seed=SEED)"
    )
    parser.add_argument(
        "--pruner",
        choices=["median", "hyperband"],
        default="median",
        help="MedianPruner (default) or HyperbandPruner",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    features, labels = load_digits(return_X_y=True)
    # Pixels are 0..16; scaled to 0..1 they suit every family without a per-family pipeline.
    features = features / 16.0

    study, where = create_study(args.seed, args.pruner)
    first_new = len(study.trials)
    started = time.perf_counter()
    # The matrices are small: one BLAS thread each is faster than threads that wait on
    # each other (and than sharing the cores with other work).
    with threadpool_limits(limits=1):
        study.optimize(make_objective(features, labels), n_trials=args.n_trials)
    elapsed = time.perf_counter() - started

    new_trials = study.trials[first_new:]
    epochs = sum(len(t.intermediate_values) for t in new_trials)
    counts = Counter(trial.state.name for trial in study.trials)
    by_state = ", ".join(f"{state} {count}" for state, count in sorted(counts.items()))
    print()
    print(f"Ran {args.n_trials} trials in {elapsed:.1f} s.")
    print(
        f"They trained {epochs} epochs of the {len(new_trials) * EPOCHS} that running every "
        "trial to the end would take: the pruner stopped the rest."
    )
    print(f"Trials in the study by state: {by_state}")
    best = study.best_trial
    print(f"Best trial: #{best.number}")
    print(f"  accuracy ({N_FOLDS}-fold CV): {best.value:.4f}")
    print("  params:")
    for name, value in best.params.items():
        print(f"    {name}: {value}")
    print(f"Results: {where}")
    if optuna.visualization.is_available():
        report = optuna.visualization.report(study, REPORT_PATH)
        print(f"Report: {report.resolve()} (open it in a browser; it works offline)")
    else:
        print("Report: skipped; pip install tansaku[visualization] to get one")
    if where != IN_MEMORY:  # kept in the SQLite file, which the dashboard opens
        path = STORAGE_URL.removeprefix("sqlite:///")
        print(f"Dashboard (pip install tansaku[dashboard]): tansaku dashboard {path}")


if __name__ == "__main__":
    main()
