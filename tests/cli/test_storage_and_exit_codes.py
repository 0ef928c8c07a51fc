"""Where the storage comes from, how errors exit, --help everywhere, python -m tansaku.

Most commands run in this process through ``main(argv)``; the exit statuses are checked once
more through the installed console script and ``python -m tansaku``, as a shell sees them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tansaku
from tests.cli._cli import error_line

COMMANDS = [
    ["create-study"],
    ["delete-study"],
    ["study-names"],
    ["studies"],
    ["study", "set-user-attr"],
    ["trials"],
    ["best-trial"],
    ["best-trials"],
    ["ask"],
    ["tell"],
    ["storage", "upgrade"],
    ["copy"],
    ["report"],
    ["dashboard"],
    ["study"],
    ["storage"],
    [],
]
OLD_OPTUNA_DB = (
    Path(__file__).resolve().parents[1]
    / "storages"
    / "fixtures"
    / "old_optuna"
    / "optuna_3.1.1.db"
)


def test_help_of_every_command_exits_0(run):
    for command in COMMANDS:
        result = run(*command, "--help")
        assert result.returncode == 0, command
        assert result.stdout.startswith(f"usage: tansaku {' '.join(command)}".rstrip()), command
    assert run("help", "trials").stdout.startswith("usage: tansaku trials")


@pytest.mark.parametrize("entry_point", [False, True])
def test_no_storage_at_all_is_exit_1_with_one_line(run, entry_point):
    result = run("study-names", entry_point=entry_point)
    assert result.returncode == 1
    assert error_line(result) == (
        "tansaku study-names: error: no storage given: pass --storage URL "
        "(e.g. sqlite:///study.db) or set TANSAKU_STORAGE (or OPTUNA_STORAGE)"
    )


def test_storage_from_tansaku_storage_then_optuna_storage(run, tmp_path):
    tansaku.create_study(study_name="t", storage=f"sqlite:///{tmp_path / 't.db'}")
    tansaku.create_study(study_name="o", storage=f"sqlite:///{tmp_path / 'o.db'}")
    both = {"TANSAKU_STORAGE": "sqlite:///t.db", "OPTUNA_STORAGE": "sqlite:///o.db"}
    assert run("study-names", env=both).stdout == "t\n"
    assert run("study-names", env={"OPTUNA_STORAGE": "sqlite:///o.db"}).stdout == "o\n"
    assert run("study-names", "--storage", "o.db", env=both).stdout == "o\n"
    # Before the command, as Optuna's CLI allows too.
    assert run("--storage", "sqlite:///o.db", "study-names", env=both).stdout == "o\n"


def test_files_are_told_apart_by_their_first_bytes(run, tmp_path):
    # A SQLite file named like a journal and a journal named like a SQLite file.
    tansaku.create_study(study_name="in-sqlite", storage=f"sqlite:///{tmp_path / 'sqlite.log'}")
    from tansaku.storages.journal import JournalFileBackend, JournalStorage

    tansaku.create_study(
        study_name="in-journal",
        storage=JournalStorage(JournalFileBackend(str(tmp_path / "journal.db"))),
    )
    assert run("study-names", "--storage", "sqlite.log").stdout == "in-sqlite\n"
    assert run("study-names", "--storage", "journal.db").stdout == "in-journal\n"
    hinted = run("study-names", "--storage", "journal.db", "--storage-class", "JournalFileBackend")
    assert hinted.stdout == "in-journal\n"


@pytest.mark.parametrize(
    ("setup", "storage", "expected"),
    [
        (None, "missing.db", "tansaku studies: error: storage 'missing.db': no such file"),
        ("dir", "adir", "tansaku studies: error: storage 'adir' is a directory"),
        ("html", "page.html", "tansaku studies: error: JournalFileBackend: "),
        (None, "nosuch://x", "tansaku studies: error: storage='nosuch://x': the URL scheme"),
    ],
)
def test_bad_storages_are_exit_1_with_one_line(run, tmp_path, setup, storage, expected):
    if setup == "dir":
        (tmp_path / "adir").mkdir()
    if setup == "html":
        (tmp_path / "page.html").write_text("<html></html>\n")
    result = run("studies", "--storage", storage)
    assert result.returncode == 1
    assert error_line(result).startswith(expected)
    assert not (tmp_path / "missing.db").exists()


def test_debug_shows_the_traceback(run):
    result = run("studies", "--storage", "missing.db", "--debug")
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("tansaku studies: error: ")


def test_usage_errors_exit_2(run):
    for arguments in (
        ["no-such-command"],
        [],
        ["trials", "--storage", "x.db"],
        ["studies", "-f", "xml"],
    ):
        result = run(*arguments)
        assert result.returncode == 2, arguments
        assert "usage: tansaku" in result.stderr
    through_the_shell = run("studies", "-f", "xml", entry_point=True)
    assert through_the_shell.returncode == 2
    assert "usage: tansaku" in through_the_shell.stderr


def test_python_dash_m_tansaku_and_optuna_two_word_spelling(run, tmp_path):
    created = run("create-study", "--storage", "s.db", "--study-name", "s", module=True)
    assert (created.returncode, created.stdout) == (0, "s\n")
    # Optuna spells the command "study set-user-attr" as one argument.
    assert (
        run(
            "study set-user-attr",
            "--storage",
            "s.db",
            "--study-name",
            "s",
            "-k",
            "k",
            "--value",
            "v",
        ).returncode
        == 0
    )
    assert tansaku.load_study(
        study_name="s", storage=f"sqlite:///{tmp_path / 's.db'}"
    ).user_attrs == {"k": "v"}
    version = run("--version", module=True)
    assert version.stdout == f"tansaku {tansaku.__version__}\n"
    assert run("--version", entry_point=True).stdout == version.stdout
    assert run("--version").stdout == version.stdout


def test_storage_upgrade_of_an_old_database_the_error_names(run, tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(OLD_OPTUNA_DB, path)
    refused = run("studies", "--storage", "old.db")
    assert refused.returncode == 1
    assert f"`tansaku storage upgrade --storage sqlite:///{path}`" in error_line(refused)
    upgraded = run("storage", "upgrade", "--storage", "old.db")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Upgraded the storage to schema version" in upgraded.stderr
    assert run("studies", "--storage", "old.db").returncode == 0
    again = run("storage", "upgrade", "--storage", f"sqlite:///{path}")
    assert (again.returncode, "This storage is up-to-date." in again.stderr) == (0, True)


def test_import_tansaku_loads_neither_the_cli_nor_argparse():
    code = (
        "import sys, tansaku; "
        "print(sorted(m for m in ('argparse', 'tansaku.cli') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout == "[]\n"
