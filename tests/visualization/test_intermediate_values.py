from __future__ import annotations

from typing import Any

import pytest

import tansaku
from tansaku.study import Study
from tansaku.trial import TrialState, create_trial
from tansaku.visualization import plot_intermediate_values
from tansaku.visualization.matplotlib import (
    plot_intermediate_values as mpl_plot_intermediate_values,
)
from tests.visualization.conftest import experimental, warned

MIXED_CURVES = [
    [0.9 * 3, 0.9 * 2, 0.9],
    [0.4 * 3, 0.4 * 2, 0.4],
    [0.3 * 3, 0.3 * 2, 0.3],
    [1.2 * 3, 1.2 * 2, 1.2],
    [0.2 * 3, 0.2 * 2, 0.2],
    [0.6 * 3, 0.6 * 2, 0.6],
    [5.0, 4.5],
]


@pytest.mark.parametrize("make", ["empty_study", "failed_study"])
def test_a_study_without_trials_to_draw_gives_an_empty_plot_and_a_warning(
    make: str,
    request: pytest.FixtureRequest,
    caplog_tansaku: pytest.LogCaptureFixture,
    render: Any,
) -> None:
    study = request.getfixturevalue(make)
    figure = plot_intermediate_values(study)
    assert len(figure.data) == 0
    render(figure)
    ax = mpl_plot_intermediate_values(study)
    assert len(ax.lines) == 0
    render(ax)
    assert warned(caplog_tansaku, "no complete, pruned or running trials")


def test_trials_without_reports_give_an_empty_plot_and_a_hint(
    caplog_tansaku: pytest.LogCaptureFixture,
) -> None:
    study = tansaku.create_study()
    study.add_trial(create_trial(value=1.0))
    assert len(plot_intermediate_values(study).data) == 0
    assert warned(caplog_tansaku, "trial.report")


def test_plotly_draws_one_line_per_trial_with_its_reported_values(
    mixed_study: Study, render: Any
) -> None:
    figure = plot_intermediate_values(mixed_study)
    assert [list(trace.y) for trace in figure.data] == MIXED_CURVES
    assert [list(trace.x) for trace in figure.data] == [[0, 1, 2]] * 6 + [[0, 1]]
    assert [trace.name for trace in figure.data][-2:] == ["Trial 5", "Trial 6 (pruned)"]
    assert {trace.line.dash for trace in figure.data[:-1]} == {"solid"}
    assert figure.data[-1].line.dash == "dash"
    assert figure.layout.xaxis.title.text == "Step"
    assert figure.layout.yaxis.title.text == "Intermediate Value"
    render(figure)


def test_matplotlib_draws_one_line_per_trial_pruned_ones_dashed(
    mixed_study: Study, render: Any, recwarn: pytest.WarningsRecorder
) -> None:
    ax = mpl_plot_intermediate_values(mixed_study)
    assert [list(line.get_ydata()) for line in ax.lines] == MIXED_CURVES
    assert [line.get_linestyle() for line in ax.lines] == ["-"] * 6 + ["--"]
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[-1] == "Trial 6 (pruned)"
    assert ax.get_xlabel() == "Step"
    assert experimental(recwarn)
    render(ax)


def test_steps_are_sorted_and_running_trials_are_drawn() -> None:
    study = tansaku.create_study()
    trial = study.ask()
    trial.report(3.0, step=5)
    trial.report(1.0, step=2)
    figure = plot_intermediate_values(study)
    assert list(figure.data[0].x) == [2, 5]
    assert list(figure.data[0].y) == [1.0, 3.0]
    study.tell(trial, state=TrialState.PRUNED)
    assert plot_intermediate_values(study).data[0].name == "Trial 0 (pruned)"


def test_a_trial_that_breaks_a_constraint_is_grey() -> None:
    study = tansaku.create_study()
    study.add_trial(create_trial(value=1.0, intermediate_values={0: 1.0}, constraints={"c": 1}))
    trace = plot_intermediate_values(study).data[0]
    assert trace.line.color == "#CCCCCC"


def test_several_objectives_need_no_target_and_have_no_curves(
    multi_objective_study: Study, caplog_tansaku: pytest.LogCaptureFixture
) -> None:
    assert len(plot_intermediate_values(multi_objective_study).data) == 0
    assert len(mpl_plot_intermediate_values(multi_objective_study).lines) == 0
    assert warned(caplog_tansaku, "trial.report")


def test_past_max_curves_the_plot_draws_percentile_bands_by_step(
    mixed_study: Study, monkeypatch: pytest.MonkeyPatch, render: Any
) -> None:
    import tansaku.visualization._intermediate_values as module

    monkeypatch.setattr(module, "MAX_CURVES", len(MIXED_CURVES))
    assert len(plot_intermediate_values(mixed_study).data) == len(MIXED_CURVES)  # as it was

    monkeypatch.setattr(module, "MAX_CURVES", len(MIXED_CURVES) - 1)
    figure = plot_intermediate_values(mixed_study)

    assert "7 trials: median and percentile bands by step" in figure.layout.title.text
    # Complete trials: two bands (their edges) and the median; the pruned one alike.
    assert len(figure.data) == 10
    median = figure.data[4]
    assert median.name == "complete (6 trials): median"
    assert list(median.x) == [0, 1, 2]
    finals = sorted(curve[2] for curve in MIXED_CURVES[:6])
    assert median.y[2] == pytest.approx((finals[2] + finals[3]) / 2)
    low, high = figure.data[0].y, figure.data[1].y
    assert low[2] == pytest.approx(0.2 + 0.05 * 5 * (0.3 - 0.2)) and high[2] < 1.2
    assert figure.data[-1].name == "pruned (1 trial): median"
    assert list(figure.data[-1].y) == [5.0, 4.5]
    render(figure)


def test_the_spread_leaves_out_non_finite_values(monkeypatch: pytest.MonkeyPatch) -> None:
    import tansaku.visualization._intermediate_values as module

    study = tansaku.create_study()
    for value in [1.0, 2.0, float("inf"), float("nan")]:
        study.add_trial(create_trial(value=0.0, intermediate_values={0: value, 1: 3.0}))
    monkeypatch.setattr(module, "MAX_CURVES", 2)
    figure = plot_intermediate_values(study)
    assert list(figure.data[4].y) == [1.5, 3.0]
