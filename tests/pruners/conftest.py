"""Helpers for the pruner tests: studies filled with scripted learning curves."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

import tansaku
from tansaku.pruners import BasePruner

StudyFromCurves = Callable[[str, Sequence[Sequence[float]], BasePruner], tansaku.Study]


def study_from_curves(
    direction: str, curves: Sequence[Sequence[float]], pruner: BasePruner
) -> tansaku.Study:
    """A study whose trials reported ``curves`` (value per step from 0) and completed with
    their last value, without asking the pruner."""
    study = tansaku.create_study(direction=direction, pruner=pruner)
    for curve in curves:
        trial = study.ask()
        for step, value in enumerate(curve):
            trial.report(value, step)
        study.tell(trial, curve[-1])
    return study


@pytest.fixture
def make_study() -> StudyFromCurves:
    """:func:`study_from_curves`, as a fixture."""
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    return study_from_curves
