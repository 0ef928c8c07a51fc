"""Samplers: the algorithms that decide which params each trial tries."""

from tansaku.samplers._base import BaseSampler
from tansaku.samplers._brute_force import BruteForceSampler
from tansaku.samplers._grid import GridSampler
from tansaku.samplers._partial_fixed import PartialFixedSampler
from tansaku.samplers._qmc import QMCSampler
from tansaku.samplers._random import RandomSampler
from tansaku.samplers._tpe import TPESampler

__all__ = [
    "BaseSampler",
    "BruteForceSampler",
    "GridSampler",
    "PartialFixedSampler",
    "QMCSampler",
    "RandomSampler",
    "TPESampler",
]
