"""scikit-optimize's Bayesian optimizer as a tansaku sampler: :class:`SkoptSampler`.

Example:
    >>> import tansaku
    >>> from tansaku.integration.skopt import SkoptSampler
    >>> sampler = SkoptSampler(skopt_kwargs={"base_estimator": "ET", "acq_func": "EI"}, seed=0)
    >>> study = tansaku.create_study(sampler=sampler)
    >>> study.optimize(lambda t: t.suggest_float("x", -10, 10) ** 2, n_trials=20)

scikit-optimize is no longer developed. Version 0.10.2 works with numpy 2 (the ``np.int``
alias it once used is gone from it) and with scikit-learn 1.9, except ``base_estimator="GBRT"``:
its quantile regressor lists ``BaseEstimator`` before ``RegressorMixin``, so scikit-learn >= 1.6
does not take it for a regressor and ``skopt.Optimizer`` refuses it. The sampler says so when it
is constructed; ``"GP"``, ``"RF"`` and ``"ET"`` work.
"""

from __future__ import annotations

import math
import secrets
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.validation import invalid, invalid_type
from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.integration._imports import missing_framework
from tansaku.logging import get_logger
from tansaku.samplers import BaseSampler, RandomSampler
from tansaku.samplers._base import IndependentSamplerMixin
from tansaku.search_space import IntersectionSearchSpace
from tansaku.study import StudyDirection
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study

try:
    import skopt
    from sklearn.base import is_regressor
    from sklearn.exceptions import ConvergenceWarning
    from skopt.learning import GradientBoostingQuantileRegressor
    from skopt.space import Categorical, Dimension, Integer, Real
except ImportError as error:
    raise missing_framework("tansaku.integration.skopt", "scikit-optimize", "skopt") from error

__all__ = ["SkoptSampler"]

_logger = get_logger(__name__)
_WHERE = "SkoptSampler"


