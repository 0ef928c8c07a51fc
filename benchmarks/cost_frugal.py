"""Cost-frugal search: total cost to reach a target accuracy, tansaku's CFO and BlendSearch
against TPE and against FLAML's own CFO and BlendSearch (through ``flaml.tune``).

The task tunes scikit-learn's HistGradientBoostingClassifier on the bundled breast-cancer data
(a fixed stratified hold-out split): ``max_iter`` and ``max_leaf_nodes`` (whose cost grows with
their value; the low-cost point is their lower bounds), ``learning_rate`` and
``min_samples_leaf``. A trial's cost is the deterministic proxy ``max_iter * max_leaf_nodes``
(the number of leaves fitted), not its fit time: the machine is shared, and a proxy makes
every run reproducible. The model's own seed is fixed, so the accuracy of a configuration is
a pure function of it; evaluations are memoized across methods and seeds.

Each method runs ``--seeds`` seeds of at most ``--trials`` trials; a run's number is the
total cost of its trials up to and including the first that reaches ``--target`` accuracy,
or ``inf`` (censored) when none does.

    PYTHONPATH=$PWD .venv-bench/bin/python -m benchmarks.cost_frugal --seeds 10

Writes ``results/cost_frugal.json`` (every run) and ``results/cost_frugal.md`` (the table).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

# One OpenMP thread per fit: on a shared, loaded machine HistGradientBoosting's threads
# oversubscribe the cores and a tiny fit took 6 s instead of 0.05 s.
os.environ.setdefault("OMP_NUM_THREADS", "1")

RESULTS = Path(__file__).with_name("results")
LOW_COST = {"max_iter": 4, "max_leaf_nodes": 4}
_CACHE: dict[tuple[Any, ...], float] = {}
_DATA: dict[str, Any] = {}


def accuracy(params: dict[str, Any]) -> float:
    """Hold-out accuracy of a configuration (memoized: it is a pure function of it)."""
    key = (
        int(params["max_iter"]),
        int(params["max_leaf_nodes"]),
        round(float(params["learning_rate"]), 12),
        int(params["min_samples_leaf"]),
    )
    if key not in _CACHE:
        from sklearn.ensemble import HistGradientBoostingClassifier

        if not _DATA:
            from sklearn.datasets import load_breast_cancer
            from sklearn.model_selection import train_test_split

            x, y = load_breast_cancer(return_X_y=True)
            split = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
            _DATA.update(zip(("x_train", "x_valid", "y_train", "y_valid"), split))
        model = HistGradientBoostingClassifier(
            max_iter=key[0],
            max_leaf_nodes=key[1],
            learning_rate=key[2],
            min_samples_leaf=key[3],
            early_stopping=False,
            random_state=0,
        )
        model.fit(_DATA["x_train"], _DATA["y_train"])
        _CACHE[key] = float(model.score(_DATA["x_valid"], _DATA["y_valid"]))
    return _CACHE[key]


def cost(params: dict[str, Any]) -> float:
    return float(int(params["max_iter"]) * int(params["max_leaf_nodes"]))


def cost_to_target(history: list[tuple[float, float]], target: float) -> float:
    """Total cost of the trials up to the first reaching ``target``; inf if none did."""
    spent = 0.0
    for acc, trial_cost in history:
        spent += trial_cost
        if acc >= target:
            return spent
    return math.inf


def run_tansaku(sampler_name: str, seed: int, trials: int, target: float) -> list[Any]:
    import tansaku
    from tansaku.samplers import BlendSearchSampler, CFOSampler, TPESampler

    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sampler: Any
        if sampler_name == "cfo":
            sampler = CFOSampler(low_cost_partial_config=LOW_COST, cost_attr="cost", seed=seed)
        elif sampler_name == "blendsearch":
            sampler = BlendSearchSampler(
                low_cost_partial_config=LOW_COST, cost_attr="cost", seed=seed
            )
        else:
            sampler = TPESampler(seed=seed)
    history: list[tuple[float, float]] = []

    def objective(trial: Any) -> float:
        params = {
            "max_iter": trial.suggest_int("max_iter", 4, 512, log=True),
            "max_leaf_nodes": trial.suggest_int("max_leaf_nodes", 4, 256, log=True),
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 1.0, log=True),
            "min_samples_leaf": trial.suggest_int("min_samples_leaf", 2, 64, log=True),
        }
        acc = accuracy(params)
        trial.set_user_attr("cost", cost(params))
        history.append((acc, cost(params)))
        if acc >= target:
            trial.study.stop()
        return 1.0 - acc

    study = tansaku.create_study(sampler=sampler)
    study.optimize(objective, n_trials=trials)
    return history


def run_flaml(algorithm: str, seed: int, trials: int, target: float) -> list[Any]:
    from flaml import tune
    from flaml.tune.searcher.blendsearch import CFO, BlendSearch

    space = {
        "max_iter": tune.lograndint(4, 513),
        "max_leaf_nodes": tune.lograndint(4, 257),
        "learning_rate": tune.loguniform(0.01, 1.0),
        "min_samples_leaf": tune.lograndint(2, 65),
    }
    history: list[tuple[float, float]] = []

    def evaluate(config: dict[str, Any]) -> dict[str, float]:
        acc = accuracy(config)
        history.append((acc, cost(config)))
        return {"loss": 1.0 - acc, "cost": cost(config)}

    searcher_cls = CFO if algorithm == "cfo" else BlendSearch
    searcher = searcher_cls(
        metric="loss",
        mode="min",
        space=space,
        low_cost_partial_config=dict(LOW_COST),
        seed=seed,
        cost_attr="cost",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _flaml_loop(tune, evaluate, searcher, trials, target, history)
    return history


def _flaml_loop(
    tune: Any,
    evaluate: Callable[[dict[str, Any]], dict[str, float]],
    searcher: Any,
    trials: int,
    target: float,
    history: list[tuple[float, float]],
) -> None:
    """``tune.run`` until the target is reached or the trials are spent."""

    def stopping(config: dict[str, Any]) -> dict[str, float]:
        if history and history[-1][0] >= target:
            return {"loss": 1.0, "cost": 0.0}
        return evaluate(config)

    tune.run(
        stopping, search_alg=searcher, metric="loss", mode="min", num_samples=trials, verbose=0
    )
    # Evaluations after the target was reached were not made (the stub above skipped them).


METHODS: dict[str, Callable[[int, int, float], list[Any]]] = {
    "tansaku CFO": lambda s, n, t: run_tansaku("cfo", s, n, t),
    "tansaku BlendSearch": lambda s, n, t: run_tansaku("blendsearch", s, n, t),
    "tansaku TPE": lambda s, n, t: run_tansaku("tpe", s, n, t),
    "FLAML CFO": lambda s, n, t: run_flaml("cfo", s, n, t),
    "FLAML BlendSearch": lambda s, n, t: run_flaml("blendsearch", s, n, t),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=150)
    parser.add_argument("--target", type=float, default=0.97)
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args()

    from benchmarks._stats import rank_compare

    costs: dict[str, list[float]] = {}
    for method in args.methods.split(","):
        costs[method] = []
        for seed in range(args.seeds):
            history = METHODS[method](seed, args.trials, args.target)
            costs[method].append(cost_to_target(history, args.target))
        print(method, costs[method], flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cost_frugal.json").write_text(
        json.dumps({"args": vars(args), "costs": costs}, indent=1, default=str)
    )
    (RESULTS / "cost_frugal.md").write_text(_table(args, costs, rank_compare))


def _table(args: Any, costs: dict[str, list[float]], rank_compare: Any) -> str:
    def fmt(value: float) -> str:
        return "not reached" if math.isinf(value) else f"{value:,.0f}"

    lines = [
        "# Cost-frugal search: total cost to reach the target accuracy",
        "",
        f"HistGradientBoostingClassifier on breast cancer (hold-out 30%), target accuracy "
        f"{args.target}, at most {args.trials} trials, {args.seeds} seeds. Cost of a trial = "
        "max_iter * max_leaf_nodes (a deterministic proxy of fit time). Lower is better; a "
        "run that never reached the target counts as infinite (ranked last).",
        "",
        "| method | median | min | max | reached | vs tansaku TPE (MWU p) | "
        "vs FLAML CFO (MWU p) |",
        "|---|---|---|---|---|---|---|",
    ]
    for method, values in costs.items():
        ordered = sorted(values)
        n = len(ordered)
        median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
        reached = sum(math.isfinite(v) for v in values)
        cells = []
        for other in ("tansaku TPE", "FLAML CFO"):
            if other == method or other not in costs:
                cells.append("-")
                continue
            big = 1e18  # censored runs rank last
            verdict, p_value = rank_compare(
                [min(v, big) for v in values], [min(v, big) for v in costs[other]]
            )
            cells.append(f"{verdict} (p={p_value:.3f})")
        lines.append(
            f"| {method} | {fmt(median)} | {fmt(ordered[0])} | {fmt(ordered[-1])} | "
            f"{reached}/{n} | {cells[0]} | {cells[1]} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
