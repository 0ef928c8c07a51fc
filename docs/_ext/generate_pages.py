"""Write the documentation pages that are generated from data kept in the repository.

Run by the docs build (``tansaku_docs``) before Sphinx reads the sources, or by hand:
``python docs/_ext/generate_pages.py docs/_generated``. Every number on these pages comes from
a file; none is typed here, so the pages stay true when the files change.

- ``choosing.rst``: "Choosing a sampler and a pruner", from ``benchmarks/results/**/*.json``
  through the benchmark suites' own ``summarize`` functions (the same numbers as their tables).
- ``differences.rst``: "Differences from Optuna", from the compat tests' list
  (``tests/compat/deliberate_differences.toml``).
- ``cli.rst``: the ``tansaku`` command line, from its argument parser.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tomllib

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
DIFFERENCES = ROOT / "tests" / "compat" / "deliberate_differences.toml"

# What each sampler and pruner is for: prose, not measurements. A sampler or pruner that the
# library exports but the benchmarks do not measure is listed as such (see _unmeasured).
SAMPLER_PURPOSE = {
    "tpe": "The default. Models good and bad trials separately; handles mixed, conditional and "
    "variable-length spaces, several objectives and constraints.",
    "cmaes": "Continuous (and integer) spaces with a larger budget; learns correlations between "
    "parameters. Restarts (IPOP/BIPOP) and warm start from an earlier study.",
    "gp": "Small budgets of costly trials (tens to a few hundred) in low-dimensional spaces: "
    "Bayesian optimization with Gaussian processes, one or several objectives, constraints. "
    "Each suggestion fits the GPs, so it takes longer than TPE's.",
    "cfo": "Objectives whose cost grows with some params (trees, epochs, layers): starts at a "
    "low-cost point and moves by small random steps, so costly settings are paid for only as "
    "far as they help. Pass the low-cost values and record each trial's cost.",
    "blendsearch": "Like CFO, with TPE proposals as new starting points: less stuck on one "
    "local search, at some extra cost.",
    "qmc": "Space-filling low-discrepancy points (Sobol, Halton): a better random search, and "
    "a good start for another sampler.",
    "nsga2": "Several objectives, a large budget, cheap trials: an evolutionary search of the "
    "Pareto front.",
    "nsga3": "Many objectives (three or more): NSGA-II with reference points that keep the front "
    "spread out.",
    "random": "A baseline, and the fastest way to explore when trials run in parallel.",
}
PRUNER_PURPOSE = {
    "nop": "Never prunes (the baseline).",
    "median": "Prunes a trial whose intermediate value is worse than the median of earlier "
    "trials at the same step. A safe default.",
    "percentile": "Like the median pruner at another percentile: lower is more aggressive.",
    "sha": "Successive halving (ASHA): keeps the top 1/η at each rung. Aggressive; good when "
    "early values rank trials well.",
    "hyperband": "Several successive-halving brackets with different aggressiveness: less "
    "sensitive to how well early values predict final ones.",
    "threshold": "Prunes values outside fixed bounds (divergence, NaN).",
    "patient": "Wraps another pruner and waits until a trial has not improved for some steps.",
    "wilcoxon": "For objectives that are a mean over instances (folds, problems): a signed-rank "
    "test against the best trial.",
}


def _benchmarks() -> Any:
    """Import the benchmark suites (they live at the repository root, beside ``tansaku``)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks import _impls
    from benchmarks.suites import moo, overhead, pruning, quality

    return _impls, overhead, quality, moo, pruning


def _documents(suite: str) -> list[dict[str, Any]]:
    """Every stored result document of ``suite``, oldest first (a later one wins per cell)."""
    docs = []
    for path in sorted(RESULTS.rglob("*.json")):
        doc = json.loads(path.read_text())
        if doc.get("suite") == suite:
            doc["_path"] = path.relative_to(ROOT).as_posix()
            docs.append(doc)
    return sorted(docs, key=lambda d: d["created"])


