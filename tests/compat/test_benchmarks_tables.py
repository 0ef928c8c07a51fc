"""The benchmark tables on synthetic result documents: what they count, not what was measured.

No worker runs here: the documents are built by hand, so the expected verdicts are known.
"""

from __future__ import annotations

import math
import types
from typing import Any

import numpy as np
import pytest

from benchmarks import _impls
from benchmarks.suites import _constrained, moo, quality

CLEARLY_LOW = [-5.0, -4.9, -4.8, -4.7, -4.6]
CLEARLY_HIGH = [1.0, 1.1, 1.2, 1.3, 1.4]
SAME = [0.5, 0.6, 0.7, 0.8, 0.9]


def _quality_run(impl: str, sampler: str, regrets: dict[str, list[float]]) -> dict[str, Any]:
    """One ok run of ``sampler`` whose problems had these regrets over 5 instances, budget 100."""
    results = [
        {"problem": problem, "instance": i + 1, "log10_regret": {"100": value}}
        for problem, values in regrets.items()
        for i, value in enumerate(values)
    ]
    cell = {"sampler": sampler, "problem": "bbob", "dim": 2, "functions": [1, 20]}
    return {"cell": cell, "impl": impl, "repeat": 0, "status": "ok", "data": {"results": results}}


def _quality_doc(samplers_arg: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "suite": "quality",
        "mode": "full",
        "created": "2026-01-01T00:00:00+00:00",
        "impls": ["tansaku", "optuna"],
        "env": {
            "cpu_count": 2,
            "python": "3.11",
            "versions": {"tansaku": "0", "optuna": "5.0.0"},
            "argv": ["quality", "--impls", "tansaku,optuna", "--samplers", samplers_arg],
        },
        "config": {
            "functions": [1, 20],
            "dims": [2],
            "instances": [1, 2, 3, 4, 5],
            "budgets": [100],
            "gp_budgets": [100],
        },
        "runs": runs,
    }


# GP beats TPE on f1, ties on f20 and loses on the HPO task; Optuna ran GP only.
GP_RUNS = [
    _quality_run("tansaku", "gp", {"f01-d02": CLEARLY_LOW, "f20-d02": SAME, "hpo": CLEARLY_HIGH}),
    _quality_run("tansaku", "tpe", {"f01-d02": CLEARLY_HIGH, "f20-d02": SAME, "hpo": CLEARLY_LOW}),
    _quality_run("optuna", "gp", {"f01-d02": SAME, "f20-d02": SAME, "hpo": SAME}),
]


def _table_rows(markdown: str, heading: str) -> list[list[str]]:
    """The body rows of the first table after ``heading``, as stripped cells."""
    blocks = markdown.split(heading, 1)[1].split("\n\n")
    table = next(block for block in blocks if block.startswith("|"))
    lines = table.splitlines()
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_quality_renders_the_first_sampler_against_the_others_by_function_group() -> None:
    markdown = quality.render(_quality_doc("gp,tpe", GP_RUNS))
    rows = _table_rows(markdown, "### GP against tansaku's other samplers")
    by_group = {row[1]: row for row in rows}
    assert list(by_group) == ["f1–f14", "f15–f24", "HPO", "all"]
    assert by_group["f1–f14"][0] == "GP vs TPE"
    assert [by_group[g][6] for g in by_group] == ["1/0/0", "0/1/0", "0/0/1", "1/1/1"]
    assert by_group["all"][3] == "3"
    assert float(by_group["f1–f14"][4]) == -4.8 and float(by_group["f1–f14"][5]) == 1.2
    detail = _table_rows(markdown, "#### GP vs TPE (tansaku)")
    assert [(row[0], row[4].split()[0]) for row in detail] == [
        ("f01-d02", "win"),
        ("f20-d02", "tie"),
        ("hpo", "loss"),
    ]


def test_quality_versus_table_follows_the_samplers_order_of_the_run() -> None:
    markdown = quality.render(_quality_doc("tpe,gp", GP_RUNS), detail=False)
    rows = _table_rows(markdown, "### TPE against tansaku's other samplers")
    assert rows[0][0] == "TPE vs GP"
    assert rows[-1][6] == "1/1/1"  # f1 lost, f20 tied, HPO won: mirrored
    assert "Per problem: TPE against" not in markdown  # the detail is for detail=True only


