"""Samplers: the algorithms that decide which params each trial tries."""

from tansaku.samplers._base import BaseSampler
from tansaku.samplers._brute_force import BruteForceSampler
from tansaku.samplers._cfo import BlendSearchSampler, CFOSampler
from tansaku.samplers._cmaes import CmaEsSampler
from tansaku.samplers._ga import BaseGASampler
from tansaku.samplers._gp import GPSampler
from tansaku.samplers._grid import GridSampler
from tansaku.samplers._nsgaiii import NSGAIIISampler
from tansaku.samplers._partial_fixed import PartialFixedSampler
from tansaku.samplers._qmc import QMCSampler
from tansaku.samplers._random import RandomSampler
from tansaku.samplers._tpe import TPESampler
from tansaku.samplers.nsgaii._sampler import NSGAIISampler

__all__ = [
    "BaseGASampler",
    "BaseSampler",
    "BlendSearchSampler",
    "BruteForceSampler",
    "CFOSampler",
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "NSGAIIISampler",
    "NSGAIISampler",
    "PartialFixedSampler",
    "QMCSampler",
    "RandomSampler",
    "TPESampler",
]
