"""Population-based training of an SGD classifier on digits, with checkpoints as artifacts.

A population of linear classifiers (scikit-learn's SGDClassifier, trained epoch by epoch with
partial_fit) is trained in segments of a few epochs. Each segment is one trial: the weaker
members copy a stronger member's model and its learning rate and L2 penalty, perturbed, and
train on from there. The lineage (who copied whom) is printed at the end.

Run: python examples/pbt.py [--n-trials 60] [--population 6] [--interval 2] [--seed 0]
"""

from __future__ import annotations

import argparse
import tempfile

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split

import tansaku
from tansaku.artifacts import FileSystemArtifactStore
from tansaku.distributions import FloatDistribution


def make_objective(store: FileSystemArtifactStore, seed: int):  # noqa: ANN201
    features, labels = load_digits(return_X_y=True)
    x_train, x_valid, y_train, y_valid = train_test_split(
        features / 16.0, labels, test_size=0.3, random_state=seed
    )
    classes = np.unique(labels)

    def objective(trial: tansaku.Trial) -> float:
        eta0 = trial.suggest_float("eta0", 1e-4, 1.0, log=True)
        alpha = trial.suggest_float("alpha", 1e-6, 1e-1, log=True)
        # The parent's model (this member's last one, or a better member's), or a new one.
        model = tansaku.pbt.load_parent_checkpoint(trial, store)
        if model is None:
            model = SGDClassifier(
                loss="log_loss", learning_rate="constant", random_state=seed + trial.number
            )
        model.set_params(eta0=eta0, alpha=alpha)
        accuracy = 0.0
        for epoch in tansaku.pbt.segment(trial).steps:
            model.partial_fit(x_train, y_train, classes=classes)
            accuracy = float(model.score(x_valid, y_valid))
            trial.report(accuracy, epoch)
        tansaku.pbt.save_checkpoint(trial, model, store)
        return accuracy

    return objective


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=60, help="segments to train in all")
    parser.add_argument("--population", type=int, default=6, help="members")
    parser.add_argument("--interval", type=int, default=2, help="epochs per segment")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)

    sampler = tansaku.pbt.PBTSampler(
        population_size=args.population,
        perturbation_interval=args.interval,
        hyperparam_mutations={
            "eta0": FloatDistribution(1e-4, 1.0, log=True),
            "alpha": FloatDistribution(1e-6, 1e-1, log=True),
        },
        seed=args.seed,
    )
    study = tansaku.create_study(direction="maximize", sampler=sampler)
    with tempfile.TemporaryDirectory(prefix="tansaku-pbt-example-") as directory:
        store = FileSystemArtifactStore(directory)
        study.optimize(make_objective(store, args.seed), n_trials=args.n_trials)

    rows = {row.number: row for row in tansaku.pbt.lineage(study)}
    best = rows[study.best_trial.number]
    n_exploits = sum(row.action == "exploit" for row in rows.values())
    print(f"Segments: {len(rows)}, exploits: {n_exploits}")
    print(
        f"Best accuracy: {best.value:.3f} (trial #{best.number}, member {best.member}, "
        f"epoch {best.end_step})"
    )
    print(f"  eta0={best.params['eta0']:.3g} alpha={best.params['alpha']:.3g}")
    chain, row = [], best
    while True:
        chain.append(f"#{row.number}")
        if row.parent is None:
            break
        row = rows[row.parent]
    print("Lineage of the best: " + " <- ".join(chain))


if __name__ == "__main__":
    main()
