"""Log expected hypervolume improvement (log-EHVI) of candidates under independent GP posteriors.

The multi-objective acquisition of the GP sampler, as a pure function of posterior means and
variances so that the sampler's acquisition optimizer can treat it like the single-objective
one: values (k,) and their gradients with respect to each model's mean and variance (k, m).

Losses are minimized. With the front F, the reference point r, and the non-dominated region
split into disjoint boxes [l_b, u_b) (:func:`tansaku._pareto.non_dominated_boxes`), the
hypervolume improvement of an outcome y is

    HVI(y) = sum_b prod_j max(0, u_bj - max(l_bj, y_j)).

With y = mean + sqrt(var) * z for fixed standard-normal quasi-random draws z_1..z_s
(the reparametrization of Wilson, Hutter and Deisenroth 2018), EHVI is estimated by the
average over the draws. Plain HVI is exactly zero for every draw behind the front, so its
logarithm and gradient are useless there; following qLogEHVI (Ament, Daulton, Eriksson,
Balandat and Bakshy, "Unexpected improvements to expected improvement", NeurIPS 2023) both
kinks are smoothed with a temperature tau_j per objective,

    max(0, d) -> tau softplus(d / tau),   max(l, y) -> l + tau softplus((y - l) / tau),

and everything is summed in log space: log of a box's volume is a sum of logs, log of the sum
over boxes and draws is a log-sum-exp. log softplus(t) ~ t for t -> -inf, so the value stays
finite and its gradient non-zero however far behind the front the posterior lies. The
relaxation moves each box edge by at most tau log 2; tau is 1e-4 of the
front's extent in that objective (the span from the best observed loss to r).

Constraints (one GP per constraint, feasible when <= 0) combine in log space. The front (and
the reference point) come from feasible trials only, and the acquisition is

    log_ehvi(mean, var, front, ref, z)[0] + sum_c log_pof_c

(EHVI times the probability that every constraint holds, constraints independent). Each term's
gradients are with respect to its own models' mean and variance, so they are passed on
unchanged. While no trial is feasible there is no front to improve: the acquisition is the sum
of log_pof_c alone (log-EHVI would only measure the box below r, not feasibility).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import special
from scipy.stats import qmc

from tansaku._pareto import non_dominated_boxes

# Temperature of the relaxation, relative to the extent of the front in each objective.
_RELATIVE_TEMPERATURE = 1e-4
# Variances are floored here so that sqrt(var) and its derivative stay finite.
_MIN_VARIANCE = 1e-20
# Beyond this many temperatures from a kink the relaxation equals its limit to 1e-17 (e^-40).
_BAND = 40.0
# Terms this far (in log) below the largest are negligible; clipping them keeps exp away from
# subnormal results, which are two orders of magnitude slower.
_LOG_NEGLIGIBLE = -60.0
# Upper bound on the elements of one (candidates, draws, boxes) block, to bound memory.
_BLOCK_ELEMENTS = 1 << 16


def standard_normal_draws(n_draws: int, n_objectives: int, seed: int | None) -> np.ndarray:
    """Fixed standard-normal draws (n_draws, n_objectives) for :func:`log_ehvi`: scrambled Sobol
    points mapped by the normal inverse CDF, reproducible from ``seed``.

    Fixing the draws for the whole acquisition optimization makes the estimate a deterministic,
    smooth function of the candidate (common random numbers), which L-BFGS-B needs.
    """
    sobol = qmc.Sobol(d=n_objectives, scramble=True, seed=seed)
    uniform = sobol.random_base2(max(0, math.ceil(math.log2(max(n_draws, 1)))))[:n_draws]
    draws: np.ndarray = special.ndtri(np.clip(uniform, 1e-12, 1.0 - 1e-12))
    return draws


def log_ehvi(
    mean: np.ndarray,
    var: np.ndarray,
    front: np.ndarray,
    ref: np.ndarray,
    z: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log of the (relaxed) Monte-Carlo expected hypervolume improvement of k candidates.

    Args:
        mean: (k, m) posterior means of the m objectives (losses) at the candidates.
        var: (k, m) posterior variances (floored at a tiny positive value).
        front: (p, m) observed losses; dominated or duplicate rows change nothing.
        ref: (m,) reference point.
        z: (s, m) fixed standard-normal draws (:func:`standard_normal_draws`).

    Returns:
        ``(value, d_mean, d_var)``: value (k,), and its gradients with respect to ``mean`` and
        ``var``, each (k, m).

    The box decomposition of ``front`` is cached (the last few fronts), so repeated calls
    during one acquisition optimization pay for it once.
    """
    mean = np.asarray(mean, dtype=float)
    var = np.asarray(var, dtype=float)
    z = np.asarray(z, dtype=float)
    k, m = mean.shape
    front = np.ascontiguousarray(front, dtype=float).reshape(-1, m)
    ref = np.ascontiguousarray(ref, dtype=float)
    tables = _box_tables(front.tobytes(), ref.tobytes(), m)
    sd = np.sqrt(np.maximum(var, _MIN_VARIANCE))  # (k, m)
    s = len(z)
    value = np.empty(k)
    d_y = np.empty((k, s, m))  # d value / d y for every draw
    # Candidates per block: the (boxes, candidates * draws) arrays stay small enough for cache.
    chunk = max(1, _BLOCK_ELEMENTS // (s * tables.n_boxes))
    for start in range(0, k, chunk):
        rows = slice(start, min(k, start + chunk))
        y = mean[rows, None, :] + sd[rows, None, :] * z[None]  # (c, s, m)
        value[rows], d_y[rows] = _log_mean_hvi(y, tables)
    d_mean = d_y.sum(axis=1)
    d_var = np.einsum("ksm,sm->km", d_y, z) / (2.0 * sd)
    return value, d_mean, d_var


class _BoxTables:
    """The boxes, as per-objective tables of their distinct intervals.

    Boxes share intervals in each objective (a staircase step spans many boxes), so the
    transcendental functions are evaluated once per distinct interval and gathered per box.
    """

    def __init__(self, lower: np.ndarray, upper: np.ndarray, tau: np.ndarray) -> None:
        self.n_boxes = len(lower)
        self.tau = tau  # (m,)
        self.lower: list[np.ndarray] = []  # per objective: (c_j,) distinct intervals
        self.upper: list[np.ndarray] = []
        self.index: list[np.ndarray] = []  # per objective: (b,) interval of each box
        for j in range(lower.shape[1]):
            intervals, index = np.unique(
                np.column_stack([lower[:, j], upper[:, j]]), axis=0, return_inverse=True
            )
            self.lower.append(intervals[:, 0])
            self.upper.append(intervals[:, 1])
            self.index.append(index.reshape(-1))


@functools.lru_cache(maxsize=8)
def _box_tables(front_bytes: bytes, ref_bytes: bytes, m: int) -> _BoxTables:
    """Boxes of the non-dominated region and the temperatures, memoized per (front, ref).

    The memo (a few entries, module-wide) only saves recomputation: the acquisition optimizer
    calls :func:`log_ehvi` hundreds of times with one front.
    """
    front = np.frombuffer(front_bytes).reshape(-1, m)
    ref = np.frombuffer(ref_bytes)
    lower, upper = non_dominated_boxes(front, ref)
    below = front[np.all(front < ref, axis=1)]
    # Without a front below ref there is no scale to take; the sampler's losses are standardized.
    extent = ref - below.min(axis=0) if len(below) else np.ones(m)
    return _BoxTables(lower, upper, _RELATIVE_TEMPERATURE * extent)


def _log_mean_hvi(y: np.ndarray, tables: _BoxTables) -> tuple[np.ndarray, np.ndarray]:
    """log of the mean over draws of the relaxed HVI of outcomes ``y`` (c, s, m), and its
    gradient with respect to ``y`` (c, s, m).

    Arrays are laid out (boxes or intervals, c * s) so that gathering boxes from their
    intervals copies whole contiguous rows.
    """
    c, s, m = y.shape
    outcomes = y.reshape(c * s, m).T  # (m, c * s)
    log_volume = np.zeros((tables.n_boxes, c * s))  # log relaxed volume of each box
    slopes = []  # per objective: (c_j, c * s) d log edge / d y_j
    for j in range(m):
        log_edge, slope = _log_edge(outcomes[j], tables.lower[j], tables.upper[j], tables.tau[j])
        log_volume += log_edge[tables.index[j]]
        slopes.append(slope)
    # log mean over draws of the sum over boxes, and the softmax weight of every term.
    per_candidate = log_volume.reshape(tables.n_boxes, c, s)
    top = per_candidate.max(axis=(0, 2), keepdims=True)  # (1, c, 1)
    weights = np.exp(np.maximum(per_candidate - top, _LOG_NEGLIGIBLE))
    total = weights.sum(axis=(0, 2), keepdims=True)
    weights /= total
    value = (top + np.log(total)).reshape(c) - math.log(s)
    weights = weights.reshape(tables.n_boxes, c * s)
    d_y = np.empty((m, c * s))
    for j in range(m):
        d_y[j] = np.einsum("br,br->r", weights, slopes[j][tables.index[j]])
    return value, d_y.T.reshape(c, s, m)


def _log_edge(
    y: np.ndarray, lower: np.ndarray, upper: np.ndarray, tau: float
) -> tuple[np.ndarray, np.ndarray]:
    """log of the relaxed edge tau softplus((upper - smoothmax(lower, y)) / tau) for outcomes
    ``y`` (r,) and intervals (n,), and its derivative with respect to y: each (n, r).

    Outside a band of a few tau around each kink the relaxation equals its limit to 1e-13, so
    the transcendental formulas run only on the entries inside the band.
    """
    # Smooth max(lower, y) = max(lower, y) + tau softplus(-|y - lower| / tau); y itself where
    # lower = -inf, the only case in some objectives.
    d_smooth_max: np.ndarray | float = 1.0
    if np.all(lower == -np.inf):
        distance = upper[:, None] - y  # (n, r)
    else:
        smooth_max = np.maximum(y, lower[:, None])
        gap = y - lower[:, None]
        sigmoid = (gap >= 0.0).astype(float)
        near = np.abs(gap) < _BAND * tau
        if near.any():
            g = gap[near] / tau
            decay = np.exp(-np.abs(g))
            smooth_max[near] += tau * np.log1p(decay)
            sigmoid[near] = np.where(g >= 0.0, 1.0, decay) / (1.0 + decay)
        d_smooth_max = sigmoid
        distance = upper[:, None] - smooth_max
    # log(tau softplus(t)) with t = distance / tau is log(distance) above the band and
    # log(tau) + t below it; one formula gives both.
    t = distance / tau
    floored = np.maximum(distance, tau)
    log_edge = np.log(floored) + np.minimum(t, 0.0)
    slope = -1.0 / floored
    band = np.abs(t) <= _BAND
    if band.any():
        tb = t[band]
        decay = np.exp(-np.abs(tb))
        softplus = np.maximum(tb, 0.0) + np.log1p(decay)
        log_edge[band] = math.log(tau) + np.log(softplus)
        slope[band] = -np.where(tb >= 0.0, 1.0, decay) / ((1.0 + decay) * softplus * tau)
    return log_edge, slope * d_smooth_max
