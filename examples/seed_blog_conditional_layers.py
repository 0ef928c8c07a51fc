"""Search a network's depth, its per-layer widths and its optimizer, pruning per epoch.

A blog post's PyTorch example run offline with scikit-learn on the bundled digits dataset.
The number of hidden layers is suggested first and each layer's width is then suggested in a
loop (``fc_output_feat_0``, ``fc_output_feat_1``, ...), so trials differ in which params they
have. ``MLPClassifier.partial_fit`` trains one epoch per call; the test accuracy after each
epoch is reported and the default pruner may stop the trial. The study is kept in the SQLite
file ``tansaku-blog.db`` when this build of tansaku has the database storage (and is then
continued by the next run), and in memory otherwise.

Run:
    python examples/seed_blog_conditional_layers.py
    python examples/seed_blog_conditional_layers.py --n-trials 10 --epochs 5
"""

from __future__ import annotations

import tansaku as optuna  # The one line that differs from code written for Optuna.

# isort: split
import argparse
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

STORAGE_URL = "sqlite:///tansaku-blog.db"
STUDY_NAME = "001"
N_CLASSES = 10

# scikit-learn trains epoch by epoch with two solvers, "adam" and "sgd", so the post's five
# optimizers become three. Adam stays; RMSprop and Adadelta, which also scale each weight's step
# by its recent gradients, are covered by it. SGD stays, without momentum as in torch.optim.SGD.
# MADGRAD, a momentum method, is replaced by SGD with Nesterov momentum.
OPTIMIZERS: dict[str, dict[str, Any]] = {
    "Adam": {"solver": "adam"},
    "SGD": {"solver": "sgd", "momentum": 0.0},
    "NesterovSGD": {"solver": "sgd", "momentum": 0.9, "nesterovs_momentum": True},
}


def build_model(trial: optuna.Trial) -> MLPClassifier:
    """Build the network a trial asks for: its depth first, then each layer's width.

    The post's model ends its hidden stack with a projection of width ``last_fc``; here that
    is one more hidden layer. scikit-learn's MLP has no dropout, so one L2 penalty ``alpha``
    for the whole network takes the place of the post's per-layer ``fc_dropout_{i}``.
    """
    num_fc_layers = trial.suggest_int("num_fc_layers", 4, 8)
    last_fc = trial.suggest_int("last_fc", 8, 64)

    layer_sizes = []
    for i in range(num_fc_layers):
        output_feat = trial.suggest_int(f"fc_output_feat_{i}", 8, 64)
        layer_sizes.append(output_feat)
    layer_sizes.append(last_fc)
    alpha = trial.suggest_float("alpha", 1e-6, 1e-1, log=True)

    opt_name = trial.suggest_categorical("optimizer", list(OPTIMIZERS))
    lr = trial.suggest_float("lr", 1e-4, 1e-2, log=True)
    return MLPClassifier(
        hidden_layer_sizes=tuple(layer_sizes),
        activation="relu",
        alpha=alpha,
        learning_rate_init=lr,
        # Small batches give each epoch ~45 updates, enough to train a deep stack in 20 epochs.
        batch_size=32,
        random_state=0,
        **OPTIMIZERS[opt_name],
    )


def make_objective(n_epochs: int) -> Callable[[optuna.Trial], float]:
    """Return the objective: the test accuracy after ``n_epochs`` epochs of training."""
    features, labels = load_digits(return_X_y=True)
    # An 8:2 train/test split as in the post; pixels scaled from 0..16 to 0..1.
    x_train, x_test, y_train, y_test = train_test_split(
        features / 16.0, labels, test_size=0.2, stratify=labels, random_state=0
    )
    classes = np.arange(N_CLASSES)

    def objective(trial: optuna.Trial) -> float:
        model = build_model(trial)

        accuracy = 0.0
        for epoch in range(1, n_epochs + 1):
            model.partial_fit(x_train, y_train, classes=classes)
            accuracy = float(model.score(x_test, y_test))
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise optuna.exceptions.TrialPruned()

        return accuracy

    return objective


def create_study(sampler: optuna.samplers.BaseSampler) -> optuna.Study:
    """Create (or continue) the study in SQLite if this build has it, else in memory."""
    try:
        return optuna.create_study(
            study_name=STUDY_NAME,
            direction="maximize",
            storage=STORAGE_URL,
            sampler=sampler,
            load_if_exists=True,
        )
    except NotImplementedError:
        print(
            f"Note: {STORAGE_URL} is not available in this build; keeping the study in memory.",
            flush=True,
        )
        return optuna.create_study(
            study_name=STUDY_NAME, direction="maximize", sampler=sampler, load_if_exists=True
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n-trials", type=int, default=20, help="trials (default 20)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per trial (default 20)")
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the sampler, for a repeatable run; a continued study run again with the "
        "same seed repeats its earlier trials (default: no seed)",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    # The post used SkoptSampler, a Bayesian optimizer from scikit-optimize, and compared it
    # with RandomSampler. That random search is kept: it needs no extra package, and a seed
    # makes a run repeatable.
    sampler = optuna.samplers.RandomSampler(seed=args.seed)
    study = create_study(sampler)
    study.optimize(make_objective(args.epochs), n_trials=args.n_trials)

    pruned_trials = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    complete_trials = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]

    print("num_trials_conducted: ", len(study.trials))
    print("num_trials_pruned: ", len(pruned_trials))
    print("num_trials_completed: ", len(complete_trials))

    trial = study.best_trial
    print("[+] results: -----------------------------------------")
    print(" | results from best trial:")

    print(" | accuracy: ", trial.value)
    print(" | hyperparameters: ")
    for key, value in trial.params.items():
        print(f" | {key}: {value}")
    print(" +----------------------------------------------------")


if __name__ == "__main__":
    main()
