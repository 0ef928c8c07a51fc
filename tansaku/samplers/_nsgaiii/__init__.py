"""NSGA-III: NSGA-II's breeding with survival by reference points."""

from tansaku.samplers._nsgaiii._sampler import NSGAIIISampler

__all__ = ["NSGAIIISampler"]
