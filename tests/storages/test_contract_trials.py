"""The storage contract for creating trials and storing their params."""

from __future__ import annotations

import datetime

import pytest

from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.storages import BaseStorage
from tansaku.trial import TrialState, create_trial
from tests.storages._contract_backends import (
    contract_storage,  # noqa: F401  (the "storage" fixture, found by its name)
    new_study,
)

# -- creating trials ----------------------------------------------------------------------------


def test_new_trial_is_running_and_empty(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    before = datetime.datetime.now()
    trial = storage.get_trial(storage.create_new_trial(study_id))
    assert trial.state is TrialState.RUNNING
    assert trial.number == 0
    assert trial.values is None
    assert trial.params == trial.distributions == {}
    assert trial.user_attrs == trial.system_attrs == trial.intermediate_values == {}
    assert trial.datetime_start is not None
    assert before - datetime.timedelta(seconds=1) <= trial.datetime_start
    assert trial.datetime_complete is None


def test_trial_numbers_are_dense_per_study_and_ids_unique_across_studies(
    storage: BaseStorage,
) -> None:
    a, b = new_study(storage), new_study(storage)
    ids: dict[int, list[int]] = {a: [], b: []}
    for study_id in (a, b, b, a, a, b, a):
        ids[study_id].append(storage.create_new_trial(study_id))
    all_ids = ids[a] + ids[b]
    assert len(set(all_ids)) == len(all_ids)
    for study_id, trial_ids in ids.items():
        got = [storage.get_trial_number_from_id(trial_id) for trial_id in trial_ids]
        assert got == list(range(len(trial_ids)))
        for number, trial_id in enumerate(trial_ids):
            assert storage.get_trial_id_from_study_id_trial_number(study_id, number) == trial_id
            assert storage.get_trial(trial_id).number == number
            assert storage.get_trial(trial_id)._trial_id == trial_id


def test_trial_from_template_copies_it_with_a_new_number(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    storage.create_new_trial(study_id)
    template = create_trial(
        value=0.5,
        params={"x": 2.0, "opt": "adam"},
        distributions={
            "x": FloatDistribution(0, 10),
            "opt": CategoricalDistribution(["sgd", "adam"]),
        },
        user_attrs={"u": [1, 2]},
        system_attrs={"s": {"a": 1}},
        intermediate_values={0: 0.9, 2: 0.7},
    )
    trial_id = storage.create_new_trial(study_id, template_trial=template)
    template.user_attrs["u"].append(3)
    template.params["x"] = 5.0

    trial = storage.get_trial(trial_id)
    assert trial.number == 1
    assert trial._trial_id == trial_id
    assert trial.state is TrialState.COMPLETE
    assert trial.values == [0.5]
    assert trial.params == {"x": 2.0, "opt": "adam"}
    assert trial.distributions == {
        "x": FloatDistribution(0, 10),
        "opt": CategoricalDistribution(["sgd", "adam"]),
    }
    assert trial.user_attrs == {"u": [1, 2]}
    assert trial.system_attrs == {"s": {"a": 1}}
    assert trial.intermediate_values == {0: 0.9, 2: 0.7}
    assert trial.datetime_start is not None and trial.datetime_complete is not None
    assert storage.get_trial_param(trial_id, "opt") == 1.0


def test_waiting_template_gives_a_waiting_trial_without_start_time(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    trial_id = storage.create_new_trial(
        study_id,
        create_trial(
            state=TrialState.WAITING,
            params={"x": 1},
            distributions={"x": IntDistribution(0, 3)},
        ),
    )
    trial = storage.get_trial(trial_id)
    assert trial.state is TrialState.WAITING
    assert trial.datetime_start is None
    assert trial.params == {"x": 1}


# -- params -------------------------------------------------------------------------------------


def test_params_are_stored_external_and_read_internal(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    trial_id = storage.create_new_trial(study_id)
    dists: dict[str, BaseDistribution] = {
        "lr": FloatDistribution(1e-4, 1.0, log=True),
        "layers": IntDistribution(1, 8),
        "opt": CategoricalDistribution(["sgd", None, True, 1]),
    }
    storage.set_trial_param(trial_id, "lr", 0.01, dists["lr"])
    storage.set_trial_param(trial_id, "layers", 4.0, dists["layers"])
    storage.set_trial_param(trial_id, "opt", 2.0, dists["opt"])

    trial = storage.get_trial(trial_id)
    assert trial.params == {"lr": 0.01, "layers": 4, "opt": True}
    assert type(trial.params["layers"]) is int
    assert trial.params["opt"] is True
    assert trial.distributions == dists
    assert storage.get_trial_params(trial_id) == trial.params
    assert storage.get_trial_param(trial_id, "lr") == 0.01
    assert storage.get_trial_param(trial_id, "layers") == 4.0
    assert storage.get_trial_param(trial_id, "opt") == 2.0


def test_missing_param_or_trial_raises_key_error(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    trial_id = storage.create_new_trial(study_id)
    with pytest.raises(KeyError):
        storage.get_trial_param(trial_id, "absent")
    for call in (
        lambda: storage.get_trial(trial_id + 1000),
        lambda: storage.get_trial_number_from_id(trial_id + 1000),
        lambda: storage.get_trial_param(trial_id + 1000, "x"),
        lambda: storage.get_trial_id_from_study_id_trial_number(study_id, 1),
    ):
        with pytest.raises(KeyError):
            call()


def test_param_range_may_change_between_trials(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    first, second = storage.create_new_trial(study_id), storage.create_new_trial(study_id)
    storage.set_trial_param(first, "x", 0.5, FloatDistribution(0, 1))
    storage.set_trial_param(second, "x", 50.0, FloatDistribution(-100, 100, step=0.5))
    assert storage.get_trial(second).params == {"x": 50.0}
    assert storage.get_trial(first).distributions == {"x": FloatDistribution(0, 1)}


INCOMPATIBLE_CHANGES = [
    (FloatDistribution(0, 1), 0.5, IntDistribution(0, 1), 1.0),
    (FloatDistribution(0.1, 1), 0.5, FloatDistribution(0.1, 1, log=True), 0.5),
    (IntDistribution(1, 9), 3.0, IntDistribution(1, 9, log=True), 3.0),
    (CategoricalDistribution(["a", "b"]), 0.0, CategoricalDistribution(["a", "b", "c"]), 2.0),
    (IntDistribution(0, 2), 1.0, CategoricalDistribution([0, 1, 2]), 1.0),
]


@pytest.mark.parametrize(("first", "first_value", "second", "second_value"), INCOMPATIBLE_CHANGES)
def test_incompatible_param_raises_and_leaves_trials_intact(
    storage: BaseStorage,
    first: BaseDistribution,
    first_value: float,
    second: BaseDistribution,
    second_value: float,
) -> None:
    study_id = new_study(storage)
    earlier, later = storage.create_new_trial(study_id), storage.create_new_trial(study_id)
    storage.set_trial_param(earlier, "p", first_value, first)
    storage.set_trial_param(later, "q", 0.5, FloatDistribution(0, 1))
    before = storage.get_trial(later)

    with pytest.raises(ValueError):
        storage.set_trial_param(later, "p", second_value, second)

    after = storage.get_trial(later)
    assert after.params == before.params == {"q": 0.5}
    assert after.distributions == before.distributions
    assert after.state is TrialState.RUNNING
    assert storage.get_trial(earlier).distributions == {"p": first}
    # The rejected distribution was not recorded: the original kind is still accepted.
    storage.set_trial_param(later, "p", first_value, first)
    assert storage.get_trial(later).distributions["p"] == first


def test_same_param_name_may_have_other_kinds_in_other_studies(storage: BaseStorage) -> None:
    a, b = new_study(storage), new_study(storage)
    storage.set_trial_param(storage.create_new_trial(a), "x", 0.5, FloatDistribution(0, 1))
    trial_id = storage.create_new_trial(b)
    storage.set_trial_param(trial_id, "x", 1.0, CategoricalDistribution(["u", "v"]))
    assert storage.get_trial(trial_id).params == {"x": "v"}
