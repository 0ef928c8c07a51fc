"""The generated pages carry the data they are generated from (the docs build writes them)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import tomllib

ROOT = Path(__file__).resolve().parents[2]


def generator() -> ModuleType:
    path = ROOT / "docs" / "_ext" / "generate_pages.py"
    spec = importlib.util.spec_from_file_location("generate_pages", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_choosing_page_shows_each_measured_sampler_and_pruner_with_its_source() -> None:
    page = generator().choosing_page()
    for path in sorted((ROOT / "benchmarks" / "results").rglob("*.json")):
        doc = json.loads(path.read_text())
        if doc.get("suite") in {"overhead", "quality", "moo", "pruning"}:
            assert f"``{path.relative_to(ROOT).as_posix()}``" in page
    for label in ("TPE", "CMA-ES", "QMC", "NSGA-II", "NSGA-III", "Median", "Hyperband"):
        assert f"   * - {label}\n" in page
    # The pruning table's "started" for the median pruner is the median over repeats.
    pruning = json.loads((ROOT / "benchmarks" / "results" / "pruning.json").read_text())
    started = sorted(
        r["data"]["started"]
        for r in pruning["runs"]
        if r["impl"] == "tansaku"
        and r["cell"]["pruner"] == "median"
        and r["cell"]["task"] == "budget"
    )
    middle = len(started) // 2
    median = (
        (started[middle - 1] + started[middle]) / 2 if len(started) % 2 == 0 else started[middle]
    )
    assert f"   * - Median\n     - {median:.3g}\n" in page


def test_differences_page_lists_every_deliberate_difference() -> None:
    path = ROOT / "tests" / "compat" / "deliberate_differences.toml"
    entries = tomllib.loads(path.read_text())["difference"]
    page = generator().differences_page()
    for entry in entries:
        assert f"(case ``{entry['id']}``)" in page
        assert entry["why"] in page


def test_cli_page_has_every_command() -> None:
    from tansaku.cli._parser import build_parser

    page = generator().cli_page()
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in commands:
        assert f"\ntansaku {name}\n" in page


def test_choosing_page_shows_the_cost_frugal_results() -> None:
    page = generator().choosing_page()
    result = json.loads((ROOT / "benchmarks" / "results" / "cost_frugal.json").read_text())
    assert "``benchmarks/results/cost_frugal.json``" in page
    for method, costs in result["costs"].items():
        reached = sum(cost != float("inf") for cost in costs)
        assert f"   * - {method}\n     - {reached}/{len(costs)}\n" in page
    for label in ("CFO", "BlendSearch"):
        row = page.index(f"   * - {label}\n")
        # The glance table says where they are measured (not "not measured yet").
        assert page[row : page.index("\n   * -", row + 1)].endswith("\n     - cost-frugal")
