"""A full disk: the failing call says so, nothing reported complete is lost, and work goes on.

The study lives on a 2 MiB tmpfs mounted for the test (we are root), filled by a filler file
up to a few pages short of full. ``optimize`` runs one trial at a time until a call fails;
then a fresh storage reads the study while the disk is still full, the filler goes, and both
the storage that failed and a fresh one run more trials.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import tansaku
from tansaku.samplers import RandomSampler
from tansaku.trial import TrialState
from tests.faults._common import seeds
from tests.faults._workers import STUDY_NAME, objective, open_storage
from tests.storages.servers import unavailable

pytestmark = pytest.mark.faults

# Free bytes left after filling: room for a few trials before the disk is full. A trial
# appends about 3 KiB to a journal, and about 200 KiB of pages to SQLite's write-ahead log.
SLACK = {"sqlite": 640 * 1024, "journal_file": 32 * 1024}
MAX_TRIALS = 2000
# What an error about a full disk says.
_CLEAR = re.compile(r"no space left|disk is full|ENOSPC", re.IGNORECASE)


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 2 MiB tmpfs, unmounted after the test whatever happens."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        unavailable("mounting a small tmpfs needs root and mount")
    mount_point = Path(tempfile.mkdtemp(prefix="tansaku-full-disk-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m,mode=755", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        mount_point.rmdir()
        unavailable(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], check=True)
        mount_point.rmdir()


def _fill(mount_point: Path, slack: int) -> Path:
    """Fill the file system with one file, then free ``slack`` bytes of it."""
    filler = mount_point / "filler"
    chunk = b"\0" * 4096
    with open(filler, "wb", buffering=0) as file:
        try:
            while True:
                file.write(chunk)
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
        size = file.tell()
    os.truncate(filler, max(0, size - slack))
    return filler


@pytest.mark.parametrize("seed", seeds(), ids=lambda seed: f"seed{seed}")
@pytest.mark.parametrize("kind", ["sqlite", "journal_file"])
def test_full_disk_fails_clearly_and_loses_nothing(kind: str, seed: int, small_disk: Path) -> None:
    where = (
        f"sqlite:///{small_disk / 'study.db'}"
        if kind == "sqlite"
        else str(small_disk / "study.log")
    )
    storage = open_storage(kind, where)
    # The seed moves where the disk ends within the last record: whole records, or one torn.
    sampler = RandomSampler(seed=seed)
    study = tansaku.create_study(study_name=STUDY_NAME, storage=storage, sampler=sampler)
    study.optimize(objective, n_trials=1)
    filler = _fill(small_disk, SLACK[kind] + 1000 * seed)

    completed: dict[int, float] = {}
    error: Exception | None = None
    for _ in range(MAX_TRIALS):
        try:
            study.optimize(objective, n_trials=1)
        except Exception as raised:
            error = raised
            break
        last = study.trials[-1]
        assert last.state is TrialState.COMPLETE and last.value is not None
        completed[last.number] = last.value
    assert error is not None, f"{MAX_TRIALS} trials fit on a full disk"
    print(f"{len(completed)} trials fit, then: {error!r}")
    assert _CLEAR.search(f"{type(error).__name__}: {error}"), f"unclear error: {error!r}"
    assert completed, "no trial fit in the slack: make SLACK larger"

    # The study stays readable, with every trial reported complete, while the disk is full.
    reader = open_storage(kind, where)
    stored = {
        t.number: t for t in reader.get_all_trials(reader.get_study_id_from_name(STUDY_NAME))
    }
    for number, value in completed.items():
        assert stored[number].state is TrialState.COMPLETE and stored[number].value == value
    reader.remove_session()

    # Space comes back: the storage that failed goes on, and so does a fresh one.
    filler.unlink()
    study.optimize(objective, n_trials=2)
    fresh = open_storage(kind, where)
    tansaku.load_study(study_name=STUDY_NAME, storage=fresh).optimize(objective, n_trials=2)
    trials = fresh.get_all_trials(fresh.get_study_id_from_name(STUDY_NAME))
    for number, value in completed.items():
        assert trials[number].state is TrialState.COMPLETE and trials[number].value == value
    assert [t.state for t in trials[-4:]] == [TrialState.COMPLETE] * 4
    assert [t.number for t in trials] == list(range(len(trials)))
    fresh.remove_session()
    storage.remove_session()
    del study
