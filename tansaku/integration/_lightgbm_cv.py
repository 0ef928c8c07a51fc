"""LightGBMTunerCV: the stepwise tuner around ``lightgbm.cv``."""

from __future__ import annotations

import copy
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

from tansaku.integration._lightgbm_tuner import _StepwiseTuner, score_in

if TYPE_CHECKING:
    import lightgbm as lgb
    from sklearn.model_selection import BaseCrossValidator

    from tansaku.study import Study
    from tansaku.trial import FrozenTrial


class LightGBMTunerCV(_StepwiseTuner):
    """Tune LightGBM's parameters step by step as :class:`LightGBMTuner` does, scoring each
    trial by ``lightgbm.cv``: the mean over the folds of the tuned metric, at the last round.

    Example:
        >>> tuner = LightGBMTunerCV(
        ...     {"objective": "binary", "metric": "binary_logloss", "verbosity": -1},
        ...     lgb.Dataset(X, y), num_boost_round=100, nfold=5, return_cvbooster=True,
        ... )
        >>> tuner.run()
        >>> cvbooster = tuner.get_best_booster()

    The arguments of ``lightgbm.cv`` (``num_boost_round``, ``folds``, ``nfold``,
    ``stratified``, ``shuffle``, ``feval``, ``fpreproc``, ``seed``, ``callbacks``) are passed
    on to it for every trial; the others are :class:`LightGBMTuner`'s.

    Args:
        return_cvbooster: Keep each trial's ``lightgbm.CVBooster``, so that
            :meth:`get_best_booster` can return the best (with ``model_dir``, each is pickled
            there as ``(boosters, best_iteration)``).

    Raises:
        ValueError: as :class:`LightGBMTuner`.
        RuntimeError: the study has several objectives.
    """

    _where = "LightGBMTunerCV"

    def __init__(
        self,
        params: dict[str, Any],
        train_set: lgb.Dataset,
        num_boost_round: int = 1000,
        folds: (
            Generator[tuple[int, int], None, None]
            | Iterator[tuple[int, int]]
            | BaseCrossValidator
            | None
        ) = None,
        nfold: int = 5,
        stratified: bool = True,
        shuffle: bool = True,
        feval: Callable[..., Any] | None = None,
        feature_name: str | None = None,
        categorical_feature: str | None = None,
        fpreproc: Callable[..., Any] | None = None,
        seed: int = 0,
        callbacks: list[Callable[..., Any]] | None = None,
        time_budget: int | None = None,
        sample_size: int | None = None,
        study: Study | None = None,
        optuna_callbacks: list[Callable[[Study, FrozenTrial], None]] | None = None,
        *,
        show_progress_bar: bool = True,
        model_dir: str | None = None,
        return_cvbooster: bool = False,
        optuna_seed: int | None = None,
    ) -> None:
        lgbm_kwargs: dict[str, Any] = {
            "num_boost_round": num_boost_round,
            "folds": folds,
            "nfold": nfold,
            "stratified": stratified,
            "shuffle": shuffle,
            "feval": feval,
            "fpreproc": fpreproc,
            "seed": seed,
            "callbacks": callbacks,
            "return_cvbooster": return_cvbooster,
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

    def _train(self, params: dict[str, Any], train_set: lgb.Dataset) -> tuple[float, int, Any]:
        import lightgbm as lgb

        results = lgb.cv(params, copy.copy(train_set), **self.lgbm_kwargs)
        metric = self._metric_name()
        # LightGBM 4 names the fold means "valid <metric>-mean"; earlier ones "<metric>-mean".
        key = f"valid {metric}-mean" if f"valid {metric}-mean" in results else f"{metric}-mean"
        means = score_in(self._where, results, key, "cross-validation result")
        cvbooster = results.get("cvbooster")
        model = None
        if isinstance(cvbooster, lgb.CVBooster):
            model = cvbooster
        return float(means[-1]), len(means), model

    def _model_to_save(self, model: Any) -> Any:
        # A CVBooster is pickled as its parts, which every LightGBM version can pickle.
        return (model.boosters, model.best_iteration)

    def get_best_booster(self) -> lgb.CVBooster:
        """The ``lightgbm.CVBooster`` of the best trial.

        Raises:
            ValueError: the tuner was created without ``return_cvbooster=True``; no trial has
                completed; or the best trial ran in another run or process and its boosters
                are not in ``model_dir`` (or no ``model_dir`` is set).
        """
        import lightgbm as lgb

        if self.lgbm_kwargs.get("return_cvbooster") is not True:
            raise ValueError(
                "LightGBMTunerCV.get_best_booster needs the tuner created with "
                "return_cvbooster=True"
            )
        model = self._best_model_or_raise()
        if isinstance(model, lgb.CVBooster):
            return model
        boosters, best_iteration = model
        cvbooster = lgb.CVBooster()
        cvbooster.boosters = boosters
        cvbooster.best_iteration = best_iteration
        return cvbooster
