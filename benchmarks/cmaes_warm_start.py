"""Warm-started CMA-ES (WS-CMA-ES) against a cold start, on shifted BBOB functions.

For each function: a source study runs CMA-ES for ``--source-trials`` trials on the BBOB
function (instance 1); the target is the same function with its optimum shifted by ``--shift``
in every coordinate. Cold CMA-ES and CMA-ES warm started from the source trials each run
``--budget`` trials on the target, over ``--seeds`` seeds. The claim checked: the warm start
reaches the median regret that the cold start has at the budget in at most 70% of the trials.

    PYTHONPATH=$PWD .venv-bench/bin/python -m benchmarks.cmaes_warm_start \\
        --functions 1,8,15 --dim 5 --seeds 10 --budget 300

Writes ``results/cmaes_warm_start.json`` (every curve) and ``.md`` (the verdicts, and the
median log10 regret curves every 25 trials).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).with_name("results")
DOMAIN = (-5.0, 5.0)
FLOOR = 1e-8


def _study_curve(
    tansaku: Any, problem: Any, dim: int, shift: float, budget: int, sampler: Any
) -> list[float]:
    """Best-so-far regret after each trial of one study on the shifted problem."""
    optimum = problem.best_value()
    study = tansaku.create_study(sampler=sampler)
    best = math.inf
    curve = []
    for _ in range(budget):
        trial = study.ask()
        x = np.array([trial.suggest_float(f"x{i}", *DOMAIN) for i in range(dim)])
        value = float(problem(np.clip(x - shift, *DOMAIN)))
        study.tell(trial, value)
        best = min(best, value)
        curve.append(max(best - optimum, FLOOR))
    return curve


def run(
    functions: list[int], dim: int, seeds: int, budget: int, source: int, shift: float
) -> dict:
    import cocoex

    import tansaku

    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    warnings.simplefilter("ignore")
    out: dict[str, Any] = {"dim": dim, "budget": budget, "source_trials": source, "shift": shift}
    out["functions"] = {}
    for function in functions:
        problem = cocoex.BareProblem("bbob", function, dim, 1)
        source_study = tansaku.create_study(sampler=tansaku.samplers.CmaEsSampler(seed=0))
        source_study.optimize(
            lambda t, problem=problem: float(
                problem(np.array([t.suggest_float(f"x{i}", *DOMAIN) for i in range(dim)]))
            ),
            n_trials=source,
        )
        curves: dict[str, list[list[float]]] = {"cold": [], "warm": []}
        for seed in range(seeds):
            cold = tansaku.samplers.CmaEsSampler(seed=seed)
            warm = tansaku.samplers.CmaEsSampler(seed=seed, source_trials=source_study.trials)
            curves["cold"].append(_study_curve(tansaku, problem, dim, shift, budget, cold))
            curves["warm"].append(_study_curve(tansaku, problem, dim, shift, budget, warm))
        median = {k: np.median(np.log10(v), axis=0).tolist() for k, v in curves.items()}
        target = median["cold"][-1]
        reached = next((i + 1 for i, r in enumerate(median["warm"]) if r <= target), None)
        out["functions"][f"f{function}"] = {
            "median_log10_regret": median,
            "cold_median_at_budget": target,
            "warm_trials_to_reach_it": reached,
            "fraction": None if reached is None else reached / budget,
            "curves": curves,
        }
        print(f"f{function}: warm reaches the cold median at {budget} after {reached}", flush=True)
    return out


def render(doc: dict) -> str:
    budget = doc["budget"]
    lines = [
        "## CMA-ES warm start (WS-CMA-ES) vs cold start",
        "",
        f"d={doc['dim']}, {doc['source_trials']} source trials, optimum shifted by "
        f"{doc['shift']}, budget {budget}; median over seeds of log10 regret.",
        "",
        "| function | cold median at budget | warm trials to reach it | fraction (<= 0.7?) |",
        "|---|---:|---:|---:|",
    ]
    for name, row in doc["functions"].items():
        fraction = row["fraction"]
        verdict = (
            "—" if fraction is None else f"{fraction:.2f} ({'yes' if fraction <= 0.7 else 'no'})"
        )
        lines.append(
            f"| {name} | {row['cold_median_at_budget']:.2f} | {row['warm_trials_to_reach_it']} "
            f"| {verdict} |"
        )
    lines += ["", "Median log10 regret every 25 trials (cold / warm):", ""]
    for name, row in doc["functions"].items():
        cold, warm = row["median_log10_regret"]["cold"], row["median_log10_regret"]["warm"]
        points = range(24, budget, 25)
        lines.append(
            f"- {name}: " + ", ".join(f"{i + 1}: {cold[i]:.2f}/{warm[i]:.2f}" for i in points)
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cmaes_warm_start")
    parser.add_argument("--functions", default="1,8,15")
    parser.add_argument("--dim", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--source-trials", type=int, default=100)
    parser.add_argument("--shift", type=float, default=0.5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    functions = [int(f) for f in args.functions.split(",")]
    doc = run(functions, args.dim, args.seeds, args.budget, args.source_trials, args.shift)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cmaes_warm_start.json").write_text(json.dumps(doc))
    markdown = render(doc)
    (args.out / "cmaes_warm_start.md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
