"""GridSampler: one grid point per trial, random order, stops the study when the grid is done."""

from __future__ import annotations

import collections
import itertools
import pickle
import threading
import time
from typing import Any

import numpy as np
import pytest

import tansaku
from tansaku.samplers import GridSampler
from tansaku.trial import FrozenTrial, Trial, TrialState

SPACE = {"y": [1, 2], "x": [-1.0, 0.0, 1.0]}


def _objective(trial: Trial) -> float:
    return trial.suggest_float("x", -2, 2) * trial.suggest_int("y", 0, 3)


def _points(study: tansaku.Study) -> list[tuple[Any, ...]]:
    return [tuple(t.params[name] for name in sorted(t.params)) for t in study.trials]


def _all_points(space: dict[str, list[Any]]) -> set[tuple[Any, ...]]:
    return set(itertools.product(*(space[name] for name in sorted(space))))


def test_grid_sampler_evaluates_every_point_once() -> None:
    study = tansaku.create_study(sampler=GridSampler(SPACE, seed=0))
    study.optimize(_objective)
    points = _points(study)
    assert len(points) == 6
    assert set(points) == _all_points(SPACE)


def test_grid_sampler_stops_study_when_grid_is_exhausted() -> None:
    study = tansaku.create_study(sampler=GridSampler(SPACE, seed=0))
    study.optimize(_objective, n_trials=100)
    assert len(study.trials) == 6


def test_grid_id_numbers_points_by_sorted_param_name_then_given_value_order() -> None:
    study = tansaku.create_study(sampler=GridSampler(SPACE, seed=3))
    study.optimize(_objective)
    ordered = list(itertools.product(SPACE["x"], SPACE["y"]))  # x sorts before y
    for trial in study.trials:
        assert trial.system_attrs["search_space"] == {"x": [-1.0, 0.0, 1.0], "y": [1, 2]}
        assert ordered[trial.system_attrs["grid_id"]] == (trial.params["x"], trial.params["y"])


def test_grid_sampler_same_seed_gives_same_order_and_other_seeds_differ() -> None:
    space = {"a": list(range(6)), "b": list(range(4))}

    def objective(trial: Trial) -> float:
        return trial.suggest_int("a", 0, 5) + trial.suggest_int("b", 0, 3)

    def order(seed: int) -> list[int]:
        study = tansaku.create_study(sampler=GridSampler(space, seed=seed))
        study.optimize(objective)
        return [t.system_attrs["grid_id"] for t in study.trials]

    assert order(7) == order(7)
    assert sorted(order(7)) == list(range(24))
    assert order(7) != order(8)
    assert order(7) != list(range(24))  # random, not enumeration order


def test_grid_sampler_with_four_threads_covers_every_point_with_at_most_n_jobs_duplicates() -> (
    None
):
    space = {"a": list(range(12)), "b": ["p", "q", "r", "s", "t"]}

    def objective(trial: Trial) -> float:
        a = trial.suggest_int("a", 0, 11)
        trial.suggest_categorical("b", ["p", "q", "r", "s", "t"])
        time.sleep(0.002)  # let the threads overlap
        return float(a)

    study = tansaku.create_study(sampler=GridSampler(space, seed=1))
    study.optimize(objective, n_jobs=4)
    points = _points(study)
    assert set(points) == _all_points(space)
    assert len(points) - len(set(points)) <= 4
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_optimize_evaluates_last_a_point_that_a_trial_outside_it_holds() -> None:
    study = tansaku.create_study(sampler=GridSampler(SPACE, seed=0))
    held = study.ask()
    held_point = (held.suggest_float("x", -2, 2), held.suggest_int("y", 0, 3))
    study.optimize(_objective, n_trials=100)
    # Every other point ran once, then the held one, which the running trial might never
    # finish (a worker that died), so that optimize returns with the whole grid evaluated.
    others = [(t.params["x"], t.params["y"]) for t in study.trials if t.number != held.number]
    assert len(others) == 6
    assert set(others) == _all_points(SPACE)
    assert others[-1] == held_point
    assert study.sampler.is_exhausted(study)  # type: ignore[attr-defined]
    study.tell(held, 0.0)


