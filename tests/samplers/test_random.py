"""RandomSampler: independent uniform draws, inside every distribution, reproducible by seed."""

from __future__ import annotations

import collections
import math
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tansaku
from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.samplers import RandomSampler
from tansaku.trial import Trial, TrialState, create_trial
from tests._hypothesis import examples

N_DRAWS = 20000


def _assert_inside(distribution: BaseDistribution, value: Any) -> None:
    """Check ``value`` against the distribution's definition (an oracle independent of it)."""
    if isinstance(distribution, CategoricalDistribution):
        assert any(value is choice for choice in distribution.choices), value
        return
    assert isinstance(distribution, FloatDistribution | IntDistribution)
    assert distribution.low <= value <= distribution.high, (distribution, value)
    if isinstance(distribution, IntDistribution):
        assert type(value) is int
        assert (value - distribution.low) % distribution.step == 0, (distribution, value)
        return
    assert type(value) is float
    if distribution.step is not None:
        k = (value - distribution.low) / distribution.step
        assert abs(k - round(k)) < 1e-6, (distribution, value)


def _draw(sampler: RandomSampler, distribution: BaseDistribution, n: int) -> list[Any]:
    study = tansaku.create_study(sampler=sampler)
    trial = create_trial(state=TrialState.RUNNING)
    return [sampler.sample_independent(study, trial, "p", distribution) for _ in range(n)]


@st.composite
def _distributions(draw: st.DrawFn) -> BaseDistribution:
    kind = draw(st.sampled_from(["float", "float_log", "float_step", "int", "int_log", "cat"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # high shrunk to the step grid
        if kind == "float":
            low = draw(st.floats(-1e6, 1e6))
            return FloatDistribution(low, draw(st.floats(low, 1e6)))
        if kind == "float_log":
            low = draw(st.floats(1e-8, 1e6))
            return FloatDistribution(low, draw(st.floats(low, 1e7)), log=True)
        if kind == "float_step":
            low = draw(st.floats(-1e3, 1e3))
            step = draw(st.floats(1e-2, 1e2))
            high = low + step * draw(st.floats(0, 1000))
            return FloatDistribution(low, high, step=step)
        if kind == "int":
            low = draw(st.integers(-(10**6), 10**6))
            high = low + draw(st.integers(0, 10**6))
            return IntDistribution(low, high, step=draw(st.integers(1, 1000)))
        if kind == "int_log":
            low = draw(st.integers(1, 10**6))
            return IntDistribution(low, low + draw(st.integers(0, 10**6)), log=True)
    choice = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=4)
    )
    return CategoricalDistribution(draw(st.lists(choice, min_size=1, max_size=8)))


@settings(max_examples=examples(200), deadline=None)
@given(distribution=_distributions(), seed=st.integers(0, 2**32 - 1))
def test_every_draw_lies_inside_its_distribution(
    distribution: BaseDistribution, seed: int
) -> None:
    for value in _draw(RandomSampler(seed=seed), distribution, 20):
        _assert_inside(distribution, value)


def _every_kind(trial: Trial) -> float:
    trial.suggest_float("uniform", -3.5, 2.0)
    trial.suggest_float("log", 1e-5, 1e-1, log=True)
    trial.suggest_float("step", 0.0, 1.0, step=0.1)
    trial.suggest_int("int", -10, 10)
    trial.suggest_int("int_step", 0, 98, step=7)
    trial.suggest_int("int_log", 1, 1024, log=True)
    trial.suggest_categorical("cat", ["a", None, 3, 2.5, False])
    return 0.0


def test_params_of_every_kind_lie_inside_their_distributions_in_a_threaded_run() -> None:
    study = tansaku.create_study(sampler=RandomSampler(seed=0))
    study.optimize(_every_kind, n_trials=200, n_jobs=4)
    assert len(study.trials) == 200
    for trial in study.trials:
        assert len(trial.params) == 7
        for name, value in trial.params.items():
            _assert_inside(trial.distributions[name], value)


def _params(sampler: RandomSampler) -> list[dict[str, Any]]:
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_every_kind, n_trials=30)
    return [trial.params for trial in study.trials]


def test_same_seed_gives_the_same_params_with_one_job() -> None:
    assert _params(RandomSampler(seed=42)) == _params(RandomSampler(seed=42))


def test_other_seed_or_reseed_gives_other_params() -> None:
    reseeded = RandomSampler(seed=42)
    reseeded.reseed_rng()
    seeded = _params(RandomSampler(seed=42))
    assert _params(RandomSampler(seed=43)) != seeded
    assert _params(reseeded) != seeded


def _assert_frequencies(counts: collections.Counter[Any], expected: dict[Any, float]) -> None:
    """Each count within 5 standard deviations of its multinomial expectation."""
    assert set(counts) <= set(expected)
    for key, probability in expected.items():
        mean = N_DRAWS * probability
        margin = 5 * math.sqrt(N_DRAWS * probability * (1 - probability))
        assert abs(counts[key] - mean) <= margin, (key, counts[key], mean)


def _histogram(values: list[Any], bin_of: Callable[[Any], Any]) -> collections.Counter[Any]:
    return collections.Counter(bin_of(value) for value in values)


def test_floats_are_uniform_over_the_range() -> None:
    values = _draw(RandomSampler(seed=1), FloatDistribution(-5, 5), N_DRAWS)
    counts = _histogram(values, lambda v: min(int(v + 5), 9))
    _assert_frequencies(counts, {b: 0.1 for b in range(10)})


def test_log_floats_are_uniform_over_the_decades() -> None:
    values = _draw(RandomSampler(seed=2), FloatDistribution(1e-3, 1e3, log=True), N_DRAWS)
    counts = _histogram(values, lambda v: min(math.floor(math.log10(v)), 2))
    _assert_frequencies(counts, {d: 1 / 6 for d in range(-3, 3)})


def test_stepped_floats_are_uniform_over_the_grid() -> None:
    values = _draw(RandomSampler(seed=3), FloatDistribution(0, 1, step=0.25), N_DRAWS)
    counts = _histogram(values, lambda v: round(v / 0.25))
    _assert_frequencies(counts, {k: 0.2 for k in range(5)})


def test_stepped_ints_are_uniform_over_the_grid() -> None:
    values = _draw(RandomSampler(seed=4), IntDistribution(0, 18, step=2), N_DRAWS)
    _assert_frequencies(collections.Counter(values), {v: 0.1 for v in range(0, 19, 2)})


def test_log_ints_follow_the_log_scale() -> None:
    values = _draw(RandomSampler(seed=5), IntDistribution(1, 8, log=True), N_DRAWS)
    # Each integer k owns [k - 0.5, k + 0.5] on the log scale of [0.5, 8.5].
    width = math.log(8.5) - math.log(0.5)
    expected = {k: (math.log(k + 0.5) - math.log(k - 0.5)) / width for k in range(1, 9)}
    counts = collections.Counter(values)
    _assert_frequencies(counts, expected)
    assert counts[1] > counts[2] > counts[4] > counts[8]


@pytest.mark.parametrize("choices", [["a", "b", "c", "d", "e"], [None, True, 0, 0.5, "s"]])
def test_categorical_choices_are_equally_likely(choices: list[Any]) -> None:
    values = _draw(RandomSampler(seed=6), CategoricalDistribution(choices), N_DRAWS)
    counts = _histogram(values, lambda v: next(i for i, c in enumerate(choices) if c is v))
    _assert_frequencies(counts, {i: 0.2 for i in range(5)})
