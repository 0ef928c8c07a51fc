from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tansaku
from tansaku.study import Study
from tansaku.trial import create_trial
from tansaku.visualization import plot_optimization_history
from tansaku.visualization.matplotlib import (
    plot_optimization_history as mpl_plot_optimization_history,
)
from tests.visualization.conftest import add_mixed_trials, experimental, warned

MIXED_VALUES = [0.9, 0.4, 0.3, 1.2, 0.2, 0.6]
MIXED_BEST = [0.9, 0.4, 0.3, 0.3, 0.2, 0.2, 0.2, 0.2]  # the pruned and failed trials keep it


def _scatter_points(ax: Any, index: int) -> tuple[list[float], list[float]]:
    offsets = np.asarray(ax.collections[index].get_offsets())
    return offsets[:, 0].tolist(), offsets[:, 1].tolist()


def _lines(ax: Any) -> list[tuple[list[float], list[float]]]:
    return [(list(line.get_xdata()), list(line.get_ydata())) for line in ax.lines]


@pytest.mark.parametrize("make", ["empty_study", "failed_study"])
def test_a_study_without_completed_trials_gives_an_empty_plot_and_a_warning(
    make: str,
    request: pytest.FixtureRequest,
    caplog_tansaku: pytest.LogCaptureFixture,
    render: Any,
) -> None:
    study = request.getfixturevalue(make)
    figure = plot_optimization_history(study)
    assert len(figure.data) == 0
    assert figure.layout.xaxis.title.text == "Trial"
    render(figure)
    ax = mpl_plot_optimization_history(study)
    assert not ax.collections and not ax.lines
    render(ax)
    assert warned(caplog_tansaku, "no complete trials")


def test_plotly_points_are_the_completed_trials_values_and_the_best_so_far(
    mixed_study: Study, render: Any
) -> None:
    figure = plot_optimization_history(mixed_study)
    markers, best, infeasible = figure.data
    assert list(markers.x) == [0, 1, 2, 3, 4, 5]
    assert list(markers.y) == MIXED_VALUES
    assert markers.name == "Objective Value"
    assert best.name == "Best Value"
    assert list(best.x) == list(range(8))
    assert list(best.y) == MIXED_BEST
    assert list(infeasible.x) == []
    assert figure.layout.yaxis.title.text == "Objective Value"
    assert figure.layout.title.text == "Optimization History Plot"
    render(figure)


def test_matplotlib_points_are_the_completed_trials_values_and_the_best_so_far(
    mixed_study: Study, render: Any, recwarn: pytest.WarningsRecorder
) -> None:
    ax = mpl_plot_optimization_history(mixed_study)
    assert _scatter_points(ax, 0) == ([0, 1, 2, 3, 4, 5], MIXED_VALUES)
    assert _lines(ax) == [(list(range(8)), MIXED_BEST)]
    assert ax.get_xlabel() == "Trial" and ax.get_ylabel() == "Objective Value"
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["Objective Value", "Best Value"]
    assert experimental(recwarn)
    render(ax)


def test_best_line_follows_the_direction_and_starts_at_the_first_completed_trial() -> None:
    study = tansaku.create_study(direction="maximize")
    study.tell(study.ask(), state=tansaku.trial.TrialState.FAIL)
    for value in [1.0, 3.0, 2.0]:
        study.add_trial(create_trial(value=value))
    best = plot_optimization_history(study).data[1]
    assert math.isnan(best.y[0])
    assert list(best.y[1:]) == [1.0, 3.0, 3.0]


def test_a_target_plots_its_values_without_a_best_line(
    multi_objective_study: Study, recwarn: pytest.WarningsRecorder
) -> None:
    def accuracy(trial: Any) -> float:
        return float(trial.values[1])

    figure = plot_optimization_history(
        multi_objective_study, target=accuracy, target_name="accuracy"
    )
    assert [trace.name for trace in figure.data] == ["accuracy", "Infeasible Trial"]
    assert list(figure.data[0].y) == [0.7, 0.6, 0.9, 0.8]
    assert figure.layout.yaxis.title.text == "accuracy"
    ax = mpl_plot_optimization_history(
        multi_objective_study, target=accuracy, target_name="accuracy"
    )
    assert _scatter_points(ax, 0)[1] == [0.7, 0.6, 0.9, 0.8]
    assert len(ax.lines) == 0


