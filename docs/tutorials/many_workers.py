"""Many workers on one study: processes that share a SQLite database or a journal file.

Two ways: ``tansaku.parallel.optimize`` starts the worker processes and hands out the trials
for you; or each worker is an ordinary process (started by you, a job scheduler or another
machine) that loads the study by name and optimizes it. Either way the storage is the only
thing the workers share. Start them on one machine (as here) or on several that see the
same file (SQLite wants a local disk; a journal file works on NFS). On a server database, give
every worker the same URL, e.g. ``postgresql://user@host/db`` (the PostgreSQL tutorial,
``postgresql_workers.py``, does that).

Run:
    python docs/tutorials/many_workers.py
    python docs/tutorials/many_workers.py --workers 4 --trials-per-worker 25
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
from pathlib import Path

import tansaku
from tansaku.storages import JournalStorage
from tansaku.storages.journal import JournalFileBackend


def objective(trial: tansaku.Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", -5, 5)
    return (x - 2) ** 2 + (y + 1) ** 2


def open_storage(kind: str, directory: Path) -> tansaku.storages.BaseStorage | str:
    """The storage every worker opens: a SQLite URL, or a journal file's storage."""
    if kind == "sqlite":
        return f"sqlite:///{directory / 'study.db'}"
    return JournalStorage(JournalFileBackend(str(directory / "study.journal")))


def quiet() -> None:
    """Log only warnings (a spawned worker starts with the default, INFO)."""
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)


def worker(kind: str, directory: str, n_trials: int) -> None:
    """One worker: load the shared study and run its share of the trials."""
    quiet()
    study = tansaku.load_study(study_name="shared", storage=open_storage(kind, Path(directory)))
    study.optimize(objective, n_trials=n_trials)


def with_parallel_optimize(directory: Path, n_workers: int, n_trials: int) -> tansaku.Study:
    """tansaku.parallel.optimize: n_workers processes run n_trials trials in all.

    The objective must be importable by the workers (a module-level function), and the
    script's entry point guarded by ``if __name__ == "__main__"``: spawned workers import it.
    """
    study = tansaku.create_study(study_name="parallel", storage=open_storage("sqlite", directory))
    # initializer runs once in each worker before its trials: load data or set logging there.
    tansaku.parallel.optimize(
        study, objective, n_trials=n_trials, n_workers=n_workers, initializer=quiet
    )
    return study


def main(argv: list[str] | None = None) -> dict[str, int]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trials-per-worker", type=int, default=10)
    args = parser.parse_args(argv)

    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    counts = {}
    with tempfile.TemporaryDirectory() as directory:
        study = with_parallel_optimize(
            Path(directory), args.workers, args.workers * args.trials_per_worker
        )
        counts["parallel"] = len(study.trials)
        print(
            f"parallel: {counts['parallel']} trials from {args.workers} workers; "
            f"best {study.best_value:.3f} with {study.best_params}"
        )
        for kind in ("sqlite", "journal"):
            storage = open_storage(kind, Path(directory))
            tansaku.create_study(study_name="shared", storage=storage)
            # "spawn" starts clean interpreters, as separate machines would be.
            context = multiprocessing.get_context("spawn")
            processes = [
                context.Process(target=worker, args=(kind, directory, args.trials_per_worker))
                for _ in range(args.workers)
            ]
            for process in processes:
                process.start()
            for process in processes:
                process.join()
                if process.exitcode != 0:
                    raise SystemExit(f"a {kind} worker failed with exit code {process.exitcode}")
            study = tansaku.load_study(study_name="shared", storage=storage)
            counts[kind] = len(study.trials)
            print(
                f"{kind}: {counts[kind]} trials from {args.workers} workers; "
                f"best {study.best_value:.3f} with {study.best_params}"
            )
    return counts


if __name__ == "__main__":
    main()
