"""Random sequences of ask / suggest / report / tell keep the study's invariants."""

from __future__ import annotations

import math
import warnings

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import tansaku
from tansaku.trial import Trial, TrialState
from tests._hypothesis import examples

finite = st.floats(allow_nan=False, allow_infinity=False, width=32)
outcome = st.one_of(
    finite.map(lambda v: ("complete", v)),
    st.just(("complete", math.nan)),
    st.just(("pruned", None)),
    st.just(("fail", None)),
)


class StudyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.direction = "minimize"
        self.study = tansaku.create_study(direction=self.direction)
        self.running: list[Trial] = []
        self.told: dict[int, tuple[TrialState, float | None]] = {}

    @rule()
    def ask(self) -> None:
        self.running.append(self.study.ask())

    @precondition(lambda self: self.running)
    @rule(index=st.integers(0, 100), low=finite, width=st.floats(0, 1e6))
    def suggest(self, index: int, low: float, width: float) -> None:
        trial = self.running[index % len(self.running)]
        value = trial.suggest_float(f"p{index % 3}", low, low + width)
        assert trial.params[f"p{index % 3}"] == value

    @precondition(lambda self: self.running)
    @rule(index=st.integers(0, 100), value=finite, step=st.integers(0, 5))
    def report(self, index: int, value: float, step: int) -> None:
        trial = self.running[index % len(self.running)]
        if step not in self.study._storage.get_trial(trial._trial_id).intermediate_values:
            trial.report(value, step)

    @precondition(lambda self: self.running)
    @rule(index=st.integers(0, 100), result=outcome)
    def tell(self, index: int, result: tuple[str, float | None]) -> None:
        trial = self.running.pop(index % len(self.running))
        kind, value = result
        if kind == "complete":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # NaN fails the trial and warns
                frozen = self.study.tell(trial, value)
        elif kind == "pruned":
            frozen = self.study.tell(trial, state=TrialState.PRUNED)
        else:
            frozen = self.study.tell(trial, state=TrialState.FAIL)
        if kind == "complete" and value is not None and math.isnan(value):
            assert frozen.state is TrialState.FAIL
        self.told[frozen.number] = (frozen.state, frozen.value)

    @invariant()
    def numbers_are_dense_and_states_valid(self) -> None:
        trials = self.study.trials
        assert [t.number for t in trials] == list(range(len(trials)))
        for trial in trials:
            if trial.number in self.told:
                assert (trial.state, trial.value) == self.told[trial.number]
                assert trial.datetime_complete is not None
            else:
                assert trial.state is TrialState.RUNNING
            for name, value in trial.params.items():
                assert trial.distributions[name]._contains(value)

    @invariant()
    def best_trial_is_the_minimum_of_completed_values(self) -> None:
        completed = [v for s, v in self.told.values() if s is TrialState.COMPLETE]
        if completed:
            assert self.study.best_value == min(completed)  # type: ignore[type-var]
            assert self.study.best_trial.state is TrialState.COMPLETE


TestStudyMachine = StudyMachine.TestCase
TestStudyMachine.settings = settings(
    max_examples=examples(40), stateful_step_count=30, deadline=None
)