def _number(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "—"
    if value == float("inf"):
        return "∞"
    return f"{value:.{digits}g}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    if not rows:
        return ["*(no results)*", ""]
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in [headers, *rows]:
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {cell}" for cell in row[1:])
    return [*lines, ""]


def _wtl(verdicts: list[str | None]) -> str:
    """Win/tie/loss counts of rank-test verdicts, as "W/T/L"."""
    return "/".join(str(verdicts.count(v)) for v in ("win", "tie", "loss"))


def _heading(title: str, underline: str) -> list[str]:
    return [title, underline * len(title), ""]


def _sources(docs: list[dict[str, Any]]) -> str:
    return ", ".join(f"``{d['_path']}`` ({d['mode']}, {d['created'][:10]})" for d in docs)


def _median(summary: dict[str, Any], impl: str = "tansaku") -> float | None:
    entry = summary.get(impl)
    return None if entry is None else entry["median"]


def _cost_section(
    labels: dict[str, str], overhead: Any, facts: dict[str, Any]
) -> tuple[list[str], set[str]]:
    docs = _documents("overhead")
    rows: dict[tuple[str, str, int], dict[str, Any]] = {}
    for doc in docs:
        for row in overhead.summarize(doc):
            if row["status"].get("tansaku") == "ok":
                key = (overhead._label(row["sampler"], row["objectives"]), row["space"], row["n"])
                rows[key] = row
    out = _heading("Cost per trial", "-")
    out += [
        "CPU milliseconds that one trial spends in the sampler and the storage (``ask`` plus "
        "``tell``, in-memory storage), measured over the last 10% of a study of *n* trials; "
        "median over repeats, each in a fresh process. Compare it with the time your objective "
        "takes: when a trial trains a model for minutes, any of these is negligible; when it "
        "takes milliseconds, the sampler's cost decides how many trials you get.",
        "",
        f"Source: {_sources(docs)}.",
        "",
    ]
    ns = sorted({n for (_, _, n) in rows})
    table = []
    for label, space in sorted({(k[0], k[1]) for k in rows}):
        cells = [
            _number(_median(rows[(label, space, n)]["cpu"]["summary"]))
            if (label, space, n) in rows
            else "—"
            for n in ns
        ]
        table.append([label, _space_label(space), *cells])
    out += _table(["sampler", "space", *[f"n = {n}" for n in ns]], table)
    measured = {k for k, v in labels.items() if any(key[0].startswith(v) for key in rows)}
    facts["cost"] = {key: _median(row["cpu"]["summary"]) for key, row in rows.items()}
    return out, measured


def _space_label(space: str) -> str:
    _, overhead, *_ = _benchmarks()
    from benchmarks.suites._spaces import SPACE_LABELS

    return SPACE_LABELS.get(space, space)


def _quality_section(
    labels: dict[str, str], quality: Any, facts: dict[str, Any]
) -> tuple[list[str], set[str]]:
    docs = _documents("quality")
    problems: dict[tuple[str, str, int], dict[str, Any]] = {}
    for doc in docs:
        for row in quality.summarize(doc)["problems"]:
            problems[(row["sampler"], row["problem"], row["budget"])] = row
    out = _heading("Search quality", "-")
    out += [
        "Final log10 regret (the distance to the optimum; lower is better) on the 24 BBOB "
        "functions, 10 instances each, and on a tabulated hyperparameter-optimization task. "
        "Each cell is the mean, over the functions, of the median over instances. W/T/L counts "
        "the problems where tansaku's sampler is better than, not different from, or worse than "
        "Optuna's same sampler (Mann-Whitney U, p < 0.05). Two samplers can be compared where "
        "both ran at the same dimension and budget.",
        "",
        f"Source: {_sources(docs)}.",
        "",
    ]
    cells: dict[tuple[str, int, int], list[float]] = {}
    versus: dict[str, list[str | None]] = {}
    hpo: dict[tuple[str, int], float] = {}
    for (kind, problem, budget), row in problems.items():
        value = _median(row["summary"])
        if value is None:
            continue
        verdict = row["versus"].get("optuna", {}).get("verdict")
        if verdict:
            versus.setdefault(kind, []).append(verdict)
        if problem.startswith("f") and "-d" in problem:
            dim = int(problem.split("-d")[1])
            cells.setdefault((kind, dim, budget), []).append(value)
        else:
            hpo[(kind, budget)] = value
    kinds = sorted({k for (k, _, _) in cells})
    columns = sorted({(d, b) for (_, d, b) in cells})
    # One row per (dimension, budget), one column per sampler: narrow enough for a phone.
    table = []
    for dim, budget in columns:
        row = [f"{dim}", f"{budget}"]
        for kind in kinds:
            values = cells.get((kind, dim, budget))
            row.append(_number(statistics.fmean(values)) if values else "—")
        table.append(row)
    out += _table(["dim", "trials", *[labels.get(k, k) for k in kinds]], table)
    out += ["Against Optuna's same sampler, over all problems (W/T/L):", ""]
    out += _table(
        ["sampler", "W/T/L"],
        [
            [
                labels.get(k, k),
                _wtl(versus.get(k, [])),
            ]
            for k in kinds
        ],
    )
    if hpo:
        out += ["Tabulated HPO task, final log10 regret:", ""]
        out += _table(
            ["sampler", "budget", "log10 regret"],
            [[labels.get(k, k), str(b), _number(v)] for (k, b), v in sorted(hpo.items())],
        )
    facts["quality"] = (cells, columns, hpo)
    return out, set(kinds)


def _budget_answers(
    labels: dict[str, str],
    cells: dict[tuple[str, int, int], list[float]],
    columns: list[tuple[int, int]],
) -> list[str]:
    """One sentence per (dimension, budget) measured for two or more samplers: who did best."""
    lines = []
    for dim, budget in columns:
        scored = sorted(
            (statistics.fmean(v), labels.get(k, k))
            for (k, d, b), v in cells.items()
            if (d, b) == (dim, budget)
        )
        if len(scored) > 1:
            ranking = ", then ".join(f"{name} ({_number(value)})" for value, name in scored)
            lines.append(f"- {dim} dimensions, {budget} trials: {ranking}.")
    return lines


def _moo_section(
    labels: dict[str, str], moo: Any, facts: dict[str, Any]
) -> tuple[list[str], set[str]]:
    docs = _documents("moo")
    rows = [row for doc in docs for row in moo.summarize(doc)]
    out = _heading("Several objectives", "-")
    out += [
        "Hypervolume (higher is better) or IGD+ (lower is better) after the budget on the ZDT, "
        "DTLZ and WFG problems, 10 seeds. W/T/L against Optuna's same sampler.",
        "",
        f"Source: {_sources(docs)}.",
        "",
    ]
    table = []
    for kind in sorted({r["sampler"] for r in rows}):
        for budget in sorted({r["budget"] for r in rows if r["sampler"] == kind}):
            mine = [r for r in rows if r["sampler"] == kind and r["budget"] == budget]
            verdicts = [r["versus"].get("optuna", {}).get("verdict") for r in mine]
            table.append(
                [
                    labels.get(kind, kind),
                    str(budget),
                    str(len(mine)),
                    _wtl(verdicts),
                ]
            )
    out += _table(["sampler", "budget", "problems", "vs Optuna W/T/L"], table)
    facts["moo"] = table
    return out, {r["sampler"] for r in rows}


# Samplers measured by benchmarks/cost_frugal.py (its own script, not a suite), and how its
# result file names them.
COST_FRUGAL_METHODS = {"cfo": "tansaku CFO", "blendsearch": "tansaku BlendSearch"}
COST_FRUGAL_LABELS = {"cfo": "CFO", "blendsearch": "BlendSearch"}


def _cost_frugal_section() -> tuple[list[str], set[str]]:
    """Total cost to reach a target, from ``benchmarks/results/cost_frugal.json``."""
    path = RESULTS / "cost_frugal.json"
    if not path.exists():
        return [], set()
    doc = json.loads(path.read_text())
    args, costs = doc["args"], doc["costs"]
    out = _heading("Cost-frugal search", "-")
    out += [
        f"Total cost of the trials until one reaches the target accuracy {args['target']}, "
        f"{_cost_frugal_limit(args)}, {args['seeds']} seeds; lower is better, ∞ when the "
        "target was not reached. ``benchmarks/results/cost_frugal.md`` describes the problem "
        "and the cost, and reads the result.",
        "",
    ]
    rows = []
    for method, values in costs.items():
        reached = [v for v in values if v != float("inf")]
        rows.append(
            [
                method,
                f"{len(reached)}/{len(values)}",
                _number(min(reached) if reached else None, 6),
                _number(statistics.median(values), 6),
            ]
        )
    out += _table(["method", "reached", "cheapest", "median"], rows)
    out += [f"Source: ``{path.relative_to(ROOT).as_posix()}``.", ""]
    return out, {k for k, name in COST_FRUGAL_METHODS.items() if name in costs}


def _cost_frugal_limit(args: dict[str, Any]) -> str:
    """How a run of the cost-frugal benchmark was limited: a cost budget, else a trial count."""
    if "budget" in args:
        return f"within a cost budget of {args['budget']:,.0f} per run"
    return f"at most {args['trials']} trials"


def _pruning_section(pruning: Any, labels: dict[str, str]) -> tuple[list[str], set[str]]:
    docs = _documents("pruning")
    doc = docs[-1] if docs else None
    out = _heading("Pruners", "-")
    if doc is None:
        return [*out, "*(no pruning results)*", ""], set()
    cfg = doc["config"]
    out += [
        "Each pruner ran the same random configurations of a small network on scikit-learn's "
        "digits under a fixed CPU budget: how many trials it could start, how many it pruned, "
        "the best validation accuracy reached and the CPU seconds until a completed trial "
        "reached the target accuracy (∞: never within the budget). Then the CPU cost of one "
        "``should_prune`` call after a study of 1000 trials. Medians over repeats.",
        "",
        f"Source: {_sources([doc])}; budget and target from its config: "
        f"``{json.dumps({k: v for k, v in cfg.items() if not isinstance(v, list | dict)})}``.",
        "",
    ]
    budget = {r["pruner"]: r for r in pruning.summarize(doc, "budget")}
    decision = {r["pruner"]: r for r in pruning.summarize(doc, "decision")}
    table = []
    for kind, row in budget.items():
        if row["status"].get("tansaku") != "ok":
            continue
        cost = decision.get(kind, {}).get("us_per_call", {}).get("summary", {})
        table.append(
            [
                labels.get(kind, kind),
                _number(_median(row["started"]["summary"])),
                _number(_median(row["pruned"]["summary"])),
                _number(_median(row["best_accuracy"]["summary"]), 4),
                _number(_median(row["time_to_target_s"]["summary"])),
                f"{row['reached']['tansaku']}/{row['best_accuracy']['summary']['tansaku']['n']}",
                _number(_median(cost)),
            ]
        )
    out += _table(
        [
            "pruner",
            "started",
            "pruned",
            "best accuracy",
            "s to target",
            "reached target",
            "µs per should_prune",
        ],
        table,
    )
    return out, set(budget)


def choosing_page() -> str:
    """The "Choosing a sampler and a pruner" page, as reStructuredText."""
    _impls, overhead, quality, moo, pruning = _benchmarks()
    labels = {**COST_FRUGAL_LABELS, **_impls.SAMPLER_LABELS}
    pruner_labels = dict(pruning.PRUNER_LABELS)  # the suite's own, with its settings
    facts: dict[str, Any] = {}
    cost, cost_kinds = _cost_section(labels, overhead, facts)
    qual, quality_kinds = _quality_section(labels, quality, facts)
    multi, moo_kinds = _moo_section(labels, moo, facts)
    frugal, frugal_kinds = _cost_frugal_section()
    pruners, pruner_kinds = _pruning_section(pruning, pruner_labels)
    measured = cost_kinds | quality_kinds | moo_kinds | frugal_kinds

    out = _heading("Choosing a sampler and a pruner", "=")
    out += [
        "This page is generated from the benchmark results in ``benchmarks/results/`` each time "
        "the documentation is built (``docs/_ext/generate_pages.py``); no number on it is typed "
        "by hand. ``benchmarks/README.md`` describes the method and how to rerun a suite.",
        "",
    ]
    out += _heading("Samplers at a glance", "-")
    glance = []
    for kind, purpose in SAMPLER_PURPOSE.items():
        where = [
            name
            for name, kinds in (
                ("cost", cost_kinds),
                ("quality", quality_kinds),
                ("several objectives", moo_kinds),
                ("cost-frugal", frugal_kinds),
            )
            if kind in kinds
        ]
        glance.append([labels.get(kind, kind), purpose, ", ".join(where) or "not measured yet"])
    out += _table(["sampler", "what it is for", "measured here"], glance)
    out += _questions(labels, measured, facts)
    out += cost + qual + multi + frugal
    out += _heading("Pruners at a glance", "-")
    out += _table(
        ["pruner", "what it is for", "measured here"],
        [
            [pruner_labels.get(k, k), p, "yes" if k in pruner_kinds else "not measured yet"]
            for k, p in PRUNER_PURPOSE.items()
        ],
    )
    out += pruners
    return "\n".join(out)


def _workers() -> list[str]:
    """One line per storage: wall time over the ideal when several workers share it."""
    _benchmarks()
    from benchmarks._impls import STORAGE_LABELS
    from benchmarks.suites import storage

    docs = _documents("storage")
    if not docs:
        return []
    lines = []
    sleep_s = None
    for row in storage.summarize(docs[-1]):
        if row["part"] == "workers" and row["status"].get("tansaku") == "ok":
            sleep_s = row["cell"]["sleep_s"]
            label = STORAGE_LABELS.get(row["storage"], row["storage"])
            lines.append(
                f"{label}: {_number(_median(row['measured']))} with {row['cell']['workers']} "
                f"workers"
            )
    source = _sources(docs[-1:])
    return (
        [
            "- **One worker or many?** Every sampler and pruner runs unchanged on a shared "
            "storage; what changes is the storage. Wall time over the ideal (1.0 is perfect "
            f"scaling) with trials that take {sleep_s} s: "
            + "; ".join(lines)
            + f" (source: {source}). See :doc:`/tutorials/many_workers`.",
        ]
        if lines
        else []
    )


def _questions(labels: dict[str, str], measured: set[str], facts: dict[str, Any]) -> list[str]:
    lines = _heading("Questions this page answers", "-")
    lines.append("Each answer below is computed from the tables further down.")
    lines.append("")
    cells, columns, hpo = facts["quality"]
    ranking = _budget_answers(labels, cells, columns)
    if ranking:
        lines.append(
            "- **Small budget or large?** Where several samplers ran on the same problems, "
            "mean final log10 regret (lower is better), best first:"
        )
        lines += ["", *["  " + line for line in ranking], ""]
    cost: dict[tuple[str, str, int], float | None] = facts["cost"]
    n_common = max((n for (_, _, n) in cost), default=None)
    if n_common is not None:
        at_n = {k: v for k, v in cost.items() if k[2] == 1000 and v is not None} or {
            k: v for k, v in cost.items() if k[2] == n_common and v is not None
        }
        n = next(iter(at_n))[2]
        cheapest = min(at_n.items(), key=lambda item: item[1])
        dearest = max(at_n.items(), key=lambda item: item[1])
        lines.append(
            f"- **Cheap or expensive trials?** At {n} trials the samplers cost from "
            f"{_number(cheapest[1])} ms ({cheapest[0][0]}, {_space_label(cheapest[0][1])}) to "
            f"{_number(dearest[1])} ms ({dearest[0][0]}, {_space_label(dearest[0][1])}) of CPU "
            f"per trial. An objective that takes {_number(100 * dearest[1])} ms or more keeps "
            "any of them under 1% of the run; with faster objectives, pick by *Cost per trial*."
        )
        ratios = []
        for (label, space, size), value in sorted(at_n.items()):
            other = at_n.get((label, "float10", size))
            if space != "float10" and other and value:
                ratios.append(f"{label} {_number(value / other, 2)}×")
        if ratios:
            lines.append(
                "- **Continuous or categorical?** The cost on a mixed, conditional space "
                f"relative to 10 floats, at {n} trials: " + ", ".join(ratios) + ". Quality is "
                "measured on continuous BBOB functions and on the conditional, mixed HPO task "
                "(*Search quality*)."
            )
    if facts.get("moo"):
        summary = "; ".join(f"{row[0]} at {row[1]} trials {row[3]}" for row in facts["moo"])
        lines.append(
            "- **One objective or many?** The multi-objective samplers against Optuna's, W/T/L "
            f"over the problems: {summary}. TPE takes several objectives too. "
            "See *Several objectives*."
        )
    lines += _workers()
    lines.append("")
    unmeasured = [labels.get(k, k) for k in SAMPLER_PURPOSE if k not in measured]
    if unmeasured:
        lines += [
            "Not measured by the stored results yet: " + ", ".join(unmeasured) + ". Their rows "
            "appear here when a suite's results include them.",
            "",
        ]
    return lines


def differences_page() -> str:
    """The "Differences from Optuna" page, from the compat tests' list."""
    with DIFFERENCES.open("rb") as file:
        entries = tomllib.load(file)["difference"]
    out = _heading("Differences from Optuna", "=")
    out += [
        "``import tansaku as optuna`` runs programs written for Optuna 5.0. Where the two behave "
        "differently on purpose, the difference is listed here. This page is generated from "
        "``tests/compat/deliberate_differences.toml``, and the compat tests run every entry "
        "under both libraries and check that each observes exactly what is recorded, so the "
        f"list cannot drift. {len(entries)} differences:",
        "",
    ]
    for entry in entries:
        out += _heading(entry["what"], "-")
        out += [
            f"- **Optuna:** {entry['optuna']}",
            f"- **tansaku:** {entry['tansaku']}",
            f"- **Why:** {entry['why']}",
            f"- Observed (case ``{entry['id']}``): Optuna {entry['optuna_observes']}; tansaku "
            f"{entry['tansaku_observes']}.",
            "",
        ]
    return "\n".join(out)


def cli_page() -> str:
    """The command-line reference, from the parser's own help texts."""
    import argparse
    import os

    from tansaku.cli._parser import build_parser

    os.environ["COLUMNS"] = "90"  # argparse wraps to the terminal; the page must not vary.

    parser = build_parser()
    out = _heading("Command line: ``tansaku``", "=")
    out += [
        "Generated from the command's parser; ``tansaku COMMAND --help`` prints the same text.",
        "",
        "::",
        "",
    ]
    out += ["   " + line for line in parser.format_help().splitlines()] + [""]
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        out += _heading(f"tansaku {name}", "-")
        out += ["::", ""] + ["   " + line for line in sub.format_help().splitlines()] + [""]
    return "\n".join(out)


PAGES = {"choosing.rst": choosing_page, "differences.rst": differences_page, "cli.rst": cli_page}


def write_all(out_dir: Path) -> None:
    """Write every generated page into ``out_dir``, rewriting only pages whose text changed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, build in PAGES.items():
        text = build()
        path = out_dir / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


if __name__ == "__main__":
    write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "_generated")
