"""Storage: what a trial costs, how many workers share a study, how fast a big study reads.

Four parts, each side by side with the other implementations in one run:

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
  With ``TANSAKU_BENCH_READ_BASELINE`` set to another tansaku source tree, that tree's reads
  make one more column (see ``_storage_read.py``).
- ``proxy``: W worker processes run trials of an objective that does nothing, on one study in
  PostgreSQL, through a gRPC storage proxy process (``run_grpc_proxy_server``) and directly;
  trials completed per second.

``TANSAKU_BENCH_STORAGE_PARTS`` (e.g. ``proxy`` or ``cost,workers``) limits a run to some parts.

PostgreSQL runs on a server started from local binaries (``tests/storages/servers.py``, data
synced to disk as configured by default), or on ``TANSAKU_BENCH_POSTGRES_URL`` when set.

This module is the suite (presets, cells, the ``cost`` part, tables); the ``workers`` part is in
``_storage_workers.py``, the ``read`` part in ``_storage_read.py``, the ``proxy`` part in
``_storage_proxy.py``, and what they share (where a backend keeps a study, the census of a
study) in ``_storage_backends.py``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import _results, _runner, _stats, _tables
from benchmarks.suites._storage_backends import N_PARAMS, census, location
from benchmarks.suites._storage_proxy import measure_proxy, proxy_server_task
from benchmarks.suites._storage_read import baseline_label, measure_read, read_task
from benchmarks.suites._storage_workers import measure_workers, shared_task, threads_task

TITLE = "Storage: per-trial cost, shared workers, reading a large study"
PARALLEL_SAFE = False
LABELS = {
    "inmemory": "in-memory (threads)",
    "sqlite": "SQLite",
    "journal": "journal file",
    "journal_cold": "journal file, no snapshot",
    "postgresql": "PostgreSQL",
    "grpc_sqlite": "SQLite via gRPC proxy",
    "grpc_postgresql": "PostgreSQL via gRPC proxy",
}
PARTS_ENV = "TANSAKU_BENCH_STORAGE_PARTS"
# What each part reports, and whether a larger figure is better.
METRICS = {
    "cost": ("ms_per_trial", "ms per trial", False),
    "workers": ("wall_over_ideal", "wall / ideal", False),
    "read": ("read_s", "seconds", False),
    "proxy": ("trials_per_s", "trials / s", True),
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
    proxy_workers: int
    proxy_trials: int
    proxy_storages: tuple[str, ...]
    repeats: int
    timeout_s: float


_COST = ("sqlite", "journal", "postgresql")
_SHARED = ("inmemory", "sqlite", "journal", "postgresql")
_READ = ("sqlite", "journal", "journal_cold", "postgresql")
_PROXY = ("postgresql", "grpc_postgresql")
PRESETS = {
    "full": Preset(1000, _COST, 8, 400, 0.05, _SHARED, 100_000, _READ, 8, 2000, _PROXY, 3, 3600),
    "quick": Preset(100, _COST, 8, 400, 0.05, _SHARED, 100_000, _READ, 8, 400, _PROXY, 3, 1200),
    # Smoke proves the harness: each part once, PostgreSQL only where it costs one cell.
    "smoke": Preset(
        5, _COST, 2, 16, 0.005, ("sqlite",), 200, ("journal",), 2, 16, ("grpc_sqlite",), 1, 120
    ),
}


def config(preset: Preset) -> dict[str, Any]:
    return {**asdict(preset), "read_baseline": baseline_label()}


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
    cells += [
        {
            "part": "proxy",
            "storage": kind,
            "workers": preset.proxy_workers,
            "n_trials": preset.proxy_trials,
            "sleep_s": 0.0,
        }
        for kind in preset.proxy_storages
    ]
    only = [part for part in os.environ.get(PARTS_ENV, "").split(",") if part]
    return [cell for cell in cells if not only or cell["part"] in only]


def describe(cell: dict[str, Any]) -> str:
    label = LABELS[cell["storage"]]
    if cell["part"] in ("workers", "proxy"):
        return f"{cell['part']} {label} x{cell['workers']}"
    return f"{cell['part']} {label}"


# --- inside worker processes ---------------------------------------------------------------


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
    counted = census(study.trials, impl.trial_state("COMPLETE"))
    return {
        "ms_per_trial": 1000 * seconds / task["n_trials"],
        **counted,
        "lost": task["n_trials"] - counted["complete"],
        "duplicated": counted["duplicated_numbers"],
        "errors": 0,
    }


def run_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    role = task["role"]
    if role == "cost":
        return _cost_task(impl, task)
    if role == "read":
        return read_task(impl, task)
    if role == "threads":
        return threads_task(impl, task)
    if role == "proxy_server":
        return proxy_server_task(impl, task)
    return shared_task(impl, task)  # the coordinator or a worker of a shared study


# --- in the runner --------------------------------------------------------------------------


def measure(cell: dict[str, Any], impl: str, repeat: int, preset: Preset) -> dict[str, Any]:
    """One measurement of ``cell`` for ``impl``; each in fresh processes."""
    if cell["part"] == "read":
        return measure_read(cell, impl, repeat, preset.timeout_s)
    directory = tempfile.mkdtemp(prefix="tansaku-bench-storage-")
    try:
        where = location(cell["storage"], directory)
        if where is None:
            return {"status": "not available", "reason": "no PostgreSQL server here"}
        if cell["part"] == "cost":
            task = {**cell, "role": "cost", "location": where, "seed": repeat}
            return _runner.run_worker("storage", impl, task, preset.timeout_s)
        if cell["part"] == "proxy":
            return measure_proxy(cell, impl, where, preset.timeout_s)
        return measure_workers(cell, impl, where, preset.timeout_s)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# --- tables ---------------------------------------------------------------------------------


def _columns(doc: dict[str, Any], part: str) -> list[str]:
    """The implementations measured in ``part``: the suite's, and the read part's baseline."""
    baseline = doc["config"].get("read_baseline")
    return [*doc["impls"], baseline] if part == "read" and baseline else list(doc["impls"])


def summarize(doc: dict[str, Any]) -> list[dict[str, Any]]:
    groups = _results.outcomes_by_impl(doc)
    cells = {_results.cell_key(r["cell"]): r["cell"] for r in doc["runs"]}
    rows = []
    for key, cell in cells.items():
        metric, _, larger_is_better = METRICS[cell["part"]]
        impls = _columns(doc, cell["part"])
        per_impl = {impl: groups.get((key, impl), []) for impl in doc["impls"]}
        ok = {impl: [r for r in runs if r["status"] == "ok"] for impl, runs in per_impl.items()}
        raw = {
            impl: {r["repeat"]: r["data"][metric] for r in runs}
            for impl, runs in ok.items()
            if runs
        }
        if len(impls) > len(doc["impls"]):  # the baseline, paired with tansaku's reads
            paired = [r for r in ok.get("tansaku", []) if "baseline_read_s" in r["data"]]
            per_impl[impls[-1]] = per_impl.get("tansaku", [])
            if paired:
                raw[impls[-1]] = {r["repeat"]: r["data"]["baseline_read_s"] for r in paired}
        # Speed-ups: the ratio of rates (1 / the measured cost, or the measured throughput),
        # > 1 when tansaku is faster.
        rates = {
            impl: {k: v if larger_is_better else 1.0 / v for k, v in got.items() if v > 0}
            for impl, got in raw.items()
        }
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
    "proxy": "**Through a gRPC storage proxy**: {w} worker processes run {n} trials of one float"
    " param and an objective that does nothing, through a proxy process"
    " (`run_grpc_proxy_server`) or straight to the database; trials completed per second"
    " (larger is better).",
}


def render(doc: dict[str, Any], detail: bool = True) -> str:
    cfg = doc["config"]
    base = doc["impls"][0]
    rows = summarize(doc)
    parts = [_results.header(doc, TITLE)]
    for part, (_, unit, _) in METRICS.items():
        mine = [r for r in rows if r["part"] == part]
        if not mine:
            continue
        impls = _columns(doc, part)
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
        headers += [f"lost/dup/err ({'/'.join(doc['impls'])})"]
        body = []
        for row in mine:
            cells = [LABELS[row["storage"]]]
            for impl in impls:
                summary = row["measured"].get(impl)
                cells.append(_tables.spread(summary) if summary else row["status"][impl])
            for other in impls[1:]:
                r = row["speedup"].get(other)
                cells.append(_tables.ratio(r["value"], r["paired"]) if r else _tables.DASH)
            counts = [row["integrity"].get(impl) for impl in doc["impls"]]
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
