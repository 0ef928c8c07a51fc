"""Multi-objective and constrained quality: hypervolume, IGD+ or regret, on ZDT, DTLZ and WFG.

The problems come from pymoo (a benchmark-only dependency): ZDT1-3 (2 objectives, 30
variables), DTLZ1-4 with 3 and 5 objectives, WFG1-4 with 3. Each (problem, seed) is one study
run to the largest budget; the indicator at a smaller budget is that of the trials up to it.
With 2-3 objectives the indicator is the hypervolume of the trials' non-dominated set against a
fixed reference point (the known front's nadir plus ``REFERENCE_MARGIN`` times its extent, wide
enough that runs of 300-1000 trials, far from the front, still score; higher is better); with
5 it is IGD+ to the known front (lower is better). Both are computed by pymoo, not by any
implementation under test. A Mann-Whitney U test per problem (p < 0.05) gives win / tie / loss,
as in the quality suite.

TPE runs its own problems (``TPE_PROBLEMS``): DTLZ2 and DTLZ7 with 2 and 3 objectives scored by
the hypervolume against the reference point 1.1 on the problem normalized by its front (the
front's nadir plus 0.1 times its extent), DTLZ2 with 5 and 9 objectives by IGD+ to a sampled
front (the positive unit sphere), and C2-DTLZ2 with 3 objectives and its constraint, scored by
the hypervolume of the feasible trials.

GP runs its own problems too (``GP_PROBLEMS``), at budgets 50 and 100: DTLZ2, DTLZ7 and
C2-DTLZ2 with 2 objectives, scored as TPE's (DTLZ7 with 10 variables rather than pymoo's 21,
C2-DTLZ2 with pymoo's 12), and three single-objective problems with constraints
(``_constrained``: Gardner et al. 2014, Gramacy et al. 2016, Hartmann-6 with a sum bound),
scored by the log10 regret of the best feasible value (lower is better; a run without a
feasible trial counts as +inf, last).

Full: ``python -m benchmarks moo --impls tansaku,optuna --samplers nsga2,nsga3,tpe`` (15
problems for NSGA-II/III, 7 for TPE, budgets 300 and 1000, 10 seeds), and
``python -m benchmarks moo --impls tansaku,optuna --samplers gp`` (6 problems, budgets 50 and
100, 10 seeds).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import _results, _stats, _tables
from benchmarks._impls import SAMPLER_LABELS
from benchmarks.suites import _constrained

TITLE = (
    "Multi-objective and constrained quality: hypervolume (higher is better), "
    "IGD+ or log10 regret (lower is better)"
)
PARALLEL_SAFE = True
SAMPLER_KINDS = ("nsga2", "nsga3", "tpe", "gp")
# name -> (pymoo problem, n_obj); the number of variables is pymoo's default (WFG: see _problem).
PROBLEMS: dict[str, tuple[str, int]] = {
    "zdt1": ("zdt1", 2),
    "zdt2": ("zdt2", 2),
    "zdt3": ("zdt3", 2),
    **{f"dtlz{i}-{m}": (f"dtlz{i}", m) for m in (3, 5) for i in range(1, 5)},
    **{f"wfg{i}-3": (f"wfg{i}", 3) for i in range(1, 5)},
}


# TPE's problems: name -> (pymoo problem, n_obj), each scored with ``TPE_REFERENCE_MARGIN``.
TPE_PROBLEMS: dict[str, tuple[str, int]] = {
    **{f"dtlz{i}-{m}": (f"dtlz{i}", m) for i in (2, 7) for m in (2, 3)},
    "dtlz2-5": ("dtlz2", 5),
    "dtlz2-9": ("dtlz2", 9),
    "c2dtlz2-3": ("c2dtlz2", 3),
}

# GP's multi-objective problems: name -> (pymoo problem, n_obj, n_var), scored as TPE's. GP's
# cost grows with the number of trials, not variables, but DTLZ7's default 21 variables would
# make it a different problem from the DTLZ2 one next to it; 10 keeps them alike.
GP_PROBLEMS: dict[str, tuple[str, int, int]] = {
    "dtlz2-2": ("dtlz2", 2, 10),
    "dtlz7-2": ("dtlz7", 2, 10),
    "c2dtlz2-2": ("c2dtlz2", 2, 12),
}
# ... and its single-objective problems with constraints (see ``_constrained``).
GP_CONSTRAINED = tuple(_constrained.PROBLEMS)

# Reference point margin, in extents of the known front, per problem family.
REFERENCE_MARGIN = {"zdt": 4.0, "dtlz1": 200.0, "dtlz3": 1000.0, "dtlz": 1.5, "wfg": 0.5}
# TPE's runs: the reference point 1.1 of the problem normalized by its front.
TPE_REFERENCE_MARGIN = 0.1


@dataclass(frozen=True)
class Preset:
    problems: tuple[str, ...]
    seeds: tuple[int, ...]
    budgets: tuple[int, ...]
    timeout_s: float
    tpe_problems: tuple[str, ...] = tuple(TPE_PROBLEMS)
    tpe_budgets: tuple[int, ...] = (300,)
    gp_problems: tuple[str, ...] = (*GP_PROBLEMS, *GP_CONSTRAINED)
    # Optuna's GP takes 20-35 CPU s per 100-trial run of these problems.
    gp_budgets: tuple[int, ...] = (50, 100)
    repeats: int = 1  # the seeds are the repeats


PRESETS = {
    "full": Preset(tuple(PROBLEMS), tuple(range(10)), (300, 1000), timeout_s=6 * 3600),
    "quick": Preset(
        ("zdt1", "dtlz2-3", "dtlz2-5", "wfg1-3"),
        (0, 1, 2),
        (300, 500),
        timeout_s=1800,
        tpe_problems=("dtlz2-3", "dtlz7-2", "dtlz2-5", "c2dtlz2-3"),
        tpe_budgets=(100, 300),
        gp_budgets=(30,),
    ),
    "smoke": Preset(
        ("zdt1",),
        (0, 1),
        (60,),
        timeout_s=300,
        tpe_problems=("dtlz7-2", "dtlz2-9", "c2dtlz2-3"),
        tpe_budgets=(30,),
        gp_problems=("c2dtlz2-2", "gramacy"),
        gp_budgets=(12,),  # two trials past the 10 random start-up ones
    ),
}


def config(preset: Preset) -> dict[str, Any]:
    return asdict(preset)


def plan(preset: Preset, samplers: tuple[str, ...] | None) -> list[dict[str, Any]]:
    kinds = [k for k in (samplers or SAMPLER_KINDS) if k in SAMPLER_KINDS]
    problems = {"tpe": preset.tpe_problems, "gp": preset.gp_problems}
    budgets = {"tpe": preset.tpe_budgets, "gp": preset.gp_budgets}
    return [
        {
            "sampler": kind,
            "problem": problem,
            "seeds": list(preset.seeds),
            "budgets": list(budgets.get(kind, preset.budgets)),
        }
        for kind in kinds
        for problem in problems.get(kind, preset.problems)
    ]


def describe(cell: dict[str, Any]) -> str:
    return f"{SAMPLER_LABELS[cell['sampler']]} / {cell['problem']}"


def _problem(name: str, kind: str = "nsga2") -> Any:
    from pymoo.problems import get_problem

    if kind == "gp":
        pymoo_name, n_obj, n_var = GP_PROBLEMS[name]
        return get_problem(pymoo_name, n_var=n_var, n_obj=n_obj)
    pymoo_name, n_obj = (TPE_PROBLEMS if kind == "tpe" else PROBLEMS)[name]
    if pymoo_name.startswith("zdt"):
        return get_problem(pymoo_name)
    if pymoo_name.startswith("wfg"):
        # 2 (n_obj - 1) position and 6 distance variables (WFG2 and 3 need an even number).
        return get_problem(pymoo_name, n_var=2 * (n_obj - 1) + 6, n_obj=n_obj)
    return get_problem(pymoo_name, n_obj=n_obj)


def _true_front(problem: Any) -> Any:
    if type(problem).__name__ == "DTLZ7":
        return _dtlz7_front(problem.n_obj)
    if problem.n_obj > 3:
        from pymoo.util.ref_dirs import get_reference_directions

        directions = get_reference_directions("das-dennis", problem.n_obj, n_partitions=6)
        return problem.pareto_front(directions)
    return problem.pareto_front()


def _dtlz7_front(n_obj: int, n_grid: int = 2001) -> Any:
    """DTLZ7's front, computed here (pymoo downloads it). With the distance variables at 0,
    f_i = x_i (i < m) and f_m = 2 m - sum_i x_i (1 + sin(3 pi x_i)); f_m separates over the
    x_i, so the front is the product of the 1-D pieces where x (1 + sin(3 pi x)) exceeds its
    value at every smaller x."""
    import itertools

    import numpy as np

    x = np.linspace(0.0, 1.0, n_grid)
    s = x * (1.0 + np.sin(3.0 * np.pi * x))
    record = s > np.maximum.accumulate(np.concatenate([[-np.inf], s[:-1]]))
    pieces = x[record]
    if n_obj > 2:  # a product grid of 50 values per axis is enough for the front's bounds
        pieces = pieces[np.linspace(0, len(pieces) - 1, 50).astype(int)]
    rows = np.array(list(itertools.product(pieces, repeat=n_obj - 1)))
    last = 2.0 * n_obj - (rows * (1.0 + np.sin(3.0 * np.pi * rows))).sum(axis=1)
    return np.column_stack([rows, last])


def _margin(name: str) -> float:
    family = PROBLEMS[name][0]
    for prefix in (family, family.rstrip("0123456789")):
        if prefix in REFERENCE_MARGIN:
            return REFERENCE_MARGIN[prefix]
    raise KeyError(name)


def indicator(name: str, problem: Any, front: Any, kind: str = "nsga2") -> tuple[str, Any]:
    """("hv", fn) or ("igd+", fn): the indicator of a problem, as a function of values."""
    import numpy as np

    if problem.n_obj > 3:
        from pymoo.indicators.igd_plus import IGDPlus

        return "igd+", IGDPlus(front)
    from pymoo.indicators.hv import HV

    extent = np.maximum(front.max(axis=0) - front.min(axis=0), 1e-9)
    margin = TPE_REFERENCE_MARGIN if kind in ("tpe", "gp") else _margin(name)
    hv = HV(ref_point=front.max(axis=0) + margin * extent)
    return "hv", hv


def run_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    kind = task["sampler"]
    if kind == "gp" and task["problem"] in GP_CONSTRAINED:
        return _constrained.run(impl, kind, task["problem"], task["seeds"], task["budgets"])
    problem = _problem(task["problem"], kind)
    front = _true_front(problem)
    kind_of_metric, metric = indicator(task["problem"], problem, front, kind)
    budgets = task["budgets"]
    low, high = problem.xl, problem.xu
    names = [f"x{i}" for i in range(problem.n_var)]
    constrained = problem.n_ieq_constr > 0
    extra = {"constraints_func": _constrained.stored_constraints} if constrained else {}
    results = []
    for seed in task["seeds"]:
        study = impl.create_study(
            sampler=impl.sampler(kind, seed=seed, **extra),
            directions=["minimize"] * problem.n_obj,
        )
        values = []
        at_budget = {}
        for n in range(1, max(budgets) + 1):
            trial = study.ask()
            x = np.array([trial.suggest_float(nm, lo, hi) for nm, lo, hi in zip(names, low, high)])
            if constrained:
                f, g = problem.evaluate(x[None, :], return_values_of=["F", "G"])
                f, g = f[0], g[0]
                trial.set_user_attr("constraints", [float(v) for v in g])
            else:
                f, g = problem.evaluate(x[None, :])[0], np.zeros(0)
            study.tell(trial, [float(v) for v in f])
            if np.all(g <= 0.0):  # only feasible trials score
                values.append(f)
            if n in budgets:
                scored = np.array(values) if values else front.max(axis=0)[None, :] * 1e6
                at_budget[str(n)] = float(metric(scored))
        results.append({"seed": seed, "value": at_budget})
    return {"metric": kind_of_metric, "results": results}


LOWER_IS_BETTER = frozenset({"igd+", _constrained.METRIC})


def summarize(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Per (sampler, problem, budget): values per implementation and rank tests."""
    impls = doc["impls"]
    base = impls[0]
    values: dict[tuple[str, str, int], dict[str, list[float]]] = {}
    metrics: dict[tuple[str, str], str] = {}
    for run in doc["runs"]:
        if run["status"] != "ok":
            continue
        metrics[(run["cell"]["sampler"], run["cell"]["problem"])] = run["data"]["metric"]
        for result in run["data"]["results"]:
            for budget, value in result["value"].items():
                key = (run["cell"]["sampler"], run["cell"]["problem"], int(budget))
                # null: no feasible trial (a regret), which ranks last.
                score = math.inf if value is None else value
                values.setdefault(key, {}).setdefault(run["impl"], []).append(score)
    rows = []
    for (kind, problem, budget), per_impl in sorted(values.items()):
        metric = metrics[(kind, problem)]
        lower = metric in LOWER_IS_BETTER
        row: dict[str, Any] = {
            "sampler": kind,
            "problem": problem,
            "budget": budget,
            "metric": metric,
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
        "(p < 0.05) per problem and budget. hv: higher is better; igd+: lower is better; "
        f"{_constrained.METRIC}: of the best feasible value, floored at "
        f"{_constrained.REGRET_FLOOR:g}, lower is better, ∞ when a run found no feasible trial.",
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