class SkoptSampler(IndependentSamplerMixin):
    """Sample with scikit-optimize's ``skopt.Optimizer``: a surrogate model (Gaussian process,
    random or extra trees) of the objective and an acquisition function over it.

    Before each trial the optimizer is built on the params every completed trial has alike
    (the intersection search space), told every completed trial, and asked for the next point.
    Params outside that space are drawn by ``independent_sampler``. It optimizes one
    objective; a maximized one is negated for scikit-optimize, which minimizes.

    Args:
        independent_sampler: Draws the params outside the relative search space (and all of
            them during startup). None: :class:`~tansaku.samplers.RandomSampler` with ``seed``.
        warn_independent_sampling: Log a warning when a param is drawn by
            ``independent_sampler`` after startup (in the first trial they all are, silently).
        skopt_kwargs: Keyword arguments of ``skopt.Optimizer`` (``base_estimator``,
            ``acq_func``, ``n_initial_points``, ``acq_func_kwargs``, ...), checked here.
            ``dimensions`` is ignored: the sampler makes them from the search space.
        n_startup_trials: Completed trials drawn by ``independent_sampler`` before the
            optimizer takes over.
        consider_pruned_trials: Also tell the optimizer the pruned trials, with their last
            intermediate value as their value.
        seed: Seeds the default independent sampler and each trial's optimizer (unless
            ``skopt_kwargs`` gives ``random_state``).

    Raises:
        ValueError: ``skopt_kwargs`` are not accepted by ``skopt.Optimizer`` (the message says
            why, and names the scikit-learn incompatibility of ``base_estimator="GBRT"``).
    """

    _where = _WHERE

    def __init__(
        self,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
        skopt_kwargs: dict[str, Any] | None = None,
        n_startup_trials: int = 1,
        *,
        consider_pruned_trials: bool = False,
        seed: int | None = None,
    ) -> None:
        if isinstance(n_startup_trials, bool) or not isinstance(n_startup_trials, int):
            raise invalid_type(_WHERE, "n_startup_trials", n_startup_trials, "an int")
        if n_startup_trials < 0:
            raise invalid(_WHERE, "n_startup_trials", n_startup_trials, "must be >= 0")
        if independent_sampler is not None and not isinstance(independent_sampler, BaseSampler):
            raise invalid_type(_WHERE, "independent_sampler", independent_sampler, "a sampler")
        self._skopt_kwargs = _checked_skopt_kwargs(skopt_kwargs)
        self._independent_sampler = independent_sampler or RandomSampler(seed=seed)
        self._warn_independent_sampling = warn_independent_sampling
        self._n_startup_trials = n_startup_trials
        self._consider_pruned_trials = consider_pruned_trials
        self._seed = seed if seed is not None else secrets.randbits(63)

    def reseed_rng(self) -> None:
        self._seed = secrets.randbits(63)
        self._independent_sampler.reseed_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        self._raise_error_if_multi_objective(study)
        # Computed afresh (one pass over the trials, little beside skopt's model fit), so the
        # sampler holds no per-study state and may serve several studies and threads.
        space = IntersectionSearchSpace().calculate(study)
        # A param with one value needs no model (and skopt has no dimension of one value).
        return {name: dist for name, dist in sorted(space.items()) if not dist.single()}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        self._raise_error_if_multi_objective(study)
        if not search_space:
            return {}
        states = (TrialState.COMPLETE, TrialState.PRUNED)
        trials = study._get_trials(deepcopy=False, states=states, use_cache=True)
        if sum(t.state == TrialState.COMPLETE for t in trials) < self._n_startup_trials:
            return {}
        dimensions = _SkoptDimensions(search_space)
        points, losses = [], []
        sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
        for past in trials:
            value = self._value_of(past)
            if value is None or not dimensions.covers(past):
                continue
            points.append(dimensions.encode(past.params))
            losses.append(sign * value)

        kwargs = {"random_state": self._random_state(trial.number), **self._skopt_kwargs}
        with warnings.catch_warnings():
            # The model's fitting notes and skopt's "evaluated at this point before, using a
            # random point instead" are the backend's business, not the study's.
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.filterwarnings("ignore", "The objective has been evaluated", UserWarning)
            optimizer = skopt.Optimizer(dimensions.dimensions, **kwargs)
            if points:
                optimizer.tell(points, losses)
            point = optimizer.ask()
        return dimensions.decode(point)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if self._warn_independent_sampling:
            n_complete = len(study._get_trials(False, (TrialState.COMPLETE,), True))
            if n_complete >= max(self._n_startup_trials, 1):
                self._warn_sampled_independently(
                    trial,
                    param_name,
                    "the optimizer models only params that every completed trial has alike",
                )
        return self._independent_sampler.sample_independent(
            study, trial, param_name, param_distribution
        )

    def _value_of(self, trial: FrozenTrial) -> float | None:
        """The loss-side value to tell for ``trial``, or None when it has none to tell."""
        if trial.state == TrialState.COMPLETE:
            value = trial.value
        elif self._consider_pruned_trials and trial.intermediate_values:
            value = trial.intermediate_values[max(trial.intermediate_values)]
        else:
            return None
        # skopt's models cannot fit an infinite or NaN observation.
        return value if value is not None and math.isfinite(value) else None

    def _random_state(self, trial_number: int) -> int:
        # One stream per trial number: workers sharing a study draw reproducibly.
        generator = np.random.default_rng([self._seed % (1 << 63), trial_number])
        return int(generator.integers(0, np.iinfo(np.int32).max))


class _SkoptDimensions:
    """tansaku distributions as skopt dimensions, and params to and from skopt points.

    A stepped float or int becomes an Integer dimension over its grid index (skopt has no
    step), and a categorical a Categorical over its choice indices (skopt's encoders need
    comparable categories; tansaku's choices may mix types).
    """

    def __init__(self, search_space: dict[str, BaseDistribution]) -> None:
        self.names = list(search_space)
        self.distributions = search_space
        self.dimensions: list[Dimension] = [_dimension(d) for d in search_space.values()]

    def covers(self, trial: FrozenTrial) -> bool:
        return all(
            name in trial.params and trial.distributions[name] == dist
            for name, dist in self.distributions.items()
        )

    def encode(self, params: dict[str, Any]) -> list[Any]:
        return [
            _encode(self.distributions[name], params[name], dimension)
            for name, dimension in zip(self.names, self.dimensions)
        ]

    def decode(self, point: Sequence[Any]) -> dict[str, Any]:
        return {
            name: _decode(self.distributions[name], value)
            for name, value in zip(self.names, point)
        }


