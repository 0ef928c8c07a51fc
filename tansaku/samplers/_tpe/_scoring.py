"""Scoring points under Parzen estimators: log densities, jointly or one param at a time.

All the kernels of the estimators scored together (TPE's good and bad ones) are laid side by side
in one (n_points, n_kernels) array per pass: the continuous params' Gaussian exponents come from
one matrix product (the square in the exponent expanded), discrete params add the log mass of
each point's bin (looked up in per-kernel tables for params with few values), categorical ones
their smoothed histogram's log probability, and a log-sum-exp over each estimator's kernels
ends it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tansaku.samplers._tpe._encoding import Points
from tansaku.samplers._tpe._truncnorm import LOG_SQRT_2PI, log_interval_mass, log_unit_normalizer

if TYPE_CHECKING:
    from tansaku.samplers._tpe.parzen_estimator import ParzenEstimator

# Below this bandwidth the expanded-square form of the Gaussian exponent loses precision.
GEMM_MIN_BANDWIDTH = 1e-4
# A bin narrower than this many bandwidths gets its mass by the midpoint rule (relative error
# about ratio^2 / 24 * (z^2 - 1), a fraction of a percent where the kernel matters).
_MIDPOINT_MAX_WIDTH = 0.1
# Multiply-adds per matrix product below which OpenBLAS stays on one thread (2^18, with margin).
_BLAS_ONE_THREAD_MAX = 240_000
# From this many kernels on, the masses of a discrete param are computed per distinct kernel.
_DEDUPLICATE_MIN_KERNELS = 256
# A bin farther than this many bandwidths from a kernel gets less than 1e-16 of its mass.
_FAR_Z = 8.3
# Below this log ratio to the largest term, a term of a log-sum-exp adds nothing.
_NEGLIGIBLE_LOG = -700.0


def log_pdfs(
    estimators: list[ParzenEstimator], points: Points, workspace: Workspace
) -> list[np.ndarray]:
    """Log densities (log masses along discrete params) of the same points under several
    estimators of one space, each (n,), computed in one pass over all their kernels.

    Args:
        estimators: Estimators of the same encoding.
        points: The points.
        workspace: Scratch arrays reused across calls.
    """
    encoding = estimators[0].encoding
    continuous, pairwise = encoding.continuous_index, encoding.pairwise_index
    d_cont = len(continuous)
    expanded = d_cont and min(e.min_sigma for e in estimators) >= GEMM_MIN_BANDWIDTH
    n_kernels = sum(e.n_kernels for e in estimators)
    weights = _stacked([e.weights for e in estimators])
    if len(pairwise) or not expanded:
        mus = _stacked([e.mus for e in estimators])
        sigmas = _stacked([e.sigmas for e in estimators])
    unit = points.unit
    n = len(unit)
    # log(weight / mass in the cube) of each kernel plus its log density at each point:
    # (n, n_kernels), built in place.
    terms = workspace.array("terms", (n, n_kernels))
    # A zero weight (from a user's ``weights``) gets a negligible one instead of log(0).
    log_weights = np.log(np.maximum(weights, 1e-300))  # (n_kernels,)
    n_factors = 2 * d_cont + 1
    if expanded:
        # -sum_c (x - mu)^2 / (2 s^2) expands into a product of [-x^2 / 2, x, 1] with the
        # features [1 / s^2, mu / s^2, constant]: one matrix product, no (n, kernels, d) array.
        x = unit if d_cont == encoding.n_numerical else unit[:, continuous]
        left = np.empty((n, n_factors))
        left[:, :d_cont] = -0.5 * x * x
        left[:, d_cont : 2 * d_cont] = x
        left[:, -1] = 1.0
        # A contiguous copy: matmul takes BLAS's fast path only on contiguous operands.
        right = workspace.array("right", (n_kernels, n_factors))
        start = 0
        for estimator in estimators:
            stop = start + estimator.n_kernels
            estimator.features_into(right[start:stop], n_factors)
            start = stop
        right[:, -1] += log_weights
        _matmul(left, right.T, terms)
    else:
        neg_log_mass = _stacked([e.features[:, n_factors] for e in estimators])
        if d_cont:
            # Bandwidths this small lose precision in the expanded square: subtract first.
            x = unit[:, continuous]
            inverse_variance = _stacked([e.features[:, :d_cont] for e in estimators])
            diff = x[:, None, :] - mus[None, :, continuous]  # (n, n_kernels, d_cont)
            np.sum(diff * diff * inverse_variance, axis=2, out=terms)
            terms *= -0.5
            log_scale = np.log(sigmas[:, continuous]).sum(axis=1) + d_cont * LOG_SQRT_2PI
            terms += log_weights + neg_log_mass - log_scale
        else:
            terms[:] = log_weights + neg_log_mass
    slices = _kernel_slices(estimators)
    for t, j in enumerate(encoding.tabulated_index):
        for estimator, kernels in zip(estimators, slices):
            terms[:, kernels] += estimator.bin_log_masses_at(t, points.bins[:, j])
    for j in pairwise:
        _add_log_bin_mass(
            terms,
            points.edge_low[:, j],
            points.edge_high[:, j],
            mus[:, j],
            sigmas[:, j],
            workspace,
        )
    for c in range(len(encoding.n_choices)):
        for estimator, kernels in zip(estimators, slices):
            terms[:, kernels] += estimator.categorical_log_probs_at(c, points.choices[:, c])
    return [_logsumexp_rows(terms[:, kernels]) for kernels in slices]


def log_marginal_pdfs(
    estimators: list[ParzenEstimator], points: Points, workspace: Workspace
) -> list[np.ndarray]:
    """Log marginal densities (masses for discrete params, probabilities for categorical
    ones) of each param of the same points under several estimators of one space, each
    (n, d_num + d_cat) with numerical params first. The univariate TPE scores each param on
    its own with these (Bergstra et al. 2011, Sec. 4).

    Args:
        estimators: Estimators of the same encoding.
        points: The points.
        workspace: Scratch arrays reused across calls.
    """
    encoding = estimators[0].encoding
    continuous, d_num = encoding.continuous_index, encoding.n_numerical
    d_cont = len(continuous)
    weights = _stacked([e.weights for e in estimators])
    features = _stacked([e.features for e in estimators])
    mus = _stacked([e.mus for e in estimators])
    sigmas = _stacked([e.sigmas for e in estimators])
    n, n_kernels = len(points.unit), len(weights)
    log_weights = np.log(np.maximum(weights, 1e-300))
    # Per param, log(weight) + the kernel's log density at each point: (d, n, n_kernels)
    terms = workspace.array("marginal_terms", (d_num + len(encoding.n_choices), n, n_kernels))
    marginal = features[:, 2 * d_cont + 2 :]  # (n_kernels, d_num)
    if d_cont and min(e.min_sigma for e in estimators) >= GEMM_MIN_BANDWIDTH:
        # The exponent is a quadratic in x: [-x^2 / 2, x, 1] @ [1 / s^2, mu / s^2, constant],
        # one small matrix product per param.
        x = points.unit[:, continuous].T  # (d_cont, n)
        left = np.stack([-0.5 * x * x, x, np.ones_like(x)], axis=2)  # (d_cont, n, 3)
        right = np.empty((d_cont, 3, n_kernels))
        right[:, 0] = features[:, :d_cont].T
        right[:, 1] = features[:, d_cont : 2 * d_cont].T
        right[:, 2] = (marginal[:, continuous] + log_weights[:, None]).T
        if d_cont == d_num:
            _matmul(left, right, terms[:d_cont])
        else:
            product = np.empty((d_cont, n, n_kernels))
            _matmul(left, right, product)
            terms[continuous] = product
    elif d_cont:
        # Bandwidths this small lose precision in the expanded square: subtract first.
        x = points.unit[:, continuous].T  # (d_cont, n)
        mus_c, sigmas_c = mus[:, continuous].T, sigmas[:, continuous].T  # (d_cont, n_kernels)
        diff = (x[:, :, None] - mus_c[:, None, :]) / sigmas_c[:, None, :]
        constant = -np.log(sigmas_c) - LOG_SQRT_2PI - log_unit_normalizer(mus_c, sigmas_c)
        terms[continuous] = -0.5 * diff * diff + (constant + log_weights)[:, None, :]
    slices = _kernel_slices(estimators)
    for t, j in enumerate(encoding.tabulated_index):
        terms[j] = marginal[:, j] + log_weights
        for estimator, kernels in zip(estimators, slices):
            terms[j][:, kernels] += estimator.bin_log_masses_at(t, points.bins[:, j])
    for j in encoding.pairwise_index:
        terms[j] = marginal[:, j] + log_weights
        _add_log_bin_mass(
            terms[j],
            points.edge_low[:, j],
            points.edge_high[:, j],
            mus[:, j],
            sigmas[:, j],
            workspace,
        )
    for c in range(len(encoding.n_choices)):
        terms[d_num + c] = log_weights
        for estimator, kernels in zip(estimators, slices):
            chosen = points.choices[:, c]
            terms[d_num + c][:, kernels] += estimator.categorical_log_probs_at(c, chosen)
    results = []
    for kernels in slices:
        block = terms[:, :, kernels]
        peak = block.max(axis=2)  # (d, n)
        block -= peak[:, :, None]
        np.maximum(block, _NEGLIGIBLE_LOG, out=block)
        np.exp(block, out=block)
        results.append((peak + np.log(block.sum(axis=2))).T)  # (n, d)
    return results


class Workspace:
    """Scratch arrays reused from call to call.

    A fresh (n_candidates, n_kernels) array per operation would be allocated and freed on every
    trial; past a few hundred kilobytes each such allocation costs page faults that take longer
    than the arithmetic. One workspace serves one thread at a time.
    """

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """An uninitialized float array of ``shape``, the same memory as the last call's."""
        size = int(np.prod(shape))
        buffer = self._buffers.get(name)
        if buffer is None or buffer.size < size:
            buffer = np.empty(max(size, 2 * (buffer.size if buffer is not None else 0)))
            self._buffers[name] = buffer
        return buffer[:size].reshape(shape)


