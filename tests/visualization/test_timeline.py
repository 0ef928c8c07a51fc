from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import matplotlib.colors
import pytest

import tansaku
from tansaku.study import Study
from tansaku.trial import FrozenTrial, TrialState, create_trial
from tansaku.visualization import plot_timeline
from tansaku.visualization.matplotlib import plot_timeline as mpl_plot_timeline
from tests.visualization.conftest import experimental, warned

T0 = datetime.datetime(2026, 1, 1, 12, 0, 0)


def _trial(state: TrialState, start_s: float | None, end_s: float | None) -> FrozenTrial:
    return FrozenTrial(
        number=0,
        state=state,
        value=1.0 if state == TrialState.COMPLETE else None,
        datetime_start=None if start_s is None else T0 + datetime.timedelta(seconds=start_s),
        datetime_complete=None if end_s is None else T0 + datetime.timedelta(seconds=end_s),
        params={},
        distributions={},
        user_attrs={},
        system_attrs={},
        intermediate_values={},
        trial_id=0,
    )


@pytest.fixture
def timed_study() -> Study:
    study = tansaku.create_study(study_name="timed")
    study.add_trial(_trial(TrialState.COMPLETE, 0, 10))
    study.add_trial(_trial(TrialState.FAIL, 5, 8))
    study.add_trial(_trial(TrialState.PRUNED, 10, 12))
    study.add_trial(_trial(TrialState.COMPLETE, 12, 20))
    return study


def test_an_empty_study_gives_an_empty_plot_and_a_warning(
    empty_study: Study, caplog_tansaku: pytest.LogCaptureFixture, render: Any
) -> None:
    figure = plot_timeline(empty_study)
    assert len(figure.data) == 0
    render(figure)
    ax = mpl_plot_timeline(empty_study)
    assert len(ax.patches) == 0
    render(ax)
    assert warned(caplog_tansaku, "no trials")


def test_failed_trials_are_red_bars(failed_study: Study, render: Any) -> None:
    (trace,) = plot_timeline(failed_study).data
    assert trace.name == "FAIL" and list(trace.y) == [0, 1, 2]
    assert trace.marker.color == "red"
    ax = mpl_plot_timeline(failed_study)
    assert len(ax.patches) == 3
    render(ax)


def test_plotly_bars_span_each_trial_grouped_by_state(timed_study: Study, render: Any) -> None:
    figure = plot_timeline(timed_study)
    by_state = {trace.name: trace for trace in figure.data}
    assert list(by_state) == ["COMPLETE", "FAIL", "PRUNED"]
    complete = by_state["COMPLETE"]
    assert list(complete.y) == [0, 3]
    assert list(complete.x) == [10_000.0, 8_000.0]  # milliseconds on a date axis
    assert list(complete.base) == [
        T0.isoformat(),
        (T0 + datetime.timedelta(seconds=12)).isoformat(),
    ]
    assert list(by_state["FAIL"].x) == [3_000.0]
    assert figure.layout.xaxis.type == "date"
    assert figure.layout.xaxis.title.text == "Datetime"
    assert figure.layout.yaxis.title.text == "Trial"
    render(figure)


def test_matplotlib_bars_span_each_trial_coloured_by_state(
    timed_study: Study, render: Any, recwarn: pytest.WarningsRecorder
) -> None:
    ax = mpl_plot_timeline(timed_study)
    widths_s = [round(patch.get_width() * 86400) for patch in ax.patches]  # days -> seconds
    assert widths_s == [10, 3, 2, 8]
    colors = [matplotlib.colors.to_hex(patch.get_facecolor()) for patch in ax.patches]
    blue, red, orange = (
        matplotlib.colors.to_hex(c) for c in ("tab:blue", "tab:red", "tab:orange")
    )
    assert colors == [blue, red, orange, blue]
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["COMPLETE", "FAIL", "PRUNED"]
    assert experimental(recwarn)
    render(ax)


def test_n_recent_trials_keeps_the_last_ones(timed_study: Study) -> None:
    figure = plot_timeline(timed_study, n_recent_trials=2)
    assert sorted(n for trace in figure.data for n in trace.y) == [2, 3]
    assert len(mpl_plot_timeline(timed_study, n_recent_trials=1).patches) == 1


@pytest.mark.parametrize("plot", [plot_timeline, mpl_plot_timeline], ids=["plotly", "mpl"])
@pytest.mark.parametrize("n", [0, -3])
def test_n_recent_trials_must_be_positive(
    plot: Callable[..., Any], n: int, timed_study: Study
) -> None:
    with pytest.raises(ValueError, match="n_recent_trials"):
        plot(timed_study, n_recent_trials=n)


def test_a_running_trial_reaches_to_now_and_a_waiting_one_is_short() -> None:
    study = tansaku.create_study()
    study.ask()
    study.enqueue_trial({})
    before = datetime.datetime.now()
    by_state = {trace.name: trace for trace in plot_timeline(study).data}
    running = by_state["RUNNING"]
    end = datetime.datetime.fromisoformat(running.base[0]) + datetime.timedelta(
        milliseconds=running.x[0]
    )
    assert end >= before
    assert list(by_state["WAITING"].x) == [1000.0]


def test_completed_trials_that_break_a_constraint_are_infeasible_and_grey() -> None:
    study = tansaku.create_study()
    study.add_trial(create_trial(value=1.0, constraints={"c": 2.0}))
    study.add_trial(create_trial(value=1.0, constraints={"c": 0.0}))
    infeasible, complete = plot_timeline(study).data
    assert (infeasible.name, list(infeasible.y)) == ("INFEASIBLE", [0])
    assert infeasible.marker.color == "#cccccc"
    assert (complete.name, list(complete.y)) == ("COMPLETE", [1])
