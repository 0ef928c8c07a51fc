"""Warm starting (WS-CMA-ES): the initial distribution from the good trials of a similar study.

Nomura et al., "Warm Starting CMA-ES for Hyperparameter Optimization" (AAAI 2021): the best
``gamma`` fraction of the source trials, each blurred by an isotropic Gaussian of spread
``alpha``, form a mixture that says where the target's optimum probably lies; the Gaussian
closest to that mixture in KL divergence has the mixture's mean and covariance, and CMA-ES
starts from it (step size det(S)^(1/2n), C = S / sigma^2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tansaku.samplers._cmaes._space import UnitBox
from tansaku.trial import FrozenTrial, TrialState

# The paper's defaults: the top 10% of the source trials, each blurred by 0.1 (of the box).
GAMMA = 0.1
ALPHA = 0.1


def warm_start(
    box: UnitBox, source_trials: Sequence[FrozenTrial], maximize: bool
) -> tuple[np.ndarray, float, np.ndarray] | None:
    """The mean, step size and C to start from, or None if no source trial fits the box."""
    usable = [
        trial
        for trial in source_trials
        if trial.state == TrialState.COMPLETE
        and trial.values is not None
        and len(trial.values) == 1
        and all(name in trial.params for name in box.names)
    ]
    if not usable:
        return None
    values = np.array([trial.values[0] for trial in usable])  # type: ignore[index]
    values = -values if maximize else values
    order = np.argsort(values, kind="stable")
    n_top = max(1, math.floor(len(usable) * GAMMA))
    top = np.array([box.encode(usable[i].params) for i in order[:n_top]])  # (n_top, n)
    mean = top.mean(axis=0)
    centred = top - mean
    cov = ALPHA**2 * np.eye(box.n) + centred.T @ centred / n_top
    sign, log_det = np.linalg.slogdet(cov)
    sigma = math.exp(log_det / (2 * box.n)) if sign > 0 else ALPHA
    return mean, sigma, cov / sigma**2
