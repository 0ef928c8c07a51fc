"""PBT against ASHA and against TPE + MedianPruner on a learning-curve task (run by hand).

The task: a small MLP (scikit-learn's MLPClassifier, one hidden layer of 64 ReLU units, SGD
with Nesterov momentum 0.9) trained epoch by epoch with ``partial_fit`` on the bundled digits,
split 60/20/20 into train, validation and test sets by the seed. The search space, the same for
every method:

- ``lr``: the learning rate at the member's or trial's first epoch, 1e-4 to 1 (log);
- ``lr_decay``: its schedule, a factor applied once per epoch trained, 0.8 to 1;
- ``alpha``: the L2 penalty, 1e-6 to 1e-1 (log);
- ``batch_size``: 16, 32, 64, 128 or 256.

Every method gets the same budget of training epochs, counted across all its trials. The
curves are the best validation accuracy seen so far against the epochs spent (deterministic),
against wall time (measured: run it on a quiet machine) and against the process's CPU time;
and the test accuracy of the model that had the best validation accuracy.

- ``pbt``: tansaku.pbt.PBTSampler, population 8, segments of 5 epochs (the population and
  interval of Ray Tune's PBT/PB2 examples), every other setting Ray Tune's documented default
  (quantile fraction 0.25, resample probability 0.25, perturbation factors 1.2 and 0.8, no
  burn-in); all four params explored. Not tuned on these seeds.
- ``asha``: RandomSampler + SuccessiveHalvingPruner (min resource 1, reduction factor 3),
  each trial up to budget / 8 epochs (one PBT member's share of the budget: 25 of 200).
- ``tpe_median``: TPESampler + MedianPruner (5 startup trials, 5 warm-up steps), same cap.

Run: PYTHONPATH=$PWD .venv/bin/python benchmarks/pbt.py [--seeds 5] [--budget 200]
Writes benchmarks/results/pbt.md and benchmarks/results/pbt.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import tansaku
from tansaku.artifacts import FileSystemArtifactStore
from tansaku.distributions import CategoricalDistribution, FloatDistribution

POPULATION = 8
INTERVAL = 5
CHECKPOINTS = (24, 40, 80, 120, 160, 200)
METHODS = ("pbt", "asha", "tpe_median")
LR = (1e-4, 1.0)
DECAY = (0.8, 1.0)
ALPHA = (1e-6, 1e-1)
BATCH_SIZES = (16, 32, 64, 128, 256)
# (epochs spent, wall seconds, validation accuracy, test accuracy of that model, CPU seconds)
Curve = list[tuple[int, float, float, float, float]]


class Run:
    """Trains models for one method and seed, and records each epoch's point of the curve."""

    def __init__(self, seed: int, budget: int) -> None:
        features, labels = load_digits(return_X_y=True)
        x_train, x_rest, y_train, y_rest = train_test_split(
            features / 16.0, labels, test_size=0.4, random_state=seed, stratify=labels
        )
        self.x_train, self.y_train = x_train, y_train
        self.x_valid, self.x_test, self.y_valid, self.y_test = train_test_split(
            x_rest, y_rest, test_size=0.5, random_state=seed, stratify=y_rest
        )
        self.classes = np.unique(labels)
        self.seed = seed
        self.budget = budget
        self.epochs = 0
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()
        self.curve: Curve = []

    def new_model(self, number: int) -> MLPClassifier:
        return MLPClassifier(
            hidden_layer_sizes=(64,),
            solver="sgd",
            momentum=0.9,
            nesterovs_momentum=True,
            learning_rate="constant",
            random_state=self.seed * 1000 + number,
        )

    def train_epoch(self, model: MLPClassifier, params: dict[str, Any], epoch: int) -> float:
        """One epoch at the rate ``lr * lr_decay ** epoch`` (``epoch`` counts from 0)."""
        rate = params["lr"] * params["lr_decay"] ** epoch
        model.set_params(
            learning_rate_init=rate, alpha=params["alpha"], batch_size=params["batch_size"]
        )
        if hasattr(model, "_optimizer"):
            # partial_fit builds its SGD optimizer once, from learning_rate_init; later epochs
            # (and a copied checkpoint) take the new rate only through the optimizer itself.
            model._optimizer.learning_rate = rate
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.partial_fit(self.x_train, self.y_train, classes=self.classes)
        if not np.all(np.isfinite(model.coefs_[0])):
            accuracy = test = 0.0  # diverged (too high a rate): counts as a wasted epoch
        else:
            accuracy = float(model.score(self.x_valid, self.y_valid))
            test = float(model.score(self.x_test, self.y_test))
        self.epochs += 1
        wall = time.perf_counter() - self.start
        self.curve.append(
            (self.epochs, wall, accuracy, test, time.process_time() - self.cpu_start)
        )
        return accuracy

    @property
    def spent(self) -> bool:
        return self.epochs >= self.budget


