"""CMA-ES: the sampler, and the numerical core, state codec and restarts it is built from."""

from tansaku.samplers._cmaes.sampler import CmaEsSampler

__all__ = ["CmaEsSampler"]
