"""Several objectives and constraints: trade accuracy against model size, within a budget.

A random forest's accuracy rises with its size, and so does its cost. Instead of one weighted
score, the study keeps both objectives and returns the Pareto front: every trial that no other
trial beats on both. A constraint (at most 500 tree nodes) marks trials as infeasible
without discarding them.

Run:
    python docs/tutorials/multi_objective.py
"""

from __future__ import annotations

import argparse

from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score

import tansaku

X, y = load_breast_cancer(return_X_y=True)
MAX_NODES = 500


def objective(trial: tansaku.Trial) -> tuple[float, float]:
    model = RandomForestClassifier(
        n_estimators=trial.suggest_int("n_estimators", 2, 50, log=True),
        max_depth=trial.suggest_int("max_depth", 1, 12),
        random_state=0,
    )
    accuracy = cross_val_score(model, X, y, cv=3).mean()
    n_nodes = sum(t.tree_.node_count for t in model.fit(X, y).estimators_)
    # A constraint is met when its value is <= 0. Samplers steer away from infeasible trials
    # and best_trials leaves them out; the study keeps them.
    trial.set_constraint("nodes", n_nodes - MAX_NODES)
    return accuracy, n_nodes


def main(argv: list[str] | None = None) -> tansaku.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=20)
    args = parser.parse_args(argv)

    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    # NSGAIISampler suits large budgets; TPESampler handles several objectives and
    # constraints too, and does better with few trials.
    sampler = tansaku.samplers.TPESampler(seed=0)
    study = tansaku.create_study(directions=["maximize", "minimize"], sampler=sampler)
    study.optimize(objective, n_trials=args.n_trials)

    print("Pareto front (feasible trials no other trial beats on both objectives):")
    for trial in sorted(study.best_trials, key=lambda t: t.values[1]):
        accuracy, nodes = trial.values
        print(f"  trial {trial.number}: accuracy {accuracy:.3f}, {nodes:.0f} nodes")
    return study


if __name__ == "__main__":
    main()