def test_a_target_with_the_default_name_warns(mixed_study: Study) -> None:
    with pytest.warns(UserWarning, match="target_name"):
        plot_optimization_history(mixed_study, target=lambda t: -(t.value or 0.0))


@pytest.mark.parametrize(
    "plot", [plot_optimization_history, mpl_plot_optimization_history], ids=["plotly", "mpl"]
)
def test_several_objectives_without_a_target_are_rejected(
    plot: Callable[..., Any], multi_objective_study: Study
) -> None:
    with pytest.raises(ValueError, match="target"):
        plot(multi_objective_study)


def test_several_studies_get_one_series_each_named_by_study(render: Any) -> None:
    studies = []
    for name, values in [("a", [3.0, 1.0]), ("b", [2.0, 4.0, 0.5])]:
        study = tansaku.create_study(study_name=name)
        for value in values:
            study.add_trial(create_trial(value=value))
        studies.append(study)
    figure = plot_optimization_history(studies)
    names = [trace.name for trace in figure.data if trace.showlegend is not False]
    assert names == ["Objective Value of a", "Best Value of a", "Objective Value of b"] + [
        "Best Value of b"
    ]
    assert list(figure.data[3].y) == [2.0, 4.0, 0.5]
    assert list(figure.data[4].y) == [2.0, 2.0, 0.5]
    render(figure)
    ax = mpl_plot_optimization_history(studies)
    assert _scatter_points(ax, 1) == ([0, 1, 2], [2.0, 4.0, 0.5])
    render(ax)


def test_error_bars_are_the_mean_and_deviation_over_studies(render: Any) -> None:
    studies = []
    for values in [[1.0, 3.0], [3.0, 1.0]]:
        study = tansaku.create_study()
        for value in values:
            study.add_trial(create_trial(value=value))
        studies.append(study)
    figure = plot_optimization_history(studies, error_bar=True)
    markers, best = figure.data[0], figure.data[1]
    assert list(markers.y) == [2.0, 2.0]
    assert list(markers.error_y.array) == [1.0, 1.0]
    assert list(best.y) == [2.0, 1.0]  # best so far: (1, 1) and (3, 1)
    upper, lower = figure.data[2], figure.data[3]
    assert list(upper.y) == [3.0, 1.0] and list(lower.y) == [1.0, 1.0]
    render(figure)
    ax = mpl_plot_optimization_history(studies, error_bar=True)
    best_line = next(line for line in ax.lines if line.get_label() == "Best Value")
    assert list(best_line.get_ydata()) == [2.0, 1.0]
    assert len(ax.collections) >= 2  # the error bars and the band
    render(ax)


def test_trials_that_break_a_constraint_are_grey_and_not_best() -> None:
    study = tansaku.create_study()
    study.add_trial(create_trial(value=5.0, constraints={"c": 0.0}))
    study.add_trial(create_trial(value=1.0, constraints={"c": 2.0}))
    study.add_trial(create_trial(value=3.0, constraints={"c": -1.0}))
    markers, best, infeasible = plot_optimization_history(study).data
    assert list(markers.x) == [0, 2] and list(markers.y) == [5.0, 3.0]
    assert list(infeasible.x) == [1] and list(infeasible.y) == [1.0]
    assert infeasible.marker.color == "#cccccc"
    assert list(best.y) == [5.0, 5.0, 3.0]


def test_several_studies_mixing_empty_and_full_plot_the_full_one() -> None:
    full = tansaku.create_study(study_name="full")
    add_mixed_trials(full)
    figure = plot_optimization_history([tansaku.create_study(study_name="none"), full])
    plotted = [list(trace.y) for trace in figure.data if trace.name == "Objective Value of full"]
    assert plotted == [MIXED_VALUES]


@pytest.mark.parametrize(
    "plot", [plot_optimization_history, mpl_plot_optimization_history], ids=["plotly", "mpl"]
)
def test_a_target_returning_all_objectives_is_rejected(
    plot: Callable[..., Any], multi_objective_study: Study
) -> None:
    with pytest.raises(ValueError, match="not a number"):
        plot(multi_objective_study, target=lambda t: t.values, target_name="both")


def test_the_target_name_warning_points_at_the_caller(mixed_study: Study) -> None:
    with pytest.warns(UserWarning) as records:
        plot_optimization_history(mixed_study, target=lambda t: t.value)
    assert records[0].filename == __file__
