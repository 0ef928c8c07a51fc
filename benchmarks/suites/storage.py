"""Storage: what a trial costs, how many workers share a study, how fast a big study reads.

Three parts, each side by side with the other implementations in one run:

- ``cost``: one process runs ``n_trials`` trials of RandomSampler with 10 float params on a new
  study; milliseconds per trial (the storage round trips and commits dominate).
- ``workers``: W worker processes share one study and run its trials on an objective that
  sleeps; wall time relative to the ideal ``n_trials * sleep / W`` (1.0 is perfect). The
  in-memory storage cannot be shared between processes, so its workers are threads.
- ``read``: ``load_study`` + ``study.trials`` of a finished study of 100k trials (10 params and
  a value each), in a fresh process. The study is built once per backend by writing its rows
  (SQL) or records (journal) directly in Optuna's layout, which every implementation reads.
  "journal file" is read with the snapshot tansaku keeps beside the journal (written by the
  first reader, as workers do); "journal file, no snapshot" deletes it before each read.

PostgreSQL runs on a server started from local binaries (``tests/storages/servers.py``, data
synced to disk as configured by default), or on ``TANSAKU_BENCH_POSTGRES_URL`` when set.
"""

from __future__ import annotations

import atexit
import datetime
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import _results, _runner, _stats, _tables

TITLE = "Storage: per-trial cost, shared workers, reading a large study"
PARALLEL_SAFE = False
POSTGRES_ENV = "TANSAKU_BENCH_POSTGRES_URL"
MAX_ERRORS_PER_WORKER = 20
N_PARAMS = 10
READ_STUDY = "read-study"
LABELS = {
    "inmemory": "in-memory (threads)",
    "sqlite": "SQLite",
    "journal": "journal file",
    "journal_cold": "journal file, no snapshot",
    "postgresql": "PostgreSQL",
}
# What each part reports, and whether a larger figure is better.
METRICS = {
    "cost": ("ms_per_trial", "ms per trial", False),
    "workers": ("wall_over_ideal", "wall / ideal", False),
    "read": ("read_s", "seconds", False),
}


@dataclass(frozen=True)
class Preset:
    cost_trials: int
    cost_storages: tuple[str, ...]
    workers: int
    worker_trials: int
    sleep_s: float
    worker_storages: tuple[str, ...]
    read_trials: int
    read_storages: tuple[str, ...]
    repeats: int
    timeout_s: float


_COST = ("sqlite", "journal", "postgresql")
_SHARED = ("inmemory", "sqlite", "journal", "postgresql")
_READ = ("sqlite", "journal", "journal_cold", "postgresql")
PRESETS = {
    "full": Preset(1000, _COST, 8, 400, 0.05, _SHARED, 100_000, _READ, 3, 3600),
    "quick": Preset(100, _COST, 8, 400, 0.05, _SHARED, 100_000, _READ, 3, 1200),
    # Smoke proves the harness: each part once, PostgreSQL only where it costs one cell.
    "smoke": Preset(5, _COST, 2, 16, 0.005, ("sqlite",), 200, ("journal",), 1, 120),
}


def config(preset: Preset) -> dict[str, Any]:
    return asdict(preset)


def plan(preset: Preset, samplers: tuple[str, ...] | None) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = [
        {"part": "cost", "storage": kind, "n_trials": preset.cost_trials}
        for kind in preset.cost_storages
    ]
    cells += [
        {
            "part": "workers",
            "storage": kind,
            "workers": preset.workers,
            "n_trials": preset.worker_trials,
            "sleep_s": preset.sleep_s,
        }
        for kind in preset.worker_storages
    ]
    cells += [
        {"part": "read", "storage": kind, "n_trials": preset.read_trials}
        for kind in preset.read_storages
    ]
    return cells


def describe(cell: dict[str, Any]) -> str:
    label = LABELS[cell["storage"]]
    if cell["part"] == "workers":
        return f"{cell['part']} {label} x{cell['workers']}"
    return f"{cell['part']} {label}"


# --- inside worker processes ---------------------------------------------------------------


