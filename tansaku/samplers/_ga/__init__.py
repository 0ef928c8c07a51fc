"""What genetic samplers share: generations and populations (BaseGASampler), the continuous
space their operators work in, and constrained domination."""

from tansaku.samplers._ga._base import BaseGASampler

__all__ = ["BaseGASampler"]
