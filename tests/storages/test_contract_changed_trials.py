"""The storage contract for following a study: ``get_trials_changed_since`` and its cursor.

A reader that keeps a copy of a study's trials and replaces the trials each read returns must
end with exactly ``get_all_trials``, on every backend, whatever happened in between.
"""

from __future__ import annotations

import pytest

from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tansaku.storages import BaseStorage, TrialCursor
from tansaku.trial import FrozenTrial, TrialState, create_trial
from tests.storages._contract_backends import (
    contract_storage,  # noqa: F401  (the "storage" fixture, found by its name)
    finished_trial,
    new_study,
    numbers,
    trial_in_state,
)


def _follow(
    storage: BaseStorage, study_id: int, kept: dict[int, FrozenTrial], cursor: TrialCursor | None
) -> tuple[list[FrozenTrial], TrialCursor]:
    changed, cursor = storage.get_trials_changed_since(study_id, cursor)
    kept.update((trial.number, trial) for trial in changed)
    return changed, cursor


def _same(kept: dict[int, FrozenTrial], storage: BaseStorage, study_id: int) -> None:
    expected = storage.get_all_trials(study_id)
    assert sorted(kept) == numbers(expected)
    for trial in expected:
        assert kept[trial.number] == trial, trial.number


def test_first_read_returns_every_trial_and_the_live_ones_in_the_cursor(
    storage: BaseStorage,
) -> None:
    study_id = new_study(storage)
    states = [TrialState.COMPLETE, TrialState.RUNNING, TrialState.FAIL, TrialState.WAITING]
    for state in states:
        trial_in_state(storage, study_id, state)

    changed, cursor = storage.get_trials_changed_since(study_id)

    assert numbers(changed) == [0, 1, 2, 3]
    assert [t.state for t in changed] == states
    assert cursor == TrialCursor(next_number=4, live_numbers=(1, 3))


def test_an_empty_study_reads_nothing_and_keeps_the_cursor(storage: BaseStorage) -> None:
    study_id = new_study(storage)

    assert storage.get_trials_changed_since(study_id) == ([], TrialCursor())


def test_later_reads_return_new_trials_and_re_read_the_live_ones_only(
    storage: BaseStorage,
) -> None:
    study_id = new_study(storage)
    done = finished_trial(storage, study_id)
    running = storage.create_new_trial(study_id)
    waiting = trial_in_state(storage, study_id, TrialState.WAITING)
    kept: dict[int, FrozenTrial] = {}
    _, cursor = _follow(storage, study_id, kept, None)

    storage.set_trial_intermediate_value(running, 3, 0.5)
    storage.set_trial_state_values(waiting, TrialState.RUNNING)
    finished_trial(storage, study_id, TrialState.PRUNED)
    storage.create_new_trial(study_id)
    changed, cursor = _follow(storage, study_id, kept, cursor)

    assert done not in [t._trial_id for t in changed]
    assert numbers(changed) == [1, 2, 3, 4]
    assert changed[0].intermediate_values == {3: 0.5}
    assert changed[1].state is TrialState.RUNNING
    assert cursor == TrialCursor(next_number=5, live_numbers=(1, 2, 4))
    _same(kept, storage, study_id)

    storage.set_trial_state_values(running, TrialState.COMPLETE, [1.0])
    storage.set_trial_state_values(waiting, TrialState.FAIL)
    changed, cursor = _follow(storage, study_id, kept, cursor)

    assert numbers(changed) == [1, 2, 4]
    assert cursor == TrialCursor(next_number=5, live_numbers=(4,))
    _same(kept, storage, study_id)

    changed, cursor = _follow(storage, study_id, kept, cursor)
    assert numbers(changed) == [4]
    assert cursor == TrialCursor(next_number=5, live_numbers=(4,))


def test_following_a_study_through_many_changes_keeps_an_exact_copy(
    storage: BaseStorage,
) -> None:
    study_id = new_study(storage)
    kept: dict[int, FrozenTrial] = {}
    cursor = None
    live: list[int] = []
    for step in range(12):
        live.append(storage.create_new_trial(study_id))
        if step % 3 == 0:
            storage.create_new_trial(study_id, create_trial(state=TrialState.WAITING))
        storage.set_trial_user_attr(live[0], "step", step)
        if step % 2 == 1:
            storage.set_trial_state_values(live.pop(0), TrialState.COMPLETE, [float(step)])
        _, cursor = _follow(storage, study_id, kept, cursor)
        _same(kept, storage, study_id)


