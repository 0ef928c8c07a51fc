"""Multi-objective quality: hypervolume (2-3 objectives) or IGD+ (5) on ZDT, DTLZ and WFG.

The problems come from pymoo (a benchmark-only dependency): ZDT1-3 (2 objectives, 30
variables), DTLZ1-4 with 3 and 5 objectives, WFG1-4 with 3. Each (problem, seed) is one study
run to the largest budget; the indicator at a smaller budget is that of the trials up to it.
With 2-3 objectives the indicator is the hypervolume of the trials' non-dominated set against a
fixed reference point (the known front's nadir plus ``REFERENCE_MARGIN`` times its extent, wide
enough that runs of 300-1000 trials, far from the front, still score; higher is better); with
5 it is IGD+ to the known front (lower is better). Both are computed by pymoo, not by any
implementation under test. A Mann-Whitney U test per problem (p < 0.05) gives win / tie / loss,
as in the quality suite.

Full: ``python -m benchmarks moo --impls tansaku,optuna --samplers nsga2,nsga3`` (15 problems,
1000 trials, 10 seeds).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import _results, _stats, _tables
from benchmarks._impls import SAMPLER_LABELS

TITLE = "Multi-objective quality: hypervolume (higher is better) or IGD+ (lower is better)"
PARALLEL_SAFE = True
SAMPLER_KINDS = ("nsga2", "nsga3")
# name -> (pymoo problem, n_obj); the number of variables is pymoo's default (WFG: see _problem).
PROBLEMS: dict[str, tuple[str, int]] = {
    "zdt1": ("zdt1", 2),
    "zdt2": ("zdt2", 2),
    "zdt3": ("zdt3", 2),
    **{f"dtlz{i}-{m}": (f"dtlz{i}", m) for m in (3, 5) for i in range(1, 5)},
    **{f"wfg{i}-3": (f"wfg{i}", 3) for i in range(1, 5)},
}


# Reference point margin, in extents of the known front, per problem family.
REFERENCE_MARGIN = {"zdt": 4.0, "dtlz1": 200.0, "dtlz3": 1000.0, "dtlz": 1.5, "wfg": 0.5}


@dataclass(frozen=True)
class Preset:
    problems: tuple[str, ...]
    seeds: tuple[int, ...]
    budgets: tuple[int, ...]
    timeout_s: float
    repeats: int = 1  # the seeds are the repeats


PRESETS = {
    "full": Preset(tuple(PROBLEMS), tuple(range(10)), (300, 1000), timeout_s=6 * 3600),
    "quick": Preset(
        ("zdt1", "dtlz2-3", "dtlz2-5", "wfg1-3"), (0, 1, 2), (300, 500), timeout_s=1800
    ),
    "smoke": Preset(("zdt1",), (0, 1), (60,), timeout_s=300),
}


def config(preset: Preset) -> dict[str, Any]:
    return asdict(preset)


def plan(preset: Preset, samplers: tuple[str, ...] | None) -> list[dict[str, Any]]:
    kinds = [k for k in (samplers or SAMPLER_KINDS) if k in SAMPLER_KINDS]
    return [
        {
            "sampler": kind,
            "problem": problem,
            "seeds": list(preset.seeds),
            "budgets": list(preset.budgets),
        }
        for kind in kinds
        for problem in preset.problems
    ]


def describe(cell: dict[str, Any]) -> str:
    return f"{SAMPLER_LABELS[cell['sampler']]} / {cell['problem']}"


def _problem(name: str) -> Any:
    from pymoo.problems import get_problem

    pymoo_name, n_obj = PROBLEMS[name]
    if pymoo_name.startswith("zdt"):
        return get_problem(pymoo_name)
    if pymoo_name.startswith("wfg"):
        # 2 (n_obj - 1) position and 6 distance variables (WFG2 and 3 need an even number).
        return get_problem(pymoo_name, n_var=2 * (n_obj - 1) + 6, n_obj=n_obj)
    return get_problem(pymoo_name, n_obj=n_obj)


def _true_front(problem: Any) -> Any:
    if problem.n_obj > 3:
        from pymoo.util.ref_dirs import get_reference_directions

        directions = get_reference_directions("das-dennis", problem.n_obj, n_partitions=6)
        return problem.pareto_front(directions)
    return problem.pareto_front()


def _margin(name: str) -> float:
    family = PROBLEMS[name][0]
    for prefix in (family, family.rstrip("0123456789")):
        if prefix in REFERENCE_MARGIN:
            return REFERENCE_MARGIN[prefix]
    raise KeyError(name)


def indicator(name: str, problem: Any, front: Any) -> tuple[str, Any]:
    """("hv", fn) or ("igd+", fn): the indicator of a problem, as a function of values."""
    import numpy as np

    if problem.n_obj > 3:
        from pymoo.indicators.igd_plus import IGDPlus

        return "igd+", IGDPlus(front)
    from pymoo.indicators.hv import HV

    extent = np.maximum(front.max(axis=0) - front.min(axis=0), 1e-9)
    hv = HV(ref_point=front.max(axis=0) + _margin(name) * extent)
    return "hv", hv


def run_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    problem = _problem(task["problem"])
    front = _true_front(problem)
    kind_of_metric, metric = indicator(task["problem"], problem, front)
    budgets = task["budgets"]
    low, high = problem.xl, problem.xu
    names = [f"x{i}" for i in range(problem.n_var)]
    results = []
    for seed in task["seeds"]:
        study = impl.create_study(
            sampler=impl.sampler(task["sampler"], seed=seed),
            directions=["minimize"] * problem.n_obj,
        )
        values = []
        at_budget = {}
        for n in range(1, max(budgets) + 1):
            trial = study.ask()
            x = np.array([trial.suggest_float(nm, lo, hi) for nm, lo, hi in zip(names, low, high)])
            f = problem.evaluate(x[None, :])[0]
            study.tell(trial, [float(v) for v in f])
            values.append(f)
            if n in budgets:
                at_budget[str(n)] = float(metric(np.array(values)))
        results.append({"seed": seed, "value": at_budget})
    return {"metric": kind_of_metric, "results": results}


def summarize(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Per (sampler, problem, budget): values per implementation and rank tests."""
    impls = doc["impls"]
    base = impls[0]
    values: dict[tuple[str, str, int], dict[str, list[float]]] = {}
    metrics: dict[str, str] = {}
    for run in doc["runs"]:
        if run["status"] != "ok":
            continue
        metrics[run["cell"]["problem"]] = run["data"]["metric"]
        for result in run["data"]["results"]:
            for budget, value in result["value"].items():
                key = (run["cell"]["sampler"], run["cell"]["problem"], int(budget))
                values.setdefault(key, {}).setdefault(run["impl"], []).append(value)
    rows = []
    for (kind, problem, budget), per_impl in sorted(values.items()):
        lower = metrics[problem] == "igd+"
        row: dict[str, Any] = {
            "sampler": kind,
            "problem": problem,
            "budget": budget,
            "metric": metrics[problem],
            "summary": {
                i: s.as_dict() for i in impls if (s := _stats.summarize(per_impl.get(i, [])))
            },
            "versus": {},
        }
        for other in impls[1:]:
            if base in per_impl and other in per_impl:
                verdict, p = _stats.rank_compare(
                    per_impl[base], per_impl[other], lower_is_better=lower
                )
                row["versus"][other] = {"verdict": verdict, "p": p}
        rows.append(row)
    return rows