def _census(trials: list[Any], complete_state: Any) -> dict[str, Any]:
    numbers = [t.number for t in trials]
    return {
        "n_trials": len(trials),
        "complete": sum(1 for t in trials if t.state == complete_state),
        "numbers_dense": sorted(numbers) == list(range(len(numbers))),
        "duplicated_numbers": len(numbers) - len(set(numbers)),
    }


def _ten_params(trial: Any) -> float:
    return sum(trial.suggest_float(f"x{i}", -1.0, 1.0) ** 2 for i in range(N_PARAMS))


def _cost_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    storage = impl.storage(task["storage"], task["location"])
    study = impl.create_study(
        study_name="cost", storage=storage, sampler=impl.sampler("random", seed=task["seed"])
    )
    started = time.perf_counter()
    for _ in range(task["n_trials"]):
        trial = study.ask()
        study.tell(trial, _ten_params(trial))
    seconds = time.perf_counter() - started
    census = _census(study.trials, impl.trial_state("COMPLETE"))
    return {
        "ms_per_trial": 1000 * seconds / task["n_trials"],
        **census,
        "lost": task["n_trials"] - census["complete"],
        "duplicated": census["duplicated_numbers"],
        "errors": 0,
    }


def _read_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    kind = "journal" if task["storage"] == "journal_cold" else task["storage"]
    started = time.perf_counter()
    study = impl.load_study(study_name=READ_STUDY, storage=impl.storage(kind, task["location"]))
    trials = study.trials
    seconds = time.perf_counter() - started
    census = _census(trials, impl.trial_state("COMPLETE"))
    return {
        "read_s": seconds,
        **census,
        "lost": task["n_trials"] - census["complete"],
        "duplicated": census["duplicated_numbers"],
        "errors": 0,
    }


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


def _threads_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
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
    return {"workers": results, **_census(study.trials, impl.trial_state("COMPLETE"))}


def run_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    role = task["role"]
    if role == "cost":
        return _cost_task(impl, task)
    if role == "read":
        return _read_task(impl, task)
    if role == "threads":
        return _threads_task(impl, task)
    name = task["study_name"]
    storage = impl.storage(task["storage"], task["location"])
    if role == "coordinator":
        impl.create_study(study_name=name, storage=storage, sampler=impl.sampler("random", 0))
        with open(task["ready_path"], "w") as f:
            f.write("ready")
        sys.stdin.readline()  # the workers are done
        study = impl.load_study(study_name=name, storage=storage)
        return _census(study.trials, impl.trial_state("COMPLETE"))
    study = impl.load_study(
        study_name=name, storage=storage, sampler=impl.sampler("random", seed=task["seed"])
    )
    with open(task["ready_path"], "w") as f:
        f.write("ready")
    sys.stdin.readline()  # start together
    return _work(study, task["quota"], task["sleep_s"])


# --- in the runner --------------------------------------------------------------------------

# Built once per suite run: the PostgreSQL server and the 100k-trial studies, by storage.
_STATE: dict[str, Any] = {}


def _postgresql_url() -> str | None:
    """A new empty database's URL, or None when no PostgreSQL server can run here."""
    if os.environ.get(POSTGRES_ENV):
        return os.environ[POSTGRES_ENV]
    if "postgresql" not in _STATE:
        try:
            from tests.storages.servers import PostgreSQLServer, ServerUnavailableError
        except ImportError:
            _STATE["postgresql"] = None
            return None
        try:
            server = PostgreSQLServer.start(durable=True)
        except ServerUnavailableError as error:
            print(f"[storage] PostgreSQL not available: {error}", file=sys.stderr)
            server = None
        else:
            atexit.register(server.stop)
        _STATE["postgresql"] = server
    server = _STATE["postgresql"]
    return None if server is None else server.create_database("bench")


def _location(kind: str, directory: str) -> str | None:
    if kind == "sqlite":
        return os.path.join(directory, "study.db")
    if kind == "journal":
        return os.path.join(directory, "journal.log")
    if kind == "postgresql":
        return _postgresql_url()
    return ""


