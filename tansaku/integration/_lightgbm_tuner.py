"""LightGBMTuner and LightGBMTunerCV: tune LightGBM's main parameters step by step.

The stepwise method (Ozaki's, as in Optuna) tunes a few parameters at a time, each step
starting from the best parameters found so far, in this order and with these trial counts:

=========================== ===================================== ============ =========
step                        parameters                            sampler      trials
=========================== ===================================== ============ =========
``feature_fraction``        feature_fraction                      grid         7
``num_leaves``              num_leaves                            TPE          20
``bagging``                 bagging_fraction, bagging_freq        TPE          10
``feature_fraction_stage2`` feature_fraction (best +/- 0.08)      grid         up to 6
``regularization_factors``  lambda_l1, lambda_l2                  TPE          20
``min_child_samples``       min_child_samples (5, 10, 25, 50, 100) grid        5
=========================== ===================================== ============ =========

Every trial of every step lives in one study; each records its step's name, its LightGBM
parameters, its training time and its time per round as trial system attrs (Optuna's keys), so
a run can be resumed from its study (a step counts its finished trials and runs the rest).
"""

from __future__ import annotations

import copy
import inspect
import json
import os
import time
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import tqdm

from tansaku._internal.validation import invalid, invalid_type
from tansaku.integration import _lightgbm_steps as steps
from tansaku.integration._imports import missing_framework
from tansaku.integration._lightgbm_alias import canonicalize_metrics, canonicalize_parameters
from tansaku.samplers import BaseSampler, GridSampler, TPESampler
from tansaku.study import Study, StudyDirection, create_study
from tansaku.trial import TrialState

if TYPE_CHECKING:
    from tansaku.trial import FrozenTrial, Trial

try:
    import lightgbm as lgb
except ImportError as error:
    raise missing_framework("tansaku.integration.lightgbm", "lightgbm", "lightgbm") from error

# LightGBM's defaults of the tuned parameters: the best parameters before any trial.
_LIGHTGBM_DEFAULTS: dict[str, Any] = {
    "lambda_l1": 0.0,
    "lambda_l2": 0.0,
    "num_leaves": 31,
    "feature_fraction": 1.0,
    "bagging_fraction": 1.0,
    "bagging_freq": 0,
    "min_child_samples": 20,
}
# Metrics LightGBM maximizes; every other metric is minimized.
_HIGHER_IS_BETTER = frozenset({"auc", "auc_mu", "ndcg", "map", "average_precision"})
_DEFAULT_METRIC = "binary_logloss"
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


