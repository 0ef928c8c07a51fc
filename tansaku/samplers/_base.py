"""BaseSampler: the contract every sampler keeps (Optuna's, so third-party samplers work).

A trial's params come from two kinds of sampling. *Relative* sampling draws the params of the
search space returned by :meth:`infer_relative_search_space` jointly, once per trial, on the
first ``suggest``; any param outside that space is drawn by :meth:`sample_independent`.
"""

from __future__ import annotations

import abc
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tansaku.distributions import BaseDistribution
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study


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