def test_quality_with_one_sampler_renders_no_versus_table() -> None:
    one = [run for run in GP_RUNS if run["cell"]["sampler"] == "gp"]
    doc = _quality_doc("gp", one)
    markdown = quality.render(doc)
    assert "other samplers" not in markdown
    # The tables of a two-sampler document are those of one sampler plus the new sections.
    two = quality.render(_quality_doc("gp,tpe", GP_RUNS))
    gp_row = next(line for line in markdown.splitlines() if line.startswith("| GP      |"))
    assert gp_row in two


def _moo_doc(runs: list[dict[str, Any]]) -> dict[str, Any]:
    doc = _quality_doc("gp", runs)
    doc.update(suite="moo", config={"seeds": [0, 1, 2, 3, 4]})
    return doc


def _moo_run(impl: str, problem: str, metric: str, values: list[float | None]) -> dict[str, Any]:
    results = [{"seed": i, "value": {"100": value}} for i, value in enumerate(values)]
    cell = {"sampler": "gp", "problem": problem, "seeds": list(range(5)), "budgets": [100]}
    data = {"metric": metric, "results": results}
    return {"cell": cell, "impl": impl, "repeat": 0, "status": "ok", "data": data}


def test_moo_ranks_regrets_lower_first_and_runs_without_a_feasible_trial_last() -> None:
    regret = _constrained.METRIC
    doc = _moo_doc(
        [
            _moo_run("tansaku", "gardner", regret, [-3.0, -2.9, -2.8, -2.7, -2.6]),
            _moo_run("optuna", "gardner", regret, [-1.0, None, None, None, None]),
            _moo_run("tansaku", "dtlz2-2", "hv", [0.1, 0.11, 0.12, 0.13, 0.14]),
            _moo_run("optuna", "dtlz2-2", "hv", [0.5, 0.51, 0.52, 0.53, 0.54]),
        ]
    )
    rows = {row["problem"]: row for row in moo.summarize(doc)}
    assert rows["gardner"]["versus"]["optuna"]["verdict"] == "win"
    assert rows["gardner"]["summary"]["optuna"]["median"] == math.inf
    assert rows["dtlz2-2"]["versus"]["optuna"]["verdict"] == "loss"  # hv: higher is better
    markdown = moo.render(doc)
    assert "∞" in markdown and "log10 regret" in markdown
    assert "GP: tansaku vs optuna W/T/L 1/0/1 over 2 problem-budgets" in markdown


def test_moo_plans_gp_problems_of_its_own() -> None:
    cells = moo.plan(moo.PRESETS["full"], ("gp",))
    assert [c["problem"] for c in cells] == [*moo.GP_PROBLEMS, *_constrained.PROBLEMS]
    assert all(c["budgets"] == [50, 100] and len(c["seeds"]) == 10 for c in cells)
    smoke = moo.plan(moo.PRESETS["smoke"], None)
    assert {c["problem"] for c in smoke if c["sampler"] == "gp"} == {"c2dtlz2-2", "gramacy"}


def test_constrained_problems_reach_their_stated_minimum_at_a_feasible_point() -> None:
    minimizers = {
        "gardner": [1.5 * math.pi, 0.0],
        "gramacy": [0.19512269, 0.40466536],
        "hartmann6": [0.20168951, 0.15001069, 0.47687398, 0.27533242, 0.31165161, 0.65730054],
    }
    for name, problem in _constrained.PROBLEMS.items():
        x = np.array(minimizers[name])
        assert all(c <= 1e-7 for c in problem.constraints(x)), name
        assert abs(problem.objective(x) - problem.minimum) < 1e-7, name
        # No feasible point of a coarse random sample beats the stated minimum.
        rng = np.random.default_rng(0)
        for sample in rng.uniform(problem.low, problem.high, size=(2000, len(problem.low))):
            if all(c <= 0.0 for c in problem.constraints(sample)):
                assert problem.objective(sample) >= problem.minimum, name
    assert _constrained.log_regret(None, 0.0) is None
    assert _constrained.log_regret(-1.0, -1.0) == math.log10(_constrained.REGRET_FLOOR)


def test_a_missing_feature_names_a_function_argument_without_its_address() -> None:
    class Sampler:
        def __init__(self, seed: int) -> None:
            self.seed = seed

    samplers = types.SimpleNamespace(Sampler=Sampler)
    arguments = {"seed": 0, "constraints_func": _constrained.stored_constraints}
    with pytest.raises(_impls.MissingFeature) as info:
        _impls._construct(samplers, "peer.samplers", "Sampler", arguments)
    reason = str(info.value)
    assert "Sampler(seed=0, constraints_func=stored_constraints)" in reason
    assert " at 0x" not in reason
