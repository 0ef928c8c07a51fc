"""BasePruner: the contract every pruner keeps (Optuna's, so third-party pruners work)."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study


class BasePruner(abc.ABC):
    """Decides whether a running trial should stop, from the values it has reported."""

    @abc.abstractmethod
    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Return True when ``trial`` should stop now.

        Args:
            study: The study the trial belongs to.
            trial: A snapshot of the running trial, with its intermediate values so far.
        """
