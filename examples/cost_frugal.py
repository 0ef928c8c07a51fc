"""Cost-frugal search: tune a random forest whose cost grows with its size, starting small.

``CFOSampler`` starts at ``low_cost_partial_config`` (few, shallow trees) and moves by small
random steps, so the search pays for a large forest only once smaller ones stop improving;
``BlendSearchSampler`` adds TPE proposals as new starting points. Each trial records its cost
(here trees * depth, a deterministic stand-in for training time) as a user attr, which the
samplers read through ``cost_attr``.

    python examples/cost_frugal.py --sampler cfo --n-trials 30
"""

from __future__ import annotations

import argparse

from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score

import tansaku as optuna


def main() -> None:
    parser = argparse.ArgumentParser(description="Cost-frugal search on a random forest.")
    parser.add_argument("--sampler", choices=["cfo", "blendsearch"], default="cfo")
    parser.add_argument("--n-trials", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    x, y = load_digits(return_X_y=True)
    low_cost = {"n_estimators": 2, "max_depth": 2}

    def objective(trial: optuna.Trial) -> float:
        n_estimators = trial.suggest_int("n_estimators", 2, 128, log=True)
        max_depth = trial.suggest_int("max_depth", 2, 32, log=True)
        max_features = trial.suggest_float("max_features", 0.05, 1.0, log=True)
        trial.set_user_attr("cost", n_estimators * max_depth)
        model = RandomForestClassifier(
            n_estimators=n_estimators,
            max_depth=max_depth,
            max_features=max_features,
            random_state=0,
        )
        return float(cross_val_score(model, x, y, cv=3).mean())

    sampler_class = (
        optuna.samplers.CFOSampler if args.sampler == "cfo" else optuna.samplers.BlendSearchSampler
    )
    sampler = sampler_class(low_cost_partial_config=low_cost, cost_attr="cost", seed=args.seed)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, n_trials=args.n_trials)

    costs = [t.user_attrs["cost"] for t in study.trials]
    print(f"Sampler: {type(sampler).__name__}")
    print(f"First trial: {study.trials[0].params}")
    print(f"Best accuracy: {study.best_value:.4f}")
    print(f"Best params: {study.best_params}")
    print(f"Total cost: {sum(costs)} (the largest forest tried: {max(costs)})")


if __name__ == "__main__":
    main()
