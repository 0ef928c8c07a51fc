"""The study page's plots: ``tansaku.visualization``'s figures, drawn on the server as JSON.

One implementation of each plot: the dashboard calls the same builders as
``tansaku.visualization`` on a study view of its kept trials and sends ``Figure.to_json()``
to the page, which hands it to plotly.js. A figure is cached until the study's trials change.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from tansaku.trial import FrozenTrial, TrialState

# Plots that pick params take at most this many by default (the most important are not known
# without the importances' cost, so the first ones in name order).
DEFAULT_MAX_PARAMS = 6

SINGLE_OBJECTIVE_KINDS = (
    "history",
    "intermediate",
    "importances",
    "contour",
    "slice",
    "parallel",
    "rank",
    "edf",
    "timeline",
)
MULTI_OBJECTIVE_KINDS = ("pareto", "hypervolume")
KINDS = SINGLE_OBJECTIVE_KINDS + MULTI_OBJECTIVE_KINDS
# Plots that never look at params (not even in hover texts): drawn from trials whose params
# may have been left out (see _followed). ``intermediate`` reads the study whole.
KINDS_WITHOUT_PARAMS = ("history", "intermediate", "edf", "hypervolume")
# Plots of chosen params (the ``params`` argument).
PARAM_KINDS = ("contour", "slice", "parallel", "rank")


class PlotError(ValueError):
    """A plot request the study cannot answer (answered with HTTP 400)."""


def objective_names(study: Any) -> list[str]:
    """The objectives' names: the metric names when set, else ``Objective Value [i]``."""
    if study.metric_names:
        return list(study.metric_names)
    if len(study.directions) == 1:
        return ["Objective Value"]
    return [f"Objective Value {index}" for index in range(len(study.directions))]


def _objective(index: int) -> Callable[[FrozenTrial], float]:
    def value(trial: FrozenTrial) -> float:
        assert trial.values is not None
        return trial.values[index]

    return value


def param_names(study: Any) -> list[str]:
    """The params of the study's finished trials, in name order."""
    names: set[str] = set()
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        names.update(trial.distributions)
    return sorted(names)


def figure_json(study: Any, kind: str, params: Sequence[str] | None, objective: int) -> str:
    """The JSON of one plot of ``study`` (a ``Study``).

    Args:
        study: The study (the dashboard's view of its kept trials).
        kind: One of ``KINDS``.
        params: The params to plot, for contour, slice, parallel and rank; None picks some.
        objective: The objective plotted by single-objective plots of a multi-objective study.

    Raises:
        PlotError: an unknown kind, param or objective, or a plot the study cannot have.
    """
    import tansaku.visualization as vis

    n_objectives = len(study.directions)
    if kind not in KINDS:
        raise PlotError(f"The 'kind' argument must be one of {', '.join(KINDS)}. Got {kind!r}.")
    if not 0 <= objective < n_objectives:
        raise PlotError(
            f"The 'objective' argument must be in [0, {n_objectives - 1}]. Got {objective}."
        )
    if kind in MULTI_OBJECTIVE_KINDS and n_objectives < 2:
        raise PlotError(f"The {kind!r} plot needs a study with several objectives.")
    names = objective_names(study)
    target = (
        {}
        if n_objectives == 1
        else {
            "target": _objective(objective),
            "target_name": names[objective],
        }
    )
    known = param_names(study) if kind in PARAM_KINDS or params else []
    if params is not None:
        unknown = [name for name in params if name not in known]
        if unknown:
            raise PlotError(f"The 'params' argument names an unknown param. Got {unknown[0]!r}.")
    chosen = list(params) if params else known[:DEFAULT_MAX_PARAMS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental-feature warnings mean nothing here
        if kind == "history":
            figure = vis.plot_optimization_history(study, **target)
        elif kind == "intermediate":
            figure = vis.plot_intermediate_values(study)
        elif kind == "importances":
            figure = vis.plot_param_importances(study, **target)
        elif kind == "contour":
            figure = vis.plot_contour(study, params=chosen[:2] if not params else chosen, **target)
        elif kind == "slice":
            figure = vis.plot_slice(study, params=chosen, **target)
        elif kind == "parallel":
            figure = vis.plot_parallel_coordinate(study, params=chosen, **target)
        elif kind == "rank":
            figure = vis.plot_rank(study, params=chosen, **target)
        elif kind == "edf":
            figure = vis.plot_edf(study, **target)
        elif kind == "timeline":
            figure = vis.plot_timeline(study)
        elif kind == "pareto":
            figure = vis.plot_pareto_front(study, target_names=names)
        else:
            figure = vis.plot_hypervolume_history(study, _reference_point(study))
    figure.update_layout(autosize=True, width=None, height=None, margin={"t": 50})
    return to_json(figure)


def to_json(figure: Any) -> str:
    """``figure.to_json()``, for plotly.js, without the copy of the whole figure it makes.

    ``Figure.to_json`` deep-copies the figure's data and walks its arrays before encoding
    them: a third of the cost of a plot of 50,000 trials, which its own encoder spares by
    encoding the figure's data and layout as they are. Long arrays of finite numbers travel
    as plotly.js's typed arrays (``{"dtype", "bdata"}``: the numbers' bytes in base64, as
    ``Figure.to_json`` sends numpy arrays), which cost no text per number to write or read;
    the numbers are the same to the last bit.
    """
    from plotly.io.json import to_json_plotly

    data = [_with_typed_arrays(trace) for trace in figure._data]
    return str(to_json_plotly({"data": data, "layout": figure._layout}))


# Arrays at least this long are sent as typed arrays (a short one reads better as JSON).
TYPED_ARRAYS_FROM = 1000


def _with_typed_arrays(part: dict[str, Any]) -> dict[str, Any]:
    """``part`` (a trace or one of its dicts) with its long number lists as typed arrays."""
    converted = dict(part)
    for key, value in part.items():
        if isinstance(value, dict):
            converted[key] = _with_typed_arrays(value)
        elif isinstance(value, list) and len(value) >= TYPED_ARRAYS_FROM:
            converted[key] = _typed_array(value)
    return converted


def _typed_array(values: list[Any]) -> Any:
    """``values`` as a typed array when all are finite numbers (not bools), else as is."""
    import numpy as np
    from _plotly_utils.utils import to_typed_array_spec

    try:
        array = np.array(values)
    except (ValueError, TypeError):  # ragged or odd items: left to the JSON encoder
        return values
    if array.ndim != 1 or array.dtype.kind not in "iuf":
        return values  # None (a gap), text, bools, objects: as JSON
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        return values  # NaN and infinities go as JSON's null, as plotly's encoder sends them
    return to_typed_array_spec(array)


def _reference_point(study: Any) -> list[float]:
    """A point a little worse than every completed trial in every objective."""
    import numpy as np

    from tansaku._pareto import loss_signs, reference_point, to_loss

    values = [t.values for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    if not values:
        return [0.0] * len(study.directions)
    loss = to_loss(values, study.directions)
    signs = loss_signs(study.directions)
    return [float(v) for v in np.asarray(reference_point(loss)) * signs]
