"""Quality: final log10 regret on the 24 noiseless BBOB functions and on a tabulated HPO task.

The BBOB functions come from the COCO platform (``cocoex``); each instance is a seed, so
each problem (function, dimension, budget) has one regret per instance and implementation.
A Mann-Whitney U test per problem (p < 0.05) decides who wins; otherwise it is a tie. Nothing
is timed here, so measurements may run side by side (``--jobs``).

Each (function, dim, instance) is one study run to the largest budget; the regret at a smaller
budget is the best value so far at that trial of the same run. This equals a separate run with
the smaller budget because no sampler here reads the budget: a trial's suggestion depends only
on the seed and the history before it.

The full preset runs the TPE variants on dims 2, 5 and 10 only, the problem set on which
TPESampler is judged against Optuna's (24 functions x 3 dims x 2 budgets = 144 problems):
``python -m benchmarks quality --impls tansaku,optuna --samplers tpe``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import _results, _stats, _tables
from benchmarks._impls import OPT_IN_SAMPLERS, SAMPLER_LABELS, SAMPLERS

TITLE = "Quality: final log10 regret (lower is better)"
PARALLEL_SAFE = True
REGRET_FLOOR = 1e-8  # COCO's final target precision
DOMAIN = (-5.0, 5.0)  # the BBOB search box


@dataclass(frozen=True)
class Preset:
    functions: tuple[int, ...]
    dims: tuple[int, ...]
    instances: tuple[int, ...]
    budgets: tuple[int, ...]
    functions_per_task: int
    timeout_s: float
    # Optuna's GP costs ~2 minutes per 300-trial run (and ~0.1 s per trial at 50 trials), so
    # GP gets its own, smaller budgets where the others' would not fit the mode's time.
    gp_budgets: tuple[int, ...] | None = None
    repeats: int = 1  # instances are the seeds
    # (sampler, dims) pairs that replace ``dims`` for those samplers.
    sampler_dims: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def dims_for(self, kind: str) -> tuple[int, ...]:
        """The dimensions that sampler ``kind`` runs in this preset."""
        return dict(self.sampler_dims).get(kind, self.dims)


PRESETS = {
    "full": Preset(
        functions=tuple(range(1, 25)),
        dims=(2, 5, 10, 20),
        instances=tuple(range(1, 11)),
        budgets=(100, 300),
        functions_per_task=6,
        timeout_s=24 * 3600,
        gp_budgets=(100,),
        sampler_dims=(("tpe", (2, 5, 10)), ("tpe_indep", (2, 5, 10))),
    ),
    "quick": Preset(
        functions=(1, 8, 15, 21),
        dims=(2, 5),
        instances=(1, 2, 3, 4, 5),
        budgets=(50,),
        functions_per_task=2,
        timeout_s=900,
        gp_budgets=(30,),
    ),
    "smoke": Preset(
        functions=(15,),
        dims=(2,),
        instances=(1, 2, 3, 4),
        budgets=(15,),
        functions_per_task=2,
        timeout_s=300,
        gp_budgets=(12,),
    ),
}


def config(preset: Preset) -> dict[str, Any]:
    return asdict(preset)


def prepare(preset: Preset) -> None:
    """Build the HPO table once, before workers that read it start side by side."""
    from benchmarks.suites import _hpo

    _hpo.load_table()


def plan(preset: Preset, samplers: tuple[str, ...] | None) -> list[dict[str, Any]]:
    cells = []
    for kind in samplers or tuple(k for k in SAMPLERS if k not in OPT_IN_SAMPLERS):
        budgets = list(preset.gp_budgets if kind == "gp" and preset.gp_budgets else preset.budgets)
        common = {"sampler": kind, "instances": list(preset.instances), "budgets": budgets}
        step = preset.functions_per_task
        for dim in preset.dims_for(kind):
            for start in range(0, len(preset.functions), step):
                chunk = list(preset.functions[start : start + step])
                cells.append({**common, "problem": "bbob", "dim": dim, "functions": chunk})
        cells.append({**common, "problem": "hpo"})
    return cells


def describe(cell: dict[str, Any]) -> str:
    label = SAMPLER_LABELS[cell["sampler"]]
    if cell["problem"] == "hpo":
        return f"{label} / HPO"
    first, last = cell["functions"][0], cell["functions"][-1]
    return f"{label} / d={cell['dim']} " + (f"f{first}" if first == last else f"f{first}-f{last}")


def _log_regret(regret: float) -> float:
    return math.log10(max(regret, REGRET_FLOOR))


def _optimize(impl: Any, kind: str, seed: int, budgets: list[int], evaluate: Any) -> dict:
    """Run one study to the largest budget; the best value so far at each budget."""
    study = impl.create_study(sampler=impl.sampler(kind, seed=seed), direction="minimize")
    best = math.inf
    at_budget = {}
    for n in range(1, max(budgets) + 1):
        trial = study.ask()
        value = evaluate(trial)
        study.tell(trial, value)
        best = min(best, value)
        if n in budgets:
            at_budget[str(n)] = best
    return at_budget


def run_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    kind, budgets = task["sampler"], task["budgets"]
    results = []
    if task["problem"] == "hpo":
        from benchmarks.suites import _hpo

        table = _hpo.load_table()
        optimum = min(table.values())
        for seed in task["instances"]:
            best = _optimize(impl, kind, seed, budgets, lambda t: _hpo.objective(t, table))
            regrets = {n: _log_regret(v - optimum) for n, v in best.items()}
            results.append({"problem": "hpo", "instance": seed, "log10_regret": regrets})
        return {"results": results}

    import cocoex
    import numpy as np

    dim = task["dim"]
    names = [f"x{i}" for i in range(dim)]
    for function in task["functions"]:
        for instance in task["instances"]:
            problem = cocoex.BareProblem("bbob", function, dim, instance)
            optimum = problem.best_value()

            def evaluate(trial: Any, problem: Any = problem) -> float:
                x = np.array([trial.suggest_float(name, *DOMAIN) for name in names])
                return float(problem(x))

            best = _optimize(impl, kind, instance, budgets, evaluate)
            regrets = {n: _log_regret(v - optimum) for n, v in best.items()}
            problem_id = f"f{function:02d}-d{dim:02d}"
            results.append({"problem": problem_id, "instance": instance, "log10_regret": regrets})
    return {"results": results}


def summarize(doc: dict[str, Any]) -> dict[str, Any]:
    """Per sampler and problem: regrets per implementation and rank tests of the first one."""
    impls = doc["impls"]
    base = impls[0]
    regrets: dict[tuple[str, str, int], dict[str, list[float]]] = {}
    for run in doc["runs"]:
        if run["status"] != "ok":
            continue
        for result in run["data"]["results"]:
            for budget, value in result["log10_regret"].items():
                key = (run["cell"]["sampler"], result["problem"], int(budget))
                regrets.setdefault(key, {}).setdefault(run["impl"], []).append(value)
    problems = []
    for (kind, problem, budget), per_impl in sorted(regrets.items()):
        row: dict[str, Any] = {"sampler": kind, "problem": problem, "budget": budget}
        row["summary"] = {
            impl: s.as_dict() for impl in impls if (s := _stats.summarize(per_impl.get(impl, [])))
        }
        row["versus"] = {}
        for other in impls[1:]:
            if base in per_impl and other in per_impl:
                verdict, p_value = _stats.rank_compare(per_impl[base], per_impl[other])
                row["versus"][other] = {"verdict": verdict, "p": p_value}
        problems.append(row)
    return {"problems": problems, "status": _sampler_status(doc)}


def _sampler_status(doc: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Per sampler and implementation: "ok" if any of its cells ran, else why none did."""
    status: dict[str, dict[str, str]] = {}
    for run in doc["runs"]:
        current = status.setdefault(run["cell"]["sampler"], {})
        if current.get(run["impl"]) != "ok":
            current[run["impl"]] = run["status"]
    return status