def _grid_size(dist: FloatDistribution | IntDistribution) -> int:
    assert dist.step is not None
    return int(round((dist.high - dist.low) / dist.step))


def _on_grid(dist: BaseDistribution) -> bool:
    """Whether skopt sees ``dist`` through grid indices (a float or int with a step)."""
    if isinstance(dist, FloatDistribution):
        return dist.step is not None
    return isinstance(dist, IntDistribution) and dist.step != 1


def _dimension(dist: BaseDistribution) -> Dimension:
    if isinstance(dist, CategoricalDistribution):
        return Categorical(list(range(len(dist.choices))))
    if isinstance(dist, (FloatDistribution, IntDistribution)) and _on_grid(dist):
        return Integer(0, _grid_size(dist))
    prior = "log-uniform" if dist.log else "uniform"  # type: ignore[attr-defined]
    if isinstance(dist, IntDistribution):
        return Integer(dist.low, dist.high, prior=prior)
    if isinstance(dist, FloatDistribution):
        return Real(dist.low, dist.high, prior=prior)
    raise invalid_type(_WHERE, "distribution", dist, "a Float, Int or Categorical distribution")


def _encode(dist: BaseDistribution, value: Any, dimension: Dimension) -> Any:
    if isinstance(dist, CategoricalDistribution):
        return int(dist.to_internal_repr(value))
    if isinstance(dist, (FloatDistribution, IntDistribution)) and _on_grid(dist):
        assert dist.step is not None
        return int(round((value - dist.low) / dist.step))
    if isinstance(dist, IntDistribution):
        return int(value)
    # Stored floats may sit an ulp outside the bounds skopt checks strictly.
    low, high = dimension.bounds
    return float(min(max(value, low), high))


def _decode(dist: BaseDistribution, value: Any) -> Any:
    if isinstance(dist, CategoricalDistribution):
        return dist.choices[int(value)]
    if isinstance(dist, IntDistribution):
        if dist.step != 1:
            return dist.low + int(value) * dist.step
        return int(value)
    assert isinstance(dist, FloatDistribution)
    if dist.step is not None:
        return min(dist.low + int(value) * dist.step, dist.high)
    return float(min(max(value, dist.low), dist.high))


def _checked_skopt_kwargs(skopt_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of ``skopt_kwargs`` without ``dimensions``, after skopt accepted it."""
    if skopt_kwargs is None:
        return {}
    if not isinstance(skopt_kwargs, dict):
        raise invalid_type(_WHERE, "skopt_kwargs", skopt_kwargs, "a dict or None")
    kwargs = {key: value for key, value in skopt_kwargs.items() if key != "dimensions"}
    if "dimensions" in skopt_kwargs:
        warnings.warn(
            f"{_WHERE}: skopt_kwargs['dimensions'] is ignored; the dimensions are made from "
            "the search space",
            UserWarning,
            stacklevel=3,
        )
    if _is_gbrt(kwargs.get("base_estimator")) and not is_regressor(
        GradientBoostingQuantileRegressor()
    ):
        raise invalid(
            _WHERE,
            "skopt_kwargs['base_estimator']",
            kwargs["base_estimator"],
            f"does not work with this scikit-learn: scikit-optimize {skopt.__version__}'s "
            "GradientBoostingQuantileRegressor is not a regressor to scikit-learn >= 1.6 (its "
            "class lists BaseEstimator before RegressorMixin), so skopt.Optimizer refuses it; "
            "use 'GP', 'RF' or 'ET'",
        )
    try:
        # Building an optimizer on a one-dimensional space checks every argument now, not at
        # the first trial the optimizer takes over; it fits nothing.
        skopt.Optimizer([Real(0.0, 1.0)], **kwargs)
    except (TypeError, ValueError) as error:
        raise invalid(
            _WHERE, "skopt_kwargs", skopt_kwargs, f"are not accepted by skopt.Optimizer: {error}"
        ) from error
    return kwargs


def _is_gbrt(base_estimator: Any) -> bool:
    if isinstance(base_estimator, str):
        return base_estimator.upper() == "GBRT"
    return isinstance(base_estimator, GradientBoostingQuantileRegressor)