def test_optimize_evaluates_a_point_another_workers_trial_holds_before_returning() -> None:
    storage = tansaku.storages.InMemoryStorage()
    study = tansaku.create_study(storage=storage, sampler=GridSampler(SPACE, seed=0))
    # Another worker (its own Study object and sampler) holds a point and never finishes it.
    other_worker = tansaku.load_study(
        study_name=study.study_name, storage=storage, sampler=GridSampler(SPACE, seed=1)
    )
    held = other_worker.ask()
    held_point = (held.suggest_float("x", -2, 2), held.suggest_int("y", 0, 3))
    study.optimize(_objective, n_trials=100)
    points = [(t.params["x"], t.params["y"]) for t in study.trials if t.number != held.number]
    assert sorted(points) == sorted(_all_points(SPACE))
    assert points[-1] == held_point


def test_threads_of_one_optimize_do_not_evaluate_a_point_a_sibling_thread_holds() -> None:
    all_others_done = threading.Event()
    n_points = len(_all_points(SPACE))

    def objective(trial: Trial) -> float:
        value = _objective(trial)
        if trial.number == 0:
            # Hold this point until the other thread has finished every other one.
            assert all_others_done.wait(timeout=60)
        return value

    def count_done(study: tansaku.Study, trial: FrozenTrial) -> None:
        if len(study.get_trials(states=(TrialState.COMPLETE,))) == n_points - 1:
            all_others_done.set()

    study = tansaku.create_study(sampler=GridSampler(SPACE, seed=0))
    study.optimize(objective, n_trials=100, n_jobs=2, callbacks=[count_done])
    assert sorted(_points(study)) == sorted(_all_points(SPACE))


def test_unpickled_grid_sampler_counts_no_trial_as_its_own_optimizes() -> None:
    sampler = GridSampler(SPACE, seed=0)
    sampler._placed_in_optimize.add(3)
    assert pickle.loads(pickle.dumps(sampler))._placed_in_optimize == set()


def test_is_exhausted_turns_true_only_when_every_point_has_finished() -> None:
    sampler = GridSampler({"x": [0, 1, 2]}, seed=0)
    study = tansaku.create_study(sampler=sampler)
    seen = []
    for _ in range(3):
        assert not sampler.is_exhausted(study)
        trial = study.ask()
        seen.append(trial.suggest_int("x", 0, 2))
        study.tell(trial, 1.0)
    assert sorted(seen) == [0, 1, 2]
    assert sampler.is_exhausted(study)


def test_ask_and_tell_after_the_last_point_does_not_raise_and_reuses_a_point(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sampler = GridSampler({"x": [0, 1]}, seed=0)
    study = tansaku.create_study(sampler=sampler)
    for _ in range(2):
        trial = study.ask()
        study.tell(trial, float(trial.suggest_int("x", 0, 5)))
    assert sampler.is_exhausted(study)
    trial = study.ask()
    assert trial.suggest_int("x", 0, 5) in (0, 1)
    study.tell(trial, 0.0)
    assert "re-evaluates" in caplog.text


def test_grid_sampler_raises_for_a_param_not_in_the_grid() -> None:
    study = tansaku.create_study(sampler=GridSampler({"x": [0, 1]}))
    trial = study.ask()
    with pytest.raises(ValueError, match="'z' is not in the grid"):
        trial.suggest_float("z", 0, 1)


def test_grid_value_outside_the_suggested_range_is_used_with_a_warning() -> None:
    study = tansaku.create_study(sampler=GridSampler({"x": [10.0]}))
    trial = study.ask()
    with pytest.warns(UserWarning, match="10.0 of param 'x' is outside"):
        assert trial.suggest_float("x", -1, 1) == 10.0


def test_grid_value_off_the_suggested_step_is_used_as_given() -> None:
    study = tansaku.create_study(sampler=GridSampler({"x": [-0.5, 0.5]}))
    with pytest.warns(UserWarning, match="is outside"):
        study.optimize(lambda t: t.suggest_float("x", -5, 5, step=1))
    assert sorted(t.params["x"] for t in study.trials) == [-0.5, 0.5]


def test_grid_value_that_is_not_a_categorical_choice_raises() -> None:
    study = tansaku.create_study(sampler=GridSampler({"c": ["z"]}))
    trial = study.ask()
    with pytest.raises(ValueError, match="grid value of param 'c'.*'z' is not one of the choices"):
        trial.suggest_categorical("c", ["a", "b"])


def test_grid_sampler_returns_none_bool_and_str_values() -> None:
    space: dict[str, list[Any]] = {"flag": [True, False], "name": ["a", None]}
    study = tansaku.create_study(sampler=GridSampler(space))

    def objective(trial: Trial) -> float:
        trial.suggest_categorical("flag", [True, False])
        trial.suggest_categorical("name", ["a", None])
        return 0.0

    study.optimize(objective)
    assert set(_points(study)) == {(True, "a"), (True, None), (False, "a"), (False, None)}


def test_grid_sampler_takes_numpy_arrays_and_ranges_as_plain_python_values() -> None:
    space = {"x": np.linspace(0.0, 1.0, 3), "n": range(2)}
    study = tansaku.create_study(sampler=GridSampler(space))  # type: ignore[arg-type]
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 1))
    assert set(_points(study)) == {(n, x) for n in (0, 1) for x in (0.0, 0.5, 1.0)}
    assert all(type(t.params["x"]) is float for t in study.trials)
    assert study.trials[0].system_attrs["search_space"] == {"n": [0, 1], "x": [0.0, 0.5, 1.0]}


