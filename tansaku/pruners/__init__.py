"""Pruners: stop unpromising trials early from their intermediate values."""

from tansaku.pruners._base import BasePruner
from tansaku.pruners._nop import NopPruner

__all__ = ["BasePruner", "NopPruner"]
