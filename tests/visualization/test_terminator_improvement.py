"""plot_terminator_improvement: the room for improvement after each trial, in both backends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tansaku
from tansaku.study import Study
from tansaku.terminator import (
    BestValueStagnationEvaluator,
    RegretBoundEvaluator,
    StaticErrorEvaluator,
    report_cross_validation_scores,
)
from tansaku.trial import TrialState, create_trial
from tansaku.visualization import plot_terminator_improvement
from tansaku.visualization.matplotlib import (
    plot_terminator_improvement as mpl_plot_terminator_improvement,
)
from tests.visualization.conftest import experimental, warned

PLOTS: list[Callable[..., Any]] = [plot_terminator_improvement, mpl_plot_terminator_improvement]


def _study(n: int) -> Study:
    """n trials of a seeded random search on a bowl, with cross-validation scores, and one
    failed trial after the third."""
    study = tansaku.create_study(sampler=tansaku.samplers.RandomSampler(seed=0))

    def objective(trial: tansaku.Trial) -> float:
        x = trial.suggest_float("x", -3.0, 3.0)
        value = (x - 0.5) ** 2
        report_cross_validation_scores(trial, [value - 0.1, value, value + 0.1])
        return value

    study.optimize(objective, n_trials=min(n, 3))
    if n > 3:
        study.add_trial(create_trial(state=TrialState.FAIL))
        study.optimize(objective, n_trials=n - 3)
    return study


def _lines(ax: Any) -> list[tuple[list[float], list[float]]]:
    return [(list(line.get_xdata()), list(line.get_ydata())) for line in ax.get_lines()]


def test_no_completed_trial_gives_an_empty_plot_and_a_warning(
    caplog_tansaku: pytest.LogCaptureFixture, render: Any
) -> None:
    study = tansaku.create_study()
    study.add_trial(create_trial(state=TrialState.FAIL))
    figure = plot_terminator_improvement(study)
    assert len(figure.data) == 0
    assert figure.layout.title.text == "Terminator Improvement Plot"
    render(figure)
    ax = mpl_plot_terminator_improvement(study)
    assert ax.get_lines() == []
    render(ax)
    assert warned(caplog_tansaku, "no complete trials")


def test_one_trial_gives_one_point(render: Any) -> None:
    study = _study(1)
    figure = plot_terminator_improvement(study)
    (trace,) = figure.data
    assert list(trace.x) == [0] and trace.showlegend
    render(figure)
    ax = mpl_plot_terminator_improvement(study)
    assert [x for x, _ in _lines(ax)] == [[0]]
    render(ax)


def test_many_trials_draw_the_early_points_faintly_and_the_error(render: Any) -> None:
    study = _study(12)
    evaluator = RegretBoundEvaluator(seed=0)
    figure = plot_terminator_improvement(
        study, plot_error=True, improvement_evaluator=evaluator, min_n_trials=5
    )
    early, late, error = figure.data
    numbers = list(range(13))  # 12 completed trials and the failed one, number 3
    assert list(early.x) == numbers[:6] and list(late.x) == numbers[5:]
    assert "0.25" in early.marker.color and not early.showlegend and late.showlegend
    assert error.name == "Error" and list(error.x) == numbers
    improvements = [*early.y, *late.y[1:]]
    assert improvements[3] == improvements[2]  # the failed trial changes nothing
    assert all(value >= 0 for value in improvements)
    # The y range pads the values from min_n_trials on (the early, larger ones may overflow).
    low, high = figure.layout.yaxis.range
    assert low < min(*late.y, *error.y) and high > max(*late.y, *error.y)
    render(figure)
    ax = mpl_plot_terminator_improvement(
        study, plot_error=True, improvement_evaluator=RegretBoundEvaluator(seed=0), min_n_trials=5
    )
    drawn = _lines(ax)
    assert [x for x, _ in drawn] == [numbers[:6], numbers[5:], numbers]
    np.testing.assert_allclose(drawn[1][1], late.y)  # the same data as the plotly figure
    np.testing.assert_allclose(drawn[2][1], error.y)
    render(ax)


def test_stagnation_plots_the_trials_left_and_the_zero_error_it_stops_at() -> None:
    study = tansaku.create_study()
    for value in [3.0, 1.0, 2.0, 2.0]:
        study.add_trial(create_trial(value=value))
    figure = plot_terminator_improvement(
        study, plot_error=True, improvement_evaluator=BestValueStagnationEvaluator(5)
    )
    (improvement, error) = figure.data
    assert list(improvement.y) == [5, 5, 4, 3]
    assert list(error.y) == [0, 0, 0, 0]  # StaticErrorEvaluator(0), the terminator's pairing
    figure = plot_terminator_improvement(
        study,
        plot_error=True,
        improvement_evaluator=BestValueStagnationEvaluator(5),
        error_evaluator=StaticErrorEvaluator(2.5),
    )
    assert list(figure.data[1].y) == [2.5] * 4


def test_the_plots_warn_that_they_are_experimental_as_optunas_do(
    recwarn: pytest.WarningsRecorder,
) -> None:
    for plot in PLOTS:
        recwarn.clear()
        plot(_study(2))
        assert experimental(recwarn)


@pytest.mark.parametrize("plot", PLOTS)
def test_bad_input_raises_naming_the_argument(plot: Callable[..., Any]) -> None:
    two = tansaku.create_study(directions=["minimize", "minimize"], study_name="two")
    with pytest.raises(ValueError, match=r"plot_terminator_improvement: study='two' must have"):
        plot(two)
    with pytest.raises(ValueError, match=r"plot_terminator_improvement: min_n_trials=-1 must"):
        plot(_study(1), min_n_trials=-1)
