from __future__ import annotations

import math

import pytest

import tansaku
from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tansaku.trial import TrialState


def test_ask_creates_running_trials_numbered_densely_from_zero() -> None:
    study = tansaku.create_study()
    trials = [study.ask() for _ in range(5)]
    assert [t.number for t in trials] == [0, 1, 2, 3, 4]
    assert all(t.state is TrialState.RUNNING for t in study.trials)


def test_ask_with_fixed_distributions_suggests_them_at_once() -> None:
    study = tansaku.create_study()
    trial = study.ask({"x": FloatDistribution(0, 1), "n": IntDistribution(1, 3)})
    assert set(trial.params) == {"x", "n"}
    assert 0 <= trial.params["x"] <= 1
    assert study.trials[0].params == trial.params


def test_tell_by_number_completes_the_trial_and_returns_a_copy() -> None:
    study = tansaku.create_study()
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    frozen = study.tell(trial.number, 3.5)
    assert frozen.state is TrialState.COMPLETE
    assert frozen.value == 3.5
    frozen.params["x"] = 99.0
    assert study.trials[0].params["x"] != 99.0


@pytest.mark.parametrize("bad", [math.nan, "abc", "1", None, [1.0, 2.0], object()])
def test_tell_with_an_unusable_value_fails_the_trial_with_a_user_warning(bad: object) -> None:
    # As Optuna: without a state, tell fails the trial and warns (UserWarning).
    study = tansaku.create_study()
    trial = study.ask()
    with pytest.warns(UserWarning, match=f"Trial {trial.number} failed"):
        frozen = study.tell(trial, bad)  # type: ignore[arg-type]
    assert frozen.state is TrialState.FAIL
    assert frozen.values is None


@pytest.mark.parametrize("bad", [math.nan, "abc", None, [1.0, 2.0]])
def test_tell_complete_with_an_unusable_value_raises_and_leaves_the_trial_running(
    bad: object,
) -> None:
    # As Optuna: an explicit COMPLETE needs usable values; the trial can still be told.
    study = tansaku.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match="tell\\(trial 0"):
        study.tell(trial, bad, state=TrialState.COMPLETE)  # type: ignore[arg-type]
    assert study.trials[0].state is TrialState.RUNNING
    assert study.tell(trial, 1.0).state is TrialState.COMPLETE


def test_infinite_value_is_a_valid_result() -> None:
    study = tansaku.create_study()
    frozen = study.tell(study.ask(), math.inf)
    assert frozen.state is TrialState.COMPLETE
    assert frozen.value == math.inf


def test_tell_on_a_finished_trial_raises_and_keeps_the_stored_trial() -> None:
    study = tansaku.create_study()
    trial = study.ask()
    study.tell(trial, 1.0)
    # ValueError as in Optuna (not the storage's UpdateFinishedTrialError).
    with pytest.raises(ValueError, match="cannot tell a COMPLETE trial"):
        study.tell(trial, 2.0)
    with pytest.raises(ValueError, match="cannot tell a COMPLETE trial"):
        study.tell(0, 2.0)
    assert study.trials[0].value == 1.0


def test_tell_with_skip_if_finished_returns_quietly() -> None:
    study = tansaku.create_study()
    trial = study.ask()
    study.tell(trial, 1.0)
    frozen = study.tell(trial, 2.0, skip_if_finished=True)
    assert frozen.value == 1.0


def test_tell_pruned_keeps_the_last_intermediate_value() -> None:
    study = tansaku.create_study()
    trial = study.ask()
    trial.report(0.5, 1)
    trial.report(0.25, 3)
    trial.report(0.75, 2)
    frozen = study.tell(trial, state=TrialState.PRUNED)
    assert frozen.state is TrialState.PRUNED
    assert frozen.value == 0.25


def test_tell_rejects_values_with_fail_and_running_state() -> None:
    study = tansaku.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match="values"):
        study.tell(trial, 1.0, state=TrialState.FAIL)
    with pytest.raises(ValueError, match="state"):
        study.tell(trial, 1.0, state=TrialState.RUNNING)
    assert study.trials[0].state is TrialState.RUNNING


