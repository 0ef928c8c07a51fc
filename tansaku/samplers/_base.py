"""BaseSampler: the contract every sampler keeps (Optuna's, so third-party samplers work).

A trial's params come from two kinds of sampling. *Relative* sampling draws the params of the
search space returned by :meth:`infer_relative_search_space` jointly, once per trial, on the
first ``suggest``; any param outside that space is drawn by :meth:`sample_independent`.
"""

from __future__ import annotations

import abc
import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tansaku import logging as tansaku_logging
from tansaku.distributions import BaseDistribution
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study

_logger = tansaku_logging.get_logger(__name__)


class BaseSampler(abc.ABC):
    """Decides where to look next from the history of the study.

    A sampler holds no storage of its own. State it must share across trials or processes goes
    into system attrs as JSON through :mod:`tansaku._internal.system_attrs`, the one path by
    which samplers and pruners write; nothing else is written.
    """

    def __str__(self) -> str:
        return type(self).__name__

    @abc.abstractmethod
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """Return the params to draw jointly in ``trial`` (empty: all independent)."""

    @abc.abstractmethod
    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        """Draw the params of ``search_space`` jointly; return them in external form."""

    @abc.abstractmethod
    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        """Draw one param outside the relative search space; return it in external form."""

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        """Called when a trial starts, before any param is sampled."""

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        """Called when a trial ends, before its final state is stored."""

    def reseed_rng(self) -> None:
        """Reseed the random number generator (e.g. in each process of a parallel run)."""

    def _for_fixed_params(self, fixed_params: Mapping[str, Any]) -> BaseSampler:
        """The sampler that picks the free params while ``fixed_params`` are held at their values
        (by :class:`PartialFixedSampler`): by default this sampler itself.

        A sampler that keeps its own record of the space it has explored, and stops the study
        when it is exhausted (:class:`BruteForceSampler`), returns a copy whose record leaves
        the fixed params out; the original is unchanged, so it can be used alone again.
        """
        return self

    def _acts_before_trial(self) -> bool:
        """Whether :meth:`before_trial` may do anything: a study skips the call when it does
        not, and with it a second read of the new trial (~8 us of an ask). A sampler that only
        passes the call on answers for the sampler it passes it to."""
        return type(self).before_trial is not BaseSampler.before_trial

    def _acts_after_trial(self) -> bool:
        """Whether :meth:`after_trial` may do anything (see :meth:`_acts_before_trial`)."""
        return type(self).after_trial is not BaseSampler.after_trial

    def _raise_error_if_multi_objective(self, study: Study) -> None:
        if study._is_multi_objective():
            raise ValueError(
                f"{type(self).__name__} does not support multi-objective optimization."
            )


class IndependentSampler(BaseSampler):
    """A sampler that draws every param on its own (no relative search space), from the
    ``random.Random`` in ``self._rng``."""

    _rng: random.Random

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def reseed_rng(self) -> None:
        self._rng = random.Random()


class IndependentSamplerMixin(BaseSampler):
    """The trial hooks of a sampler that leaves some params to another one, its
    ``_independent_sampler``: ``before_trial`` and ``after_trial`` are passed on to it, and the
    sampler acts on them exactly when it does, so that a study skips them (and their second
    read of the trial) when it does not. A sampler that adds work of its own to a hook
    overrides the hook (calling this one) and its ``_acts_*`` answer together.

    It also words the warning that a param is sampled independently, the same for every such
    sampler; ``_where`` names the sampler in it.
    """

    _independent_sampler: BaseSampler
    _where: str

    def _acts_before_trial(self) -> bool:
        return self._independent_sampler._acts_before_trial()

    def _acts_after_trial(self) -> bool:
        return self._independent_sampler._acts_after_trial()

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._independent_sampler.before_trial(study, trial)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._independent_sampler.after_trial(study, trial, state, values)

    @staticmethod
    def _warns_sampled_independently() -> bool:
        """Whether the warning would be shown: callers check it before working out whether
        one is due (it is for the WARNING level of tansaku's logger)."""
        return _logger.isEnabledFor(tansaku_logging.WARNING)

    def _warn_sampled_independently(self, trial: FrozenTrial, param_name: str, why: str) -> None:
        """Log that ``param_name`` of ``trial`` goes to the independent sampler, and ``why``."""
        sampler = self._independent_sampler
        name = getattr(sampler, "_shown_as", None) or type(sampler).__name__
        _logger.warning(
            f"The parameter {param_name!r} in trial {trial.number} is sampled independently by "
            f"{name} instead of {self._where}: {why}. Pass warn_independent_sampling=False to "
            "silence this."
        )
