"""The terminator's view of a study: the room for improvement after each trial, and the error
it is compared with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tansaku._internal.deprecation import warn_experimental
from tansaku.logging import get_logger
from tansaku.terminator._improvement import DEFAULT_MIN_N_TRIALS, check_count
from tansaku.visualization._utils import figure_of, plotly_go

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.terminator import BaseErrorEvaluator, BaseImprovementEvaluator

_logger = get_logger(__name__)

TITLE = "Terminator Improvement Plot"
Y_TITLE = "Terminator Improvement"
IMPROVEMENT_NAME = "Terminator Improvement"
ERROR_NAME = "Error"
# The share of the drawn values' span added above and below them.
PADDING_RATIO_Y = 0.05
# The opacity of the values before ``min_n_trials``, when the terminator does not stop yet.
EARLY_OPACITY = 0.25


@dataclass(frozen=True)
class ImprovementInfo:
    """What the plot draws.

    Attributes:
        trial_numbers: Every trial number from the first completed trial on.
        improvements: The room for improvement evaluated on the trials completed up to each
            of them.
        errors: The error evaluated alike, or None when it is not plotted.
    """

    trial_numbers: list[int]
    improvements: list[float]
    errors: list[float] | None


def improvement_info(
    study: Study,
    plot_error: bool,
    improvement_evaluator: BaseImprovementEvaluator | None,
    error_evaluator: BaseErrorEvaluator | None,
    min_n_trials: int,
    where: str,
) -> ImprovementInfo:
    """Evaluate the improvement (and the error) after each trial of ``study``.

    A trial that did not complete leaves the completed trials as they were, so its values
    are the previous ones, not evaluated again.

    Raises:
        ValueError: ``study`` has several objectives, or ``min_n_trials`` is negative.
    """
    from tansaku.terminator import RegretBoundEvaluator
    from tansaku.terminator._terminator import default_error_evaluator, single_direction
    from tansaku.trial import TrialState

    direction = single_direction(study, where)
    check_count(where, "min_n_trials", min_n_trials, 0)
    improvement_evaluator = improvement_evaluator or RegretBoundEvaluator()
    if plot_error and error_evaluator is None:
        error_evaluator = default_error_evaluator(improvement_evaluator)
    numbers: list[int] = []
    improvements: list[float] = []
    errors: list[float] = []
    completed = []
    for trial in study.get_trials(deepcopy=False):
        is_new = trial.state == TrialState.COMPLETE
        if is_new:
            completed.append(trial)
        if not completed:
            continue
        numbers.append(trial.number)
        if not is_new and improvements:
            improvements.append(improvements[-1])
            if plot_error:
                errors.append(errors[-1])
            continue
        improvements.append(float(improvement_evaluator.evaluate(list(completed), direction)))
        if plot_error and error_evaluator is not None:
            errors.append(float(error_evaluator.evaluate(list(completed), direction)))
    return ImprovementInfo(numbers, improvements, errors if plot_error else None)


def y_range(info: ImprovementInfo, min_n_trials: int) -> tuple[float, float]:
    """The y axis range: every value, except that the improvements before ``min_n_trials``
    (often far larger, from few trials) do not stretch it when later ones exist."""
    low = min(info.improvements + (info.errors or []))
    shown = info.improvements[min_n_trials:] or info.improvements
    high = max(shown + (info.errors or []))
    # One value (or equal ones) spans nothing: pad around it instead.
    padding = (high - low) * PADDING_RATIO_Y or max(abs(high) * PADDING_RATIO_Y, 1e-12)
    return low - padding, high + padding


def segments(
    info: ImprovementInfo, min_n_trials: int
) -> list[tuple[list[int], list[float], bool]]:
    """The improvement line in two parts, (numbers, values, early): up to ``min_n_trials``
    drawn faintly, from there on in full (they share the point at ``min_n_trials``)."""
    parts = [(info.trial_numbers[: min_n_trials + 1], info.improvements[: min_n_trials + 1], True)]
    if len(info.trial_numbers) > min_n_trials:
        late = (info.trial_numbers[min_n_trials:], info.improvements[min_n_trials:], False)
        parts.append(late)
    return parts


def plot_terminator_improvement(
    study: Study,
    plot_error: bool = False,
    improvement_evaluator: BaseImprovementEvaluator | None = None,
    error_evaluator: BaseErrorEvaluator | None = None,
    min_n_trials: int = DEFAULT_MIN_N_TRIALS,
) -> Any:
    """Plot the room for improvement left after each trial, as the terminator sees it.

    A curve that flattens near 0, or falls below the error, says that more trials are
    unlikely to pay (see :class:`~tansaku.terminator.Terminator`). Each point is evaluated
    on the trials completed up to it, so the plot costs one evaluation (a GP fit, with the
    default evaluator) per completed trial.

    Args:
        study: A single-objective study.
        plot_error: Also plot the error evaluated by ``error_evaluator``.
        improvement_evaluator: Evaluates the room for improvement (default:
            :class:`~tansaku.terminator.RegretBoundEvaluator`).
        error_evaluator: Evaluates the error (default: as :class:`~tansaku.terminator.Terminator`
            chooses, the cross-validation error for the regret bound).
        min_n_trials: The trials before which the terminator does not stop: their points are
            drawn faintly (>= 0).

    Returns:
        A ``plotly.graph_objects.Figure``; without completed trials it has no data, and a
        warning is logged.

    Raises:
        ValueError: ``study`` has several objectives, or ``min_n_trials`` is negative.
    """
    go = plotly_go("plot_terminator_improvement")
    warn_experimental("plot_terminator_improvement")
    info = improvement_info(
        study,
        plot_error,
        improvement_evaluator,
        error_evaluator,
        min_n_trials,
        "plot_terminator_improvement",
    )
    return improvement_figure(go, info, min_n_trials)


def improvement_figure(go: Any, info: ImprovementInfo, min_n_trials: int) -> Any:
    """The plotly Figure of ``info``."""
    layout = go.Layout(title=TITLE, xaxis={"title": "Trial"}, yaxis={"title": Y_TITLE})
    if not info.trial_numbers:
        _logger.warning("There are no complete trials.")
        return go.Figure(layout=layout)
    traces: list[tuple[Any, dict[str, Any]]] = []
    parts = segments(info, min_n_trials)
    for numbers, values, early in parts:
        color = f"rgba(99, 110, 250, {EARLY_OPACITY if early else 1.0})"
        trace = go.Scatter(
            mode="markers+lines",
            marker={"color": color},
            line={"color": color},
            name=IMPROVEMENT_NAME,
            legendgroup="improvement",
            showlegend=not early or len(parts) == 1,
        )
        traces.append((trace, {"x": numbers, "y": values}))
    if info.errors is not None:
        red = "rgb(239, 85, 59)"
        trace = go.Scatter(
            mode="markers+lines", marker={"color": red}, line={"color": red}, name=ERROR_NAME
        )
        traces.append((trace, {"x": info.trial_numbers, "y": info.errors}))
    figure = figure_of(go, traces, layout)
    figure.update_yaxes(range=y_range(info, min_n_trials))
    return figure
