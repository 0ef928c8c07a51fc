"""Process parallelism against threads: a pure-Python objective on 2 workers (run by hand).

200 trials of an objective that burns about 50 ms of CPU in pure Python, on 2 workers:
``tansaku.parallel.optimize`` (local processes) and ``Study.optimize(n_jobs=2)`` (threads,
which the GIL serializes), each on SQLite and on a journal file. The trial phase is timed from
the first trial's start to the last trial's end (as the storage recorded them) and compared
with the ideal ``n_trials * work / n_workers``; worker start-up (call start to first trial
start: spawning, importing, unpickling) is reported apart.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/parallel.py [--trials 200] [--workers 2]
        [--work-ms 50] [--out benchmarks/results/parallel.md]

On a machine that others load, the numbers are noisy: run it on an idle machine.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import tansaku
from tansaku.storages import BaseStorage, JournalStorage, RDBStorage
from tansaku.storages.journal import JournalFileBackend
from tansaku.trial import Trial, TrialState


def burn(iterations: int, trial: Trial) -> float:
    """The objective: a pure-Python loop of ``iterations`` steps (holds the GIL throughout)."""
    x = trial.suggest_float("x", -10, 10)
    total = 0
    for i in range(iterations):
        total += i * i % 7
    return (x - 2) ** 2 + total * 0.0


def calibrate(work_ms: float) -> int:
    """Loop steps that take about ``work_ms`` of CPU here (median of 5 probes)."""
    probe = 200_000
    rates = []
    for _ in range(5):
        start = time.process_time()
        total = 0
        for i in range(probe):
            total += i * i % 7
        rates.append(probe / max(time.process_time() - start, 1e-9))
    return int(sorted(rates)[2] * work_ms / 1000)


def make_storage(kind: str, directory: Path) -> BaseStorage:
    if kind == "sqlite":
        return RDBStorage(f"sqlite:///{directory / 'study.db'}")
    return JournalStorage(JournalFileBackend(str(directory / "study.log")))


def measure(
    kind: str, mode: str, objective: Callable[[Trial], float], n_trials: int, n_workers: int
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        study = tansaku.create_study(storage=make_storage(kind, Path(directory)))
        started = time.time()
        if mode == "processes":
            tansaku.parallel.optimize(study, objective, n_trials=n_trials, n_workers=n_workers)
        else:
            study.optimize(objective, n_trials=n_trials, n_jobs=n_workers)
        ended = time.time()
        trials = study.get_trials(deepcopy=False)
        assert len(trials) == n_trials and all(t.state == TrialState.COMPLETE for t in trials)
        first = min(t.datetime_start.timestamp() for t in trials)  # type: ignore[union-attr]
        last = max(t.datetime_complete.timestamp() for t in trials)  # type: ignore[union-attr]
    return {"startup": first - started, "trials": last - first, "total": ended - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work-ms", type=float, default=50.0)
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    iterations = calibrate(args.work_ms)
    objective = functools.partial(burn, iterations)
    ideal = args.trials * args.work_ms / 1000 / args.workers
    lines = [
        f"# Process parallelism: {args.trials} trials of ~{args.work_ms:g} ms pure-Python CPU "
        f"on {args.workers} workers",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at start; ideal trial phase {ideal:.2f} s.",
        "",
        "| storage | workers | start-up (s) | trial phase (s) | / ideal | total (s) |",
        "|---|---|---|---|---|---|",
    ]
    for kind in ("sqlite", "journal_file"):
        for mode in ("processes", "threads (n_jobs)"):
            result = measure(kind, mode, objective, args.trials, args.workers)
            lines.append(
                f"| {kind} | {mode} | {result['startup']:.2f} | {result['trials']:.2f} | "
                f"{result['trials'] / ideal:.2f} | {result['total']:.2f} |"
            )
            print(lines[-1], flush=True)
    table = "\n".join(lines) + "\n"
    print()
    print(table)
    if args.out is not None:
        args.out.write_text(table)


if __name__ == "__main__":
    main()