def measure(cell: dict[str, Any], impl: str, repeat: int, preset: Preset) -> dict[str, Any]:
    """One measurement of ``cell`` for ``impl``; each in fresh processes."""
    if cell["part"] == "read":
        location = _read_location(cell)
        if location is None:
            return {"status": "not available", "reason": "no PostgreSQL server here"}
        if cell["storage"] == "journal_cold":
            with_snapshot = location + ".snapshot"
            if os.path.exists(with_snapshot):
                os.remove(with_snapshot)
        task = {**cell, "role": "read", "location": location}
        return _runner.run_worker("storage", impl, task, preset.timeout_s)
    directory = tempfile.mkdtemp(prefix="tansaku-bench-storage-")
    try:
        location = _location(cell["storage"], directory)
        if location is None:
            return {"status": "not available", "reason": "no PostgreSQL server here"}
        if cell["part"] == "cost":
            task = {**cell, "role": "cost", "location": location, "seed": repeat}
            return _runner.run_worker("storage", impl, task, preset.timeout_s)
        return _measure_workers(cell, impl, location, preset)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _measure_workers(
    cell: dict[str, Any], impl: str, location: str, preset: Preset
) -> dict[str, Any]:
    """A coordinator creates the study, W workers share it, the coordinator counts."""
    task = {**cell, "study_name": f"bench-{uuid.uuid4().hex[:12]}", "location": location}
    if cell["storage"] == "inmemory":
        outcome = _runner.run_worker(
            "storage", impl, {**task, "role": "threads"}, preset.timeout_s
        )
        if outcome["status"] == "ok":
            outcome["data"] = _score(cell, outcome["data"]["workers"], outcome["data"])
        return outcome
    coordinator = _runner.Worker("storage", impl, {**task, "role": "coordinator"})
    if not coordinator.wait_ready(preset.timeout_s):
        return coordinator.finish(preset.timeout_s)
    workers = [
        _runner.Worker("storage", impl, {**task, "role": "worker", "quota": q, "seed": i})
        for i, q in enumerate(_shares(cell["n_trials"], cell["workers"]))
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
    return {"status": "ok", "data": data, "seconds": data["wall_s"]}


def _score(cell: dict[str, Any], workers: list[dict[str, Any]], census: dict) -> dict:
    wall = max(w["end"] for w in workers) - min(w["start"] for w in workers)
    ideal = cell["n_trials"] * cell["sleep_s"] / cell["workers"]
    told = [n for w in workers for n in w["numbers"]]
    errors = [e for w in workers for e in w["errors"]]
    return {
        "wall_s": wall,
        "wall_over_ideal": wall / ideal,
        "complete": census["complete"],
        "lost": max(0, cell["n_trials"] - census["complete"]),
        "duplicated": (len(told) - len(set(told))) + census["duplicated_numbers"],
        "numbers_dense": census["numbers_dense"],
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


# --- the 100k-trial study, built once per backend ------------------------------------------


def _read_location(cell: dict[str, Any]) -> str | None:
    """Where the finished study of ``cell`` is (built on first use), or None."""
    kind, n_trials = cell["storage"], cell["n_trials"]
    key = f"read:{kind}:{n_trials}"
    if key not in _STATE:
        _STATE[key] = _build_read_study(kind, n_trials)
    return _STATE[key]


def _scratch() -> str:
    if "scratch" not in _STATE:
        _STATE["scratch"] = tempfile.mkdtemp(prefix="tansaku-bench-read-")
        atexit.register(shutil.rmtree, _STATE["scratch"], True)
    return str(_STATE["scratch"])


def _fake_trials(n_trials: int) -> list[tuple[int, float, list[float], str, str]]:
    """(number, value, params, start, complete) of ``n_trials`` finished trials."""
    rng = random.Random(0)
    moment = datetime.datetime(2026, 1, 1)
    trials = []
    for number in range(n_trials):
        params = [rng.uniform(-1.0, 1.0) for _ in range(N_PARAMS)]
        start = moment + datetime.timedelta(seconds=number)
        complete = start + datetime.timedelta(milliseconds=500)
        trials.append(
            (number, sum(p * p for p in params), params, start.isoformat(), complete.isoformat())
        )
    return trials


def _build_read_study(kind: str, n_trials: int) -> str | None:
    started = time.perf_counter()
    if kind == "journal_cold":
        source = _read_location({"storage": "journal", "n_trials": n_trials})
        assert source is not None
        location = os.path.join(_scratch(), "cold.log")
        shutil.copy(source, location)
    elif kind == "journal":
        location = os.path.join(_scratch(), "journal.log")
        _write_journal(location, n_trials)
        # The first tansaku reader writes the snapshot that later readers start from.
        from tansaku.storages.journal import JournalFileBackend, JournalStorage

        JournalStorage(JournalFileBackend(location))
    else:
        url = (
            f"sqlite:///{os.path.join(_scratch(), 'read.db')}"
            if kind == "sqlite"
            else _postgresql_url()
        )
        if url is None:
            return None
        _write_rdb(url, n_trials)
        location = url[len("sqlite:///") :] if kind == "sqlite" else url
    seconds = time.perf_counter() - started
    print(f"[storage] built the {n_trials}-trial {kind} study in {seconds:.1f} s", file=sys.stderr)
    return location


def _write_journal(path: str, n_trials: int) -> None:
    """The study as Optuna's journal records: one study, one complete record per trial."""
    from tansaku.distributions import FloatDistribution, distribution_to_json

    distribution = distribution_to_json(FloatDistribution(-1.0, 1.0))
    names = [f"x{i}" for i in range(N_PARAMS)]
    head = {"op_code": 0, "worker_id": "bench", "study_name": READ_STUDY, "directions": [1]}
    with open(path, "w") as file:
        file.write(json.dumps(head) + "\n")
        for _, value, params, start, complete in _fake_trials(n_trials):
            record = {
                "op_code": 4,
                "worker_id": "bench",
                "study_id": 0,
                "datetime_start": start + "+00:00",
                "datetime_complete": complete + "+00:00",
                "state": 1,
                "value": value,
                "values": None,
                "distributions": dict.fromkeys(names, distribution),
                "params": dict(zip(names, params)),
                "user_attrs": {},
                "system_attrs": {},
                "intermediate_values": {},
            }
            file.write(json.dumps(record, separators=(",", ":")) + "\n")


def _write_rdb(url: str, n_trials: int) -> None:
    """The study as rows of Optuna's schema, inserted in bulk (tansaku creates the schema)."""
    from sqlalchemy import text

    from tansaku.distributions import FloatDistribution, distribution_to_json
    from tansaku.storages import RDBStorage
    from tansaku.study import StudyDirection

    storage = RDBStorage(url)
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], READ_STUDY)
    distribution = distribution_to_json(FloatDistribution(-1.0, 1.0))
    trials, params, values = [], [], []
    for number, value, xs, start, complete in _fake_trials(n_trials):
        trial_id = number + 1
        trials.append({"id": trial_id, "n": number, "s": study_id, "a": start, "b": complete})
        values.append({"id": trial_id, "v": value})
        params += [
            {"id": trial_id, "name": f"x{i}", "v": x, "d": distribution} for i, x in enumerate(xs)
        ]
    with storage.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO trials (trial_id, number, study_id, state, datetime_start, "
                "datetime_complete) VALUES (:id, :n, :s, 'COMPLETE', :a, :b)"
            ),
            trials,
        )
        connection.execute(
            text(
                "INSERT INTO trial_values (trial_id, objective, value, value_type) "
                "VALUES (:id, 0, :v, 'FINITE')"
            ),
            values,
        )
        connection.execute(
            text(
                "INSERT INTO trial_params (trial_id, param_name, param_value, "
                "distribution_json) VALUES (:id, :name, :v, :d)"
            ),
            params,
        )
    storage.engine.dispose()


