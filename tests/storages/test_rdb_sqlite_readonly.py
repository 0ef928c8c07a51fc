"""A SQLite database that the process may only read opens and reads; writing says why it can't.

The readers run as the user ``nobody`` in a new process (see ``test_journal_readonly.py``). A
writer that keeps the database open runs in a separate process too.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tansaku.storages import RDBStorage
from tests.storages.test_journal_readonly import _as_nobody, journal_dir  # noqa: F401

N_TRIALS = 5
REPO = Path(__file__).resolve().parents[2]


def _write_study(path: Path, n_trials: int = N_TRIALS) -> float:
    storage = RDBStorage(f"sqlite:///{path}")
    study = tansaku.create_study(study_name="s", storage=storage, load_if_exists=True)
    study.optimize(lambda trial: trial.suggest_float("x", -1.0, 1.0) ** 2, n_trials=n_trials)
    best_value = study.best_value
    storage.remove_session()  # the last connection checkpoints the WAL and removes it
    return best_value


def _read_then_try_to_write(path: str) -> dict[str, Any]:
    storage = RDBStorage(f"sqlite:///{path}")
    study = tansaku.load_study(study_name="s", storage=storage)
    result: dict[str, Any] = {
        "n_trials": len(study.trials),
        "best_value": study.best_value,
        "summaries": len(tansaku.get_all_study_summaries(storage)),
    }
    try:
        study.optimize(lambda trial: trial.suggest_float("x", -1.0, 1.0), n_trials=1)
    except Exception as error:
        result["write_error"] = f"{type(error).__name__}: {error}"
    storage.remove_session()
    return result


def _count_in_file_alone(path: Path) -> int:
    """The trials the database file holds by itself, ignoring any ``-wal`` file."""
    connection = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(connection.execute("SELECT count(*) FROM trials").fetchone()[0])
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("file_mode", "dir_owner"),
    [(0o444, "nobody"), (0o644, "root"), (0o444, "root")],
    ids=["read-only file in the reader's directory", "file of another user", "read-only file"],
)
def test_reader_without_write_rights_reads_the_database(
    journal_dir: Path,  # noqa: F811
    file_mode: int,
    dir_owner: str,
) -> None:
    path = journal_dir / "study.db"
    best_value = _write_study(path)
    assert sorted(p.name for p in journal_dir.iterdir()) == ["study.db", "study.db-writer-lock"]
    before = path.read_bytes()
    path.chmod(file_mode)
    # Root's directory is read-only for the reader (mode 755), and the reader's its own.
    shutil.chown(journal_dir, user=dir_owner)

    result = _as_nobody(_read_then_try_to_write, str(path))

    assert result["n_trials"] == N_TRIALS
    assert result["best_value"] == best_value
    assert result["summaries"] == 1
    # A write is refused with an error that names the file, and changes nothing.
    assert result["write_error"].startswith("PermissionError"), result["write_error"]
    assert str(path) in result["write_error"]
    assert path.read_bytes() == before


_KEEP_OPEN = """
import sys
import tansaku
from tansaku.storages import RDBStorage
storage = RDBStorage(sys.argv[1])
study = tansaku.load_study(study_name="s", storage=storage)
study.optimize(lambda trial: trial.suggest_float("x", -1.0, 1.0) ** 2, n_trials=int(sys.argv[2]))
print(len(study.trials), flush=True)
sys.stdin.readline()  # the connection stays open, its commits in the -wal file, until then
"""


def test_reader_in_a_read_only_directory_reads_commits_still_in_the_wal(
    journal_dir: Path,  # noqa: F811
) -> None:
    """A writer at work (or killed) leaves commits in ``-wal``: the reader reads them too."""
    path = journal_dir / "study.db"
    _write_study(path)
    writer = subprocess.Popen(
        [sys.executable, "-c", _KEEP_OPEN, f"sqlite:///{path}", "3"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    try:
        assert writer.stdout is not None
        assert int(writer.stdout.readline()) == N_TRIALS + 3
        assert _count_in_file_alone(path) == N_TRIALS  # the new ones are in the -wal only
        path.chmod(0o444)
        journal_dir.chmod(0o555)

        result = _as_nobody(_read_then_try_to_write, str(path))
    finally:
        assert writer.stdin is not None
        writer.stdin.close()
        writer.wait(timeout=60)

    assert result["n_trials"] == N_TRIALS + 3
    assert result["write_error"].startswith("PermissionError"), result["write_error"]
    assert str(path) in result["write_error"]
