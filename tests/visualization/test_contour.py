from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tansaku
from tansaku._internal.study_direction import StudyDirection
from tansaku.distributions import FloatDistribution
from tansaku.study import Study
from tansaku.trial import create_trial
from tansaku.visualization import plot_contour
from tansaku.visualization._contour import interpolate
from tansaku.visualization._param_utils import ParamAxis
from tansaku.visualization.matplotlib import plot_contour as mpl_plot_contour
from tests.visualization.conftest import warned

X = FloatDistribution(0.0, 1.0)
Y = FloatDistribution(0.0, 1.0)


def _scatters(ax: Any) -> list[np.ndarray]:
    """Offsets of the marker collections of a matplotlib Axes (contour sets left out)."""
    from matplotlib.collections import PathCollection

    return [c.get_offsets() for c in ax.collections if type(c) is PathCollection]


def _points(figure: Any) -> list[tuple[Any, Any]]:
    return [
        (x, y)
        for trace in figure.data
        if trace.type == "scatter" and trace.name == "Feasible Trial"
        for x, y in zip(trace.x, trace.y)
    ]


def test_two_params_give_one_contour_with_the_trials_on_log_and_category_axes(
    mixed_study: Study, render: Any
) -> None:
    figure = plot_contour(mixed_study, params=["lr", "optimizer"])
    kinds = [trace.type for trace in figure.data]
    assert kinds[0] == "contour"
    trials = mixed_study.get_trials(states=(tansaku.trial.TrialState.COMPLETE,))
    expected = sorted((t.params["lr"], t.params["optimizer"]) for t in trials)
    assert sorted(_points(figure)) == expected
    assert figure.layout.xaxis.type == "log"
    assert figure.layout.xaxis.title.text == "lr"
    assert figure.layout.xaxis.range[0] < math.log10(5e-5) < math.log10(2e-2)
    assert figure.layout.xaxis.range[1] > math.log10(2e-2)
    assert figure.layout.yaxis.type == "category"
    assert list(figure.layout.yaxis.categoryarray) == ["adam", "sgd"]
    assert figure.data[0].colorbar.title.text == "Objective Value"
    assert figure.data[0].reversescale  # minimize: the low values are dark
    render(figure)

    ax = mpl_plot_contour(mixed_study, params=["lr", "optimizer"])
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "lr" and ax.get_ylabel() == "optimizer"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["adam", "sgd"]
    offsets = np.concatenate(_scatters(ax))
    positions = sorted(
        (t.params["lr"], ["adam", "sgd"].index(t.params["optimizer"])) for t in trials
    )
    np.testing.assert_allclose(sorted(map(tuple, offsets)), positions)
    render(ax)


def test_int_params_are_on_a_linear_axis(mixed_study: Study) -> None:
    figure = plot_contour(mixed_study, params=["layers", "lr"])
    assert figure.layout.xaxis.type == "linear"
    assert figure.layout.yaxis.type == "log"
    ax = mpl_plot_contour(mixed_study, params=["layers", "lr"])
    assert ax.get_xscale() == "linear" and ax.get_yscale() == "log"


def test_a_conditional_param_is_plotted_with_the_trials_that_have_it(
    mixed_study: Study, render: Any
) -> None:
    figure = plot_contour(mixed_study, params=["lr", "momentum"])
    sgd = [t for t in mixed_study.trials if "momentum" in t.params]
    assert sorted(_points(figure)) == sorted((t.params["lr"], t.params["momentum"]) for t in sgd)
    render(figure)
    ax = mpl_plot_contour(mixed_study, params=["lr", "momentum"])
    assert sum(len(o) for o in _scatters(ax)) == len(sgd) == 3
    render(ax)


