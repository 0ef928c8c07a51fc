"""``python -m benchmarks.gp_cost`` runs end to end at tiny sizes and reports every phase.

Structure only (nothing here is timed): every size has a row in each table, every phase and
ablation has a number, and the replayed calls chose the point the sampler chose.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SIZES = (10, 20)
PHASE_COLUMNS = ("ask + tell", "fit", "posterior setup", "acquisition", "rest (residual)")
NUMBERS = (
    "ask_tell_ms",
    "fit_ms",
    "setup_ms",
    "acquisition_ms",
    "rest_ms",
    "read_ms",
    "tell_ms",
    "cholesky_ms",
    "inverse_ms",
    "condition_on_ms",
    "refactor_ms",
    "search_space_incremental_ms",
    "search_space_fresh_ms",
    "blas_limit_kept_ms",
    "blas_limit_new_ms",
)


def _table_rows(markdown: str, header_start: str) -> list[list[str]]:
    """The cells of the body rows of the table whose header starts with ``header_start``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_gp_cost_reports_every_phase_and_ablation_at_every_size(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "benchmarks.gp_cost", "--out", str(tmp_path)]
    command += ["--sizes", ",".join(map(str, SIZES)), "--repeats", "1"]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]

    markdown = (tmp_path / "cost_curve.md").read_text()
    assert markdown in done.stdout
    phase_header = "| n | " + " | ".join(PHASE_COLUMNS)
    for header in (phase_header, "| n | warm | warm uncapped | cold", "| n | search space"):
        assert [int(row[0]) for row in _table_rows(markdown, header)] == list(SIZES), header
    assert "Load average" in markdown
    assert "at every n: yes." in markdown
    assert "### Reading" in markdown

    doc = json.loads((tmp_path / "cost_curve.json").read_text())
    assert doc["env"]["argv"] == command[3:]
    assert doc["config"]["sizes"] == list(SIZES)
    assert len(doc["load_average"]["start"]) == len(doc["load_average"]["end"]) == 3
    assert [run["n"] for run in doc["runs"]] == list(SIZES)
    for run in doc["runs"]:
        assert run["replica_matches"]
        assert all(math.isfinite(run[key]) for key in NUMBERS)
        for fit in ("fit_warm", "fit_cold", "fit_warm_uncapped"):
            assert run[fit]["evaluations"] >= run[fit]["iterations"] >= 1
            assert math.isfinite(run[fit]["log_posterior"])
        assert run["condition_on_max_mean_gap"] < 1e-6
    # The first modelled trial has no earlier fit: its warm fit is the cold one.
    first = doc["runs"][0]
    assert first["fit_warm"]["log_posterior"] == first["fit_cold"]["log_posterior"]
