"""PBT end to end: a real model trained by PBTSampler on in-memory and SQLite studies."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tansaku.pbt import LineageRow, PBTSampler, lineage
from tansaku.pbt._explore import fit
from tests.pbt._model import MUTATIONS, make_objective

POPULATION = 4
INTERVAL = 2
BATCHES = [16, 32, 64, 128]


def _study(storage: str | None, **options: Any) -> tansaku.Study:
    sampler = PBTSampler(
        population_size=POPULATION,
        perturbation_interval=INTERVAL,
        hyperparam_mutations=MUTATIONS,
        **options,
    )
    return tansaku.create_study(
        study_name="pbt", storage=storage, direction="maximize", sampler=sampler
    )


def _storage(kind: str, tmp_path: Path) -> str | None:
    return None if kind == "inmemory" else f"sqlite:///{tmp_path / 'pbt.db'}"


def check_lineage(study: tansaku.Study) -> list[LineageRow]:
    """Assert the lineage is consistent and each segment resumed its parent's weights."""
    rows = lineage(study)
    by_number = {row.number: row for row in rows}
    trials = {t.number: t for t in study.get_trials()}
    complete = [row for row in rows if row.state == "COMPLETE"]
    slots = [(row.member, row.generation) for row in complete]
    assert len(slots) == len(set(slots)), "a member's segment was trained twice"
    by_slot = {(row.member, row.generation): row for row in complete}
    for row in complete:
        assert row.end_step - row.start_step == INTERVAL
        if row.action == "start":
            assert (row.parent, row.generation, row.member, row.start_step) == (
                None,
                0,
                row.number,
                0,
            )
            assert trials[row.number].user_attrs["start_weights"] == [0.0, 0.0, 0.0]
            continue
        assert row.parent is not None
        parent = by_number[row.parent]
        assert parent.state == "COMPLETE" and parent.number < row.number
        assert row.start_step == parent.end_step
        # The child resumed from exactly the weights its parent saved.
        assert (
            trials[row.number].user_attrs["start_weights"]
            == trials[parent.number].user_attrs["end_weights"]
        )
        if row.action == "branch":
            assert (row.member, row.generation) == (row.number, 0)
            continue
        previous = by_slot[(row.member, row.generation - 1)]
        assert previous.number < row.number
        if row.action == "continue":
            assert parent == previous
            assert row.params == previous.params
        else:
            assert row.action == "exploit"
            assert parent.member != row.member
    return rows


def check_explored_by_perturbation(rows: list[LineageRow]) -> int:
    """With resample_probability=0, every exploit perturbs its donor's params; count them."""
    by_number = {row.number: row for row in rows}
    lr_distribution = MUTATIONS["lr"]
    exploits = [r for r in rows if r.action in ("exploit", "branch") and r.state == "COMPLETE"]
    for row in exploits:
        assert row.parent is not None
        donor = by_number[row.parent].params
        allowed = {fit(donor["lr"] * f, lr_distribution) for f in (0.8, 1.2)}
        assert any(math.isclose(row.params["lr"], v) for v in allowed), (row, donor)
        index = BATCHES.index(donor["batch"])
        neighbours = {BATCHES[max(index - 1, 0)], BATCHES[min(index + 1, len(BATCHES) - 1)]}
        assert row.params["batch"] in neighbours
    return len(exploits)


@pytest.mark.parametrize("kind", ["inmemory", "sqlite"])
def test_pbt_with_two_threads_keeps_a_consistent_lineage_and_resumes_parent_weights(
    kind: str, tmp_path: Path
) -> None:
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    study = _study(_storage(kind, tmp_path), seed=1, resample_probability=0.0)
    study.optimize(make_objective(str(artifacts)), n_trials=24, n_jobs=2)

    rows = check_lineage(study)
    assert len(rows) == 24
    assert check_explored_by_perturbation(rows) >= 1
    assert len({row.member for row in rows if row.generation > 0}) >= 2


def test_pbt_with_two_processes_on_sqlite_trains_each_segment_once(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    url = _storage("sqlite", tmp_path)
    assert url is not None
    _study(url)  # created once, loaded by each worker
    worker = Path(__file__).with_name("_worker.py")
    processes = [
        subprocess.Popen(
            [sys.executable, str(worker), url, str(artifacts), "10"],
            env={**os.environ},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err

    study = tansaku.load_study(study_name="pbt", storage=url)
    rows = check_lineage(study)
    assert len(rows) == 20
    assert all(row.state == "COMPLETE" for row in rows)
    assert any(row.action == "exploit" for row in rows)


def test_same_seed_reproduces_the_study_in_one_process(tmp_path: Path) -> None:
    runs = []
    for run in range(2):
        artifacts = tmp_path / f"artifacts{run}"
        artifacts.mkdir()
        study = _study(None, seed=7)
        study.optimize(make_objective(str(artifacts)), n_trials=16)
        runs.append(study)
    first, second = (
        [(r.member, r.generation, r.parent, r.action, r.params, r.value) for r in lineage(s)]
        for s in runs
    )
    assert first == second
    assert first != [
        (r.member, r.generation, r.parent, r.action, r.params, r.value)
        for r in lineage(_run_with_seed(tmp_path, 8))
    ]


def _run_with_seed(tmp_path: Path, seed: int) -> tansaku.Study:
    artifacts = tmp_path / f"artifacts-seed{seed}"
    artifacts.mkdir()
    study = _study(None, seed=seed)
    study.optimize(make_objective(str(artifacts)), n_trials=16)
    return study


def test_sequential_pbt_exploits_from_upper_quantile_into_lower_quantile(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    # 8 members: quantiles of 2 (ceil(8 * 0.25)); burn-in of 4 steps (two segments).
    sampler = PBTSampler(
        population_size=8,
        perturbation_interval=INTERVAL,
        hyperparam_mutations=MUTATIONS,
        burn_in_period=4,
        seed=3,
    )
    study = tansaku.create_study(direction="maximize", sampler=sampler)
    study.optimize(make_objective(str(artifacts)), n_trials=40)
    rows = check_lineage(study)

    n_exploits = 0
    for row in rows[8:]:
        # With one worker every earlier trial is complete when a trial starts.
        latest: dict[int, LineageRow] = {}
        for earlier in rows[: row.number]:
            latest[earlier.member] = earlier
        ranked = sorted(latest, key=lambda m: (latest[m].value, m))  # worst first
        lower, upper = ranked[:2], ranked[-2:]
        previous = latest[row.member]
        if row.action == "exploit":
            n_exploits += 1
            assert row.member in lower
            assert previous.end_step >= 4
            assert row.parent is not None
            assert rows[row.parent].member in upper
            assert rows[row.parent] == latest[rows[row.parent].member]
        else:
            assert row.action == "continue"
            assert row.member not in lower or previous.end_step < 4
    assert n_exploits >= 3
