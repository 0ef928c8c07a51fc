"""Sampler contract: the study-level behaviours Optuna documents hold with every sampler:
``enqueue_trial`` values are used as given, and ``study.ask(fixed_distributions=...)`` suggests
those params at once."""

from __future__ import annotations

from typing import Any

import pytest

from tansaku.trial import TrialState
from tests.samplers._contract_samplers import (
    ContractSampler,
    contract_sampler,  # noqa: F401  (the "sampler_entry" fixture, found by its name)
    optimize_without_warnings,
    run_study,
    skip_unless_conditional,
)
from tests.samplers._contract_spaces import (
    SPACES,
    assert_inside,
    assert_trial_fits_space,
    declared_distributions,
    first_suggested,
    objective,
)

N_HISTORY = 12


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("space_name", list(SPACES))
def test_enqueued_values_are_used_as_given(
    sampler_entry: ContractSampler, space_name: str
) -> None:
    skip_unless_conditional(sampler_entry, space_name)
    space = SPACES[space_name]
    finite = sampler_entry.entry.finite_space_only
    names = [name for name in space.grid if name in declared_distributions(space, finite)]
    # Values from the grid: inside every distribution of their name, so any sampler takes them.
    enqueued = {"every_param": {name: space.grid[name][-1] for name in names}}
    if not sampler_entry.entry.enqueue_needs_every_param:
        # GridSampler refuses an enqueued trial that lacks a grid param, as Optuna's does.
        enqueued["some_params"] = {name: space.grid[name][0] for name in names[::2]}
    study = run_study(sampler_entry, space_name, faults=True, n_trials=N_HISTORY)
    for label, params in enqueued.items():
        study.enqueue_trial(params, user_attrs={"enqueued": label})
    optimize_without_warnings(study, objective(space, finite), len(enqueued))

    trials = study.get_trials(deepcopy=False)
    assert len(trials) == N_HISTORY + len(enqueued)
    for trial in trials[N_HISTORY:]:
        given = enqueued[trial.user_attrs["enqueued"]]
        assert trial.state is TrialState.COMPLETE
        for name, value in trial.params.items():
            if name in given:
                assert _same(value, given[name]), (name, value, given[name])
        assert_trial_fits_space(trial, space, finite)


@pytest.mark.parametrize("space_name", list(SPACES))
def test_ask_with_fixed_distributions_suggests_them_at_once(
    sampler_entry: ContractSampler, space_name: str
) -> None:
    skip_unless_conditional(sampler_entry, space_name)
    space = SPACES[space_name]
    finite = sampler_entry.entry.finite_space_only
    # Suggested in the order the objective suggests them: samplers that learn the space from
    # that order (BruteForceSampler) see the same space.
    fixed = first_suggested(space, finite)
    study = run_study(sampler_entry, space_name, faults=True, n_trials=N_HISTORY)
    run = objective(space, finite)
    for _ in range(3):
        trial = study.ask(fixed_distributions=fixed)
        asked = dict(trial.params)
        assert set(asked) == set(fixed)
        for name, value in asked.items():
            assert_inside(name, fixed[name], value)
        # The objective suggests the same names again and gets the values asked for.
        study.tell(trial, run(trial))
        assert {name: trial.params[name] for name in asked} == asked
    optimize_without_warnings(study, run, 3)
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == N_HISTORY + 6
    for trial in trials[N_HISTORY:]:
        assert trial.state is TrialState.COMPLETE
        assert_trial_fits_space(trial, space, finite)
