"""LightGBMTuner: the stepwise tuner around ``lightgbm.train``."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tansaku.integration._lightgbm_tuner import (
    _copy_valid_sets,
    _StepwiseTuner,
    checked_valid_sets,
    score_in,
    valid_name_of,
)

if TYPE_CHECKING:
    import lightgbm as lgb

    from tansaku.study import Study
    from tansaku.trial import FrozenTrial


class LightGBMTuner(_StepwiseTuner):
    """Tune ``lambda_l1``, ``lambda_l2``, ``num_leaves``, ``feature_fraction``,
    ``bagging_fraction``, ``bagging_freq`` and ``min_child_samples`` of a LightGBM model step by
    step, training with ``lightgbm.train`` and scoring on the last validation set.

    Example:
        >>> tuner = LightGBMTuner(
        ...     {"objective": "binary", "metric": "binary_logloss", "verbosity": -1},
        ...     lgb.Dataset(X_train, y_train),
        ...     valid_sets=[lgb.Dataset(X_valid, y_valid)],
        ...     num_boost_round=100,
        ...     callbacks=[lgb.early_stopping(10)],
        ... )
        >>> tuner.run()
        >>> tuner.best_score, tuner.best_params
        >>> booster = tuner.get_best_booster()

    The steps, their order and their trial counts are described in
    :mod:`tansaku.integration.lightgbm`. The arguments of ``lightgbm.train`` (``params``,
    ``train_set``, ``num_boost_round``, ``valid_sets``, ``valid_names``, ``feval``,
    ``keep_training_booster``, ``callbacks``) are passed on to it for every trial; ``metric``
    in ``params`` (its last entry; ``binary_logloss`` when unset) is the score tuned, read from
    ``booster.best_score`` of the last validation set.

    Args:
        feature_name: Deprecated (Optuna's too); taken only if the installed LightGBM's
            ``train`` still takes it (LightGBM 4.6 dropped it): set it on the Dataset.
        categorical_feature: As ``feature_name``.
        time_budget: Seconds for the whole tuning; once spent, no step starts another trial.
        sample_size: Train on the last ``sample_size`` rows of ``train_set`` only.
        study: The study to tune in (single-objective, its direction the metric's); a new
            in-memory one by default. Tuning an existing study resumes it: each step runs only
            the trials it lacks. Each trial records, as system attrs, its step
            (``lightgbm_tuner:step_name``), its LightGBM parameters as JSON
            (``lightgbm_tuner:lgbm_params``), its training time
            (``lightgbm_tuner:elapsed_secs``) and its time per round
            (``lightgbm_tuner:average_iteration_time``).
        optuna_callbacks: Study callbacks ``f(study, frozen_trial)`` called after each trial
            (not LightGBM callbacks: those go in ``callbacks``).
        model_dir: A directory (created if missing) where each trial's booster is pickled as
            ``{model_dir}/{trial_number}.pkl``, so that :meth:`get_best_booster` finds the
            best one after a resume or from another process.
        show_progress_bar: Show a progress bar per step.
        optuna_seed: Seed of the steps' samplers (TPE and grid); with LightGBM's
            ``deterministic`` parameter, a run is reproducible.

    Raises:
        ValueError: ``valid_sets`` is missing or not Datasets; the study's direction is not the
            metric's; ``time_budget`` or ``sample_size`` is out of range.
        RuntimeError: the study has several objectives.
        TypeError: ``params`` is not a dict or ``train_set`` not a ``lightgbm.Dataset``.
    """

    def __init__(
        self,
        params: dict[str, Any],
        train_set: lgb.Dataset,
        num_boost_round: int = 1000,
        valid_sets: list[lgb.Dataset] | tuple[lgb.Dataset, ...] | lgb.Dataset | None = None,
        valid_names: Any | None = None,
        feval: Callable[..., Any] | None = None,
        feature_name: str | None = None,
        categorical_feature: str | None = None,
        keep_training_booster: bool = False,
        callbacks: list[Callable[..., Any]] | None = None,
        time_budget: int | None = None,
        sample_size: int | None = None,
        study: Study | None = None,
        optuna_callbacks: list[Callable[[Study, FrozenTrial], None]] | None = None,
        model_dir: str | None = None,
        *,
        show_progress_bar: bool = True,
        optuna_seed: int | None = None,
    ) -> None:
        checked_valid_sets("LightGBMTuner", valid_sets)
        lgbm_kwargs: dict[str, Any] = {
            "num_boost_round": num_boost_round,
            "valid_sets": valid_sets,
            "valid_names": valid_names,
            "feval": feval,
            "keep_training_booster": keep_training_booster,
            "callbacks": callbacks,
        }
        super().__init__(
            params,
            train_set,
            lgbm_kwargs,
            feature_name=feature_name,
            categorical_feature=categorical_feature,
            time_budget=time_budget,
            sample_size=sample_size,
            study=study,
            optuna_callbacks=optuna_callbacks,
            show_progress_bar=show_progress_bar,
            model_dir=model_dir,
            optuna_seed=optuna_seed,
        )
        self._valid_name = valid_name_of(valid_sets, valid_names)

    def _train(self, params: dict[str, Any], train_set: lgb.Dataset) -> tuple[float, int, Any]:
        import lightgbm as lgb

        kwargs = dict(self.lgbm_kwargs)
        kwargs["valid_sets"] = _copy_valid_sets(kwargs["valid_sets"])
        booster = lgb.train(params, copy.copy(train_set), **kwargs)
        where = type(self).__name__
        scores = score_in(where, booster.best_score, self._valid_name, "validation set")
        score = score_in(where, scores, self._metric_name(), "metric")
        return float(score), booster.current_iteration(), booster

    def get_best_booster(self) -> lgb.Booster:
        """The booster of the best trial.

        Raises:
            ValueError: no trial has completed; or the best trial ran in another run or
                process and its booster is not in ``model_dir`` (or no ``model_dir`` is set).
        """
        return self._best_model_or_raise()
