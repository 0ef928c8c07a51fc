"""Overhead: CPU and wall time of ask + tell per trial on a trivial objective.

One study per (sampler, space, repeat) runs to the largest trial count; the cost at n trials
is the mean over trials [0.9 n, n) of that same run, so n = 100, 1000 and 5000 cost one run.
Ratios are on the worker's CPU time (``time.process_time``), which a busy shared machine
disturbs far less than wall time.

Optuna's TPE costs tens of ms per trial at n = 1000 and grows with n, so its runs stop at
n = 1000 (``STOP_AT``): the ratios to Optuna are at n <= 1000, and the 100 / 1000 / 5000 curve
is shown for the others. For TPE with one objective the sampler is TPESampler with its
defaults (multivariate), the "TPE" of ``benchmarks._impls``. Multi-objective TPE has cells of
its own (kind ``mo_tpe``, TPESampler with its defaults): 2, 3, 5 and 9 objectives at n = 300
and 1000 on six floats with correlated objectives and on DTLZ2 (``MO_TPE_SPACES``).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import _results, _stats, _tables
from benchmarks._impls import OPT_IN_SAMPLERS, SAMPLER_LABELS, SAMPLERS
from benchmarks.suites._spaces import SPACE_LABELS, SPACES

TITLE = "Overhead: ms per trial (ask + tell), last 10% of n trials"
PARALLEL_SAFE = False
# (implementation, sampler) -> the largest n it runs to, where a run to 5000 would take minutes.
# Optuna's GP costs seconds per trial past a few hundred trials: its runs stop at n = 500.
STOP_AT = {("optuna", "tpe"): 1000, ("optuna", "tpe_indep"): 1000, ("optuna", "gp"): 500}
NOT_RUN = "not run"
# Genetic samplers also run with many objectives, to n <= 1000 (``MANY_OBJECTIVES_UP_TO``);
# a cell with 2 objectives (NSGA-II's default) carries no "objectives" key.
OBJECTIVES = {"nsga2": (2, 5, 9), "nsga3": (5, 9)}
MANY_OBJECTIVES_UP_TO = 1000
# Multi-objective TPE: its own cells, with 2, 3, 5 and 9 objectives on its own spaces, at the
# preset's ``mo_tpe_checkpoints`` (every cell carries its "objectives").
MO_TPE_OBJECTIVES = (2, 3, 5, 9)
MO_TPE_SPACES = ("correlated6", "dtlz2")
# A run of these kinds stops once it has spent this much CPU (seconds): Optuna's
# multi-objective TPE needs hours for 1000 trials on DTLZ2 with many objectives. Checkpoints
# it did not reach are reported as such (``OVER_LIMIT``).
CPU_LIMIT_S = {"mo_tpe": 600.0}
OVER_LIMIT = "over 10 CPU min"


@dataclass(frozen=True)
class Preset:
    checkpoints: tuple[int, ...]
    gp_checkpoints: tuple[int, ...]
    repeats: int
    timeout_s: float
    spaces: tuple[str, ...] = ("float10", "mixed")
    mo_tpe_checkpoints: tuple[int, ...] = (300, 1000)


PRESETS = {
    "full": Preset((100, 1000, 5000), (100, 300, 500, 1000), repeats=5, timeout_s=6 * 3600),
    "quick": Preset((100, 300), (30,), repeats=3, timeout_s=600, mo_tpe_checkpoints=(100, 300)),
    "smoke": Preset((12,), (12,), repeats=1, timeout_s=300, mo_tpe_checkpoints=(12,)),
}


def config(preset: Preset) -> dict[str, Any]:
    return asdict(preset)


def plan(preset: Preset, samplers: tuple[str, ...] | None) -> list[dict[str, Any]]:
    default = (*(k for k in SAMPLERS if k not in OPT_IN_SAMPLERS), "mo_tpe")
    cells = []
    for kind in samplers or default:
        if kind == "mo_tpe":
            cells.extend(
                {
                    "sampler": kind,
                    "space": space,
                    "objectives": m,
                    "checkpoints": list(preset.mo_tpe_checkpoints),
                }
                for space in MO_TPE_SPACES
                for m in MO_TPE_OBJECTIVES
            )
            continue
        checkpoints = list(preset.gp_checkpoints if kind == "gp" else preset.checkpoints)
        for space in preset.spaces:
            for m in OBJECTIVES.get(kind, (None,)):
                cell: dict[str, Any] = {"sampler": kind, "space": space}
                if m is None or m == 2:
                    cell["checkpoints"] = checkpoints
                else:
                    cell["objectives"] = m
                    cell["checkpoints"] = [n for n in checkpoints if n <= MANY_OBJECTIVES_UP_TO]
                cells.append(cell)
    return cells


def _label(kind: str, objectives: int | None) -> str:
    label = SAMPLER_LABELS[kind]
    return f"{label}, {objectives} objectives" if objectives else label


def describe(cell: dict[str, Any]) -> str:
    return f"{_label(cell['sampler'], cell.get('objectives'))} / {cell['space']}"


def run_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    kind = task["sampler"]
    sampler = impl.sampler(kind, seed=task["seed"])
    n_objectives = task.get("objectives") or (2 if kind in OBJECTIVES else 1)
    if n_objectives == 1:
        study = impl.create_study(sampler=sampler, direction="minimize")
    else:
        study = impl.create_study(sampler=sampler, directions=["minimize"] * n_objectives)
    objective = SPACES[task["space"]]
    stop_at = STOP_AT.get((impl.name, kind))
    checkpoints = sorted(n for n in task["checkpoints"] if stop_at is None or n <= stop_at)
    n_max = checkpoints[-1]

    # Cumulative clocks at each trial boundary: one clock read per trial and per clock.
    cpu = [0.0] * (n_max + 1)
    wall = [0.0] * (n_max + 1)
    cpu[0], wall[0] = time.process_time(), time.perf_counter()
    limit = CPU_LIMIT_S.get(kind, float("inf"))
    stopped_at = None
    for i in range(1, n_max + 1):
        trial = study.ask()
        study.tell(trial, objective(trial, n_objectives))
        cpu[i] = time.process_time()
        wall[i] = time.perf_counter()
        if cpu[i] - cpu[0] > limit and i < n_max:
            stopped_at = i
            break

    cpu_ms, wall_ms = {}, {}
    for n in checkpoints:
        if stopped_at is not None and n > stopped_at:
            break
        start = n - max(1, n // 10)
        cpu_ms[str(n)] = (cpu[n] - cpu[start]) * 1000.0 / (n - start)
        wall_ms[str(n)] = (wall[n] - wall[start]) * 1000.0 / (n - start)
    last = stopped_at or n_max
    return {
        "cpu_ms": cpu_ms,
        "wall_ms": wall_ms,
        "total_cpu_s": cpu[last] - cpu[0],
        "total_wall_s": wall[last] - wall[0],
        "stopped_at": stopped_at,
    }


def _values(runs: list[dict[str, Any]], clock: str, n: int) -> dict[int, float]:
    return {
        r["repeat"]: r["data"][clock][str(n)]
        for r in runs
        if r["status"] == "ok" and str(n) in r["data"][clock]
    }


def summarize(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (sampler, space, n): per-implementation summaries and ratios."""
    impls = doc["impls"]
    groups = _results.outcomes_by_impl(doc)
    cells = {_results.cell_key(r["cell"]): r["cell"] for r in doc["runs"]}
    rows = []
    for key, cell in cells.items():
        for n in cell["checkpoints"]:
            per_impl = {impl: groups.get((key, impl), []) for impl in impls}
            status = {impl: _results.status_of(runs)[0] for impl, runs in per_impl.items()}
            cpu = {i: v for i, runs in per_impl.items() if (v := _values(runs, "cpu_ms", n))}
            wall = {i: v for i, runs in per_impl.items() if (v := _values(runs, "wall_ms", n))}
            for impl in impls:
                if status[impl] == "ok" and impl not in cpu:
                    over = any(r["data"].get("stopped_at") for r in per_impl[impl] if "data" in r)
                    status[impl] = OVER_LIMIT if over else NOT_RUN  # stopped before n
            rows.append(
                {
                    "sampler": cell["sampler"],
                    "objectives": cell.get("objectives"),
                    "space": cell["space"],
                    "n": n,
                    "status": status,
                    "cpu": _stats.compare_impls(cpu, impls),
                    "wall": _stats.compare_impls(wall, impls),
                }
            )
    order = {kind: i for i, kind in enumerate(SAMPLERS)}
    rows = [r for r in rows if r["sampler"] in order]  # samplers since renamed are dropped
    rows.sort(key=lambda r: (order[r["sampler"]], r["objectives"] or 0, r["space"], r["n"]))
    return rows


