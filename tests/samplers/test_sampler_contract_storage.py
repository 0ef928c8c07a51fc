"""Sampler contract: what a sampler stores is plain JSON, and two processes sharing a study on
SQLite and on a journal file finish valid, complete trials (``before_trial`` / ``after_trial``
run against the shared storage, beside the other process's trials)."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tansaku.storages import BaseStorage, JournalStorage, RDBStorage
from tansaku.storages.journal import JournalFileBackend
from tests.samplers._contract_samplers import (
    SAMPLERS,
    ContractSampler,
    contract_sampler,  # noqa: F401  (the "sampler_entry" fixture, found by its name)
    run_study,
    skip_unless_conditional,
)
from tests.samplers._contract_spaces import SPACES, assert_study_fits_space

REPO = Path(__file__).resolve().parents[2]
SHARED_KINDS = ("sqlite", "journal_file")
N_WORKERS = 2
TRIALS_PER_WORKER = 10
CROSS_PROCESS = [
    (name, space_name)
    for name, entry in SAMPLERS.items()
    if entry.cross_process
    for space_name in SPACES
    if entry.supports_conditional or space_name != "conditional"
]
_HEX = re.compile(r"(?:[0-9a-fA-F]{2}){8,}")
_BASE64 = re.compile(r"[A-Za-z0-9+/]{12,}={0,2}")


def _looks_pickled(text: str) -> bool:
    """Whether ``text`` holds a pickle: raw, as hex or as base64 (pickles start with 0x80)."""
    if text.startswith("\x80"):
        return True
    if _HEX.fullmatch(text) and bytes.fromhex(text).startswith(b"\x80"):
        return True
    if _BASE64.fullmatch(text):
        try:
            return base64.b64decode(text, validate=True).startswith(b"\x80")
        except (binascii.Error, ValueError):
            return False
    return False


def _strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_in(key)
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


def assert_plain_json(where: str, attrs: dict[str, Any]) -> None:
    """Every attr is strict JSON that reads back equal (no tuples, numpy numbers, NaN, bytes)
    and no string in it is a pickle."""
    for key, value in attrs.items():
        encoded = json.dumps(value, allow_nan=False)
        assert json.loads(encoded) == value, f"{where} attr {key!r}={value!r} changes as JSON"
        for text in _strings_in(value):
            assert not _looks_pickled(text), f"{where} attr {key!r} holds a pickle: {text[:40]}"


def assert_study_attrs_are_plain_json(study: tansaku.Study) -> None:
    # Study.system_attrs is gone from the public API (as in Optuna 5); the storage has them.
    assert_plain_json("study system", study._storage.get_study_system_attrs(study._study_id))
    assert_plain_json("study user", study.user_attrs)
    for trial in study.get_trials(deepcopy=False):
        assert_plain_json(f"trial {trial.number} system", trial.system_attrs)
        assert_plain_json(f"trial {trial.number} user", trial.user_attrs)


def test_the_pickle_check_finds_pickles() -> None:
    import pickle

    blob = pickle.dumps({"mean": [0.5]})
    assert _looks_pickled(blob.hex())
    assert _looks_pickled(base64.b64encode(blob).decode())
    assert _looks_pickled(blob.decode("latin-1"))
    assert not _looks_pickled("deadbeefdeadbeef")
    assert not _looks_pickled("plain text")


@pytest.mark.parametrize("n_objectives", [1, 2])
@pytest.mark.parametrize("space_name", list(SPACES))
def test_what_the_sampler_stores_is_plain_json(
    sampler_entry: ContractSampler, space_name: str, n_objectives: int
) -> None:
    # In memory, attrs are kept as the sampler gave them, so a tuple or a numpy number shows.
    skip_unless_conditional(sampler_entry, space_name)
    if n_objectives > 1 and not sampler_entry.entry.supports_multi_objective:
        pytest.skip(f"{sampler_entry.name} declares supports_multi_objective=False")
    study = run_study(sampler_entry, space_name, n_objectives=n_objectives, faults=True)
    study.enqueue_trial({"n_layers": 1, "int": 2})
    assert_study_attrs_are_plain_json(study)


# -- two processes, one study -------------------------------------------------------------------


def open_storage(kind: str, where: str) -> BaseStorage:
    if kind == "sqlite":
        return RDBStorage(f"sqlite:///{where}")
    return JournalStorage(JournalFileBackend(where))


def work(kind: str, where: str, worker: int) -> None:
    """One worker: optimize every shared study, each with its sampler seeded by ``worker``."""
    tansaku.logging.set_verbosity(tansaku.logging.ERROR)
    storage = open_storage(kind, where)
    for name, space_name in CROSS_PROCESS:
        run_study(
            ContractSampler(name, SAMPLERS[name]),
            space_name,
            seed=worker,
            faults=True,
            n_trials=TRIALS_PER_WORKER,
            storage=storage,
            study_name=f"{name}-{space_name}",
        )


@pytest.mark.parametrize("kind", SHARED_KINDS)
def test_two_processes_sharing_a_study_finish_valid_complete_trials(
    kind: str, tmp_path: Path
) -> None:
    # One pair of worker processes runs every shared study (one per sampler and space), in the
    # same order, each a few dozen milliseconds long, so their trials interleave; the checks do
    # not depend on how much. One test per storage: starting Python costs more than the studies.
    path = tmp_path / ("shared.db" if kind == "sqlite" else "shared.log")
    storage = open_storage(kind, str(path))
    for name, space_name in CROSS_PROCESS:
        # Created here, so the workers only load them.
        storage.create_new_study([tansaku.study.StudyDirection.MINIMIZE], f"{name}-{space_name}")
    script = (
        "import sys\n"
        "from tests.samplers.test_sampler_contract_storage import work\n"
        "work(sys.argv[1], sys.argv[2], int(sys.argv[3]))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, kind, str(path), str(i)],
            cwd=REPO,
            env=env,
            stderr=subprocess.PIPE,
        )
        for i in range(N_WORKERS)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err.decode()[-3000:]

    # Every trial ended as the objective planned (none left running, none failed by the
    # sampler), with params that fit the space, and what the samplers stored is plain JSON.
    failures = []
    for name, space_name in CROSS_PROCESS:
        study = tansaku.load_study(study_name=f"{name}-{space_name}", storage=storage)
        try:
            assert_study_fits_space(
                study,
                SPACES[space_name],
                SAMPLERS[name].finite_space_only,
                True,
                N_WORKERS * TRIALS_PER_WORKER,
            )
            assert_study_attrs_are_plain_json(study)
        except AssertionError as error:
            failures.append(f"{name} on {space_name}: {error}")
    assert not failures, "\n".join(failures)
