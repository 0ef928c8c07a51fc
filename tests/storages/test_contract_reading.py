"""The storage contract for reading trials back.

State filters, deep copies and snapshots, the best trial, and reads while threads write.
"""

from __future__ import annotations

import copy
import itertools
import threading

import pytest

from tansaku.distributions import FloatDistribution, IntDistribution
from tansaku.storages import BaseStorage
from tansaku.study import StudyDirection
from tansaku.trial import TrialState
from tests.storages._contract_backends import (
    ALL_STATES,
    MAX,
    MIN,
    contract_storage,  # noqa: F401  (the "storage" fixture, found by its name)
    finished_trial,
    new_study,
    numbers,
    trial_in_state,
)

# -- reading trials -----------------------------------------------------------------------------


@pytest.fixture
def study_with_every_state(storage: BaseStorage) -> tuple[BaseStorage, int, dict[int, TrialState]]:
    """A study whose trials cycle through every state twice, in a scrambled order."""
    study_id = new_study(storage)
    order = [
        TrialState.COMPLETE,
        TrialState.WAITING,
        TrialState.FAIL,
        TrialState.RUNNING,
        TrialState.PRUNED,
        TrialState.RUNNING,
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.WAITING,
        TrialState.FAIL,
    ]
    states: dict[int, TrialState] = {}
    for state in order:
        trial_id = trial_in_state(storage, study_id, state)
        states[storage.get_trial_number_from_id(trial_id)] = state
    return storage, study_id, states


STATE_SUBSETS = [
    subset
    for size in range(len(ALL_STATES) + 1)
    for subset in itertools.combinations(ALL_STATES, size)
]


@pytest.mark.parametrize(
    "subset",
    STATE_SUBSETS,
    ids=["+".join(s.name for s in subset) or "none" for subset in STATE_SUBSETS],
)
@pytest.mark.parametrize("deepcopy", [True, False])
def test_get_all_trials_filters_by_states_in_number_order(
    study_with_every_state: tuple[BaseStorage, int, dict[int, TrialState]],
    subset: tuple[TrialState, ...],
    deepcopy: bool,
) -> None:
    storage, study_id, states = study_with_every_state
    expected = [n for n, state in sorted(states.items()) if state in subset]
    for container in (subset, list(subset), set(subset), frozenset(subset)):
        trials = storage.get_all_trials(study_id, deepcopy=deepcopy, states=container)
        assert numbers(trials) == expected
        assert all(t.state in subset for t in trials)
    assert storage.get_n_trials(study_id, state=subset) == len(expected)


def test_get_all_trials_without_filter_returns_every_trial_in_order(
    study_with_every_state: tuple[BaseStorage, int, dict[int, TrialState]],
) -> None:
    storage, study_id, states = study_with_every_state
    for deepcopy in (True, False):
        trials = storage.get_all_trials(study_id, deepcopy=deepcopy)
        assert numbers(trials) == list(range(len(states)))
        assert [t.state for t in trials] == [states[n] for n in range(len(states))]


@pytest.mark.parametrize("state", ALL_STATES)
def test_get_n_trials_counts_one_state(
    study_with_every_state: tuple[BaseStorage, int, dict[int, TrialState]], state: TrialState
) -> None:
    storage, study_id, _ = study_with_every_state
    assert storage.get_n_trials(study_id, state) == 2
    assert storage.get_n_trials(study_id, (state,)) == 2


def test_get_n_trials_counts_all_and_tuples(
    study_with_every_state: tuple[BaseStorage, int, dict[int, TrialState]],
) -> None:
    storage, study_id, _ = study_with_every_state
    assert storage.get_n_trials(study_id) == 10
    assert storage.get_n_trials(study_id, (TrialState.COMPLETE, TrialState.PRUNED)) == 4
    assert storage.get_n_trials(study_id, ()) == 0
    assert storage.get_n_trials(new_study(storage)) == 0


def test_deep_copies_do_not_write_through_to_storage(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    finished_trial(storage, study_id, values=[1.0])
    running = storage.create_new_trial(study_id)
    storage.set_trial_param(running, "x", 0.5, FloatDistribution(0, 1))
    storage.set_trial_user_attr(running, "curve", [1, 2])
    expected = [copy.deepcopy(t) for t in storage.get_all_trials(study_id)]

    for trial in storage.get_all_trials(study_id, deepcopy=True):
        trial.params["x"] = 0.9
        trial.distributions.clear()
        trial.user_attrs.setdefault("curve", []).append(3)
        trial.system_attrs["new"] = 1
        trial.intermediate_values[7] = 7.0
        if trial.values is not None:
            trial.values.append(2.0)
        trial.state = TrialState.FAIL

    assert storage.get_all_trials(study_id) == expected
    assert storage.get_trial(running).user_attrs == {"curve": [1, 2]}


def test_running_trial_read_without_deepcopy_is_a_snapshot(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    trial_id = storage.create_new_trial(study_id)
    storage.set_trial_param(trial_id, "x", 0.5, FloatDistribution(0, 1))
    (listed,) = storage.get_all_trials(study_id, deepcopy=False)
    (filtered,) = storage.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,))
    fetched = storage.get_trial(trial_id)
    snapshot = copy.deepcopy(fetched)

    storage.set_trial_param(trial_id, "y", 1.0, IntDistribution(0, 3))
    storage.set_trial_intermediate_value(trial_id, 0, 0.3)
    storage.set_trial_user_attr(trial_id, "u", 1)
    storage.set_trial_system_attr(trial_id, "s", 1)
    storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [0.1])

    for trial in (listed, filtered, fetched):
        assert trial == snapshot
        assert trial.state is TrialState.RUNNING
        assert trial.params == {"x": 0.5}
    assert storage.get_trial(trial_id).params == {"x": 0.5, "y": 1}


