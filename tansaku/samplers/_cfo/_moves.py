"""Reading a study's trials as the moves of cost-frugal search, and the per-trial cost.

Each trial the search plans carries a small JSON tag in its system attrs (``TAG_KEY``): its
thread, its kind, and for a local step the incumbent it stepped from, its direction and step.
The outcome (loss, cost, point) is read from the trial itself, so a trial whose params were
fixed by the user (enqueued) counts with the params it really had.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real
from typing import Any

import numpy as np

from tansaku._internal.study_direction import StudyDirection
from tansaku._internal.validation import invalid
from tansaku.samplers._cfo._threads import Move
from tansaku.search_space import _SearchSpaceTransform
from tansaku.trial import FrozenTrial, TrialState

TAG_KEY = "cfo:move"


def trial_cost(trial: FrozenTrial, cost_attr: str | None, where: str) -> float:
    """What ``trial`` cost: its user attr ``cost_attr``, else its duration in seconds.

    A finished trial that is not COMPLETE may lack the attr (the objective stopped before
    setting it); its duration counts then.

    Raises:
        ValueError: a COMPLETE trial has no finite number >= 0 under ``cost_attr``.
    """
    if cost_attr is not None:
        value = trial.user_attrs.get(cost_attr)
        number = (
            float(value) if isinstance(value, Real) and not isinstance(value, bool) else math.nan
        )
        if math.isfinite(number) and number >= 0:
            return number
        if trial.state == TrialState.COMPLETE:
            raise invalid(
                where,
                "cost_attr",
                cost_attr,
                f"must name a finite number >= 0 in the user attrs of every completed trial; "
                f"trial {trial.number} has {value!r} (set it with "
                f"trial.set_user_attr({cost_attr!r}, cost))",
            )
    if trial.datetime_start is None or trial.datetime_complete is None:
        return 0.0
    return max((trial.datetime_complete - trial.datetime_start).total_seconds(), 0.0)


def trial_loss(trial: FrozenTrial, direction: StudyDirection) -> float | None:
    """The value to minimize; ``inf`` for a failed or pruned trial; None while it runs."""
    if trial.state == TrialState.COMPLETE and trial.values:
        value = float(trial.values[0])
        if math.isnan(value):
            return math.inf
        return value if direction == StudyDirection.MINIMIZE else -value
    if trial.state in (TrialState.FAIL, TrialState.PRUNED):
        return math.inf
    return None


def trial_point(trial: FrozenTrial, transform: _SearchSpaceTransform) -> np.ndarray | None:
    """The row of ``trial``'s params in the unit cube, None if it lacks a param of it."""
    if any(name not in trial.params for name in transform.names):
        return None
    return np.clip(transform.transform(trial.params), 0.0, 1.0)


def read_move(
    trial: FrozenTrial,
    tag: Mapping[str, Any],
    transform: _SearchSpaceTransform,
    direction: StudyDirection,
    cost_attr: str | None,
    where: str,
) -> Move:
    """The move ``trial`` made, with its outcome."""
    loss = trial_loss(trial, direction)
    moved = tag.get("direction")
    return Move(
        number=trial.number,
        thread=int(tag.get("thread", trial.number)),
        kind=str(tag.get("kind", "")),
        origin=tag.get("origin"),
        pair=tag.get("pair"),
        direction=tuple(moved) if isinstance(moved, list) else None,
        step=tag.get("step"),
        point=trial_point(trial, transform),
        loss=loss,
        cost=0.0 if loss is None else trial_cost(trial, cost_attr, where),
    )


def unit_direction(rng: np.random.Generator, dimension: int) -> np.ndarray:
    """A direction drawn uniformly on the unit sphere (a normalized Gaussian vector)."""
    while True:
        vector = rng.standard_normal(dimension)
        norm = float(np.linalg.norm(vector))
        if norm > 1e-12:
            return vector / norm
