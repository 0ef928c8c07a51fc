from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tansaku
from tansaku.distributions import CategoricalDistribution, FloatDistribution
from tansaku.study import Study
from tansaku.trial import TrialState, create_trial
from tansaku.visualization import plot_parallel_coordinate
from tansaku.visualization._parallel_coordinate import _log_ticks
from tansaku.visualization.matplotlib import plot_parallel_coordinate as mpl_plot


def _dims(figure: Any) -> dict[str, Any]:
    return {dim.label: dim for dim in figure.data[0].dimensions}


def test_the_objective_comes_first_then_the_params_on_their_scales(
    mixed_study: Study, render: Any
) -> None:
    figure = plot_parallel_coordinate(mixed_study)
    assert figure.data[0].type == "parcoords"
    labels = [dim.label for dim in figure.data[0].dimensions]
    assert labels == ["Objective Value", "layers", "lr", "momentum", "optimizer"]
    dims = _dims(figure)
    # Trials are drawn worst first (minimize): the best line ends on top.
    trials = sorted(
        mixed_study.get_trials(states=(TrialState.COMPLETE,)), key=lambda t: -(t.value or 0)
    )
    assert list(dims["Objective Value"].values) == [t.value for t in trials]
    assert list(figure.data[0].line.color) == [t.value for t in trials]
    assert figure.data[0].line.reversescale
    # A log param on a log10 axis whose ticks read as values.
    np.testing.assert_allclose(dims["lr"].values, [math.log10(t.params["lr"]) for t in trials])
    assert "0.001" in dims["lr"].ticktext and "0.01" in dims["lr"].ticktext
    for value, text in zip(dims["lr"].tickvals, dims["lr"].ticktext):
        assert float(text) == pytest.approx(10**value, rel=1e-2)
    # A categorical param: integer codes labelled with the choices.
    assert list(dims["optimizer"].ticktext) == ["adam", "sgd"]
    assert list(dims["optimizer"].values) == [
        ["adam", "sgd"].index(t.params["optimizer"]) for t in trials
    ]
    # A conditional param: the trials without it pass through a "None" tick below the rest.
    momentum = dims["momentum"]
    assert momentum.ticktext[0] == "None"
    missing = [v for v, t in zip(momentum.values, trials) if "momentum" not in t.params]
    present = [v for v, t in zip(momentum.values, trials) if "momentum" in t.params]
    assert missing == [momentum.tickvals[0]] * 3 and min(present) > momentum.tickvals[0]
    assert present == [t.params["momentum"] for t in trials if "momentum" in t.params]
    # An int param: whole-number ticks are left to plotly.
    assert list(dims["layers"].values) == [t.params["layers"] for t in trials]
    render(figure)

    ax = mpl_plot(mixed_study)
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    (lines,) = ax.collections
    segments = lines.get_segments()
    assert len(segments) == len(trials)
    # The first axis is the objective, normalized over its range.
    values = np.array([t.value for t in trials])
    np.testing.assert_allclose(
        [s[0, 1] for s in segments], (values - values.min()) / np.ptp(values)
    )
    texts = {t.get_text() for t in ax.texts}
    assert {"adam", "sgd", "None", "0.001"} <= texts
    render(ax)


def test_params_select_the_axes(mixed_study: Study) -> None:
    figure = plot_parallel_coordinate(mixed_study, params=["optimizer", "lr"])
    assert [d.label for d in figure.data[0].dimensions] == ["Objective Value", "lr", "optimizer"]
    with pytest.raises(ValueError, match="'nope'"):
        plot_parallel_coordinate(mixed_study, params=["nope"])
    with pytest.raises(ValueError, match="'nope'"):
        mpl_plot(mixed_study, params=["nope"])


def test_multi_objective_without_target_shows_every_objective_coloured_by_pareto_rank(
    multi_objective_study: Study, render: Any
) -> None:
    figure = plot_parallel_coordinate(multi_objective_study)
    labels = [d.label for d in figure.data[0].dimensions]
    assert labels == ["Objective 0", "Objective 1", "lr", "optimizer"]
    # (0.4, 0.8) dominates (0.5, 0.7) (loss minimized, accuracy maximized): rank 1, drawn first.
    dims = _dims(figure)
    assert list(dims["Objective 0"].values)[0] == 0.5
    assert sorted(figure.data[0].line.color) == [0, 0, 0, 1]
    assert figure.data[0].line.color[0] == 1
    assert figure.data[0].line.colorbar.title.text == "Pareto Rank"
    render(figure)
    ax = mpl_plot(multi_objective_study)
    assert ax.collections[0].get_array().tolist()[0] == 1
    render(ax)


def test_multi_objective_with_target_shows_the_target(multi_objective_study: Study) -> None:
    figure = plot_parallel_coordinate(
        multi_objective_study, target=lambda t: t.values[1], target_name="accuracy"
    )
    dims = figure.data[0].dimensions
    assert dims[0].label == "accuracy"
    assert sorted(dims[0].values) == [0.6, 0.7, 0.8, 0.9]


def test_infeasible_trials_are_dotted_in_matplotlib() -> None:
    study = tansaku.create_study()
    x = FloatDistribution(0.0, 1.0)
    for value, c in [(0.1, 0.0), (0.5, 2.0), (0.8, -1.0)]:
        study.add_trial(
            create_trial(
                value=value, params={"x": value}, distributions={"x": x}, constraints={"c": c}
            )
        )
    ax = mpl_plot(study)
    styles = ax.collections[0].get_linestyles()
    solid = styles[0]
    assert [s == solid for s in styles].count(False) == 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Feasible", "Infeasible"]


def test_categorical_numbers_and_single_values() -> None:
    study = tansaku.create_study(direction="maximize")
    batch = CategoricalDistribution([16, 32, 64])
    for size, value in [(64, 1.0), (16, 2.0), (64, 3.0)]:
        study.add_trial(
            create_trial(value=value, params={"batch": size}, distributions={"batch": batch})
        )
    figure = plot_parallel_coordinate(study)
    batch_dim = figure.data[0].dimensions[1]
    assert list(batch_dim.ticktext) == ["16", "64"]
    assert list(batch_dim.values) == [1, 0, 1]  # best (3.0) drawn last when maximizing
    assert not figure.data[0].line.reversescale


def test_log_ticks_are_powers_of_ten_and_the_ends() -> None:
    assert _log_ticks(-5.0, -1.0) == [-5.0, -4.0, -3.0, -2.0, -1.0]
    ticks = _log_ticks(-4.7, -1.2)
    assert ticks[0] == -4.7 and ticks[-1] == -1.2 and -4.0 in ticks
    assert _log_ticks(-4.05, -2.0) == [-4.0, -3.0, -2.0]  # an end near a power is dropped
    narrow = _log_ticks(0.1, 0.5)
    assert len(narrow) == 5 and narrow[0] == 0.1 and narrow[-1] == 0.5


def test_a_none_choice_is_told_apart_from_a_missing_param() -> None:
    study = tansaku.create_study()
    choice = CategoricalDistribution([None, "relu"])
    x = FloatDistribution(0.0, 1.0)
    study.add_trial(create_trial(value=1.0, params={"x": 0.2}, distributions={"x": x}))
    for value, act in [(2.0, None), (3.0, "relu")]:
        study.add_trial(
            create_trial(
                value=value,
                params={"x": 0.5, "act": act},
                distributions={"x": x, "act": choice},
            )
        )
    act = _dims(plot_parallel_coordinate(study))["act"]
    assert list(act.ticktext) == ["None", "None (value)", "relu"]
    assert list(act.values) == [2, 1, 0]  # drawn worst first: relu, None, missing
