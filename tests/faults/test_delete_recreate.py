"""Two storage objects on one database: A deletes a study and creates another; B sees the new.

B has read the deleted study's finished trials, which RDBStorage keeps in memory (finished
trials never change). After A deletes the study and creates a new one, with the same name or
another, the database may hand the new study and its trials the ids the deleted ones had
(SQLite reuses the largest rowid once it is free). B must then read the new study's trials,
never the deleted study's from its memory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tansaku.distributions import FloatDistribution
from tansaku.storages import BaseStorage
from tansaku.study import StudyDirection
from tansaku.trial import FrozenTrial, TrialState, create_trial
from tests.faults._common import RDB_KINDS, new_location
from tests.faults._workers import open_storage

pytestmark = pytest.mark.faults

MIN = StudyDirection.MINIMIZE


def _add(storage: BaseStorage, study_id: int, name: str, values: list[float]) -> None:
    for value in values:
        storage.create_new_trial(
            study_id,
            create_trial(
                params={name: value / 100},
                distributions={name: FloatDistribution(-10, 10)},
                value=value,
            ),
        )


def _summary(trials: list[FrozenTrial]) -> list[tuple[int, str, list[float] | None, dict]]:
    return [(t.number, t.state.name, t.values, t.params) for t in trials]


@pytest.mark.parametrize("kind", RDB_KINDS)
@pytest.mark.parametrize("new_name", ["same", "other"])
def test_other_storage_reads_the_new_studys_trials_not_the_deleted_ones(
    kind: str, new_name: str, tmp_path: Path
) -> None:
    where = new_location(kind, tmp_path)
    a, b = open_storage(kind, where), open_storage(kind, where)
    try:
        old_id = a.create_new_study([MIN], "study")
        _add(a, old_id, "old", [1.0, 2.0, 3.0])
        # B reads the study to the end: its finished trials are now in B's memory.
        assert b.get_study_id_from_name("study") == old_id
        old_trials = b.get_all_trials(old_id)
        assert [t.values for t in old_trials] == [[1.0], [2.0], [3.0]]

        a.delete_study(old_id)
        name = "study" if new_name == "same" else "renamed"
        new_id = a.create_new_study([MIN], name)
        _add(a, new_id, "new", [7.0, 8.0])
        running_id = a.create_new_trial(new_id)
        expected = _summary(a.get_all_trials(new_id))
        assert [row[2] for row in expected] == [[7.0], [8.0], None]

        assert b.get_study_id_from_name(name) == new_id
        seen = _summary(b.get_all_trials(new_id))
        assert seen == expected, "B read trials of the deleted study, not of the new one"
        assert b.get_n_trials(new_id, TrialState.COMPLETE) == 2
        for trial in a.get_all_trials(new_id):
            assert _summary([b.get_trial(trial._trial_id)]) == _summary([trial])
        assert b.get_trial(running_id).state is TrialState.RUNNING
        if new_name == "other":
            assert [s.study_name for s in b.get_all_studies()] == ["renamed"]
    finally:
        a.remove_session()
        b.remove_session()
