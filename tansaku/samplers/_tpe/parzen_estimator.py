"""The Parzen estimator of TPE: a weighted mixture of product kernels over the unit cube.

Each observation contributes one kernel: a Gaussian truncated to [0, 1] for every numerical
param (integrated over the param's bin when it is discrete) and a smoothed histogram row for every
categorical param; one more *prior* kernel (a Gaussian at the centre as wide as the range, a
uniform row) keeps the density positive everywhere (Bergstra et al. 2011, Sec. 4; Watanabe
2023). Kernel bandwidths follow the neighbour rule of Bergstra et al. (2011, Sec. 4): the
larger gap to the kernel's neighbouring observations along each param.

Everything is held as arrays of shape (n_kernels, ...), so sampling and scoring all the
candidates of a trial are a few numpy passes with no loop over kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tansaku.samplers._tpe._encoding import Points, SpaceEncoding
from tansaku.samplers._tpe._scoring import Workspace, log_marginal_pdfs
from tansaku.samplers._tpe._truncnorm import (
    LOG_SQRT_2PI,
    log_unit_normalizer,
    sample_unit_truncnorm,
)

# Smallest bandwidth (in units of the param's range) when magic clipping is off.
_EPS_BANDWIDTH = 1e-12


@dataclass(frozen=True)
class RowSource:
    """Kernels whose per-kernel arrays are rows of caches kept elsewhere: an estimator reads
    them on demand instead of copying them (for thousands of kernels, the copies cost more
    than the scoring). The caches must not change while the estimator is in use.

    Attributes:
        rows: The cache rows of the estimator's first kernels, (m,).
        unit: Cache of kernel means, one row per history row.
        features: Cache of kernel features, likewise.
        bin_log_masses: Caches of bin log masses, one per tabulated discrete param, laid out
            bins first: (n_bins, history rows).
        tail_mus: Means of the kernels after the rows' (the extras, then the prior).
        tail_features: Their features.
        tail_bin_log_masses: Their bin log masses.
    """

    rows: np.ndarray
    unit: np.ndarray
    features: np.ndarray
    bin_log_masses: list[np.ndarray]
    tail_mus: np.ndarray
    tail_features: np.ndarray
    tail_bin_log_masses: list[np.ndarray]

    def stacked(self, cache: np.ndarray, tail: np.ndarray) -> np.ndarray:
        """The cache's rows followed by ``tail``."""
        m = len(self.rows)
        result = np.empty((m + len(tail), cache.shape[1]))
        np.take(cache, self.rows, axis=0, out=result[:m])
        result[m:] = tail
        return result


@dataclass(frozen=True)
class ParzenOptions:
    """How kernels are built; see :class:`~tansaku.samplers.TPESampler` for the meaning.

    Attributes:
        prior_weight: Weight of the prior kernel, relative to an observation's weight of 1.
        magic_clip: Bound the bandwidths below by ``1 / min(100, n_kernels + 1)`` of the range.
        endpoints: Let the range's ends count as neighbours in the neighbour rule.
    """

    prior_weight: float = 1.0
    magic_clip: bool = True
    endpoints: bool = False

    def min_bandwidth(self, n_kernels: int) -> float:
        """The smallest bandwidth of a mixture of ``n_kernels`` (in units of the range)."""
        if not self.magic_clip:
            return _EPS_BANDWIDTH
        return 1.0 / min(100.0, 1.0 + n_kernels)  # hyperopt's "magic clip" (Watanabe 2023)


