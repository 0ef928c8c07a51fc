"""TrialState: the lifecycle states of a trial."""

from __future__ import annotations

import pickle

import pytest

from tansaku.trial import TrialState


@pytest.mark.parametrize(
    ("state", "finished"),
    [
        (TrialState.RUNNING, False),
        (TrialState.WAITING, False),
        (TrialState.COMPLETE, True),
        (TrialState.PRUNED, True),
        (TrialState.FAIL, True),
    ],
)
def test_only_complete_pruned_and_fail_are_finished(state: TrialState, finished: bool) -> None:
    assert state.is_finished() is finished


def test_states_have_optunas_integer_values() -> None:
    # Storages persist states as these integers, so they must never change.
    assert {state.name: int(state) for state in TrialState} == {
        "RUNNING": 0,
        "COMPLETE": 1,
        "PRUNED": 2,
        "FAIL": 3,
        "WAITING": 4,
    }


def test_state_is_looked_up_by_name_and_by_value() -> None:
    assert TrialState["PRUNED"] is TrialState.PRUNED
    assert TrialState(3) is TrialState.FAIL


def test_str_and_repr_name_the_state() -> None:
    assert str(TrialState.COMPLETE) == "TrialState.COMPLETE"
    assert repr(TrialState.WAITING) == "<TrialState.WAITING: 4>"


def test_state_survives_pickle_as_the_same_member() -> None:
    assert pickle.loads(pickle.dumps(TrialState.RUNNING)) is TrialState.RUNNING
