"""One step of the LightGBM tuner: a sampler that learns from the step's trials only, and the
objective that trains one booster per trial.

The tuner tunes a few parameters at a time, each group in its own *step* with its own sampler,
all in one study. As in Optuna, a step's sampler must see that step's trials only (TPE's
startup trials and its model are the step's; a grid knows which of its points are taken), so
:class:`StepSampler` hands the sampler it wraps a view of the study restricted to the trials
marked with the step's name (the trial system attr ``STEP_NAME_KEY``).
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tansaku.pruners._bracket_study import BracketStudy
from tansaku.samplers import BaseSampler

if TYPE_CHECKING:
    from tansaku.distributions import BaseDistribution
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial, Trial, TrialState

# Trial system attrs the tuner writes: Optuna's keys, so that studies tuned by either library
# read alike.
ELAPSED_SECS_KEY = "lightgbm_tuner:elapsed_secs"
AVERAGE_ITERATION_TIME_KEY = "lightgbm_tuner:average_iteration_time"
STEP_NAME_KEY = "lightgbm_tuner:step_name"
LGBM_PARAMS_KEY = "lightgbm_tuner:lgbm_params"

# Upper bounds are nudged past 1.0 so that a grid value of exactly 1.0 lies inside the
# distribution after float rounding; the value used is clipped back to 1.0.
_EPS = 1e-12
# max_depth assumed when none is given: num_leaves is tuned in [2, 2 ** 8].
_DEFAULT_TREE_DEPTH = 8


class StepSampler(BaseSampler):
    """``sampler``, given the study restricted to the trials of step ``step_name``.

    Args:
        sampler: The step's sampler (a grid or TPE).
        step_name: The step whose trials the sampler learns from.
    """

    def __init__(self, sampler: BaseSampler, step_name: str) -> None:
        self._sampler = sampler
        self._step_name = step_name
        self._numbers: set[int] = set()
        self._views: dict[int, tuple[Study, Study]] = {}

    def _view(self, study: Study, trial: FrozenTrial) -> Study:
        """The step's view of the whole study, with its trial numbers re-read at each start."""
        whole = study._unfiltered_study()
        if trial.number not in self._numbers:
            # A new trial: other workers may have finished trials of this step meanwhile.
            # Updated in place: the view holds this set's membership test.
            self._numbers.clear()
            self._numbers.update(
                t.number
                for t in whole.get_trials(deepcopy=False)
                if t.system_attrs.get(STEP_NAME_KEY) == self._step_name
            )
            self._numbers.add(trial.number)
        cached = self._views.get(id(whole))
        if cached is None or cached[0] is not whole:
            cached = (whole, BracketStudy(whole, self._numbers.__contains__))
            self._views[id(whole)] = cached
        return cached[1]

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        view = self._view(study, trial)
        return self._sampler.infer_relative_search_space(view, trial)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._sampler.sample_relative(self._view(study, trial), trial, search_space)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        view = self._view(study, trial)
        return self._sampler.sample_independent(view, trial, param_name, param_distribution)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        if self._sampler._acts_before_trial():
            self._sampler.before_trial(self._view(study, trial), trial)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        if self._sampler._acts_after_trial():
            self._sampler.after_trial(self._view(study, trial), trial, state, values)

    def reseed_rng(self) -> None:
        self._sampler.reseed_rng()

    def _acts_before_trial(self) -> bool:
        return self._sampler._acts_before_trial()

    def _acts_after_trial(self) -> bool:
        return self._sampler._acts_after_trial()


def suggest_step_params(
    trial: Trial, names: Sequence[str], params: dict[str, Any]
) -> dict[str, Any]:
    """Suggest the step's parameters ``names`` in Optuna's ranges; return ``params`` with them."""
    params = dict(params)
    if "lambda_l1" in names:
        params["lambda_l1"] = trial.suggest_float("lambda_l1", 1e-8, 10.0, log=True)
    if "lambda_l2" in names:
        params["lambda_l2"] = trial.suggest_float("lambda_l2", 1e-8, 10.0, log=True)
    if "num_leaves" in names:
        depth = params.get("max_depth", _DEFAULT_TREE_DEPTH)
        max_leaves = 2 ** (depth if depth > 0 else _DEFAULT_TREE_DEPTH)
        params["num_leaves"] = trial.suggest_int("num_leaves", 2, max_leaves)
    if "feature_fraction" in names:
        value = trial.suggest_float("feature_fraction", 0.4, 1.0 + _EPS)
        params["feature_fraction"] = min(value, 1.0)
    if "bagging_fraction" in names:
        value = trial.suggest_float("bagging_fraction", 0.4, 1.0 + _EPS)
        params["bagging_fraction"] = min(value, 1.0)
    if "bagging_freq" in names:
        params["bagging_freq"] = trial.suggest_int("bagging_freq", 1, 7)
    if "min_child_samples" in names:
        params["min_child_samples"] = trial.suggest_int("min_child_samples", 5, 100)
    return params


def params_json(params: dict[str, Any]) -> str:
    """``params`` as the JSON string stored on each trial; a custom objective (a callable) is
    stored by its name."""
    stored = copy.copy(params)
    objective = stored.get("objective")
    if objective is not None and not isinstance(objective, str):
        stored["objective"] = getattr(objective, "__name__", str(objective))
    return json.dumps(stored)


def record_trial(
    trial: Trial, step_name: str, params: dict[str, Any], started: float, n_iterations: int
) -> None:
    """Write the tuner's system attrs on ``trial`` once its booster is trained."""
    elapsed = time.time() - started
    trial.set_system_attr(ELAPSED_SECS_KEY, elapsed)
    trial.set_system_attr(AVERAGE_ITERATION_TIME_KEY, elapsed / max(n_iterations, 1))
    trial.set_system_attr(STEP_NAME_KEY, step_name)
    trial.set_system_attr(LGBM_PARAMS_KEY, params_json(params))


def save_model(model_dir: str | None, trial_number: int, model: Any) -> None:
    """Pickle ``model`` to ``{model_dir}/{trial_number}.pkl`` (Optuna's file name), if a
    directory is set. Boosters are files the user asked for, not study data, so they may be
    pickled: LightGBM's boosters pickle, and Optuna's tuner reads these files."""
    if model_dir is None:
        return
    with open(os.path.join(model_dir, f"{trial_number}.pkl"), "wb") as file:
        pickle.dump(model, file)


def load_model(model_dir: str, trial_number: int) -> Any:
    """The model :func:`save_model` wrote for ``trial_number``, or None if there is none."""
    path = os.path.join(model_dir, f"{trial_number}.pkl")
    if not os.path.exists(path):
        return None
    with open(path, "rb") as file:
        return pickle.load(file)  # noqa: S301  (the user's own model_dir, written above)