def test_the_default_read_agrees_with_each_backends_own(storage: BaseStorage) -> None:
    # BaseStorage's default is what a third-party storage gets; every backend overrides it or
    # inherits it, and both must give the same trials.
    study_id = new_study(storage)
    for state in [TrialState.RUNNING, TrialState.COMPLETE, TrialState.WAITING] * 3:
        trial_in_state(storage, study_id, state)
    for live_numbers, from_number in [((), 0), ((), 4), ((0, 2, 3), 5), ((6,), 9), ((), 20)]:
        own = storage._get_trials_numbered(study_id, live_numbers, from_number)
        default = BaseStorage._get_trials_numbered(storage, study_id, live_numbers, from_number)
        assert own == default
        assert numbers(own) == sorted(
            set(live_numbers) | {n for n in range(9) if n >= from_number}
        )


def test_reading_an_unknown_study_raises_key_error(storage: BaseStorage) -> None:
    with pytest.raises(KeyError):
        storage.get_trials_changed_since(12345)


def test_the_trials_of_another_study_are_not_read(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    other = new_study(storage)
    finished_trial(storage, other)
    finished_trial(storage, study_id)

    changed, cursor = storage.get_trials_changed_since(study_id)

    assert [t._trial_id for t in changed] == [
        storage.get_trial_id_from_study_id_trial_number(study_id, 0)
    ]
    assert cursor.next_number == 1


def test_following_without_intermediate_values_leaves_out_only_finished_trials_ones(
    storage: BaseStorage,
) -> None:
    # For a reader that does not show them (the dashboard's study page): a backend reading a
    # database may leave them out of the finished trials of its first read, nothing else.
    study_id = new_study(storage)
    done = storage.create_new_trial(study_id)
    storage.set_trial_intermediate_value(done, 0, 2.0)
    storage.set_trial_state_values(done, TrialState.COMPLETE, [2.0])
    storage.set_trial_intermediate_value(running := storage.create_new_trial(study_id), 1, 0.5)

    changed, cursor = storage.get_trials_changed_since(study_id, intermediate_values=False)

    whole = storage.get_all_trials(study_id)
    assert numbers(changed) == [0, 1]
    assert changed[1] == whole[1] and changed[1].intermediate_values == {1: 0.5}
    assert changed[0].intermediate_values in ({}, {0: 2.0})
    completed = changed[0].__deepcopy__({})
    completed.intermediate_values = {0: 2.0}
    assert completed == whole[0]
    # The storage's own reads stay whole after it.
    assert whole[0].intermediate_values == {0: 2.0}
    assert storage.get_trial(done).intermediate_values == {0: 2.0}

    storage.set_trial_intermediate_value(running, 2, 0.25)
    storage.set_trial_state_values(running, TrialState.COMPLETE, [1.0])
    changed, cursor = storage.get_trials_changed_since(study_id, cursor, intermediate_values=False)

    assert numbers(changed) == [1]
    assert changed[0] == storage.get_all_trials(study_id)[1]
    assert changed[0].intermediate_values == {1: 0.5, 2: 0.25}
    assert cursor == TrialCursor(next_number=2, live_numbers=())


def _study_with_params(storage: BaseStorage) -> tuple[int, list[int]]:
    """A study of a finished trial (params x and c), a running one (x), a finished one
    without params, a pruned one (y) and a waiting one; and its trials' ids by number."""
    study_id = new_study(storage)
    ids = []
    ids.append(storage.create_new_trial(study_id))
    storage.set_trial_param(ids[0], "x", 0.25, FloatDistribution(0.0, 1.0))
    storage.set_trial_param(ids[0], "c", 1.0, CategoricalDistribution(["a", "b"]))
    storage.set_trial_intermediate_value(ids[0], 0, 2.0)
    storage.set_trial_state_values(ids[0], TrialState.COMPLETE, [2.0])
    ids.append(storage.create_new_trial(study_id))
    storage.set_trial_param(ids[1], "x", 0.5, FloatDistribution(0.0, 1.0))
    ids.append(finished_trial(storage, study_id))
    ids.append(storage.create_new_trial(study_id))
    storage.set_trial_param(ids[3], "y", 3.0, IntDistribution(1, 5))
    storage.set_trial_state_values(ids[3], TrialState.PRUNED)
    ids.append(trial_in_state(storage, study_id, TrialState.WAITING))
    return study_id, ids


def test_following_without_params_leaves_out_only_finished_trials_params(
    storage: BaseStorage,
) -> None:
    # For a reader that shows params a page of trials at a time (the dashboard's study page):
    # a backend may leave out finished trials' params (and intermediate values), nothing else.
    study_id, ids = _study_with_params(storage)

    changed, cursor = storage._get_trials_changed_since_without_params(study_id)

    whole = storage.get_all_trials(study_id)
    assert numbers(changed) == [0, 1, 2, 3, 4]
    assert cursor == TrialCursor(next_number=5, live_numbers=(1, 4))
    for read, expected in zip(changed, whole):
        if not expected.state.is_finished():
            assert read == expected
            continue
        assert read.params in ({}, expected.params)
        assert read.intermediate_values in ({}, expected.intermediate_values)
        completed = read.__deepcopy__({})
        completed.params = dict(expected.params)
        completed.distributions = dict(expected.distributions)
        completed.intermediate_values = dict(expected.intermediate_values)
        assert completed == expected
    assert changed[1].params == {"x": 0.5}
    # The storage's own reads stay whole after it.
    assert storage.get_trial(ids[0]).params == {"x": 0.25, "c": "b"}

    storage.set_trial_param(ids[1], "z", 2.0, FloatDistribution(0.0, 4.0))
    storage.set_trial_state_values(ids[1], TrialState.COMPLETE, [1.0])
    finished_trial(storage, study_id)
    changed, cursor = storage._get_trials_changed_since_without_params(study_id, cursor)

    assert numbers(changed) == [1, 4, 5]
    assert changed[0] == storage.get_all_trials(study_id)[1]
    assert changed[0].params == {"x": 0.5, "z": 2.0}
    assert cursor == TrialCursor(next_number=6, live_numbers=(4,))


def test_params_of_trials_are_those_the_trials_have(storage: BaseStorage) -> None:
    study_id, ids = _study_with_params(storage)
    other = new_study(storage)
    elsewhere = storage.create_new_trial(other)
    storage.set_trial_param(elsewhere, "x", 0.75, FloatDistribution(0.0, 1.0))
    expected = {t._trial_id: (t.params, t.distributions) for t in storage.get_all_trials(study_id)}

    for own in (storage._get_params_of_trials, BaseStorage._get_params_of_trials.__get__(storage)):
        assert own(study_id) == expected
        picked = own(study_id, [ids[3], ids[0], elsewhere, max(ids) + 1000])
        assert picked == {ids[0]: expected[ids[0]], ids[3]: expected[ids[3]]}
        assert own(study_id, [ids[2]]) == {ids[2]: ({}, {})}
        assert own(study_id, []) == {}
    assert expected[ids[0]] == (
        {"x": 0.25, "c": "b"},
        {"x": FloatDistribution(0.0, 1.0), "c": CategoricalDistribution(["a", "b"])},
    )


def test_param_names_are_those_of_the_trials_in_the_states(storage: BaseStorage) -> None:
    study_id, _ = _study_with_params(storage)
    other = new_study(storage)
    elsewhere = storage.create_new_trial(other)
    storage.set_trial_param(elsewhere, "w", 0.5, FloatDistribution(0.0, 1.0))
    storage.set_trial_state_values(elsewhere, TrialState.COMPLETE, [0.0])

    for own in (storage._get_param_names, BaseStorage._get_param_names.__get__(storage)):
        assert own(study_id, (TrialState.COMPLETE,)) == {"x", "c"}
        assert own(study_id, (TrialState.COMPLETE, TrialState.PRUNED)) == {"x", "c", "y"}
        assert own(study_id, tuple(TrialState)) == {"x", "c", "y"}
        assert own(study_id, ()) == set()
