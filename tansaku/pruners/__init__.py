"""Pruners: stop unpromising trials early from their intermediate values."""

from tansaku.pruners._base import BasePruner
from tansaku.pruners._median import MedianPruner
from tansaku.pruners._nop import NopPruner
from tansaku.pruners._percentile import PercentilePruner

__all__ = ["BasePruner", "MedianPruner", "NopPruner", "PercentilePruner"]
