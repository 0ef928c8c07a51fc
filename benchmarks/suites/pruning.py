"""Pruning: how much a pruner gets out of a fixed wall-clock budget on a learning-curve task.

An MLPClassifier trained epoch by epoch (``partial_fit``) on scikit-learn's bundled digits
reports validation accuracy after every epoch. Random search proposes the configurations, so
the pruner is the only difference between rows. Each run has the same wall budget; a trial
still running when it ends is abandoned (counted as unfinished).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import _results, _stats, _tables
from benchmarks._impls import PRUNER_LABELS, PRUNERS

TITLE = "Pruning: fixed wall budget, MLP on digits, random search"
PARALLEL_SAFE = False


@dataclass(frozen=True)
class Preset:
    budget_s: float
    epochs: int
    target_accuracy: float
    repeats: int
    timeout_s: float


PRESETS = {
    "full": Preset(budget_s=120.0, epochs=30, target_accuracy=0.98, repeats=5, timeout_s=600),
    "quick": Preset(budget_s=5.0, epochs=30, target_accuracy=0.975, repeats=2, timeout_s=120),
    "smoke": Preset(budget_s=0.5, epochs=5, target_accuracy=0.9, repeats=1, timeout_s=120),
}


def config(preset: Preset) -> dict[str, Any]:
    return asdict(preset)


def plan(preset: Preset, samplers: tuple[str, ...] | None) -> list[dict[str, Any]]:
    return [
        {
            "pruner": kind,
            "budget_s": preset.budget_s,
            "epochs": preset.epochs,
            "target_accuracy": preset.target_accuracy,
        }
        for kind in PRUNERS
    ]


def describe(cell: dict[str, Any]) -> str:
    return PRUNER_LABELS[cell["pruner"]]


def _digits() -> tuple[Any, Any, Any, Any]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    features, labels = load_digits(return_X_y=True)
    x_train, x_valid, y_train, y_valid = train_test_split(
        features, labels, test_size=0.3, random_state=0, stratify=labels
    )
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_valid), y_train, y_valid


def _model(trial: Any) -> Any:
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(
        hidden_layer_sizes=(trial.suggest_int("n_units", 8, 128, log=True),),
        learning_rate_init=trial.suggest_float("learning_rate_init", 1e-5, 1.0, log=True),
        alpha=trial.suggest_float("alpha", 1e-6, 1.0, log=True),
        batch_size=trial.suggest_categorical("batch_size", [32, 64, 128, 256]),
        activation=trial.suggest_categorical("activation", ["relu", "tanh"]),
        random_state=0,
    )


def run_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    pruner = impl.pruner(task["pruner"])
    study = impl.create_study(
        sampler=impl.sampler("random", seed=task["seed"]), pruner=pruner, direction="maximize"
    )
    x_train, x_valid, y_train, y_valid = _digits()
    classes = np.unique(y_train)
    pruned_state, failed_state = impl.trial_state("PRUNED"), impl.trial_state("FAIL")
    budget, epochs, target = task["budget_s"], task["epochs"], task["target_accuracy"]
    counts = {"started": 0, "pruned": 0, "completed": 0, "unfinished": 0}
    best = -math.inf
    time_to_target: float | None = None
    cpu_to_target: float | None = None
    epochs_trained = 0

    cpu_start, start = time.process_time(), time.perf_counter()
    deadline = start + budget
    while time.perf_counter() < deadline:
        trial = study.ask()
        counts["started"] += 1
        model = _model(trial)
        outcome = "complete"
        accuracy = 0.0
        for epoch in range(epochs):
            if time.perf_counter() >= deadline:
                outcome = "unfinished"
                break
            model.partial_fit(x_train, y_train, classes=classes)
            epochs_trained += 1
            accuracy = float(model.score(x_valid, y_valid))
            trial.report(accuracy, epoch)
            if trial.should_prune():
                outcome = "pruned"
                break
        if outcome == "complete":
            study.tell(trial, accuracy)
            counts["completed"] += 1
            best = max(best, accuracy)
            if accuracy >= target and time_to_target is None:
                time_to_target = time.perf_counter() - start
                cpu_to_target = time.process_time() - cpu_start
        elif outcome == "pruned":
            study.tell(trial, state=pruned_state)
            counts["pruned"] += 1
        else:
            study.tell(trial, state=failed_state)
            counts["unfinished"] += 1
    return {
        **counts,
        "best_accuracy": best if counts["completed"] else None,
        "time_to_target_s": time_to_target,
        "cpu_to_target_s": cpu_to_target,
        "epochs_trained": epochs_trained,
        "wall_s": time.perf_counter() - start,
        "cpu_s": time.process_time() - cpu_start,
    }


# (key in data, column label, significant digits)
_METRICS = (
    ("started", "started", 3),
    ("pruned", "pruned", 3),
    ("completed", "completed", 3),
    ("best_accuracy", "best acc", 4),
    ("time_to_target_s", "s to target", 3),
)
# A run that never reached the target took longer than its budget: +inf, not a gap.
_CENSORED = {"time_to_target_s": math.inf}


def _values(runs: list[dict[str, Any]], key: str) -> dict[int, float]:
    values = {}
    for run in runs:
        if run["status"] != "ok":
            continue
        value = run["data"][key]
        if value is None:
            value = _CENSORED.get(key)
        if value is not None:
            values[run["repeat"]] = float(value)
    return values


def summarize(doc: dict[str, Any]) -> list[dict[str, Any]]:
    impls = doc["impls"]
    groups = _results.outcomes_by_impl(doc)
    rows = []
    for kind in PRUNERS:
        key = next(
            (k for (k, _), runs in groups.items() if runs[0]["cell"]["pruner"] == kind), None
        )
        if key is None:
            continue
        per_impl = {impl: groups.get((key, impl), []) for impl in impls}
        row: dict[str, Any] = {
            "pruner": kind,
            "status": {impl: _results.status_of(runs)[0] for impl, runs in per_impl.items()},
        }
        for metric, _, _ in _METRICS:
            values = {i: v for i, runs in per_impl.items() if (v := _values(runs, metric))}
            row[metric] = _stats.compare_impls(values, impls)
        reached = {
            impl: sum(
                1
                for r in runs
                if r["status"] == "ok" and r["data"]["time_to_target_s"] is not None
            )
            for impl, runs in per_impl.items()
        }
        row["reached"] = reached
        rows.append(row)
    return rows


def render(doc: dict[str, Any], detail: bool = True) -> str:
    impls = doc["impls"]
    base = impls[0]
    cfg = doc["config"]
    headers = ["pruner", "impl", *(label for _, label, _ in _METRICS), "reached target"]
    headers += [f"{base}/{other} started · s to target" for other in impls[1:]]
    body = []
    for row in summarize(doc):
        for index, impl in enumerate(impls):
            cells = [PRUNER_LABELS[row["pruner"]] if index == 0 else "", impl]
            if row["status"][impl] != "ok":
                cells += [row["status"][impl]] + [""] * len(_METRICS)
            else:
                for metric, _, digits in _METRICS:
                    cells.append(_tables.spread(row[metric]["summary"].get(impl), digits))
                cells.append(f"{row['reached'][impl]}/{cfg['repeats']}")
            if index == 0:
                for other in impls[1:]:
                    started = row["started"]["ratio"].get(other)
                    to_target = row["time_to_target_s"]["ratio"].get(other)
                    cells.append(
                        " · ".join(
                            _tables.ratio(r["value"]) if r else _tables.DASH
                            for r in (started, to_target)
                        )
                    )
            else:
                cells += [""] * len(impls[1:])
            body.append(cells)
    parts = [
        _results.header(doc, TITLE),
        f"Budget {cfg['budget_s']:g} s of wall time per run, {cfg['epochs']} epochs per trial, "
        f"target validation accuracy {cfg['target_accuracy']}; median [min–max] over "
        f'{cfg["repeats"]} repeats. "s to target" is the wall time until a completed trial '
        "reached the target (∞: not within the budget).",
        _tables.markdown_table(headers, body),
        _tables.notes("Not measured", _results.problem_notes(doc, describe)),
    ]
    return "\n\n".join(p for p in parts if p)


def headline(doc: dict[str, Any]) -> list[str]:
    impls = doc["impls"]
    base = impls[0]
    lines = []
    for row in summarize(doc):
        if row["status"].get(base) != "ok":
            lines.append(f"{PRUNER_LABELS[row['pruner']]}: {base} {row['status'].get(base)}")
            continue
        parts = []
        for other in impls[1:]:
            started = row["started"]["ratio"].get(other)
            if started and started["value"] is not None:
                parts.append(f"trials started {base}/{other} {_tables.ratio(started['value'])}")
        best = row["best_accuracy"]["summary"].get(base)
        if best:
            parts.append(f"best accuracy {_tables.number(best['median'], 4)}")
        lines.append(f"{PRUNER_LABELS[row['pruner']]}: " + ", ".join(parts))
    return lines
