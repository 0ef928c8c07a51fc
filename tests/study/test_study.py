from __future__ import annotations

import pickle

import pytest

import tansaku
from tansaku.exceptions import DuplicatedStudyError
from tansaku.storages import InMemoryStorage
from tansaku.study import StudyDirection
from tansaku.trial import TrialState


def test_create_study_defaults_to_minimize_with_a_generated_name() -> None:
    study = tansaku.create_study()
    assert study.direction is StudyDirection.MINIMIZE
    assert study.study_name.startswith("no-name-")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"direction": "minimise"}, "direction='minimise'"),
        ({"direction": StudyDirection.NOT_SET}, "direction"),
        ({"directions": []}, "at least one"),
        ({"direction": "minimize", "directions": ["minimize"]}, "only one"),
    ],
)
def test_create_study_rejects_bad_directions(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tansaku.create_study(**kwargs)


def test_create_study_with_an_existing_name_needs_load_if_exists() -> None:
    storage = InMemoryStorage()
    study = tansaku.create_study(storage=storage, study_name="s")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    with pytest.raises(DuplicatedStudyError, match="load_if_exists"):
        tansaku.create_study(storage=storage, study_name="s")
    again = tansaku.create_study(storage=storage, study_name="s", load_if_exists=True)
    assert len(again.trials) == 3


def test_load_study_of_a_missing_name_raises_key_error_naming_it() -> None:
    storage = InMemoryStorage()
    tansaku.create_study(storage=storage, study_name="present")
    with pytest.raises(KeyError, match="absent"):
        tansaku.load_study(study_name="absent", storage=storage)


def test_load_study_without_a_name_takes_the_only_study() -> None:
    storage = InMemoryStorage()
    tansaku.create_study(storage=storage, study_name="only")
    assert tansaku.load_study(study_name=None, storage=storage).study_name == "only"
    tansaku.create_study(storage=storage, study_name="second")
    with pytest.raises(ValueError, match="exactly one"):
        tansaku.load_study(study_name=None, storage=storage)


def test_delete_copy_and_list_studies() -> None:
    source = InMemoryStorage()
    study = tansaku.create_study(storage=source, study_name="a", direction="maximize")
    study.set_user_attr("owner", "me")
    study.optimize(lambda t: t.suggest_int("n", 0, 10), n_trials=5)
    target = InMemoryStorage()
    tansaku.copy_study(from_study_name="a", from_storage=source, to_storage=target)
    copied = tansaku.load_study(study_name="a", storage=target)
    assert [t.params for t in copied.trials] == [t.params for t in study.trials]
    assert copied.user_attrs == {"owner": "me"}
    assert copied.direction is StudyDirection.MAXIMIZE
    assert tansaku.get_all_study_names(target) == ["a"]
    summaries = tansaku.get_all_study_summaries(source)
    assert summaries[0].n_trials == 5
    assert summaries[0].best_trial is not None
    assert summaries[0].best_trial.value == study.best_value
    tansaku.delete_study(study_name="a", storage=source)
    assert tansaku.get_all_study_names(source) == []


def test_best_trial_follows_the_direction() -> None:
    for direction, expected in (("minimize", 1.0), ("maximize", 3.0)):
        study = tansaku.create_study(direction=direction)
        for value in (2.0, 1.0, 3.0):
            study.tell(study.ask(), value)
        assert study.best_value == expected
        assert study.best_trial.value == expected


def test_best_trial_without_completed_trials_raises() -> None:
    study = tansaku.create_study()
    study.tell(study.ask(), state=TrialState.FAIL)
    with pytest.raises(ValueError, match="no completed trials"):
        _ = study.best_trial


def test_best_trial_skips_infeasible_trials() -> None:
    study = tansaku.create_study()
    infeasible = study.ask()
    infeasible.set_constraint("c", 1.0)
    study.tell(infeasible, 0.0)
    feasible = study.ask()
    feasible.set_constraint("c", -1.0)
    study.tell(feasible, 5.0)
    assert study.best_trial.number == 1


def test_single_objective_accessors_raise_on_multi_objective_studies() -> None:
    study = tansaku.create_study(directions=["minimize", "maximize"])
    with pytest.raises(RuntimeError):
        _ = study.best_trial
    with pytest.raises(RuntimeError):
        _ = study.direction


def test_best_trials_is_the_pareto_front() -> None:
    study = tansaku.create_study(directions=["minimize", "minimize"])
    for values in ([1.0, 4.0], [2.0, 2.0], [4.0, 1.0], [3.0, 3.0], [2.0, 2.0]):
        study.tell(study.ask(), values)
    front = {t.number for t in study.best_trials}
    assert front == {0, 1, 2, 4}


def test_metric_names_must_match_the_objectives() -> None:
    study = tansaku.create_study(directions=["minimize", "maximize"])
    assert study.metric_names is None
    study.set_metric_names(["loss", "accuracy"])
    assert study.metric_names == ["loss", "accuracy"]
    with pytest.raises(ValueError, match="2 objectives"):
        study.set_metric_names(["loss"])


def test_get_trials_filters_by_state_and_shares_without_deepcopy() -> None:
    study = tansaku.create_study()
    study.tell(study.ask(), 1.0)
    study.tell(study.ask(), state=TrialState.PRUNED)
    study.ask()
    assert [t.number for t in study.get_trials(states=(TrialState.COMPLETE,))] == [0]
    assert [t.number for t in study.get_trials(states=(TrialState.RUNNING,))] == [2]
    shared = study.get_trials(deepcopy=False)
    assert shared[0] is study.get_trials(deepcopy=False)[0]
    assert study.trials[0] is not study.trials[0]


def test_study_pickles_with_its_in_memory_trials() -> None:
    study = tansaku.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    restored = pickle.loads(pickle.dumps(study))
    assert [t.params for t in restored.trials] == [t.params for t in study.trials]
    restored.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert len(restored.trials) == 4


def test_stop_outside_optimize_raises() -> None:
    with pytest.raises(RuntimeError, match="inside an objective"):
        tansaku.create_study().stop()


def test_trials_dataframe_has_one_row_per_trial() -> None:
    study = tansaku.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 3), n_trials=4)
    frame = study.trials_dataframe()
    assert len(frame) == 4
    assert {"number", "value", "params_x", "params_n", "state", "duration"} <= set(frame.columns)
    assert list(frame["state"]) == ["COMPLETE"] * 4
    multi = study.trials_dataframe(multi_index=True)
    assert ("params", "x") in multi.columns
