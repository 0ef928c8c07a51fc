"""Many workers on Dask: ``tansaku.parallel.optimize`` runs the workers as tasks on a cluster.

Each worker is one long-running Dask task that runs trials until the study has ``--trials``
in all; the scheduler keeps the count. Without ``--scheduler`` the script starts a local
cluster of ``--workers`` processes (one thread each); with it, it connects to your running
cluster. The study's storage must be one every Dask worker reaches: a SQLite file or a
journal file on this machine, PostgreSQL, MySQL or a journal on Redis (or a shared disk)
across machines. It needs ``pip install "tansaku[cluster]"``.

Run:
    python docs/tutorials/dask_workers.py --workers 2
    python docs/tutorials/dask_workers.py --scheduler tcp://scheduler-host:8786 \\
        --storage postgresql://tansaku:secret@db-host/tansaku
"""

from __future__ import annotations

import argparse
import collections
import os
import socket
import tempfile

from dask.distributed import Client, LocalCluster

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


def optimize_on(client: Client, storage: str, n_trials: int) -> tansaku.Study:
    """Run ``n_trials`` trials in all on ``client``'s cluster, one worker per Dask thread."""
    study = tansaku.create_study(study_name="dask-tutorial", storage=storage, load_if_exists=True)
    # The objective and the initializer travel to the workers with cloudpickle: functions of
    # this script (its __main__) are sent by value, so the workers need not import it.
    tansaku.parallel.optimize(
        study, objective, n_trials=n_trials, backend="dask", client=client, initializer=load_data
    )
    return study


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheduler", help="address of a running scheduler; none starts one")
    parser.add_argument("--workers", type=int, default=2, help="processes of a local cluster")
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--storage", help="storage URL; default: SQLite in a temporary folder")
    args = parser.parse_args(argv)
    if args.scheduler and not args.storage:
        parser.error("--scheduler needs a --storage that every Dask worker reaches")

    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    with tempfile.TemporaryDirectory() as directory:
        storage = args.storage or f"sqlite:///{directory}/study.db"
        if args.scheduler:
            # Your cluster: `dask scheduler` on one machine, `dask worker ADDRESS` on the others.
            with Client(args.scheduler) as client:
                study = optimize_on(client, storage, args.trials)
        else:
            # One thread per worker process: each thread runs one tansaku worker at a time.
            with (
                LocalCluster(n_workers=args.workers, threads_per_worker=1) as cluster,
                Client(cluster) as client,
            ):
                study = optimize_on(client, storage, args.trials)
        by_worker = collections.Counter(t.user_attrs["worker"] for t in study.trials)
        print(f"{len(study.trials)} trials from {len(by_worker)} workers: {dict(by_worker)}")
        print(f"best {study.best_value:.4f} with {study.best_params}")


if __name__ == "__main__":  # LocalCluster's worker processes import this file again
    main()