# --- tables ---------------------------------------------------------------------------------


def summarize(doc: dict[str, Any]) -> list[dict[str, Any]]:
    impls = doc["impls"]
    groups = _results.outcomes_by_impl(doc)
    cells = {_results.cell_key(r["cell"]): r["cell"] for r in doc["runs"]}
    rows = []
    for key, cell in cells.items():
        metric = METRICS[cell["part"]][0]
        per_impl = {impl: groups.get((key, impl), []) for impl in impls}
        ok = {impl: [r for r in runs if r["status"] == "ok"] for impl, runs in per_impl.items()}
        raw = {
            impl: {r["repeat"]: r["data"][metric] for r in runs}
            for impl, runs in ok.items()
            if runs
        }
        # Speed-ups: the ratio of rates (1 / the measured cost), > 1 when tansaku is faster.
        rates = {impl: {k: 1.0 / v for k, v in got.items() if v > 0} for impl, got in raw.items()}
        integrity = {
            impl: {field: sum(r["data"][field] for r in runs) for field in ("lost", "duplicated")}
            | {"errors": sum(r["data"].get("errors", 0) for r in runs)}
            for impl, runs in ok.items()
            if runs
        }
        rows.append(
            {
                "part": cell["part"],
                "storage": cell["storage"],
                "cell": cell,
                "status": {impl: _results.status_of(runs)[0] for impl, runs in per_impl.items()},
                "measured": _stats.compare_impls(raw, impls)["summary"],
                "speedup": _stats.compare_impls(rates, impls)["ratio"],
                "integrity": integrity,
            }
        )
    parts, kinds = list(METRICS), list(LABELS)
    rows.sort(key=lambda r: (parts.index(r["part"]), kinds.index(r["storage"])))
    return rows