def _add_log_bin_mass(
    terms: np.ndarray,
    edge_low: np.ndarray,
    edge_high: np.ndarray,
    mu: np.ndarray,
    sigma: np.ndarray,
    workspace: Workspace,
) -> None:
    """Add to ``terms`` (n, n_kernels) the log mass each kernel (mu, sigma: (n_kernels,))
    puts on each point's bin [edge_low, edge_high] (n,), once per distinct kernel.

    Discrete params take few values, so many kernels coincide (more so as TPE converges on a
    few values): their masses are computed once and copied.
    """
    if len(mu) >= _DEDUPLICATE_MIN_KERNELS:
        # Complex numbers sort by real then imaginary part: exact pairs (mu, sigma).
        keys = np.empty(len(mu), dtype=np.complex128)
        keys.real, keys.imag = mu, sigma
        distinct, inverse = np.unique(keys, return_inverse=True)
        if 2 * len(distinct) <= len(mu):
            shape = (len(terms), len(distinct))
            log_mass = workspace.array("distinct_log_mass", shape)
            log_mass[:] = 0.0
            _add_distinct_log_bin_mass(
                log_mass, edge_low, edge_high, distinct.real, distinct.imag, workspace
            )
            terms += log_mass[:, inverse.ravel()]
            return
    _add_distinct_log_bin_mass(terms, edge_low, edge_high, mu, sigma, workspace)


