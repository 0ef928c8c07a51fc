from __future__ import annotations

import math

import pytest

import tansaku
from tansaku.pruners import SuccessiveHalvingPruner
from tansaku.trial import TrialState

RUNG_KEYS = tuple(f"completed_rung_{k}" for k in range(4))


def run_constant_trials(
    study: tansaku.Study, values: list[float], last_step: int = 8
) -> dict[int, int]:
    """Run one trial per value, reporting it at every step; return {number: pruned step}."""
    pruned = {}
    for value in values:
        trial = study.ask()
        for step in range(last_step + 1):
            trial.report(value, step)
            if trial.should_prune():
                pruned[trial.number] = step
                study.tell(trial, state=TrialState.PRUNED)
                break
        else:
            study.tell(trial, value)
    return pruned


def rungs_of(trial: tansaku.trial.FrozenTrial) -> dict[str, float]:
    return {k: v for k, v in trial.system_attrs.items() if k.startswith("completed_rung_")}


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_rung_promotion_follows_the_hand_worked_example(direction: str) -> None:
    # min_resource=1, reduction_factor=2: rungs end at steps 1, 2, 4, 8. A trial ending a
    # rung with n values there (its own included) goes on when at most max(n // 2 - 1, 0)
    # of them are better.
    #   #0 5.0  rung 0: n=1, 0 ahead      -> on (every rung alike)
    #   #1 3.0  rung 0: n=2, 0 ahead <= 0 -> on (every rung alike)
    #   #2 4.0  rung 0: n=3, 1 ahead >  0 -> pruned at step 1
    #   #3 4.5  rung 0: n=4, 2 ahead >  1 -> pruned at step 1
    #   #4 3.5  rung 0: n=5, 1 ahead <= 1 -> on; rung 1: n=3 (5, 3, 3.5), 1 ahead > 0 -> step 2
    #   #5 2.0  best everywhere          -> completes
    sign = 1.0 if direction == "minimize" else -1.0
    study = tansaku.create_study(
        direction=direction, pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    )
    pruned = run_constant_trials(study, [sign * v for v in (5.0, 3.0, 4.0, 4.5, 3.5, 2.0)])
    assert pruned == {2: 1, 3: 1, 4: 2}
    trials = study.trials
    assert rungs_of(trials[0]) == {k: sign * 5.0 for k in RUNG_KEYS}
    assert rungs_of(trials[2]) == {"completed_rung_0": sign * 4.0}
    assert rungs_of(trials[4]) == {"completed_rung_0": sign * 3.5, "completed_rung_1": sign * 3.5}


def test_a_report_past_several_rungs_records_each_of_them_with_the_latest_value() -> None:
    study = tansaku.create_study(pruner=SuccessiveHalvingPruner(1, 2))
    trial = study.ask()
    trial.report(7.0, 0)
    trial.report(1.0, 5)  # past the ends of rungs 0 (1), 1 (2) and 2 (4), not 3 (8)
    assert not trial.should_prune()
    assert rungs_of(study.trials[0]) == {f"completed_rung_{k}": 1.0 for k in range(3)}


def test_min_early_stopping_rate_moves_the_first_rung() -> None:
    # min_resource=2, reduction_factor=3, rate 1: the first rung ends at 2 * 3 = 6.
    pruner = SuccessiveHalvingPruner(min_resource=2, reduction_factor=3, min_early_stopping_rate=1)
    study = tansaku.create_study(pruner=pruner)
    run_constant_trials(study, [0.0], last_step=20)
    trial = study.ask()
    for step in range(6):
        trial.report(9.0, step)
        assert not trial.should_prune()
    assert rungs_of(study.trials[1]) == {}
    trial.report(9.0, 6)
    assert trial.should_prune()
    assert rungs_of(study.trials[1]) == {"completed_rung_0": 9.0}


def test_bootstrap_count_prunes_the_trials_that_seed_a_rung() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2, bootstrap_count=2)
    study = tansaku.create_study(pruner=pruner)
    # #0 and #1: 1 and 2 values at rung 0, not more than 2 -> pruned; #2: n=3, best -> on.
    assert run_constant_trials(study, [1.0, 2.0, 0.5], last_step=1) == {0: 1, 1: 1}
    assert study.trials[2].state == TrialState.COMPLETE


def test_auto_min_resource_waits_for_a_completed_trial_then_uses_a_hundredth_of_it() -> None:
    study = tansaku.create_study(pruner=SuccessiveHalvingPruner(reduction_factor=2))
    assert run_constant_trials(study, [1.0], last_step=299) == {}
    assert rungs_of(study.trials[0]) == {}  # nothing recorded before the estimate
    trial = study.ask()
    trial.report(5.0, 0)
    trial.report(5.0, 1)
    assert not trial.should_prune()  # min_resource = 299 // 100 = 2
    trial.report(5.0, 2)
    assert not trial.should_prune()  # rung 0: n=1
    trial = study.ask()
    trial.report(9.0, 2)
    assert trial.should_prune()  # rung 0: n=2, 1 ahead > 0


def test_a_nan_value_at_a_rung_is_pruned_without_being_recorded() -> None:
    study = tansaku.create_study(pruner=SuccessiveHalvingPruner(1, 2))
    trial = study.ask()
    trial.report(math.nan, 1)
    assert trial.should_prune()
    assert rungs_of(study.trials[0]) == {}


def test_rungs_are_shared_through_the_storage(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/sha.db"
    first = tansaku.create_study(storage=url, study_name="s", pruner=SuccessiveHalvingPruner(1, 2))
    run_constant_trials(first, [1.0, 2.0, 3.0], last_step=1)
    # Another process would open the study like this, with its own pruner and storage.
    second = tansaku.load_study(study_name="s", storage=url, pruner=SuccessiveHalvingPruner(1, 2))
    trial = second.ask()
    trial.report(2.5, 1)
    assert trial.should_prune()  # n=4, two of them better than 2.5 > 4 // 2 - 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_resource": 0}, "min_resource=0 must be an int >= 1 or 'auto'"),
        ({"min_resource": "x"}, "min_resource='x' must be an int >= 1 or 'auto'"),
        ({"reduction_factor": 1}, "reduction_factor=1 must be >= 2"),
        ({"min_early_stopping_rate": -1}, "min_early_stopping_rate=-1 must be >= 0"),
        ({"min_resource": 1, "bootstrap_count": -1}, "bootstrap_count=-1 must be >= 0"),
        ({"bootstrap_count": 1}, "bootstrap_count=1 must be 0 when min_resource='auto'"),
    ],
)
def test_bad_arguments_are_rejected_naming_them(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=f"^SuccessiveHalvingPruner: {message}"):
        SuccessiveHalvingPruner(**kwargs)  # type: ignore[arg-type]
