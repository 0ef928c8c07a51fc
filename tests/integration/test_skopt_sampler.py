"""SkoptSampler: scikit-optimize's optimizer proposes the params every completed trial shares.

Needs scikit-optimize: marked ``integrations`` (``make test-integrations``). The sampler's
contract (params inside their distributions, seeds, threads, ...) is in
``test_skopt_sampler_contract.py``.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

import tansaku
from tansaku.distributions import FloatDistribution
from tansaku.samplers import RandomSampler
from tansaku.trial import TrialState, create_trial
from tests.integration._frameworks import require

pytestmark = [pytest.mark.integrations, pytest.mark.usefixtures("skopt_installed")]

# Cheap settings: a small forest and a sampled acquisition (the default GP takes seconds a trial).
FAST = {
    "base_estimator": "ET",
    "acq_optimizer": "sampling",
    "acq_optimizer_kwargs": {"n_points": 100},
    "n_initial_points": 2,
}


@pytest.fixture
def skopt_installed() -> None:
    require("skopt", "skopt")


def SkoptSampler(*args: Any, **kwargs: Any) -> Any:  # noqa: N802  (stands for the class)
    from tansaku.integration.skopt import SkoptSampler

    return SkoptSampler(*args, **kwargs)


class _RecordingSampler(RandomSampler):
    """A random sampler that records which trial drew which param."""

    def __init__(self) -> None:
        super().__init__(seed=0)
        self.drawn: list[tuple[int, str]] = []

    def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
        self.drawn.append((trial.number, name))
        return super().sample_independent(study, trial, name, dist)


def _quadratic(trial: tansaku.Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_int("y", 0, 8)
    return (x - 1.0) ** 2 + (y - 3) ** 2


def test_after_startup_the_optimizer_proposes_every_shared_param() -> None:
    recording = _RecordingSampler()
    sampler = SkoptSampler(recording, skopt_kwargs=FAST, n_startup_trials=3, seed=0)
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_quadratic, n_trials=7)
    assert sorted({number for number, _ in recording.drawn}) == [0, 1, 2]
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_a_maximized_objective_is_negated_for_the_optimizer() -> None:
    def negated(trial: tansaku.Trial) -> float:
        return -_quadratic(trial)

    minimized = tansaku.create_study(sampler=SkoptSampler(skopt_kwargs=FAST, seed=1))
    minimized.optimize(_quadratic, n_trials=8)
    maximized = tansaku.create_study(
        direction="maximize", sampler=SkoptSampler(skopt_kwargs=FAST, seed=1)
    )
    maximized.optimize(negated, n_trials=8)
    assert [t.params for t in minimized.trials] == [t.params for t in maximized.trials]


def test_pruned_trials_are_told_only_when_asked() -> None:
    def history() -> tansaku.Study:
        study = tansaku.create_study()
        dist = {"x": FloatDistribution(-5.0, 5.0)}
        study.add_trial(create_trial(params={"x": 4.0}, distributions=dist, value=9.0))
        for x in (-4.0, -2.0, 0.5, 1.5):
            study.add_trial(
                create_trial(
                    params={"x": x},
                    distributions=dist,
                    state=TrialState.PRUNED,
                    intermediate_values={0: 50.0, 1: (x - 1.0) ** 2},
                )
            )
        return study

    def next_x(consider: bool) -> float:
        study = history()
        # A GP: skopt's extra trees (3 samples a leaf) cannot split five points.
        gp = {**FAST, "base_estimator": "GP", "acq_func": "EI", "n_initial_points": 1}
        study.sampler = SkoptSampler(skopt_kwargs=gp, consider_pruned_trials=consider, seed=0)
        return study.ask({"x": FloatDistribution(-5.0, 5.0)}).params["x"]

    assert next_x(True) != next_x(False)
    # With them told, the model has seen that x near 1 is best.
    assert abs(next_x(True) - 1.0) < abs(4.0 - 1.0)


def test_a_param_outside_the_shared_space_is_drawn_independently_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def conditional(trial: tansaku.Trial) -> float:
        x = trial.suggest_float("x", -5.0, 5.0)
        if trial.number % 2:
            trial.suggest_float(f"extra_{trial.number}", 0.0, 1.0)
        return x**2

    study = tansaku.create_study(sampler=SkoptSampler(skopt_kwargs=FAST, seed=0))
    with caplog.at_level(logging.WARNING, logger="tansaku"):
        study.optimize(conditional, n_trials=4)
    assert "'extra_1' in trial 1 is sampled independently by RandomSampler" in caplog.text
    assert "extra_3" in caplog.text

    quiet = tansaku.create_study(
        sampler=SkoptSampler(skopt_kwargs=FAST, seed=0, warn_independent_sampling=False)
    )
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tansaku"):
        quiet.optimize(conditional, n_trials=4)
    assert "sampled independently" not in caplog.text


def test_gbrt_names_its_incompatibility_with_this_scikit_learn() -> None:
    from sklearn.base import is_regressor
    from skopt.learning import GradientBoostingQuantileRegressor

    if is_regressor(GradientBoostingQuantileRegressor()):
        SkoptSampler(skopt_kwargs={"base_estimator": "GBRT"})  # a fixed scikit-optimize
        return
    with pytest.raises(ValueError, match=r"skopt_kwargs\['base_estimator'\]='GBRT'.*>= 1\.6"):
        SkoptSampler(skopt_kwargs={"base_estimator": "GBRT"})
    with pytest.raises(ValueError, match="GradientBoostingQuantileRegressor is not a regressor"):
        SkoptSampler(skopt_kwargs={"base_estimator": GradientBoostingQuantileRegressor()})


def test_bad_arguments_fail_at_the_constructor_naming_them() -> None:
    with pytest.raises(
        ValueError, match=r"SkoptSampler: skopt_kwargs=\{'acq_fnc': 'EI'\} are not"
    ):
        SkoptSampler(skopt_kwargs={"acq_fnc": "EI"})
    with pytest.raises(ValueError, match="SkoptSampler: skopt_kwargs=.*acq_func"):
        SkoptSampler(skopt_kwargs={"acq_func": "best guess"})
    with pytest.raises(ValueError, match="SkoptSampler: n_startup_trials=-1 must be >= 0"):
        SkoptSampler(n_startup_trials=-1)
    with pytest.warns(UserWarning, match=r"skopt_kwargs\['dimensions'\] is ignored"):
        SkoptSampler(skopt_kwargs={"dimensions": [(0.0, 1.0)]})


# Six trials of three epochs; the surrogate model proposes from the third trial on.
SMALL_RUN = ("--n-trials", "6", "--epochs", "3", "--n-initial-points", "2", "--seed", "0")


def test_the_blog_example_tunes_a_network_with_the_skopt_sampler(tmp_path: Any) -> None:
    from tests.examples.test_examples import run_example, search

    out = run_example("skopt_blog.py", tmp_path, *SMALL_RUN).stdout
    assert search(r"^num_trials_conducted:\s+(\d+)$", out).group(1) == "6"
    pruned = int(search(r"^num_trials_pruned:\s+(\d+)$", out).group(1))
    complete = int(search(r"^num_trials_completed:\s+(\d+)$", out).group(1))
    assert pruned + complete == 6 and complete >= 1
    assert float(search(r"^ \| accuracy:\s+([0-9.]+)$", out).group(1)) > 0.3
    assert search(r"^ \| optimizer: (\w+)$", out).group(1) in {"Adam", "SGD", "NesterovSGD"}
    assert "sampled independently" not in out
