"""The rows the listing commands print: one dict per study or trial, in Optuna's columns."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tansaku.study import StudySummary
    from tansaku.trial import FrozenTrial

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _time(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.strftime(_TIME_FORMAT)


def study_record(summary: StudySummary) -> dict[str, Any]:
    """Return the ``studies`` row of one study."""
    return {
        "name": summary.study_name,
        "direction": tuple(direction.name for direction in summary.directions),
        "n_trials": summary.n_trials,
        "datetime_start": _time(summary.datetime_start),
        "user_attrs": summary.user_attrs,
    }


def trial_records(trials: Sequence[FrozenTrial], n_objectives: int) -> list[dict[str, Any]]:
    """Return the rows of ``trials``; ``user_attrs`` is a column when any trial has some."""
    with_user_attrs = any(trial.user_attrs for trial in trials)
    records = []
    for trial in trials:
        record: dict[str, Any] = {"number": trial.number}
        if n_objectives == 1:
            record["value"] = trial.value
        else:
            record["values"] = trial.values
        duration = None
        if trial.datetime_start is not None and trial.datetime_complete is not None:
            duration = str(trial.datetime_complete - trial.datetime_start)
        record["datetime_start"] = _time(trial.datetime_start)
        record["datetime_complete"] = _time(trial.datetime_complete)
        record["duration"] = duration
        record["params"] = dict(sorted(trial.params.items()))
        if with_user_attrs:
            record["user_attrs"] = dict(sorted(trial.user_attrs.items()))
        record["state"] = trial.state.name
        records.append(record)
    return records
