"""Process parallelism against threads: a pure-Python objective on 2 workers (run by hand).

200 trials of an objective that runs pure-Python work until its own thread's CPU time
(``time.thread_time``) has advanced by 50 ms, on ``--workers`` workers:
``tansaku.parallel.optimize`` (local processes) and ``Study.optimize(n_jobs=...)`` (threads:
each thread still needs its own 50 ms of CPU, and the GIL lets one run at a time), each on
SQLite and on a journal file, with the study's default sampler (TPE) unless ``--sampler``.

The trial phase is timed from the first trial's start to the last trial's end (as the storage
recorded them) and compared with the ideal ``n_trials * work / n_workers``; worker start-up
(call start to first trial start: spawning, importing, unpickling) is reported apart. Every
objective and a callback write a timestamp line to a per-run log, so that each trial's time in
a worker is split into its phases:

- ``ask``: from the previous trial's end (its callback) in the same worker to the objective's
  work starting: the claim, ``study.ask`` (the storage's insert and read-back) and the sampler
  (``suggest_float``);
- ``work``: the objective's 50 ms of CPU, as wall time (its measured CPU is summed apart);
- ``tell``: from the work's end to the callback: the storage's writes of the value and state.

``trial / work`` is ``(ask + work + tell) / work``: the trial phase against ideal that the
per-trial overhead alone explains, whatever share of a core the machine's load leaves the
work (``work`` is its wall time: 50 ms when a worker has a core to itself).

    PYTHONPATH=$PWD .venv/bin/python benchmarks/parallel.py [--trials 200] [--workers 2 1]
        [--work-ms 50] [--sampler tpe|random] [--out benchmarks/results/parallel.md]

On a machine that others load, the numbers are noisy: run it on an idle machine.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tansaku
from tansaku.storages import BaseStorage, JournalStorage, RDBStorage
from tansaku.storages.journal import JournalFileBackend
from tansaku.study import Study
from tansaku.trial import FrozenTrial, Trial, TrialState

_LOGS: dict[str, object] = {}


def _log(path: str, kind: str, *values: float) -> None:
    """Append one line to the run's log (one handle per process, flushed: cheap and safe)."""
    handle = _LOGS.get(path)
    if handle is None:
        handle = _LOGS[path] = open(path, "a", buffering=1)  # noqa: SIM115 (kept open)
    key = f"{os.getpid()}.{threading.get_ident()}"
    handle.write(f"{kind} {key} " + " ".join(repr(v) for v in values) + "\n")  # type: ignore[attr-defined]


def burn(work_s: float, log_path: str, trial: Trial) -> float:
    """The objective: pure-Python steps until this thread has used ``work_s`` s of CPU."""
    x = trial.suggest_float("x", -10, 10)
    started = time.time()
    cpu_start = time.thread_time()
    total = 0
    while time.thread_time() - cpu_start < work_s:
        for i in range(500):  # ~30 us between clock reads: overshoot stays far below 1%
            total += i * i % 7
    cpu = time.thread_time() - cpu_start
    _log(log_path, "work", started, time.time(), cpu)
    return (x - 2) ** 2 + total * 0.0


class Told:
    """The callback: records when the trial's tell ended (callbacks run right after it)."""

    def __init__(self, log_path: str) -> None:
        self.log_path = log_path

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        del study, trial
        _log(self.log_path, "told", time.time())


def make_storage(kind: str, directory: Path) -> BaseStorage:
    if kind == "sqlite":
        return RDBStorage(f"sqlite:///{directory / 'study.db'}")
    return JournalStorage(JournalFileBackend(str(directory / "study.log")))


def make_sampler(name: str) -> tansaku.samplers.BaseSampler:
    if name == "random":
        return tansaku.samplers.RandomSampler()
    return tansaku.samplers.TPESampler()


