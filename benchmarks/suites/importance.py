"""Importance: CPU time of ``get_param_importances`` per evaluator on a finished study.

Each measurement builds one study of ``n_trials`` finished trials over ``n_params`` params
(floats, log floats, ints and categoricals; the same trials for every implementation in a
repeat, added with ``create_trial``), then times one ``get_param_importances`` call with a
seeded evaluator. Only that call is timed, not the imports or building the study. Each
implementation's top five params are kept, to show whether the rankings agree.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from benchmarks import _results, _stats, _tables
from benchmarks._impls import MissingFeature

TITLE = "Importance: CPU seconds of get_param_importances per evaluator"
PARALLEL_SAFE = False

# evaluator kind -> (class name in `importance`, constructor keyword arguments)
EVALUATORS: dict[str, tuple[str, dict[str, Any]]] = {
    "ped_anova": ("PedAnovaImportanceEvaluator", {}),
    "mdi": ("MeanDecreaseImpurityImportanceEvaluator", {"seed": 0}),
    "fanova": ("FanovaImportanceEvaluator", {"seed": 0}),
}
EVALUATOR_LABELS = {"ped_anova": "PED-ANOVA", "mdi": "MDI", "fanova": "fANOVA"}
TOP = 5


@dataclass(frozen=True)
class Preset:
    n_trials: int
    n_params: int
    fanova_trials: int
    repeats: int
    timeout_s: float


PRESETS = {
    "full": Preset(1000, 20, fanova_trials=1000, repeats=3, timeout_s=1800),
    # Optuna's fANOVA needs about 17 s at 1000 trials: quick times it on fewer.
    "quick": Preset(1000, 20, fanova_trials=200, repeats=3, timeout_s=600),
    "smoke": Preset(60, 6, fanova_trials=60, repeats=1, timeout_s=300),
}


def config(preset: Preset) -> dict[str, Any]:
    return asdict(preset)


def plan(preset: Preset, samplers: tuple[str, ...] | None) -> list[dict[str, Any]]:
    return [
        {
            "evaluator": kind,
            "n_trials": preset.fanova_trials if kind == "fanova" else preset.n_trials,
            "n_params": preset.n_params,
        }
        for kind in EVALUATORS
    ]


def describe(cell: dict[str, Any]) -> str:
    return f"{EVALUATOR_LABELS[cell['evaluator']]} {cell['n_trials']}x{cell['n_params']}"


# --- inside worker processes ---------------------------------------------------------------


def _space_and_points(
    impl: Any, n_trials: int, n_params: int, seed: int
) -> tuple[dict[str, Any], list[dict[str, Any]], list[float]]:
    """``n_params`` params cycling through float, log float, int and categorical kinds; an
    objective whose weights halve from one param to the next, so a ranking exists."""
    dist = impl.module.distributions
    rng = np.random.default_rng(seed)
    space: dict[str, Any] = {}
    columns: dict[str, np.ndarray] = {}
    choices_of: dict[str, list[str]] = {}  # rustuna's distributions do not expose choices
    effects = np.zeros(n_trials)
    for index in range(n_params):
        name = f"p{index:02d}"
        weight = 0.5**index
        kind = index % 5
        if kind == 3:
            space[name] = dist.IntDistribution(0, 10)
            columns[name] = rng.integers(0, 11, n_trials)
            effect = columns[name] / 10.0
        elif kind == 4:
            choices = ["a", "b", "c", "d"][: 3 + index % 2]
            space[name] = dist.CategoricalDistribution(choices)
            choices_of[name] = choices
            columns[name] = rng.integers(0, len(choices), n_trials)
            effect = (columns[name] == 0).astype(float)
        elif kind == 2:
            space[name] = dist.FloatDistribution(1e-5, 1e-1, log=True)
            exponent = rng.uniform(-5.0, -1.0, n_trials)
            columns[name] = 10.0**exponent
            effect = (exponent + 5.0) / 4.0
        else:
            space[name] = dist.FloatDistribution(-1.0, 1.0)
            columns[name] = rng.uniform(-1.0, 1.0, n_trials)
            effect = columns[name] ** 2
        effects += weight * effect
    values = effects + 0.001 * rng.standard_normal(n_trials)
    points = [
        {name: _external(choices_of.get(name), columns[name][row]) for name in space}
        for row in range(n_trials)
    ]
    return space, points, values.tolist()


def _external(choices: list[str] | None, raw: Any) -> Any:
    """The value a trial reports for a param from its drawn number."""
    if choices is not None:
        return choices[int(raw)]
    if isinstance(raw, np.integer):
        return int(raw)
    return float(raw)


def run_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    importance = getattr(impl.module, "importance", None)
    class_name, kwargs = EVALUATORS[task["evaluator"]]
    evaluator_class = getattr(importance, class_name, None) if importance is not None else None
    if evaluator_class is None:
        raise MissingFeature(f"{impl.name}.importance.{class_name}")
    space, points, values = _space_and_points(
        impl, task["n_trials"], task["n_params"], task["seed"]
    )
    # The module's own study (not the adapter's wrapper): importance functions check its type.
    study = impl.module.create_study(direction="minimize")
    trials = [
        impl.module.trial.create_trial(params=point, distributions=space, value=value)
        for point, value in zip(points, values)
    ]
    if hasattr(study, "add_trials"):
        study.add_trials(trials)
    else:  # rustuna adds one at a time
        for trial in trials:
            study.add_trial(trial)
    evaluator = evaluator_class(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cpu, wall = time.process_time(), time.perf_counter()
        importances = importance.get_param_importances(study, evaluator=evaluator)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"cpu_s": cpu, "wall_s": wall, "top": list(importances)[:TOP]}


# --- tables --------------------------------------------------------------------------------


def _values(runs: list[dict[str, Any]], clock: str) -> dict[int, float]:
    return {r["repeat"]: r["data"][clock] for r in runs if r["status"] == "ok"}


def _top(runs: list[dict[str, Any]]) -> list[str] | None:
    ok = sorted((r for r in runs if r["status"] == "ok"), key=lambda r: r["repeat"])
    return ok[0]["data"]["top"] if ok else None


def summarize(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per evaluator: per-implementation summaries, ratios and top-5 agreement."""
    impls = doc["impls"]
    groups = _results.outcomes_by_impl(doc)
    cells = {_results.cell_key(r["cell"]): r["cell"] for r in doc["runs"]}
    rows = []
    for key, cell in cells.items():
        per_impl = {impl: groups.get((key, impl), []) for impl in impls}
        cpu = {i: v for i, runs in per_impl.items() if (v := _values(runs, "cpu_s"))}
        wall = {i: v for i, runs in per_impl.items() if (v := _values(runs, "wall_s"))}
        rows.append(
            {
                "cell": cell,
                "status": {i: _results.status_of(runs)[0] for i, runs in per_impl.items()},
                "cpu": _stats.compare_impls(cpu, impls),
                "wall": _stats.compare_impls(wall, impls),
                "top": {i: _top(runs) for i, runs in per_impl.items()},
            }
        )
    order = {kind: i for i, kind in enumerate(EVALUATORS)}
    rows.sort(key=lambda r: order[r["cell"]["evaluator"]])
    return rows


