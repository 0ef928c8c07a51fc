"""PED-ANOVA: how much the good trials' distribution of each param departs from the rest's.

Watanabe, Bansal and Hutter, "PED-ANOVA: Efficiently Quantifying Hyperparameter Importance in
Arbitrary Subspaces", IJCAI 2023. The local importance of a param is the Pearson divergence
between the density of the param among the top-``gamma'`` trials and its density among the
top-``gamma`` trials (the region), times ``(gamma' / gamma)^2`` (Theorem 1). It needs no
surrogate model: two Parzen estimators per param on a grid.

Conditional params follow the regime decomposition of conditional PED-ANOVA (Theorem 4.2 of
"Conditional PED-ANOVA", KDD 2026): the region's trials are split by the domain the param had in
them (or its absence), and each regime ``i`` adds ``alpha_i^2 / beta_i`` times its divergence,
where ``alpha_i`` and ``beta_i`` are the regime's shares of the top and region trials.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from tansaku._internal.validation import invalid
from tansaku._pareto import (
    fronts_until,
    reference_point,
    select_by_hypervolume,
    to_loss,
)
from tansaku.distributions import BaseDistribution, CategoricalDistribution
from tansaku.importance._base import (
    BaseImportanceEvaluator,
    all_values_finite,
    check_params_argument,
    completed_trials,
    domain_key,
    sorted_by_importance,
    target_values,
    zeros,
)
from tansaku.importance._grid_density import grid_counts, grid_density
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study

# A numerical domain is compared on at most this many grid points.
_N_STEPS = 50
# Weight of the prior kernel of every Parzen estimator, in trials.
_PRIOR_WEIGHT = 1.0
# A regime of a conditional param with fewer region trials than this is left out.
_MIN_TRIALS_PER_REGIME = 2
# Added to every grid probability so that the divergence never divides by zero.
_EPS = 1e-12


class PedAnovaImportanceEvaluator(BaseImportanceEvaluator):
    """PED-ANOVA importance evaluator: the default of
    :func:`~tansaku.importance.get_param_importances`.

    For each param, compares its distribution among the trials better than the
    ``target_quantile`` with its distribution among those better than the ``region_quantile``
    (or with the uniform distribution over its domain), by the Pearson divergence of two Parzen
    estimators. An importance says how much choosing the param well mattered to reach the top
    ``target_quantile`` of the results. No model is fitted, so it is fast on large studies;
    aim for at least 5 trials in the top quantile.

    With several objectives and no ``target``, the top trials are the first by non-domination
    rank, ties in the last rank broken by hypervolume contribution (as multi-objective TPE
    splits them): the importance of reaching the Pareto front. A ``target`` is always
    minimized; negate it to explain a maximized value.

    Every param seen in a completed trial is assessed, conditional ones included: the trials
    are split by the domain the param had (or its absence) and the regimes' divergences are
    added up, weighted by their shares of the top and region trials (conditional PED-ANOVA).

    Args:
        target_quantile: The share of best trials whose params are explained (``gamma'`` in
            the paper): 0.1 asks what mattered to reach the top 10%.
        region_quantile: The share of best trials that forms the region compared against
            (``gamma``); 1.0 is the whole history.
        evaluate_on_local: Compare against the region's trials (True: what mattered during
            this optimization) or against the uniform distribution over each param's domain
            (False: what matters in the search space as declared).

    Raises:
        ValueError: The quantiles do not satisfy
            ``0 < target_quantile < region_quantile <= 1``.

    Example:
        >>> evaluator = PedAnovaImportanceEvaluator(target_quantile=0.2)
        >>> tansaku.importance.get_param_importances(study, evaluator=evaluator)
    """

    def __init__(
        self,
        *,
        target_quantile: float = 0.1,
        region_quantile: float = 1.0,
        evaluate_on_local: bool = True,
    ) -> None:
        where = "PedAnovaImportanceEvaluator"
        if not 0.0 < target_quantile < 1.0:
            raise invalid(where, "target_quantile", target_quantile, "must be in (0, 1)")
        if not target_quantile < region_quantile <= 1.0:
            raise invalid(
                where,
                "region_quantile",
                region_quantile,
                f"must be in (target_quantile={target_quantile}, 1]",
            )
        if region_quantile != 1.0 and not evaluate_on_local:
            warnings.warn(
                f"{where}: region_quantile={region_quantile} has no effect when "
                "evaluate_on_local=False",
                UserWarning,
                stacklevel=2,
            )
        self._target_quantile = target_quantile
        self._region_quantile = region_quantile
        self._evaluate_on_local = evaluate_on_local

    def evaluate(
        self,
        study: Study,
        params: list[str] | None = None,
        *,
        target: Callable[[FrozenTrial], float] | None = None,
    ) -> dict[str, float]:
        """Assess every param seen in a completed trial, or only ``params``.

        Raises:
            ValueError: A name in ``params`` appears in no completed trial.
            TypeError: ``params`` is not a list of names, or ``target`` returns something
                other than one float.
        """
        check_params_argument(params)
        trials = completed_trials(study)
        names = _assessed_names(trials, params)
        if target is None:
            trials = [trial for trial in trials if all_values_finite(trial)]
            losses = to_loss([trial.values for trial in trials], study.directions)
        else:
            warnings.warn(
                "PedAnovaImportanceEvaluator explains low target values; to explain high "
                "ones, negate the target (e.g. target=lambda t: -t.values[0])",
                UserWarning,
                stacklevel=3,
            )
            values = target_values(trials, target)
            finite = np.isfinite(values)
            trials = [trial for trial, keep in zip(trials, finite) if keep]
            losses = values[finite][:, None]
        if len(trials) <= 1:
            warnings.warn(
                f"PedAnovaImportanceEvaluator: {len(trials)} completed trial(s) with finite "
                "values are too few to tell params apart; all get the same importance",
                UserWarning,
                stacklevel=3,
            )
            return zeros(names)

        in_target = _best_mask(losses, self._target_quantile)  # (n,)
        in_region = _best_mask(losses, self._region_quantile)  # (n,)
        n_target, n_region = int(in_target.sum()), int(in_region.sum())
        if n_target == n_region:
            warnings.warn(
                "PedAnovaImportanceEvaluator: the target and region quantiles select the same "
                f"{n_target} trials; all params get the same importance",
                UserWarning,
                stacklevel=3,
            )
        region = [trial for trial, keep in zip(trials, in_region) if keep]
        top_in_region = in_target[in_region]  # (n_region,)
        importances = {
            name: self._conditional_divergence(name, region, top_in_region) for name in names
        }
        scale = (n_target / n_region) ** 2  # (gamma' / gamma)^2, Theorem 1
        return sorted_by_importance({name: scale * v for name, v in importances.items()})

    def _conditional_divergence(
        self, name: str, region: Sequence[FrozenTrial], top: np.ndarray
    ) -> float:
        """Sum over the regimes of ``name`` of ``alpha^2 / beta`` times the divergence of the
        top trials' density of ``name`` from the region's (Conditional PED-ANOVA, Thm. 4.2)."""
        rows_by_key: dict[object, list[int]] = defaultdict(list)
        domain_of_key: dict[object, BaseDistribution | None] = {}
        for row, trial in enumerate(region):
            distribution = trial.distributions.get(name)
            key = domain_key(distribution)
            rows_by_key[key].append(row)
            domain_of_key.setdefault(key, distribution)
        regimes: dict[BaseDistribution | None, list[int]] = {}
        for key, rows in rows_by_key.items():  # keys may split equal domains, never merge
            regimes.setdefault(domain_of_key[key], []).extend(rows)
        if any(len(rows) < _MIN_TRIALS_PER_REGIME for rows in regimes.values()):
            warnings.warn(
                f"PedAnovaImportanceEvaluator: some domains of param {name!r} occur in fewer "
                f"than {_MIN_TRIALS_PER_REGIME} trials and are left out; its importance may be "
                "inaccurate",
                UserWarning,
                stacklevel=4,
            )
        n_top, n_region = int(top.sum()), len(region)
        total = 0.0
        for distribution, rows in regimes.items():
            if distribution is None or distribution.single() or len(rows) < _MIN_TRIALS_PER_REGIME:
                continue
            rows_array = np.asarray(rows)
            top_rows = top[rows_array]
            n_top_here = int(top_rows.sum())
            if n_top_here == 0:
                continue
            values = _internal_values(name, distribution, [region[r] for r in rows])
            divergence = self._pearson_divergence(distribution, values[top_rows], values)
            alpha, beta = n_top_here / n_top, len(rows) / n_region
            total += alpha**2 / beta * divergence
        return total

    def _pearson_divergence(
        self, distribution: BaseDistribution, top_values: np.ndarray, region_values: np.ndarray
    ) -> float:
        """Pearson divergence of the top trials' density from the region's, or from uniform
        when ``evaluate_on_local`` is False (Eq. 7)."""
        categorical = isinstance(distribution, CategoricalDistribution)
        top_counts = grid_counts(distribution, top_values, _N_STEPS)
        p_top = grid_density(top_counts, categorical, _PRIOR_WEIGHT) + _EPS
        if self._evaluate_on_local:
            region_counts = grid_counts(distribution, region_values, _N_STEPS)
            p_region = grid_density(region_counts, categorical, _PRIOR_WEIGHT) + _EPS
        else:
            p_region = np.full(len(p_top), 1.0 / len(p_top))
        return float(p_region @ (p_top / p_region - 1.0) ** 2)


def _assessed_names(trials: Sequence[FrozenTrial], params: list[str] | None) -> list[str]:
    """The names to assess: ``params``, or every param of a completed trial, sorted.

    Raises:
        ValueError: A name in ``params`` appears in no completed trial.
    """
    seen: set[str] = set()
    for trial in trials:
        seen.update(trial.distributions)
    if params is None:
        return sorted(seen)
    missing = [name for name in params if name not in seen]
    if missing:
        raise ValueError(
            f"get_param_importances: params={list(params)!r} names {missing!r}, which no "
            "completed trial of the study has"
        )
    return list(dict.fromkeys(params))


def _best_mask(losses: np.ndarray, quantile: float) -> np.ndarray:
    """The best ``quantile`` share of the rows of ``losses`` (n, m), at least one row.

    One objective: every row whose loss is at most the ``ceil(quantile n)``-th smallest (ties
    all join). Several: ``ceil(quantile n)`` rows by non-domination rank, the last front cut by
    greedy hypervolume contribution.
    """
    n = len(losses)
    if quantile >= 1.0:
        return np.ones(n, dtype=bool)
    n_best = max(1, math.ceil(quantile * n))
    if losses.shape[1] == 1:
        loss = losses[:, 0]
        cutoff = np.partition(loss, n_best - 1)[n_best - 1]
        best: np.ndarray = loss <= cutoff
        return best
    fronts = fronts_until(losses, n_best)
    chosen = np.concatenate(fronts[:-1]) if len(fronts) > 1 else np.zeros(0, dtype=np.intp)
    last = fronts[-1]
    reference = reference_point(losses[last])
    picked = select_by_hypervolume(losses[last], n_best - len(chosen), reference)
    mask = np.zeros(n, dtype=bool)
    mask[chosen] = True
    mask[last[picked]] = True
    return mask


def _internal_values(
    name: str, distribution: BaseDistribution, trials: Sequence[FrozenTrial]
) -> np.ndarray:
    """The values of param ``name`` in ``trials`` as floats (choice indices for a categorical)."""
    if isinstance(distribution, CategoricalDistribution):
        to_internal = distribution.to_internal_repr
        return np.array([to_internal(trial.params[name]) for trial in trials], dtype=float)
    return np.array([trial.params[name] for trial in trials], dtype=float)
