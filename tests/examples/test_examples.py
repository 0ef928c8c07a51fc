"""The examples run as a user runs them, in a fresh process, and print what they promise."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# A run of any example at the sizes below takes a few seconds; this only stops a hang.
TIMEOUT_SECONDS = 120
IN_MEMORY_NOTE = "keeping the study in memory"


def run_example(script: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``examples/<script>`` in ``cwd`` (where any .db file lands) and check it succeeded."""
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert completed.returncode == 0, (
        f"{script} exited with {completed.returncode}\n"
        f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
    )
    return completed


def search(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text, re.MULTILINE)
    assert match is not None, f"no line matches {pattern!r} in:\n{text}"
    return match


def test_demo_finds_an_accurate_classifier_and_says_where_results_are(tmp_path: Path) -> None:
    completed = run_example("demo.py", tmp_path, "--n-trials", "5", "--seed", "0")
    out = completed.stdout

    by_state = search(r"^Trials in the study by state: (.+)$", out).group(1)
    counts = {state: int(n) for state, n in re.findall(r"([A-Z]+) (\d+)", by_state)}
    assert sum(counts.values()) == 5
    assert counts.get("COMPLETE", 0) >= 1
    best_number = int(search(r"^Best trial: #(\d+)$", out).group(1))
    assert 0 <= best_number < 5
    assert float(search(r"^  accuracy \(5-fold CV\): ([0-9.]+)$", out).group(1)) > 0.8
    assert search(r"^    classifier: (\w+)$", out).group(1) in {
        "logistic_regression",
        "svc",
        "random_forest",
        "knn",
    }
    where = search(r"^Results: (.+)$", out).group(1)
    if IN_MEMORY_NOTE in out:
        assert where.startswith("in memory")
    else:
        assert where.startswith(str(tmp_path / "tansaku-demo.db"))
        assert (tmp_path / "tansaku-demo.db").is_file()
    # The per-trial log lines are part of what the user sees.
    assert "Trial 4 finished with value:" in completed.stderr
    # The report page is written next to the database and shows the best trial.
    report = Path(search(r"^Report: (\S+) ", out).group(1))
    assert report == tmp_path / "tansaku-demo.html"
    page = report.read_text(encoding="utf-8")
    assert f'<td class="number">{best_number}</td>' in page


def test_tutorial_pruning_example_prunes_and_prints_the_best_trial(tmp_path: Path) -> None:
    completed = run_example(
        "seed_tutorial_pruning.py", tmp_path, "--n-trials", "12", "--steps", "20"
    )
    out = completed.stdout

    total, n_pruned, n_complete = map(
        int, search(r"^Trials: (\d+) \((\d+) pruned, (\d+) complete\)$", out).groups()
    )
    assert total == 12
    assert n_pruned + n_complete == total
    # MedianPruner never prunes its first 5 trials, so at least those complete.
    assert n_complete >= 5
    assert n_pruned == completed.stderr.count(" pruned.")
    search(r"^Best trial:$", out)
    assert float(search(r"^  Value: (\S+)$", out).group(1)) >= 0.0
    assert float(search(r"^    lr: (\S+)$", out).group(1)) > 0.0
    assert float(search(r"^    alpha: (\S+)$", out).group(1)) > 0.0


def test_blog_example_suggests_one_width_per_layer_and_counts_its_trials(
    tmp_path: Path,
) -> None:
    args = ("--n-trials", "6", "--epochs", "3")
    first = run_example("seed_blog_conditional_layers.py", tmp_path, *args).stdout
    assert_blog_counts(first, conducted=6)
    accuracy = float(search(r"^ \| accuracy:  (\S+)$", first).group(1))
    assert 0.0 <= accuracy <= 1.0
    params = dict(re.findall(r"^ \| (\w+): (\S+)$", first, re.MULTILINE))
    n_layers = int(params["num_fc_layers"])
    widths = sorted(name for name in params if name.startswith("fc_output_feat_"))
    assert widths == sorted(f"fc_output_feat_{i}" for i in range(n_layers))
    assert params["optimizer"] in {"Adam", "SGD", "NesterovSGD"}

    # load_if_exists=True: with SQLite the second run continues the first run's study.
    second = run_example("seed_blog_conditional_layers.py", tmp_path, *args).stdout
    assert_blog_counts(second, conducted=6 if IN_MEMORY_NOTE in second else 12)


def assert_blog_counts(out: str, conducted: int) -> None:
    n_conducted = int(search(r"^num_trials_conducted:  (\d+)$", out).group(1))
    n_pruned = int(search(r"^num_trials_pruned:  (\d+)$", out).group(1))
    n_completed = int(search(r"^num_trials_completed:  (\d+)$", out).group(1))
    assert n_conducted == conducted
    assert n_pruned + n_completed == n_conducted
    assert n_completed >= 1


def test_pbt_trains_a_population_that_exploits_and_prints_the_best_lineage(
    tmp_path: Path,
) -> None:
    completed = run_example(
        "pbt.py", tmp_path, "--n-trials", "16", "--population", "4", "--seed", "0"
    )
    out = completed.stdout

    segments, exploits = search(r"^Segments: (\d+), exploits: (\d+)$", out).groups()
    assert int(segments) == 16 and int(exploits) >= 1
    best = search(r"^Best accuracy: ([0-9.]+) \(trial #(\d+), member \d+, epoch (\d+)\)$", out)
    assert float(best.group(1)) > 0.85
    chain = [int(n) for n in re.findall(r"#(\d+)", search(r"^Lineage of the best: (.+)$", out)[1])]
    assert chain[0] == int(best.group(2))
    assert chain == sorted(chain, reverse=True)  # each parent trained before its child
    assert len(chain) == int(best.group(3)) // 2  # one segment of 2 epochs per link


def test_cost_frugal_example_starts_at_the_low_cost_point(tmp_path: Path) -> None:
    for sampler in ("cfo", "blendsearch"):
        completed = run_example(
            "cost_frugal.py", tmp_path, "--sampler", sampler, "--n-trials", "8"
        )
        out = completed.stdout
        first = search(r"^First trial: (.+)$", out).group(1)
        assert "'n_estimators': 2" in first and "'max_depth': 2" in first
        assert float(search(r"^Best accuracy: ([0-9.]+)$", out).group(1)) > 0.5
        assert int(search(r"^Total cost: (\d+) ", out).group(1)) > 0
