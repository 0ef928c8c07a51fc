"""The Tree-structured Parzen Estimator; public as ``tansaku.samplers.TPESampler``."""

from tansaku.samplers._tpe.sampler import TPESampler

__all__ = ["TPESampler"]
