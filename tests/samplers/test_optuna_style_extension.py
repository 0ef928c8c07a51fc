"""A sampler and a pruner written for Optuna, in the style published ones use, run unchanged.

They reach past the public API through the names the README lists as the extension contract:
``study._get_trials``, ``study._storage``, ``study._study_id`` and ``trial._trial_id``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tansaku as optuna
from tansaku.distributions import BaseDistribution, FloatDistribution
from tansaku.trial import FrozenTrial, TrialState


class _PerturbBestSampler(optuna.samplers.BaseSampler):
    """Samples near the best completed trial; keeps a counter in the study's system attrs."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.RandomState(seed)
        self._random = optuna.samplers.RandomSampler(seed=seed)
        self.reseeded = 0

    def reseed_rng(self) -> None:
        self._rng = np.random.RandomState()
        self.reseeded += 1

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return optuna.search_space.intersection_search_space(
            study._get_trials(deepcopy=False, use_cache=True)
        )

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        completed = study._get_trials(
            deepcopy=False, states=(TrialState.COMPLETE,), use_cache=True
        )
        if len(completed) < 3:
            return {}
        best = min(completed, key=lambda t: t.value)
        params = {}
        for name, distribution in search_space.items():
            assert isinstance(distribution, FloatDistribution)
            width = 0.1 * (distribution.high - distribution.low)
            value = best.params[name] + self._rng.normal(0.0, width)
            params[name] = float(np.clip(value, distribution.low, distribution.high))
        return params

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._random.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        attrs = study._storage.get_study_system_attrs(study._study_id)
        study._storage.set_study_system_attr(
            study._study_id, "perturb:count", attrs.get("perturb:count", 0) + 1
        )
        study._storage.set_trial_system_attr(trial._trial_id, "perturb:seen", trial.number)

    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: list[float] | None,
    ) -> None:
        stored = study._storage.get_trial(trial._trial_id)
        assert stored.system_attrs["perturb:seen"] == trial.number


class _PruneAboveFirstPruner(optuna.pruners.BasePruner):
    """Prunes a trial whose last report is worse than the best completed value so far."""

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        completed = study._get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        step = trial.last_step
        if not completed or step is None:
            return False
        return trial.intermediate_values[step] > min(t.value for t in completed)


def _objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    value = (x - 1) ** 2 + (y + 2) ** 2
    trial.report(value, 0)
    if trial.should_prune():
        raise optuna.TrialPruned()
    return value


def test_optuna_style_sampler_and_pruner_run_on_a_sqlite_study(tmp_path: Any) -> None:
    sampler = _PerturbBestSampler(seed=0)
    study = optuna.create_study(
        storage=f"sqlite:///{tmp_path / 's.db'}", sampler=sampler, pruner=_PruneAboveFirstPruner()
    )
    study.optimize(_objective, n_trials=30)

    trials = study.trials
    assert len(trials) == 30
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    assert any(t.state is TrialState.PRUNED for t in trials)
    assert [t.system_attrs["perturb:seen"] for t in trials] == list(range(30))
    assert study._storage.get_study_system_attrs(study._study_id)["perturb:count"] == 30
    # The sampler's relative proposals moved the search towards the optimum at (1, -2).
    assert study.best_value < 1.0


def test_optimize_with_threads_reseeds_an_optuna_style_sampler() -> None:
    sampler = _PerturbBestSampler(seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=8, n_jobs=2)
    assert sampler.reseeded > 0


def test_an_optuna_style_single_objective_sampler_refuses_a_multi_objective_study() -> None:
    class _SingleObjectiveSampler(_PerturbBestSampler):
        def infer_relative_search_space(
            self, study: optuna.Study, trial: FrozenTrial
        ) -> dict[str, BaseDistribution]:
            self._raise_error_if_multi_objective(study)
            return super().infer_relative_search_space(study, trial)

    study = optuna.create_study(
        directions=["minimize", "minimize"], sampler=_SingleObjectiveSampler(seed=0)
    )
    with pytest.raises(ValueError, match="_SingleObjectiveSampler"):
        study.optimize(lambda trial: (trial.suggest_float("x", 0.0, 1.0),) * 2, n_trials=1)