def _sampler_rows(doc: dict[str, Any], summary: dict[str, Any]) -> list[list[str]]:
    impls = doc["impls"]
    rows = []
    for kind in SAMPLERS:
        mine = [p for p in summary["problems"] if p["sampler"] == kind]
        status = summary["status"].get(kind)
        if status is None:
            continue
        cells = [SAMPLER_LABELS[kind], str(len(mine))]
        for impl in impls:
            medians = [p["summary"][impl]["median"] for p in mine if impl in p["summary"]]
            mean = sum(medians) / len(medians) if medians else None
            cells.append(_tables.number(mean) if mean is not None else status.get(impl, "—"))
        for other in impls[1:]:
            verdicts = [p["versus"][other]["verdict"] for p in mine if other in p["versus"]]
            if verdicts:
                counts = [verdicts.count(v) for v in ("win", "tie", "loss")]
                cells.append("/".join(str(c) for c in counts))
            else:
                cells.append(_tables.DASH)
        rows.append(cells)
    return rows


def render(doc: dict[str, Any], detail: bool = True) -> str:
    impls = doc["impls"]
    base = impls[0]
    summary = summarize(doc)
    headers = ["sampler", "problems"]
    headers += [f"{impl} mean log10 regret" for impl in impls]
    headers += [f"{base} vs {other} W/T/L" for other in impls[1:]]
    cfg = doc["config"]
    parts = [
        _results.header(doc, TITLE),
        f"BBOB {_function_list(cfg['functions'])}, dims {_dims_text(cfg, summary)}, "
        f"budgets {', '.join(map(str, cfg['budgets']))}, {len(cfg['instances'])} instances, "
        "plus the tabulated HPO task. A problem is one (function, dim, budget). Regret is "
        f"floored at {REGRET_FLOOR:g}. Mean of per-problem medians; W/T/L counts problems "
        f"where {base} is better / not different / worse (Mann-Whitney U, p < 0.05).",
        _tables.markdown_table(headers, _sampler_rows(doc, summary)),
    ]
    breakdown = _breakdown(doc, summary)
    if breakdown:
        parts.append(breakdown)
    versus = _samplers_versus(doc)
    if versus:
        parts.append(_versus_table(doc, versus))
    if cfg.get("gp_budgets") and "gp" in summary["status"]:
        budgets = ", ".join(map(str, cfg["gp_budgets"]))
        parts.append(f"GP runs budget {budgets} in this mode, to fit its time.")
    if detail:
        parts.append(_detail(doc, summary))
        if versus:
            parts.append(_versus_detail(doc, versus))
    parts.append(_tables.notes("Not measured", _results.problem_notes(doc, describe)))
    return "\n\n".join(p for p in parts if p)


