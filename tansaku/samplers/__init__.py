"""Samplers: the algorithms that decide which params each trial tries."""

from tansaku.samplers._base import BaseSampler
from tansaku.samplers._random import RandomSampler

__all__ = ["BaseSampler", "RandomSampler"]
