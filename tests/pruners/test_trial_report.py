"""What every pruner relies on: reporting, asking, and how a pruned trial ends."""

from __future__ import annotations

import math

import pytest

import tansaku
from tansaku.exceptions import UpdateFinishedTrialError
from tansaku.pruners import NopPruner, ThresholdPruner
from tansaku.trial import TrialState


@pytest.fixture(autouse=True)
def quiet() -> None:
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)


def test_a_pruned_trial_keeps_its_last_intermediate_value_as_its_value() -> None:
    def objective(trial: tansaku.Trial) -> float:
        for step in (0, 3, 1):  # the last step is 3, whatever the order of the reports
            trial.report(10.0 + step, step)
        if trial.should_prune():
            raise tansaku.TrialPruned()
        return 0.0

    study = tansaku.create_study(pruner=ThresholdPruner(upper=1.0))
    study.optimize(objective, n_trials=1)
    (trial,) = study.trials
    assert trial.state == TrialState.PRUNED
    assert trial.value == 13.0


def test_a_pruned_trial_told_by_ask_and_tell_keeps_its_last_value() -> None:
    study = tansaku.create_study(pruner=ThresholdPruner(upper=1.0))
    trial = study.ask()
    trial.report(4.0, 0)
    trial.report(5.0, 1)
    assert trial.should_prune()
    assert study.tell(trial, state=TrialState.PRUNED).value == 5.0


def test_a_pruned_trial_whose_last_value_is_nan_has_no_value() -> None:
    study = tansaku.create_study(pruner=ThresholdPruner(upper=1.0))
    trial = study.ask()
    trial.report(4.0, 0)
    trial.report(math.nan, 1)
    assert trial.should_prune()
    assert study.tell(trial, state=TrialState.PRUNED).value is None


@pytest.mark.parametrize("state", [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL])
def test_report_after_the_trial_finished_fails_at_the_call(state: TrialState) -> None:
    study = tansaku.create_study(pruner=NopPruner())
    trial = study.ask()
    trial.report(1.0, 0)
    study.tell(trial, 1.0 if state == TrialState.COMPLETE else None, state=state)
    with pytest.raises(
        UpdateFinishedTrialError,
        match=rf"report\(value=2.0, step=1\): trial 0 has already finished \({state.name}\)",
    ):
        trial.report(2.0, 1)
    assert study.trials[0].intermediate_values == {0: 1.0}


def test_report_after_the_trial_finished_fails_on_sqlite_too(tmp_path: object) -> None:
    study = tansaku.create_study(storage=f"sqlite:///{tmp_path}/r.db")
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(UpdateFinishedTrialError, match="has already finished"):
        trial.report(2.0, 1)


def test_multi_objective_studies_reject_report_and_should_prune() -> None:
    study = tansaku.create_study(directions=["minimize", "maximize"])
    trial = study.ask()
    with pytest.raises(NotImplementedError, match="Trial.report is not supported"):
        trial.report(1.0, 0)
    with pytest.raises(NotImplementedError, match="Trial.should_prune is not supported"):
        trial.should_prune()


def test_nop_pruner_never_prunes() -> None:
    study = tansaku.create_study(pruner=NopPruner())
    trial = study.ask()
    trial.report(math.nan, 0)
    assert not trial.should_prune()