def _same_top(row: dict[str, Any], base: str, other: str) -> str:
    """How many of the first params both rank alike, e.g. ``4/5``: the length of the common
    prefix of the two rankings."""
    ours, theirs = row["top"].get(base), row["top"].get(other)
    if ours is None or theirs is None:
        return _tables.DASH
    same = 0
    while same < min(len(ours), len(theirs)) and ours[same] == theirs[same]:
        same += 1
    return f"{same}/{min(len(ours), len(theirs))}"


def render(doc: dict[str, Any], detail: bool = True) -> str:
    impls = doc["impls"]
    base, others = impls[0], impls[1:]
    headers = ["evaluator", "trials x params"]
    headers += [f"{impl} CPU s" for impl in impls]
    headers += [f"{base}/{other} CPU" for other in others]
    headers += [f"ranked alike ({other})" for other in others]
    headers += [f"wall s ({'/'.join(impls)})"]
    body = []
    for row in summarize(doc):
        cell = row["cell"]
        cells = [EVALUATOR_LABELS[cell["evaluator"]], f"{cell['n_trials']} x {cell['n_params']}"]
        for impl in impls:
            summary = row["cpu"]["summary"].get(impl)
            cells.append(_tables.spread(summary) if summary else row["status"][impl])
        for other in others:
            r = row["cpu"]["ratio"].get(other)
            cells.append(_tables.ratio(r["value"], r["paired"]) if r else _tables.DASH)
        cells += [_same_top(row, base, other) for other in others]
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
        f"Median [min–max] over {repeats} repeats, each in a fresh process, of the CPU time of "
        f"one get_param_importances call (< 1: {base} is cheaper). Ranked alike: how many of the "
        f"{TOP} most important params both put at the same places, from the first; the params' "
        "true effects halve from one to the next, so the last places are within the forests' "
        "noise. tansaku's fANOVA measures log params on their log scale, Optuna's on the raw "
        "scale, so their ranks may differ there.",
        _tables.markdown_table(headers, body),
        _tables.notes("Not measured", _results.problem_notes(doc, describe)),
    ]
    return "\n\n".join(p for p in parts if p)


def headline(doc: dict[str, Any]) -> list[str]:
    """Per evaluator: the CPU ratio to each peer and whether the top five agree."""
    impls = doc["impls"]
    base = impls[0]
    lines = []
    for row in summarize(doc):
        label = f"{EVALUATOR_LABELS[row['cell']['evaluator']]} ({row['cell']['n_trials']} trials)"
        if row["status"][base] != "ok":
            lines.append(f"{label}: {base} {row['status'][base]}")
            continue
        parts = []
        for other in impls[1:]:
            r = row["cpu"]["ratio"].get(other)
            if r:
                parts.append(
                    f"{base}/{other} {_tables.ratio(r['value'])}, "
                    f"ranked alike {_same_top(row, base, other)}"
                )
        lines.append(f"{label}: CPU " + ("; ".join(parts) if parts else "no peer measured"))
    return lines
