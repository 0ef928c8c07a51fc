"""Sampler contract: a seed fixes the params (in this process and in fresh ones), another seed
gives others, and ``reseed_rng`` changes what comes next without breaking the sampler."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tests.samplers._contract_samplers import (
    SAMPLERS,
    ContractSampler,
    contract_sampler,  # noqa: F401  (the "sampler_entry" fixture, found by its name)
    optimize_without_warnings,
    run_study,
    skip_unless_conditional,
)
from tests.samplers._contract_spaces import (
    SPACES,
    assert_study_fits_space,
    objective,
)

REPO = Path(__file__).resolve().parents[2]
# Hash seeds of the fresh processes: str hashes, and so set and dict orders of names, differ.
HASH_SEEDS = ("1", "2")


def params_by_space(sampler: ContractSampler, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """Every trial's params, by space, from studies with failed and pruned trials."""
    return {
        space_name: [
            trial.params for trial in run_study(sampler, space_name, seed=seed, faults=True).trials
        ]
        for space_name in SPACES
        if sampler.entry.supports_conditional or space_name != "conditional"
    }


def params_of_every_sampler() -> dict[str, dict[str, list[dict[str, Any]]]]:
    """:func:`params_by_space` of every sampler that takes a seed, by sampler name."""
    tansaku.logging.set_verbosity(tansaku.logging.ERROR)
    return {
        name: params_by_space(ContractSampler(name, entry))
        for name, entry in SAMPLERS.items()
        if entry.takes_seed
    }


def _params_in_fresh_processes() -> list[dict[str, Any]]:
    """What :func:`params_of_every_sampler` gives in a fresh process per hash seed, as JSON."""
    script = (
        "import json\n"
        "from tests.samplers.test_sampler_contract_seed import params_of_every_sampler\n"
        "print(json.dumps(params_of_every_sampler()))\n"
    )
    processes = []
    for hash_seed in HASH_SEEDS:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", script],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=REPO,
                env=env,
            )
        )
    found = []
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-3000:]
        found.append(json.loads(out))
    return found


def _skip_unless_seeded(sampler: ContractSampler) -> None:
    if not sampler.entry.takes_seed:
        pytest.skip(f"{sampler.name} declares takes_seed=False")


@pytest.mark.parametrize("space_name", list(SPACES))
def test_the_same_seed_gives_the_same_params(
    sampler_entry: ContractSampler, space_name: str
) -> None:
    skip_unless_conditional(sampler_entry, space_name)
    _skip_unless_seeded(sampler_entry)
    first = run_study(sampler_entry, space_name, seed=3, faults=True).trials
    again = run_study(sampler_entry, space_name, seed=3, faults=True).trials
    assert [t.params for t in first] == [t.params for t in again]


@pytest.mark.parametrize("space_name", list(SPACES))
def test_another_seed_gives_other_params(sampler_entry: ContractSampler, space_name: str) -> None:
    skip_unless_conditional(sampler_entry, space_name)
    _skip_unless_seeded(sampler_entry)
    if not sampler_entry.entry.randomized:
        pytest.skip(f"{sampler_entry.name} declares randomized=False")
    one = run_study(sampler_entry, space_name, seed=3, faults=True).trials
    other = run_study(sampler_entry, space_name, seed=4, faults=True).trials
    assert [t.params for t in one] != [t.params for t in other]


def test_the_same_seed_gives_the_same_params_in_fresh_processes() -> None:
    # Other hash seeds change the order of sets and dicts keyed by str; params must not depend
    # on it. One process runs every sampler (starting Python costs more than the studies);
    # JSON turns tuples into lists, so both sides are compared as JSON.
    here = json.loads(json.dumps(params_of_every_sampler()))
    assert here.keys() == {name for name, entry in SAMPLERS.items() if entry.takes_seed}
    for hash_seed, there in zip(HASH_SEEDS, _params_in_fresh_processes()):
        differ = [name for name in here if there.get(name) != here[name]]
        assert not differ, f"PYTHONHASHSEED={hash_seed}: other params from {differ}"


@pytest.mark.parametrize("space_name", list(SPACES))
def test_reseed_rng_changes_the_next_params_and_sampling_goes_on(
    sampler_entry: ContractSampler, space_name: str
) -> None:
    skip_unless_conditional(sampler_entry, space_name)
    space = SPACES[space_name]
    finite = sampler_entry.entry.finite_space_only
    run = objective(space, finite, faults=True)
    studies = []
    for reseed in (False, True):
        study = tansaku.create_study(sampler=sampler_entry.build(5, space))
        optimize_without_warnings(study, run, 8)
        if reseed:
            study.sampler.reseed_rng()
        optimize_without_warnings(study, run, 16)
        assert_study_fits_space(study, space, finite, True, 24)
        studies.append(study)
    kept, reseeded = ([t.params for t in s.trials] for s in studies)
    if sampler_entry.entry.takes_seed:
        assert kept[:8] == reseeded[:8]
    if sampler_entry.entry.randomized:
        assert kept[8:] != reseeded[8:]