def suggest(trial: tansaku.Trial) -> dict[str, Any]:
    return {
        "lr": trial.suggest_float("lr", *LR, log=True),
        "lr_decay": trial.suggest_float("lr_decay", *DECAY),
        "alpha": trial.suggest_float("alpha", *ALPHA, log=True),
        "batch_size": trial.suggest_categorical("batch_size", BATCH_SIZES),
    }


def run_pbt(run: Run, store_dir: str) -> None:
    store = FileSystemArtifactStore(store_dir)
    sampler = tansaku.pbt.PBTSampler(
        population_size=POPULATION,
        perturbation_interval=INTERVAL,
        hyperparam_mutations={
            "lr": FloatDistribution(*LR, log=True),
            "lr_decay": FloatDistribution(*DECAY),
            "alpha": FloatDistribution(*ALPHA, log=True),
            "batch_size": CategoricalDistribution(BATCH_SIZES),
        },
        seed=run.seed,
    )

    def objective(trial: tansaku.Trial) -> float:
        params = suggest(trial)
        model = tansaku.pbt.load_parent_checkpoint(trial, store) or run.new_model(trial.number)
        accuracy = 0.0
        for step in tansaku.pbt.segment(trial).steps:
            # Steps count the member's epochs from 0 on: the schedule runs along its training.
            accuracy = run.train_epoch(model, params, step)
            trial.report(accuracy, step)
        tansaku.pbt.save_checkpoint(trial, model, store)
        return accuracy

    study = tansaku.create_study(direction="maximize", sampler=sampler)
    while not run.spent:
        study.optimize(objective, n_trials=1)


def run_pruned(run: Run, sampler: Any, pruner: Any, max_epochs: int) -> None:
    def objective(trial: tansaku.Trial) -> float:
        params = suggest(trial)
        model = run.new_model(trial.number)
        accuracy = 0.0
        for epoch in range(max_epochs):
            if run.spent:
                break
            accuracy = run.train_epoch(model, params, epoch)
            trial.report(accuracy, epoch + 1)
            if trial.should_prune():
                raise tansaku.TrialPruned
        return accuracy

    study = tansaku.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    while not run.spent:
        study.optimize(objective, n_trials=1)


def run_method(method: str, seed: int, budget: int) -> Run:
    run = Run(seed, budget)
    max_epochs = budget // POPULATION
    if method == "pbt":
        with tempfile.TemporaryDirectory(prefix="tansaku-bench-pbt-") as directory:
            run_pbt(run, directory)
    elif method == "asha":
        run_pruned(
            run,
            tansaku.samplers.RandomSampler(seed=seed),
            tansaku.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
            max_epochs,
        )
    else:
        run_pruned(
            run,
            tansaku.samplers.TPESampler(seed=seed),
            tansaku.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=5),
            max_epochs,
        )
    return run


def best_at(curve: Curve, limit: float, axis: int = 0) -> tuple[float, float]:
    """The best validation accuracy up to ``limit`` (epochs or seconds) and that model's test."""
    best = (float("nan"), float("nan"))
    for point in curve:
        if point[axis] > limit:
            break
        if not best[0] >= point[2]:  # NaN at first
            best = (point[2], point[3])
    return best


def first_reach(curve: Curve, target: float, axis: int) -> float | None:
    for point in curve:
        if point[2] >= target:
            return point[axis]
    return None


def _median_range(values: list[float], fmt: str = ".3f") -> str:
    return f"{statistics.median(values):{fmt}} [{min(values):{fmt}}, {max(values):{fmt}}]"