def render(doc: dict[str, Any], detail: bool = True) -> str:
    impls = doc["impls"]
    base = impls[0]
    rows = summarize(doc)
    headers = ["sampler", "problem", "budget", "metric", *impls]
    headers += [f"{base} vs {other}" for other in impls[1:]]
    body = []
    for row in rows:
        cells = [SAMPLER_LABELS[row["sampler"]], row["problem"], str(row["budget"]), row["metric"]]
        cells += [
            _tables.spread(row["summary"][i], 4) if i in row["summary"] else _tables.DASH
            for i in impls
        ]
        for other in impls[1:]:
            v = row["versus"].get(other)
            cells.append(f"{v['verdict']} (p={v['p']:.2g})" if v else _tables.DASH)
        body.append(cells)
    cfg = doc["config"]
    parts = [
        _results.header(doc, TITLE),
        f"{len(cfg['seeds'])} seeds per problem; median [min–max]; W/T/L by Mann-Whitney U "
        "(p < 0.05) per problem and budget. hv: higher is better; igd+: lower is better.",
        "\n".join(headline(doc)),
        _tables.markdown_table(headers, body),
        _tables.notes("Not measured", _results.problem_notes(doc, describe)),
    ]
    return "\n\n".join(p for p in parts if p)


def headline(doc: dict[str, Any]) -> list[str]:
    impls = doc["impls"]
    rows = summarize(doc)
    lines = []
    for kind in SAMPLER_KINDS:
        mine = [r for r in rows if r["sampler"] == kind]
        for other in impls[1:]:
            verdicts = [r["versus"][other]["verdict"] for r in mine if other in r["versus"]]
            if verdicts:
                counts = "/".join(str(verdicts.count(v)) for v in ("win", "tie", "loss"))
                lines.append(
                    f"{SAMPLER_LABELS[kind]}: {impls[0]} vs {other} W/T/L {counts} "
                    f"over {len(verdicts)} problem-budgets"
                )
    return lines
