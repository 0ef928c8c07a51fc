"""PartialFixedSampler: hold some params at given values and let another sampler pick the rest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.given_values import warn_if_outside
from tansaku._internal.validation import invalid_type
from tansaku.distributions import BaseDistribution
from tansaku.samplers._base import BaseSampler
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study


class PartialFixedSampler(BaseSampler):
    """Give the params in ``fixed_params`` their fixed values; ``base_sampler`` picks the others.

    Useful to re-optimize some params while others stay at values found earlier. The fixed params
    are left out of the base sampler's relative search space, so a joint model (TPE, CMA-ES) only
    models the free ones. A fixed value outside the range the objective passes to ``suggest_*``
    is used as given, with a warning.

    A base sampler that stops ``optimize`` once its space is explored judges its own space:
    :class:`BruteForceSampler` explores the combinations of the free params, counting earlier
    trials that had the fixed values and leaving out those that did not, and stops when none is
    left (Optuna's never stops: the fixed params' other values stay unexplored).
    :class:`GridSampler` counts its grid points, fixed params included, as in Optuna.

    Args:
        fixed_params: Values by param name, in the form the objective receives them.
        base_sampler: The sampler for the params not fixed.

    Raises:
        TypeError: ``fixed_params`` is not a mapping or ``base_sampler`` not a BaseSampler.

    Example:
        >>> study.optimize(objective, n_trials=20)
        >>> study.sampler = PartialFixedSampler({"y": study.best_params["y"]}, study.sampler)
        >>> study.optimize(objective, n_trials=20)  # only x moves now
    """

    def __init__(self, fixed_params: Mapping[str, Any], base_sampler: BaseSampler) -> None:
        warn_experimental("PartialFixedSampler")
        if not isinstance(fixed_params, Mapping):
            raise invalid_type("PartialFixedSampler", "fixed_params", fixed_params, "a mapping")
        if not isinstance(base_sampler, BaseSampler):
            raise invalid_type(
                "PartialFixedSampler", "base_sampler", base_sampler, "a BaseSampler"
            )
        # A copy: changing the caller's dict later must not change running trials.
        self._fixed_params = dict(fixed_params)
        self._base_sampler = base_sampler
        # What the calls go to: the base sampler itself, or (BruteForceSampler) a copy of it
        # whose record of the explored space leaves out the fixed params.
        self._free_sampler = base_sampler._for_fixed_params(self._fixed_params)

    def __str__(self) -> str:
        return f"PartialFixedSampler({self._base_sampler})"

    def reseed_rng(self) -> None:
        self._free_sampler.reseed_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        search_space = self._free_sampler.infer_relative_search_space(study, trial)
        return {
            name: distribution
            for name, distribution in search_space.items()
            if name not in self._fixed_params
        }

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        # search_space comes from infer_relative_search_space: fixed names are already out.
        return self._free_sampler.sample_relative(study, trial, search_space)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        """Return the fixed value of ``param_name``, or ask the base sampler for a free param.

        Raises:
            ValueError: a fixed value is not one of the choices of a categorical param.
        """
        if param_name not in self._fixed_params:
            return self._free_sampler.sample_independent(
                study, trial, param_name, param_distribution
            )
        value = self._fixed_params[param_name]
        try:
            internal = param_distribution.to_internal_repr(value)
        except ValueError as error:
            raise ValueError(
                f"PartialFixedSampler: fixed_params[{param_name!r}]={value!r} cannot be a value "
                f"of {param_distribution!r}: {error}"
            ) from None
        what = f"PartialFixedSampler: fixed_params[{param_name!r}]={value!r}"
        warn_if_outside(param_distribution, internal, what, stacklevel=4)
        return value

    def _acts_before_trial(self) -> bool:
        return self._free_sampler._acts_before_trial()

    def _acts_after_trial(self) -> bool:
        return self._free_sampler._acts_after_trial()

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._free_sampler.before_trial(study, trial)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._free_sampler.after_trial(study, trial, state, values)