def test_conditional_params_that_no_trial_shares_get_an_empty_panel(render: Any) -> None:
    study = tansaku.create_study(sampler=tansaku.samplers.RandomSampler(seed=0))

    def objective(trial: tansaku.Trial) -> float:
        if trial.suggest_categorical("model", ["svc", "forest"]) == "svc":
            return trial.suggest_float("gamma", 1e-3, 1.0, log=True)
        return trial.suggest_float("depth", 1.0, 10.0)

    study.optimize(objective, n_trials=12)
    figure = plot_contour(study, params=["depth", "gamma"])
    assert _points(figure) == []  # no trial has both
    assert figure.layout.yaxis.type == "log"  # the axes still span the params' trials
    render(figure)
    render(mpl_plot_contour(study, params=["depth", "gamma"]))
    matrix = plot_contour(study)
    # Each trial sits in the two panels of model against the param it has, both ways.
    assert len(_points(matrix)) == 2 * len(study.trials)
    render(matrix)


def test_more_than_two_params_give_a_matrix_of_panels(mixed_study: Study, render: Any) -> None:
    params = ["layers", "lr", "optimizer"]
    figure = plot_contour(mixed_study, params=params)
    # Six off-diagonal panels, each a contour and two marker traces.
    assert sum(trace.type == "contour" for trace in figure.data) == 6
    assert figure.layout.xaxis4.type == "linear"  # row 2 (lr), column 1 (layers)
    assert figure.layout.yaxis4.type == "log"
    assert figure.layout.yaxis7.type == "category"  # row 3: optimizer
    assert sum(bool(trace.showscale) for trace in figure.data if trace.type == "contour") == 1
    render(figure)
    axs = mpl_plot_contour(mixed_study, params=params)
    assert isinstance(axs, np.ndarray) and axs.shape == (3, 3)
    assert axs[1, 0].get_yscale() == "log"
    assert axs[2, 1].get_xscale() == "log"
    assert not axs[0, 0].axison  # the diagonal stays blank
    render(axs[0, 0])


def test_fewer_than_two_params_give_an_empty_plot(
    mixed_study: Study, caplog_tansaku: pytest.LogCaptureFixture
) -> None:
    assert len(plot_contour(mixed_study, params=["lr"]).data) == 0
    assert not mpl_plot_contour(mixed_study, params=["lr"]).has_data()
    assert warned(caplog_tansaku, "greater than 1")


def test_params_not_in_the_study_are_named_in_the_error(mixed_study: Study) -> None:
    with pytest.raises(ValueError, match="'nope'"):
        plot_contour(mixed_study, params=["lr", "nope"])
    with pytest.raises(ValueError, match="'nope'"):
        mpl_plot_contour(mixed_study, params=["lr", "nope"])


def test_multi_objective_needs_a_target(multi_objective_study: Study) -> None:
    with pytest.raises(ValueError, match="target"):
        plot_contour(multi_objective_study)
    with pytest.raises(ValueError, match="target"):
        mpl_plot_contour(multi_objective_study)
    figure = plot_contour(
        multi_objective_study, target=lambda t: t.values[1], target_name="accuracy"
    )
    contour = figure.data[0]
    assert contour.colorbar.title.text == "accuracy"
    assert contour.zmin == pytest.approx(0.6) and contour.zmax == pytest.approx(0.9)


def test_a_target_with_the_default_name_warns(multi_objective_study: Study) -> None:
    with pytest.warns(UserWarning, match="target_name"):
        plot_contour(multi_objective_study, target=lambda t: t.values[0])


def test_maximized_studies_keep_the_colour_scale_upright() -> None:
    study = tansaku.create_study(direction="maximize")
    for x, y in [(0.1, 0.2), (0.5, 0.9), (0.8, 0.4)]:
        study.add_trial(
            create_trial(value=x + y, params={"x": x, "y": y}, distributions={"x": X, "y": Y})
        )
    assert not plot_contour(study).data[0].reversescale


