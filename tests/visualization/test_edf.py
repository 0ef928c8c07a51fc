from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tansaku
from tansaku.study import Study
from tansaku.trial import create_trial
from tansaku.visualization import plot_edf
from tansaku.visualization.matplotlib import plot_edf as mpl_plot_edf
from tests.visualization.conftest import experimental, warned


def _study(name: str, values: list[float]) -> Study:
    study = tansaku.create_study(study_name=name)
    for value in values:
        study.add_trial(create_trial(value=value))
    return study


@pytest.mark.parametrize("make", ["empty_study", "failed_study"])
def test_a_study_without_completed_trials_gives_an_empty_plot_and_a_warning(
    make: str,
    request: pytest.FixtureRequest,
    caplog_tansaku: pytest.LogCaptureFixture,
    render: Any,
) -> None:
    study = request.getfixturevalue(make)
    figure = plot_edf(study)
    assert len(figure.data) == 0
    render(figure)
    ax = mpl_plot_edf(study)
    assert len(ax.lines) == 0
    render(ax)
    assert warned(caplog_tansaku, "no complete trials")


def test_no_studies_give_an_empty_plot(caplog_tansaku: pytest.LogCaptureFixture) -> None:
    assert len(plot_edf([]).data) == 0
    assert warned(caplog_tansaku, "no studies")


def test_the_curve_is_the_fraction_of_values_at_or_below_each_x(
    mixed_study: Study, render: Any, recwarn: pytest.WarningsRecorder
) -> None:
    values = np.array([0.9, 0.4, 0.3, 1.2, 0.2, 0.6])
    figure = plot_edf(mixed_study)
    (trace,) = figure.data
    x = np.asarray(trace.x)
    assert len(x) == 100 and x[0] == pytest.approx(0.2) and x[-1] == pytest.approx(1.2)
    expected = [(values <= point).mean() for point in x]
    assert list(trace.y) == pytest.approx(expected)
    assert trace.y[-1] == 1.0
    assert trace.name == "mixed"
    assert figure.layout.xaxis.title.text == "Objective Value"
    assert figure.layout.yaxis.title.text == "Cumulative Probability"
    render(figure)
    ax = mpl_plot_edf(mixed_study)
    (line,) = ax.lines
    assert list(line.get_xdata()) == pytest.approx(list(x))
    assert list(line.get_ydata()) == pytest.approx(expected)
    assert ax.get_ylim() == (0.0, 1.0)
    assert experimental(recwarn)
    render(ax)


def test_several_studies_share_one_grid_and_are_named(render: Any) -> None:
    studies = [_study("low", [0.0, 1.0]), _study("high", [2.0, 3.0])]
    figure = plot_edf(studies)
    low, high = figure.data
    assert (low.name, high.name) == ("low", "high")
    assert list(low.x) == list(high.x)
    assert low.x[0] == 0.0 and low.x[-1] == 3.0
    assert low.y[-1] == 1.0 and high.y[0] == 0.0
    ax = mpl_plot_edf(studies)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["low", "high"]
    render(ax)


def test_non_finite_values_are_left_out_with_a_warning(
    caplog_tansaku: pytest.LogCaptureFixture,
) -> None:
    study = _study("inf", [1.0, float("inf"), 2.0])
    (trace,) = plot_edf(study).data
    assert trace.x[-1] == 2.0
    assert warned(caplog_tansaku, "Trial 1")


def test_a_target_picks_the_objective(multi_objective_study: Study) -> None:
    (trace,) = plot_edf(
        multi_objective_study, target=lambda t: t.values[1], target_name="accuracy"
    ).data
    assert trace.x[0] == 0.6 and trace.x[-1] == 0.9


@pytest.mark.parametrize("plot", [plot_edf, mpl_plot_edf], ids=["plotly", "mpl"])
def test_several_objectives_without_a_target_are_rejected(
    plot: Callable[..., Any], multi_objective_study: Study
) -> None:
    with pytest.raises(ValueError, match="target"):
        plot([multi_objective_study])
