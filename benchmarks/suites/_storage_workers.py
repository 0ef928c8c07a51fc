"""The ``workers`` part of the storage suite: W worker processes share one study.

A coordinator process creates the study, the workers load it, wait until all are ready, then
run their share of the trials on an objective that sleeps; the coordinator counts what the
study holds afterwards. The in-memory storage cannot be shared between processes, so its
workers are threads of one process.

``threads_task`` and ``shared_task`` run inside worker processes (through the suite's
``run_task``); ``measure_workers`` runs in the runner.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from typing import Any

from benchmarks import _runner
from benchmarks.suites._storage_backends import census, open_storage

MAX_ERRORS_PER_WORKER = 20


# --- inside worker processes ---------------------------------------------------------------


def _work(study: Any, quota: int, sleep_s: float) -> dict[str, Any]:
    numbers: list[int] = []
    errors: list[str] = []
    start = time.monotonic()
    while len(numbers) < quota and len(errors) <= MAX_ERRORS_PER_WORKER:
        try:
            trial = study.ask()
            x = trial.suggest_float("x", 0.0, 1.0)
            time.sleep(sleep_s)
            study.tell(trial, x)
            numbers.append(trial.number)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
    return {"numbers": numbers, "errors": errors, "start": start, "end": time.monotonic()}


def _shares(total: int, workers: int) -> list[int]:
    return [total // workers + (1 if i < total % workers else 0) for i in range(workers)]


def threads_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    """The in-memory storage shared by threads of this process."""
    study = impl.create_study(
        study_name=task["study_name"],
        storage=impl.storage("inmemory", ""),
        sampler=impl.sampler("random", seed=0),
    )
    shares = _shares(task["n_trials"], task["workers"])
    results: list[dict[str, Any]] = [{} for _ in shares]
    go = threading.Event()

    def thread_main(index: int) -> None:
        go.wait()
        results[index] = _work(study, shares[index], task["sleep_s"])

    threads = [threading.Thread(target=thread_main, args=(i,)) for i in range(len(shares))]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join()
    return {"workers": results, **census(study.trials, impl.trial_state("COMPLETE"))}


def shared_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    """One process of a shared study: the coordinator, or one of the workers."""
    name = task["study_name"]
    storage = open_storage(impl, task["storage"], task["location"])
    if task["role"] == "coordinator":
        impl.create_study(study_name=name, storage=storage, sampler=impl.sampler("random", 0))
        with open(task["ready_path"], "w") as f:
            f.write("ready")
        sys.stdin.readline()  # the workers are done
        study = impl.load_study(study_name=name, storage=storage)
        return census(study.trials, impl.trial_state("COMPLETE"))
    study = impl.load_study(
        study_name=name, storage=storage, sampler=impl.sampler("random", seed=task["seed"])
    )
    with open(task["ready_path"], "w") as f:
        f.write("ready")
    sys.stdin.readline()  # start together
    return _work(study, task["quota"], task["sleep_s"])


# --- in the runner --------------------------------------------------------------------------


def measure_workers(
    cell: dict[str, Any], impl: str, location: str, timeout_s: float
) -> dict[str, Any]:
    """A coordinator creates the study, W workers share it, the coordinator counts."""
    if cell["storage"] == "inmemory":
        task = {**cell, "study_name": f"bench-{uuid.uuid4().hex[:12]}", "location": location}
        outcome = _runner.run_worker("storage", impl, {**task, "role": "threads"}, timeout_s)
        if outcome["status"] == "ok":
            outcome["data"] = _score(cell, outcome["data"]["workers"], outcome["data"])
        return outcome
    shared = run_shared(cell, impl, location, timeout_s)
    if shared["status"] != "ok":
        return shared
    data = _score(cell, shared["workers"], shared["census"])
    return {"status": "ok", "data": data, "seconds": data["wall_s"]}


def run_shared(cell: dict[str, Any], impl: str, location: str, timeout_s: float) -> dict[str, Any]:
    """Run the workers of a shared study; what each reported and the study's census.

    Returns:
        ``{"status": "ok", "workers": [...], "census": {...}}``, or the first failed outcome.
    """
    task = {**cell, "study_name": f"bench-{uuid.uuid4().hex[:12]}", "location": location}
    coordinator = _runner.Worker("storage", impl, {**task, "role": "coordinator"})
    if not coordinator.wait_ready(timeout_s):
        return coordinator.finish(timeout_s)
    workers = [
        _runner.Worker("storage", impl, {**task, "role": "worker", "quota": q, "seed": i})
        for i, q in enumerate(_shares(cell["n_trials"], cell["workers"]))
    ]
    for worker in workers:
        if not worker.wait_ready(timeout_s):
            outcome = worker.finish(timeout_s)
            for other in [*workers, coordinator]:
                if other is not worker:
                    other.kill()
                    other.close()
            return outcome
    for worker in workers:
        worker.send("go")
    outcomes = [worker.finish(timeout_s) for worker in workers]
    coordinator.send("verify")
    counted = coordinator.finish(timeout_s)
    failed = next((o for o in [*outcomes, counted] if o["status"] != "ok"), None)
    if failed is not None:
        return failed
    return {"status": "ok", "workers": [o["data"] for o in outcomes], "census": counted["data"]}


def _score(cell: dict[str, Any], workers: list[dict[str, Any]], study_census: dict) -> dict:
    wall = max(w["end"] for w in workers) - min(w["start"] for w in workers)
    ideal = cell["n_trials"] * cell["sleep_s"] / cell["workers"]
    told = [n for w in workers for n in w["numbers"]]
    errors = [e for w in workers for e in w["errors"]]
    return {
        "wall_s": wall,
        "wall_over_ideal": wall / ideal,
        "complete": study_census["complete"],
        "lost": max(0, cell["n_trials"] - study_census["complete"]),
        "duplicated": (len(told) - len(set(told))) + study_census["duplicated_numbers"],
        "numbers_dense": study_census["numbers_dense"],
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }
