"""CmaEsSampler: CMA-ES over the float and int params of a study, shared by all its workers."""

from __future__ import annotations

import math
import random
import secrets
import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.caches import forget_on_escape
from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.validation import invalid, invalid_type
from tansaku.distributions import BaseDistribution, CategoricalDistribution
from tansaku.samplers._base import BaseSampler, IndependentSamplerMixin
from tansaku.samplers._cmaes._run import RunSettings, StudyRun
from tansaku.samplers._cmaes._space import supported
from tansaku.samplers._random import RandomSampler
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study

_WHERE = "CmaEsSampler"
# Studies whose run one sampler keeps in memory at once; a sampler rarely serves more than one.
_MAX_STUDIES = 8
_RESTART_STRATEGIES = (None, "ipop", "bipop")
# A trial's draws are seeded by seed * _NUMBER_SPAN + its number: distinct for every trial.
_NUMBER_SPAN = 1 << 40


class CmaEsSampler(IndependentSamplerMixin):
    """Suggest params with CMA-ES, the covariance matrix adaptation evolution strategy.

    Each generation draws ``popsize`` points from a multivariate normal distribution over the
    float and int params, then moves the distribution towards the best of them and adapts its
    shape (Hansen, arXiv:1604.00772). Params CMA-ES cannot model (categorical ones, and params
    outside the intersection of the finished trials' spaces) come from
    ``independent_sampler``. One objective only.

    Several workers share one run: the distribution lives in the study's system attrs as JSON
    (one key per generation, never pickle), a generation closes with the same trials in every
    worker, and its update is a pure function of the stored state and those trials, so workers
    that close it at the same moment write the same next state. A worker keeps the run in
    memory and reads the stored state only when another worker has moved it.

    Differences from Optuna 5.0, on purpose: ``restart_strategy`` works (Optuna warns that it
    is deprecated and ignores it): a run that stagnates restarts with a larger population
    ("ipop"), or alternating larger and smaller ones ("bipop"), see ``_restarts``. The default
    step size is a sixth of *each* param's range (Optuna: of the smallest range, for all);
    bad arguments (``sigma0 <= 0``, ``popsize < 2``, an unknown ``restart_strategy``, ``x0``
    outside the space) raise errors that name them, where Optuna accepts or ignores them.

    Args:
        x0: Deprecated (FutureWarning), still used. The initial mean, by param name; the
            centre of each range by default. Every key must be a float or int param of the
            search space and lie inside its range.
        sigma0: Deprecated (FutureWarning), still used. The initial step size in param units
            (log units for log params), the same along every param. Must be > 0.
        n_startup_trials: Finished trials to sample with ``independent_sampler`` before
            CMA-ES starts. Must be >= 0.
        independent_sampler: Samples the params outside the relative search space (default:
            ``RandomSampler`` with ``seed``).
        warn_independent_sampling: Log a warning when a param is sampled independently after
            the startup trials, and warn once when the space holds no param CMA-ES can model.
        seed: Seed of the draws: a trial's point depends only on the seed, its number and the
            distribution, so runs reproduce, also across processes.
        consider_pruned_trials: Let PRUNED trials count, with their last intermediate value.
            Experimental.
        restart_strategy: None, "ipop" or "bipop": restart a stagnating run (tansaku extension;
            see above).
        popsize: The population size of the first run; by default ``4 + floor(3 ln n)``.
            Must be >= 2.
        inc_popsize: The factor by which each restart multiplies the population (IPOP, and
            BIPOP's large runs); -1 (the default) means 2. Must be -1 or >= 1.
        use_separable_cma: Learn a diagonal covariance only (sep-CMA-ES): linear cost per
            param, for many params. Experimental.
        with_margin: Keep integer and stepped params from freezing on one value (CMA-ES with
            Margin, Hamano et al. 2022). Experimental.
        lr_adapt: Adapt the learning rates (LRA-CMA-ES, Nomura et al. 2023), for multimodal
            and noisy objectives. Experimental.
        source_trials: Finished trials of a similar study to warm start from (WS-CMA-ES,
            Nomura et al. 2021). Experimental.

    Raises:
        ValueError: an argument is out of range, or two arguments do not go together.
        TypeError: an argument has the wrong type.

    Example:
        >>> sampler = tansaku.samplers.CmaEsSampler(seed=0, restart_strategy="ipop")
        >>> study = tansaku.create_study(sampler=sampler)
        >>> study.optimize(lambda t: t.suggest_float("x", -5, 5) ** 2, n_trials=100)
    """

    _where = _WHERE

    def __init__(
        self,
        *,
        x0: dict[str, Any] | None = None,
        sigma0: float | None = None,
        n_startup_trials: int = 1,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
        seed: int | None = None,
        consider_pruned_trials: bool = False,
        restart_strategy: str | None = None,
        popsize: int | None = None,
        inc_popsize: int = -1,
        use_separable_cma: bool = False,
        with_margin: bool = False,
        lr_adapt: bool = False,
        source_trials: list[FrozenTrial] | None = None,
    ) -> None:
        for name, value in (("x0", x0), ("sigma0", sigma0)):
            if value is not None:
                warnings.warn(
                    f"{_WHERE}({name}=...) is deprecated since Optuna 4.9.0 and will be removed "
                    "in 6.0.0; tansaku still uses it.",
                    FutureWarning,
                    stacklevel=2,
                )
        for name, flag in (
            ("use_separable_cma", use_separable_cma),
            ("with_margin", with_margin),
            ("lr_adapt", lr_adapt),
            ("consider_pruned_trials", consider_pruned_trials),
            ("source_trials", source_trials is not None),
        ):
            if flag:
                warn_experimental(f"{_WHERE}({name}=...)")
        # The warnings come first, as in Optuna, so that a refused call warns alike.
        _check_arguments(
            x0, sigma0, n_startup_trials, restart_strategy, popsize, inc_popsize, source_trials
        )
        _check_combinations(x0, sigma0, use_separable_cma, with_margin, lr_adapt, source_trials)
        self._settings = RunSettings(
            x0=dict(x0) if x0 is not None else None,
            sigma0=float(sigma0) if sigma0 is not None else None,
            popsize=popsize,
            inc_popsize=2 if inc_popsize == -1 else inc_popsize,
            restart_strategy=restart_strategy,
            separable=use_separable_cma,
            margin=with_margin,
            lr_adapt=lr_adapt,
            source_trials=tuple(source_trials) if source_trials is not None else None,
            consider_pruned=consider_pruned_trials,
        )
        self._n_startup_trials = n_startup_trials
        self._independent_sampler = independent_sampler or RandomSampler(seed=seed)
        self._warn_independent_sampling = warn_independent_sampling
        self._seed_base = seed if seed is not None else secrets.randbits(63)
        self._warned_no_relative_params = False
        self._init_memory()

    def _init_memory(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[tuple[int, int], StudyRun] = {}
        # Per study: the last intersection seen and the relative space made of it, handed out
        # again (the same dict) while the intersection is the same object (unchanged).
        self._relative: dict[tuple[int, int], tuple[object, dict[str, Any]]] = {}

    def __getstate__(self) -> dict[str, Any]:
        # The in-memory runs are a cache of the storage's state; a copy rebuilds them.
        state = self.__dict__.copy()
        for name in ("_lock", "_runs", "_relative"):
            del state[name]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_memory()

    def reseed_rng(self) -> None:
        self._seed_base = secrets.randbits(63)
        self._independent_sampler.reseed_rng()

    # -- BaseSampler ----------------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        self._raise_error_if_multi_objective(study)
        key = (id(study._storage), study._study_id)
        with self._lock, forget_on_escape(self._forget, key):
            # The run's ledger folds the finished trials once per trial for both the
            # intersection and the generations (sample_relative's fold reads nothing more).
            intersection = self._run_of(key).fold(study, trial)
            cached = self._relative.get(key)
            if cached is not None and cached[0] is intersection:
                return cached[1]
            full = dict(sorted((intersection or {}).items()))
            relative = {name: dist for name, dist in full.items() if supported(dist)}
            if len(self._relative) >= _MAX_STUDIES:
                self._relative.clear()
            self._relative[key] = (intersection, relative)
        if (
            not relative
            and self._warn_independent_sampling
            and not self._warned_no_relative_params
            and any(isinstance(dist, CategoricalDistribution) for dist in full.values())
        ):
            self._warned_no_relative_params = True
            warnings.warn(
                f"{_WHERE}: the search space has no float or int param to model "
                f"({sorted(full)} are categorical or fixed); every param is sampled by "
                f"{type(self._independent_sampler).__name__}.",
                UserWarning,
                stacklevel=2,
            )
        return relative

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        key = (id(study._storage), study._study_id)
        with self._lock, forget_on_escape(self._forget, key):
            run = self._run_of(key)
            run.fold(study, trial)
            if run.n_usable < self._n_startup_trials:
                return {}
            rng = random.Random(self._seed_base * _NUMBER_SPAN + trial.number)
            return run.sample(study, trial, search_space, rng)

    def _run_of(self, key: tuple[int, int]) -> StudyRun:
        """The run of the study with ``key`` (storage, study id), made on first use."""
        run = self._runs.get(key)
        if run is None:
            if len(self._runs) >= _MAX_STUDIES:
                self._runs.clear()
            run = self._runs[key] = StudyRun(self._settings)
        return run

    def _forget(self, key: tuple[int, int]) -> None:
        """Drop the study's run, to be rebuilt from the storage on the next call: whatever
        escaped a call that updates it may have left it half updated (a trial taken from the
        history but not folded in, a generation adopted but not stored)."""
        self._runs.pop(key, None)
        self._relative.pop(key, None)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if self._warn_independent_sampling and self._warns_sampled_independently():
            run = self._runs.get((id(study._storage), study._study_id))
            if run is not None and run.n_usable >= self._n_startup_trials:
                self._warn_sampled_independently(
                    trial,
                    param_name,
                    "CMA-ES models only float and int params that every finished trial has",
                )
        return self._independent_sampler.sample_independent(
            study, trial, param_name, param_distribution
        )


def _check_arguments(
    x0: Any,
    sigma0: Any,
    n_startup_trials: Any,
    restart_strategy: Any,
    popsize: Any,
    inc_popsize: Any,
    source_trials: Any,
) -> None:
    if x0 is not None:
        if not isinstance(x0, Mapping):
            raise invalid_type(_WHERE, "x0", x0, "a dict from param name to value")
        for name, value in x0.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise invalid_type(_WHERE, f"x0[{name!r}]", value, "a number")
            if not math.isfinite(value):
                raise invalid(_WHERE, f"x0[{name!r}]", value, "must be finite")
    if sigma0 is not None:
        if isinstance(sigma0, bool) or not isinstance(sigma0, (int, float)):
            raise invalid_type(_WHERE, "sigma0", sigma0, "a number")
        if not (math.isfinite(sigma0) and sigma0 > 0):
            raise invalid(_WHERE, "sigma0", sigma0, "must be > 0 and finite")
    _check_int("n_startup_trials", n_startup_trials, 0)
    if restart_strategy not in _RESTART_STRATEGIES:
        raise invalid(
            _WHERE, "restart_strategy", restart_strategy, "must be None, 'ipop' or 'bipop'"
        )
    if popsize is not None:
        _check_int("popsize", popsize, 2)
    _check_int("inc_popsize", inc_popsize, -1)
    if inc_popsize != -1 and inc_popsize < 1:
        raise invalid(_WHERE, "inc_popsize", inc_popsize, "must be -1 (the default, 2) or >= 1")
    if source_trials is not None and not (
        isinstance(source_trials, Sequence)
        and all(isinstance(trial, FrozenTrial) for trial in source_trials)
    ):
        raise invalid_type(_WHERE, "source_trials", source_trials, "a list of FrozenTrial")


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise invalid_type(_WHERE, name, value, "an int")
    if value < minimum:
        raise invalid(_WHERE, name, value, f"must be >= {minimum}")


def _check_combinations(
    x0: Any,
    sigma0: Any,
    separable: bool,
    margin: bool,
    lr_adapt: bool,
    source_trials: Any,
) -> None:
    if source_trials is not None and (x0 is not None or sigma0 is not None):
        raise ValueError(f"{_WHERE}: source_trials cannot be combined with x0 or sigma0")
    if source_trials is not None and separable:
        raise ValueError(f"{_WHERE}: source_trials cannot be combined with use_separable_cma")
    if separable and margin:
        raise ValueError(f"{_WHERE}: use_separable_cma and with_margin cannot be combined")
    if lr_adapt and (separable or margin):
        raise ValueError(
            f"{_WHERE}: lr_adapt cannot be combined with use_separable_cma or with_margin"
        )
