"""Priors on the GP's hyperparameters, as log densities of their logarithms with gradients.

The fit works on ``theta = log(hyperparameter)``, so each prior here is the density of theta
(the density of the hyperparameter times its Jacobian ``exp(theta)``):

- Gamma(a, b) on ``v = exp(theta)``: ``log p(theta) = a theta - b exp(theta) + const``.
- LogNormal(mu, sigma) on ``v``: theta ~ Normal(mu, sigma):
  ``log p(theta) = -(theta - mu)^2 / (2 sigma^2) + const``.

Two presets for the length scales (inputs in [0, 1], outputs standardized):

- ``classic``: Gamma(3, 6) on each length scale (mean 0.5), Gamma(2, 0.15) on the kernel
  scale and Gamma(1.1, 0.05) on the noise variance: the defaults of BoTorch before 0.12.
- ``dimension_scaled``: LogNormal(sqrt(2) + log(d) / 2, sqrt(3)) on each length scale, whose
  median grows as sqrt(d) (Hvarfner, Hellsten & Nardi, ICML 2024, "Vanilla Bayesian
  optimization performs great in high dimensions"), LogNormal(0, 1) on the kernel scale and
  LogNormal(-4, 1) on the noise variance (BoTorch's defaults since 0.12).

``DEFAULT_PRIOR`` is ``classic``. Measured with ``python -m benchmarks quality`` (tansaku's GP,
BBOB f1, f8, f10, f15 in 5 and 10 dimensions and the tabulated HPO task, budget 50, instances
1-5, Mann-Whitney p < 0.05), the dimension-scaled prior lost 5 problems to the classic one and
won none (f1, f8 in both dimensions and f15 in 10; mean of median log10 regrets 2.20 against
1.64): with the few trials a GP sampler is given, its long prior length scales smooth away the
structure the search needs, whereas the paper's gains are for far larger budgets and
dimensions. ``dimension_scaled_prior`` stays available for such uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LogPrior:
    """A Gamma(a, b) (``kind="gamma"``) or LogNormal(a, b) (``kind="lognormal"``) prior on
    ``exp(theta)``, evaluated on theta."""

    kind: str
    a: float
    b: float

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The summed log density of the entries of ``theta`` and its gradient."""
        if self.kind == "gamma":
            value = np.exp(theta)
            return float((self.a * theta - self.b * value).sum()), self.a - self.b * value
        centred = theta - self.a
        return float(-0.5 * (centred**2).sum() / self.b**2), -centred / self.b**2

    def mode(self) -> float:
        """The theta of highest density (the starting point of a cold fit)."""
        return math.log(self.a / self.b) if self.kind == "gamma" else self.a


@dataclass(frozen=True)
class GPPrior:
    """Priors on the length scales, the kernel scale and the noise variance of a GP."""

    length_scale: LogPrior
    kernel_scale: LogPrior
    noise: LogPrior


def classic_prior(n_dims: int) -> GPPrior:
    """BoTorch's priors before 0.12 (length scales independent of the dimension)."""
    del n_dims
    return GPPrior(
        length_scale=LogPrior("gamma", 3.0, 6.0),
        kernel_scale=LogPrior("gamma", 2.0, 0.15),
        noise=LogPrior("gamma", 1.1, 0.05),
    )


def dimension_scaled_prior(n_dims: int) -> GPPrior:
    """Length scales whose prior median grows as sqrt(n_dims) (Hvarfner et al. 2024)."""
    return GPPrior(
        length_scale=LogPrior(
            "lognormal", math.sqrt(2.0) + 0.5 * math.log(max(n_dims, 1)), math.sqrt(3.0)
        ),
        kernel_scale=LogPrior("lognormal", 0.0, 1.0),
        noise=LogPrior("lognormal", -4.0, 1.0),
    )


DEFAULT_PRIOR = classic_prior