def test_infeasible_trials_are_drawn_apart() -> None:
    study = tansaku.create_study()
    for x, y, c in [(0.1, 0.2, 0.0), (0.5, 0.9, 1.0), (0.8, 0.4, -1.0)]:
        study.add_trial(
            create_trial(
                value=x + y,
                params={"x": x, "y": y},
                distributions={"x": X, "y": Y},
                constraints={"c": c},
            )
        )
    figure = plot_contour(study)
    infeasible = [t for t in figure.data if t.name == "Infeasible Trial"]
    assert list(infeasible[0].x) == [0.5] and list(infeasible[0].y) == [0.9]
    assert sorted(_points(figure)) == [(0.1, 0.2), (0.8, 0.4)]


def test_the_surface_interpolates_a_plane_exactly_and_passes_through_the_trials() -> None:
    axis_x = ParamAxis("x", "linear", (), 0.0, 1.0)
    axis_y = ParamAxis("y", "linear", (), 0.0, 1.0)
    xs = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    ys = np.array([0.0, 0.0, 1.0, 1.0, 0.5])
    zs = 2 * xs + 3 * ys
    grid = np.linspace(0.0, 1.0, 11)
    surface = interpolate(axis_x, axis_y, xs, ys, zs, grid, grid, StudyDirection.MINIMIZE)
    assert surface.shape == (11, 11)
    np.testing.assert_allclose(surface, 2 * grid[None, :] + 3 * grid[:, None], atol=1e-12)


def test_repeated_points_keep_the_best_value_and_far_points_the_nearest() -> None:
    axis = ParamAxis("x", "log", (), 1e-3, 1e1)
    xs = np.array([1e-2, 1e-2, 1.0, 1.0])
    ys = np.array([1e-2, 1e-2, 1e-2, 1.0])
    zs = np.array([5.0, 1.0, 2.0, 3.0])
    grid = np.array([1e-3, 1e-2, 1.0, 1e1])
    surface = interpolate(axis, axis, xs, ys, zs, grid, grid, StudyDirection.MINIMIZE)
    assert surface[1, 1] == pytest.approx(1.0)  # the better of the two trials at (1e-2, 1e-2)
    assert surface[0, 0] == pytest.approx(1.0)  # outside the hull: nearest trial
    assert surface[1, 2] == pytest.approx(2.0)
    # Collinear trials have no triangles: the nearest value everywhere.
    line = interpolate(axis, axis, xs[:3], ys[:3], zs[:3], grid, grid, None)
    assert np.isfinite(line).all()


def test_a_param_with_a_single_value_has_no_surface_but_its_trials(
    caplog_tansaku: pytest.LogCaptureFixture, render: Any
) -> None:
    study = tansaku.create_study()
    for x, value in [(0.1, 1.0), (0.4, 2.0), (0.9, 0.5)]:
        study.add_trial(
            create_trial(value=value, params={"x": x, "y": 0.5}, distributions={"x": X, "y": Y})
        )
    figure = plot_contour(study)
    assert [trace.type for trace in figure.data] == ["scatter", "scatter"]
    assert figure.layout.yaxis.range[0] < 0.5 < figure.layout.yaxis.range[1]
    assert warned(caplog_tansaku, "Param y unique value length is less than 2")
    render(figure)
    ax = mpl_plot_contour(study)
    assert ax.get_ylim()[0] < 0.5 < ax.get_ylim()[1]
    render(ax)


def test_the_rasterized_triangles_agree_with_scipy_in_any_chunking(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scipy.interpolate import griddata
    from scipy.spatial import Delaunay

    import tansaku.visualization._contour as contour

    rng = np.random.default_rng(1)
    points, values = rng.uniform(0, 1, (200, 2)), rng.normal(size=200)
    grid = np.linspace(-0.05, 1.05, 40)
    expected = griddata(points, values, tuple(np.meshgrid(grid, grid)), method="linear")
    simplices = Delaunay(points).simplices
    surface = contour._rasterize(points[simplices], values[simplices], grid, grid)
    np.testing.assert_allclose(surface, expected, atol=1e-12)  # NaN outside the hull in both
    monkeypatch.setattr(contour, "_MAX_PAIRS", 7)
    chunked = contour._rasterize(points[simplices], values[simplices], grid, grid)
    np.testing.assert_array_equal(chunked, surface)
