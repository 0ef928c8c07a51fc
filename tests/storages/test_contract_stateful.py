"""The storage contract as a hypothesis state machine.

Random operations on a backend and on a plain reference model must agree after every step.
``make test`` runs it derandomized (see ``tests/_hypothesis.py``); ``make test-search`` runs it
as a long random search. Each failure a search found is kept as an explicit contract test:

- a param write to a finished trial that is also incompatible with the study's distribution
  raises UpdateFinishedTrialError, not ValueError (``test_contract_trial_updates.py``,
  ``test_writes_to_a_finished_trial_raise_and_change_nothing[*-param_other_*]``).
"""

from __future__ import annotations

from collections.abc import Callable
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
from tansaku.exceptions import UpdateFinishedTrialError
from tansaku.storages import BaseStorage
from tansaku.study import StudyDirection
from tansaku.trial import TrialState, create_trial
from tests._hypothesis import examples
from tests.storages._contract_backends import (
    ALL_STATES,
    FINISHED,
    MAX,
    MIN,
    contract_storage,  # noqa: F401  (the "storage" fixture, found by its name)
    numbers,
)

# Examples of the stateful test per backend: every example of a database backend commits
# dozens of times, so they run fewer to keep the suite within minutes.
STATEFUL_EXAMPLES = {"inmemory": 60, "journal_file": 20}
STATEFUL_EXAMPLES_DEFAULT = 8

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


@pytest.mark.hypothesis
def test_random_operations_agree_with_reference_model(
    storage: BaseStorage, request: pytest.FixtureRequest
) -> None:
    machine = type("StorageMachineRun", (StorageMachine,), {"storage": storage})
    backend = request.node.callspec.params["storage"]
    n_examples = examples(STATEFUL_EXAMPLES.get(backend, STATEFUL_EXAMPLES_DEFAULT))
    run_state_machine_as_test(
        machine, settings=settings(max_examples=n_examples, stateful_step_count=40, deadline=None)
    )