class ParzenEstimator:
    """A mixture over the unit cube: one kernel per observation, and the prior last.

    A kernel's categorical part is a smoothed histogram: its observation's choice gets
    ``(1 + e) / (1 + C e)`` and every other choice ``e / (1 + C e)``, with
    ``e = prior_weight / n_kernels`` and ``C`` choices; the prior's is uniform.

    Attributes:
        weights: Normalized mixture weights, (n_kernels,).
        sigmas: Kernel bandwidths of the numerical params, (n_kernels, d_num).
        choices: The observations' choice indices, (n_kernels - 1, d_cat).
        min_sigma: The smallest bandwidth.
    """

    def __init__(
        self,
        encoding: SpaceEncoding,
        weights: np.ndarray,
        sigmas: np.ndarray,
        choices: np.ndarray,
        prior_weight: float,
        mus: np.ndarray | None = None,
        source: RowSource | None = None,
    ) -> None:
        self.encoding = encoding
        self.weights = weights
        self.sigmas = sigmas
        self.choices = choices
        self._smoothing = prior_weight / len(weights)
        self._mus = mus
        self._source = source
        self._features: np.ndarray | None = None
        self._bin_log_masses: list[np.ndarray] | None = None
        if source is None:
            assert mus is not None
            self._features = kernel_features(encoding, mus, sigmas)
            self._bin_log_masses = bin_log_mass_tables(encoding, mus, sigmas)
        self.min_sigma = float(sigmas.min()) if sigmas.size else 1.0

    @classmethod
    def fit(
        cls,
        encoding: SpaceEncoding,
        unit: np.ndarray,
        choices: np.ndarray,
        weights: np.ndarray,
        options: ParzenOptions,
    ) -> ParzenEstimator:
        """Build the estimator of some observations from scratch.

        Args:
            encoding: The search space.
            unit: Numerical observations in the unit cube, (n_obs, d_num).
            choices: Categorical observations as choice indices, (n_obs, d_cat).
            weights: Non-negative observation weights, (n_obs,).
            options: How to build the kernels.
        """
        mus = np.empty((len(unit) + 1, unit.shape[1]))  # the prior's mean last
        mus[:-1] = unit
        mus[-1] = 0.5
        kernels = np.argsort(unit.T, axis=1, kind="stable")  # (d_num, n_obs)
        ordered = np.take_along_axis(unit.T, kernels, axis=1)
        return cls(
            encoding,
            mixture_weights(weights, options.prior_weight),
            neighbour_bandwidths(ordered, kernels, options),
            choices,
            options.prior_weight,
            mus=mus,
        )

    @property
    def n_kernels(self) -> int:
        """How many kernels the mixture has, the prior included."""
        return len(self.weights)

    # -- per-kernel data, read from the caches of a row source on first use ----------------------
    @property
    def mus(self) -> np.ndarray:
        """Kernel means of the numerical params, (n_kernels, d_num)."""
        if self._mus is None:
            assert self._source is not None
            self._mus = self._source.stacked(self._source.unit, self._source.tail_mus)
        return self._mus

    @property
    def features(self) -> np.ndarray:
        """See :func:`kernel_features`, (n_kernels, n_features)."""
        if self._features is None:
            source = self._source
            assert source is not None
            self._features = source.stacked(source.features, source.tail_features)
        return self._features

    @property
    def bin_log_masses(self) -> list[np.ndarray]:
        """See :func:`bin_log_mass_tables`: (n_kernels, n_bins) per tabulated param."""
        if self._bin_log_masses is None:
            source = self._source
            assert source is not None
            self._bin_log_masses = [
                np.vstack([np.take(cache, source.rows, axis=1).T, tail])
                for cache, tail in zip(source.bin_log_masses, source.tail_bin_log_masses)
            ]
        return self._bin_log_masses

    def materialize(self) -> None:
        """Copy everything read from a row source, so that the estimator outlives the caches'
        next change."""
        _ = (self.mus, self.features, self.bin_log_masses)
        self._source = None

    def features_into(self, out: np.ndarray, columns: int) -> None:
        """Write the first ``columns`` feature columns into ``out`` (n_kernels, columns)
        without building the whole feature array."""
        source = self._source
        if self._features is not None or source is None:
            out[:] = self.features[:, :columns]
            return
        m = len(source.rows)
        np.take(source.features[:, :columns], source.rows, axis=0, out=out[:m])
        out[m:] = source.tail_features[:, :columns]

    def bin_log_masses_at(self, t: int, bins: np.ndarray) -> np.ndarray:
        """The log mass of bins ``bins`` (n,) of tabulated param ``t`` under every kernel,
        (n, n_kernels), without building the whole table."""
        source = self._source
        if self._bin_log_masses is not None or source is None:
            log_masses: np.ndarray = self.bin_log_masses[t][:, bins].T
            return log_masses
        # Few distinct bins among the points: gather each one's row of the cache once.
        distinct, inverse = np.unique(bins, return_inverse=True)
        m = len(source.rows)
        per_bin = np.empty((len(distinct), self.n_kernels))
        np.take(source.bin_log_masses[t][distinct], source.rows, axis=1, out=per_bin[:, :m])
        per_bin[:, m:] = source.tail_bin_log_masses[t][:, distinct].T
        return per_bin[inverse.ravel()]

    def categorical_log_probs_at(self, j: int, chosen: np.ndarray) -> np.ndarray:
        """The log probability of choices ``chosen`` (n,) of categorical param ``j`` under
        every kernel, (n, n_kernels)."""
        n_choices = self.encoding.n_choices[j]
        total = 1.0 + n_choices * self._smoothing
        own, other = np.log((1.0 + self._smoothing) / total), np.log(self._smoothing / total)
        result = np.empty((len(chosen), self.n_kernels))
        np.equal(chosen[:, None], self.choices[:, j], out=result[:, :-1], casting="unsafe")
        result[:, :-1] *= own - other
        result[:, :-1] += other
        result[:, -1] = -np.log(n_choices)  # the prior
        return result

    # -- sampling and scoring ----------------------------------------------------------------
    def _draw_choices(self, rng: np.random.Generator, j: int, kernel: np.ndarray) -> np.ndarray:
        """One choice of categorical param ``j`` from each of the kernels ``kernel`` (size,):
        the kernel's own with probability 1 / (1 + C e), else a uniform one (which is how the
        smoothed histogram decomposes); the prior's is always uniform."""
        n_choices = self.encoding.n_choices[j]
        size = len(kernel)
        uniform = rng.integers(0, n_choices, size)
        if not len(self.choices):
            return uniform
        own = rng.random(size) * (1.0 + n_choices * self._smoothing) < 1.0
        own &= kernel < len(self.choices)
        observed = self.choices[np.minimum(kernel, len(self.choices) - 1), j]
        return np.where(own, observed, uniform)

    def sample(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``size`` points: unit-cube numerical parts (size, d_num) and choice indices
        (size, d_cat). Discrete params come out continuous; ``SpaceEncoding.snap`` rounds them."""
        cumulative = np.cumsum(self.weights)
        kernel = np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right")
        kernel = np.minimum(kernel, self.n_kernels - 1)  # (size,)
        unit = sample_unit_truncnorm(rng, self.mus[kernel], self.sigmas[kernel])
        d_cat = len(self.encoding.n_choices)
        choices = np.empty((size, d_cat), dtype=np.intp)
        for j in range(d_cat):
            choices[:, j] = self._draw_choices(rng, j, kernel)
        return unit, choices

    def sample_marginals(
        self, rng: np.random.Generator, size: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``size`` values of every param from its own marginal (a kernel drawn per param
        and value): numerical parts (size, d_num) and choice indices (size, d_cat)."""
        d_num, d_cat = self.sigmas.shape[1], len(self.encoding.n_choices)
        cumulative = np.cumsum(self.weights)
        draws = rng.random((size, d_num + d_cat)) * cumulative[-1]
        kernel = np.minimum(np.searchsorted(cumulative, draws, side="right"), self.n_kernels - 1)
        params = np.arange(d_num)
        unit = sample_unit_truncnorm(
            rng, self.mus[kernel[:, :d_num], params], self.sigmas[kernel[:, :d_num], params]
        )
        choices = np.empty((size, d_cat), dtype=np.intp)
        for j in range(d_cat):
            choices[:, j] = self._draw_choices(rng, j, kernel[:, d_num + j])
        return unit, choices

    def log_marginal_pdfs(self, points: Points) -> np.ndarray:
        """Log marginal density of each param at points, (n, d_num + d_cat); see
        :func:`log_marginal_pdfs`."""
        return log_marginal_pdfs([self], points, Workspace())[0]


def kernel_features(encoding: SpaceEncoding, mus: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """What scoring needs of each kernel, from its means and bandwidths, (n, n_features).

    Columns, with ``c`` the continuous params and ``Z`` a kernel's mass inside [0, 1] along a
    param (truncation):

    - ``1 / s_c^2`` and ``mu_c / s_c^2``: the factors of the expanded Gaussian exponent;
    - the joint constant ``-sum_c (log s_c + log sqrt(2 pi) + mu_c^2 / (2 s_c^2)) - sum log Z``;
    - ``-sum log Z`` over every numerical param;
    - per numerical param, the marginal constant: ``-(log s + log sqrt(2 pi) + mu^2 / (2 s^2))
      - log Z`` for a continuous param, ``-log Z`` for a discrete one.
    """
    continuous = encoding.continuous_index
    d_cont, d_num = len(continuous), encoding.n_numerical
    features = np.empty((len(mus), encoding.n_features))
    if d_cont == d_num:
        mus_c, sigmas_c = mus, sigmas
    else:
        mus_c, sigmas_c = mus[:, continuous], sigmas[:, continuous]
    inverse_variance = features[:, :d_cont]
    np.divide(1.0, sigmas_c * sigmas_c, out=inverse_variance)
    scaled_mus = features[:, d_cont : 2 * d_cont]
    np.multiply(mus_c, inverse_variance, out=scaled_mus)
    marginal = features[:, 2 * d_cont + 2 :]  # (n, d_num)
    np.negative(log_unit_normalizer(mus, sigmas), out=marginal)
    features[:, 2 * d_cont + 1] = marginal.sum(axis=1)
    gauss = -np.log(sigmas_c) - LOG_SQRT_2PI - 0.5 * mus_c * scaled_mus  # (n, d_cont)
    features[:, 2 * d_cont] = features[:, 2 * d_cont + 1] + gauss.sum(axis=1)
    marginal[:, continuous] += gauss
    return features


def bin_log_mass_tables(
    encoding: SpaceEncoding, mus: np.ndarray, sigmas: np.ndarray
) -> list[np.ndarray]:
    """For each tabulated discrete param, the log mass each kernel puts on each of its bins
    (before truncation), (n, n_bins) each: ``log(Phi(z_right) - Phi(z_left))``."""
    from scipy import special  # imported on first use: see _truncnorm

    tables = []
    for j, edges in zip(encoding.tabulated_index, encoding.bin_edges):
        z = (edges - mus[:, j, None]) / sigmas[:, j, None]  # (n, n_bins + 1)
        # Bins right of the mean take the mirrored difference, where Phi does not round to 1.
        lower = special.ndtr(z)
        upper = special.ndtr(-z)
        mass = np.where(
            z[:, :-1] > 0.0, upper[:, :-1] - upper[:, 1:], lower[:, 1:] - lower[:, :-1]
        )
        tables.append(np.log(np.maximum(mass, 1e-300)))
    return tables


def mixture_weights(weights: np.ndarray, prior_weight: float) -> np.ndarray:
    """Normalized weights of the observation kernels and the prior (last), (n_obs + 1,)."""
    all_weights = np.empty(len(weights) + 1)
    all_weights[:-1] = weights
    all_weights[-1] = prior_weight
    all_weights /= all_weights.sum()
    return all_weights


def neighbour_bandwidths(
    ordered: np.ndarray, kernels: np.ndarray, options: ParzenOptions
) -> np.ndarray:
    """Bandwidths by the neighbour rule (Bergstra et al. 2011, Sec. 4), (m + 1, d_num).

    Along each param, a kernel's bandwidth is the larger gap to its two neighbouring
    observations. Without ``endpoints`` the outermost observations use their only inner gap;
    with it, or when there is a single observation, the range's ends 0 and 1 count as
    neighbours. Bandwidths are clipped to [min_bandwidth, 1]; the prior (kernel m, the last)
    spans the whole range. The prior's mean is not a neighbour: counting it narrows the
    kernels near the centre for no reason in the data, which on BBOB cost more than it gained.

    Args:
        ordered: For each param, the m observation kernels' means in ascending order,
            (d_num, m).
        kernels: The kernel index (in [0, m)) of each entry of ``ordered``, (d_num, m).
        options: The clipping and endpoint options.
    """
    d_num, m = ordered.shape
    sigmas = np.ones((m + 1, d_num))
    if m == 0 or d_num == 0:
        return sigmas
    # gaps[:, i] is the gap on the left of entry i; gaps[:, m] the one on the right of the
    # last. At the ends, the distance to the range's end with ``endpoints`` (or a single
    # observation), else 0 (so the inner gap counts): (d_num, m + 1)
    gaps = np.empty((d_num, m + 1))
    np.subtract(ordered[:, 1:], ordered[:, :-1], out=gaps[:, 1:m])
    if options.endpoints or m == 1:
        gaps[:, 0] = ordered[:, 0]
        gaps[:, m] = 1.0 - ordered[:, -1]
    else:
        gaps[:, 0] = gaps[:, m] = 0.0
    widest = np.maximum(gaps[:, :-1], gaps[:, 1:])  # (d_num, m)
    np.maximum(widest, options.min_bandwidth(m + 1), out=widest)
    np.minimum(widest, 1.0, out=widest)
    # sigmas[kernels[j, i], j] = widest[j, i], as one flat assignment (faster than 2-D).
    flat = kernels * d_num
    flat += np.arange(d_num)[:, None]
    sigmas.ravel()[flat.ravel()] = widest.ravel()
    return sigmas
