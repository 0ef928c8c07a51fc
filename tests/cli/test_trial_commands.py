"""trials, best-trial, best-trials, ask and tell, on SQLite and journal files."""

from __future__ import annotations

import json

import tansaku
from tansaku.trial import TrialState
from tests.cli._cli import api_storage, error_line

SPACE = json.dumps(
    {
        "x": {
            "name": "FloatDistribution",
            "attributes": {"low": 0.0, "high": 1.0, "step": None, "log": False},
        },
        "c": {"name": "CategoricalDistribution", "attributes": {"choices": ["a", "b"]}},
    }
)


def test_ask_and_tell_drive_a_study_that_the_api_reads(run, storage_path):
    assert run("create-study", "--storage", storage_path, "--study-name", "s").returncode == 0
    asked = run(
        "ask",
        "--storage",
        storage_path,
        "--study-name",
        "s",
        "--search-space",
        SPACE,
        "--sampler",
        "RandomSampler",
        "--sampler-kwargs",
        '{"seed": 1}',
    )
    assert asked.returncode == 0, asked.stderr
    assert "ExperimentalWarning" in asked.stderr
    record = json.loads(asked.stdout)
    assert record["number"] == 0 and set(record["params"]) == {"x", "c"}
    assert (
        run(
            "ask", "--storage", storage_path, "--study-name", "s", "--search-space", SPACE
        ).returncode
        == 0
    )
    assert (
        run(
            "tell",
            "--storage",
            storage_path,
            "--study-name",
            "s",
            "--trial-number",
            "0",
            "--values",
            "0.25",
        ).returncode
        == 0
    )
    pruned = run(
        "tell",
        "--storage",
        storage_path,
        "--study-name",
        "s",
        "--trial-number",
        "1",
        "--state",
        "pruned",
    )
    assert pruned.returncode == 0, pruned.stderr

    trials = tansaku.load_study(study_name="s", storage=api_storage(storage_path)).trials
    assert [(t.state, t.value) for t in trials] == [
        (TrialState.COMPLETE, 0.25),
        (TrialState.PRUNED, None),
    ]
    assert trials[0].params == record["params"]

    told_again = run(
        "tell",
        "--storage",
        storage_path,
        "--study-name",
        "s",
        "--trial-number",
        "0",
        "--values",
        "1",
    )
    assert told_again.returncode == 1
    assert error_line(told_again).startswith("tansaku tell: error: ")
    assert "COMPLETE" in error_line(told_again)
    skipped = run(
        "tell",
        "--storage",
        storage_path,
        "--study-name",
        "s",
        "--trial-number",
        "0",
        "--values",
        "1",
        "--skip-if-finished",
    )
    assert skipped.returncode == 0
    assert (
        tansaku.load_study(study_name="s", storage=api_storage(storage_path)).trials[0].value
        == 0.25
    )


def test_trials_and_best_trial_in_every_format(run, storage_path):
    study = tansaku.create_study(study_name="s", storage=api_storage(storage_path))
    for value in (2.0, 1.0):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        study.tell(trial, value)
    study.enqueue_trial({"x": 0.1})
    trial = study.ask()
    trial.set_user_attr("note", "hi")
    trial.suggest_float("x", 0, 1)
    trial.report(3.0, 0)
    study.tell(trial, state=TrialState.PRUNED)
    base = ("--storage", storage_path, "--study-name", "s")

    as_json = json.loads(run("trials", *base, "-f", "json").stdout)
    assert [list(r) for r in as_json][0] == [
        "number",
        "value",
        "datetime_start",
        "datetime_complete",
        "duration",
        "params",
        "user_attrs",
        "state",
    ]
    assert [(r["number"], r["value"], r["state"], r["user_attrs"]) for r in as_json] == [
        (0, 2.0, "COMPLETE", {}),
        (1, 1.0, "COMPLETE", {}),
        (2, 3.0, "PRUNED", {"note": "hi"}),  # a pruned trial keeps its last report
    ]
    table = run("trials", *base).stdout.splitlines()
    assert len(table) == 3 + 3 + 1 and table[0].startswith("+--------+-------+")
    assert table[3].startswith("|      0 |   2.0 |")
    flat = run("trials", *base, "--flatten").stdout.splitlines()[1]
    assert "| params_x " in flat and "| user_attrs_note |" in flat
    best = run("best-trial", *base, "-f", "json")
    assert json.loads(best.stdout)["number"] == 1
    best_yaml = run("best-trial", *base, "-f", "yaml").stdout
    assert "number: 1\n" in best_yaml and 'datetime_start: "' in best_yaml
    value = run("best-trials", *base, "-f", "value").stdout
    # Columns of the trials shown: trial 1 has no user attrs, so there is no such column.
    assert value.startswith("1 1.0 ") and value.rstrip().endswith("} COMPLETE")
    assert "{}" not in value


def test_best_trials_of_several_objectives_and_best_trial_refuses_them(run, storage_path):
    study = tansaku.create_study(
        study_name="m", storage=api_storage(storage_path), directions=["minimize", "minimize"]
    )
    for values in ([1.0, 2.0], [2.0, 1.0], [3.0, 3.0]):
        study.tell(study.ask(), values)
    base = ("--storage", storage_path, "--study-name", "m")
    front = json.loads(run("best-trials", *base, "-f", "json").stdout)
    assert sorted(r["number"] for r in front) == [0, 1]
    assert front[0]["values"] in ([1.0, 2.0], [2.0, 1.0])
    single = run("best-trial", *base)
    assert single.returncode == 1
    assert error_line(single).startswith("tansaku best-trial: error: ")


def test_ask_errors_name_the_option(run, storage_path):
    assert run("create-study", "--storage", storage_path, "--study-name", "s").returncode == 0
    base = ("ask", "--storage", storage_path, "--study-name", "s")
    cases = {
        ("--search-space", "{bad"): "tansaku ask: error: --search-space='{bad' is not valid JSON",
        (
            "--search-space",
            "[1]",
        ): "tansaku ask: error: --search-space='[1]' must be a JSON object",
        (
            "--sampler",
            "NoSuchSampler",
        ): "tansaku ask: error: --sampler='NoSuchSampler' is not a sampler class",
        (
            "--sampler-kwargs",
            '{"seed": 1}',
        ): "tansaku ask: error: --sampler-kwargs needs --sampler",
    }
    for extra, expected in cases.items():
        result = run(*base, *extra)
        assert result.returncode == 1, extra
        assert error_line(result).startswith(expected), (extra, result.stderr)
    missing = run("ask", "--storage", storage_path, "--study-name", "nope")
    assert missing.returncode == 1
    assert "'nope'" in error_line(missing)
    assert tansaku.load_study(study_name="s", storage=api_storage(storage_path)).trials == []


def test_tell_usage_errors_exit_2(run, storage_path):
    no_number = run("tell", "--storage", storage_path, "--study-name", "s", "--values", "1")
    assert no_number.returncode == 2
    assert "--trial-number" in no_number.stderr
    bad_state = run(
        "tell",
        "--storage",
        storage_path,
        "--study-name",
        "s",
        "--trial-number",
        "0",
        "--state",
        "done",
    )
    assert bad_state.returncode == 2
