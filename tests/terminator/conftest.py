"""Studies the terminator tests share: every value fixed, so every decision is reproducible."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pytest

import tansaku
from tansaku.distributions import FloatDistribution
from tansaku.study import Study
from tansaku.trial import create_trial

X = FloatDistribution(-3.0, 3.0)
Y = FloatDistribution(-3.0, 3.0)


@pytest.fixture(autouse=True)
def _record_warnings(recwarn: pytest.WarningsRecorder) -> Iterator[None]:
    """The evaluators warn that they are experimental, as Optuna's do; tests that check a
    warning read it from ``recwarn``."""
    yield


def study_of(
    values: Sequence[float], points: np.ndarray | None = None, direction: str = "minimize"
) -> Study:
    """A study of completed trials with these values at these (x, y) points (a fixed grid by
    default)."""
    study = tansaku.create_study(direction=direction)
    if points is None:
        points = grid_points(len(values))
    for (x, y), value in zip(points, values):
        study.add_trial(
            create_trial(
                params={"x": float(x), "y": float(y)},
                distributions={"x": X, "y": Y},
                value=float(value),
            )
        )
    return study


def grid_points(n: int, seed: int = 0) -> np.ndarray:
    """n points of [-3, 3]^2 from a seeded generator, (n, 2)."""
    return np.random.default_rng(seed).uniform(-3.0, 3.0, size=(n, 2))


def bowl(points: np.ndarray) -> np.ndarray:
    """A smooth bowl with its minimum 0 at (0.5, -0.5)."""
    return (points[:, 0] - 0.5) ** 2 + (points[:, 1] + 0.5) ** 2
