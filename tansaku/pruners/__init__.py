"""Pruners: stop unpromising trials early from their intermediate values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tansaku.pruners._base import BasePruner
from tansaku.pruners._hyperband import HyperbandPruner
from tansaku.pruners._median import MedianPruner
from tansaku.pruners._nop import NopPruner
from tansaku.pruners._patient import PatientPruner
from tansaku.pruners._percentile import PercentilePruner
from tansaku.pruners._successive_halving import SuccessiveHalvingPruner
from tansaku.pruners._threshold import ThresholdPruner
from tansaku.pruners._wilcoxon import WilcoxonPruner

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

__all__ = [
    "BasePruner",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "PercentilePruner",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
    "WilcoxonPruner",
]


def _filter_study(study: Study, trial: FrozenTrial) -> Study:
    """The study a sampler should learn from when it samples or ends ``trial``.

    With :class:`HyperbandPruner`, the study restricted to the trials of ``trial``'s bracket
    (the same object for every call, so a sampler keeps one model per bracket); with any other
    pruner, ``study`` itself.
    """
    pruner = study.pruner
    if isinstance(pruner, HyperbandPruner):
        return pruner._bracket_study(study, trial)
    return study
