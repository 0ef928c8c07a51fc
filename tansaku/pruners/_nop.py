"""NopPruner: never prunes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tansaku.pruners._base import BasePruner
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study


class NopPruner(BasePruner):
    """A pruner that never prunes: every trial runs to its end."""

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        return False