_PART_TEXT = {
    "cost": "**Per-trial cost**: {n} trials of RandomSampler with {p} float params in one process;"
    " milliseconds per trial, median [min–max] over {r} repeats. Speed-up: the other's time"
    " over tansaku's (per-repeat range in brackets).",
    "workers": "**Shared by workers**: {w} worker processes run {n} trials whose objective"
    " sleeps {s} ms; wall time over the ideal {n} × {s} ms / {w} (1.0 is perfect).",
    "read": "**Reading a large study**: `load_study` + `study.trials` of a finished study of {n}"
    " trials ({p} params each), in a fresh process; seconds.",
}


def render(doc: dict[str, Any], detail: bool = True) -> str:
    impls, cfg = doc["impls"], doc["config"]
    base = impls[0]
    rows = summarize(doc)
    parts = [_results.header(doc, TITLE)]
    for part, (_, unit, _) in METRICS.items():
        mine = [r for r in rows if r["part"] == part]
        if not mine:
            continue
        cell = mine[0]["cell"]
        parts.append(
            _PART_TEXT[part].format(
                n=cell["n_trials"],
                p=N_PARAMS,
                r=cfg["repeats"],
                w=cell.get("workers"),
                s=f"{cell.get('sleep_s', 0) * 1000:g}",
            )
        )
        headers = ["storage", *(f"{impl} {unit}" for impl in impls)]
        headers += [f"{base} speed-up vs {other}" for other in impls[1:]]
        headers += [f"lost/dup/err ({'/'.join(impls)})"]
        body = []
        for row in mine:
            cells = [LABELS[row["storage"]]]
            for impl in impls:
                summary = row["measured"].get(impl)
                cells.append(_tables.spread(summary) if summary else row["status"][impl])
            for other in impls[1:]:
                r = row["speedup"].get(other)
                cells.append(_tables.ratio(r["value"], r["paired"]) if r else _tables.DASH)
            counts = [row["integrity"].get(impl) for impl in impls]
            cells.append(
                " · ".join(
                    _tables.DASH if c is None else f"{c['lost']}/{c['duplicated']}/{c['errors']}"
                    for c in counts
                )
            )
            body.append(cells)
        parts.append(_tables.markdown_table(headers, body))
    parts.append(_tables.notes("Not measured", _results.problem_notes(doc, describe)))
    return "\n\n".join(p for p in parts if p)


def headline(doc: dict[str, Any]) -> list[str]:
    impls = doc["impls"]
    base = impls[0]
    lines = []
    for row in summarize(doc):
        summary = row["measured"].get(base)
        if summary is None:
            lines.append(f"{describe(row['cell'])}: {base} {row['status'].get(base)}")
            continue
        text = f"{describe(row['cell'])}: {_tables.number(summary['median'])}"
        text += f" {METRICS[row['part']][1]}"
        for other in impls[1:]:
            r = row["speedup"].get(other)
            if r and r["value"] is not None:
                text += f", {_tables.ratio(r['value'])} vs {other}"
        lines.append(text)
    return lines
