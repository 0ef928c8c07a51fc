"""Storage: throughput of W worker processes sharing one study, and no trial lost or doubled.

Every worker process loads the study through the storage, waits until all are ready, then runs
its share of the trials on an objective that only sleeps. Throughput is reported relative to
the ideal ``W / sleep`` trials per second. The in-memory storage cannot be shared between
processes, so its workers are threads of one process. PostgreSQL runs only when
``TANSAKU_BENCH_POSTGRES_URL`` names a server (e.g. ``postgresql+psycopg://u:p@host/db``).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import _results, _runner, _stats, _tables
from benchmarks._impls import STORAGE_LABELS

TITLE = "Storage: throughput relative to ideal, trials lost or duplicated"
PARALLEL_SAFE = False
POSTGRES_ENV = "TANSAKU_BENCH_POSTGRES_URL"
MAX_ERRORS_PER_WORKER = 20


@dataclass(frozen=True)
class Preset:
    n_trials: int
    workers: tuple[int, ...]
    sleep_s: float
    repeats: int
    timeout_s: float
    storages: tuple[str, ...] = ("inmemory", "sqlite", "journal", "postgresql")


PRESETS = {
    "full": Preset(1000, (1, 2, 4, 8, 16), sleep_s=0.01, repeats=3, timeout_s=1800),
    "quick": Preset(100, (1, 4), sleep_s=0.01, repeats=2, timeout_s=300),
    "smoke": Preset(16, (2,), sleep_s=0.005, repeats=1, timeout_s=120),
}


def config(preset: Preset) -> dict[str, Any]:
    return asdict(preset)


def plan(preset: Preset, samplers: tuple[str, ...] | None) -> list[dict[str, Any]]:
    return [
        {"storage": kind, "workers": w, "n_trials": preset.n_trials, "sleep_s": preset.sleep_s}
        for kind in preset.storages
        for w in preset.workers
    ]


def describe(cell: dict[str, Any]) -> str:
    return f"{STORAGE_LABELS[cell['storage']]} x{cell['workers']}"


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


def _census(trials: list[Any], complete_state: Any) -> dict[str, Any]:
    numbers = [t.number for t in trials]
    return {
        "n_trials": len(trials),
        "complete": sum(1 for t in trials if t.state == complete_state),
        "numbers_dense": sorted(numbers) == list(range(len(numbers))),
        "duplicated_numbers": len(numbers) - len(set(numbers)),
    }


def _signal_ready(task: dict[str, Any]) -> None:
    with open(task["ready_path"], "w") as f:
        f.write("ready")


def _shares(total: int, workers: int) -> list[int]:
    return [total // workers + (1 if i < total % workers else 0) for i in range(workers)]


def run_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    role, name = task["role"], task["study_name"]
    if role == "threads":
        study = impl.create_study(
            study_name=name,
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
        return {"workers": results, **_census(study.trials, impl.trial_state("COMPLETE"))}

    storage = impl.storage(task["storage"], task["location"])
    if role == "coordinator":
        impl.create_study(study_name=name, storage=storage, sampler=impl.sampler("random", 0))
        _signal_ready(task)
        sys.stdin.readline()  # the workers are done
        study = impl.load_study(
            study_name=name, storage=storage, sampler=impl.sampler("random", seed=0)
        )
        census = _census(study.trials, impl.trial_state("COMPLETE"))
        if task["storage"] == "postgresql":
            impl.delete_study(study_name=name, storage=storage)
        return census
    study = impl.load_study(
        study_name=name, storage=storage, sampler=impl.sampler("random", seed=task["seed"])
    )
    _signal_ready(task)
    sys.stdin.readline()  # start together
    return _work(study, task["quota"], task["sleep_s"])


# --- in the runner --------------------------------------------------------------------------


def _location(kind: str, directory: str) -> str | None:
    if kind == "sqlite":
        return os.path.join(directory, "study.db")
    if kind == "journal":
        return os.path.join(directory, "journal.log")
    if kind == "postgresql":
        return os.environ.get(POSTGRES_ENV)
    return ""


def measure(cell: dict[str, Any], impl: str, repeat: int, preset: Preset) -> dict[str, Any]:
    """One run: a coordinator creates the study, W workers share it, the coordinator counts."""
    kind, n_workers = cell["storage"], cell["workers"]
    task = {**cell, "study_name": f"bench-{uuid.uuid4().hex[:12]}"}
    started = time.perf_counter()
    if kind == "inmemory":
        outcome = _runner.run_worker(
            "storage", impl, {**task, "role": "threads"}, preset.timeout_s
        )
        if outcome["status"] == "ok":
            outcome["data"] = _score(cell, outcome["data"]["workers"], outcome["data"])
        return outcome
    directory = tempfile.mkdtemp(prefix="tansaku-bench-storage-")
    try:
        location = _location(kind, directory)
        if location is None:
            return {"status": "not available", "reason": f"set {POSTGRES_ENV} to a server URL"}
        task["location"] = location
        coordinator = _runner.Worker("storage", impl, {**task, "role": "coordinator"})
        if not coordinator.wait_ready(preset.timeout_s):
            return coordinator.finish(preset.timeout_s)
        workers = [
            _runner.Worker("storage", impl, {**task, "role": "worker", "quota": q, "seed": i})
            for i, q in enumerate(_shares(cell["n_trials"], n_workers))
        ]
        for worker in workers:
            if not worker.wait_ready(preset.timeout_s):
                outcome = worker.finish(preset.timeout_s)
                for other in [*workers, coordinator]:
                    if other is not worker:
                        other.kill()
                        other.close()
                return outcome
        for worker in workers:
            worker.send("go")
        outcomes = [worker.finish(preset.timeout_s) for worker in workers]
        coordinator.send("verify")
        census = coordinator.finish(preset.timeout_s)
        failed = next((o for o in [*outcomes, census] if o["status"] != "ok"), None)
        if failed is not None:
            return failed
        data = _score(cell, [o["data"] for o in outcomes], census["data"])
        return {"status": "ok", "data": data, "seconds": time.perf_counter() - started}
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _score(cell: dict[str, Any], workers: list[dict[str, Any]], census: dict) -> dict:
    wall = max(w["end"] for w in workers) - min(w["start"] for w in workers)
    ideal = cell["n_trials"] * cell["sleep_s"] / cell["workers"]
    told = [n for w in workers for n in w["numbers"]]
    errors = [e for w in workers for e in w["errors"]]
    return {
        "wall_s": wall,
        "efficiency": ideal / wall if wall > 0 else None,
        "throughput_per_s": census["complete"] / wall if wall > 0 else None,
        "complete": census["complete"],
        "lost": max(0, cell["n_trials"] - census["complete"]),
        "duplicated": (len(told) - len(set(told))) + census["duplicated_numbers"],
        "numbers_dense": census["numbers_dense"],
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def summarize(doc: dict[str, Any]) -> list[dict[str, Any]]:
    impls = doc["impls"]
    groups = _results.outcomes_by_impl(doc)
    cells = {_results.cell_key(r["cell"]): r["cell"] for r in doc["runs"]}
    rows = []
    for key, cell in cells.items():
        per_impl = {impl: groups.get((key, impl), []) for impl in impls}
        ok = {impl: [r for r in runs if r["status"] == "ok"] for impl, runs in per_impl.items()}
        efficiency = {
            impl: {r["repeat"]: r["data"]["efficiency"] for r in runs}
            for impl, runs in ok.items()
            if runs
        }
        integrity = {
            impl: {
                field: sum(r["data"][field] for r in runs)
                for field in ("lost", "duplicated", "errors")
            }
            | {"not_dense": sum(1 for r in runs if not r["data"]["numbers_dense"])}
            for impl, runs in ok.items()
            if runs
        }
        rows.append(
            {
                "storage": cell["storage"],
                "workers": cell["workers"],
                "status": {impl: _results.status_of(runs)[0] for impl, runs in per_impl.items()},
                "efficiency": _stats.compare_impls(efficiency, impls),
                "integrity": integrity,
            }
        )
    order = {kind: i for i, kind in enumerate(STORAGE_LABELS)}
    rows.sort(key=lambda r: (order[r["storage"]], r["workers"]))
    return rows


def render(doc: dict[str, Any], detail: bool = True) -> str:
    impls = doc["impls"]
    base = impls[0]
    cfg = doc["config"]
    headers = ["storage", "workers", *(f"{impl} throughput/ideal" for impl in impls)]
    headers += [f"{base}/{other}" for other in impls[1:]]
    headers += [f"lost/dup/err ({'/'.join(impls)})"]
    body = []
    for row in summarize(doc):
        cells = [STORAGE_LABELS[row["storage"]], str(row["workers"])]
        for impl in impls:
            summary = row["efficiency"]["summary"].get(impl)
            cells.append(_tables.spread(summary) if summary else row["status"][impl])
        for other in impls[1:]:
            r = row["efficiency"]["ratio"].get(other)
            cells.append(_tables.ratio(r["value"], r["paired"]) if r else _tables.DASH)
        integrity = []
        for impl in impls:
            counts = row["integrity"].get(impl)
            if counts is None:
                integrity.append(_tables.DASH)
            else:
                text = f"{counts['lost']}/{counts['duplicated']}/{counts['errors']}"
                integrity.append(text + ("!" if counts["not_dense"] else ""))
        cells.append(" · ".join(integrity))
        body.append(cells)
    parts = [
        _results.header(doc, TITLE),
        f"{cfg['n_trials']} trials per run, objective sleeps {cfg['sleep_s'] * 1000:g} ms; "
        f"throughput relative to the ideal workers/sleep, median [min–max] over "
        f"{cfg['repeats']} repeats (1.0 is perfect; ratio > 1: {base} is faster). Lost, "
        "duplicated and errors are summed over repeats and must be 0 (`!`: trial numbers "
        "not dense).",
        _tables.markdown_table(headers, body),
        _tables.notes("Not measured", _results.problem_notes(doc, describe)),
    ]
    return "\n\n".join(p for p in parts if p)


def headline(doc: dict[str, Any]) -> list[str]:
    impls = doc["impls"]
    base = impls[0]
    lines = []
    rows = summarize(doc)
    for kind in STORAGE_LABELS:
        mine = [r for r in rows if r["storage"] == kind]
        if not mine:
            continue
        top = max(mine, key=lambda r: r["workers"])
        if top["status"].get(base) != "ok":
            lines.append(f"{STORAGE_LABELS[kind]}: {base} {top['status'].get(base)}")
            continue
        parts = [f"{base} at {top['workers']} workers"]
        summary = top["efficiency"]["summary"].get(base)
        parts.append(f"{_tables.number(summary['median'])} of ideal" if summary else "")
        for other in impls[1:]:
            r = top["efficiency"]["ratio"].get(other)
            if r and r["value"] is not None:
                parts.append(f"{base}/{other} {_tables.ratio(r['value'])}")
        bad = sum(
            sum(v.get(base, {}).get(f, 0) for f in ("lost", "duplicated"))
            for v in [r["integrity"] for r in mine]
        )
        parts.append(f"lost+duplicated {bad}")
        lines.append(f"{STORAGE_LABELS[kind]}: " + ", ".join(p for p in parts if p))
    return lines
