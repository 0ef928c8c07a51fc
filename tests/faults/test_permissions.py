"""Read-only storages: a reader loads the study and every trial; a writer gets a clear error.

The tests run as root, whom file modes do not stop, so the reader runs as ``nobody`` through
``setpriv``. The interpreter lives under ``/root`` (mode 700), which ``nobody`` cannot enter:
the reader keeps one capability, CAP_DAC_READ_SEARCH, which lets it read and traverse
everything and write nothing that ``nobody`` may not write. The storages sit in a directory
under /tmp that everyone can enter (mode 755), as a shared study would.

Layouts: ``ro_file`` is a read-only file (mode 444, owned by root) in a directory the reader
may write to (SQLite can then make its ``-wal`` and ``-shm`` files); ``ro_dir`` is a read-only
file in a read-only directory (mode 555), like a study on read-only media.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tansaku.distributions import IntDistribution
from tansaku.study import StudyDirection
from tansaku.trial import FrozenTrial, create_trial
from tests.faults._common import WORKERS, finish, worker_env
from tests.faults._workers import STUDY_NAME, open_storage
from tests.storages.servers import unavailable

pytestmark = pytest.mark.faults

NOBODY = "nobody"
# The one capability the reader keeps (see the module docstring).
_SETPRIV = [
    "setpriv",
    "--reuid=nobody",
    "--regid=nogroup",
    "--clear-groups",
    "--inh-caps=-all,+dac_read_search",
    "--ambient-caps=-all,+dac_read_search",
    "--bounding-set=-all,+dac_read_search",
]
# What a clear error about a storage that cannot be written says.
_CLEAR = re.compile(r"read-?only|permission denied|not writable", re.IGNORECASE)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory under /tmp that everyone can enter; removed with its contents after."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        unavailable("running a reader as another user needs root and setpriv")
    directory = Path(tempfile.mkdtemp(prefix="tansaku-faults-", dir="/tmp"))
    directory.chmod(0o755)
    yield directory
    for path in [directory, *directory.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    shutil.rmtree(directory)


def _make_study(kind: str, where: str) -> list[list[object]]:
    """A study of three finished trials; its trials as the reader prints them."""
    storage = open_storage(kind, where)
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], STUDY_NAME)
    for n in range(3):
        storage.create_new_trial(
            study_id,
            create_trial(params={"n": n}, distributions={"n": IntDistribution(0, 9)}, value=n),
        )
    trials = _listed(storage.get_all_trials(study_id))
    storage.remove_session()
    return trials


def _listed(trials: list[FrozenTrial]) -> list[list[object]]:
    """``trials`` as the reader prints them (JSON)."""
    listed = json.loads(json.dumps([[t.number, t.state.name, t.values, t.params] for t in trials]))
    assert isinstance(listed, list)
    return listed


def _read_as_nobody(kind: str, where: str) -> dict[str, object]:
    process = subprocess.Popen(
        [*_SETPRIV, sys.executable, str(WORKERS), "reader", kind, where],
        env=worker_env(),
        cwd="/",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    result = json.loads(finish(process, f"the reader of a read-only {kind}"))
    assert isinstance(result, dict)
    return result


@pytest.mark.parametrize("layout", ["ro_file", "ro_dir"])
@pytest.mark.parametrize("kind", ["sqlite", "journal_file"])
def test_reader_reads_every_trial_and_a_writer_gets_a_clear_error(
    kind: str, layout: str, shared_dir: Path
) -> None:
    directory = shared_dir / "study"
    directory.mkdir()
    path = directory / ("study.db" if kind == "sqlite" else "study.log")
    where = f"sqlite:///{path}" if kind == "sqlite" else str(path)
    expected = _make_study(kind, where)
    for file in directory.iterdir():
        file.chmod(0o444)
    if layout == "ro_dir":
        directory.chmod(0o555)
    else:
        shutil.chown(directory, user=NOBODY)
    before = path.read_bytes()

    result = _read_as_nobody(kind, where)

    assert result["trials"] == expected
    error = result.get("write_error")
    assert error is not None, "a trial was written to a read-only storage"
    assert isinstance(error, str) and _CLEAR.search(error), f"unclear error: {error}"
    # Nothing lost, nothing added: root reads the same trials from the same bytes.
    assert path.read_bytes() == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    directory.chmod(0o755)
    storage = open_storage(kind, where)
    study_id = storage.get_study_id_from_name(STUDY_NAME)
    assert _listed(storage.get_all_trials(study_id)) == expected
    storage.remove_session()
