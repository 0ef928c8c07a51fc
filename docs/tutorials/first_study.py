"""The first study: tune a ridge regression's penalty and a feature choice, then read the result.

Run:
    python docs/tutorials/first_study.py
    python docs/tutorials/first_study.py --n-trials 50
"""

from __future__ import annotations

import argparse

from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

import tansaku

X, y = load_diabetes(return_X_y=True)  # bundled with scikit-learn: nothing is downloaded


def objective(trial: tansaku.Trial) -> float:
    """Return the cross-validated mean squared error of one configuration (lower is better)."""
    # Each suggest_* call both defines a parameter's range and draws its value for this trial.
    alpha = trial.suggest_float("alpha", 1e-4, 1e2, log=True)
    degree = trial.suggest_int("degree", 1, 2)
    scale = trial.suggest_categorical("scale", [True, False])
    steps = [PolynomialFeatures(degree, include_bias=False)]
    if scale:
        steps.append(StandardScaler())
    model = make_pipeline(*steps, Ridge(alpha=alpha))
    scores = cross_val_score(model, X, y, cv=3, scoring="neg_mean_squared_error")
    return -scores.mean()


def main(argv: list[str] | None = None) -> tansaku.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=20)
    args = parser.parse_args(argv)

    tansaku.logging.set_verbosity(tansaku.logging.WARNING)  # one line per trial is too chatty
    # The default sampler is TPESampler; a seed makes the run repeatable.
    study = tansaku.create_study(direction="minimize", sampler=tansaku.samplers.TPESampler(seed=0))
    study.optimize(objective, n_trials=args.n_trials)

    print(f"best MSE {study.best_value:.1f} with {study.best_params}")
    print(f"trials run: {len(study.trials)}; the best is number {study.best_trial.number}")
    return study


if __name__ == "__main__":
    main()
