"""The storage contract for studies: names, directions, attrs, deletion, missing studies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tansaku.exceptions import DuplicatedStudyError
from tansaku.storages import BaseStorage
from tests.storages._contract_backends import (
    ATTR_VALUES,
    MAX,
    MIN,
    contract_storage,  # noqa: F401  (the "storage" fixture, found by its name)
    finished_trial,
    new_study,
)


def test_created_studies_keep_their_names_and_directions(storage: BaseStorage) -> None:
    first = new_study(storage, MIN, name="first")
    second = new_study(storage, MAX, MIN, name="second")
    assert first != second
    assert storage.get_study_id_from_name("first") == first
    assert storage.get_study_id_from_name("second") == second
    assert storage.get_study_name_from_id(second) == "second"
    assert storage.get_study_directions(first) == [MIN]
    assert storage.get_study_directions(second) == [MAX, MIN]


def test_study_without_name_gets_a_unique_generated_name(storage: BaseStorage) -> None:
    ids = [new_study(storage) for _ in range(3)]
    names = {storage.get_study_name_from_id(study_id) for study_id in ids}
    assert len(names) == 3
    for study_id in ids:
        assert storage.get_study_id_from_name(storage.get_study_name_from_id(study_id)) == study_id


def test_duplicated_study_name_raises_and_keeps_the_first_study(storage: BaseStorage) -> None:
    study_id = new_study(storage, MIN, name="taken")
    storage.set_study_user_attr(study_id, "owner", "first")
    with pytest.raises(DuplicatedStudyError):
        new_study(storage, MAX, name="taken")
    assert storage.get_study_id_from_name("taken") == study_id
    assert storage.get_study_directions(study_id) == [MIN]
    assert storage.get_study_user_attrs(study_id) == {"owner": "first"}
    assert len(storage.get_all_studies()) == 1


def test_delete_study_removes_it_and_its_trials_only(storage: BaseStorage) -> None:
    doomed = new_study(storage, name="doomed")
    kept = new_study(storage, name="kept")
    doomed_trial = finished_trial(storage, doomed)
    kept_trial = finished_trial(storage, kept, values=[3.0])

    storage.delete_study(doomed)

    with pytest.raises(KeyError):
        storage.get_study_id_from_name("doomed")
    with pytest.raises(KeyError):
        storage.get_study_name_from_id(doomed)
    with pytest.raises(KeyError):
        storage.get_trial(doomed_trial)
    assert [s.study_name for s in storage.get_all_studies()] == ["kept"]
    assert storage.get_trial(kept_trial).values == [3.0]
    assert new_study(storage, name="doomed") != kept


def test_delete_missing_study_raises_key_error(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    storage.delete_study(study_id)
    with pytest.raises(KeyError):
        storage.delete_study(study_id)


MISSING_STUDY_CALLS: list[Callable[[BaseStorage, int], Any]] = [
    lambda s, i: s.get_study_name_from_id(i),
    lambda s, i: s.get_study_directions(i),
    lambda s, i: s.get_study_user_attrs(i),
    lambda s, i: s.get_study_system_attrs(i),
    lambda s, i: s.set_study_user_attr(i, "k", 1),
    lambda s, i: s.set_study_system_attr(i, "k", 1),
    lambda s, i: s.create_new_trial(i),
    lambda s, i: s.get_all_trials(i),
    lambda s, i: s.get_n_trials(i),
    lambda s, i: s.get_trial_id_from_study_id_trial_number(i, 0),
]


@pytest.mark.parametrize("call", MISSING_STUDY_CALLS, ids=range(len(MISSING_STUDY_CALLS)))
def test_calls_on_a_missing_study_raise_key_error(
    storage: BaseStorage, call: Callable[[BaseStorage, int], Any]
) -> None:
    study_id = new_study(storage)
    with pytest.raises(KeyError):
        call(storage, study_id + 1000)


def test_lookup_of_missing_study_name_raises_key_error(storage: BaseStorage) -> None:
    new_study(storage, name="present")
    with pytest.raises(KeyError):
        storage.get_study_id_from_name("absent")


def test_study_attrs_keep_json_values_and_overwrite(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    for i, value in enumerate(ATTR_VALUES):
        storage.set_study_user_attr(study_id, f"u{i}", value)
        storage.set_study_system_attr(study_id, f"s{i}", value)
    storage.set_study_user_attr(study_id, "u0", "replaced")
    expected_user = {f"u{i}": v for i, v in enumerate(ATTR_VALUES)} | {"u0": "replaced"}
    assert storage.get_study_user_attrs(study_id) == expected_user
    assert storage.get_study_system_attrs(study_id) == {
        f"s{i}": v for i, v in enumerate(ATTR_VALUES)
    }


def test_study_attrs_read_back_do_not_alias_storage(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    storage.set_study_user_attr(study_id, "k", 1)
    storage.get_study_user_attrs(study_id)["k"] = 2
    storage.get_study_system_attrs(study_id)["x"] = 2
    assert storage.get_study_user_attrs(study_id) == {"k": 1}
    assert storage.get_study_system_attrs(study_id) == {}


def test_attr_values_written_are_not_changed_by_the_writers_later_mutations(
    storage: BaseStorage,
) -> None:
    study_id = new_study(storage)
    trial_id = storage.create_new_trial(study_id)

    def value() -> dict[str, Any]:
        return {"a": [1, 2.5, {"b": [None, "s"]}], "c": {"d": True}}

    writes = {
        "study user": lambda v: storage.set_study_user_attr(study_id, "k", v),
        "study system": lambda v: storage.set_study_system_attr(study_id, "k", v),
        "trial user": lambda v: storage.set_trial_user_attr(trial_id, "k", v),
        "trial system": lambda v: storage.set_trial_system_attr(trial_id, "k", v),
    }
    for write in writes.values():
        written = value()
        write(written)
        written["a"][2]["b"].append("later")
        written["c"]["d"] = False
        written["new"] = 1
    trial = storage.get_trial(trial_id)
    assert storage.get_study_user_attrs(study_id) == {"k": value()}
    assert storage.get_study_system_attrs(study_id) == {"k": value()}
    assert trial.user_attrs == {"k": value()}
    assert trial.system_attrs == {"k": value()}


def test_attrs_of_one_study_do_not_leak_into_another(storage: BaseStorage) -> None:
    a, b = new_study(storage), new_study(storage)
    storage.set_study_user_attr(a, "k", "a")
    storage.set_study_system_attr(b, "k", "b")
    assert storage.get_study_user_attrs(b) == {}
    assert storage.get_study_system_attrs(a) == {}


def test_get_all_studies_describes_every_study(storage: BaseStorage) -> None:
    assert storage.get_all_studies() == []
    single = new_study(storage, MAX, name="single")
    multi = new_study(storage, MIN, MAX, name="multi")
    storage.set_study_user_attr(single, "u", 1)
    storage.set_study_system_attr(multi, "s", [2])
    studies = {s.study_name: s for s in storage.get_all_studies()}
    assert set(studies) == {"single", "multi"}
    assert studies["single"]._study_id == single
    assert studies["single"].direction == MAX
    assert studies["single"].user_attrs == {"u": 1}
    assert studies["multi"]._study_id == multi
    assert studies["multi"].directions == [MIN, MAX]
    assert studies["multi"].system_attrs == {"s": [2]}