def test_grid_sampler_warns_for_a_value_that_cannot_be_stored() -> None:
    with pytest.warns(UserWarning, match=r"search_space\['x'\] holds \[1, 2\] of type list"):
        GridSampler({"x": [[1, 2], 3]})  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("space", "error", "message"),
    [
        ({"x": []}, ValueError, r"search_space\['x'\]=\[\] must hold at least one value"),
        ({"x": "abc"}, TypeError, r"search_space\['x'\] must be a sequence"),
        ({"x": 3}, TypeError, r"search_space\['x'\] must be a sequence"),
        ([("x", [1])], TypeError, "search_space must be a mapping"),
    ],
)
def test_grid_sampler_rejects_malformed_search_space(
    space: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        GridSampler(space)


def test_enqueued_trial_counts_as_the_grid_point_its_params_match() -> None:
    study = tansaku.create_study(sampler=GridSampler(SPACE, seed=0))
    study.enqueue_trial({"x": 0.0, "y": 2})
    study.optimize(_objective)
    points = _points(study)
    assert points[0] == (0.0, 2)
    assert len(points) == 6
    assert set(points) == _all_points(SPACE)


def test_enqueued_trial_without_a_grid_param_refuses_to_suggest_it() -> None:
    # As Optuna: an enqueued trial gives every grid param the objective suggests.
    study = tansaku.create_study(sampler=GridSampler(SPACE, seed=0))
    study.enqueue_trial({"x": 1.0})
    trial = study.ask()
    assert trial.suggest_float("x", -2, 2) == 1.0
    with pytest.raises(ValueError, match="param 'y' has no value"):
        trial.suggest_int("y", 0, 3)


def test_enqueued_trial_off_the_grid_leaves_its_other_grid_params_without_value() -> None:
    study = tansaku.create_study(sampler=GridSampler(SPACE, seed=0))
    study.enqueue_trial({"x": 1.5})
    trial = study.ask()
    assert trial.suggest_float("x", -2, 2) == 1.5
    with pytest.raises(ValueError, match="param 'y' has no value"):
        trial.suggest_int("y", 0, 3)


def test_failed_trials_count_as_evaluated() -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_int("x", 0, 3)
        if x == 2:
            raise RuntimeError("boom")
        return float(x)

    study = tansaku.create_study(sampler=GridSampler({"x": [0, 1, 2, 3]}, seed=0))
    study.optimize(objective, catch=RuntimeError)
    states = collections.Counter(t.state for t in study.trials)
    assert states == {TrialState.COMPLETE: 3, TrialState.FAIL: 1}


def test_trials_of_another_grid_do_not_count_as_its_points() -> None:
    study = tansaku.create_study(sampler=GridSampler({"x": [0, 1]}, seed=0))
    study.optimize(lambda t: t.suggest_int("x", 0, 9))
    study.sampler = GridSampler({"x": [0, 1, 2]}, seed=0)
    study.optimize(lambda t: t.suggest_int("x", 0, 9))
    assert sorted(t.params["x"] for t in study.trials[2:]) == [0, 1, 2]


def test_grid_sampler_survives_pickling_and_keeps_its_grid() -> None:
    sampler = pickle.loads(pickle.dumps(GridSampler(SPACE, seed=0)))
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_objective, n_jobs=2)
    assert set(_points(study)) == _all_points(SPACE)


def test_reseed_rng_changes_the_order() -> None:
    space = {"a": list(range(50))}

    def first_point(sampler: GridSampler) -> list[int]:
        study = tansaku.create_study(sampler=sampler)
        study.optimize(lambda t: t.suggest_int("a", 0, 49), n_trials=5)
        return [t.params["a"] for t in study.trials]

    reseeded = GridSampler(space, seed=0)
    reseeded.reseed_rng()
    assert first_point(reseeded) != first_point(GridSampler(space, seed=0))
