"""What every plot shares: the lazy plotly import, the checks of a plot's arguments, and the
selection of the trials and values to draw.

The helpers below the plotly import are pure functions over trials; the matplotlib plots use
them too, so that both backends draw the same data.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.optional import import_optional
from tansaku.logging import get_logger

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

_logger = get_logger(__name__)

DEFAULT_TARGET_NAME = "Objective Value"
# The colour of the trials that break a constraint.
INFEASIBLE_COLOR = "#cccccc"


def is_available() -> bool:
    """Whether plotly can be imported, so that the plots of this module can be drawn."""
    return importlib.util.find_spec("plotly") is not None


def lazy_getattr(namespace: dict[str, Any], lazy: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` (PEP 562) for the package whose globals are ``namespace``: a
    public name of ``lazy`` (name -> submodule) is imported from its submodule on first use and
    kept in the package."""
    package = namespace["__name__"]

    def getattr_(name: str) -> Any:
        module = lazy.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return getattr_


def plotly_go(feature: str) -> ModuleType:
    """``plotly.graph_objects``, or an ImportError naming the extra needed for ``feature``."""
    return import_optional("plotly.graph_objects", feature, "visualization")


def figure_of(
    go: ModuleType, traces: Sequence[tuple[Any, Mapping[str, list[Any]]]], layout: Any
) -> Any:
    """The Figure of ``traces`` and ``layout``, with each trace's long data arrays unchecked.

    Each trace comes as a trace object, built (and checked by plotly) without its arrays, or
    as such an object's ``to_plotly_json()`` (copied here, so many traces can share it), and
    the arrays (lists of plain numbers, strings or None, as ``tolist()`` gives) it draws, by
    property (a dict of arrays for a part of the trace, like ``error_y``). plotly
    checks arrays element by element in Python and copies the figure as it builds it: seconds
    at 50,000 trials for a figure the same as this one, whose arrays need no conversion.
    """
    data = []
    for trace, _ in traces:
        if isinstance(trace, dict):
            # A trace's checked JSON, shared by several traces: each gets its own parts.
            spec = {k: dict(v) if isinstance(v, dict) else v for k, v in trace.items()}
        else:
            spec = trace.to_plotly_json()
        data.append(spec)
    figure = go.Figure(data=data, layout=layout, _validate=False)
    # The arrays go into the figure's own trace properties (``Figure._data``, which its trace
    # objects read and its JSON is made of) after it is built: the Figure deep-copies the
    # properties it is given, element by element (a third of a second at 50,000 points).
    for spec, (_, arrays) in zip(figure._data, traces):
        for name, array in arrays.items():
            if isinstance(array, dict):  # the arrays of a part of the trace (its error bars)
                spec[name] = {**spec.get(name, {}), **array}
            else:
                spec[name] = array
    # Changes the caller makes to the figure are checked as usual.
    for part in (figure, figure.layout, *figure.data):
        part._validate = True
    return figure


def check_target(study: Study, target: Callable[[FrozenTrial], float] | None, where: str) -> None:
    """A study of several objectives needs ``target`` to pick the one value to plot."""
    if target is None and len(study.directions) > 1:
        raise ValueError(
            f"{where}: the study has {len(study.directions)} objectives; pass target= to choose "
            "the value to plot, e.g. target=lambda t: t.values[0]"
        )


def as_studies(study: Study | Sequence[Study]) -> list[Study]:
    """The studies of a plot that accepts one study or several."""
    if isinstance(study, Sequence):
        return list(study)
    return [study]


def check_plot_args(
    studies: Sequence[Study],
    target: Callable[[FrozenTrial], float] | None,
    target_name: str,
    where: str,
) -> None:
    """Reject a missing ``target`` on several objectives; warn when a target keeps the default
    axis name, since the axis would then call it the objective value."""
    for study in studies:
        check_target(study, target, where)
    if target is not None and target_name == DEFAULT_TARGET_NAME:
        warnings.warn(
            f"{where}: target is given but target_name is the default {DEFAULT_TARGET_NAME!r}; "
            "pass target_name= to label the axis with what target returns",
            UserWarning,
            # user -> plot_x -> the plot's data function -> here
            stacklevel=4,
        )


def target_values(
    trials: Sequence[FrozenTrial], target: Callable[[FrozenTrial], float] | None
) -> list[float]:
    """The value plotted for each trial: ``target(trial)``, or its single objective value."""
    if target is None:
        return [float(trial.value) if trial.value is not None else math.nan for trial in trials]
    values = []
    for trial in trials:
        value = target(trial)
        try:
            values.append(float(value))
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"target returned {value!r} for trial {trial.number}, which is not a number"
            ) from error
    return values


def objective_target(index: int) -> Callable[[FrozenTrial], float]:
    """The target that picks objective ``index`` of a trial (NaN for a trial without values)."""

    def objective(trial: FrozenTrial) -> float:
        values = trial.values
        return math.nan if values is None else values[index]

    return objective


def finite_complete_trials(
    study: Study, target: Callable[[FrozenTrial], float] | None
) -> tuple[list[FrozenTrial], list[float]]:
    """The completed trials whose target value is finite, with those values.

    Trials whose value is NaN or infinite cannot be placed on an axis; each one is logged at
    WARNING and left out.
    """
    from tansaku.trial import TrialState

    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    kept_trials: list[FrozenTrial] = []
    kept_values: list[float] = []
    for trial, value in zip(trials, target_values(trials, target)):
        if math.isfinite(value):
            kept_trials.append(trial)
            kept_values.append(value)
        else:
            _logger.warning(
                f"Trial {trial.number} is left out of the plot: its value {value} is not finite."
            )
    return kept_trials, kept_values


def plotted_trials(
    study: Study,
    target: Callable[[FrozenTrial], float] | None,
    target_name: str,
    where: str,
) -> tuple[list[FrozenTrial], np.ndarray]:
    """The trials a plot of one target draws and their target values (n,), after the checks of
    :func:`check_plot_args`; a study without any logs a warning."""
    check_plot_args([study], target, target_name, where)
    trials, values = finite_complete_trials(study, target)
    if not trials:
        _logger.warning("Your study does not have any completed trials.")
    return trials, np.asarray(values, dtype=float)


def is_feasible(trial: FrozenTrial) -> bool:
    """Whether every constraint of the trial is satisfied (a trial without constraints is)."""
    if not trial.system_attrs:
        return True  # the usual trial: no constraints to collect (once per trial plotted)
    return all(value <= 0.0 for value in trial.constraints.values())


_JSON_SCALARS = (str, int, float, bool)


def json_safe(value: Any) -> Any:
    """``value`` if JSON can encode it, else its ``str``; for hover texts and reports."""
    if value is None or type(value) in _JSON_SCALARS:
        return value  # the usual param: no trial encoding (a hover text per trial at scale)
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


def hover_text(trial: FrozenTrial) -> str:
    """The text shown when hovering a trial: number, values, params and user attrs, as JSON."""
    fields: dict[str, Any] = {
        "number": trial.number,
        "values": trial.values,
        "params": {name: json_safe(value) for name, value in trial.params.items()},
    }
    if trial.user_attrs:
        fields["user_attrs"] = {key: json_safe(value) for key, value in trial.user_attrs.items()}
    return json.dumps(fields, indent=2).replace("\n", "<br>")