def test_trials_from_a_number_are_the_tail_of_all_trials(
    study_with_every_state: tuple[BaseStorage, int, dict[int, TrialState]],
) -> None:
    storage, study_id, states = study_with_every_state
    everything = storage.get_all_trials(study_id, deepcopy=False)
    for number in range(len(states) + 2):
        assert storage._get_trials_from(study_id, number) == everything[number:]
    # A live trial read so is a snapshot, as in get_all_trials.
    running = next(n for n, state in sorted(states.items()) if state is TrialState.RUNNING)
    (first, *_) = storage._get_trials_from(study_id, running)
    trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, running)
    storage.set_trial_user_attr(trial_id, "u", 1)
    storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [0.1])
    assert first.state is TrialState.RUNNING
    assert first.user_attrs == {}
    assert storage._get_trials_from(study_id, running)[0].state is TrialState.COMPLETE
    with pytest.raises(KeyError):
        storage._get_trials_from(study_id + 100, 0)


# -- best trial ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("direction", "best"), [(MIN, -2.0), (MAX, 7.0)])
def test_best_trial_is_the_best_complete_trial(
    storage: BaseStorage, direction: StudyDirection, best: float
) -> None:
    study_id = new_study(storage, direction)
    for value in (3.0, -2.0, 7.0, 0.5):
        finished_trial(storage, study_id, values=[value])
    # Trials that did not complete never count, whatever their value.
    finished_trial(storage, study_id, TrialState.PRUNED, values=[-100.0 if best < 0 else 100.0])
    running = storage.create_new_trial(study_id)
    storage.set_trial_intermediate_value(running, 0, -100.0 if best < 0 else 100.0)
    best_trial = storage.get_best_trial(study_id)
    assert best_trial.value == best
    assert best_trial.state is TrialState.COMPLETE


def test_best_trial_follows_later_improvements(storage: BaseStorage) -> None:
    study_id = new_study(storage, MIN)
    finished_trial(storage, study_id, values=[5.0])
    assert storage.get_best_trial(study_id).value == 5.0
    improved = finished_trial(storage, study_id, values=[1.0])
    finished_trial(storage, study_id, values=[3.0])
    assert storage.get_best_trial(study_id).number == storage.get_trial_number_from_id(improved)


def test_best_trial_of_multi_objective_study_raises_runtime_error(storage: BaseStorage) -> None:
    study_id = new_study(storage, MIN, MAX)
    finished_trial(storage, study_id, values=[1.0, 2.0])
    with pytest.raises(RuntimeError):
        storage.get_best_trial(study_id)


def test_best_trial_without_completed_trials_raises_value_error(storage: BaseStorage) -> None:
    study_id = new_study(storage)
    with pytest.raises(ValueError):
        storage.get_best_trial(study_id)
    for state in (TrialState.RUNNING, TrialState.WAITING, TrialState.PRUNED, TrialState.FAIL):
        trial_in_state(storage, study_id, state)
    with pytest.raises(ValueError):
        storage.get_best_trial(study_id)


# -- threads ------------------------------------------------------------------------------------


def test_threads_sharing_a_storage_lose_no_writes(storage: BaseStorage) -> None:
    n_threads, per_thread = 8, 100
    study_id = new_study(storage)
    barrier = threading.Barrier(n_threads + 1)
    errors: list[BaseException] = []
    done = threading.Event()

    def work(worker: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                trial_id = storage.create_new_trial(study_id)
                storage.set_trial_param(trial_id, "i", float(i), IntDistribution(0, per_thread))
                storage.set_trial_user_attr(trial_id, "worker", worker)
                storage.set_trial_intermediate_value(trial_id, 0, float(worker))
                storage.set_trial_state_values(
                    trial_id, TrialState.COMPLETE, [worker * 1000.0 + i]
                )
        except Exception as error:  # reported by the main thread
            errors.append(error)

    def read() -> None:
        barrier.wait()
        while not done.is_set():
            trials = storage.get_all_trials(study_id, deepcopy=False)
            if numbers(trials) != list(range(len(trials))):
                errors.append(AssertionError(f"numbers not dense: {numbers(trials)}"))

    workers = [threading.Thread(target=work, args=(w,)) for w in range(n_threads)]
    reader = threading.Thread(target=read)
    for thread in [*workers, reader]:
        thread.start()
    for thread in workers:
        thread.join()
    done.set()
    reader.join()

    assert errors == []
    trials = storage.get_all_trials(study_id)
    total = n_threads * per_thread
    assert numbers(trials) == list(range(total))
    assert len({t._trial_id for t in trials}) == total
    assert storage.get_n_trials(study_id, TrialState.COMPLETE) == total
    seen = set()
    for trial in trials:
        worker = trial.user_attrs["worker"]
        assert trial.intermediate_values == {0: float(worker)}
        assert trial.values == [worker * 1000.0 + trial.params["i"]]
        seen.add((worker, trial.params["i"]))
    assert seen == {(w, i) for w in range(n_threads) for i in range(per_thread)}
    assert storage.get_best_trial(study_id).values == [0.0]
