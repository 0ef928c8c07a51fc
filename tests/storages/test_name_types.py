"""Study names, param names and attr keys must be str, on every backend alike.

A database keeps them as text, so an int name would come back as a str there and as an int in
memory (and ``7`` and ``"7"`` would be one param in one backend, two in another): every backend
refuses them with the same TypeError, before anything is written.
"""

from __future__ import annotations

from typing import Any

import pytest

import tansaku
from tansaku.distributions import FloatDistribution
from tansaku.storages import BaseStorage
from tansaku.trial import TrialState, create_trial
from tests.storages._contract_backends import contract_storage, new_study  # noqa: F401

NOT_STR: list[Any] = [7, 2.5, None, b"name", ("a",)]


@pytest.mark.parametrize("name", [7, 2.5, b"name", ("a",)])
def test_study_name_must_be_a_str(storage: BaseStorage, name: Any) -> None:
    with pytest.raises(TypeError, match=r"study_name must be a str, got .* of type"):
        storage.create_new_study([tansaku.study.StudyDirection.MINIMIZE], name)
    assert storage.get_all_studies() == []


@pytest.mark.parametrize("name", [7, None, b"name"])
def test_param_name_and_attr_keys_must_be_str(storage: BaseStorage, name: Any) -> None:
    study_id = new_study(storage)
    trial_id = storage.create_new_trial(study_id)
    distribution = FloatDistribution(0, 1)
    with pytest.raises(TypeError, match=r"param_name must be a str"):
        storage.set_trial_param(trial_id, name, 0.5, distribution)
    for write in (
        storage.set_trial_user_attr,
        storage.set_trial_system_attr,
        storage.set_study_user_attr,
        storage.set_study_system_attr,
    ):
        target = study_id if "study" in write.__name__ else trial_id
        with pytest.raises(TypeError, match=r"key must be a str"):
            write(target, name, 1)
    trial = storage.get_trial(trial_id)
    assert (trial.params, trial.user_attrs, trial.system_attrs) == ({}, {}, {})
    assert storage.get_study_user_attrs(study_id) == {}
    assert storage.get_study_system_attrs(study_id) == {}
    # The trial is untouched and still takes valid names.
    storage.set_trial_param(trial_id, "7", 0.5, distribution)
    storage.set_trial_user_attr(trial_id, "7", 1)
    assert storage.get_trial(trial_id).params == {"7": 0.5}


@pytest.mark.parametrize("field", ["params", "user_attrs", "system_attrs"])
def test_template_trial_names_must_be_str(storage: BaseStorage, field: str) -> None:
    study_id = new_study(storage)
    if field == "params":
        template = create_trial(
            state=TrialState.COMPLETE,
            value=1.0,
            params={7: 0.5},  # type: ignore[dict-item]
            distributions={7: FloatDistribution(0, 1)},  # type: ignore[dict-item]
        )
    else:
        template = create_trial(state=TrialState.COMPLETE, value=1.0, **{field: {7: 1}})
    with pytest.raises(TypeError, match=r"must be a str, got 7 of type int"):
        storage.create_new_trial(study_id, template)
    assert storage.get_all_trials(study_id) == []


def test_public_api_refuses_int_names(storage: BaseStorage) -> None:
    with pytest.raises(TypeError, match="study_name must be a str"):
        tansaku.create_study(study_name=123, storage=storage)  # type: ignore[arg-type]
    study = tansaku.create_study(storage=storage)
    trial = study.ask()
    with pytest.raises(TypeError, match="param_name must be a str"):
        trial.suggest_float(7, 0, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="key must be a str"):
        trial.set_user_attr(5, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="key must be a str"):
        study.set_user_attr(5, 1)  # type: ignore[arg-type]
    trial.suggest_float("x", 0, 1)
    study.tell(trial, 1.0)
    assert study.trials[0].params.keys() == {"x"}
