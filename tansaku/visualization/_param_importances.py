"""Parameter importances as horizontal bars, one group of bars per objective."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tansaku.logging import get_logger
from tansaku.visualization._param_utils import first_distribution
from tansaku.visualization._utils import (
    DEFAULT_TARGET_NAME,
    check_plot_args,
    finite_complete_trials,
    objective_target,
    plotly_go,
)

if TYPE_CHECKING:
    from tansaku.importance import BaseImportanceEvaluator
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

_logger = get_logger(__name__)

TITLE = "Hyperparameter Importances"
XLABEL = "Hyperparameter Importance"
YLABEL = "Hyperparameter"


@dataclass(frozen=True)
class ImportanceBars:
    """The importances for one objective (or target), one bar per parameter.

    Attributes:
        name: The objective's name, in the legend.
        importances: Importance of each parameter of ``ImportanceChart.params``, in that order
            (0.0 for a parameter this objective did not assess).
        labels: The text beside each bar: the importance to two decimals, or ``<0.01``.
    """

    name: str
    importances: list[float]
    labels: list[str]


@dataclass(frozen=True)
class ImportanceChart:
    """Everything the plot draws.

    Attributes:
        params: The parameters from least to most important (bottom to top of the plot),
            ranked by their mean importance over the objectives.
        hovers: The text shown when hovering each parameter's bars, naming its distribution.
        groups: One set of bars per objective.
    """

    params: list[str]
    hovers: list[str]
    groups: list[ImportanceBars]


def _label(importance: float) -> str:
    return f"{importance:.2f}" if importance >= 0.01 else "<0.01"


def _targets(
    study: Study, target: Callable[[FrozenTrial], float] | None, target_name: str
) -> list[tuple[str, Callable[[FrozenTrial], float] | None]]:
    """The (name, target) of each set of bars: one per objective without a target on a
    study of several objectives, else the one given."""
    metric_names = study.metric_names
    if target is not None:
        return [(target_name, target)]
    if len(study.directions) == 1:
        return [(metric_names[0] if metric_names else target_name, None)]
    names = metric_names or [f"{target_name} {index}" for index in range(len(study.directions))]
    return [(name, objective_target(index)) for index, name in enumerate(names)]


def importance_chart(
    study: Study,
    evaluator: BaseImportanceEvaluator | None,
    params: list[str] | None,
    target: Callable[[FrozenTrial], float] | None,
    target_name: str,
) -> ImportanceChart:
    """Evaluate the importances and lay them out; empty, after a logged warning, when the
    study has no completed trial with a finite value."""
    from tansaku.importance import get_param_importances

    if target is not None:
        check_plot_args([study], target, target_name, "plot_param_importances")
    groups_importances: list[tuple[str, dict[str, float]]] = []
    for name, group_target in _targets(study, target, target_name):
        finite_trials, _ = finite_complete_trials(study, group_target)
        if not finite_trials:
            _logger.warning("The study has no completed trials to assess importances on.")
            continue
        importances = get_param_importances(
            study, evaluator=evaluator, params=params, target=group_target
        )
        groups_importances.append((name, dict(importances)))
    names = list(dict.fromkeys(p for _, imp in groups_importances for p in imp))
    mean = {p: sum(imp.get(p, 0.0) for _, imp in groups_importances) for p in names}
    # Ascending, so that the most important parameter is the top bar; ties keep the
    # evaluator's order, most important first.
    ordered = sorted(reversed(names), key=lambda p: mean[p])
    trials = study.get_trials(deepcopy=False)
    hovers = []
    for param in ordered:
        distribution = first_distribution(trials, param)
        kind = type(distribution).__name__ if distribution is not None else "unknown"
        hovers.append(f"{param} ({kind})")
    groups = []
    for name, importances in groups_importances:
        values = [float(importances.get(p, 0.0)) for p in ordered]
        groups.append(ImportanceBars(name, values, [_label(v) for v in values]))
    return ImportanceChart(params=ordered, hovers=hovers, groups=groups)


def plot_param_importances(
    study: Study,
    evaluator: BaseImportanceEvaluator | None = None,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """Plot how much each parameter matters to the objective, as horizontal bars.

    The importances are those of :func:`tansaku.importance.get_param_importances`, by default
    with ``PedAnovaImportanceEvaluator``. On a study of several objectives without ``target``,
    each objective gets its own bars, side by side for each parameter.

    Args:
        study: The study whose completed trials are assessed.
        evaluator: The importance evaluator; None uses the default of
            :func:`tansaku.importance.get_param_importances`.
        params: The parameters to assess; None assesses all of them.
        target: The value to assess importances for, e.g. ``lambda t: t.values[0]``; None
            uses the objective value, or every objective in turn.
        target_name: The name of the value in the legend. Without ``target``, the metric
            names set by :meth:`~tansaku.study.Study.set_metric_names` take its place.

    Returns:
        A ``plotly.graph_objects.Figure``; without completed trials it has no data, and a
        warning is logged.

    Raises:
        ValueError: If ``params`` names a parameter no completed trial has (raised by
            :func:`tansaku.importance.get_param_importances`).
    """
    go = plotly_go("plot_param_importances")
    return importance_figure(go, importance_chart(study, evaluator, params, target, target_name))


def importance_figure(go: Any, chart: ImportanceChart) -> Any:
    """Draw ``chart`` with plotly's ``graph_objects`` module ``go``."""
    # plotly stacks a parameter's bars upwards from the first objective; a reversed legend
    # lists the objectives in the order the bars are seen, top down.
    layout = go.Layout(
        title=TITLE,
        xaxis={"title": XLABEL},
        yaxis={"title": YLABEL},
        legend={"traceorder": "reversed"},
    )
    traces = [
        go.Bar(
            x=group.importances,
            y=chart.params,
            name=group.name,
            text=group.labels,
            textposition="outside",
            cliponaxis=False,
            hovertemplate=[
                f"{hover}: {value}<extra>{group.name}</extra>"
                for hover, value in zip(chart.hovers, group.importances)
            ],
            orientation="h",
        )
        for group in chart.groups
    ]
    return go.Figure(data=traces, layout=layout)
