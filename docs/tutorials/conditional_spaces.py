"""Conditional and variable-length search spaces: parameters that exist only for some trials.

The first choice (which model) decides which other parameters the trial has; a network's depth
decides how many width parameters it has. Define-by-run means the objective is ordinary Python:
``if`` and ``for`` shape the space.

Run:
    python docs/tutorials/conditional_spaces.py
"""

from __future__ import annotations

import argparse
import warnings

from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPClassifier

import tansaku

X, y = load_digits(return_X_y=True)
X, y = X[:600] / 16.0, y[:600]  # a subset keeps the tutorial quick


def objective(trial: tansaku.Trial) -> float:
    family = trial.suggest_categorical("family", ["logistic", "forest", "mlp"])
    if family == "logistic":
        # Only logistic trials have "C".
        model = LogisticRegression(C=trial.suggest_float("C", 1e-3, 1e2, log=True), max_iter=200)
    elif family == "forest":
        model = RandomForestClassifier(
            n_estimators=trial.suggest_int("n_estimators", 5, 40, log=True),
            max_depth=trial.suggest_int("max_depth", 2, 16),
            random_state=0,
        )
    else:
        # A variable-length space: the depth decides how many widths there are.
        n_layers = trial.suggest_int("n_layers", 1, 3)
        widths = [trial.suggest_int(f"width_{i}", 8, 64, log=True) for i in range(n_layers)]
        model = MLPClassifier(hidden_layer_sizes=widths, max_iter=60, random_state=0)
    return cross_val_score(model, X, y, cv=3).mean()


def main(argv: list[str] | None = None) -> tansaku.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=15)
    args = parser.parse_args(argv)

    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # short training on purpose
    # group=True is marked experimental (its behaviour may still change); this says we know.
    warnings.filterwarnings("ignore", category=tansaku.exceptions.ExperimentalWarning)
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    # TPE models each parameter where it exists; group=True (with multivariate=True) models
    # the trials of each branch on their own.
    sampler = tansaku.samplers.TPESampler(seed=0, multivariate=True, group=True)
    study = tansaku.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, n_trials=args.n_trials)

    for trial in study.trials[:5]:
        print(trial.number, trial.params)  # each trial lists only the params it used
    print(f"best accuracy {study.best_value:.3f} with {study.best_params}")
    return study


if __name__ == "__main__":
    main()
