from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tansaku
from tansaku.distributions import FloatDistribution
from tansaku.study import Study
from tansaku.trial import TrialState, create_trial
from tansaku.visualization import plot_slice
from tansaku.visualization.matplotlib import plot_slice as mpl_plot_slice


def _completed(study: Study) -> list[Any]:
    return study.get_trials(states=(TrialState.COMPLETE,))


def test_one_panel_per_param_with_the_trials_values(mixed_study: Study, render: Any) -> None:
    figure = plot_slice(mixed_study)
    trials = _completed(mixed_study)
    names = ["layers", "lr", "momentum", "optimizer"]
    assert [figure.layout[f"xaxis{i or ''}"].title.text for i in range(1, 5)] == names
    assert figure.layout.yaxis.title.text == "Objective Value"
    for trace, name in zip(figure.data, names):
        having = [t for t in trials if name in t.params]
        assert list(trace.x) == [t.params[name] for t in having]
        assert list(trace.y) == [t.value for t in having]
        assert list(trace.marker.color) == [t.number for t in having]
    assert figure.layout.xaxis.type == "linear"
    assert figure.layout.xaxis2.type == "log"
    assert figure.layout.xaxis4.type == "category"
    assert list(figure.layout.xaxis4.categoryarray) == ["adam", "sgd"]
    assert len(figure.data[2].x) == 3  # momentum: the sgd trials only
    render(figure)

    axs = mpl_plot_slice(mixed_study)
    assert isinstance(axs, np.ndarray) and axs.shape == (4,)
    assert [ax.get_xlabel() for ax in axs] == names
    assert axs[0].get_ylabel() == "Objective Value"
    assert axs[1].get_xscale() == "log" and axs[0].get_xscale() == "linear"
    assert [t.get_text() for t in axs[3].get_xticklabels()] == ["adam", "sgd"]
    lr_points = axs[1].collections[0].get_offsets()
    np.testing.assert_allclose(lr_points[:, 0], [t.params["lr"] for t in trials])
    np.testing.assert_allclose(lr_points[:, 1], [t.value for t in trials])
    optimizer_points = axs[3].collections[0].get_offsets()
    codes = [["adam", "sgd"].index(t.params["optimizer"]) for t in trials]
    np.testing.assert_allclose(optimizer_points[:, 0], codes)
    assert len(axs[2].collections[0].get_offsets()) == 3
    render(axs[0])


def test_one_param_gives_a_single_axes(mixed_study: Study, render: Any) -> None:
    figure = plot_slice(mixed_study, params=["lr"])
    assert len(figure.data) == 1 and figure.layout.xaxis.type == "log"
    ax = mpl_plot_slice(mixed_study, params=["lr"])
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "lr"
    render(ax)


def test_params_not_in_the_study_are_named_in_the_error(mixed_study: Study) -> None:
    with pytest.raises(ValueError, match="'nope'"):
        plot_slice(mixed_study, params=["nope"])
    with pytest.raises(ValueError, match="'nope'"):
        mpl_plot_slice(mixed_study, params=["nope", "lr"])


def test_multi_objective_needs_a_target_and_plots_it(multi_objective_study: Study) -> None:
    with pytest.raises(ValueError, match="target"):
        plot_slice(multi_objective_study)
    with pytest.raises(ValueError, match="target"):
        mpl_plot_slice(multi_objective_study)
    figure = plot_slice(multi_objective_study, target=lambda t: t.values[1], target_name="acc")
    assert list(figure.data[0].y) == [0.7, 0.6, 0.9, 0.8]
    assert figure.layout.yaxis.title.text == "acc"
    axs = mpl_plot_slice(multi_objective_study, target=lambda t: t.values[1], target_name="acc")
    np.testing.assert_allclose(axs[0].collections[0].get_offsets()[:, 1], [0.7, 0.6, 0.9, 0.8])
    assert axs[0].get_ylabel() == "acc"


def test_infeasible_and_non_finite_trials() -> None:
    study = tansaku.create_study()
    x = FloatDistribution(0.0, 1.0)
    for value, c in [(0.1, 0.0), (0.5, 2.0), (0.8, -1.0)]:
        study.add_trial(
            create_trial(
                value=value, params={"x": value}, distributions={"x": x}, constraints={"c": c}
            )
        )
    study.add_trial(create_trial(value=float("inf"), params={"x": 0.3}, distributions={"x": x}))
    figure = plot_slice(study)
    assert list(figure.data[0].x) == [0.1, 0.8]  # the infinite value is left out
    assert figure.data[1].name == "Infeasible Trial" and list(figure.data[1].x) == [0.5]
    ax = mpl_plot_slice(study)
    np.testing.assert_allclose(ax.collections[1].get_offsets(), [[0.5, 0.5]])
