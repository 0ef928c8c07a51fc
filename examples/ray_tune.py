"""Tune a classifier with Ray Tune, searching with tansaku's TPE sampler (TansakuSearch).

    python examples/ray_tune.py --n-trials 20      # needs: pip install tansaku[cluster]

Ray Tune runs the trials (here on a local Ray instance; on a cluster, set RAY_ADDRESS) and
stops the ones that fall behind with its ASHA scheduler; TansakuSearch proposes each trial's
hyperparameters from a tansaku study kept in SQLite, so the run can be read afterwards like any
study, e.g. ``tansaku.load_study(study_name="ray-tune", storage="sqlite:///tansaku-ray.db")``.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import numpy as np

import tansaku


def train(config: dict[str, Any]) -> None:
    """An SGD linear classifier on digits, trained epoch by epoch; reports validation accuracy."""
    from ray import tune
    from sklearn.datasets import load_digits
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    x = StandardScaler().fit_transform(x)
    x_train, x_valid, y_train, y_valid = train_test_split(x, y, test_size=0.3, random_state=0)
    model = SGDClassifier(
        loss=config["loss"],
        alpha=config["alpha"],
        learning_rate="constant",
        eta0=config["eta0"],
        random_state=0,
    )
    classes = np.unique(y)
    for _ in range(config["epochs"]):
        model.partial_fit(x_train, y_train, classes=classes)
        tune.report({"accuracy": float(model.score(x_valid, y_valid))})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--storage", default="sqlite:///tansaku-ray.db")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ray-results", default="ray_results", help="Ray Tune's own results")
    args = parser.parse_args()

    import ray
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    from tansaku.integration.ray_tune import TansakuSearch

    search = TansakuSearch(
        sampler=tansaku.samplers.TPESampler(seed=args.seed, n_startup_trials=5),
        storage=args.storage,
        study_name="ray-tune",
    )
    ray.init(include_dashboard=False, log_to_driver=False)
    tuner = tune.Tuner(
        train,
        param_space={
            "alpha": tune.loguniform(1e-6, 1e-1),
            "eta0": tune.loguniform(1e-4, 1.0),
            "loss": tune.choice(["hinge", "log_loss", "modified_huber"]),
            "epochs": args.epochs,  # a constant: Ray passes it to every trial
        },
        tune_config=tune.TuneConfig(
            search_alg=search,
            scheduler=ASHAScheduler(max_t=args.epochs, grace_period=2),
            metric="accuracy",
            mode="max",
            num_samples=args.n_trials,
            reuse_actors=True,
        ),
        run_config=tune.RunConfig(storage_path=os.path.abspath(args.ray_results), verbose=0),
    )
    results = tuner.fit()
    ray.shutdown()

    study = search.study
    states = [t.state.name for t in study.trials]
    epochs = sum(len(t.intermediate_values) for t in study.trials)
    print(f"Trials: {len(states)}, complete: {states.count('COMPLETE')}")
    print(f"Epochs trained: {epochs} of {len(states) * args.epochs} (ASHA stopped the rest)")
    print(f"Best accuracy: {study.best_value:.4f} with {study.best_params}")
    best = results.get_best_result()
    print(f"Ray Tune's best: {best.metrics['accuracy']:.4f} (trial {best.metrics['trial_id']})")


if __name__ == "__main__":
    main()
