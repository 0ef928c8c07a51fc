"""Log expected hypervolume improvement (log-EHVI) of candidates under independent GP posteriors.

The multi-objective acquisition of the GP sampler, as a pure function of posterior means and
variances so that the sampler's acquisition optimizer can treat it like the single-objective
one: values (k,) and their gradients with respect to each model's mean and variance (k, m).

Losses are minimized. With the front F, the reference point r, and the non-dominated region
split into disjoint boxes [l_b, u_b) (:func:`tansaku._pareto.non_dominated_boxes`), the
hypervolume improvement of an outcome y is

    HVI(y) = sum_b prod_j max(0, u_bj - max(l_bj, y_j)).

The value is exact, not an estimate: the sampler models every objective by its own GP, so the
outcomes y_j ~ N(mu_j, s_j^2) are independent, and the expectation of each box's product is the
product of the expectations of its edges. Each edge has a closed form (Emmerich, Giannakoglou
and Naujoks 2006; Yang, Emmerich, Deutz and Baeck 2019 for the box form): with
h(z) = phi(z) + z Phi(z) = E[max(0, z - N(0, 1))],

    E[max(0, u - max(l, y))] = E[max(0, u - y)] - E[max(0, l - y)]
                             = s (h((u - mu) / s) - h((l - mu) / s)),

h(-inf) = 0. Where EHVI is representable (above e^-500) plain arithmetic evaluates it, exactly
to rounding: a difference h(a) - h(b) that cancels loses at most 1e-16 of the box extended down
to -inf in that objective, which is part of the region too. Below, everything is summed in
log space, as log-EI is (Ament, Daulton, Eriksson, Balandat and Bakshy, "Unexpected
improvements to expected improvement", NeurIPS 2023): log h through erfcx, and by an
asymptotic series far in the lower tail; the difference of two h's by log1mexp (by the midpoint
rule for an edge far narrower than the posterior); a box's volume as a sum of logs; the sum
over boxes by log-sum-exp. The value stays finite and its gradient
non-zero however far behind the front the posterior lies (thousands of standard deviations).

Zero variance (a deterministic candidate, or round-off below zero) is floored at a standard
deviation of 1e-9 of the front's extent in that objective. Inside the non-dominated region the
value is then log HVI of the mean to about 1e-9; behind the front it is a very negative but
finite number, about -(distance / floor)^2 / 2, which still rises toward the front, so a
gradient step moves the candidate there. The gradient with respect to the variance is taken at
the floor (not zero) so it still says that more uncertainty would help.

Constraints (one GP per constraint, feasible when <= 0) combine in log space. The front (and
the reference point) come from feasible trials only, and the acquisition is

    log_ehvi(mean, var, front, ref)[0] + sum_c log_pof_c

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

from tansaku._pareto import non_dominated_boxes

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)
_SQRT_HALF = math.sqrt(0.5)
# Beyond |z| = _SERIES_FROM the Gaussian tail quantities come from asymptotic series; below, from
# erfcx (where 1 - x R(x) costs a relative error of about z^2 * 1e-16, 4e-14 at the switch).
_SERIES_FROM = 20.0
# Asymptotic series in 1 / x^2, highest power first for polyval: the Mills ratio
# R(x) = Phi(-x) / phi(x) = 1/x sum_k (-1)^k (2k - 1)!! / x^(2k) and
# B(x) = 1 - x R(x) = 1/x^2 sum_k (-1)^k (2k + 1)!! / x^(2k); 12 terms reach 1e-16 at x = 20.
_SERIES_R = np.array([(-1.0) ** k * math.prod(range(1, 2 * k, 2)) for k in range(12)])[::-1]
_SERIES_B = np.array([(-1.0) ** k * math.prod(range(1, 2 * k + 2, 2)) for k in range(12)])[::-1]
# Standard deviations are floored at this fraction of the front's extent per objective.
_RELATIVE_MIN_SD = 1e-9
# An edge whose two h values agree to this (in log) is narrow against the posterior: its
# expectation is taken by the midpoint rule (relative error below 1e-10 there), where the
# difference of the two h's would lose the digits.
_NARROW = 1e-5
# Terms this far (in log) below a candidate's largest box are dropped from its gradient.
_LOG_NEGLIGIBLE = -60.0
# Where log EHVI is below this, plain arithmetic would lose it to underflow: log space takes over.
_LOG_LINEAR_FLOOR = -500.0
# Upper bound on the elements of one (boxes, candidates) block, to bound memory.
_BLOCK_ELEMENTS = 1 << 14


def log_ehvi(
    mean: np.ndarray,
    var: np.ndarray,
    front: np.ndarray,
    ref: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log of the exact expected hypervolume improvement of k candidates, with its gradients.

    Args:
        mean: (k, m) posterior means of the m objectives (losses) at the candidates.
        var: (k, m) posterior variances; values below the floor (see the module) are raised.
        front: (p, m) observed losses; dominated or duplicate rows change nothing.
        ref: (m,) reference point.

    Returns:
        ``(value, d_mean, d_var)``: value (k,), and its gradients with respect to ``mean`` and
        ``var``, each (k, m).

    The box decomposition of ``front`` is cached (the last few fronts), so repeated calls
    during one acquisition optimization pay for it once.
    """
    mean = np.asarray(mean, dtype=float)
    var = np.asarray(var, dtype=float)
    k, m = mean.shape
    front = np.ascontiguousarray(front, dtype=float).reshape(-1, m)
    ref = np.ascontiguousarray(ref, dtype=float)
    boxes = _boxes(front.tobytes(), ref.tobytes(), m)
    sd = np.sqrt(np.maximum(var, boxes.min_sd**2))  # (k, m)
    value = np.empty(k)
    d_mean = np.empty((k, m))
    d_sd = np.empty((k, m))
    chunk = max(1, _BLOCK_ELEMENTS // boxes.n_boxes)
    for start in range(0, k, chunk):
        rows = slice(start, min(k, start + chunk))
        # Candidates last, so that gathering per-box rows copies contiguous memory.
        value[rows], d_mean[rows], d_sd[rows] = _ehvi_block(
            mean[rows].T.copy(), sd[rows].T.copy(), boxes
        )
    return value, d_mean, d_sd / (2.0 * sd)


class _Objective:
    """One objective's view of the boxes: its distinct bounds and intervals.

    Boxes share bounds (a staircase step spans many boxes), so the special functions are
    evaluated once per distinct bound and the edge formulas once per distinct interval, then
    gathered per box.
    """

    def __init__(self, lower: np.ndarray, upper: np.ndarray) -> None:
        # Sorted by lower bound: the intervals open below (lower = -inf) come first.
        intervals, box_interval = np.unique(
            np.column_stack([lower, upper]), axis=0, return_inverse=True
        )
        self.box_interval = box_interval.reshape(-1)  # (b,) the interval of each box
        self.n_open = int(np.sum(intervals[:, 0] == -np.inf))
        closed = intervals[self.n_open :]
        self.bounds = np.unique(np.concatenate([intervals[:, 1], closed[:, 0]]))  # (e,) finite
        self.upper = np.searchsorted(self.bounds, intervals[:, 1])  # (n,) bound index
        self.lower = np.searchsorted(self.bounds, closed[:, 0])  # (n - n_open,)
        self.width = (closed[:, 1] - closed[:, 0])[:, None]


class _Boxes:
    def __init__(self, lower: np.ndarray, upper: np.ndarray, min_sd: np.ndarray) -> None:
        self.n_boxes = len(lower)
        self.objectives = [_Objective(lower[:, j], upper[:, j]) for j in range(lower.shape[1])]
        self.min_sd = min_sd  # (m,)


@functools.lru_cache(maxsize=8)
def _boxes(front_bytes: bytes, ref_bytes: bytes, m: int) -> _Boxes:
    """Boxes of the non-dominated region and the variance floor, memoized per (front, ref).

    The memo (a few entries, module-wide) only saves recomputation: the acquisition optimizer
    calls :func:`log_ehvi` hundreds of times with one front.
    """
    front = np.frombuffer(front_bytes).reshape(-1, m)
    ref = np.frombuffer(ref_bytes)
    lower, upper = non_dominated_boxes(front, ref)
    below = front[np.all(front < ref, axis=1)]
    # Without a front below ref there is no scale to take; the sampler's losses are standardized.
    extent = ref - below.min(axis=0) if len(below) else np.ones(m)
    return _Boxes(lower, upper, _RELATIVE_MIN_SD * extent)


def _ehvi_block(
    mean: np.ndarray, sd: np.ndarray, boxes: _Boxes
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log EHVI of c candidates given as (m, c) means and standard deviations, and its
    gradients with respect to them, each (c, m).

    Plain arithmetic first: it is several times cheaper than log space, and exact wherever
    EHVI is well above the underflow (a difference h(a) - h(b) that cancels costs at most
    1e-16 of the box extended down to -inf in that objective, which lies in the region too,
    so at most 1e-16 of EHVI per box). Candidates below that go through log space.
    """
    value, grad_mean, grad_sd = _linear_block(mean, sd, boxes)
    tail = ~(value > _LOG_LINEAR_FLOOR)  # also catches log(0) and NaN
    if tail.any():
        value[tail], grad_mean[tail], grad_sd[tail] = _log_ehvi_block(
            mean[:, tail], sd[:, tail], boxes
        )
    return value, grad_mean, grad_sd


def _linear_block(
    mean: np.ndarray, sd: np.ndarray, boxes: _Boxes
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_ehvi_block` in plain arithmetic: -inf or NaN where EHVI underflows."""
    m, c = mean.shape
    factors = []  # per objective: (b, c) expected edge of every box
    slopes = []
    for j, objective in enumerate(boxes.objectives):
        edge, d_mean, d_sd = _expected_edges(mean[j], sd[j], objective)
        factors.append(edge[objective.box_interval])
        slopes.append((d_mean, d_sd))
    # The product of the other objectives' edges, as (product before j) * (product after j).
    before = [np.ones_like(factors[0])]
    for factor in factors[:-1]:
        before.append(before[-1] * factor)
    grad_mean = np.empty((c, m))
    grad_sd = np.empty((c, m))
    after = np.ones_like(factors[0])
    for j in reversed(range(m)):
        others = before[j] * after
        index = boxes.objectives[j].box_interval
        grad_mean[:, j] = np.einsum("bc,bc->c", others, slopes[j][0][index])
        grad_sd[:, j] = np.einsum("bc,bc->c", others, slopes[j][1][index])
        after *= factors[j]
    total = after.sum(axis=0)  # (c,) EHVI
    # A total below ~1e-308 makes its inverse overflow: the gradient of its log is then inf or
    # NaN, which the acquisition's optimizer (_optimize.py) reads as zero.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inv_total = 1.0 / total
        return np.log(total), grad_mean * inv_total[:, None], grad_sd * inv_total[:, None]


def _expected_edges(
    mean: np.ndarray, sd: np.ndarray, objective: _Objective
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """E[max(0, u - max(l, y))] = sd (h(a) - h(b)) for y ~ N(mean, sd^2) (c,) and every
    interval [l, u) of the objective, and its derivatives -(Phi(a) - Phi(b)) and
    phi(a) - phi(b) with respect to mean and sd: each (n, c), in plain arithmetic."""
    z = (objective.bounds[:, None] - mean) / sd  # (e, c)
    cdf = special.ndtr(z)
    pdf = np.exp(-0.5 * z * z) * _INV_SQRT_2PI
    # Cancels for z << 0 (a relative error of z^2 * 1e-16 until it underflows near z = -38).
    h = pdf + z * cdf
    n_open = objective.n_open
    edge = np.empty((len(objective.upper), len(mean)))
    d_mean = np.empty_like(edge)
    d_sd = np.empty_like(edge)
    up = objective.upper[:n_open]
    edge[:n_open] = h[up]
    d_mean[:n_open] = cdf[up]
    d_sd[:n_open] = pdf[up]
    up, lo = objective.upper[n_open:], objective.lower
    np.subtract(h[up], h[lo], out=edge[n_open:])
    np.subtract(cdf[up], cdf[lo], out=d_mean[n_open:])
    np.subtract(pdf[up], pdf[lo], out=d_sd[n_open:])
    edge *= sd
    np.negative(d_mean, out=d_mean)
    return edge, d_mean, d_sd


def _log_ehvi_block(
    mean: np.ndarray, sd: np.ndarray, boxes: _Boxes
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log EHVI of c candidates given as (m, c) means and standard deviations, and its
    gradients with respect to them, each (c, m)."""
    m, c = mean.shape
    log_volume = np.zeros((boxes.n_boxes, c))  # log expected volume of each box
    slopes = []
    for j, objective in enumerate(boxes.objectives):
        log_edge, d_mean, d_sd = _log_expected_edges(mean[j], sd[j], objective)
        log_volume += log_edge[objective.box_interval]
        slopes.append((d_mean, d_sd))
    top = log_volume.max(axis=0)  # (c,) finite: some box is open below in every objective
    # Terms e^-60 below the largest are negligible; clipping them keeps exp away from
    # subnormal results, which are two orders of magnitude slower.
    weights = np.exp(np.maximum(log_volume - top, _LOG_NEGLIGIBLE))
    total = weights.sum(axis=0)
    weights /= total
    value = top + np.log(total)
    grad_mean = np.empty((c, m))
    grad_sd = np.empty((c, m))
    for j, (objective, (d_mean, d_sd)) in enumerate(zip(boxes.objectives, slopes, strict=True)):
        grad_mean[:, j] = np.einsum("bc,bc->c", weights, d_mean[objective.box_interval])
        grad_sd[:, j] = np.einsum("bc,bc->c", weights, d_sd[objective.box_interval])
    return value, grad_mean, grad_sd


def _log_expected_edges(
    mean: np.ndarray, sd: np.ndarray, objective: _Objective
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log E[max(0, u - max(l, y))] for y ~ N(mean, sd^2) (c,) and every interval [l, u) of
    the objective, and its derivatives with respect to mean and sd: each (n, c).

    With a = (u - mean) / sd, b = (l - mean) / sd and D = h(a) - h(b), the expectation is
    sd D, d/dmean = -(Phi(a) - Phi(b)), d/dsd = phi(a) - phi(b). Every ratio is taken between
    scaled values (see :func:`_scaled_tail`), so nothing under- or overflows in the tails.
    """
    z = (objective.bounds[:, None] - mean) / sd  # (e, c)
    log_h, cdf_over_h, pdf_over_h, shift = _scaled_tail(z)
    log_d = np.empty((len(objective.upper), len(mean)))  # log D
    d_mean = np.empty_like(log_d)  # -(Phi(a) - Phi(b)) / D
    d_sd = np.empty_like(log_d)  # (phi(a) - phi(b)) / D
    # Open below: D = h(a).
    n_open = objective.n_open
    up = objective.upper[:n_open]
    log_d[:n_open] = log_h[up] - shift[up]
    d_mean[:n_open] = -cdf_over_h[up]
    d_sd[:n_open] = pdf_over_h[up]
    if n_open < len(log_d):
        up, lo = objective.upper[n_open:], objective.lower
        a, b = z[up], z[lo]
        width = objective.width / sd  # a - b without the cancellation of (u - m) - (l - m)
        # shift(b) - shift(a) = (b'^2 - a'^2) / 2 with b' = min(b, 0), a' = min(a, 0), as
        # (b' - a') (b' + a') / 2, where b' - a' is -width when both are negative, b when only
        # b is, and 0 when neither is: -min(width, -b').
        below_a, below_b = np.minimum(a, 0.0), np.minimum(b, 0.0)
        d_shift = -0.5 * np.minimum(width, -below_b) * (below_a + below_b)
        log_ratio = log_h[lo] - log_h[up] - d_shift  # log(h(b) / h(a)) <= 0
        one_minus = -np.expm1(log_ratio)  # 1 - h(b) / h(a)
        ratio = 1.0 - one_minus
        with np.errstate(divide="ignore", invalid="ignore"):
            closed_log_d = log_h[up] - shift[up] + np.log(one_minus)
            # (Phi(a) - Phi(b)) / h(a) and (phi(a) - phi(b)) / h(a), over 1 - h(b) / h(a).
            closed_d_mean = (cdf_over_h[lo] * ratio - cdf_over_h[up]) / one_minus
            closed_d_sd = (pdf_over_h[up] - pdf_over_h[lo] * ratio) / one_minus
        narrow = log_ratio > -_NARROW
        if narrow.any():
            # Midpoint rule: D = width Phi(mid), Phi(a) - Phi(b) = width phi(mid),
            # phi(a) - phi(b) = -width mid phi(mid), each to a relative O(width^2).
            mid = 0.5 * (a[narrow] + b[narrow])
            mid_log_h, mid_cdf_over_h, mid_pdf_over_h, mid_shift = _scaled_tail(mid)
            mills = mid_pdf_over_h / mid_cdf_over_h  # phi(mid) / Phi(mid)
            closed_log_d[narrow] = np.log(width[narrow] * mid_cdf_over_h) + mid_log_h - mid_shift
            closed_d_mean[narrow] = -mills
            closed_d_sd[narrow] = -mid * mills
        log_d[n_open:] = closed_log_d
        d_mean[n_open:] = np.minimum(closed_d_mean, 0.0)  # Phi is increasing
        d_sd[n_open:] = closed_d_sd
    # E = sd D: log E = log sd + log D; d log E / d mean = d_mean / (sd D) and
    # d log E / d sd = (phi(a) - phi(b)) / (sd D).
    inv_sd = 1.0 / sd
    return log_d + np.log(sd), d_mean * inv_sd, d_sd * inv_sd


def _scaled_tail(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """log h(z) + shift(z), Phi(z) / h(z), phi(z) / h(z), and shift(z) = z^2 / 2 below zero
    (0 above). Scaling out the Gaussian factor keeps ratios exact far in the lower tail, where
    log h is -z^2 / 2 large and differences of such logs would lose all digits.

    One erfcx per element gives everything: with x = |z|, the Mills ratio
    R(x) = Phi(-x) / phi(x) and B(x) = 1 - x R(x), h(-x) = phi(x) B(x) and h(x) = x + h(-x).
    """
    x = np.abs(z)
    # R(x) = sqrt(pi / 2) erfcx(x / sqrt 2); beyond _SERIES_FROM 1 - x R(x) would cancel, and
    # the asymptotic series replace both.
    mills = _SQRT_HALF_PI * special.erfcx(x * _SQRT_HALF)
    bracket = 1.0 - x * mills
    far = x > _SERIES_FROM
    if far.any():
        inv_x2 = 1.0 / (x[far] * x[far])
        bracket[far] = inv_x2 * np.polyval(_SERIES_B, inv_x2)
        mills[far] = np.polyval(_SERIES_R, inv_x2) / x[far]
    # Arithmetic blends rather than np.where: the signs of z follow no pattern, and branching
    # on them costs more than the special function.
    below = np.minimum(z, 0.0)
    above = np.maximum(z, 0.0)
    shift = 0.5 * below * below
    # phi(z) for z >= 0; phi(0), the scaled phi(z), below.
    pdf = np.exp(-0.5 * above * above) * _INV_SQRT_2PI
    # Scaled, h(z) = z + phi(z) B(z) and Phi(z) = 1 - phi(z) R(z) for z >= 0;
    # h(z) = phi(0) B(|z|) and Phi(z) = phi(0) R(|z|) below.
    positive = (z >= 0.0).astype(float)
    h = above + pdf * bracket
    inv_h = 1.0 / h
    cdf_over_h = (positive + (1.0 - 2.0 * positive) * pdf * mills) * inv_h
    return np.log(h), cdf_over_h, pdf * inv_h, shift