def phases(log_path: Path) -> dict[str, float]:
    """Mean ask, work and tell per trial (ms; means add up to the trial phase), the objectives'
    summed CPU (s) and the trials per worker."""
    by_worker: dict[str, list[tuple[str, list[float]]]] = collections.defaultdict(list)
    for line in log_path.read_text().splitlines():
        kind, key, *fields = line.split()
        by_worker[key].append((kind, [float(v) for v in fields]))
    ask, work, tell, cpu = [], [], [], []
    for events in by_worker.values():
        previous_end = None
        for (kind, values), (next_kind, next_values) in zip(events, events[1:]):
            if kind != "work" or next_kind != "told":
                continue
            started, ended, used = values
            if previous_end is not None:
                ask.append(started - previous_end)
            work.append(ended - started)
            tell.append(next_values[0] - ended)
            cpu.append(used)
            previous_end = next_values[0]
    return {
        "ask": 1000 * statistics.mean(ask),
        "work": 1000 * statistics.mean(work),
        "tell": 1000 * statistics.mean(tell),
        "cpu": sum(cpu),
        "per_worker": len(work) / len(by_worker),
    }


def measure(
    kind: str, mode: str, work_s: float, sampler: str, n_trials: int, n_workers: int
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        log_path = Path(directory) / "phases.log"
        objective = functools.partial(burn, work_s, str(log_path))
        callbacks = [Told(str(log_path))]
        study = tansaku.create_study(
            storage=make_storage(kind, Path(directory)), sampler=make_sampler(sampler)
        )
        started = time.time()
        if mode == "processes":
            tansaku.parallel.optimize(
                study, objective, n_trials=n_trials, n_workers=n_workers, callbacks=callbacks
            )
        else:
            study.optimize(objective, n_trials=n_trials, n_jobs=n_workers, callbacks=callbacks)
        ended = time.time()
        trials = study.get_trials(deepcopy=False)
        assert len(trials) == n_trials and all(t.state == TrialState.COMPLETE for t in trials)
        first = min(t.datetime_start.timestamp() for t in trials)  # type: ignore[union-attr]
        last = max(t.datetime_complete.timestamp() for t in trials)  # type: ignore[union-attr]
        result = phases(log_path)
    return {"startup": first - started, "trials": last - first, "total": ended - started, **result}


class _Timed:
    """Wraps a callable and sums the wall time spent in it (nested calls counted once)."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.seconds = 0.0
        self.depth = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.depth += 1
        started = time.perf_counter()
        try:
            return self.func(*args, **kwargs)
        finally:
            self.depth -= 1
            if self.depth == 0:
                self.seconds += time.perf_counter() - started


def profile_phases(kind: str, sampler: str, n_trials: int) -> dict[str, float]:
    """Each phase's mean cost per trial (ms) in one worker's loop, with no work in the objective.

    The worker loop of the process backend (``run_worker`` with its shared-memory coordinator)
    runs in this process so that its phases can be timed: the coordinator's claim and slot
    writes, ``study.ask`` (the storage's insert and read-back), the sampler, the storage write
    of the param, ``tell`` (the storage's write of the value and state), the callback, and the
    rest of the loop. A worker process runs exactly this loop.
    """
    import multiprocessing

    from tansaku.parallel._process import SharedCoordinator
    from tansaku.parallel._worker import WorkerTask, run_worker
    from tansaku.study import _optimize

    with tempfile.TemporaryDirectory() as directory:
        log_path = str(Path(directory) / "phases.log")
        study = tansaku.create_study(
            storage=make_storage(kind, Path(directory)), sampler=make_sampler(sampler)
        )
        coordinator = SharedCoordinator(multiprocessing.get_context("spawn"), n_trials, 1)
        timers = {
            "coordinator": _Timed(lambda: None),
            "ask": _Timed(study.ask),
            "sampler": _Timed(lambda: None),
            "suggest (less sampler)": _Timed(Trial._suggest),
            "tell": _Timed(_optimize.tell),
            "callback": _Timed(Told(log_path)),
        }
        shared = timers["coordinator"]
        for name in ("claim", "set_running"):
            setattr(coordinator, name, _share(shared, getattr(coordinator, name)))
        for name in ("infer_relative_search_space", "sample_relative", "sample_independent"):
            setattr(study.sampler, name, _share(timers["sampler"], getattr(study.sampler, name)))
        study.ask = timers["ask"]  # type: ignore[method-assign]
        original_tell = _optimize.tell
        # A class attribute must be a function (a descriptor) to be bound to each trial.
        Trial._suggest = _share(timers["suggest (less sampler)"], Trial._suggest)  # type: ignore[method-assign]
        _optimize.tell = timers["tell"]  # type: ignore[assignment]
        task = WorkerTask(
            study=study,
            func=functools.partial(burn, 0.0, log_path),
            catch=(),
            callbacks=(timers["callback"],),
            gc_after_trial=False,
            deadline=None,
            initializer=None,
            initargs=(),
        )
        try:
            started = time.perf_counter()
            run_worker(task, 0, coordinator)
            total = time.perf_counter() - started
        finally:
            Trial._suggest = timers["suggest (less sampler)"].func  # type: ignore[method-assign]
            _optimize.tell = original_tell  # type: ignore[assignment]
    costs = {name: timer.seconds for name, timer in timers.items()}
    # The sampler runs inside ask (before_trial) and inside suggest: count it once, apart.
    costs["suggest (less sampler)"] -= timers["sampler"].seconds
    costs["rest (objective body, loop)"] = total - sum(costs.values())
    costs["total"] = total
    return {name: 1000 * seconds / n_trials for name, seconds in costs.items()}


def _share(timer: _Timed, func: Callable[..., Any]) -> Callable[..., Any]:
    """A wrapper of ``func`` whose time adds to ``timer`` (several methods, one phase)."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        timer.depth += 1
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            timer.depth -= 1
            if timer.depth == 0:
                timer.seconds += time.perf_counter() - started

    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--work-ms", type=float, default=50.0)
    parser.add_argument("--sampler", choices=("tpe", "random"), default="tpe")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    parser.add_argument(
        "--phases", action="store_true", help="only time each phase of the worker loop"
    )
    args = parser.parse_args()
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    if args.phases:
        for kind in ("sqlite", "journal_file"):
            costs = profile_phases(kind, args.sampler, args.trials)
            print(f"{kind} ({args.sampler}, {args.trials} trials), ms per trial: ", end="")
            print(", ".join(f"{name} {ms:.2f}" for name, ms in costs.items()), flush=True)
        return
    work_s = args.work_ms / 1000
    lines = [
        f"# Process parallelism: {args.trials} trials of {args.work_ms:g} ms pure-Python CPU",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"sampler {args.sampler}, load average {os.getloadavg()[0]:.2f} at start.",
        "",
        "| storage | workers | mode | start-up (s) | trial phase (s) | ideal (s) | / ideal "
        "| objectives' CPU (s) | ask / work / tell per trial (ms) | trial / work | total (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n_workers in args.workers:
        ideal = args.trials * work_s / n_workers
        for kind in ("sqlite", "journal_file"):
            for mode in ("processes", "threads"):
                r = measure(kind, mode, work_s, args.sampler, args.trials, n_workers)
                lines.append(
                    f"| {kind} | {n_workers} | {mode} | {r['startup']:.2f} | {r['trials']:.2f} "
                    f"| {ideal:.2f} | {r['trials'] / ideal:.3f} | {r['cpu']:.2f} "
                    f"| {r['ask']:.1f} / {r['work']:.1f} / {r['tell']:.1f} "
                    f"| {(r['ask'] + r['work'] + r['tell']) / r['work']:.3f} | {r['total']:.2f} |"
                )
                print(lines[-1], flush=True)
    lines.append("")
    lines.append(f"Load average at the end: {os.getloadavg()[0]:.2f}.")
    table = "\n".join(lines) + "\n"
    print()
    print(table)
    if args.out is not None:
        args.out.write_text(table)


if __name__ == "__main__":
    main()