def _add_distinct_log_bin_mass(
    terms: np.ndarray,
    edge_low: np.ndarray,
    edge_high: np.ndarray,
    mu: np.ndarray,
    sigma: np.ndarray,
    workspace: Workspace,
) -> None:
    """Add to ``terms`` (n, n_kernels) the log mass each kernel (mu, sigma: (n_kernels,))
    puts on each point's bin [edge_low, edge_high] (n,).

    Bins much narrower than the kernel take the midpoint rule, density times width, and so do
    bins more than 8.3 bandwidths away from it (their mass, below 1e-13 either way, is nil
    next to the prior kernel's); the others take the exact difference of normal CDFs.
    """
    z_low = workspace.array("z_low", terms.shape)
    z_high = workspace.array("z_high", terms.shape)
    np.subtract(edge_low[:, None], mu, out=z_low)
    z_low /= sigma
    np.subtract(edge_high[:, None], mu, out=z_high)
    z_high /= sigma
    # Midpoint rule everywhere: log(phi(z_mid) * width / sigma)
    log_mass = workspace.array("log_mass", terms.shape)
    np.add(z_low, z_high, out=log_mass)
    log_mass *= 0.5
    np.square(log_mass, out=log_mass)
    log_mass *= -0.5
    log_mass += np.log(edge_high - edge_low)[:, None] - np.log(sigma) - LOG_SQRT_2PI
    # ... replaced by the exact mass where the bin is wide and near.
    exact = np.subtract(z_high, z_low) > _MIDPOINT_MAX_WIDTH
    exact &= z_low < _FAR_Z
    exact &= z_high > -_FAR_Z
    if exact.any():
        log_mass[exact] = log_interval_mass(z_low[exact], z_high[exact])
    terms += log_mass


def _matmul(left: np.ndarray, right: np.ndarray, out: np.ndarray) -> None:
    """``out = left @ right``, in column blocks small enough for BLAS to run on one thread.

    OpenBLAS spreads a product over threads above about 2^18 multiply-adds, and its idle
    threads then spin: for products this small, that costs more CPU time than it saves.
    """
    rows, inner = left.shape[-2:]
    columns = right.shape[-1]
    block = max(1, _BLAS_ONE_THREAD_MAX // (rows * inner))  # stacked products: per matrix
    for start in range(0, columns, block):
        np.matmul(left, right[..., start : start + block], out=out[..., start : start + block])


def _kernel_slices(estimators: list[ParzenEstimator]) -> list[slice]:
    """Where each estimator's kernels sit among all of them, side by side."""
    slices = []
    start = 0
    for estimator in estimators:
        slices.append(slice(start, start + estimator.n_kernels))
        start += estimator.n_kernels
    return slices


def _stacked(arrays: list[np.ndarray]) -> np.ndarray:
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _logsumexp_rows(values: np.ndarray) -> np.ndarray:
    """log(sum(exp(values), axis=1)), overwriting ``values``."""
    peak = values.max(axis=1)  # (n,); finite: every mixture has the prior
    values -= peak[:, None]
    # Most kernels are far from most points. exp takes a slow path below its underflow
    # threshold, so such terms are raised to one that still adds nothing (e^-700 ~ 1e-304).
    np.maximum(values, _NEGLIGIBLE_LOG, out=values)
    np.exp(values, out=values)
    log_sums: np.ndarray = peak + np.log(values.sum(axis=1))
    return log_sums