def _breakdown(doc: dict[str, Any], summary: dict[str, Any]) -> str:
    """Per sampler: mean log10 regret and W/T/L by BBOB dimension and budget, then overall."""
    impls = doc["impls"]
    base = impls[0]
    headers = ["sampler", "dim", "budget", "problems"]
    headers += [f"{impl} mean" for impl in impls]
    headers += [f"vs {other} W/T/L" for other in impls[1:]]
    rows = []
    for kind in SAMPLERS:
        bbob = [p for p in summary["problems"] if p["sampler"] == kind and p["problem"] != "hpo"]
        if not bbob:
            continue
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for p in bbob:
            dim = str(int(p["problem"].split("-d")[1]))
            groups.setdefault((dim, str(p["budget"])), []).append(p)
        by_dim = sorted(groups.items(), key=lambda item: (int(item[0][0]), int(item[0][1])))
        for (dim, budget), mine in [*by_dim, (("all", "all"), bbob)]:
            cells = [SAMPLER_LABELS[kind], dim, budget, str(len(mine))]
            for impl in impls:
                medians = [p["summary"][impl]["median"] for p in mine if impl in p["summary"]]
                cells.append(_tables.number(sum(medians) / len(medians)) if medians else "—")
            for other in impls[1:]:
                verdicts = [p["versus"][other]["verdict"] for p in mine if other in p["versus"]]
                cells.append("/".join(str(verdicts.count(v)) for v in ("win", "tie", "loss")))
            rows.append(cells)
    if not rows:
        return ""
    return (
        f"### BBOB by dimension and budget ({base} W/T/L; means of per-problem medians)\n\n"
        + _tables.markdown_table(headers, rows)
    )


