"""Pruning: what each pruner gets out of a fixed CPU budget, and what a decision costs.

Budget cells: an MLPClassifier trained epoch by epoch (``partial_fit``) on scikit-learn's bundled
digits reports validation accuracy after every epoch. The configurations are random but the
same for every implementation (drawn from the repeat's seed and enqueued before each ask), the
training is deterministic and the study name fixed (Hyperband hashes it), so the pruner's
decisions are the only difference between rows of one pruner, and the framework's overhead
the only difference between implementations. Each run has the same budget of CPU time of its
own process (one BLAS thread), so that other work on the machine does not change how much a
run gets done; a trial still running when it ends is abandoned (unfinished).

Decision cells: a study of ``n_history`` trials with synthetic learning curves (30 steps,
maximized), then the CPU time of each ``trial.should_prune()`` call over the next trials, which
report every step. History trials ask the pruner only for successive halving and Hyperband,
whose rung records come from those calls; for the others they just report and complete (the
last one asks, untimed, so that what a first call loads is not timed).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import _results, _stats, _tables
from benchmarks._impls import PRUNERS

TITLE = "Pruning: fixed CPU budget (MLP on digits) and decision time per report"
PARALLEL_SAFE = False

# kind -> label; the kinds that `_impls.PRUNERS` does not define are built here.
PRUNER_LABELS = {
    "nop": "Nop",
    "median": "Median",
    "percentile": "Percentile(25)",
    "sha": "SuccessiveHalving",
    "hyperband": "Hyperband",
    "threshold": "Threshold(lower=0.5, warmup 3)",
    "patient": "Patient(Median, patience 2)",
    "wilcoxon": "Wilcoxon (epochs as instances)",
}
CURVE_STEPS = 30


@dataclass(frozen=True)
class Preset:
    budget_s: float
    epochs: int
    target_accuracy: float
    n_history: int
    n_timed_trials: int
    repeats: int
    timeout_s: float
    # The pruners measured; smoke keeps three kinds that exercise every code path of the suite.
    kinds: tuple[str, ...] = tuple(PRUNER_LABELS)


PRESETS = {
    "full": Preset(120.0, 30, 0.98, 1000, 200, 5, 900),
    "quick": Preset(5.0, 30, 0.975, 1000, 100, 2, 300),
    "smoke": Preset(0.5, 5, 0.9, 30, 5, 1, 120, kinds=("median", "hyperband", "wilcoxon")),
}


def config(preset: Preset) -> dict[str, Any]:
    return asdict(preset)


def plan(preset: Preset, samplers: tuple[str, ...] | None) -> list[dict[str, Any]]:
    budget = [
        {
            "task": "budget",
            "pruner": kind,
            "budget_s": preset.budget_s,
            "epochs": preset.epochs,
            "target_accuracy": preset.target_accuracy,
        }
        for kind in preset.kinds
    ]
    decision = [
        {
            "task": "decision",
            "pruner": kind,
            "n_history": preset.n_history,
            "n_timed_trials": preset.n_timed_trials,
        }
        for kind in preset.kinds
    ]
    return budget + decision


def describe(cell: dict[str, Any]) -> str:
    return f"{PRUNER_LABELS[cell['pruner']]} ({cell['task']})"


def make_pruner(impl: Any, kind: str) -> Any:
    """The pruner ``kind`` of ``impl``; MissingFeature where it has none."""
    if kind in PRUNERS:
        return impl.pruner(kind)
    impl.pruner("nop")  # raises MissingFeature for an implementation without pruners
    pruners = impl.module.pruners
    if kind == "threshold":
        return pruners.ThresholdPruner(lower=0.5, n_warmup_steps=3)
    if kind == "patient":
        return pruners.PatientPruner(pruners.MedianPruner(), patience=2)
    if kind == "wilcoxon":
        return pruners.WilcoxonPruner()
    raise ValueError(f"unknown pruner kind {kind!r}")


def run_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    import warnings

    warnings.simplefilter("ignore")  # experimental-feature warnings, the same in both
    if task["task"] == "decision":
        return _decision_time(impl, task)
    return _budget(impl, task)


# -- budget ---------------------------------------------------------------------------------------
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


def _configuration(seed: int, index: int) -> dict[str, Any]:
    """The ``index``-th random configuration of run ``seed``: the same in every implementation."""
    import numpy as np

    rng = np.random.default_rng([seed, index])
    return {
        "n_units": int(round(math.exp(rng.uniform(math.log(8), math.log(128))))),
        "learning_rate_init": float(math.exp(rng.uniform(math.log(1e-5), math.log(1.0)))),
        "alpha": float(math.exp(rng.uniform(math.log(1e-6), math.log(1.0)))),
        "batch_size": [32, 64, 128, 256][int(rng.integers(4))],
        "activation": ["relu", "tanh"][int(rng.integers(2))],
    }


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


def _budget(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    study = impl.create_study(
        study_name="pruning-budget",
        sampler=impl.sampler("random", seed=task["seed"]),
        pruner=make_pruner(impl, task["pruner"]),
        direction="maximize",
    )
    x_train, x_valid, y_train, y_valid = _digits()
    classes = np.unique(y_train)
    pruned_state, failed_state = impl.trial_state("PRUNED"), impl.trial_state("FAIL")
    budget, epochs, target = task["budget_s"], task["epochs"], task["target_accuracy"]
    counts = {"started": 0, "pruned": 0, "completed": 0, "unfinished": 0}
    best = -math.inf
    time_to_target: float | None = None
    epochs_trained = 0

    cpu_start, start = time.process_time(), time.perf_counter()
    deadline = cpu_start + budget
    while time.process_time() < deadline:
        study.enqueue_trial(_configuration(task["seed"], counts["started"]))
        trial = study.ask()
        counts["started"] += 1
        model = _model(trial)
        outcome = "complete"
        accuracy = 0.0
        for epoch in range(epochs):
            if time.process_time() >= deadline:
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
                time_to_target = time.process_time() - cpu_start
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
        "epochs_trained": epochs_trained,
        "wall_s": time.perf_counter() - start,
        "cpu_s": time.process_time() - cpu_start,
    }


# -- decision time --------------------------------------------------------------------------------
def _curve(seed: int, index: int) -> list[float]:
    """A synthetic accuracy curve, rising to its plateau: the same in every implementation."""
    import numpy as np

    rng = np.random.default_rng([seed, 1_000_000 + index])
    top, rate = rng.uniform(0.3, 0.98), rng.uniform(0.05, 0.5)
    steps = np.arange(CURVE_STEPS)
    values = top * (1.0 - np.exp(-rate * (steps + 1))) + rng.normal(0.0, 0.01, CURVE_STEPS)
    return [round(float(v), 6) for v in values]


def _decision_time(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    kind, seed = task["pruner"], task["seed"]
    # A fixed name: Hyperband's brackets hash it, and the decisions should be the same.
    study = impl.create_study(
        study_name="pruning-decisions", pruner=make_pruner(impl, kind), direction="maximize"
    )
    pruned_state = impl.trial_state("PRUNED")
    ask_in_history = kind in ("sha", "hyperband")
    n_history, n_timed = task["n_history"], task["n_timed_trials"]
    calls = pruned = 0
    seconds = 0.0
    for index in range(n_history + n_timed):
        timed = index >= n_history
        curve = _curve(seed, index)
        trial = study.ask()
        stopped = False
        for step, value in enumerate(curve):
            trial.report(value, step)
            if timed:
                before = time.thread_time()
                decision = trial.should_prune()
                seconds += time.thread_time() - before
                calls += 1
            elif ask_in_history or index == n_history - 1:
                # The last history trial also warms up what a first call loads (imports).
                decision = trial.should_prune()
            else:
                continue
            if decision:
                stopped = True
                pruned += timed
                study.tell(trial, state=pruned_state)
                break
        if not stopped:
            study.tell(trial, curve[-1])
    return {"us_per_call": 1e6 * seconds / max(calls, 1), "calls": calls, "pruned": pruned}


# -- report ---------------------------------------------------------------------------------------
# (task, key in data, column label, significant digits)
_METRICS = {
    "budget": (
        ("started", "started", 3),
        ("pruned", "pruned", 3),
        ("completed", "completed", 3),
        ("best_accuracy", "best acc", 4),
        ("time_to_target_s", "s to target", 3),
    ),
    "decision": (
        ("us_per_call", "CPU µs per should_prune", 3),
        ("calls", "calls", 4),
        ("pruned", "pruned", 3),
    ),
}
# The metric each ratio column is about, per task.
_RATIO = {"budget": "started", "decision": "us_per_call"}
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


def summarize(doc: dict[str, Any], task: str) -> list[dict[str, Any]]:
    impls = doc["impls"]
    groups = _results.outcomes_by_impl(doc)
    rows = []
    for kind in PRUNER_LABELS:
        key = next(
            (
                k
                for (k, _), runs in groups.items()
                if runs[0]["cell"]["pruner"] == kind and runs[0]["cell"].get("task") == task
            ),
            None,
        )
        if key is None:
            continue
        per_impl = {impl: groups.get((key, impl), []) for impl in impls}
        row: dict[str, Any] = {
            "pruner": kind,
            "status": {impl: _results.status_of(runs)[0] for impl, runs in per_impl.items()},
        }
        for metric, _, _ in _METRICS[task]:
            values = {i: v for i, runs in per_impl.items() if (v := _values(runs, metric))}
            row[metric] = _stats.compare_impls(values, impls)
        if task == "budget":
            row["reached"] = {
                impl: sum(
                    1
                    for r in runs
                    if r["status"] == "ok" and r["data"]["time_to_target_s"] is not None
                )
                for impl, runs in per_impl.items()
            }
        rows.append(row)
    return rows


def _table(doc: dict[str, Any], task: str) -> str:
    impls, cfg = doc["impls"], doc["config"]
    base = impls[0]
    metrics = _METRICS[task]
    headers = ["pruner", "impl", *(label for _, label, _ in metrics)]
    headers += ["reached target"] if task == "budget" else []
    headers += [f"{base}/{other} {_RATIO[task].replace('_', ' ')}" for other in impls[1:]]
    body = []
    for row in summarize(doc, task):
        for index, impl in enumerate(impls):
            cells = [PRUNER_LABELS[row["pruner"]] if index == 0 else "", impl]
            n_blank = len(metrics) + (task == "budget")
            if row["status"][impl] != "ok":
                cells += [row["status"][impl]] + [""] * (n_blank - 1)
            else:
                for metric, _, digits in metrics:
                    cells.append(_tables.spread(row[metric]["summary"].get(impl), digits))
                if task == "budget":
                    cells.append(f"{row['reached'][impl]}/{cfg['repeats']}")
            for other in impls[1:]:
                ratio = row[_RATIO[task]]["ratio"].get(other) if index == 0 else None
                cells.append(_tables.ratio(ratio["value"]) if ratio else "")
            body.append(cells)
    return _tables.markdown_table(headers, body)


def render(doc: dict[str, Any], detail: bool = True) -> str:
    cfg = doc["config"]
    parts = [
        _results.header(doc, TITLE),
        f"**Budget**: {cfg['budget_s']:g} s of CPU time per run, {cfg['epochs']} epochs per "
        f"trial, the same random configurations in every implementation; target validation "
        f"accuracy {cfg['target_accuracy']}; median [min–max] over {cfg['repeats']} repeats. "
        '"s to target" is the CPU time until a completed trial reached the target (∞: not '
        "within the budget).",
        _table(doc, "budget"),
        f"**Decision time**: mean CPU time of one `trial.should_prune()` after every report, "
        f"over {cfg['n_timed_trials']} trials of {CURVE_STEPS} steps that follow a study of "
        f"{cfg['n_history']} trials (synthetic learning curves, the same in every "
        'implementation). Equal "calls" and "pruned" mean the same decisions were made.',
        _table(doc, "decision"),
        _tables.notes("Not measured", _results.problem_notes(doc, describe)),
    ]
    return "\n\n".join(p for p in parts if p)


def headline(doc: dict[str, Any]) -> list[str]:
    impls = doc["impls"]
    base = impls[0]
    time_rows = {row["pruner"]: row for row in summarize(doc, "decision")}
    lines = []
    for row in summarize(doc, "budget"):
        label = PRUNER_LABELS[row["pruner"]]
        if row["status"].get(base) != "ok":
            lines.append(f"{label}: {base} {row['status'].get(base)}")
            continue
        parts = []
        for other in impls[1:]:
            started = row["started"]["ratio"].get(other)
            if started and started["value"] is not None:
                parts.append(f"trials started {base}/{other} {_tables.ratio(started['value'])}")
            timing = time_rows.get(row["pruner"], {}).get("us_per_call", {}).get("ratio", {})
            if timing.get(other) and timing[other]["value"] is not None:
                parts.append(
                    f"decision time {base}/{other} {_tables.ratio(timing[other]['value'])}"
                )
        best = row["best_accuracy"]["summary"].get(base)
        if best:
            parts.append(f"best accuracy {_tables.number(best['median'], 4)}")
        lines.append(f"{label}: " + ", ".join(parts))
    return lines
