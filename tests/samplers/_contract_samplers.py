"""The samplers of the sampler contract: every sampler joins with one entry in ``SAMPLERS``.

The contract (``test_sampler_contract_*.py``) is written against BaseSampler and the public
study API only. It runs each entry on the spaces of ``_contract_spaces`` (every distribution
kind, ranges of one value; conditional params, names whose range and step move) and checks
that every suggested param lies inside its distribution, that a seed reproduces the params in
this process and in a fresh one, that failed and pruned trials in the history change nothing of
that, that several objectives work (or fail clearly), that ``reseed_rng`` changes the stream
without breaking it, that two processes can share a study on SQLite and on a journal file (and
threads of one ``optimize``, and a pickled copy, keep working), that what the sampler stores is
plain JSON, that ``infer_relative_search_space`` / ``sample_relative`` /
``sample_independent`` keep BaseSampler's contract, and that ``enqueue_trial`` and
``ask(fixed_distributions)`` work. The spaces are well formed, so any warning raised while a
study runs fails the test.

To add a sampler, add one entry::

    "cmaes": SamplerEntry(lambda seed, space: CmaEsSampler(seed=seed, n_startup_trials=5)),

with the capabilities that differ from the defaults:

- ``supports_multi_objective`` (True): False makes the suite expect a ValueError that names
  multi-objective optimization from the first trial of a study with two objectives.
- ``finite_space_only`` (False): True runs the entry on the finite form of every space (floats
  with a step), for samplers that enumerate the space.
- ``takes_seed`` (True): the factory's ``seed`` fixes every draw, so the suite checks that the
  same seed gives the same params (here and in a fresh process) and another seed other ones.
- ``randomized`` (True): the sampler draws at random, so ``reseed_rng`` must change what it
  suggests next; False (e.g. an unscrambled QMC sequence) only checks it keeps working.
- ``supports_conditional`` (True): False skips, with the reason in the report, the tests on the
  conditional space.
- ``cross_process`` (True): False leaves the entry out of the two-process storage test (two
  worker processes run a study per entry and space): for a costly sampler, or a variant whose
  storage behaviour another entry already covers.
- ``enqueue_needs_every_param`` (False): True when the sampler refuses an enqueued trial that
  lacks some of its params (GridSampler, as Optuna's); the enqueue test then gives every param.

The factory receives the seed and the space (``Space.grid`` gives values for samplers that need
them up front, ``Space.fixed`` a param to hold fixed) and returns a fresh sampler; it may warn
(experimental features), the suite ignores that. Keep the sampler fast enough to run about
thirty trials a few dozen times: its startup phase should end within ``N_STARTUP`` trials.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import tansaku
from tansaku.samplers import (
    BaseSampler,
    BlendSearchSampler,
    BruteForceSampler,
    CFOSampler,
    CmaEsSampler,
    GPSampler,
    GridSampler,
    NSGAIIISampler,
    NSGAIISampler,
    PartialFixedSampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)
from tansaku.storages import BaseStorage
from tests.samplers._contract_spaces import SPACES, InjectedFailure, Space, objective

# Trials of random startup for model-based samplers: the suite's studies run a few times more.
N_STARTUP = 5
# Trials of one contract study: enough that model-based samplers spend most past startup even
# when a third of the trials fail.
N_TRIALS = 24

SamplerFactory = Callable[[int | None, Space], BaseSampler]


@dataclass(frozen=True)
class SamplerEntry:
    """One sampler of the contract: how to build it and what it promises (see the module
    docstring for each capability)."""

    factory: SamplerFactory
    supports_multi_objective: bool = True
    finite_space_only: bool = False
    takes_seed: bool = True
    randomized: bool = True
    supports_conditional: bool = True
    cross_process: bool = True
    enqueue_needs_every_param: bool = False

    def build(self, seed: int | None, space: Space) -> BaseSampler:
        """A fresh sampler, its experimental warnings silenced."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self.factory(seed, space)


