"""From observations to the next point: fit the GPs, build the acquisition, maximize it."""

from __future__ import annotations

from functools import partial

import numpy as np

from tansaku._gp import (
    GaussianProcess,
    GPParams,
    GPSpace,
    ModelAcquisition,
    combine,
    fit_gp,
    log_ei,
    log_pof,
    maximize,
    standardize,
)
from tansaku._gp._acquisition import LogAcquisition
from tansaku._gp._ehvi import log_ehvi
from tansaku._gp._optimize import N_CANDIDATES
from tansaku._pareto import pareto_front_mask, reference_point
from tansaku.samplers._gp._observations import Observations

# Observed rows (the best ones) that join the Sobol candidates as starting points.
_N_OBSERVED_STARTS = 5


class Acquirer:
    """Chooses the next row of a study; keeps each model's last hyperparameters so the next
    fit starts from them.

    Args:
        deterministic: Fit noise-free GPs (the noise variance at its minimum).
    """

    def __init__(self, deterministic: bool) -> None:
        self._deterministic = deterministic
        self._last_fits: dict[tuple[str, int], GPParams] = {}

    def next_row(
        self, space: GPSpace, observed: Observations, rng: np.random.Generator
    ) -> np.ndarray:
        """The row (d,) that maximizes the acquisition given the observations.

        The running trials' rows count as observed at the models' posterior means (the
        "kriging believer"): the models are conditioned on them, and so is the incumbent
        (best loss or front), so that the acquisition is about zero at and around them.
        """
        rows, losses, running = observed.rows, observed.losses, observed.running
        n_objectives = losses.shape[1]
        objectives = [standardize(losses[:, j]) for j in range(n_objectives)]
        models = [self._fit(("objective", j), rows, s.y, space) for j, s in enumerate(objectives)]
        y = np.stack([s.y for s in objectives], axis=1)  # (n, m)
        feasible = np.ones(len(rows), dtype=bool)
        thresholds = np.zeros(0)
        if observed.constraints is not None and observed.constraints.shape[1]:
            values = observed.constraints
            feasible = np.all(values <= 0.0, axis=1)
            scaled = [standardize(values[:, c]) for c in range(values.shape[1])]
            models += [
                self._fit(("constraint", c), rows, s.y, space) for c, s in enumerate(scaled)
            ]
            thresholds = np.array([float(s.apply(0.0)) for s in scaled])
        if len(running):
            believed = np.stack([model.posterior(running)[0] for model in models], axis=1)
            models = [
                model.condition_on(running, believed[:, j]) for j, model in enumerate(models)
            ]
            y = np.vstack([y, believed[:, :n_objectives]])
            believed_feasible = np.all(believed[:, n_objectives:] <= thresholds, axis=1)
            feasible = np.concatenate([feasible, believed_feasible])
        parts: list[tuple[LogAcquisition, slice]] = []
        if len(thresholds):
            columns = slice(n_objectives, n_objectives + len(thresholds))
            parts.append((partial(log_pof, thresholds=thresholds), columns))
        if feasible.any():
            parts.append((_improvement(y, feasible), slice(0, n_objectives)))
        acquisition = ModelAcquisition(models, combine(parts))
        # The best observed rows (feasible first, by the first objective) as extra starts.
        n = len(rows)
        order = np.lexsort((y[:n, 0], ~feasible[:n]))[:_N_OBSERVED_STARTS]
        return maximize(
            acquisition,
            acquisition.with_gradient,
            space,
            rng,
            observed=rows[order],
            n_candidates=N_CANDIDATES,
        )

    def _fit(
        self, key: tuple[str, int], rows: np.ndarray, y: np.ndarray, space: GPSpace
    ) -> GaussianProcess:
        model = fit_gp(
            rows,
            y,
            space.categorical,
            deterministic=self._deterministic,
            warm_start=self._last_fits.get(key),
        )
        self._last_fits[key] = model.params
        return model


def _improvement(y: np.ndarray, feasible: np.ndarray) -> LogAcquisition:
    """Log EI below the best feasible loss (one objective), log EHVI over the feasible front
    (several)."""
    if y.shape[1] == 1:
        return partial(log_ei, best=float(y[feasible, 0].min()))
    # Front and reference point from the feasible trials only (see ``_ehvi``).
    candidates = y[feasible]
    front = candidates[pareto_front_mask(candidates)]
    return partial(log_ehvi, front=front, ref=reference_point(candidates))