def test_tell_of_an_unknown_number_or_type_raises() -> None:
    study = tansaku.create_study()
    with pytest.raises(ValueError, match="does not exist"):
        study.tell(3, 1.0)
    with pytest.raises(TypeError):
        study.tell("0", 1.0)  # type: ignore[arg-type]


def test_multi_objective_tell_needs_one_value_per_direction() -> None:
    study = tansaku.create_study(directions=["minimize", "maximize"])
    assert study.tell(study.ask(), [1.0, 2.0]).values == [1.0, 2.0]
    assert study.tell(study.ask(), 1.0).state is TrialState.FAIL
    assert study.tell(study.ask(), [1.0, 2.0, 3.0]).state is TrialState.FAIL


def test_enqueued_trial_is_asked_first_with_its_params() -> None:
    study = tansaku.create_study()
    study.enqueue_trial({"x": 0.25, "c": "b"}, user_attrs={"source": "manual"})
    trial = study.ask()
    assert trial.suggest_float("x", 0, 1) == 0.25
    assert trial.suggest_categorical("c", ["a", "b"]) == "b"
    y = trial.suggest_float("y", 0, 1)
    assert 0 <= y <= 1
    study.tell(trial, 1.0)
    assert study.trials[0].user_attrs == {"source": "manual"}
    assert study.ask().number == 1


def test_enqueue_with_skip_if_exists_does_not_duplicate() -> None:
    study = tansaku.create_study()
    study.enqueue_trial({"x": 0.5})
    study.enqueue_trial({"x": 0.5}, skip_if_exists=True)
    assert len(study.trials) == 1
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    study.enqueue_trial({"x": 0.5}, skip_if_exists=True)
    assert len(study.trials) == 1


def test_enqueued_param_outside_the_range_is_used_with_a_warning() -> None:
    study = tansaku.create_study()
    study.enqueue_trial({"x": 5.0})
    trial = study.ask()
    with pytest.warns(UserWarning, match="outside"):
        assert trial.suggest_float("x", 0, 1) == 5.0


def test_add_trial_stores_a_finished_trial() -> None:
    study = tansaku.create_study()
    study.add_trial(
        tansaku.create_trial(
            params={"x": 0.5, "c": "a"},
            distributions={"x": FloatDistribution(0, 1), "c": CategoricalDistribution(["a", "b"])},
            value=2.0,
        )
    )
    study.add_trials([tansaku.create_trial(value=1.0), tansaku.create_trial(value=3.0)])
    assert [t.number for t in study.trials] == [0, 1, 2]
    assert study.best_value == 1.0


def test_add_trial_with_the_wrong_number_of_values_raises() -> None:
    study = tansaku.create_study(directions=["minimize", "minimize"])
    with pytest.raises(ValueError, match="2 objectives"):
        study.add_trial(tansaku.create_trial(value=1.0))
    assert study.trials == []


class _RacedStorage(tansaku.storages.InMemoryStorage):
    """After a read of the waiting trials, another worker claims and finishes the first one
    (what a second process can do between ask's read and its claim)."""

    def get_all_trials(self, study_id, deepcopy=True, states=None):  # type: ignore[no-untyped-def]
        trials = super().get_all_trials(study_id, deepcopy=deepcopy, states=states)
        if states is not None and tuple(states) == (TrialState.WAITING,) and trials:
            first = trials[0]._trial_id
            super().set_trial_state_values(first, TrialState.RUNNING)
            super().set_trial_state_values(first, TrialState.COMPLETE, [0.0])
        return trials


def test_ask_skips_an_enqueued_trial_another_worker_claimed_and_finished_since_its_read() -> None:
    study = tansaku.create_study(storage=_RacedStorage())
    study.enqueue_trial({"x": 1.0})
    study.enqueue_trial({"x": 2.0})
    trial = study.ask()
    # The first enqueued trial went to the other worker; this one gets the second.
    assert trial.number == 1
    assert trial.suggest_float("x", 0, 5) == 2.0
    assert study.trials[0].state is TrialState.COMPLETE
