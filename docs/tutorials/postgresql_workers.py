"""Many workers on PostgreSQL: worker processes, on one machine or many, share one study.

The study lives in a PostgreSQL database; every worker opens it by the same URL and runs its
own trials, so workers can be started anywhere the database is reachable: here, by hand on
other machines, or by a job scheduler. Trial numbers stay dense and no trial is run twice.

The URL comes from ``--storage`` or the ``TANSAKU_STORAGE`` environment variable (the one the
``tansaku`` command reads too); keeping a password in the environment keeps it out of the
process list. It needs ``pip install "tansaku[postgresql]"`` (psycopg 3).

Run:
    export TANSAKU_STORAGE=postgresql://tansaku:secret@db-host:5432/tansaku
    python docs/tutorials/postgresql_workers.py --workers 4    # starts 4 workers here
    python docs/tutorials/postgresql_workers.py --worker       # one worker: run it on each machine
"""

from __future__ import annotations

import argparse
import collections
import os
import socket
import subprocess
import sys

import tansaku

STUDY_NAME = "postgresql-tutorial"


def objective(trial: tansaku.Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", -5, 5)
    # Which worker ran the trial: the plots, the CLI and the dashboard show user attrs.
    trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
    return (x - 2) ** 2 + (y + 1) ** 2


def run_worker(storage: str, n_trials: int) -> None:
    """One worker: open the shared study (creating it if this worker is the first) and run."""
    # load_if_exists: every worker runs the same command, whichever reaches the server first.
    study = tansaku.create_study(study_name=STUDY_NAME, storage=storage, load_if_exists=True)
    study.optimize(objective, n_trials=n_trials)


def start_workers(storage: str, n_workers: int, n_trials: int) -> None:
    """Start ``n_workers`` processes running this script with ``--worker``; wait for them."""
    # The same command as on another machine; the URL goes through the environment.
    command = [sys.executable, __file__, "--worker", "--trials-per-worker", str(n_trials)]
    environment = {**os.environ, "TANSAKU_STORAGE": storage}
    workers = [subprocess.Popen(command, env=environment) for _ in range(n_workers)]
    codes = [worker.wait() for worker in workers]
    if any(codes):
        raise SystemExit(f"a worker failed: exit codes {codes}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default=os.environ.get("TANSAKU_STORAGE"))
    parser.add_argument("--workers", type=int, default=4, help="workers to start here")
    parser.add_argument("--trials-per-worker", type=int, default=25)
    parser.add_argument("--worker", action="store_true", help="be one worker, start none")
    args = parser.parse_args(argv)
    if not args.storage:
        parser.error("give the database URL: --storage URL or TANSAKU_STORAGE=URL")

    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    if args.worker:
        run_worker(args.storage, args.trials_per_worker)
        return
    # Created here first, so that the workers only load it.
    tansaku.create_study(study_name=STUDY_NAME, storage=args.storage, load_if_exists=True)
    start_workers(args.storage, args.workers, args.trials_per_worker)

    study = tansaku.load_study(study_name=STUDY_NAME, storage=args.storage)
    by_worker = collections.Counter(t.user_attrs["worker"] for t in study.trials)
    print(f"{len(study.trials)} trials from {len(by_worker)} workers: {dict(by_worker)}")
    print(f"best {study.best_value:.3f} with {study.best_params}")


if __name__ == "__main__":
    main()
