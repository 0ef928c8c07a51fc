"""The storage contract: every backend must pass this suite, written against BaseStorage only.

A new backend joins by adding one entry to ``STORAGE_FACTORIES``.
"""

from __future__ import annotations

import copy
import datetime
import itertools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.exceptions import DuplicatedStudyError, UpdateFinishedTrialError
from tansaku.storages import BaseStorage, InMemoryStorage, JournalStorage, RDBStorage
from tansaku.storages.journal import JournalFileBackend, JournalRedisBackend
from tansaku.study import StudyDirection
from tansaku.trial import FrozenTrial, TrialState, create_trial
from tests.storages import servers

# Every backend runs the whole suite. A factory receives a fresh empty directory (for backends
# that keep files) and returns an empty storage.
StorageFactory = Callable[[Path], BaseStorage]
STORAGE_FACTORIES: dict[str, StorageFactory] = {
    "inmemory": lambda directory: InMemoryStorage(),
    "sqlite": lambda directory: RDBStorage(f"sqlite:///{directory / 'contract.db'}"),
    "journal_file": lambda directory: JournalStorage(
        JournalFileBackend(str(directory / "journal.log"))
    ),
    "postgresql": lambda directory: RDBStorage(servers.new_postgresql_url()),
    "mysql": lambda directory: RDBStorage(servers.new_mysql_url()),
    "journal_redis": lambda directory: JournalStorage(
        JournalRedisBackend(**servers.new_redis_backend_args())
    ),
}
# Examples of the stateful test per backend: every example of a database backend commits
# dozens of times, so they run fewer to keep the suite within minutes.
STATEFUL_EXAMPLES = {"inmemory": 60, "journal_file": 20}
STATEFUL_EXAMPLES_DEFAULT = 8

MIN = StudyDirection.MINIMIZE
MAX = StudyDirection.MAXIMIZE
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
ALL_STATES = tuple(TrialState)


@pytest.fixture(params=list(STORAGE_FACTORIES))
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseStorage]:
    backend = STORAGE_FACTORIES[request.param](tmp_path)
    yield backend
    backend.remove_session()


# -- helpers ------------------------------------------------------------------------------------


def new_study(storage: BaseStorage, *directions: StudyDirection, name: str | None = None) -> int:
    return storage.create_new_study(list(directions) or [MIN], name)


def finished_trial(
    storage: BaseStorage,
    study_id: int,
    state: TrialState = TrialState.COMPLETE,
    values: list[float] | None = None,
) -> int:
    trial_id = storage.create_new_trial(study_id)
    if values is None and state is TrialState.COMPLETE:
        values = [0.0] * len(storage.get_study_directions(study_id))
    storage.set_trial_state_values(trial_id, state, values)
    return trial_id


def trial_in_state(storage: BaseStorage, study_id: int, state: TrialState) -> int:
    if state is TrialState.WAITING:
        return storage.create_new_trial(study_id, create_trial(state=TrialState.WAITING))
    if state is TrialState.RUNNING:
        return storage.create_new_trial(study_id)
    return finished_trial(storage, study_id, state)


def numbers(trials: list[FrozenTrial]) -> list[int]:
    return [t.number for t in trials]


# -- studies ------------------------------------------------------------------------------------


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


ATTR_VALUES = [1, 2.5, "text", None, True, [1, "a", None], {"nested": {"list": [1.5, 2]}}]


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


# -- random operations against a reference model ------------------------------------------------

PARAM_CHOICES: dict[str, list[BaseDistribution]] = {
    # Per name, distributions of which some are incompatible with others.
    "x": [FloatDistribution(0, 1), FloatDistribution(-5, 5), FloatDistribution(0.5, 2, log=True)],
    "n": [IntDistribution(0, 10), IntDistribution(0, 20, step=2), FloatDistribution(0, 10)],
    "c": [CategoricalDistribution(["a", None, True, 1]), CategoricalDistribution(["a", "b"])],
}
# Few distinct values, so that ties and repeated bests happen.
finite_values = st.integers(-3, 3).map(float) | st.floats(-1e9, 1e9)


def _signature(distribution: BaseDistribution) -> tuple[Any, ...]:
    """What may not change for a name within one study (the compatibility rule)."""
    if isinstance(distribution, CategoricalDistribution):
        return ("categorical", distribution)
    kind = "float" if isinstance(distribution, FloatDistribution) else "int"
    return (kind, getattr(distribution, "log", False))


