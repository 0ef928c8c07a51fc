"""Trials and studies as JSON-ready dicts, and a study's trials as CSV.

JSON has no NaN or infinities (a browser's ``JSON.parse`` rejects Python's ``Infinity``), so
non-finite floats travel as the strings ``"inf"``, ``"-inf"`` and ``"nan"``; values JSON cannot
hold at all (a categorical choice of an odd type) travel as their ``str``.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

from tansaku.trial import FrozenTrial, TrialState


def plain(value: Any) -> Any:
    """``value`` with non-finite floats as strings and anything else JSON cannot hold as str."""
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return str(value)


def _time(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def duration(trial: FrozenTrial) -> float | None:
    """Seconds from start to completion, or None while unknown."""
    if trial.datetime_start is None or trial.datetime_complete is None:
        return None
    return (trial.datetime_complete - trial.datetime_start).total_seconds()


def trial_row(trial: FrozenTrial) -> dict[str, Any]:
    """What the trials table shows of a trial."""
    return {
        "number": trial.number,
        "state": trial.state.name,
        "values": plain(trial.values),
        "params": plain(trial.params),
        "datetime_start": _time(trial.datetime_start),
        "datetime_complete": _time(trial.datetime_complete),
        "duration": duration(trial),
    }


def trial_detail(trial: FrozenTrial) -> dict[str, Any]:
    """Everything the trial page shows of a trial."""
    row = trial_row(trial)
    row.update(
        {
            "distributions": {
                name: type(distribution).__name__
                for name, distribution in trial.distributions.items()
            },
            "intermediate_values": [
                [step, plain(value)] for step, value in sorted(trial.intermediate_values.items())
            ],
            "user_attrs": plain(trial.user_attrs),
            "constraints": plain(trial.constraints),
        }
    )
    return row


def state_counts(trials: Iterable[FrozenTrial]) -> dict[str, int]:
    """The number of trials in each state, every state named."""
    counts = dict.fromkeys((state.name for state in TrialState), 0)
    for trial in trials:
        counts[trial.state.name] += 1
    return counts


def last_activity(trials: Sequence[FrozenTrial]) -> str | None:
    """The latest start or completion time among the trials."""
    moments = [
        moment
        for trial in trials[-200:]  # trials start in number order: the latest are at the end
        for moment in (trial.datetime_start, trial.datetime_complete)
        if moment is not None
    ]
    return _time(max(moments)) if moments else None


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    # A spreadsheet runs a cell starting with "=" as a formula: user text is quoted so that
    # an exported study cannot run anything when opened.
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def trials_csv(trials: Sequence[FrozenTrial], n_objectives: int) -> str:
    """The trials as CSV: one row each, a column per value, param and user attr."""
    param_names = sorted({name for t in trials for name in t.params})
    attr_keys = sorted({key for t in trials for key in t.user_attrs})
    value_columns = (
        ["value"] if n_objectives == 1 else [f"values_{i}" for i in range(n_objectives)]
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["number", "state", *value_columns, "datetime_start", "datetime_complete", "duration"]
        + [f"params_{name}" for name in param_names]
        + [f"user_attrs_{key}" for key in attr_keys]
    )
    for trial in trials:
        values = trial.values if trial.values is not None else [None] * n_objectives
        writer.writerow(
            [trial.number, trial.state.name, *values]
            + [_time(trial.datetime_start), _time(trial.datetime_complete), duration(trial)]
            + [_cell(trial.params.get(name)) for name in param_names]
            + [_cell(plain(trial.user_attrs.get(key))) for key in attr_keys]
        )
    return out.getvalue()
