"""Sampler contract: BaseSampler's methods keep their contract as a study calls them.

A trial replaces a relative param that lies outside its distribution by an independent draw,
which would hide a sampler's mistake; so the sampler is wrapped in one that checks every value
at the call that returns it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from tansaku import Study
from tansaku.distributions import BaseDistribution
from tansaku.samplers import BaseSampler
from tansaku.trial import FrozenTrial, TrialState
from tests.samplers._contract_samplers import (
    N_TRIALS,
    ContractSampler,
    contract_sampler,  # noqa: F401  (the "sampler_entry" fixture, found by its name)
    run_study,
    skip_unless_conditional,
)
from tests.samplers._contract_spaces import (
    SPACES,
    assert_inside,
    assert_study_fits_space,
    declared_distributions,
)


class CheckedSampler(BaseSampler):
    """Delegates every call to ``inner`` and checks what it returns against BaseSampler's
    contract; counts the relative params it drew."""

    def __init__(self, inner: BaseSampler, declared: dict[str, list[BaseDistribution]]) -> None:
        self.inner = inner
        self.declared = declared
        self.n_relative_params = 0
        self.n_after_trial = 0

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        space = self.inner.infer_relative_search_space(study, trial)
        assert isinstance(space, dict)
        for name, distribution in space.items():
            # Only distributions the objective gave the name; a moving range is no single one.
            assert distribution in self.declared[name], (name, distribution)
        return space

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        assert trial.state is TrialState.RUNNING
        assert self.inner.sample_relative(study, trial, {}) == {}
        if len(search_space) > 1:
            # A part of the space gets params for that part only.
            part = dict(list(search_space.items())[1:])
            assert set(self.inner.sample_relative(study, trial, part)) <= set(part)
        params = self.inner.sample_relative(study, trial, search_space)
        assert set(params) <= set(search_space), (set(params), set(search_space))
        for name, value in params.items():
            assert_inside(name, search_space[name], value)
        self.n_relative_params += len(params)
        return params

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        assert trial.state is TrialState.RUNNING
        assert param_name not in trial.params
        value = self.inner.sample_independent(study, trial, param_name, param_distribution)
        assert_inside(param_name, param_distribution, value)
        return value

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        assert trial.state is TrialState.RUNNING
        self.inner.before_trial(study, trial)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        assert state.is_finished()
        # As in Optuna: values for COMPLETE, none for FAIL, the last intermediate value (if
        # any) for PRUNED.
        if state is TrialState.COMPLETE:
            assert values is not None and len(values) == len(study.directions)
        elif state is TrialState.FAIL:
            assert values is None
        self.n_after_trial += 1
        self.inner.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self.inner.reseed_rng()


@pytest.mark.parametrize("n_objectives", [1, 2])
@pytest.mark.parametrize("space_name", list(SPACES))
def test_relative_and_independent_samples_keep_the_base_sampler_contract(
    sampler_entry: ContractSampler, space_name: str, n_objectives: int
) -> None:
    skip_unless_conditional(sampler_entry, space_name)
    if n_objectives > 1 and not sampler_entry.entry.supports_multi_objective:
        pytest.skip(f"{sampler_entry.name} declares supports_multi_objective=False")
    space = SPACES[space_name]
    finite = sampler_entry.entry.finite_space_only
    checked: list[CheckedSampler] = []

    def wrap(inner: BaseSampler) -> BaseSampler:
        checked.append(CheckedSampler(inner, declared_distributions(space, finite)))
        return checked[0]

    study = run_study(sampler_entry, space_name, n_objectives=n_objectives, faults=True, wrap=wrap)
    assert_study_fits_space(study, space, finite, True, N_TRIALS)
    assert checked[0].n_after_trial == N_TRIALS
