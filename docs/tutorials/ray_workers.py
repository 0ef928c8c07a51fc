"""Many workers on Ray: ``tansaku.parallel.optimize`` runs the workers as Ray tasks.

Each worker is one Ray task (one CPU) that runs trials until the study has ``--trials`` in
all; a Ray actor keeps the count. Without ``--address`` the script starts a local Ray
instance of ``--workers`` CPUs; with it, it connects to your running cluster. The study's
storage must be one every Ray node reaches: a SQLite file or a journal file on this
machine, PostgreSQL, MySQL or a journal on Redis (or a shared disk) across machines. It
needs ``pip install "tansaku[cluster]"``.

Run:
    python docs/tutorials/ray_workers.py --workers 2
    python docs/tutorials/ray_workers.py --address head-host:6379 \\
        --storage postgresql://tansaku:secret@db-host/tansaku
"""

from __future__ import annotations

import argparse
import collections
import os
import socket
import tempfile

import ray

import tansaku

# Filled once per worker by ``load_data`` (the initializer), read by each trial it runs.
DATA: dict[str, list[float]] = {}


def load_data() -> None:
    """Load what every trial needs, once per worker (here, a tiny regression problem)."""
    DATA["x"] = [i / 10 for i in range(50)]
    DATA["y"] = [3.0 * x - 1.0 for x in DATA["x"]]
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)


def objective(trial: tansaku.Trial) -> float:
    slope = trial.suggest_float("slope", -10, 10)
    intercept = trial.suggest_float("intercept", -10, 10)
    trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
    residuals = [slope * x + intercept - y for x, y in zip(DATA["x"], DATA["y"], strict=True)]
    return sum(r * r for r in residuals) / len(residuals)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", help="address of a running Ray cluster; none starts one")
    parser.add_argument("--workers", type=int, default=2, help="worker tasks (and local CPUs)")
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--storage", help="storage URL; default: SQLite in a temporary folder")
    args = parser.parse_args(argv)
    if args.address and not args.storage:
        parser.error("--address needs a --storage that every Ray node reaches")

    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    if args.address:
        # Your cluster: `ray start --head` on one machine, `ray start --address HEAD` on others.
        ray.init(address=args.address)
    else:
        ray.init(num_cpus=args.workers, include_dashboard=False)
    try:
        with tempfile.TemporaryDirectory() as directory:
            storage = args.storage or f"sqlite:///{directory}/study.db"
            study = tansaku.create_study(
                study_name="ray-tutorial", storage=storage, load_if_exists=True
            )
            # The call uses the cluster ray.init connected to (without ray.init it would start
            # a local one and shut it down at the end). The objective and the initializer
            # travel with cloudpickle: functions of this script are sent by value.
            tansaku.parallel.optimize(
                study,
                objective,
                n_trials=args.trials,
                n_workers=args.workers,
                backend="ray",
                initializer=load_data,
            )
            by_worker = collections.Counter(t.user_attrs["worker"] for t in study.trials)
            print(f"{len(study.trials)} trials from {len(by_worker)} workers: {dict(by_worker)}")
            print(f"best {study.best_value:.4f} with {study.best_params}")
    finally:
        # Stops the local instance; from a cluster, only disconnects this driver.
        ray.shutdown()


if __name__ == "__main__":
    main()