def render(doc: dict[str, Any], detail: bool = True) -> str:
    impls = doc["impls"]
    base, others = impls[0], impls[1:]
    headers = ["sampler", "space", "n"]
    headers += [f"{impl} CPU ms" for impl in impls]
    headers += [f"{base}/{other} CPU" for other in others]
    headers += [f"wall ms ({'/'.join(impls)})"]
    body = []
    for row in summarize(doc):
        cells = [
            _label(row["sampler"], row["objectives"]),
            SPACE_LABELS[row["space"]],
            str(row["n"]),
        ]
        for impl in impls:
            summary = row["cpu"]["summary"].get(impl)
            cells.append(_tables.spread(summary) if summary else row["status"][impl])
        for other in others:
            r = row["cpu"]["ratio"].get(other)
            cells.append(_tables.ratio(r["value"], r["paired"]) if r else _tables.DASH)
        walls = [
            _tables.number(s["median"])
            if (s := row["wall"]["summary"].get(impl))
            else _tables.DASH
            for impl in impls
        ]
        cells.append(" / ".join(walls))
        body.append(cells)
    repeats = doc["config"]["repeats"]
    parts = [
        _results.header(doc, TITLE),
        f"Median [min–max] over {repeats} repeats, each in a fresh process; ratios are ratios "
        "of medians of CPU time with the range of per-repeat paired ratios (< 1: "
        f"{base} is cheaper). Wall time is shown for reference only.",
        _tables.markdown_table(headers, body),
        _stop_note(body),
        _tables.notes("Not measured", _results.problem_notes(doc, describe)),
    ]
    return "\n\n".join(p for p in parts if p)


