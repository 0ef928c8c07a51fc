"""Cost-frugal search: CFO's local search from a low-cost point, and BlendSearch."""

from tansaku.samplers._cfo._blend import BlendSearchSampler
from tansaku.samplers._cfo._sampler import CFOSampler

__all__ = ["BlendSearchSampler", "CFOSampler"]