class _StepwiseTuner:
    """What LightGBMTuner and LightGBMTunerCV share: the parameters, the study, the steps."""

    _where = "LightGBMTuner"

    def __init__(
        self,
        params: dict[str, Any],
        train_set: lgb.Dataset,
        lgbm_kwargs: dict[str, Any],
        *,
        feature_name: str | None,
        categorical_feature: str | None,
        time_budget: int | None,
        sample_size: int | None,
        study: Study | None,
        optuna_callbacks: list[Callable[[Study, FrozenTrial], None]] | None,
        show_progress_bar: bool,
        model_dir: str | None,
        optuna_seed: int | None,
    ) -> None:
        where = self._where
        if not isinstance(params, dict):
            raise invalid_type(where, "params", params, "a dict of LightGBM parameters")
        if not isinstance(train_set, lgb.Dataset):
            raise invalid_type(where, "train_set", train_set, "a lightgbm.Dataset")
        if time_budget is not None and (isinstance(time_budget, bool) or not time_budget >= 0):
            raise invalid(where, "time_budget", time_budget, "must be a number >= 0 or None")
        if sample_size is not None and (
            isinstance(sample_size, bool) or not isinstance(sample_size, int) or sample_size < 1
        ):
            raise invalid(where, "sample_size", sample_size, "must be an int >= 1 or None")
        params = copy.deepcopy(params)
        canonicalize_metrics(params)
        self.lgbm_params = params
        self.lgbm_kwargs = lgbm_kwargs
        self._add_deprecated_dataset_args(feature_name, categorical_feature)
        self.train_set = train_set
        self.train_subset: lgb.Dataset | None = None
        self.auto_options = {
            "time_budget": time_budget,
            "sample_size": sample_size,
            "show_progress_bar": show_progress_bar,
        }
        objective = params.get("objective")
        self._custom_objective = None if isinstance(objective, str | None) else objective
        # min_child_samples is tuned: LightGBM must not drop features on the first value seen.
        if params.get("feature_pre_filter", False):
            warnings.warn(
                f"{where}: feature_pre_filter=True is set to False, so that min_child_samples "
                "can be tuned",
                UserWarning,
                stacklevel=3,
            )
        self.lgbm_params["feature_pre_filter"] = False
        self.study = self._checked_study(study)
        self._optuna_callbacks = optuna_callbacks
        self._model_dir = model_dir
        self._optuna_seed = optuna_seed
        self._start_time: float | None = None
        self._best_model: tuple[Any, int] | None = None
        if model_dir is not None:
            os.makedirs(model_dir, exist_ok=True)

    def _add_deprecated_dataset_args(
        self, feature_name: str | None, categorical_feature: str | None
    ) -> None:
        """Pass Optuna's deprecated ``feature_name`` / ``categorical_feature`` on to LightGBM
        when the installed LightGBM still takes them (it dropped them in 4.6)."""
        train_function = lgb.cv if "folds" in self.lgbm_kwargs else lgb.train
        accepted = inspect.signature(train_function).parameters
        for name, value in (
            ("feature_name", feature_name),
            ("categorical_feature", categorical_feature),
        ):
            if not value:
                continue
            if name not in accepted:
                raise invalid(
                    self._where,
                    name,
                    value,
                    f"is not taken by lightgbm {lgb.__version__}'s {train_function.__name__}; "
                    "set it on the lightgbm.Dataset instead",
                )
            warnings.warn(
                f"{self._where}: {name} is deprecated (as in Optuna); set it on the "
                "lightgbm.Dataset instead",
                FutureWarning,
                stacklevel=4,
            )
            self.lgbm_kwargs[name] = value

    def _checked_study(self, study: Study | None) -> Study:
        metric = self._metric_name()
        wanted = StudyDirection.MAXIMIZE if self.higher_is_better() else StudyDirection.MINIMIZE
        if study is None:
            return create_study(direction=wanted)
        if not isinstance(study, Study):
            raise invalid_type(self._where, "study", study, "a tansaku Study or None")
        directions = study.directions
        if len(directions) != 1:
            raise RuntimeError(
                f"{self._where}: study={study.study_name!r} has {len(directions)} objectives; "
                "the tuner optimizes one metric, so it needs a single-objective study"
            )
        if directions[0] != wanted:
            raise ValueError(
                f"{self._where}: study={study.study_name!r} has direction "
                f"{directions[0].name}, but metric {metric!r} is to be "
                f"{'maximized' if wanted == StudyDirection.MAXIMIZE else 'minimized'}; create the "
                f"study with direction={wanted.name.lower()!r}"
            )
        return study

    # -- metric ---------------------------------------------------------------------------------
    def _metric_name(self) -> str:
        """The metric tuned: the last of ``params["metric"]`` (``"binary_logloss"`` when none),
        with ``@k`` for ndcg and map as LightGBM reports them."""
        metric = self.lgbm_params.get("metric", _DEFAULT_METRIC)
        if not isinstance(metric, str):
            metric = list(metric)[-1]
        if metric not in ("ndcg", "map"):
            return str(metric)
        eval_at = (
            self.lgbm_params.get("eval_at")
            or self.lgbm_params.get(f"{metric}_at")
            or self.lgbm_params.get(f"{metric}_eval_at")
            or [1, 2, 3, 4, 5]  # LightGBM's default eval_at
        )
        first = eval_at[0] if isinstance(eval_at, list | tuple) else eval_at
        if isinstance(first, bool) or not isinstance(first, int):
            raise invalid(self._where, "params['eval_at']", eval_at, "must be an int or ints")
        return f"{metric}@{first}"

    def higher_is_better(self) -> bool:
        """Whether the tuned metric is maximized (auc, auc_mu, ndcg, map, average_precision)."""
        return self._metric_name().split("@")[0] in _HIGHER_IS_BETTER

    def compare_validation_metrics(self, val_score: float, best_score: float) -> bool:
        """Whether ``val_score`` is better than ``best_score`` for the tuned metric."""
        if self.higher_is_better():
            return val_score > best_score
        return val_score < best_score

    # -- results --------------------------------------------------------------------------------
    @property
    def best_score(self) -> float:
        """The best score so far (the study's best value); -inf or inf before any trial."""
        try:
            return self.study.best_value
        except ValueError:
            return -np.inf if self.higher_is_better() else np.inf

    @property
    def best_params(self) -> dict[str, Any]:
        """The LightGBM parameters of the best trial; before any, the given parameters over
        LightGBM's defaults of the tuned ones."""
        try:
            stored = self.study.best_trial.system_attrs.get(steps.LGBM_PARAMS_KEY)
        except ValueError:
            stored = None
        if stored is None:
            params = {**copy.deepcopy(_LIGHTGBM_DEFAULTS), **self.lgbm_params}
        else:
            params = json.loads(stored) if isinstance(stored, str) else dict(stored)
        if self._custom_objective is not None:
            params["objective"] = self._custom_objective  # stored by name only
        return params

    def _best_model_or_raise(self) -> Any:
        """The best trial's model: the one kept in memory, else the one in ``model_dir``."""
        try:
            best_number = self.study.best_trial.number
        except ValueError:
            raise ValueError(
                f"{self._where}: no trial has completed, so there is no best booster"
            ) from None
        if self._best_model is not None and self._best_model[1] == best_number:
            return self._best_model[0]
        if self._model_dir is None:
            raise ValueError(
                f"{self._where}: the best booster (trial {best_number}) was trained by another "
                "run or process; pass model_dir (shared by all of them) to keep boosters"
            )
        model = steps.load_model(self._model_dir, best_number)
        if model is None:
            raise ValueError(
                f"{self._where}: the best booster (trial {best_number}) is not in "
                f"model_dir={self._model_dir!r}; workers must share that directory"
            )
        return model

    # -- the steps ------------------------------------------------------------------------------
    def run(self) -> None:
        """Tune: run the six steps in order, each skipping the trials the study already has."""
        canonicalize_parameters(self.lgbm_params)
        self.sample_train_set()
        self.tune_feature_fraction()
        self.tune_num_leaves()
        self.tune_bagging()
        self.tune_feature_fraction_stage2()
        self.tune_regularization_factors()
        self.tune_min_data_in_leaf()

    def sample_train_set(self) -> None:
        """With ``sample_size``, train on the last ``sample_size`` rows of the training set."""
        size = self.auto_options["sample_size"]
        if size is None:
            return
        self.train_set.construct()
        n_rows = self.train_set.num_data()
        if n_rows > size:
            self.train_subset = self.train_set.subset(list(range(n_rows - size, n_rows)))

    def tune_feature_fraction(self, n_trials: int = 7) -> None:
        """Step 1: feature_fraction on an even grid over [0.4, 1.0]."""
        values = np.linspace(0.4, 1.0, n_trials).tolist()
        self._grid_step("feature_fraction", values, "feature_fraction")

    def tune_num_leaves(self, n_trials: int = 20) -> None:
        """Step 2: num_leaves in [2, 2 ** max_depth] (max_depth 8 when unset), by TPE."""
        self._tpe_step(["num_leaves"], n_trials, "num_leaves")

    def tune_bagging(self, n_trials: int = 10) -> None:
        """Step 3: bagging_fraction in [0.4, 1.0] and bagging_freq in [1, 7], by TPE."""
        self._tpe_step(["bagging_fraction", "bagging_freq"], n_trials, "bagging")

    def tune_feature_fraction_stage2(self, n_trials: int = 6) -> None:
        """Step 4: feature_fraction on a grid within 0.08 of the best, kept in [0.4, 1.0]."""
        best = self.best_params["feature_fraction"]
        values = [
            value
            for value in np.linspace(best - 0.08, best + 0.08, n_trials).tolist()
            if 0.4 <= value <= 1.0
        ]
        self._grid_step("feature_fraction", values, "feature_fraction_stage2")

    def tune_regularization_factors(self, n_trials: int = 20) -> None:
        """Step 5: lambda_l1 and lambda_l2 in [1e-8, 10] (log scale), by TPE."""
        self._tpe_step(["lambda_l1", "lambda_l2"], n_trials, "regularization_factors")

    def tune_min_data_in_leaf(self) -> None:
        """Step 6: min_child_samples on the grid 5, 10, 25, 50, 100."""
        self._grid_step("min_child_samples", [5, 10, 25, 50, 100], "min_child_samples")

    def _grid_step(self, name: str, values: list[Any], step_name: str) -> None:
        sampler = GridSampler({name: values}, seed=self._optuna_seed)
        self._tune_params([name], len(values), sampler, step_name)

    def _tpe_step(self, names: list[str], n_trials: int, step_name: str) -> None:
        self._tune_params(names, n_trials, TPESampler(seed=self._optuna_seed), step_name)

    def _tune_params(
        self, names: list[str], n_trials: int, sampler: BaseSampler, step_name: str
    ) -> None:
        """Run the trials of one step that the study does not have yet, from the best params."""
        self.lgbm_params.update(self.best_params)
        if self._start_time is None:
            self._start_time = time.time()
        timeout = None
        if self.auto_options["time_budget"] is not None:
            timeout = self.auto_options["time_budget"] - (time.time() - self._start_time)
            if timeout <= 0:
                return  # the budget is spent: later steps run no trial either
        step_sampler = steps.StepSampler(sampler, step_name)
        # The user's study, run with the step's sampler (its own Study object, so the user's
        # sampler is left as it was).
        step_study = Study(
            self.study.study_name,
            self.study._storage,
            sampler=step_sampler,
            pruner=self.study.pruner,
        )
        finished = [
            t
            for t in self.study.get_trials(deepcopy=False, states=_FINISHED)
            if t.system_attrs.get(steps.STEP_NAME_KEY) == step_name
        ]
        n_left = n_trials - len(finished)
        if n_left <= 0:
            return
        train_set = self.train_subset if self.train_subset is not None else self.train_set
        objective = _StepObjective(self, names, train_set, step_name)
        show = bool(self.auto_options["show_progress_bar"])
        with tqdm.tqdm(total=n_left, ascii=True, disable=not show) as bar:
            objective.progress_bar = bar
            step_study.optimize(
                objective,
                n_trials=n_left,
                timeout=timeout,
                catch=(),
                callbacks=self._optuna_callbacks,
            )
        if objective.best_model is not None:
            self._best_model = objective.best_model

    def _model_to_save(self, model: Any) -> Any:
        """What ``model_dir`` keeps of a trial's model."""
        return model

    # -- one trial: implemented by LightGBMTuner (lgb.train) and LightGBMTunerCV (lgb.cv) --------
    def _train(self, params: dict[str, Any], train_set: lgb.Dataset) -> tuple[float, int, Any]:
        """Train with ``params``; return the validation score, the number of boosting rounds
        and the model to keep (None for none)."""
        raise NotImplementedError


