"""SkoptSampler in the sampler contract: the contract's tests of one sampler, run on its entry.

The suite's ``SAMPLERS`` holds the samplers ``make test`` runs; SkoptSampler needs
scikit-optimize, so its entry lives here, marked ``integrations``, and this module collects
each contract test that takes the ``sampler_entry`` fixture with this module's fixture giving
the SkoptSampler entry. The contract's tests that loop over every sampler at once (fresh
processes, two processes sharing a study) are not per-sampler and stay with ``SAMPLERS``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tansaku.samplers import BaseSampler
from tests.integration._frameworks import require
from tests.samplers import (
    test_sampler_contract_api,
    test_sampler_contract_params,
    test_sampler_contract_seed,
    test_sampler_contract_storage,
    test_sampler_contract_study,
)
from tests.samplers._contract_samplers import N_STARTUP, ContractSampler, SamplerEntry
from tests.samplers._contract_spaces import Space

pytestmark = pytest.mark.integrations


def _skopt_sampler(seed: int | None, space: Space) -> BaseSampler:
    from skopt.learning import ExtraTreesRegressor

    from tansaku.integration.skopt import SkoptSampler

    # A small forest and a sampled acquisition keep thirty trials to a few seconds; the
    # forest's own seed is fixed, so the sampler's seed alone decides what it suggests.
    return SkoptSampler(
        skopt_kwargs={
            "base_estimator": ExtraTreesRegressor(n_estimators=8, random_state=0),
            "acq_optimizer": "sampling",
            "acq_optimizer_kwargs": {"n_points": 200},
            "n_initial_points": N_STARTUP,
        },
        n_startup_trials=N_STARTUP,
        warn_independent_sampling=False,
        seed=seed,
    )


SKOPT = SamplerEntry(_skopt_sampler, supports_multi_objective=False)


@pytest.fixture(name="sampler_entry")
def skopt_entry() -> ContractSampler:
    require("skopt", "skopt")
    return ContractSampler("skopt", SKOPT)


def _per_sampler_tests() -> Iterator[tuple[str, Callable[..., Any]]]:
    for module in (
        test_sampler_contract_api,
        test_sampler_contract_params,
        test_sampler_contract_seed,
        test_sampler_contract_storage,
        test_sampler_contract_study,
    ):
        for name, test in vars(module).items():
            if name.startswith("test_") and "sampler_entry" in inspect.signature(test).parameters:
                yield name, test


globals().update(_per_sampler_tests())
