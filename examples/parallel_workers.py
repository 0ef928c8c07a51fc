"""Tune a classifier on several worker processes: local ones, a Dask cluster or a Ray cluster.

    python examples/parallel_workers.py --backend process --n-trials 40 --n-workers 2
    python examples/parallel_workers.py --backend dask    # needs: pip install tansaku[cluster]
    python examples/parallel_workers.py --backend ray

Each worker loads the data once (the initializer), then runs many trials; the workers share
the study through a SQLite file, which also keeps the results. A worker that dies mid-trial
is replaced and its trial run again (the storage's retry callback).
"""

from __future__ import annotations

import argparse
from typing import Any

import tansaku
from tansaku.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

# Filled once per worker by `load_data`, read by every trial the worker runs.
DATA: dict[str, Any] = {}


def load_data() -> None:
    from sklearn.datasets import load_digits

    DATA["X"], DATA["y"] = load_digits(return_X_y=True)


def objective(trial: tansaku.Trial) -> float:
    from sklearn.model_selection import cross_val_score
    from sklearn.svm import SVC

    c = trial.suggest_float("C", 1e-2, 1e2, log=True)
    gamma = trial.suggest_float("gamma", 1e-5, 1e-1, log=True)
    return float(cross_val_score(SVC(C=c, gamma=gamma), DATA["X"], DATA["y"], cv=3).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["process", "dask", "ray"], default="process")
    parser.add_argument("--n-trials", type=int, default=40)
    parser.add_argument("--n-workers", type=int, default=2)
    parser.add_argument("--storage", default="sqlite:///tansaku-parallel.db")
    args = parser.parse_args()
    storage = RDBStorage(
        args.storage, heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback()
    )
    study = tansaku.create_study(storage=storage, direction="maximize")
    tansaku.parallel.optimize(
        study,
        objective,
        n_trials=args.n_trials,
        n_workers=args.n_workers,
        backend=args.backend,
        initializer=load_data,
    )
    states = [t.state.name for t in study.trials]
    print(f"Trials: {len(states)}, complete: {states.count('COMPLETE')}")
    print(f"Best accuracy: {study.best_value:.4f} with {study.best_params}")


if __name__ == "__main__":  # the process backend's workers import this file again
    main()
