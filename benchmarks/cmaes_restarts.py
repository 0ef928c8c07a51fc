"""CMA-ES with IPOP/BIPOP restarts against Optuna 5.0's CmaEsSampler given the same arguments.

Optuna 5.0 accepts ``restart_strategy`` but ignores it (it warns that the argument is
deprecated), so its runs given ``restart_strategy="ipop"`` or ``"bipop"`` are, trial for trial,
its plain CMA-ES runs with the same seed: ``--verify`` checks this on a few problems. The
comparison therefore takes Optuna's side from a plain ``cmaes`` quality run and tansaku's from
a ``cmaes_ipop,cmaes_bipop`` run, and ranks them per problem as the quality suite does::

    python -m benchmarks quality --impls tansaku,optuna --samplers cmaes ... --out A
    python -m benchmarks quality --impls tansaku --samplers cmaes_ipop,cmaes_bipop \\
        --functions 15-24 --dims 5,10 --budgets 1000 --instances 1-10 --out B
    python -m benchmarks.cmaes_restarts --plain A/quality.json --restarts B/quality.json \\
        --verify --out results/cmaes

Writes ``cmaes_restarts.json`` (the runs compared) and ``cmaes_restarts.md`` (the tables).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import warnings
from pathlib import Path
from typing import Any

from benchmarks import _results
from benchmarks.suites import quality

RESTART_KINDS = ("cmaes_ipop", "cmaes_bipop")


def verify_optuna_ignores_restarts(n_trials: int = 300) -> list[str]:
    """Run Optuna's CmaEsSampler with and without restarts on a few problems; the verdicts."""
    import cocoex
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    lines = []
    for function, dim, instance in ((15, 5, 1), (21, 10, 2), (24, 5, 3)):
        problem = cocoex.BareProblem("bbob", function, dim, instance)
        runs = []
        for kwargs in ({}, {"restart_strategy": "ipop"}, {"restart_strategy": "bipop"}):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sampler = optuna.samplers.CmaEsSampler(seed=instance, **kwargs)
            study = optuna.create_study(sampler=sampler)
            study.optimize(
                lambda t, p=problem, d=dim: p([t.suggest_float(f"x{i}", -5, 5) for i in range(d)]),
                n_trials=n_trials,
            )
            runs.append([t.value for t in study.trials])
        same = runs[0] == runs[1] == runs[2]
        lines.append(
            f"f{function} d={dim} instance {instance}, {n_trials} trials: ipop and bipop "
            f"{'identical to' if same else 'DIFFER from'} plain"
        )
        if not same:
            raise SystemExit("Optuna's restarts changed its trials: this comparison is invalid")
    return lines


def combine(plain: dict[str, Any], restarts: dict[str, Any]) -> dict[str, Any]:
    """A quality document: tansaku's restart runs and Optuna's plain runs on the same problems."""
    mine = [r for r in restarts["runs"] if r["impl"] == "tansaku" and r["status"] == "ok"]
    wanted = {
        (x["problem"], x["instance"], budget)
        for run in mine
        for x in run["data"]["results"]
        for budget in x["log10_regret"]
    }
    peer = []
    for run in plain["runs"]:
        if run["impl"] != "optuna" or run["cell"]["sampler"] != "cmaes" or run["status"] != "ok":
            continue
        results = []
        for x in run["data"]["results"]:
            kept = {
                b: v
                for b, v in x["log10_regret"].items()
                if (x["problem"], x["instance"], b) in wanted
            }
            if kept:
                results.append({**x, "log10_regret": kept})
        if results:
            for kind in RESTART_KINDS:
                relabelled = copy.deepcopy(run)
                relabelled["cell"]["sampler"] = kind
                relabelled["data"]["results"] = results
                peer.append(relabelled)
    doc = copy.deepcopy(restarts)
    doc["impls"] = ["tansaku", "optuna"]
    doc["suite"] = "cmaes_restarts"
    doc["runs"] = mine + peer
    doc["env"]["versions"] = {**plain["env"]["versions"], **restarts["env"]["versions"]}
    return doc


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cmaes_restarts")
    parser.add_argument("--plain", type=Path, required=True, help="quality.json with optuna cmaes")
    parser.add_argument("--restarts", type=Path, required=True, help="quality.json, tansaku ipop")
    parser.add_argument("--verify", action="store_true", help="check Optuna ignores restarts")
    parser.add_argument("--out", type=Path, default=_results.RESULTS_DIR)
    args = parser.parse_args(argv)
    doc = combine(json.loads(args.plain.read_text()), json.loads(args.restarts.read_text()))
    notes = verify_optuna_ignores_restarts() if args.verify else []
    intro = (
        "Optuna 5.0 ignores `restart_strategy`, so its column is its plain CmaEsSampler run "
        "(same seeds and problems); tansaku's is CmaEsSampler(restart_strategy=...)."
    )
    checked = "".join(f"\n- {line}" for line in notes)
    markdown = quality.render(doc).replace("## Quality", "## CMA-ES restarts", 1)
    markdown += f"\n\n{intro}{checked}\n"
    json_path, md_path = _results.write(doc, markdown, args.out)
    print(markdown)
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
