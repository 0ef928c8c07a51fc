"""TPESampler: the Tree-structured Parzen Estimator, tansaku's default sampler.

Per trial, the finished trials are split into a good group and a bad group (see ``_split``);
one Parzen estimator ``l(x)`` is fitted to the good group's params and one ``g(x)`` to the bad
group's, ``n_ei_candidates`` points are drawn from ``l`` and the one with the largest
``l(x) / g(x)`` is suggested, since maximizing that ratio maximizes expected improvement
(Bergstra et al. 2011, Sec. 4).

Speed: the history lives in arrays appended to once per finished trial (``_history``), the
split is computed once per new finished trial, and fitting, sampling and scoring are numpy passes
over all kernels, params and candidates at once (``parzen_estimator``).
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku import logging as tansaku_logging
from tansaku._internal.caches import forget_on_escape
from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.system_attrs import set_trial_system_attr
from tansaku.distributions import BaseDistribution
from tansaku.samplers._base import BaseSampler
from tansaku.samplers._random import RandomSampler
from tansaku.samplers._tpe._scoring import Workspace, log_marginal_pdfs, log_pdfs
from tansaku.samplers._tpe._split import (
    call_weights,
    default_gamma,
    default_gamma_multiobjective,
    default_weights,
    hyperopt_default_gamma,
    improvement_weights,
)
from tansaku.samplers._tpe._state import StudyState
from tansaku.samplers._tpe.parzen_estimator import ParzenOptions
from tansaku.trial import FrozenTrial, TrialState
from tansaku.trial._constraints import CONSTRAINTS_FUNC_KEY

if TYPE_CHECKING:
    from tansaku.study import Study

__all__ = ["TPESampler", "default_gamma", "default_weights", "hyperopt_default_gamma"]

_logger = tansaku_logging.get_logger(__name__)

# Studies whose state one sampler keeps at once; a sampler rarely serves more than one.
_MAX_STUDIES = 8
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
# The API release that deprecated each argument, and the one that will remove it (as Optuna's).
_DEPRECATED_IN = {
    "consider_prior": ("4.3.0", "6.0.0"),
    "prior_weight": ("4.9.0", "6.0.0"),
    "consider_magic_clip": ("4.9.0", "6.0.0"),
    "consider_endpoints": ("4.9.0", "6.0.0"),
    "gamma": ("4.9.0", "6.0.0"),
    "weights": ("4.9.0", "6.0.0"),
    "warn_independent_sampling": ("4.9.0", "6.0.0"),
    "constraints_func": ("5.0.0", "7.0.0"),
}


class TPESampler(BaseSampler):
    """Suggest params where good trials are dense and bad ones sparse (TPE).

    The first ``n_startup_trials`` trials are sampled at random. Afterwards each trial ranks the
    finished trials, calls the best ``gamma(n)`` of them good and the rest bad, models each
    group with a Parzen estimator (a mixture with one kernel per trial plus a wide prior) and
    suggests, among ``n_ei_candidates`` draws from the good model, the one with the largest
    ratio of good to bad density.

    Pruned trials rank after completed ones, the furthest-reaching first, then by their last
    reported value. With constraints (``trial.set_constraint`` in the objective, or the
    deprecated ``constraints_func``), a trial is feasible when every constraint value is <= 0;
    infeasible trials rank after all feasible ones, by their total violation. With several
    objectives, completed trials rank by non-domination rank, and the front that does not fit
    whole into the good group is cut by hypervolume contribution (MOTPE, Ozaki et al. 2022).

    Differences from Optuna 5.0, on purpose: by default the good trials weigh by how much they
    improve on the bad ones (see ``weights``); out-of-range ``n_startup_trials`` and
    ``n_ei_candidates``, and bad results of ``gamma``, ``weights`` and ``constraints_func``,
    raise errors that name them; without ``multivariate``, the params every trial has are
    still sampled each from its own marginal, but all in one pass (a running trial then joins
    the bad group when it has all of them). The cost of a trial grows linearly with the
    history: it keeps the history in arrays updated as trials finish.

    Args:
        n_startup_trials: Finished (COMPLETE or PRUNED) trials to sample at random before
            TPE starts. Must be >= 0.
        n_ei_candidates: Draws from the good model per suggestion. Must be >= 1.
        seed: Seed of the random generator: the same seed gives the same suggestions in a run
            with ``n_jobs=1``.
        multivariate: Model the params of the inferred search space jointly (one kernel per
            trial across all params) instead of one param at a time. None (the default) is True
            for one objective and False for several.
        group: With ``multivariate``, split the search space into groups of params that
            finished trials always suggested together, and model each group jointly on the
            trials that have it: the way to handle conditional spaces. Experimental.
        constant_liar: Count running trials as bad (with the params they have so far), so
            that parallel workers spread out instead of suggesting the same point.
        constraints_func: Deprecated: call ``trial.set_constraint`` in the objective instead.
            A function of a finished trial (called for COMPLETE and PRUNED ones) returning a
            sequence of constraint values.
        consider_prior: Deprecated; the prior is always used (as in Optuna 5.0).
        prior_weight: Deprecated. Weight of the prior kernel (default 1.0); must be > 0.
        consider_magic_clip: Deprecated. Bound bandwidths below by
            ``range / min(100, n_kernels + 1)`` (default True).
        consider_endpoints: Deprecated. Let the ends of the range count as neighbours when
            setting per-kernel bandwidths (default False).
        gamma: Deprecated. Function of the number of finished trials returning how many are
            good (default: 10%, at most 25 with one objective and without a cap with several).
            Must return an int >= 0.
        weights: Deprecated. Function of a group's size ``n`` returning ``n`` non-negative
            weights of its trials in number order. By default the bad trials weigh as in
            Optuna (the newest 25 weigh 1, older ones less, Bergstra et al. 2013) and, with one
            objective, each good trial weighs by how much it improves on the best bad trial
            (the "expected improvement" weighting of Watanabe 2023, where Optuna weighs them
            alike): this finds better optima on the BBOB benchmarks. A function given here
            weighs both groups with one objective and only the bad group with several.
        warn_independent_sampling: Deprecated. With ``multivariate``, log a warning when a
            param outside the joint search space is sampled on its own (default False).

    Raises:
        ValueError: an argument is out of range, or ``group`` is set with
            ``multivariate=False``.
        TypeError: an argument that must be a function is not callable.

    Example:
        >>> sampler = tansaku.samplers.TPESampler(seed=0)
        >>> study = tansaku.create_study(sampler=sampler)
        >>> study.optimize(lambda t: t.suggest_float("x", -10, 10) ** 2, n_trials=50)
    """

    def __init__(
        self,
        *,
        consider_prior: bool | None = None,
        prior_weight: float | None = None,
        consider_magic_clip: bool | None = None,
        consider_endpoints: bool | None = None,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        gamma: Callable[[int], int] | None = None,
        weights: Callable[[int], np.ndarray] | None = None,
        seed: int | None = None,
        multivariate: bool | None = None,
        group: bool = False,
        warn_independent_sampling: bool | None = None,
        constant_liar: bool = True,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    ) -> None:
        given = {
            "consider_prior": consider_prior,
            "prior_weight": prior_weight,
            "consider_magic_clip": consider_magic_clip,
            "consider_endpoints": consider_endpoints,
            "gamma": gamma,
            "weights": weights,
            "warn_independent_sampling": warn_independent_sampling,
            "constraints_func": constraints_func,
        }
        for name, value in given.items():
            if value is not None:
                _warn_deprecated(name)
        _check_count("n_startup_trials", n_startup_trials, 0)
        _check_count("n_ei_candidates", n_ei_candidates, 1)
        if prior_weight is not None and not (
            isinstance(prior_weight, int | float) and 0.0 < prior_weight < math.inf
        ):
            raise ValueError(
                f"TPESampler: prior_weight={prior_weight!r} must be a finite number > 0"
            )
        for name in ("gamma", "weights", "constraints_func"):
            if given[name] is not None and not callable(given[name]):
                raise TypeError(f"TPESampler: {name} must be callable, got {given[name]!r}")
        if group and multivariate is False:
            raise ValueError(
                "TPESampler: group=True needs multivariate=True (or None), got multivariate=False"
            )
        if group:
            warn_experimental("TPESampler(group=True)")

        self._options = ParzenOptions(
            prior_weight=1.0 if prior_weight is None else float(prior_weight),
            magic_clip=True if consider_magic_clip is None else bool(consider_magic_clip),
            endpoints=bool(consider_endpoints),
        )
        self._n_startup_trials = n_startup_trials
        self._n_ei_candidates = n_ei_candidates
        self._gamma: Callable[[int], int] = gamma if gamma is not None else default_gamma
        self._weights: Callable[[int], np.ndarray] = (
            weights if weights is not None else default_weights
        )
        self._seed = seed
        self._multivariate = multivariate
        self._group = group
        self._warn_independent_sampling = bool(warn_independent_sampling)
        self._constant_liar = constant_liar
        self._constraints_func = constraints_func
        self._rng = np.random.default_rng(seed)
        self._random_sampler = RandomSampler(seed=seed)
        self._lock = threading.RLock()
        self._states: dict[tuple[int, int], StudyState] = {}
        self._workspace = Workspace()  # used under self._lock

    @staticmethod
    def hyperopt_parameters() -> dict[str, Any]:
        """Deprecated: the arguments that make TPESampler behave like hyperopt 0.1.2's TPE.

        Example:
            >>> sampler = TPESampler(**TPESampler.hyperopt_parameters())
        """
        warnings.warn(
            "hyperopt_parameters has been deprecated in v4.9.0. "
            "This feature will be removed in v6.0.0.",
            FutureWarning,
            stacklevel=2,
        )
        return {
            "consider_prior": True,
            "prior_weight": 1.0,
            "consider_magic_clip": True,
            "consider_endpoints": False,
            "n_startup_trials": 20,
            "n_ei_candidates": 24,
            "gamma": hyperopt_default_gamma,
            "weights": default_weights,
        }

    # -- pickling (for process pools): the per-study caches are rebuilt from storage -----------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        state["_states"] = {}
        state["_workspace"] = Workspace()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._random_sampler.reseed_rng()

    # -- BaseSampler ----------------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        with self._lock, forget_on_escape(self._forget_state, study):
            return self._refreshed_state(study, trial).relative_search_space()

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        with self._lock, forget_on_escape(self._forget_state, study):
            return self._sample_relative(study, trial, search_space)

    def _sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        state = self._refreshed_state(study, trial)
        if state.history.n < self._n_startup_trials:
            return {}
        if not self._group:
            return self._sample(state, trial, search_space, self._is_multivariate(study))
        params: dict[str, Any] = {}
        for group in state.groups:
            sub_space = {n: search_space[n] for n in group if n in search_space}
            if sub_space:
                params.update(self._sample(state, trial, sub_space, joint=True))
        return params

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        with self._lock, forget_on_escape(self._forget_state, study):
            return self._sample_independent(study, trial, param_name, param_distribution)

    def _sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        state = self._refreshed_state(study, trial)
        if state.history.n < self._n_startup_trials:
            return self._random_sampler.sample_independent(
                study, trial, param_name, param_distribution
            )
        if (
            self._warn_independent_sampling
            and self._is_multivariate(study)
            and state.history.has_param(param_name)
        ):
            _logger.warning(
                f"The parameter {param_name!r} in trial {trial.number} is sampled on its "
                "own, outside the multivariate TPE's joint search space; "
                "TPESampler(group=True) models conditional params jointly."
            )
        space = {param_name: param_distribution}
        return self._sample(state, trial, space, joint=True)[param_name]

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        if self._constraints_func is None or state not in _FINISHED:
            return
        constraints = _checked_constraints(self._constraints_func(trial), trial.number)
        set_trial_system_attr(study, trial._trial_id, CONSTRAINTS_FUNC_KEY, constraints)

    # -- state ----------------------------------------------------------------------------------
    def _is_multivariate(self, study: Study) -> bool:
        if self._multivariate is not None:
            return self._multivariate
        if self._group:
            return True
        return len(study.directions) == 1

    def _state(self, study: Study) -> StudyState:
        key = (id(study._storage), study._study_id)
        state = self._states.get(key)
        if state is None:
            if len(self._states) >= _MAX_STUDIES:
                self._states.pop(next(iter(self._states)))
            state = StudyState(study, self._constraints_func is not None, self._group)
            self._states[key] = state
            if self._group and self._multivariate is None and state.n_objectives > 1:
                warnings.warn(
                    "TPESampler: multivariate defaults to False for several objectives, but "
                    "group=True needs it, so it is treated as True; pass multivariate=True to "
                    "silence this warning.",
                    UserWarning,
                    stacklevel=4,
                )
        return state

    def _forget_state(self, study: Study) -> None:
        """Drop the study's cached state, to be rebuilt from the storage on the next call.

        Whatever escapes a call that uses the state (an interrupt, above all, which can land
        between any two steps) may have left it half updated: arrays of one length and counts
        of another, which would fail every later trial of the process.
        """
        self._states.pop((id(study._storage), study._study_id), None)

    def _refreshed_state(self, study: Study, trial: FrozenTrial) -> StudyState:
        state = self._state(study)
        state.refresh(study, trial)
        return state

    # -- sampling -------------------------------------------------------------------------------
    def _sample(
        self,
        state: StudyState,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
        joint: bool,
    ) -> dict[str, Any]:
        """Suggest the params of ``search_space`` by TPE: jointly (multivariate), or each
        param from its own marginals (independent)."""
        observed = state.observed(search_space)
        encoding = observed.encoding
        gamma = self._gamma
        if gamma is default_gamma and state.n_objectives > 1:
            gamma = default_gamma_multiobjective
        good_rows, bad_rows = state.split(gamma)
        has_all = observed.has_all
        good_rows = good_rows[has_all[good_rows]]  # (n_good,) by number
        bad_rows = bad_rows[has_all[bad_rows]]  # (n_bad,) by number
        if self._constant_liar:
            running_values, running_numbers = state.running(trial, encoding.names)
        else:
            running_values = np.empty((0, len(encoding.names)))
            running_numbers = np.empty(0, dtype=np.int64)
        numerical, categorical = encoding.numerical_index, encoding.categorical_index

        good_weights = self._good_weights(state, good_rows, bad_rows)
        bad_weights = self._weights_of(len(bad_rows) + len(running_numbers))  # number order
        if len(running_numbers):
            # Running trials join the bad group; weights follow trial numbers.
            numbers = np.concatenate([state.history.numbers[bad_rows], running_numbers])
            bad_weights = bad_weights[np.argsort(np.argsort(numbers, kind="stable"))]

        no_extra_unit = np.empty((0, encoding.n_numerical))
        no_extra_choices = np.empty((0, len(categorical)), dtype=np.intp)
        good = observed.fit(
            good_rows, no_extra_unit, no_extra_choices, good_weights, self._options
        )
        bad = observed.fit(
            bad_rows,
            encoding.to_unit(running_values[:, numerical]),
            running_values[:, categorical].astype(np.intp),
            bad_weights,
            self._options,
        )
        if joint or len(encoding.names) == 1:
            unit, choices = good.sample(self._rng, self._n_ei_candidates)
            internal, points = encoding.snap(unit, choices)
            # log l(x) - log g(x) of every candidate: EI grows with it (Bergstra et al. 2011)
            log_good, log_bad = log_pdfs([good, bad], points, self._workspace)
            best = int(np.argmax(log_good - log_bad))
            return encoding.to_params(internal[best], choices[best])
        # Independent TPE: the same, for every param on its own, all params at once.
        unit, choices = good.sample_marginals(self._rng, self._n_ei_candidates)
        internal, points = encoding.snap(unit, choices)
        log_good, log_bad = log_marginal_pdfs([good, bad], points, self._workspace)
        best = np.argmax(log_good - log_bad, axis=0)  # (d_num + d_cat,)
        d_num = encoding.n_numerical
        return encoding.to_params(
            internal[best[:d_num], np.arange(d_num)],
            choices[best[d_num:], np.arange(len(categorical))],
        )

    def _weights_of(self, n: int) -> np.ndarray:
        if self._weights is default_weights:
            return default_weights(n)
        return call_weights(self._weights, n)

    def _good_weights(
        self, state: StudyState, good_rows: np.ndarray, bad_rows: np.ndarray
    ) -> np.ndarray:
        """Weights of the good trials (rows in number order).

        A ``weights`` function given by the user weighs them (one objective), as in Optuna.
        By default each complete, feasible good trial weighs by how much its loss improves on
        the best bad trial's (the "expected improvement" weighting of Watanabe 2023), so that
        ``l(x)`` leans towards the best trials, which on the BBOB benchmarks finds better
        optima than Optuna's uniform weights. Several objectives, or pruned or infeasible good
        trials, keep uniform weights.
        """
        n_good = len(good_rows)
        if state.n_objectives > 1:
            return np.ones(n_good)
        if self._weights is not default_weights or n_good < 2:
            return self._weights_of(n_good)
        history = state.history
        excluded = None if history.is_plain else history.pruned | (history.violation > 0.0)
        return improvement_weights(history.loss[:, 0], excluded, good_rows, bad_rows)


def _warn_deprecated(name: str) -> None:
    deprecated, removed = _DEPRECATED_IN[name]
    message = (
        f"`{name}` has been deprecated in v{deprecated}. "
        f"This feature will be removed in v{removed}."
    )
    if name == "constraints_func":
        message += " Use `tansaku.trial.Trial.set_constraint` instead."
    warnings.warn(message, FutureWarning, stacklevel=4)


def _check_count(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(
            f"TPESampler: {name} must be an int, got {value!r} of type {type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(f"TPESampler: {name}={value!r} must be >= {minimum}")


def _checked_constraints(constraints: Any, number: int) -> list[float]:
    """Validate what ``constraints_func`` returned for trial ``number``.

    Raises:
        TypeError: it is not a sequence of numbers.
        ValueError: a value is NaN.
    """
    where = f"TPESampler: constraints_func(trial {number})"
    if isinstance(constraints, str | bytes) or not isinstance(constraints, Sequence | np.ndarray):
        raise TypeError(
            f"{where} returned {constraints!r} of type {type(constraints).__name__}; it must "
            "return a sequence of floats"
        )
    checked = []
    for value in constraints:
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise TypeError(
                f"{where} returned {constraints!r}; every value must be a float, got {value!r}"
            )
        number_ = float(value)
        if math.isnan(number_):
            raise ValueError(f"{where} returned {constraints!r}; constraint values cannot be NaN")
        checked.append(number_)
    return checked
