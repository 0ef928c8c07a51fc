"""QMCSampler: its sequence, its search space, what it leaves to the independent sampler, and
its arguments."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import pytest
from scipy.stats import qmc

import tansaku
from tansaku.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.exceptions import ExperimentalWarning
from tansaku.samplers import QMCSampler, RandomSampler
from tansaku.samplers._qmc import SEARCH_SPACE_KEY
from tansaku.search_space import _SearchSpaceTransform
from tansaku.storages import BaseStorage
from tansaku.trial import TrialState
from tests.storages._contract_backends import contract_storage  # noqa: F401 (the fixture)

FLOATS = {
    "a": FloatDistribution(-5.0, 5.0),
    "b": FloatDistribution(1e-4, 1.0, log=True),
    "c": FloatDistribution(0.0, 1.0),
    "d": FloatDistribution(10.0, 20.0),
}
EVERY_KIND = {
    "float": FloatDistribution(-1.0, 3.0),
    "float_log": FloatDistribution(1e-5, 1e2, log=True),
    "float_step": FloatDistribution(0.0, 1.0, step=0.1),
    "int": IntDistribution(-3, 7),
    "int_step": IntDistribution(0, 20, step=4),
    "int_log": IntDistribution(1, 1000, log=True),
    "single": FloatDistribution(2.0, 2.0),
    "categorical": CategoricalDistribution(["x", 1, None, 2.5]),
}


def _sampler(**kwargs: Any) -> QMCSampler:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        return QMCSampler(**kwargs)


def _suggest_all(space: dict[str, Any]) -> Any:
    def objective(trial: tansaku.Trial) -> float:
        for name, distribution in space.items():
            trial._suggest(name, distribution)
        return 0.0

    return objective


def _run(sampler: Any, space: dict[str, Any], n_trials: int, **study_args: Any) -> tansaku.Study:
    study = tansaku.create_study(sampler=sampler, **study_args)
    study.optimize(_suggest_all(space), n_trials=n_trials)
    return study


# -- the sequence -------------------------------------------------------------------------------


def test_trial_n_takes_point_n_minus_1_of_the_unscrambled_sobol_sequence() -> None:
    study = _run(_sampler(), {"x": FloatDistribution(0.0, 1.0)}, 6)
    xs = [trial.params["x"] for trial in study.trials[1:]]
    assert xs == [0.0, 0.5, 0.75, 0.25, 0.375]


@pytest.mark.parametrize("qmc_type", ["sobol", "halton"])
@pytest.mark.parametrize("scramble", [False, True])
def test_points_are_the_sequence_of_scipy_mapped_onto_the_space(
    qmc_type: str, scramble: bool
) -> None:
    study = _run(_sampler(qmc_type=qmc_type, scramble=scramble, seed=3), FLOATS, 9)
    engine_type = qmc.Sobol if qmc_type == "sobol" else qmc.Halton
    expected = engine_type(d=len(FLOATS), scramble=scramble, seed=3).random(8)
    transform = _SearchSpaceTransform(FLOATS, transform_0_1=True)
    got = np.array([transform.transform(trial.params) for trial in study.trials[1:]])
    np.testing.assert_allclose(got, expected, atol=1e-9)


@pytest.mark.parametrize("qmc_type", ["sobol", "halton"])
def test_points_are_spread_more_evenly_than_random_ones(qmc_type: str) -> None:
    # 64 points in 4 dimensions: the centred L2 discrepancy of a scrambled Sobol' or Halton
    # set is a small fraction of a random set's (0.05 to 0.18 of it for these seeds).
    n = 64
    transform = _SearchSpaceTransform(FLOATS, transform_0_1=True)

    def unit_points(sampler: Any) -> np.ndarray:
        study = _run(sampler, FLOATS, n + 1)
        return np.array([transform.transform(trial.params) for trial in study.trials[1:]])

    quasi = qmc.discrepancy(unit_points(_sampler(qmc_type=qmc_type, scramble=True, seed=0)))
    for seed in range(3):
        random = qmc.discrepancy(unit_points(RandomSampler(seed=seed)))
        assert quasi < 0.5 * random, (quasi, random)


def test_params_lie_inside_every_kind_of_distribution() -> None:
    for qmc_type in ("sobol", "halton"):
        study = _run(_sampler(qmc_type=qmc_type, scramble=True, seed=1), EVERY_KIND, 40)
        for trial in study.trials:
            for name, distribution in EVERY_KIND.items():
                internal = distribution.to_internal_repr(trial.params[name])
                assert distribution._contains(internal), (trial.number, name, trial.params)
        # The numerical params come from the sequence: as many distinct values as trials.
        floats = [trial.params["float_log"] for trial in study.trials]
        assert len(set(floats)) == len(floats)


def test_reseed_rng_keeps_the_sequence_and_reseeds_the_independent_sampler() -> None:
    space = {"x": FloatDistribution(0.0, 1.0), "c": CategoricalDistribution(list(range(50)))}
    first, second = _sampler(scramble=True, seed=5), _sampler(scramble=True, seed=5)
    second.reseed_rng()
    one, other = _run(first, space, 8), _run(second, space, 8)
    assert [t.params["x"] for t in one.trials[1:]] == [t.params["x"] for t in other.trials[1:]]
    assert [t.params["c"] for t in one.trials] != [t.params["c"] for t in other.trials]


# -- the search space ---------------------------------------------------------------------------


def test_the_first_completed_trial_fixes_the_space_and_the_rest_is_drawn_independently(
    caplog: pytest.LogCaptureFixture,
) -> None:
    study = tansaku.create_study(sampler=_sampler(seed=0))
    study.optimize(_suggest_all({"x": FloatDistribution(0.0, 1.0)}), n_trials=1)
    moved = {
        "x": FloatDistribution(0.6, 1.0),  # its range changed
        "y": FloatDistribution(0.0, 1.0),  # new
        "c": CategoricalDistribution(["a", "b"]),  # categorical: never the sequence's
    }
    with caplog.at_level(logging.WARNING):
        study.optimize(_suggest_all(moved), n_trials=3)
    messages = [record.getMessage() for record in caplog.records]
    # The sequence gives x 0.0, 0.5, 0.75 in trials 1-3: a value the new range holds is kept
    # (as for any relative param), the others are drawn independently, with a warning.
    assert [m for m in messages if "'x'" in m and "changed its range" in m] == [
        m for m in messages if "'x'" in m
    ]
    assert [m.split(" in trial ")[1][0] for m in messages if "'x'" in m] == ["1", "2"]
    assert study.trials[3].params["x"] == 0.75
    assert all(0.6 <= t.params["x"] <= 1.0 for t in study.trials[1:])
    assert sum("'y'" in m and "not in the search space" in m for m in messages) == 3
    assert not any("'c'" in m for m in messages)


def test_warn_independent_sampling_false_silences_the_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    study = tansaku.create_study(sampler=_sampler(seed=0, warn_independent_sampling=False))
    with caplog.at_level(logging.WARNING):
        study.optimize(_suggest_all({"x": FloatDistribution(0.0, 1.0)}), n_trials=1)
        study.optimize(_suggest_all({"y": FloatDistribution(0.0, 1.0)}), n_trials=2)
    assert not caplog.records


def test_the_space_is_stored_once_and_later_workers_keep_it(storage: BaseStorage) -> None:
    # Trial 0 runs long, trial 1 completes first and so defines the space ({"a"}). When trial
    # 0 completes later with other params, a new sampler (another worker, a later run) still
    # uses {"a"}: the space is the study's, stored in its system attrs, not each worker's.
    study = tansaku.create_study(storage=storage, sampler=_sampler(seed=0))
    slow = study.ask()
    fast = study.ask({"a": FloatDistribution(0.0, 1.0)})
    study.tell(fast, 0.0)
    probe = study.ask()
    assert probe.relative_search_space == {"a": FloatDistribution(0.0, 1.0)}
    study.tell(probe, 0.0)
    slow.suggest_float("b", 0.0, 1.0)
    study.tell(slow, 0.0)

    later = tansaku.load_study(study_name=study.study_name, storage=storage, sampler=_sampler())
    trial = later.ask()
    assert trial.relative_search_space == {"a": FloatDistribution(0.0, 1.0)}
    stored = storage.get_study_system_attrs(study._study_id)[SEARCH_SPACE_KEY]
    assert list(stored) == ["a"]


def test_no_space_before_a_trial_completes_and_none_for_trial_0() -> None:
    study = tansaku.create_study(sampler=_sampler(seed=0))
    first = study.ask({"x": FloatDistribution(0.0, 1.0)})
    second = study.ask({"x": FloatDistribution(0.0, 1.0)})
    assert first.relative_search_space == {} and second.relative_search_space == {}
    study.tell(second, 0.0)
    third = study.ask({"x": FloatDistribution(0.0, 1.0)})
    assert third.relative_search_space == {"x": FloatDistribution(0.0, 1.0)}
    assert third.params["x"] == 0.5  # trial 2: point 1 of the unscrambled sequence
    assert study.trials[0].state is TrialState.RUNNING


def test_several_objectives_are_sampled_alike() -> None:
    study = tansaku.create_study(sampler=_sampler(), directions=["minimize", "maximize"])
    study.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0), 0.0), n_trials=4)
    assert [t.params["x"] for t in study.trials[1:]] == [0.0, 0.5, 0.75]


# -- arguments ----------------------------------------------------------------------------------


def test_construction_warns_that_the_sampler_is_experimental() -> None:
    with pytest.warns(ExperimentalWarning, match="QMCSampler"):
        QMCSampler()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"qmc_type": "lhs"}, ValueError, r"QMCSampler: qmc_type='lhs' must be 'sobol' or"),
        ({"qmc_type": "Sobol"}, ValueError, r"qmc_type='Sobol'"),
        ({"seed": 1.5}, TypeError, r"QMCSampler: seed must be an int or None, got 1.5"),
        ({"seed": "7"}, TypeError, r"seed must be an int or None, got '7' of type str"),
        ({"seed": True}, TypeError, r"seed must be an int or None, got True"),
        ({"seed": -1}, ValueError, r"QMCSampler: seed=-1 must be >= 0"),
        ({"independent_sampler": 3}, TypeError, r"independent_sampler must be a sampler"),
    ],
)
def test_bad_arguments_are_refused_at_construction(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        _sampler(**kwargs)


def test_a_numpy_int_seed_is_accepted() -> None:
    study = _run(_sampler(scramble=True, seed=np.int64(4)), FLOATS, 3)
    again = _run(_sampler(scramble=True, seed=4), FLOATS, 3)
    assert [t.params for t in study.trials[1:]] == [t.params for t in again.trials[1:]]


def test_scrambling_without_a_seed_logs_a_warning_unless_told_not_to(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        _sampler(scramble=True)
    assert any("no seed" in record.getMessage() for record in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        _sampler(scramble=True, warn_asynchronous_seeding=False)
        _sampler(scramble=False)
        _sampler(scramble=True, seed=0)
    assert not caplog.records


def test_workers_sharing_a_seed_draw_other_values_before_the_space_is_known() -> None:
    # Two workers on one study, the same seed (as the sequence needs): their first trials are
    # drawn independently, and must not be the same draw.
    storage = tansaku.storages.InMemoryStorage()
    one = tansaku.create_study(storage=storage, sampler=_sampler(scramble=True, seed=0))
    other = tansaku.load_study(
        study_name=one.study_name, storage=storage, sampler=_sampler(scramble=True, seed=0)
    )
    first, second = one.ask(EVERY_KIND), other.ask(EVERY_KIND)
    assert first.params["float"] != second.params["float"]
    again = tansaku.create_study(sampler=_sampler(scramble=True, seed=0)).ask(EVERY_KIND)
    assert again.params == first.params
