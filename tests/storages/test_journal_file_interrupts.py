"""Ctrl-C at any moment of a journal file append: the file's lock is released, writes go on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tansaku.exceptions import StorageLockTimeoutError
from tansaku.storages import _file_lock
from tansaku.storages.journal import JournalFileBackend, JournalStorage
from tansaku.storages.journal import _file as journal_file
from tansaku.study import StudyDirection
from tests.storages.test_sqlite_interrupts import (
    _HOLDER,
    _first_line_of_cleanup,
    _interrupt_at,
    _line_starts,
    _lock_is_free,
    _read_line,
)

_LOCKING_CODE = {
    "append_logs": JournalFileBackend.append_logs.__code__,
    "lock_exclusive": _file_lock.lock_exclusive.__code__,
}
# The release, which starts its cleanup block: the test of whether flock is used calls nothing,
# so no signal lands before the flock call either (see _first_line_of_cleanup).
_RELEASE_TEST = _first_line_of_cleanup(
    JournalFileBackend.append_logs, "if self._lock_obj is None and fcntl is not None:"
)
_BEFORE_CLEANUP = {("append_logs", _RELEASE_TEST), ("append_logs", _RELEASE_TEST + 1)}
_CASES = [
    pytest.param(name, line, id=f"{name}-{line - code.co_firstlineno}")
    for name, code in _LOCKING_CODE.items()
    for line in _line_starts(code)
    if (name, line) not in _BEFORE_CLEANUP
]


@pytest.mark.parametrize(("name", "line"), _CASES)
def test_interrupt_at_any_line_of_an_append_releases_the_lock_and_the_next_write_works(
    tmp_path: Path, name: str, line: int
) -> None:
    path = tmp_path / "journal.log"
    storage = JournalStorage(JournalFileBackend(str(path)))
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "appended")
    error: BaseException | None = None
    with _interrupt_at(_LOCKING_CODE[name], line) as raised:
        try:
            storage.set_study_user_attr(study_id, "k", 1)
        except BaseException as caught:
            error = caught
    if raised:
        assert isinstance(error, KeyboardInterrupt), repr(error)
    else:
        assert error is None, repr(error)
    assert _lock_is_free(str(path))
    storage.set_study_user_attr(study_id, "k", 2)
    reader = JournalStorage(JournalFileBackend(str(path)))
    assert reader.get_study_user_attrs(study_id) == {"k": 2}


def test_lock_held_by_another_live_process_raises_after_the_bound_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.log"
    storage = JournalStorage(JournalFileBackend(str(path)))
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "held")
    monkeypatch.setattr(journal_file, "LOCK_TIMEOUT_S", 1.0)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert _read_line(holder) == "holding"
        with pytest.raises(StorageLockTimeoutError) as raised:
            storage.set_study_user_attr(study_id, "k", 1)
        assert raised.value.lock_path == str(path)
        assert raised.value.holder_pids == (holder.pid,)
        assert str(holder.pid) in str(raised.value)
    finally:
        holder.communicate("")
    storage.set_study_user_attr(study_id, "k", 2)
    assert storage.get_study_user_attrs(study_id) == {"k": 2}
