"""create-study, delete-study, study-names, studies, study set-user-attr; SQLite and journals."""

from __future__ import annotations

import json

import tansaku
from tests.cli._cli import api_storage, error_line


def test_create_study_prints_the_name_and_the_api_reads_the_study(run, storage_path):
    created = run(
        "create-study", "--storage", storage_path, "--study-name", "s", "--direction", "maximize"
    )
    assert (created.returncode, created.stdout) == (0, "s\n")
    study = tansaku.load_study(study_name="s", storage=api_storage(storage_path))
    assert study.direction == tansaku.study.StudyDirection.MAXIMIZE


def test_create_study_of_a_taken_name_fails_unless_skip_if_exists(run, storage_path):
    assert run("create-study", "--storage", storage_path, "--study-name", "s").returncode == 0
    again = run("create-study", "--storage", storage_path, "--study-name", "s")
    assert again.returncode == 1
    assert error_line(again) == (
        "tansaku create-study: error: a study named 's' already exists; pass --skip-if-exists "
        "to use it"
    )
    skipped = run(
        "create-study", "--storage", storage_path, "--study-name", "s", "--skip-if-exists"
    )
    assert (skipped.returncode, skipped.stdout) == (0, "s\n")


def test_create_study_with_several_directions_and_a_generated_name(run, storage_path):
    created = run(
        "create-study", "--storage", storage_path, "--directions", "minimize", "maximize"
    )
    assert created.returncode == 0
    name = created.stdout.strip()
    study = tansaku.load_study(study_name=name, storage=api_storage(storage_path))
    assert [d.name for d in study.directions] == ["MINIMIZE", "MAXIMIZE"]


def test_direction_and_directions_together_are_an_error(run, storage_path):
    both = run(
        "create-study",
        "--storage",
        storage_path,
        "--direction",
        "minimize",
        "--directions",
        "minimize",
        "maximize",
    )
    assert both.returncode == 1
    assert "direction" in error_line(both)


def test_study_listings_in_every_format_and_set_user_attr(run, storage_path):
    storage = api_storage(storage_path)
    study = tansaku.create_study(study_name="a", storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    tansaku.create_study(study_name="b", storage=storage, directions=["minimize", "maximize"])
    attr = run(
        "study",
        "set-user-attr",
        "--storage",
        storage_path,
        "--study-name",
        "a",
        "-k",
        "owner",
        "--value",
        "ml",
    )
    assert attr.returncode == 0, attr.stderr
    assert tansaku.load_study(study_name="a", storage=api_storage(storage_path)).user_attrs == {
        "owner": "ml"
    }

    names = run("study-names", "--storage", storage_path)
    assert (names.returncode, names.stdout) == (0, "a\nb\n")
    as_json = json.loads(run("studies", "--storage", storage_path, "-f", "json").stdout)
    assert [(s["name"], s["direction"], s["n_trials"], s["user_attrs"]) for s in as_json] == [
        ("a", ["MINIMIZE"], 2, {"owner": "ml"}),
        ("b", ["MINIMIZE", "MAXIMIZE"], 0, {}),
    ]
    assert as_json[0]["datetime_start"] is not None and as_json[1]["datetime_start"] is None
    table = run("studies", "--storage", storage_path, "--flatten").stdout.splitlines()
    assert table[1].split("|")[1:-1] == [
        " name ",
        " direction_0 ",
        " direction_1 ",
        " n_trials ",
        " datetime_start      ",
        " user_attrs_owner ",
    ]
    assert table[3].startswith("| a    | MINIMIZE    |             |        2 |")
    value = run("studies", "--storage", storage_path, "-f", "value").stdout.splitlines()
    assert value[1] == "b ('MINIMIZE', 'MAXIMIZE') 0  {}"
    yaml_text = run("study-names", "--storage", storage_path, "-f", "yaml").stdout
    assert yaml_text == "- name: a\n- name: b\n"


def test_delete_study(run, storage_path):
    tansaku.create_study(study_name="gone", storage=api_storage(storage_path))
    deleted = run("delete-study", "--storage", storage_path, "--study-name", "gone")
    assert deleted.returncode == 0, deleted.stderr
    assert tansaku.get_all_study_names(api_storage(storage_path)) == []
    again = run("delete-study", "--storage", storage_path, "--study-name", "gone")
    assert again.returncode == 1
    assert error_line(again).startswith("tansaku delete-study: error: ")
    assert "gone" in error_line(again)


def test_set_user_attr_of_a_missing_study_is_an_error(run, storage_path):
    tansaku.create_study(study_name="a", storage=api_storage(storage_path))
    missing = run(
        "study",
        "set-user-attr",
        "--storage",
        storage_path,
        "--study-name",
        "zz",
        "-k",
        "k",
        "--value",
        "v",
    )
    assert missing.returncode == 1
    assert error_line(missing).startswith("tansaku study set-user-attr: error: ")
    assert "'zz'" in error_line(missing)