class _ModelTrial:
    def __init__(self, trial_id: int, number: int, state: TrialState) -> None:
        self.trial_id = trial_id
        self.number = number
        self.state = state
        self.values: list[float] | None = None
        self.params: dict[str, Any] = {}
        self.distributions: dict[str, BaseDistribution] = {}
        self.intermediate_values: dict[int, float] = {}
        self.user_attrs: dict[str, Any] = {}
        self.started = state is not TrialState.WAITING

    def __repr__(self) -> str:
        return f"<trial number={self.number} id={self.trial_id} {self.state.name}>"


class _ModelStudy:
    def __init__(self, study_id: int, directions: list[StudyDirection]) -> None:
        self.study_id = study_id
        self.directions = directions
        self.trials: list[_ModelTrial] = []
        self.signatures: dict[str, tuple[Any, ...]] = {}

    def __repr__(self) -> str:
        return f"<study id={self.study_id} directions={[d.name for d in self.directions]}>"


class StorageMachine(RuleBasedStateMachine):
    """Random operations on a backend and on a plain model; after each step they must agree.

    Every run works in studies of its own, so one storage serves all runs of a test (creating a
    database per run would dominate the time of slow backends).
    """

    storage: BaseStorage

    def __init__(self) -> None:
        super().__init__()
        self.studies: list[_ModelStudy] = []
        self.trials: list[tuple[_ModelStudy, _ModelTrial]] = []

    def _any_trial(self, data: st.DataObject) -> tuple[_ModelStudy, _ModelTrial]:
        return data.draw(st.sampled_from(self.trials))

    def _live_trials(self) -> list[tuple[_ModelStudy, _ModelTrial]]:
        return [(study, trial) for study, trial in self.trials if not trial.state.is_finished()]

    @initialize(
        directions=st.lists(
            st.lists(st.sampled_from([MIN, MAX]), min_size=1, max_size=2), min_size=1, max_size=3
        )
    )
    def create_studies(self, directions: list[list[StudyDirection]]) -> None:
        for study_directions in directions:
            study_id = self.storage.create_new_study(study_directions)
            assert all(study.study_id != study_id for study in self.studies)
            self.studies.append(_ModelStudy(study_id, study_directions))

    @rule(data=st.data(), waiting=st.booleans())
    def create_trial(self, data: st.DataObject, waiting: bool) -> None:
        study = data.draw(st.sampled_from(self.studies))
        template = create_trial(state=TrialState.WAITING) if waiting else None
        trial_id = self.storage.create_new_trial(study.study_id, template)
        state = TrialState.WAITING if waiting else TrialState.RUNNING
        trial = _ModelTrial(trial_id, len(study.trials), state)
        study.trials.append(trial)
        self.trials.append((study, trial))

    def _write(self, trial: _ModelTrial, write: Callable[..., Any], *args: Any) -> bool:
        """Call a trial write; return whether it went through (it must not on a finished trial)."""
        if trial.state.is_finished():
            with pytest.raises(UpdateFinishedTrialError):
                write(trial.trial_id, *args)
            return False
        write(trial.trial_id, *args)
        return True

    @precondition(lambda self: self.trials)
    @rule(name=st.sampled_from(sorted(PARAM_CHOICES)), data=st.data())
    def set_param(self, name: str, data: st.DataObject) -> None:
        study, trial = self._any_trial(data)
        if name in trial.params:
            return  # setting one name twice in a trial is not part of the contract
        distribution = data.draw(st.sampled_from(PARAM_CHOICES[name]))
        if isinstance(distribution, CategoricalDistribution):
            internal = float(data.draw(st.integers(0, len(distribution.choices) - 1)))
        elif isinstance(distribution, IntDistribution):
            internal = float(data.draw(st.integers(distribution.low, distribution.high)))
            internal -= (internal - distribution.low) % distribution.step
        else:
            assert isinstance(distribution, FloatDistribution)
            internal = data.draw(st.floats(distribution.low, distribution.high))
        known = study.signatures.get(name)
        if not trial.state.is_finished() and known not in (None, _signature(distribution)):
            with pytest.raises(ValueError):
                self.storage.set_trial_param(trial.trial_id, name, internal, distribution)
            return
        if self._write(trial, self.storage.set_trial_param, name, internal, distribution):
            study.signatures[name] = _signature(distribution)
            trial.params[name] = distribution.to_external_repr(internal)
            trial.distributions[name] = distribution

    @precondition(lambda self: self.trials)
    @rule(step=st.integers(0, 5), value=finite_values, data=st.data())
    def report(self, step: int, value: float, data: st.DataObject) -> None:
        _, trial = self._any_trial(data)
        if self._write(trial, self.storage.set_trial_intermediate_value, step, value):
            trial.intermediate_values[step] = value

    @precondition(lambda self: self.trials)
    @rule(key=st.sampled_from(["a", "b"]), value=st.integers() | st.text(), data=st.data())
    def set_user_attr(self, key: str, value: Any, data: st.DataObject) -> None:
        _, trial = self._any_trial(data)
        if self._write(trial, self.storage.set_trial_user_attr, key, value):
            trial.user_attrs[key] = value

    @precondition(lambda self: self.trials)
    @rule(data=st.data())
    def claim(self, data: st.DataObject) -> None:
        _, trial = self._any_trial(data)
        self._set_state(trial, TrialState.RUNNING, None)

    @precondition(lambda self: self._live_trials())
    @rule(state=st.sampled_from(FINISHED), data=st.data())
    def finish(self, state: TrialState, data: st.DataObject) -> None:
        study, trial = data.draw(st.sampled_from(self._live_trials()))
        values: list[float] | None = None
        if state is not TrialState.FAIL:
            n = len(study.directions) if state is TrialState.COMPLETE else 1
            values = data.draw(st.lists(finite_values, min_size=n, max_size=n))
            if state is TrialState.PRUNED and data.draw(st.booleans()):
                values = None
        self._set_state(trial, state, values)

    def _set_state(
        self, trial: _ModelTrial, state: TrialState, values: list[float] | None
    ) -> None:
        if trial.state.is_finished():
            with pytest.raises(UpdateFinishedTrialError):
                self.storage.set_trial_state_values(trial.trial_id, state, values)
            return
        accepted = self.storage.set_trial_state_values(trial.trial_id, state, values)
        # Claiming (RUNNING) succeeds only from WAITING; finishing always succeeds.
        claim_refused = state is TrialState.RUNNING and trial.state is not TrialState.WAITING
        assert accepted is not claim_refused
        if accepted:
            trial.state = state
            trial.started = trial.started or state is TrialState.RUNNING
            trial.values = values

    @invariant()
    def storage_agrees_with_model(self) -> None:
        for study in self.studies:
            stored = self.storage.get_all_trials(study.study_id, deepcopy=False)
            assert len(stored) == len(study.trials)
            for got, want in zip(stored, study.trials):
                assert got.number == want.number
                assert got._trial_id == want.trial_id
                assert got.state is want.state
                assert got.values == want.values
                assert got.params == want.params
                assert got.distributions == want.distributions
                assert got.intermediate_values == want.intermediate_values
                assert got.user_attrs == want.user_attrs
                assert (got.datetime_start is not None) is want.started
                assert (got.datetime_complete is not None) is want.state.is_finished()
            for state in ALL_STATES:
                expected = [t.number for t in study.trials if t.state is state]
                assert self.storage.get_n_trials(study.study_id, state) == len(expected)
                assert numbers(self.storage.get_all_trials(study.study_id, states=(state,))) == (
                    expected
                )
            self._check_best(study)

    def _check_best(self, study: _ModelStudy) -> None:
        completed = [t for t in study.trials if t.state is TrialState.COMPLETE]
        if len(study.directions) > 1:
            with pytest.raises(RuntimeError):
                self.storage.get_best_trial(study.study_id)
        elif not completed:
            with pytest.raises(ValueError):
                self.storage.get_best_trial(study.study_id)
        else:
            pick = max if study.directions[0] is MAX else min
            best_value = pick(t.values[0] for t in completed if t.values is not None)
            assert self.storage.get_best_trial(study.study_id).values == [best_value]


def test_random_operations_agree_with_reference_model(
    storage: BaseStorage, request: pytest.FixtureRequest
) -> None:
    machine = type("StorageMachineRun", (StorageMachine,), {"storage": storage})
    backend = request.node.callspec.params["storage"]
    examples = STATEFUL_EXAMPLES.get(backend, STATEFUL_EXAMPLES_DEFAULT)
    run_state_machine_as_test(
        machine, settings=settings(max_examples=examples, stateful_step_count=40, deadline=None)
    )