def _stop_note(body: list[list[str]]) -> str:
    notes = []
    if any(NOT_RUN in row for row in body):
        stops = ", ".join(
            f"{impl}'s {SAMPLER_LABELS[kind]} at n = {n}" for (impl, kind), n in STOP_AT.items()
        )
        notes.append(
            f"{NOT_RUN}: a run to this n would take minutes per repeat; runs stop at {stops}."
        )
    if any(OVER_LIMIT in row for row in body):
        kinds = ", ".join(_label(kind, None) for kind in CPU_LIMIT_S)
        notes.append(
            f"{OVER_LIMIT}: the run ({kinds}) had spent its {CPU_LIMIT_S['mo_tpe']:.0f} s of "
            "CPU before reaching this n; the smaller n are of the same run."
        )
    return "\n\n".join(notes)


def headline(doc: dict[str, Any]) -> list[str]:
    """Per sampler (and number of objectives): geometric mean over spaces of the CPU ratios,
    at the largest n that both implementations of a ratio ran."""
    impls = doc["impls"]
    base = impls[0]
    rows = summarize(doc)
    lines = []
    order = list(SAMPLERS)
    groups = sorted(
        {(r["sampler"], r["objectives"] or 0) for r in rows},
        key=lambda group: (order.index(group[0]), group[1]),
    )
    for kind, objectives in groups:
        mine = [r for r in rows if r["sampler"] == kind and (r["objectives"] or 0) == objectives]
        label = _label(kind, objectives or None)
        n_max = max(r["n"] for r in mine)
        base_status = {r["status"][base] for r in mine if r["n"] == n_max}
        if "ok" not in base_status:
            lines.append(f"{label}: {base} {', '.join(sorted(base_status))}")
            continue
        parts = []
        for other in impls[1:]:
            measured = [r for r in mine if r["cpu"]["ratio"].get(other)]
            if not measured:
                parts.append(f"{base}/{other} {_tables.DASH}")
                continue
            n = max(r["n"] for r in measured)
            ratios = [r["cpu"]["ratio"][other]["value"] for r in measured if r["n"] == n]
            mean = _stats.geometric_mean([v for v in ratios if v is not None])
            parts.append(f"{base}/{other} {_tables.ratio(mean)} at n={n}")
        lines.append(f"{label}: CPU " + ", ".join(parts))
    return lines
