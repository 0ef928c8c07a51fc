"""The history seen through one search space, and Parzen estimators built from it fast.

For a search space, every finished trial's params are encoded into the unit cube once, when the
trial is first seen, and the rows are kept in value order along each param. Building an
estimator from some of those rows then needs no sort (the kernels' order along each param is a
filter of the kept order), and few normal-CDF calls: each row remembers the bandwidths its
kernel had last and the quantities derived from them (see ``kernel_features``), which change
only when the kernel's neighbours do.
"""

from __future__ import annotations

import numpy as np

from tansaku.samplers._tpe._encoding import SpaceEncoding
from tansaku.samplers._tpe._history import TrialHistory
from tansaku.samplers._tpe.parzen_estimator import (
    ParzenEstimator,
    ParzenOptions,
    RowSource,
    bin_log_mass_tables,
    kernel_features,
    mixture_weights,
    neighbour_bandwidths,
)

_INITIAL_ROWS = 64
# Below this many kernels a plain sort is as cheap as following the kept order.
_PRESORTED_MIN_KERNELS = 64
# Small estimators kept for reuse (the good group's often recurs from trial to trial).
_FITTED_CACHE_SIZE = 4


class EncodedObservations:
    """The rows of a :class:`TrialHistory` encoded for one :class:`SpaceEncoding`.

    Args:
        encoding: The search space.
    """

    def __init__(self, encoding: SpaceEncoding) -> None:
        self.encoding = encoding
        self.n = 0
        d_num, d_cat = encoding.n_numerical, len(encoding.categorical_index)
        self._unit = np.zeros((_INITIAL_ROWS, d_num))
        self._choices = np.zeros((_INITIAL_ROWS, d_cat), dtype=np.intp)
        self._has_all = np.zeros(_INITIAL_ROWS, dtype=bool)
        # Per row: the bandwidths its kernel had last, and the features derived from them.
        self._last_sigma = np.full((_INITIAL_ROWS, d_num), np.nan)
        self._features = np.zeros((_INITIAL_ROWS, encoding.n_features))
        # Per tabulated param, each row's kernel's bin log masses, bins first:
        # (n_bins, rows), so that the few bins scored gather whole rows.
        self._bin_log_masses = [
            np.zeros((encoding.n_bins[j], _INITIAL_ROWS)) for j in encoding.tabulated_index
        ]
        # The rows that have every param, in ascending order along each numerical param, and
        # their values there: (d_num, n_has_all)
        # (only the first n_kept columns of these arrays are in use)
        self._order_buffer = np.zeros((d_num, _INITIAL_ROWS), dtype=np.intp)
        self._ordered_buffer = np.zeros((d_num, _INITIAL_ROWS))
        self._n_kept = 0
        self._params = np.arange(d_num)[:, None]  # (d_num, 1), to index along each param
        self._fitted: dict[tuple[bytes, bytes, ParzenOptions], ParzenEstimator] = {}
        # The prior's kernel, N(0.5, 1) along every param, is the same in every estimator.
        prior_mu, prior_sigma = np.full((1, d_num), 0.5), np.ones((1, d_num))
        self._prior_features = kernel_features(encoding, prior_mu, prior_sigma)
        self._prior_bin_log_masses = bin_log_mass_tables(encoding, prior_mu, prior_sigma)

    def update(self, history: TrialHistory) -> None:
        """Encode the rows appended to ``history`` since the last call."""
        start, stop = self.n, history.n
        if start == stop:
            return
        if stop > len(self._has_all):
            self._grow(max(stop, 2 * len(self._has_all)))
        encoding = self.encoding
        values = history.values_between(encoding.names, start, stop)  # (k, d)
        has_all = ~np.isnan(values).any(axis=1)
        self._has_all[start:stop] = has_all
        self._unit[start:stop] = encoding.to_unit(values[:, encoding.numerical_index])
        if len(encoding.categorical_index):
            categorical = values[:, encoding.categorical_index]
            self._choices[start:stop] = np.where(np.isnan(categorical), 0, categorical)
        self.n = stop
        new_rows = start + np.flatnonzero(has_all)
        if len(new_rows) and encoding.n_numerical:
            self._insert_in_order(new_rows)

    @property
    def _order(self) -> np.ndarray:
        return self._order_buffer[:, : self._n_kept]

    @property
    def _ordered(self) -> np.ndarray:
        return self._ordered_buffer[:, : self._n_kept]

    def _insert_in_order(self, new_rows: np.ndarray) -> None:
        """Add rows to the kept per-param value order."""
        n_kept, n_new = self._n_kept, len(new_rows)
        if n_kept + n_new > self._order_buffer.shape[1]:
            size = max(n_kept + n_new, 2 * self._order_buffer.shape[1])
            order = np.zeros((len(self._order_buffer), size), dtype=np.intp)
            order[:, :n_kept] = self._order
            ordered = np.zeros((len(self._order_buffer), size))
            ordered[:, :n_kept] = self._ordered
            self._order_buffer, self._ordered_buffer = order, ordered
        if n_new == 1:
            # One row, the usual case: shift each param's tail by one and put the row in its
            # place, after equal values (so ties stay in row order).
            (row,) = new_rows
            value = self._unit[row]  # (d_num,)
            places = (self._ordered <= value[:, None]).sum(axis=1)
            for j, at in enumerate(places.tolist()):
                order, ordered = self._order_buffer[j], self._ordered_buffer[j]
                order[at + 1 : n_kept + 1] = order[at:n_kept]
                ordered[at + 1 : n_kept + 1] = ordered[at:n_kept]
                order[at] = row
                ordered[at] = value[j]
            self._n_kept += 1
            return
        # Several rows (other workers' trials): the appended order is almost sorted, so a
        # stable sort costs about one pass.
        order = np.hstack([self._order, np.broadcast_to(new_rows, (len(self._order), n_new))])
        values = self._unit[order, self._params]
        resorted = np.argsort(values, axis=1, kind="stable")
        self._n_kept += n_new
        self._order_buffer[:, : self._n_kept] = order[self._params, resorted]
        self._ordered_buffer[:, : self._n_kept] = values[self._params, resorted]

    def _grow(self, rows: int) -> None:
        def grown(array: np.ndarray, fill: float | bool) -> np.ndarray:
            result = np.full((rows, *array.shape[1:]), fill, dtype=array.dtype)
            result[: self.n] = array[: self.n]
            return result

        self._unit = grown(self._unit, 0.0)
        self._choices = grown(self._choices, 0)
        self._has_all = grown(self._has_all, False)
        self._last_sigma = grown(self._last_sigma, np.nan)
        self._features = grown(self._features, 0.0)
        tables = []
        for table in self._bin_log_masses:  # (n_bins, rows): grown along the rows
            tables.append(np.zeros((len(table), rows)))
            tables[-1][:, : self.n] = table[:, : self.n]
        self._bin_log_masses = tables

    @property
    def has_all(self) -> np.ndarray:
        """Whether each row has every param of the space, (n,)."""
        return self._has_all[: self.n]

    def fit(
        self,
        rows: np.ndarray,
        extra_unit: np.ndarray,
        extra_choices: np.ndarray,
        weights: np.ndarray,
        options: ParzenOptions,
    ) -> ParzenEstimator:
        """Build the estimator of some rows plus a few observations from outside the history.

        Args:
            rows: Rows that have every param, (m,).
            extra_unit: Numerical parts of the extra observations (running trials), (k, d_num).
            extra_choices: Their choice indices, (k, d_cat).
            weights: Weights of the rows then the extras, (m + k,).
            options: How to build the kernels.
        """
        encoding = self.encoding
        m, k = len(rows), len(extra_unit)
        small = m + k < _PRESORTED_MIN_KERNELS
        if small and not k:
            # The good group often stays the same from trial to trial: reuse its estimator.
            key = (rows.tobytes(), weights.tobytes(), options)
            cached = self._fitted.get(key)
            if cached is not None:
                return cached
        n_obs = m + k
        ordered, kernels = self._sorted_kernels(rows, extra_unit)
        sigmas = neighbour_bandwidths(ordered, kernels, options)
        self._refresh_rows(rows, sigmas[:m])
        # The extras' and the prior's kernels, after the rows': (k + 1, ...)
        tail_mus = np.empty((k + 1, encoding.n_numerical))
        tail_mus[:k] = extra_unit
        tail_mus[k] = 0.5
        tail_features = np.empty((k + 1, encoding.n_features))
        tail_features[k] = self._prior_features
        tail_tables = [np.empty((k + 1, len(table))) for table in self._bin_log_masses]
        for table, prior in zip(tail_tables, self._prior_bin_log_masses):
            table[k] = prior[0]
        if k:
            extra_sigmas = sigmas[m:n_obs]
            tail_features[:k] = kernel_features(encoding, extra_unit, extra_sigmas)
            extra_tables = bin_log_mass_tables(encoding, extra_unit, extra_sigmas)
            for table, extra in zip(tail_tables, extra_tables):
                table[:k] = extra
        choices = self._choices[rows]
        if k:
            choices = np.concatenate([choices, extra_choices])
        source = RowSource(
            rows,
            self._unit,
            self._features,
            self._bin_log_masses,
            tail_mus,
            tail_features,
            tail_tables,
        )
        estimator = ParzenEstimator(
            encoding,
            mixture_weights(weights, options.prior_weight),
            sigmas,
            choices,
            options.prior_weight,
            source=source,
        )
        if small and not k:
            # A kept estimator must not read the caches later, as they change: copy now.
            estimator.materialize()
            if len(self._fitted) >= _FITTED_CACHE_SIZE:
                self._fitted.pop(next(iter(self._fitted)))
            self._fitted[key] = estimator
        return estimator

    def _sorted_kernels(
        self, rows: np.ndarray, extra_unit: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """For each numerical param, the observation kernels' means in ascending order and
        their kernel indices, both (d_num, m + k): the rows' kernels first, then the extras'.

        Many rows are filtered from the kept order instead of sorted; the few extras are
        merged in by a stable sort of the almost sorted result.
        """
        m, k = len(rows), len(extra_unit)
        if m < _PRESORTED_MIN_KERNELS:
            observations = np.concatenate([self._unit[rows], extra_unit]).T  # (d_num, m + k)
            kernels = np.argsort(observations, axis=1, kind="stable")
            return observations[self._params, kernels], kernels
        kernel_of_row = np.full(self.n, -1, dtype=np.intp)
        kernel_of_row[rows] = np.arange(m)
        all_kernels = kernel_of_row[self._order]  # (d_num, n_has_all)
        kept = all_kernels >= 0
        d_num = len(all_kernels)
        kernels = all_kernels[kept].reshape(d_num, m)
        ordered = self._ordered[kept].reshape(d_num, m)
        if not k:
            return ordered, kernels
        kernels = np.hstack([kernels, np.broadcast_to(np.arange(m, m + k), (d_num, k))])
        ordered = np.hstack([ordered, extra_unit.T])
        resorted = np.argsort(ordered, axis=1, kind="stable")
        return ordered[self._params, resorted], kernels[self._params, resorted]

    def _refresh_rows(self, rows: np.ndarray, sigmas: np.ndarray) -> None:
        """Recompute the kernel features and bin tables of the rows whose bandwidths changed
        since they were last computed."""
        stale = (sigmas != self._last_sigma[rows]).any(axis=1)
        if not stale.any():
            return
        stale_rows = rows[stale]
        stale_mus, stale_sigmas = self._unit[stale_rows], sigmas[stale]
        self._features[stale_rows] = kernel_features(self.encoding, stale_mus, stale_sigmas)
        fresh = bin_log_mass_tables(self.encoding, stale_mus, stale_sigmas)
        for cached, table in zip(self._bin_log_masses, fresh):
            cached[:, stale_rows] = table.T
        self._last_sigma[stale_rows] = stale_sigmas
