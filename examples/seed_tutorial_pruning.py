"""Search a small network's learning rate and regularization, pruning poor trials early.

A tutorial's PyTorch example run offline with scikit-learn: ``MLPRegressor.partial_fit`` takes
one full-batch Adam step per call, so the training loop, the per-step ``trial.report`` and the
``trial.should_prune`` check keep the tutorial's shape. ``MedianPruner`` stops a trial whose
validation loss is worse than the median of earlier trials at the same step.

Run:
    python examples/seed_tutorial_pruning.py
    python examples/seed_tutorial_pruning.py --n-trials 10 --steps 30
"""

from __future__ import annotations

import tansaku as optuna  # The one line that differs from code written for Optuna.

# isort: split
import argparse
from collections.abc import Callable

import numpy as np
from sklearn.metrics import mean_squared_error
from sklearn.neural_network import MLPRegressor

N_FEATURES = 10


def make_data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return a seeded regression problem: 100 training and 50 validation rows of 10 features.

    The target is a linear signal plus an interaction and noise, so that there is something
    to learn and, with so few rows, something to overfit.
    """
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=N_FEATURES)

    def sample(n_rows: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.normal(size=(n_rows, N_FEATURES))
        y = x @ weights + np.tanh(x[:, 0] * x[:, 1]) + 0.3 * rng.normal(size=n_rows)
        return x, y

    x_train, y_train = sample(100)
    x_valid, y_valid = sample(50)
    return x_train, y_train, x_valid, y_valid


def get_model(trial: optuna.Trial, lr: float) -> MLPRegressor:
    """Build a one-hidden-layer network of 32 ReLU units with the trial's regularization.

    ``MLPRegressor`` has no dropout; its L2 penalty ``alpha`` takes the place of the
    tutorial's ``dropout_rate`` as the regularization being searched.
    """
    alpha = trial.suggest_float("alpha", 1e-6, 1e0, log=True)
    return MLPRegressor(
        hidden_layer_sizes=(32,),
        activation="relu",
        solver="adam",
        alpha=alpha,
        learning_rate_init=lr,
        # The whole training set in one batch: each partial_fit is one optimizer step, like
        # the tutorial's loop.
        batch_size=100,
        random_state=0,
    )


def make_objective(
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], n_steps: int
) -> Callable[[optuna.Trial], float]:
    """Return the objective: the validation MSE after ``n_steps`` training steps."""
    x_train, y_train, x_valid, y_valid = data

    def objective(trial: optuna.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        model = get_model(trial, lr)

        val_loss = float("inf")
        for step in range(n_steps):
            model.partial_fit(x_train, y_train)

            val_loss = float(mean_squared_error(y_valid, model.predict(x_valid)))
            trial.report(val_loss, step)
            if trial.should_prune():
                raise optuna.exceptions.TrialPruned()

        return val_loss

    return objective


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n-trials", type=int, default=100, help="trials (default 100)")
    parser.add_argument("--steps", type=int, default=100, help="steps per trial (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data (default 0)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    objective = make_objective(make_data(args.seed), args.steps)

    study = optuna.create_study(direction="minimize", pruner=optuna.pruners.MedianPruner())
    study.optimize(objective, n_trials=args.n_trials)

    states = [trial.state for trial in study.trials]
    n_pruned = states.count(optuna.trial.TrialState.PRUNED)
    n_complete = states.count(optuna.trial.TrialState.COMPLETE)
    print(f"Trials: {len(states)} ({n_pruned} pruned, {n_complete} complete)")
    print("Best trial:")
    trial = study.best_trial
    print(f"  Value: {trial.value}")
    print("  Params: ")
    for key, value in trial.params.items():
        print(f"    {key}: {value}")


if __name__ == "__main__":
    main()
