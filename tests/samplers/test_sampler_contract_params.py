"""Sampler contract: every suggested param lies inside its distribution, whatever the history
holds (failed and pruned trials, several objectives) and whatever the space (every distribution
kind, conditional params, a name whose range moves)."""

from __future__ import annotations

import pickle
import warnings

import pytest

import tansaku
from tests.samplers._contract_samplers import (
    N_TRIALS,
    ContractSampler,
    contract_sampler,  # noqa: F401  (the "sampler_entry" fixture, found by its name)
    optimize_without_warnings,
    run_study,
    skip_unless_conditional,
)
from tests.samplers._contract_spaces import (
    SPACES,
    InjectedFailure,
    assert_study_fits_space,
    objective,
)

SPACE_NAMES = list(SPACES)


@pytest.mark.parametrize("space_name", SPACE_NAMES)
def test_every_suggested_param_lies_inside_its_distribution(
    sampler_entry: ContractSampler, space_name: str
) -> None:
    skip_unless_conditional(sampler_entry, space_name)
    study = run_study(sampler_entry, space_name)
    assert_study_fits_space(
        study, SPACES[space_name], sampler_entry.entry.finite_space_only, False, N_TRIALS
    )


@pytest.mark.parametrize("space_name", SPACE_NAMES)
def test_failed_and_pruned_trials_in_the_history_leave_sampling_valid(
    sampler_entry: ContractSampler, space_name: str
) -> None:
    # Trials fail before any suggest, after two, return NaN, are pruned with and without
    # intermediate values; only the objective's own failure is caught, so an error raised by
    # the sampler fails the test, and every trial must end as planned.
    skip_unless_conditional(sampler_entry, space_name)
    study = run_study(sampler_entry, space_name, faults=True)
    assert_study_fits_space(
        study, SPACES[space_name], sampler_entry.entry.finite_space_only, True, N_TRIALS
    )


@pytest.mark.parametrize("space_name", SPACE_NAMES)
def test_several_objectives_are_sampled_or_refused_clearly(
    sampler_entry: ContractSampler, space_name: str
) -> None:
    skip_unless_conditional(sampler_entry, space_name)
    space = SPACES[space_name]
    finite = sampler_entry.entry.finite_space_only
    if sampler_entry.entry.supports_multi_objective:
        study = run_study(sampler_entry, space_name, n_objectives=3, faults=True)
        assert_study_fits_space(study, space, finite, True, N_TRIALS)
        assert study.best_trials
        return
    study = tansaku.create_study(
        sampler=sampler_entry.build(0, space), directions=["minimize", "maximize"]
    )
    with pytest.raises(ValueError, match="multi-objective"):
        study.optimize(objective(space, finite, 2), n_trials=1, catch=(InjectedFailure,))


@pytest.mark.parametrize("space_name", SPACE_NAMES)
def test_threads_and_a_pickled_copy_keep_sampling_valid(
    sampler_entry: ContractSampler, space_name: str
) -> None:
    # optimize(n_jobs=2) shares the sampler between threads; process pools pickle it.
    skip_unless_conditional(sampler_entry, space_name)
    space = SPACES[space_name]
    finite = sampler_entry.entry.finite_space_only
    study = tansaku.create_study(sampler=sampler_entry.build(0, space))
    run = objective(space, finite, faults=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(run, n_trials=N_TRIALS, n_jobs=2, catch=(InjectedFailure,))
    assert not caught, [str(w.message) for w in caught]
    study.sampler = pickle.loads(pickle.dumps(study.sampler))
    optimize_without_warnings(study, run, 6)
    assert_study_fits_space(study, space, finite, True, N_TRIALS + 6)