SAMPLERS: dict[str, SamplerEntry] = {
    "random": SamplerEntry(lambda seed, space: RandomSampler(seed=seed)),
    "grid": SamplerEntry(
        lambda seed, space: GridSampler(space.grid, seed=seed), enqueue_needs_every_param=True
    ),
    "brute_force": SamplerEntry(
        lambda seed, space: BruteForceSampler(seed=seed), finite_space_only=True
    ),
    "partial_fixed_random": SamplerEntry(
        lambda seed, space: PartialFixedSampler(space.fixed, RandomSampler(seed=seed)),
        cross_process=False,
    ),
    "partial_fixed_tpe": SamplerEntry(
        lambda seed, space: PartialFixedSampler(
            space.fixed, TPESampler(seed=seed, n_startup_trials=N_STARTUP)
        )
    ),
    "tpe_independent": SamplerEntry(
        lambda seed, space: TPESampler(seed=seed, n_startup_trials=N_STARTUP, multivariate=False)
    ),
    "tpe_multivariate": SamplerEntry(
        lambda seed, space: TPESampler(seed=seed, n_startup_trials=N_STARTUP, multivariate=True),
        cross_process=False,
    ),
    "cmaes": SamplerEntry(
        lambda seed, space: CmaEsSampler(
            seed=seed, n_startup_trials=N_STARTUP, popsize=4, warn_independent_sampling=False
        ),
        supports_multi_objective=False,
    ),
    "cmaes_margin_ipop": SamplerEntry(
        lambda seed, space: CmaEsSampler(
            seed=seed,
            n_startup_trials=N_STARTUP,
            popsize=4,
            with_margin=True,
            restart_strategy="ipop",
            warn_independent_sampling=False,
        ),
        supports_multi_objective=False,
        cross_process=False,
    ),
    "tpe_group": SamplerEntry(
        lambda seed, space: TPESampler(
            seed=seed, n_startup_trials=N_STARTUP, multivariate=True, group=True
        )
    ),
    # The scrambled sequence keeps its seed through reseed_rng: workers must share it.
    "qmc": SamplerEntry(
        lambda seed, space: QMCSampler(seed=seed, scramble=True, warn_asynchronous_seeding=False),
        randomized=False,
    ),
    "nsgaii": SamplerEntry(
        lambda seed, space: NSGAIISampler(seed=seed, population_size=N_STARTUP)
    ),
    "nsgaiii": SamplerEntry(
        lambda seed, space: NSGAIIISampler(seed=seed, population_size=N_STARTUP)
    ),
    "gp": SamplerEntry(
        lambda seed, space: GPSampler(
            seed=seed, n_startup_trials=N_STARTUP, warn_independent_sampling=False
        )
    ),
    "cfo": SamplerEntry(lambda seed, space: CFOSampler(seed=seed), supports_multi_objective=False),
    "blendsearch": SamplerEntry(
        lambda seed, space: BlendSearchSampler(seed=seed, n_startup_trials=N_STARTUP),
        supports_multi_objective=False,
    ),
}


@dataclass(frozen=True)
class ContractSampler:
    """An entry with its name, as the tests receive it."""

    name: str
    entry: SamplerEntry

    def build(self, seed: int | None, space: Space) -> BaseSampler:
        return self.entry.build(seed, space)


@pytest.fixture(name="sampler_entry", params=list(SAMPLERS))
def contract_sampler(request: pytest.FixtureRequest) -> ContractSampler:
    """Each sampler of the contract in turn."""
    return ContractSampler(request.param, SAMPLERS[request.param])


def skip_unless_conditional(sampler: ContractSampler, space_name: str) -> None:
    """Skip, saying why, a conditional-space test of a sampler that declares no support."""
    if space_name == "conditional" and not sampler.entry.supports_conditional:
        pytest.skip(f"{sampler.name} declares supports_conditional=False")


def run_study(
    sampler: ContractSampler,
    space_name: str,
    *,
    seed: int | None = 0,
    n_objectives: int = 1,
    faults: bool = False,
    n_trials: int = N_TRIALS,
    storage: str | BaseStorage | None = None,
    study_name: str | None = None,
    wrap: Callable[[BaseSampler], BaseSampler] | None = None,
) -> tansaku.Study:
    """Optimize the contract objective over a space with the sampler; return the study.

    With ``faults``, trials fail or are pruned as ``_contract_spaces.planned_state`` says; any
    other exception (one from the sampler) propagates. ``wrap`` wraps the sampler the study
    uses (e.g. in a sampler that checks each call).
    """
    space = SPACES[space_name]
    built = sampler.build(seed, space)
    study = tansaku.create_study(
        storage=storage,
        sampler=built if wrap is None else wrap(built),
        study_name=study_name,
        load_if_exists=study_name is not None,
        directions=["minimize"] * n_objectives,
    )
    run = objective(space, sampler.entry.finite_space_only, n_objectives, faults)
    optimize_without_warnings(study, run, n_trials)
    return study


def optimize_without_warnings(
    study: tansaku.Study, run: Callable[[Any], Any], n_trials: int
) -> None:
    """``study.optimize`` catching only the objective's own failures, and failing on any
    warning: the contract's spaces are well formed, so a sampler has nothing to warn about."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(run, n_trials=n_trials, catch=(InjectedFailure,))
    assert not caught, [f"{w.category.__name__}: {w.message}" for w in caught]
