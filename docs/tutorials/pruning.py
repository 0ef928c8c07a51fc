"""Pruning: stop the trials whose learning curve falls behind, and spend the time on others.

A linear classifier learns scikit-learn's bundled digits one epoch at a time. After each epoch
the trial reports its validation accuracy; ``MedianPruner`` stops a trial whose accuracy is
below the median of earlier trials at the same epoch.

Run:
    python docs/tutorials/pruning.py
    python docs/tutorials/pruning.py --n-trials 40 --epochs 20
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split

import tansaku
from tansaku.trial import TrialState

X, y = load_digits(return_X_y=True)
X_train, X_valid, y_train, y_valid = train_test_split(X / 16.0, y, random_state=0)
CLASSES = np.unique(y)


def make_objective(epochs: int):
    def objective(trial: tansaku.Trial) -> float:
        alpha = trial.suggest_float("alpha", 1e-6, 1e-1, log=True)
        eta0 = trial.suggest_float("eta0", 1e-4, 1.0, log=True)
        model = SGDClassifier(
            alpha=alpha, eta0=eta0, learning_rate="constant", random_state=trial.number
        )
        accuracy = 0.0
        for epoch in range(epochs):
            model.partial_fit(X_train, y_train, classes=CLASSES)
            accuracy = model.score(X_valid, y_valid)
            trial.report(accuracy, step=epoch)  # the learning curve, one point per epoch
            if trial.should_prune():  # the pruner compares it with the other trials'
                raise tansaku.TrialPruned()
        return accuracy

    return objective


def main(argv: list[str] | None = None) -> tansaku.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args(argv)

    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    study = tansaku.create_study(
        direction="maximize",
        sampler=tansaku.samplers.TPESampler(seed=0),
        # Prune nothing during the first 5 trials (no median yet worth trusting) nor before
        # each trial's second epoch (the first is noisy).
        pruner=tansaku.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1),
    )
    study.optimize(make_objective(args.epochs), n_trials=args.n_trials)

    pruned = study.get_trials(states=(TrialState.PRUNED,))
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    print(f"{len(complete)} trials completed, {len(pruned)} pruned")
    print(f"best accuracy {study.best_value:.3f} with {study.best_params}")
    return study


if __name__ == "__main__":
    main()
