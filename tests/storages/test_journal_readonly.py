"""A journal file that the process may only read opens and reads; writing says why it can't.

The tests run as root, which file modes do not restrain, so each reader runs in a child
process that drops to the user ``nobody`` first. The child is forked from the test process
after everything it needs is imported, so it reads no code from the work tree (which may not
be readable by ``nobody``) and reports back through a pipe.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tansaku.storages.journal import JournalFileBackend, JournalStorage

N_TRIALS = 5


def _as_nobody(action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``action`` in a forked child as the user nobody; return what it returned."""
    if os.geteuid() != 0:
        pytest.fail("these tests drop to the user nobody, which needs root", pytrace=False)
    nobody = pwd.getpwnam("nobody")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 0
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            result = action()
        except BaseException:
            result, status = {"crash": traceback.format_exc()}, 1
        with os.fdopen(write_end, "w") as pipe:
            pipe.write(json.dumps(result))
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    result: dict[str, Any] = json.loads(text)
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


def _read_then_try_to_write(path: Path) -> dict[str, Any]:
    storage = JournalStorage(JournalFileBackend(str(path)))
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

    result = _as_nobody(lambda: _read_then_try_to_write(path))

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

    def open_missing() -> dict[str, Any]:
        try:
            JournalFileBackend(str(path))
        except OSError as error:
            return {"error": f"{type(error).__name__}: {error}"}
        return {}

    result = _as_nobody(open_missing)
    assert result["error"].startswith("PermissionError")
    assert str(path) in result["error"]


def test_reader_without_write_rights_writes_no_snapshot(
    journal_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tansaku.storages.journal._storage as journal_storage

    # A snapshot is due after every few records, so the reader would write one.
    monkeypatch.setattr(journal_storage, "snapshot_due", lambda n, at_last: n - at_last >= 3)
    path = journal_dir / "journal.log"
    _write_study(path)
    snapshot = Path(f"{path}.snapshot")
    snapshot.unlink(missing_ok=True)
    path.chmod(0o444)

    def read() -> dict[str, Any]:
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            storage = JournalStorage(JournalFileBackend(str(path)))
            n_trials = len(storage.get_all_trials(storage.get_study_id_from_name("s")))
        return {"n_trials": n_trials, "warnings": [str(w.message) for w in caught]}

    result = _as_nobody(read)
    assert result == {"n_trials": N_TRIALS, "warnings": []}
    assert not snapshot.exists()
