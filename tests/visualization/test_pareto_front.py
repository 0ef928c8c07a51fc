from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import tansaku
from tansaku.study import Study
from tansaku.trial import FrozenTrial, TrialState, create_trial
from tansaku.visualization import plot_pareto_front
from tansaku.visualization.matplotlib import plot_pareto_front as mpl_plot_pareto_front
from tests.visualization.conftest import experimental, warned


def _by_name(figure: Any) -> dict[str, Any]:
    return {trace.name: trace for trace in figure.data}


def _study(rows: list[tuple[float, ...]], directions: list[str] | None = None) -> Study:
    study = tansaku.create_study(directions=directions or ["minimize"] * len(rows[0]))
    for values in rows:
        study.add_trial(create_trial(values=list(values)))
    return study


@pytest.mark.parametrize("failed", [False, True])
def test_a_study_without_completed_trials_gives_empty_traces_and_a_warning(
    failed: bool,
    caplog_tansaku: pytest.LogCaptureFixture,
    render: Any,
    recwarn: pytest.WarningsRecorder,
) -> None:
    study = tansaku.create_study(directions=["minimize", "minimize"])
    if failed:
        study.tell(study.ask(), state=TrialState.FAIL)
    figure = plot_pareto_front(study)
    assert all(len(trace.x) == 0 for trace in figure.data)
    assert figure.layout.xaxis.title.text == "Objective 0"
    render(figure)
    ax = mpl_plot_pareto_front(study)
    assert not ax.has_data()
    render(ax)
    assert warned(caplog_tansaku, "does not have any completed trials")
    assert experimental(recwarn)


def test_the_pareto_front_is_highlighted(multi_objective_study: Study, render: Any) -> None:
    figure = plot_pareto_front(multi_objective_study)
    traces = _by_name(figure)
    assert set(traces) == {"Trial", "Best Trial"}
    best = traces["Best Trial"]
    # (0.5, 0.7) is dominated by (0.4, 0.8): loss is minimized, accuracy maximized.
    assert sorted(zip(best.x, best.y)) == [(0.3, 0.6), (0.4, 0.8), (0.8, 0.9)]
    assert list(traces["Trial"].x) == [0.5] and list(traces["Trial"].y) == [0.7]
    assert list(best.marker.color) == [1, 2, 3]  # shaded by trial number
    assert figure.layout.xaxis.title.text == "Objective 0"
    render(figure)
    ax = mpl_plot_pareto_front(multi_objective_study)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Trial", "Best Trial"]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), [[0.5, 0.7]])
    assert len(ax.collections[1].get_offsets()) == 3
    render(ax)


def test_dominated_trials_can_be_left_out(multi_objective_study: Study) -> None:
    figure = plot_pareto_front(multi_objective_study, include_dominated_trials=False)
    assert len(_by_name(figure)["Trial"].x) == 0
    assert len(_by_name(figure)["Best Trial"].x) == 3
    ax = mpl_plot_pareto_front(multi_objective_study, include_dominated_trials=False)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Best Trial"]


def test_three_objectives_draw_in_3d(render: Any) -> None:
    study = _study(
        [(1, 2, 3), (2, 1, 3), (3, 3, 3), (0, 5, 1)], ["minimize", "minimize", "maximize"]
    )
    study.set_metric_names(["a", "b", "c"])
    figure = plot_pareto_front(study)
    assert {trace.type for trace in figure.data} == {"scatter3d"}
    assert figure.layout.scene.zaxis.title.text == "c"
    best = _by_name(figure)["Best Trial"]
    assert sorted(zip(best.x, best.y, best.z)) == [(0, 5, 1), (1, 2, 3), (2, 1, 3)]
    render(figure)
    ax = mpl_plot_pareto_front(study, target_names=["A", "B", "C"])
    assert ax.name == "3d" and ax.get_zlabel() == "C"
    render(ax)


def test_constraints_set_on_trials_are_shown(render: Any) -> None:
    study = tansaku.create_study(directions=["minimize", "minimize"])
    for x, y, c in [(1, 4, 0.0), (2, 2, -1.0), (0, 0, 3.0), (3, 3, 0.0)]:
        trial = study.ask()
        trial.set_constraint("c", c)
        study.tell(trial, [x, y])
    # A sampler's constraints_func stores its values under the "constraints" system attr.
    study.add_trial(create_trial(values=[0.5, 0.5], system_attrs={"constraints": [1.0]}))
    figure = plot_pareto_front(study)
    traces = _by_name(figure)
    assert sorted(zip(traces["Infeasible Trial"].x, traces["Infeasible Trial"].y)) == [
        (0, 0),
        (0.5, 0.5),
    ]
    assert traces["Infeasible Trial"].marker.color == "#cccccc"
    assert sorted(zip(traces["Best Trial"].x, traces["Best Trial"].y)) == [(1, 4), (2, 2)]
    assert list(traces["Feasible Trial"].x) == [3]
    render(figure)
    ax = mpl_plot_pareto_front(study)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Infeasible Trial", "Feasible Trial", "Best Trial"]


def test_constraints_func_is_deprecated_but_used(multi_objective_study: Study) -> None:
    def constraints(trial: FrozenTrial) -> Sequence[float]:
        return [trial.values[0] - 0.45]

    with pytest.warns(FutureWarning, match="constraints_func"):
        figure = plot_pareto_front(multi_objective_study, constraints_func=constraints)
    traces = _by_name(figure)
    assert sorted(traces["Infeasible Trial"].x) == [0.5, 0.8]
    assert sorted(zip(traces["Best Trial"].x, traces["Best Trial"].y)) == [(0.3, 0.6), (0.4, 0.8)]


def test_targets_and_target_names() -> None:
    study = _study([(1, 2, 3, 4), (4, 3, 2, 1)])
    with pytest.raises(ValueError, match="2 or 3"):
        plot_pareto_front(study)
    figure = plot_pareto_front(
        study, targets=lambda t: (t.values[0], t.values[3]), target_names=["first", "last"]
    )
    assert figure.layout.xaxis.title.text == "first" and figure.layout.yaxis.title.text == "last"
    assert sorted(_by_name(figure)["Best Trial"].x) == [1, 4]
    with pytest.raises(ValueError, match="target_names"):
        plot_pareto_front(study, targets=lambda t: t.values[:2], target_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="sequence"):
        mpl_plot_pareto_front(study, targets=lambda t: t.values[0])  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="2 or 3"):
        mpl_plot_pareto_front(study, targets=lambda t: t.values)


def test_a_single_objective_study_is_rejected() -> None:
    study = _study([(1.0,), (2.0,)])
    with pytest.raises(ValueError, match="objective"):
        plot_pareto_front(study)
    with pytest.raises(ValueError, match="objective"):
        mpl_plot_pareto_front(study)


def test_an_empty_study_with_targets_needs_target_names() -> None:
    study = tansaku.create_study(directions=["minimize", "minimize"])
    with pytest.raises(ValueError, match="target_names"):
        plot_pareto_front(study, targets=lambda t: t.values)
    figure = plot_pareto_front(study, targets=lambda t: t.values, target_names=["p", "q"])
    assert figure.layout.yaxis.title.text == "q"
