"""``Study.trials_dataframe``: the trials as a pandas DataFrame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tansaku._internal.optional import import_optional
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    import pandas as pd

    from tansaku.study._study import Study

# Attributes that are dicts and become one column per key.
_NESTED = ("params", "user_attrs", "system_attrs", "intermediate_values")


def _value_columns(study: Study, trial: FrozenTrial) -> dict[tuple[str, str], Any]:
    names = study.metric_names
    if not study._is_multi_objective() and names is None:
        return {("value", ""): trial.values[0] if trial.values else None}
    missing: list[float | None] = [None] * len(study.directions)
    values: list[float | None] = list(trial.values) if trial.values else missing
    labels = names if names is not None else [str(i) for i in range(len(values))]
    if names is not None and not study._is_multi_objective():
        return {("value", ""): values[0]} | {("values", names[0]): values[0]}
    return {("values", label): v for label, v in zip(labels, values)}


def trials_dataframe(study: Study, attrs: tuple[str, ...], multi_index: bool) -> pd.DataFrame:
    """Build the DataFrame of ``study``'s trials, one row per trial, one column per attribute.

    Nested attributes (params, user_attrs, ...) get one column per key, named
    ``params_<name>`` (or a two-level column with ``multi_index=True``).
    """
    pd = import_optional("pandas", "trials_dataframe", "pandas")
    trials = study.get_trials(deepcopy=False)
    rows = []
    for trial in trials:
        row: dict[tuple[str, str], Any] = {}
        for attr in attrs:
            if attr in ("value", "values"):
                row.update(_value_columns(study, trial))
            elif attr in _NESTED:
                for key, value in getattr(trial, attr).items():
                    row[(attr, str(key))] = value
            elif attr == "state":
                row[("state", "")] = trial.state.name
            elif attr == "duration":
                row[("duration", "")] = trial.duration
            else:
                row[(attr, "")] = getattr(trial, attr)
        rows.append(row)
    columns: list[tuple[str, str]] = []
    for row in rows:
        for column in row:
            if column not in columns:
                columns.append(column)
    order = {attr: i for i, attr in enumerate(attrs)}
    order["values"] = order.get("value", order.get("values", 0))
    columns.sort(key=lambda c: (order.get(c[0], len(order)), c[1] if c[0] in _NESTED else ""))
    frame = pd.DataFrame(rows, columns=pd.MultiIndex.from_tuples(columns) if columns else None)
    if not multi_index and columns:
        frame.columns = ["_".join(part for part in c if part) for c in columns]
    return frame
