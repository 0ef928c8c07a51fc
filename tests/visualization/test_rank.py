from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tansaku
from tansaku.distributions import FloatDistribution
from tansaku.study import Study
from tansaku.trial import TrialState, create_trial
from tansaku.visualization import plot_rank
from tansaku.visualization._rank import rank_info
from tansaku.visualization.matplotlib import plot_rank as mpl_plot_rank

X = FloatDistribution(0.0, 1.0)


def _study(
    rows: list[tuple[float, float, float]], constraints: list[float] | None = None
) -> Study:
    study = tansaku.create_study()
    for i, (x, y, value) in enumerate(rows):
        study.add_trial(
            create_trial(
                value=value,
                params={"x": x, "y": y},
                distributions={"x": X, "y": X},
                constraints=None if constraints is None else {"c": constraints[i]},
            )
        )
    return study


def test_two_params_are_coloured_by_the_rank_of_the_target(render: Any) -> None:
    study = _study([(0.1, 0.2, 3.0), (0.5, 0.9, 1.0), (0.8, 0.4, 2.0)])
    figure = plot_rank(study)
    assert figure.layout.title.text == "Rank (Objective Value)"
    points = figure.data[0]
    assert list(points.x) == [0.1, 0.5, 0.8] and list(points.y) == [0.2, 0.9, 0.4]
    assert list(points.marker.color) == [1.0, 0.0, 0.5]
    assert figure.layout.xaxis.title.text == "x" and figure.layout.yaxis.title.text == "y"
    colorbar = figure.data[-1].marker.colorbar
    assert list(colorbar.ticktext) == ["min. (1)", "25% (1.5)", "50% (2)", "75% (2.5)", "max. (3)"]
    render(figure)
    ax = mpl_plot_rank(study)
    np.testing.assert_allclose(
        ax.collections[0].get_offsets(), [[0.1, 0.2], [0.5, 0.9], [0.8, 0.4]]
    )
    np.testing.assert_allclose(ax.collections[0].get_array(), [1.0, 0.0, 0.5])
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "y"
    render(ax)


def test_tied_targets_share_their_mean_rank() -> None:
    study = _study([(0.1, 0.2, 1.0), (0.5, 0.9, 1.0), (0.8, 0.4, 2.0), (0.3, 0.3, 0.0)])
    panel = rank_info(study, None, None, "Objective Value").panels["x", "y"]
    np.testing.assert_allclose(panel.ranks, [0.5, 0.5, 1.0, 0.0])


def test_log_categorical_and_conditional_params(mixed_study: Study, render: Any) -> None:
    figure = plot_rank(mixed_study, params=["lr", "optimizer"])
    assert figure.layout.xaxis.type == "log"
    assert figure.layout.yaxis.type == "category"
    trials = mixed_study.get_trials(states=(TrialState.COMPLETE,))
    assert list(figure.data[0].y) == [t.params["optimizer"] for t in trials]
    ax = mpl_plot_rank(mixed_study, params=["lr", "optimizer"])
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["adam", "sgd"]

    figure = plot_rank(mixed_study, params=["lr", "momentum"])
    sgd = [t for t in trials if "momentum" in t.params]
    assert list(figure.data[0].y) == [t.params["momentum"] for t in sgd]
    render(figure)


def test_more_than_two_params_give_a_matrix(mixed_study: Study, render: Any) -> None:
    figure = plot_rank(mixed_study)
    names = ["layers", "lr", "momentum", "optimizer"]
    assert figure.layout.xaxis16.title.text == "optimizer"
    assert figure.layout.yaxis5.title.text == "lr"
    assert figure.layout.xaxis2.type == "log"  # column 2 is lr
    render(figure)
    axs = mpl_plot_rank(mixed_study)
    assert isinstance(axs, np.ndarray) and axs.shape == (4, 4)
    assert [ax.get_xlabel() for ax in axs[-1]] == names
    assert [ax.get_ylabel() for ax in axs[:, 0]] == names
    assert axs[0, 1].get_xscale() == "log" and axs[1, 0].get_yscale() == "log"
    render(axs[0, 0])


def test_one_param_is_drawn_against_itself(mixed_study: Study) -> None:
    figure = plot_rank(mixed_study, params=["lr"])
    assert list(figure.data[0].x) == list(figure.data[0].y)
    ax = mpl_plot_rank(mixed_study, params=["lr"])
    assert ax.get_xlabel() == ax.get_ylabel() == "lr"


def test_infeasible_trials_are_grey() -> None:
    study = _study([(0.1, 0.2, 3.0), (0.5, 0.9, 1.0), (0.8, 0.4, 2.0)], [0.0, 1.0, 0.0])
    figure = plot_rank(study)
    infeasible = figure.data[1]
    assert infeasible.name == "Infeasible Trial" and list(infeasible.x) == [0.5]
    assert infeasible.marker.color == "#cccccc"


def test_bad_arguments(mixed_study: Study, multi_objective_study: Study) -> None:
    with pytest.raises(ValueError, match="'nope'"):
        plot_rank(mixed_study, params=["nope"])
    with pytest.raises(ValueError, match="target"):
        mpl_plot_rank(multi_objective_study)
    figure = plot_rank(multi_objective_study, target=lambda t: t.values[0], target_name="loss")
    assert figure.layout.title.text == "Rank (loss)"
