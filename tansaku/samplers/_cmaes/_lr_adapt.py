"""Learning-rate adaptation (LRA-CMA-ES) for multimodal and noisy objectives.

Nomura et al., "CMA-ES with Learning Rate Adaptation: Can CMA-ES with Default Population Size
Solve Multimodal and Noisy Problems?" (GECCO 2023). The update of the mean and of the
covariance is each scaled by a learning rate ``eta``, adapted so that the signal-to-noise ratio
of the updates (estimated from moving averages of the updates in the local coordinates of the
current distribution) stays near ``alpha * eta``: noisy updates shrink ``eta``, consistent ones
grow it back towards 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from tansaku.samplers._cmaes._core import CmaState, Eigen

# The paper's constants (Sec. 4): target ratio, averaging rates, and the cap on eta's change.
ALPHA = 1.4
BETA_MEAN = 0.1
BETA_COV = 0.03
GAMMA = 0.1


@dataclass(frozen=True)
class LrState:
    """The adapted learning rates and the moving averages of the updates they come from."""

    eta_mean: float
    eta_cov: float
    e_mean: np.ndarray  # (n,)
    v_mean: float
    e_cov: np.ndarray  # (n * n,)
    v_cov: float

    @classmethod
    def initial(cls, n: int) -> LrState:
        return cls(1.0, 1.0, np.zeros(n), 0.0, np.zeros(n * n), 0.0)


def _adapted_eta(
    eta: float, beta: float, e: np.ndarray, v: float, step: np.ndarray
) -> tuple[float, np.ndarray, float]:
    e = (1 - beta) * e + beta * step
    v = (1 - beta) * v + beta * float(step @ step)
    e_sq = float(e @ e)
    denominator = v - e_sq
    snr = (e_sq - beta / (2 - beta) * v) / denominator if denominator > 1e-300 else 0.0
    change = min(GAMMA * eta, beta) * float(np.clip(snr / (ALPHA * eta) - 1, -1.0, 1.0))
    return min(1.0, eta * math.exp(change)), e, v


def adapt(
    old: CmaState, eigen: Eigen, proposed: CmaState, lr: LrState
) -> tuple[CmaState, LrState]:
    """Move from ``old`` towards the plain CMA-ES ``proposed`` state by the adapted rates."""
    sqrt_inv = eigen.times_inv_sqrt
    mean_step = sqrt_inv((proposed.mean - old.mean) / old.sigma)  # (n,) local coordinates
    ratio = (proposed.sigma / old.sigma) ** 2
    cov_step = sqrt_inv(sqrt_inv(ratio * proposed.cov - old.cov).T)  # (n, n)
    cov_step = cov_step.ravel() / math.sqrt(2)
    eta_mean, e_mean, v_mean = _adapted_eta(
        lr.eta_mean, BETA_MEAN, lr.e_mean, lr.v_mean, mean_step
    )
    eta_cov, e_cov, v_cov = _adapted_eta(lr.eta_cov, BETA_COV, lr.e_cov, lr.v_cov, cov_step)
    state = replace(
        proposed,
        mean=old.mean + eta_mean * (proposed.mean - old.mean),
        sigma=old.sigma * (proposed.sigma / old.sigma) ** eta_cov,
        cov=old.cov + eta_cov * (proposed.cov - old.cov),
    )
    return state, LrState(eta_mean, eta_cov, e_mean, v_mean, e_cov, v_cov)
