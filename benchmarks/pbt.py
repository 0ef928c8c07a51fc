"""PBT against ASHA and against TPE + MedianPruner on a learning-curve task (run by hand).

The task: a linear classifier (scikit-learn's SGDClassifier, log loss, constant learning rate)
trained epoch by epoch with partial_fit on the bundled digits; the search space is the
learning rate ``eta0`` and the L2 penalty ``alpha`` (log scale). Every method gets the same
budget of training epochs, counted across all its trials; the curve is the best validation
accuracy seen against the epochs spent so far. Epochs, not seconds, are the axis: they are
deterministic on a loaded machine (wall time is recorded beside them in the JSON).

- ``pbt``: tansaku.pbt.PBTSampler, population 8, segments of 3 epochs, eta0 and alpha explored.
- ``asha``: RandomSampler + SuccessiveHalvingPruner (min resource 1, reduction factor 3),
  each trial up to MAX_EPOCHS epochs.
- ``tpe_median``: TPESampler + MedianPruner (5 startup trials, 3 warm-up steps), same cap.

Run: PYTHONPATH=$PWD .venv/bin/python benchmarks/pbt.py [--seeds 5] [--budget 300]
Writes benchmarks/results/pbt.md and benchmarks/results/pbt.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split

import tansaku
from tansaku.artifacts import FileSystemArtifactStore
from tansaku.distributions import FloatDistribution

MAX_EPOCHS = 30
POPULATION = 8
INTERVAL = 3
CHECKPOINTS = (30, 60, 100, 150, 200, 300)
METHODS = ("pbt", "asha", "tpe_median")
ETA0 = (1e-5, 1.0)
ALPHA = (1e-7, 1e-1)


class Run:
    """Trains models for one method and seed, and records (epochs spent, accuracy) per epoch."""

    def __init__(self, seed: int, budget: int) -> None:
        features, labels = load_digits(return_X_y=True)
        self.x_train, self.x_valid, self.y_train, self.y_valid = train_test_split(
            features / 16.0, labels, test_size=0.3, random_state=seed
        )
        self.classes = np.unique(labels)
        self.seed = seed
        self.budget = budget
        self.epochs = 0
        self.start = time.perf_counter()
        self.curve: list[tuple[int, float, float]] = []  # (epochs, seconds, accuracy)

    def new_model(self, number: int) -> SGDClassifier:
        return SGDClassifier(
            loss="log_loss", learning_rate="constant", random_state=self.seed * 1000 + number
        )

    def train_epoch(self, model: SGDClassifier) -> float:
        model.partial_fit(self.x_train, self.y_train, classes=self.classes)
        accuracy = float(model.score(self.x_valid, self.y_valid))
        self.epochs += 1
        self.curve.append((self.epochs, time.perf_counter() - self.start, accuracy))
        return accuracy

    @property
    def spent(self) -> bool:
        return self.epochs >= self.budget


def run_pbt(run: Run, store_dir: str) -> None:
    store = FileSystemArtifactStore(store_dir)
    sampler = tansaku.pbt.PBTSampler(
        population_size=POPULATION,
        perturbation_interval=INTERVAL,
        hyperparam_mutations={
            "eta0": FloatDistribution(*ETA0, log=True),
            "alpha": FloatDistribution(*ALPHA, log=True),
        },
        seed=run.seed,
    )

    def objective(trial: tansaku.Trial) -> float:
        eta0 = trial.suggest_float("eta0", *ETA0, log=True)
        alpha = trial.suggest_float("alpha", *ALPHA, log=True)
        model = tansaku.pbt.load_parent_checkpoint(trial, store) or run.new_model(trial.number)
        model.set_params(eta0=eta0, alpha=alpha)
        accuracy = 0.0
        for step in tansaku.pbt.segment(trial).steps:
            accuracy = run.train_epoch(model)
            trial.report(accuracy, step)
        tansaku.pbt.save_checkpoint(trial, model, store)
        return accuracy

    study = tansaku.create_study(direction="maximize", sampler=sampler)
    while not run.spent:
        study.optimize(objective, n_trials=1)


def run_pruned(run: Run, sampler: Any, pruner: Any) -> None:
    def objective(trial: tansaku.Trial) -> float:
        model = run.new_model(trial.number)
        model.set_params(
            eta0=trial.suggest_float("eta0", *ETA0, log=True),
            alpha=trial.suggest_float("alpha", *ALPHA, log=True),
        )
        accuracy = 0.0
        for epoch in range(1, MAX_EPOCHS + 1):
            if run.spent:
                break
            accuracy = run.train_epoch(model)
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise tansaku.TrialPruned
        return accuracy

    study = tansaku.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    while not run.spent:
        study.optimize(objective, n_trials=1)


def run_method(method: str, seed: int, budget: int) -> Run:
    run = Run(seed, budget)
    if method == "pbt":
        with tempfile.TemporaryDirectory(prefix="tansaku-bench-pbt-") as directory:
            run_pbt(run, directory)
    elif method == "asha":
        run_pruned(
            run,
            tansaku.samplers.RandomSampler(seed=seed),
            tansaku.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
        )
    else:
        run_pruned(
            run,
            tansaku.samplers.TPESampler(seed=seed),
            tansaku.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3),
        )
    return run


def best_at(curve: list[tuple[int, float, float]], epochs: int) -> float:
    return max((acc for spent, _, acc in curve if spent <= epochs), default=float("nan"))


def epochs_to_reach(curve: list[tuple[int, float, float]], target: float) -> int | None:
    best = 0.0
    for spent, _, acc in curve:
        best = max(best, acc)
        if best >= target:
            return spent
    return None


def _median_range(values: list[float], fmt: str = ".3f") -> str:
    return f"{statistics.median(values):{fmt}} [{min(values):{fmt}}, {max(values):{fmt}}]"


def report(curves: dict[str, list[list[tuple[int, float, float]]]], budget: int) -> str:
    lines = [
        "# PBT against ASHA and TPE + MedianPruner",
        "",
        "Written by `benchmarks/pbt.py` (see its docstring for the task and settings). Best",
        f"validation accuracy against training epochs spent (budget {budget} epochs per run),",
        f"{len(next(iter(curves.values())))} seeds: median [min, max].",
        "",
        "| epochs | " + " | ".join(METHODS) + " |",
        "|---|" + "---|" * len(METHODS),
    ]
    for epochs in (c for c in CHECKPOINTS if c <= budget):
        cells = [_median_range([best_at(c, epochs) for c in curves[m]]) for m in METHODS]
        lines.append(f"| {epochs} | " + " | ".join(cells) + " |")
    lines += ["", "Epochs until each method reaches the others' median final accuracy:", ""]
    finals = {m: statistics.median(best_at(c, budget) for c in curves[m]) for m in METHODS}
    lines.append("| method | " + " | ".join(f"to {m}'s {finals[m]:.3f}" for m in METHODS) + " |")
    lines.append("|---|" + "---|" * len(METHODS))
    for method in METHODS:
        cells = []
        for target in METHODS:
            reached = [epochs_to_reach(c, finals[target]) for c in curves[method]]
            n_reached = sum(r is not None for r in reached)
            done = [r for r in reached if r is not None]
            median = f"{statistics.median(done):.0f}" if done else "-"
            cells.append(f"{median} ({n_reached}/{len(reached)} runs)")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    seconds = {m: statistics.median(c[-1][1] for c in curves[m]) for m in METHODS}
    lines += [
        "",
        "Median wall time of a run (seconds, on a shared 2-core machine, for reference only): "
        + ", ".join(f"{m} {seconds[m]:.1f}" for m in METHODS)
        + ".",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=300, help="training epochs per run")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    curves: dict[str, list[list[tuple[int, float, float]]]] = {m: [] for m in METHODS}
    for seed in range(args.seeds):
        for method in METHODS:
            run = run_method(method, seed, args.budget)
            curves[method].append(run.curve)
            print(f"seed {seed} {method}: best {best_at(run.curve, args.budget):.3f}", flush=True)
    text = report(curves, args.budget)
    print(text)
    out = Path(args.out)
    (out / "pbt.md").write_text(text)
    (out / "pbt.json").write_text(json.dumps({"budget": args.budget, "curves": curves}))


if __name__ == "__main__":
    main()
