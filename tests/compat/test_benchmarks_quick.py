"""The benchmark harness keeps working: every suite runs end to end at tiny sizes.

One run of every suite at ``--smoke`` size (tansaku, and the peers when they are installed)
feeds the tests below. They check structure and correctness (every cell accounted for, no
trial lost), never timings.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import _stats, _tables
from benchmarks.suites import SUITE_NAMES

REPO_ROOT = Path(__file__).resolve().parents[2]
IMPLS = ["tansaku"] + [
    name for name in ("optuna", "rustuna") if importlib.util.find_spec(name) is not None
]


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """All suites at smoke size, side by side (nothing here is timed), then the report."""
    out = tmp_path_factory.mktemp("bench")
    command = [sys.executable, "-m", "benchmarks"]
    options = ["--smoke", "--impls", ",".join(IMPLS), "--out", str(out)]
    processes = [
        subprocess.Popen(
            [*command, suite, *options],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for suite in SUITE_NAMES
    ]
    stdout = ""
    for process in processes:
        suite_stdout, suite_stderr = process.communicate(timeout=600)
        assert process.returncode == 0, suite_stderr[-3000:]
        stdout += suite_stdout
    subprocess.run([*command, "report", "--out", str(out)], cwd=REPO_ROOT, check=True)
    return out, stdout


def _doc(out: Path, suite: str) -> dict[str, Any]:
    return json.loads((out / f"{suite}.json").read_text())


def test_every_suite_writes_json_markdown_and_prints_its_table(
    smoke_run: tuple[Path, str],
) -> None:
    out, stdout = smoke_run
    for suite in SUITE_NAMES:
        assert (out / f"{suite}.json").exists()
        markdown = (out / f"{suite}.md").read_text()
        title = markdown.splitlines()[0]
        assert title.startswith("## ")
        assert title in stdout
        assert "| " in markdown


def test_every_cell_has_an_outcome_for_every_implementation(
    smoke_run: tuple[Path, str],
) -> None:
    out, _ = smoke_run
    for suite in SUITE_NAMES:
        doc = _doc(out, suite)
        assert doc["impls"] == IMPLS
        cells = {json.dumps(run["cell"], sort_keys=True) for run in doc["runs"]}
        seen = {(json.dumps(run["cell"], sort_keys=True), run["impl"]) for run in doc["runs"]}
        assert seen == {(cell, impl) for cell in cells for impl in IMPLS}, suite


def test_no_run_errors_or_times_out(smoke_run: tuple[Path, str]) -> None:
    out, _ = smoke_run
    allowed = {"ok", "missing", "not available"}
    for suite in SUITE_NAMES:
        for run in _doc(out, suite)["runs"]:
            assert run["status"] in allowed, (suite, run["impl"], run["cell"], run.get("reason"))


def test_missing_features_are_listed_not_skipped(smoke_run: tuple[Path, str]) -> None:
    out, _ = smoke_run
    for suite in SUITE_NAMES:
        doc = _doc(out, suite)
        markdown = (out / f"{suite}.md").read_text()
        for run in doc["runs"]:
            if run["status"] == "missing":
                assert "missing" in markdown
                assert run["reason"].split()[0] in markdown


def test_tansaku_random_search_is_measured(smoke_run: tuple[Path, str]) -> None:
    out, _ = smoke_run
    runs = [
        run
        for run in _doc(out, "overhead")["runs"]
        if run["impl"] == "tansaku" and run["cell"]["sampler"] == "random"
    ]
    assert runs and all(run["status"] == "ok" for run in runs)
    for run in runs:
        assert all(value > 0 for value in run["data"]["cpu_ms"].values())


def test_tansaku_storages_lose_and_duplicate_no_trial(smoke_run: tuple[Path, str]) -> None:
    out, _ = smoke_run
    measured = [
        run
        for run in _doc(out, "storage")["runs"]
        if run["status"] == "ok" and run["impl"] == "tansaku"
    ]
    assert measured
    for run in measured:
        data = run["data"]
        assert (data["lost"], data["duplicated"], data["errors"]) == (0, 0, 0), run
        assert data["numbers_dense"]
        assert data["complete"] == run["cell"]["n_trials"]


def test_quality_regrets_are_finite_and_floored(smoke_run: tuple[Path, str]) -> None:
    out, _ = smoke_run
    for run in _doc(out, "quality")["runs"]:
        if run["status"] != "ok":
            continue
        for result in run["data"]["results"]:
            for value in result["log10_regret"].values():
                assert math.isfinite(value) and value >= -8.0


def test_report_is_regenerated_from_the_json_files(smoke_run: tuple[Path, str]) -> None:
    out, _ = smoke_run
    readme = out / "README.md"
    readme.unlink()
    subprocess.run(
        [sys.executable, "-m", "benchmarks", "report", "--out", str(out)],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    text = readme.read_text()
    assert "## Headline" in text
    for suite in SUITE_NAMES:
        assert f"({suite}.md)" in text


def test_rank_compare_needs_a_significant_difference() -> None:
    low, high = [0.0, 0.1, 0.2, 0.3, 0.4], [1.0, 1.1, 1.2, 1.3, 1.4]
    assert _stats.rank_compare(low, high)[0] == "win"
    assert _stats.rank_compare(high, low)[0] == "loss"
    assert _stats.rank_compare(low, low)[0] == "tie"
    assert _stats.rank_compare(low[:3], high[:3])[0] == "tie"  # 3 vs 3 can never reach p < 0.05


def test_ratios_pair_repeats_and_skip_missing_values() -> None:
    paired = _stats.paired_ratios({0: 1.0, 1: 2.0, 2: 3.0}, {0: 2.0, 1: 2.0})
    assert paired is not None
    assert (paired.low, paired.median, paired.high, paired.n) == (0.5, 0.75, 1.0, 2)
    assert _stats.ratio(1.0, 0.0) is None
    assert _stats.median([1.0, math.inf, math.inf]) == math.inf


def test_markdown_table_aligns_columns() -> None:
    table = _tables.markdown_table(["a", "bb"], [["x", "1"], ["yyy", "22"]])
    lines = table.splitlines()
    assert len({len(line) for line in lines}) == 1
    assert lines[1].startswith("|:")
