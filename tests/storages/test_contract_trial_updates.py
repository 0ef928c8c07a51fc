"""The storage contract for updating trials.

States and values, intermediate values and attrs; a finished trial refuses every write.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

import pytest

from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tansaku.exceptions import UpdateFinishedTrialError
from tansaku.storages import BaseStorage
from tansaku.trial import TrialState
from tests.storages._contract_backends import (
    ALL_STATES,
    ATTR_VALUES,
    FINISHED,
    MAX,
    MIN,
    contract_storage,  # noqa: F401  (the "storage" fixture, found by its name)
    finished_trial,
    new_study,
    trial_in_state,
)

# -- states and values --------------------------------------------------------------------------


@pytest.mark.parametrize("state", FINISHED)
def test_finishing_sets_state_values_and_completion_time(
    storage: BaseStorage, state: TrialState
) -> None:
    study_id = new_study(storage)
    trial_id = storage.create_new_trial(study_id)
    values = None if state is TrialState.FAIL else [1.5]
    assert storage.set_trial_state_values(trial_id, state, values) is True
    trial = storage.get_trial(trial_id)
    assert trial.state is state
    assert trial.values == values
    assert trial.datetime_complete is not None
    assert trial.datetime_start is not None
    assert trial.datetime_start <= trial.datetime_complete


def test_multi_objective_values_are_kept_in_order(storage: BaseStorage) -> None:
    study_id = new_study(storage, MIN, MAX, MIN)
    trial_id = finished_trial(storage, study_id, values=[3.0, -1.0, 2.0])
    assert storage.get_trial(trial_id).values == [3.0, -1.0, 2.0]


def test_waiting_trial_can_be_claimed_as_running_once(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    trial_id = trial_in_state(storage, study_id, TrialState.WAITING)
    assert storage.set_trial_state_values(trial_id, TrialState.RUNNING) is True
    trial = storage.get_trial(trial_id)
    assert trial.state is TrialState.RUNNING
    assert trial.datetime_start is not None
    assert storage.set_trial_state_values(trial_id, TrialState.RUNNING) is False
    assert storage.get_trial(trial_id).state is TrialState.RUNNING


def test_running_trial_cannot_be_set_running_again(storage: BaseStorage) -> None:
    trial_id = storage.create_new_trial(new_study(storage))
    start = storage.get_trial(trial_id).datetime_start
    assert storage.set_trial_state_values(trial_id, TrialState.RUNNING) is False
    assert storage.get_trial(trial_id).datetime_start == start


def test_only_one_of_many_threads_claims_a_waiting_trial(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    trial_id = trial_in_state(storage, study_id, TrialState.WAITING)
    barrier = threading.Barrier(8)
    results: list[bool] = []

    def claim() -> None:
        barrier.wait()
        results.append(storage.set_trial_state_values(trial_id, TrialState.RUNNING))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


FINISHED_TRIAL_WRITES: dict[str, Callable[[BaseStorage, int], Any]] = {
    "state": lambda s, t: s.set_trial_state_values(t, TrialState.COMPLETE, [9.0]),
    "running": lambda s, t: s.set_trial_state_values(t, TrialState.RUNNING),
    "param": lambda s, t: s.set_trial_param(t, "y", 0.5, FloatDistribution(0, 1)),
    # A write that is also incompatible with the study's "x" is refused as a write to a finished
    # trial first (found by the state machine on PostgreSQL; every backend must agree).
    "param_other_log": lambda s, t: s.set_trial_param(
        t, "x", 1.0, FloatDistribution(0.5, 2, log=True)
    ),
    "param_other_kind": lambda s, t: s.set_trial_param(t, "x", 1.0, IntDistribution(0, 10)),
    "param_other_choices": lambda s, t: s.set_trial_param(
        t, "x", 0.0, CategoricalDistribution(["a", "b"])
    ),
    "intermediate": lambda s, t: s.set_trial_intermediate_value(t, 5, 9.0),
    "user_attr": lambda s, t: s.set_trial_user_attr(t, "k", 9),
    "system_attr": lambda s, t: s.set_trial_system_attr(t, "k", 9),
}


@pytest.mark.parametrize("state", FINISHED)
@pytest.mark.parametrize("write", list(FINISHED_TRIAL_WRITES))
def test_writes_to_a_finished_trial_raise_and_change_nothing(
    storage: BaseStorage, state: TrialState, write: str
) -> None:
    study_id = new_study(storage)
    trial_id = storage.create_new_trial(study_id)
    storage.set_trial_param(trial_id, "x", 0.5, FloatDistribution(0, 1))
    storage.set_trial_intermediate_value(trial_id, 0, 1.0)
    storage.set_trial_user_attr(trial_id, "k", 1)
    storage.set_trial_system_attr(trial_id, "k", 1)
    storage.set_trial_state_values(
        trial_id, state, [2.0] if state is TrialState.COMPLETE else None
    )
    before = copy.deepcopy(storage.get_trial(trial_id))

    with pytest.raises(UpdateFinishedTrialError):
        FINISHED_TRIAL_WRITES[write](storage, trial_id)

    assert storage.get_trial(trial_id) == before
    assert storage.get_n_trials(study_id, state) == 1


@pytest.mark.parametrize("state", ALL_STATES)
def test_check_trial_is_updatable_raises_only_for_finished_states(
    storage: BaseStorage, state: TrialState
) -> None:
    trial_id = storage.create_new_trial(new_study(storage))
    if state.is_finished():
        with pytest.raises(UpdateFinishedTrialError):
            storage.check_trial_is_updatable(trial_id, state)
    else:
        storage.check_trial_is_updatable(trial_id, state)


# -- intermediate values and attrs --------------------------------------------------------------


def test_intermediate_values_are_kept_by_step_and_overwritten(storage: BaseStorage) -> None:
    trial_id = storage.create_new_trial(new_study(storage))
    for step, value in [(0, 1.0), (5, 0.5), (2, 0.8), (5, 0.4)]:
        storage.set_trial_intermediate_value(trial_id, step, value)
    trial = storage.get_trial(trial_id)
    assert trial.intermediate_values == {0: 1.0, 2: 0.8, 5: 0.4}
    assert trial.last_step == 5


def test_intermediate_values_keep_infinities(storage: BaseStorage) -> None:
    trial_id = storage.create_new_trial(new_study(storage))
    storage.set_trial_intermediate_value(trial_id, 0, float("inf"))
    storage.set_trial_intermediate_value(trial_id, 1, float("-inf"))
    assert storage.get_trial(trial_id).intermediate_values == {
        0: float("inf"),
        1: float("-inf"),
    }


def test_trial_attrs_keep_json_values_and_overwrite(storage: BaseStorage) -> None:
    trial_id = storage.create_new_trial(new_study(storage))
    for i, value in enumerate(ATTR_VALUES):
        storage.set_trial_user_attr(trial_id, f"u{i}", value)
        storage.set_trial_system_attr(trial_id, f"s{i}", value)
    storage.set_trial_system_attr(trial_id, "s0", "replaced")
    expected_system = {f"s{i}": v for i, v in enumerate(ATTR_VALUES)} | {"s0": "replaced"}
    assert storage.get_trial_user_attrs(trial_id) == {
        f"u{i}": v for i, v in enumerate(ATTR_VALUES)
    }
    assert storage.get_trial_system_attrs(trial_id) == expected_system
    trial = storage.get_trial(trial_id)
    assert trial.user_attrs == storage.get_trial_user_attrs(trial_id)
    assert trial.system_attrs == expected_system
