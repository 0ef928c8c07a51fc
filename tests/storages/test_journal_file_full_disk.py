"""A journal file's append that does not fit on the disk: a clear error, no torn record.

The disk fills at a chosen byte of the append: the journal's ``os.write`` writes only what
fits (a short count, as the kernel does), and the next write raises ENOSPC. The end-to-end
test on a real full file system is ``tests/faults/test_full_disk.py``.
"""

from __future__ import annotations

import errno
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from tansaku.storages.journal import JournalFileBackend, JournalStorage, _file
from tansaku.study import StudyDirection
from tansaku.trial import TrialState


def _disk_full_after(path: Path, room: int) -> Callable[[int, bytes], int]:
    """An ``os.write`` for which only ``room`` more bytes fit in ``path``'s file system."""
    real_write = os.write
    journal = os.stat(path)
    left = [room]

    def write(fd: int, data: bytes) -> int:
        status = os.fstat(fd)
        if (status.st_dev, status.st_ino) != (journal.st_dev, journal.st_ino):
            return real_write(fd, data)
        if left[0] == 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = real_write(fd, data[: left[0]])
        left[0] -= written
        return written

    return write


def _read_all(path: Path) -> list[dict[str, object]]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a torn record would be skipped with a warning
        return list(JournalFileBackend(str(path)).read_logs(0))


# The torn record made by hand is skipped with a warning, by this storage and a fresh one.
@pytest.mark.filterwarnings("ignore:JournalFileBackend. skipped a torn:RuntimeWarning")
@pytest.mark.parametrize("room", [0, 1, 40])
@pytest.mark.parametrize(
    "torn_before", [False, True], ids=["after_whole_records", "after_a_torn_record"]
)
def test_append_that_does_not_fit_leaves_no_torn_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, room: int, torn_before: bool
) -> None:
    path = tmp_path / "journal.log"
    storage = JournalStorage(JournalFileBackend(str(path)))
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "s")
    trial_id = storage.create_new_trial(study_id)
    n_records = len(_read_all(path))
    if torn_before:
        with open(path, "ab") as file:  # a writer killed in the middle of its record
            file.write(b'{"op_code": 4, "stud')
    before = path.read_bytes()

    monkeypatch.setattr(_file.os, "write", _disk_full_after(path, room))
    with pytest.raises(OSError, match="disk is full") as raised:
        storage.set_trial_user_attr(trial_id, "k", "v" * 100)

    assert raised.value.errno == errno.ENOSPC
    assert str(path) in str(raised.value)
    # Nothing of the record is left; a torn record before it stays ended if it was ended.
    ended = before + b"\n" if torn_before and room > 0 else before
    assert path.read_bytes() == ended
    monkeypatch.undo()
    # Space comes back: the same storage and a fresh one go on, reading the same records.
    storage.set_trial_user_attr(trial_id, "k", "v")
    storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0])
    fresh = JournalStorage(JournalFileBackend(str(path)))
    for reader in (storage, fresh):
        trial = reader.get_trial(trial_id)
        assert (trial.state, trial.user_attrs) == (TrialState.COMPLETE, {"k": "v"})
    if not torn_before:
        assert len(_read_all(path)) == n_records + 2


def test_snapshot_that_does_not_fit_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.log"
    backend = JournalFileBackend(str(path))
    JournalStorage(backend).create_new_study([StudyDirection.MINIMIZE], "s")

    def full_disk_replace(source: str, target: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_file.os, "replace", full_disk_replace)
    with pytest.raises(OSError, match="No space left"):
        backend.save_snapshot(b"{}")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.log"]