class _StepObjective:
    """The objective of one step: suggest the step's parameters, train, record, score."""

    def __init__(
        self, tuner: _StepwiseTuner, names: list[str], train_set: lgb.Dataset, step_name: str
    ) -> None:
        self._tuner = tuner
        self._names = names
        self._train_set = train_set
        self._step_name = step_name
        self.best_score = tuner.best_score
        self.best_model: tuple[Any, int] | None = None
        self.progress_bar: tqdm.tqdm | None = None

    def __call__(self, trial: Trial) -> float:
        tuner = self._tuner
        self._describe()
        params = steps.suggest_step_params(trial, self._names, tuner.lgbm_params)
        tuner.lgbm_params.update(params)
        started = time.time()
        score, n_iterations, model = tuner._train(tuner.lgbm_params, self._train_set)
        if model is not None:
            steps.save_model(tuner._model_dir, trial.number, tuner._model_to_save(model))
        if tuner.compare_validation_metrics(score, self.best_score):
            self.best_score = score
            self.best_model = (model, trial.number) if model is not None else None
        steps.record_trial(trial, self._step_name, tuner.lgbm_params, started, n_iterations)
        self._describe()
        if self.progress_bar is not None:
            self.progress_bar.update(1)
        return score

    def _describe(self) -> None:
        if self.progress_bar is not None:
            self.progress_bar.set_description(f"{self._step_name}, val_score: {self.best_score:f}")


