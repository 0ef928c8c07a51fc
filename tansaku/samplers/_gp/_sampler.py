"""GPSampler: Bayesian optimization with Gaussian processes, on numpy and scipy only."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.validation import invalid, invalid_type
from tansaku.distributions import BaseDistribution
from tansaku.samplers._base import BaseSampler, IndependentSamplerMixin
from tansaku.samplers._ga._constraints import store_constraints
from tansaku.samplers._random import RandomSampler
from tansaku.search_space import IntersectionSearchSpace
from tansaku.trial import FrozenTrial, TrialState
from tansaku.trial._constraints import CONSTRAINTS_FUNC_KEY

if TYPE_CHECKING:
    from tansaku.samplers._gp._acquire import Acquirer
    from tansaku.study import Study

_WHERE = "GPSampler"


class GPSampler(IndependentSamplerMixin):
    """Suggest params by Bayesian optimization with Gaussian processes (GPs).

    After ``n_startup_trials`` completed trials, one GP per objective (and one per constraint)
    is fitted to the completed trials over the params they all share (the intersection search
    space), and the next point maximizes an acquisition function: log expected improvement
    for one objective, log expected hypervolume improvement for several, times the
    probability that every constraint is satisfied when ``constraints_func`` is given. The GP
    has a Matern 5/2 kernel with one length scale per param (log params in log space,
    categorical params by a Hamming distance), fitted by maximum a posteriori with L-BFGS-B
    (see ``tansaku._gp``); with one objective, the GP is fitted to its values warped by an
    increasing power transform toward a normal shape, so that an objective spanning orders of
    magnitude does not look flat where it is good. The acquisition is maximized from
    quasi-random candidates by L-BFGS-B over float params and exhaustive search over the
    values of int, stepped and categorical ones. Other params come from ``independent_sampler``.

    Trials still running (other workers') count as observed at their posterior mean (the
    "kriging believer"), so parallel workers spread out instead of proposing the same point.
    Pruned trials are ignored and failed ones skipped.

    Differences from Optuna 5.0, on purpose: no PyTorch is needed (numpy and scipy only),
    running trials are taken into account, and one objective's values are warped.

    Args:
        seed: Seed of the sampler's draws: the same seed and history give the same params.
        independent_sampler: Samples the params outside the relative search space and the
            startup trials (default: ``RandomSampler`` with ``seed``).
        n_startup_trials: Completed trials to sample with ``independent_sampler`` first.
        deterministic_objective: The objective has no noise: fix the GPs' noise at its
            minimum.
        constraints_func: Called on each finished trial, returns its constraint values; a
            trial is feasible when all are <= 0. The values are stored in the trial's
            ``constraints`` system attr.
        warn_independent_sampling: Log a warning when a param is sampled independently after
            the startup trials.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: ``n_startup_trials`` is negative.

    Example:
        >>> sampler = tansaku.samplers.GPSampler(seed=0)
        >>> study = tansaku.create_study(sampler=sampler)
        >>> study.optimize(lambda t: t.suggest_float("x", -5, 5) ** 2, n_trials=30)
    """

    _where = _WHERE

    def __init__(
        self,
        *,
        seed: int | None = None,
        independent_sampler: BaseSampler | None = None,
        n_startup_trials: int = 10,
        deterministic_objective: bool = False,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        warn_independent_sampling: bool = True,
    ) -> None:
        if isinstance(n_startup_trials, bool) or not isinstance(n_startup_trials, int):
            raise invalid_type(_WHERE, "n_startup_trials", n_startup_trials, "an int")
        if n_startup_trials < 0:
            raise invalid(_WHERE, "n_startup_trials", n_startup_trials, "must be >= 0")
        if constraints_func is not None and not callable(constraints_func):
            raise invalid_type(_WHERE, "constraints_func", constraints_func, "callable or None")
        self._independent_sampler = independent_sampler or RandomSampler(seed=seed)
        self._n_startup_trials = n_startup_trials
        self._deterministic = bool(deterministic_objective)
        self._constraints_func = constraints_func
        self._warn_independent_sampling = warn_independent_sampling
        self._seed = seed if seed is not None else secrets.randbits(63)
        self._init_memory()

    def _init_memory(self) -> None:
        self._lock = threading.Lock()
        # Per study (storage, study id): the acquirer, which keeps the last fits to warm start,
        # and the intersection search space, folded one new trial at a time.
        self._acquirers: dict[tuple[int, int], Acquirer] = {}
        self._spaces: dict[tuple[int, int], IntersectionSearchSpace] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"], state["_acquirers"], state["_spaces"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_memory()

    def reseed_rng(self) -> None:
        self._seed = secrets.randbits(63)
        self._independent_sampler.reseed_rng()

    def _checked_constraints(self, study: Study) -> Callable[[FrozenTrial], Sequence[float]]:
        """``constraints_func``, refusing a number of values other than the earlier trials'."""
        constraints_func = self._constraints_func
        assert constraints_func is not None

        def checked(trial: FrozenTrial) -> Sequence[float]:
            values = constraints_func(trial)
            expected = _n_constraints_stored(study)
            if expected is not None and hasattr(values, "__len__") and len(values) != expected:
                raise invalid(
                    f"{_WHERE}: constraints_func(trial {trial.number})",
                    "result",
                    values,
                    f"must hold {expected} values, as for the earlier trials",
                )
            return values

        return checked

    # -- BaseSampler ----------------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        key = (id(study._storage), study._study_id)
        with self._lock:
            space = self._spaces.setdefault(key, IntersectionSearchSpace()).calculate(study)
        return {name: dist for name, dist in sorted(space.items()) if not dist.single()}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        trials = study._get_trials(
            deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING), use_cache=True
        )
        n_complete = sum(t.state == TrialState.COMPLETE for t in trials)
        if n_complete < self._n_startup_trials:
            return {}
        # The GP's numerics need scipy: imported at the first modelled trial, so that
        # ``import tansaku`` stays light.
        from tansaku._gp import GPSpace
        from tansaku._gp._threads import single_threaded_blas
        from tansaku.samplers._gp._acquire import Acquirer
        from tansaku.samplers._gp._observations import collect

        space = GPSpace(search_space)
        observed = collect(study, trial, space, trials, self._constraints_func is not None)
        if len(observed.rows) == 0:
            return {}
        rng = np.random.default_rng([self._seed % (1 << 63), trial.number])
        key = (id(study._storage), study._study_id)
        with self._lock, single_threaded_blas():
            acquirer = self._acquirers.setdefault(key, Acquirer(self._deterministic))
            row = acquirer.next_row(space, observed, rng)
        return space.decode(row)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if self._warn_independent_sampling and self._warns_sampled_independently():
            n_complete = len(study._get_trials(False, (TrialState.COMPLETE,), True))
            if n_complete >= self._n_startup_trials:
                self._warn_sampled_independently(
                    trial,
                    param_name,
                    "the GP models only params that every completed trial has alike",
                )
        return self._independent_sampler.sample_independent(
            study, trial, param_name, param_distribution
        )

    def _acts_after_trial(self) -> bool:
        return self._constraints_func is not None or self._independent_sampler._acts_after_trial()

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        if self._constraints_func is not None and state in (
            TrialState.COMPLETE,
            TrialState.PRUNED,
        ):
            store_constraints(_WHERE, self._checked_constraints(study), study, trial)
        super().after_trial(study, trial, state, values)


def _n_constraints_stored(study: Study) -> int | None:
    """The number of constraint values stored with the study's finished trials, if any."""
    for trial in study._get_trials(False, (TrialState.COMPLETE, TrialState.PRUNED), True):
        values = trial.system_attrs.get(CONSTRAINTS_FUNC_KEY)
        if values is not None:
            return len(values)
    return None
