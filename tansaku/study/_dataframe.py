"""``Study.trials_dataframe``: the trials as a pandas DataFrame."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tansaku._internal.optional import import_optional
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    import pandas as pd

    from tansaku.study._study import Study

Column = tuple[str, Any]


def trials_dataframe(study: Study, attrs: tuple[str, ...], multi_index: bool) -> pd.DataFrame:
    """Build the DataFrame of ``study``'s trials, one row per trial, in Optuna's column layout.

    Each attribute gives one column ``(attr, "")``, except nested ones (dicts such as params,
    lists, and the objective values) that give one column per key ``(attr, key)``: the keys
    are the param names, the list indices, the objective indices ``0, 1, ...`` (ints) or the
    metric names when they are set. ``value`` means ``values`` on a multi-objective study. A
    leading underscore is dropped from a column's name. The columns come in the order of
    ``attrs``, the keys of one attribute sorted (metric names keep their order). With
    ``multi_index=False`` each column is flattened to its parts joined by ``_``
    (``params_x``, ``values_0``). A study without trials gives an empty DataFrame.
    """
    pd = import_optional("pandas", "trials_dataframe", "pandas")
    trials = study.get_trials(deepcopy=False)
    if not trials:
        return pd.DataFrame()
    if study._is_multi_objective():
        attrs = tuple("values" if attr == "value" else attr for attr in attrs)
    metric_names = study.metric_names
    n_objectives = len(study.directions)

    rows = []
    seen: dict[str, set[Column]] = {}
    for trial in trials:
        row: dict[Column, Any] = {}
        for attr in attrs:
            for column, value in _cells(trial, attr, metric_names, n_objectives):
                row[column] = value
                seen.setdefault(attr, set()).add(column)
        rows.append(row)

    columns: list[Column] = []
    for attr in attrs:
        if attr not in seen:
            continue
        if attr == "values" and metric_names is not None:
            columns.extend((_column_name(attr), name) for name in metric_names)
        else:
            columns.extend(sorted(seen[attr]))
    frame = pd.DataFrame(rows, columns=pd.MultiIndex.from_tuples(columns))
    if not multi_index:
        frame.columns = ["_".join(str(part) for part in c if part != "") for c in columns]
    return frame


def _column_name(attr: str) -> str:
    return attr[1:] if attr.startswith("_") else attr


def _cells(
    trial: FrozenTrial, attr: str, metric_names: list[str] | None, n_objectives: int
) -> Iterator[tuple[Column, Any]]:
    """The ``(column, value)`` pairs that attribute ``attr`` of ``trial`` fills."""
    name = _column_name(attr)
    value = getattr(trial, attr)
    if isinstance(value, TrialState):
        yield (name, ""), value.name
    elif isinstance(value, dict):
        for key, nested in value.items():
            yield (name, key), nested
    elif attr == "values":
        # A trial that did not complete has no values: one empty cell per objective.
        values = [None] * n_objectives if value is None else value
        keys = metric_names if metric_names is not None else range(len(values))
        for key, nested in zip(keys, values):
            yield (name, key), nested
    elif isinstance(value, list):
        for index, nested in enumerate(value):
            yield (name, index), nested
    elif attr == "value":
        yield (name, "" if metric_names is None else metric_names[0]), value
    else:
        yield (name, ""), value