def _copy_valid_sets(valid_sets: Any) -> Any:
    """Shallow copies of the validation sets: LightGBM writes parameters into a Dataset."""
    if isinstance(valid_sets, list | tuple):
        return type(valid_sets)(copy.copy(dataset) for dataset in valid_sets)
    return copy.copy(valid_sets)


def valid_name_of(valid_sets: Any, valid_names: Any) -> str:
    """The name LightGBM gives the last validation set: the one whose score is tuned."""
    if isinstance(valid_names, str):
        return valid_names
    if isinstance(valid_names, Sequence) and len(valid_names) > 0:
        return str(valid_names[-1])
    if isinstance(valid_sets, lgb.Dataset):
        return "valid_0"
    return f"valid_{len(valid_sets) - 1}"


def checked_valid_sets(where: str, valid_sets: Any) -> None:
    """Raise unless ``valid_sets`` is a Dataset or a non-empty list or tuple of them."""
    if isinstance(valid_sets, lgb.Dataset):
        return
    if (
        isinstance(valid_sets, list | tuple)
        and len(valid_sets) > 0
        and all(isinstance(dataset, lgb.Dataset) for dataset in valid_sets)
    ):
        return
    raise invalid(
        where,
        "valid_sets",
        valid_sets,
        "is required: a lightgbm.Dataset or a non-empty list of them (the last one is scored)",
    )


def score_in(where: str, scores: dict[str, Any], key: str, what: str) -> Any:
    """``scores[key]``, or a ValueError that lists the keys LightGBM produced."""
    if key not in scores:
        raise ValueError(
            f"{where}: LightGBM reported no {what} {key!r}; it has {sorted(scores)}. Set "
            "params['metric'] (the last one is tuned) and valid_names to match"
        )
    return scores[key]