def _reach_table(curves: dict[str, list[Curve]], finals: dict[str, float], axis: int) -> list[str]:
    unit = {0: "epochs", 1: "s", 4: "CPU s"}[axis]
    lines = ["| method | " + " | ".join(f"to {m}'s {finals[m]:.3f}" for m in METHODS) + " |"]
    lines.append("|---|" + "---|" * len(METHODS))
    fmt = ".0f" if axis == 0 else ".1f"
    for method in METHODS:
        cells = []
        for target in METHODS:
            reached = [first_reach(c, finals[target], axis) for c in curves[method]]
            done = [r for r in reached if r is not None]
            median = f"{statistics.median(done):{fmt}} {unit}" if done else "-"
            cells.append(f"{median} ({len(done)}/{len(reached)} runs)")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return lines


def _time_table(curves: dict[str, list[Curve]], axis: int, what: str) -> list[str]:
    seconds = {m: [c[-1][axis] for c in curves[m]] for m in METHODS}
    longest = max(statistics.median(s) for s in seconds.values())
    lines = [
        "",
        f"Against {what}:",
        "",
        "| seconds | " + " | ".join(METHODS) + " |",
        "|---|" + "---|" * len(METHODS),
    ]
    for fraction in (0.1, 0.2, 0.3, 0.5, 0.75, 1.0):
        limit = round(longest * fraction, 1)
        cells = [_median_range([best_at(c, limit, axis)[0] for c in curves[m]]) for m in METHODS]
        lines.append(f"| {limit:.1f} | " + " | ".join(cells) + " |")
    lines.append(
        "| run's end | "
        + " | ".join(f"{_median_range(seconds[m], '.1f')} s" for m in METHODS)
        + " |"
    )
    return lines


def report(curves: dict[str, list[Curve]], budget: int, loads: tuple[float, float]) -> str:
    n_seeds = len(next(iter(curves.values())))
    lines = [
        "# PBT against ASHA and TPE + MedianPruner (MLP on digits)",
        "",
        "Written by `benchmarks/pbt.py` (see its docstring for the task and settings). Best",
        f"validation accuracy against training epochs spent (budget {budget} epochs per run),",
        f"{n_seeds} seeds: median [min, max].",
        "",
        "| epochs | " + " | ".join(METHODS) + " |",
        "|---|" + "---|" * len(METHODS),
    ]
    for epochs in (c for c in CHECKPOINTS if c <= budget):
        cells = [_median_range([best_at(c, epochs)[0] for c in curves[m]]) for m in METHODS]
        lines.append(f"| {epochs} | " + " | ".join(cells) + " |")
    for axis, what in (
        (
            1,
            f"wall time (seconds from the run's start; load average {loads[0]:.2f} at the "
            f"start, {loads[1]:.2f} at the end)",
        ),
        (4, "the process's CPU time (seconds; less sensitive to other load than wall time)"),
    ):
        lines += _time_table(curves, axis, what)
    finals = {m: statistics.median(best_at(c, budget)[0] for c in curves[m]) for m in METHODS}
    lines += ["", "Epochs until each method reaches each method's median final accuracy:", ""]
    lines += _reach_table(curves, finals, 0)
    lines += ["", "Seconds until each method reaches each method's median final accuracy:", ""]
    lines += _reach_table(curves, finals, 1)
    lines += ["", "CPU seconds until each method reaches each method's median final accuracy:"]
    lines += [""] + _reach_table(curves, finals, 4)
    lines += [
        "",
        "Test accuracy of each run's best-validation model at the end: "
        + ", ".join(
            f"{m} {_median_range([best_at(c, budget)[1] for c in curves[m]])}" for m in METHODS
        )
        + ".",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=200, help="training epochs per run")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    load_start = os.getloadavg()[0]
    curves: dict[str, list[Curve]] = {m: [] for m in METHODS}
    for seed in range(args.seeds):
        for method in METHODS:
            run = run_method(method, seed, args.budget)
            curves[method].append(run.curve)
            best, test = best_at(run.curve, args.budget)
            print(
                f"seed {seed} {method}: best {best:.3f} (test {test:.3f}) "
                f"in {run.curve[-1][1]:.1f} s",
                flush=True,
            )
    text = report(curves, args.budget, (load_start, os.getloadavg()[0]))
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "pbt.md").write_text(text)
    (out / "pbt.json").write_text(json.dumps({"budget": args.budget, "curves": curves}))


if __name__ == "__main__":
    main()
