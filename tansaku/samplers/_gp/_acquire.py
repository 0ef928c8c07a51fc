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
    power_warp,
    standardize,
)
from tansaku._gp._acquisition import LogAcquisition
from tansaku._gp._ehvi import log_ehvi
from tansaku._gp._optimize import N_CANDIDATES, local_search
from tansaku._pareto import pareto_front_mask, reference_point
from tansaku.samplers._gp._observations import Observations

# Observed rows (the best ones) that join the Sobol candidates as starting points.
_N_OBSERVED_STARTS = 5
# With several objectives, the standard deviation (in the unit cube) of the random moves of
# the front's rows that join them as starts.
_NUDGE = 0.05


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
        if n_objectives == 1:
            losses = power_warp(losses[:, 0])[:, None]
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
        n = len(rows)
        if n_objectives > 1:
            starts = rows[_front_starts(y[:n], feasible[:n], observed.constraints, rng)]
            return _maximize_from_front(acquisition, space, rng, starts)
        # The best observed rows (feasible first, by the objective) as extra starts.
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
    return partial(log_ehvi, front=front, ref=_front_reference(front, y))


def _front_reference(front: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The reference point of the EHVI: just beyond the front's nadir (its worst loss per
    objective), by a tenth of the range of every observed loss ``y``, feasible or not.

    Not beyond the worst observation: that would make the region below the front's best
    value in one objective a box reaching up to the worst value in the others, so an
    uncertain prediction slightly below that best value (an extreme that is already found)
    would weigh more than filling the front in (which, on a front of disconnected pieces,
    kept every trial at one end of it). Near the front, as BoTorch infers it, but by the
    range of every loss: the feasible ones alone may be a single point, whose zero range
    would leave improvement only to a point that dominates it.
    """
    margin = reference_point(y) - y.max(axis=0)
    reference: np.ndarray = front.max(axis=0) + margin
    return reference


def _front_starts(
    y: np.ndarray,
    feasible: np.ndarray,
    constraints: np.ndarray | None,
    rng: np.random.Generator,
) -> np.ndarray:
    """Indices of the observed rows to start the local search from, with several objectives.

    A random few of the distinct points of the feasible front (a new draw every trial, so
    that over the trials every piece of the front is improved from, not only one end of it:
    a front may be made of disconnected pieces whose rows the Sobol candidates never come
    near). Before any trial is feasible, the rows that violate the constraints least.
    """
    if feasible.any():
        indices = np.flatnonzero(feasible)
        front = indices[pareto_front_mask(y[indices])]
        # One row per distinct point: a point observed again must not fill every start.
        front = front[np.unique(y[front], axis=0, return_index=True)[1]]
        size = min(_N_OBSERVED_STARTS, len(front))
        return np.sort(rng.choice(front, size=size, replace=False))
    assert constraints is not None  # without constraints every row is feasible
    violation = np.maximum(constraints, 0.0).sum(axis=1)
    return np.argsort(violation, kind="stable")[:_N_OBSERVED_STARTS]


def _maximize_from_front(
    acquisition: ModelAcquisition, space: GPSpace, rng: np.random.Generator, starts: np.ndarray
) -> np.ndarray:
    """The best of the Sobol search and of a local search from the observed ``starts``.

    The two local searches run apart: L-BFGS-B over stacked starts shares one stopping rule,
    and the Sobol starts, far behind the front (log-EHVI in the tens or thousands below
    zero, with steep slopes), end it before a start on the front, where the values are
    small and flat, has moved off its observed point into the gap next to it.
    """
    row = maximize(acquisition, acquisition.with_gradient, space, rng, n_candidates=N_CANDIDATES)
    if not len(starts):
        return row
    # Each start also moved a little in its continuous columns: at an observed point the
    # acquisition may be a local maximum (an extreme of the front, on the bounds), with the
    # gap beside it higher but out of the gradient's reach.
    nudged = starts.copy()
    columns = np.flatnonzero(space.continuous)
    nudged[:, columns] += rng.normal(0.0, _NUDGE, (len(starts), len(columns)))
    starts = np.vstack([starts, np.clip(nudged, 0.0, 1.0)])
    scores = np.nan_to_num(acquisition(starts), nan=-np.inf)
    moved, moved_scores = local_search(
        acquisition, acquisition.with_gradient, space, starts, scores
    )
    best = int(np.argmax(moved_scores))
    if moved_scores[best] > np.nan_to_num(acquisition(row[None]), nan=-np.inf)[0]:
        return moved[best]
    return row