def _sampler_order(doc: dict[str, Any]) -> list[str]:
    """The samplers with results of the first implementation: in ``--samplers`` order when the
    run named them (so ``--samplers gp,tpe`` puts GP first), else in ``SAMPLERS`` order."""
    base = doc["impls"][0]
    ran = {r["cell"]["sampler"] for r in doc["runs"] if r["impl"] == base and r["status"] == "ok"}
    argv = list(doc.get("env", {}).get("argv", []))
    named: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--samplers" and i + 1 < len(argv):
            named = argv[i + 1].split(",")
        elif arg.startswith("--samplers="):
            named = arg.partition("=")[2].split(",")
    named = [k.strip() for k in named]
    return [k for k in named if k in ran] + [k for k in SAMPLERS if k in ran and k not in named]


def _function_group(problem: str) -> str:
    """f1-f14 (separable, moderate and ill-conditioned: smooth), f15-f24 (multi-modal), HPO."""
    if problem == "hpo":
        return "HPO"
    return "f1–f14" if int(problem[1:3]) <= 14 else "f15–f24"


def _samplers_versus(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The first implementation's first sampler against each of its other samplers.

    One row per (other sampler, problem, budget) that both samplers ran: the two samplers'
    regrets and the Mann-Whitney U verdict of the first one (p < 0.05). Empty when the
    document holds a single sampler for the first implementation.
    """
    base = doc["impls"][0]
    order = _sampler_order(doc)
    if len(order) < 2:
        return []
    regrets: dict[tuple[str, str, int], list[float]] = {}
    for run in doc["runs"]:
        if run["impl"] != base or run["status"] != "ok":
            continue
        for result in run["data"]["results"]:
            for budget, value in result["log10_regret"].items():
                key = (run["cell"]["sampler"], result["problem"], int(budget))
                regrets.setdefault(key, []).append(value)
    first = order[0]
    rows = []
    for other in order[1:]:
        for kind, problem, budget in sorted(regrets):
            if kind != first or (other, problem, budget) not in regrets:
                continue
            ours, theirs = regrets[(first, problem, budget)], regrets[(other, problem, budget)]
            verdict, p_value = _stats.rank_compare(ours, theirs)
            rows.append(
                {
                    "first": first,
                    "other": other,
                    "problem": problem,
                    "budget": budget,
                    "summary": {
                        first: _stats.summarize(ours),
                        other: _stats.summarize(theirs),
                    },
                    "verdict": verdict,
                    "p": p_value,
                }
            )
    return rows


def _versus_table(doc: dict[str, Any], versus: list[dict[str, Any]]) -> str:
    """Per other sampler, function group and budget: means of medians and W/T/L."""
    base = doc["impls"][0]
    first = versus[0]["first"]
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    order = {"f1–f14": 0, "f15–f24": 1, "HPO": 2}
    for row in versus:
        group = _function_group(row["problem"])
        groups.setdefault((row["other"], group, str(row["budget"])), []).append(row)
        groups.setdefault((row["other"], "all", "all"), []).append(row)
    others = list(dict.fromkeys(row["other"] for row in versus))
    keys = sorted(
        groups,
        key=lambda k: (others.index(k[0]), k[1] == "all", order.get(k[1], 3), _budget_key(k[2])),
    )
    label = SAMPLER_LABELS[first]
    headers = ["versus", "functions", "budget", "problems", f"{label} mean", "other mean", "W/T/L"]
    body = []
    for other, group, budget in keys:
        mine = groups[(other, group, budget)]
        means = [
            sum(r["summary"][kind].median for r in mine) / len(mine) for kind in (first, other)
        ]
        verdicts = [r["verdict"] for r in mine]
        body.append(
            [
                f"{SAMPLER_LABELS[first]} vs {SAMPLER_LABELS[other]}",
                group,
                budget,
                str(len(mine)),
                _tables.number(means[0]),
                _tables.number(means[1]),
                "/".join(str(verdicts.count(v)) for v in ("win", "tie", "loss")),
            ]
        )
    return (
        f"### {SAMPLER_LABELS[first]} against {base}'s other samplers\n\n"
        f"{base} only; problems both samplers ran. Means of per-problem median log10 regrets; "
        f"W/T/L counts problems where {SAMPLER_LABELS[first]} is better / not different / "
        "worse (Mann-Whitney U, p < 0.05).\n\n" + _tables.markdown_table(headers, body)
    )


def _budget_key(budget: str) -> int:
    return int(budget) if budget.isdigit() else 1 << 30  # "all" last


def _versus_detail(doc: dict[str, Any], versus: list[dict[str, Any]]) -> str:
    """Per problem: the two samplers' median [min–max] log10 regrets and the verdict."""
    base = doc["impls"][0]
    first = versus[0]["first"]
    sections = [f"### Per problem: {SAMPLER_LABELS[first]} against {base}'s other samplers"]
    for other in dict.fromkeys(row["other"] for row in versus):
        headers = ["problem", "budget", SAMPLER_LABELS[first], SAMPLER_LABELS[other], "verdict"]
        body = [
            [
                row["problem"],
                str(row["budget"]),
                _tables.spread(row["summary"][first].as_dict(), 2),
                _tables.spread(row["summary"][other].as_dict(), 2),
                f"{row['verdict']} (p={row['p']:.2g})",
            ]
            for row in versus
            if row["other"] == other
        ]
        title = f"#### {SAMPLER_LABELS[first]} vs {SAMPLER_LABELS[other]} ({base})"
        sections.append(f"{title}\n\n" + _tables.markdown_table(headers, body))
    return "\n\n".join(sections)


def _dims_text(cfg: dict[str, Any], summary: dict[str, Any]) -> str:
    """The dims of the run, with the per-sampler dims of the samplers that ran."""
    ran = summary["status"]
    special = {kind: dims for kind, dims in cfg.get("sampler_dims", []) if kind in ran}
    text = ", ".join(map(str, cfg["dims"])) if set(ran) - set(special) else ""
    for kind, dims in special.items():
        text += f"{'; ' if text else ''}{', '.join(map(str, dims))} for {SAMPLER_LABELS[kind]}"
    return text


def _function_list(functions: list[int]) -> str:
    if functions == list(range(functions[0], functions[-1] + 1)) and len(functions) > 2:
        return f"f{functions[0]}–f{functions[-1]}"
    return ", ".join(f"f{f}" for f in functions)


def _detail(doc: dict[str, Any], summary: dict[str, Any]) -> str:
    impls = doc["impls"]
    base = impls[0]
    headers = ["problem", "budget", *impls, *(f"{base} vs {other}" for other in impls[1:])]
    sections = ["### Per problem: median [min–max] log10 regret over instances"]
    for kind in SAMPLERS:
        rows = []
        for p in (p for p in summary["problems"] if p["sampler"] == kind):
            cells = [p["problem"], str(p["budget"])]
            status = summary["status"].get(kind, {})
            cells += [
                _tables.spread(p["summary"][impl], 2)
                if impl in p["summary"]
                else status.get(impl, _tables.DASH)
                for impl in impls
            ]
            for other in impls[1:]:
                versus = p["versus"].get(other)
                text = f"{versus['verdict']} (p={versus['p']:.2g})" if versus else _tables.DASH
                cells.append(text)
            rows.append(cells)
        if rows:
            sections.append(
                f"#### {SAMPLER_LABELS[kind]}\n\n" + _tables.markdown_table(headers, rows)
            )
    return "\n\n".join(sections)


def headline(doc: dict[str, Any]) -> list[str]:
    impls = doc["impls"]
    summary = summarize(doc)
    lines = []
    for other in impls[1:]:
        verdicts = [
            p["versus"][other]["verdict"] for p in summary["problems"] if other in p["versus"]
        ]
        if verdicts:
            counts = "/".join(str(verdicts.count(v)) for v in ("win", "tie", "loss"))
            lines.append(f"{impls[0]} vs {other}: W/T/L {counts} over {len(verdicts)} problems")
    missing = [
        SAMPLER_LABELS[kind]
        for kind, status in summary["status"].items()
        if status.get(impls[0]) == "missing"
    ]
    if missing:
        lines.append(f"{impls[0]} missing samplers: {', '.join(missing)}")
    return lines
