"""The margin of CMA-ES with Margin (CMAwM) for integer and stepped params.

Once CMA-ES narrows on a discrete param, every draw decodes to the same value and the search on
that param stops for good. Hamano et al., "CMA-ES with Margin: Lower-Bounding Marginal
Probability for Mixed-Integer Black-Box Optimization" (GECCO 2022) keep the probability of
leaving the mean's value at least ``alpha`` (1 / (n * popsize)) by widening the distribution
along that coordinate only, through a diagonal factor ``A`` (``CmaState.scale``) applied to the
draws and divided out again in the update, so C itself keeps learning unbiased.

Here ``A_j`` is recomputed each generation: 1 where the marginal already reaches a neighbouring
value with probability ``alpha``, otherwise just large enough that the nearer neighbour gets
``alpha``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tansaku.samplers._cmaes._core import CmaState
from tansaku.samplers._cmaes._space import UnitBox


def margin_alpha(n: int, popsize: int) -> float:
    """The paper's default margin, 1 / (n * popsize)."""
    return 1.0 / (n * popsize)


def apply_margin(state: CmaState, box: UnitBox, alpha: float) -> CmaState:
    """``state`` with ``scale`` set so each discrete param leaves its value w.p. >= alpha."""
    if not box.discrete.any():
        return state
    from scipy.special import ndtr, ndtri

    variances = state.cov if state.separable else np.diag(state.cov)
    base_sd = state.sigma * np.sqrt(np.maximum(variances, 1e-300))  # (n,)
    edges_low, edges_high, has_below, has_above = box.cells(state.mean)
    distance_low = np.maximum(state.mean - edges_low, 0.0)
    distance_high = np.maximum(edges_high - state.mean, 0.0)
    with np.errstate(invalid="ignore"):
        p_low = np.where(has_below, ndtr(-distance_low / base_sd), 0.0)
        p_high = np.where(has_above, ndtr(-distance_high / base_sd), 0.0)
    needs = box.discrete & (has_below | has_above) & (p_low + p_high < alpha)
    nearer = np.where(
        has_below & has_above,
        np.minimum(distance_low, distance_high),
        np.where(has_below, distance_low, distance_high),
    )
    wanted_sd = nearer / ndtri(1 - alpha)
    scale = np.where(needs, np.maximum(1.0, wanted_sd / base_sd), 1.0)
    return replace(state, scale=scale)
