"""A journal file that the process may only read opens and reads; writing says why it can't.

The tests run as root, which file modes do not restrain, so each reader runs in a new Python
process as the user ``nobody`` (started by ``setpriv``, with the one capability to read the
work tree's code, which ``nobody`` may not be able to; writes stay refused). It runs a
module-level function of a test module and prints what it returned as JSON. A fresh process
rather than a fork: a fork of the test process inherits whatever threads earlier tests left
running (gRPC's, for one), and a child forked amid them may crash.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tansaku.storages.journal import JournalFileBackend, JournalStorage

N_TRIALS = 5
REPO = Path(__file__).resolve().parents[2]


_SETPRIV = [
    "setpriv",
    "--reuid=nobody",
    "--regid=nogroup",
    "--clear-groups",
    "--inh-caps=-all,+dac_read_search",
    "--ambient-caps=-all,+dac_read_search",
]
_RUN = """
import importlib.util, json, sys, traceback
try:
    spec = importlib.util.spec_from_file_location("readonly_test_module", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = getattr(module, sys.argv[2])
    result = function(*json.loads(sys.argv[3]))
except BaseException:
    result = {"crash": traceback.format_exc()}
print(json.dumps(result))
"""


def _as_nobody(function: Callable[..., dict[str, Any]], *args: str) -> dict[str, Any]:
    """Run the module-level ``function(*args)`` of a test module as the user nobody in a new
    process (which loads the module from its file)."""
    if os.geteuid() != 0:
        pytest.fail("these tests drop to the user nobody, which needs root", pytrace=False)
    command = [sys.executable, "-c", _RUN, inspect.getfile(function), function.__name__]
    process = subprocess.run(
        [*_SETPRIV, *command, json.dumps(args)],
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        cwd="/",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    result: dict[str, Any] = json.loads(process.stdout.splitlines()[-1])
    assert "crash" not in result, result.get("crash")
    return result


@pytest.fixture
def journal_dir() -> Iterator[Path]:
    """A directory under /tmp that nobody may enter (tmp_path is private to root)."""
    directory = Path(tempfile.mkdtemp(prefix="tansaku-readonly-"))
    directory.chmod(0o755)
    yield directory
    directory.chmod(0o755)
    shutil.rmtree(directory)


def _write_study(path: Path) -> float:
    study = tansaku.create_study(
        study_name="s", storage=JournalStorage(JournalFileBackend(str(path)))
    )
    study.optimize(lambda trial: trial.suggest_float("x", -1.0, 1.0) ** 2, n_trials=N_TRIALS)
    return study.best_value


def _read_then_try_to_write(path: str) -> dict[str, Any]:
    storage = JournalStorage(JournalFileBackend(path))
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
    return result


def _open_missing(path: str) -> dict[str, Any]:
    try:
        JournalFileBackend(path)
    except OSError as error:
        return {"error": f"{type(error).__name__}: {error}"}
    return {}


def _read_with_snapshots_due(path: str) -> dict[str, Any]:
    import tansaku.storages.journal._storage as journal_storage

    # A snapshot is due after every few records, so the reader would write one.
    journal_storage.snapshot_due = lambda n, at_last: n - at_last >= 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        storage = JournalStorage(JournalFileBackend(path))
        n_trials = len(storage.get_all_trials(storage.get_study_id_from_name("s")))
    return {"n_trials": n_trials, "warnings": [str(w.message) for w in caught]}


@pytest.mark.parametrize(
    ("file_mode", "dir_mode"),
    [(0o444, 0o755), (0o644, 0o755), (0o644, 0o555)],
    ids=["read-only file", "file of another user", "read-only directory"],
)
def test_reader_without_write_rights_reads_the_journal(
    journal_dir: Path, file_mode: int, dir_mode: int
) -> None:
    path = journal_dir / "journal.log"
    best_value = _write_study(path)
    before = path.read_bytes()
    path.chmod(file_mode)
    journal_dir.chmod(dir_mode)

    result = _as_nobody(_read_then_try_to_write, str(path))

    assert result["n_trials"] == N_TRIALS
    assert result["best_value"] == best_value
    assert result["summaries"] == 1
    # A write is refused with an error that names the file, and changes nothing.
    assert result["write_error"].startswith("PermissionError")
    assert str(path) in result["write_error"]
    assert path.read_bytes() == before
    assert sorted(p.name for p in journal_dir.iterdir()) == ["journal.log"]


def test_missing_journal_in_a_read_only_directory_names_the_file(journal_dir: Path) -> None:
    journal_dir.chmod(0o555)
    path = journal_dir / "journal.log"

    result = _as_nobody(_open_missing, str(path))
    assert result["error"].startswith("PermissionError")
    assert str(path) in result["error"]


def test_reader_without_write_rights_writes_no_snapshot(journal_dir: Path) -> None:
    path = journal_dir / "journal.log"
    _write_study(path)
    snapshot = Path(f"{path}.snapshot")
    snapshot.unlink(missing_ok=True)
    path.chmod(0o444)

    result = _as_nobody(_read_with_snapshots_due, str(path))
    assert result == {"n_trials": N_TRIALS, "warnings": []}
    assert not snapshot.exists()
