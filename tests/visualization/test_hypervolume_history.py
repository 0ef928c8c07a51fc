from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tansaku
from tansaku.study import Study
from tansaku.trial import TrialState, create_trial
from tansaku.visualization import plot_hypervolume_history
from tansaku.visualization._hypervolume_history import hypervolume_history_info
from tansaku.visualization.matplotlib import plot_hypervolume_history as mpl_plot
from tests.visualization.conftest import experimental, warned


def _study(
    rows: list[tuple[float, ...]],
    directions: list[str] | None = None,
    constraints: list[float] | None = None,
) -> Study:
    study = tansaku.create_study(directions=directions or ["minimize"] * len(rows[0]))
    for i, values in enumerate(rows):
        study.add_trial(
            create_trial(
                values=list(values),
                constraints=None if constraints is None else {"c": constraints[i]},
            )
        )
    return study


def test_the_hypervolume_grows_with_each_improving_trial(render: Any) -> None:
    # Reference (4, 4): (1, 3) covers 3, (2, 2) adds 2, (3, 1) adds 1; the rest add nothing:
    # (3, 3) is dominated, (0, 0) is infeasible, (5, 0) is beyond the reference.
    rows = [(1, 3), (2, 2), (3, 1), (3, 3), (0, 0), (5, 0), (0.5, 3.5)]
    study = _study(rows, constraints=[0, 0, 0, 0, 1, 0, 0])
    figure = plot_hypervolume_history(study, [4, 4])
    trace = figure.data[0]
    assert list(trace.x) == list(range(7))
    np.testing.assert_allclose(trace.y, [3, 5, 6, 6, 6, 6, 6.25])
    assert figure.layout.xaxis.title.text == "Trial"
    assert figure.layout.yaxis.title.text == "Hypervolume"
    render(figure)
    ax = mpl_plot(study, [4, 4])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [3, 5, 6, 6, 6, 6, 6.25])
    assert ax.get_xlabel() == "Trial" and ax.get_ylabel() == "Hypervolume"
    render(ax)


def test_maximized_objectives_are_measured_from_below_the_reference() -> None:
    study = _study([(3, 1), (4, 2)], ["maximize", "minimize"])
    info = hypervolume_history_info(study, [0, 4])
    np.testing.assert_allclose(info.values, [3 * 3, 3 * 3 + 4 * 2 - 3 * 2])


def test_three_objectives_are_computed_exactly() -> None:
    study = _study([(1, 1, 1), (0, 1.5, 1.5), (1.5, 1.5, 1.5)])
    info = hypervolume_history_info(study, [2, 2, 2])
    # Unit cube, plus 2 x 0.5 x 0.5 less their 1 x 0.5 x 0.5 overlap; then a dominated point.
    np.testing.assert_allclose(info.values, [1.0, 1.25, 1.25])


def test_matches_a_brute_force_union_of_boxes_on_random_fronts() -> None:
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 1, size=(25, 3))
    study = _study([tuple(p) for p in points])
    values = hypervolume_history_info(study, [1, 1, 1]).values
    grid = (np.arange(40) + 0.5) / 40  # cell centres of a 40^3 grid
    cells = np.stack(np.meshgrid(grid, grid, grid, indexing="ij"), axis=-1).reshape(-1, 3)
    for n in (5, 25):
        covered = np.zeros(len(cells), dtype=bool)
        for p in points[:n]:
            covered |= np.all(cells >= p, axis=1)
        assert values[n - 1] == pytest.approx(covered.mean(), abs=0.03)


@pytest.mark.parametrize("failed", [False, True])
def test_without_completed_trials_the_plot_is_empty_with_a_warning(
    failed: bool,
    caplog_tansaku: pytest.LogCaptureFixture,
    render: Any,
    recwarn: pytest.WarningsRecorder,
) -> None:
    study = tansaku.create_study(directions=["minimize", "maximize"])
    if failed:
        study.tell(study.ask(), state=TrialState.FAIL)
    figure = plot_hypervolume_history(study, [1, 0])
    assert len(figure.data[0].x) == 0
    render(figure)
    ax = mpl_plot(study, [1, 0])
    assert len(ax.lines[0].get_xdata()) == 0
    render(ax)
    assert warned(caplog_tansaku, "does not have any completed trials")
    assert experimental(recwarn)


def test_only_infeasible_trials_warn_and_stay_at_zero(
    caplog_tansaku: pytest.LogCaptureFixture,
) -> None:
    study = _study([(1, 1), (2, 0)], constraints=[1, 2])
    assert hypervolume_history_info(study, [3, 3]).values == [0.0, 0.0]
    assert warned(caplog_tansaku, "feasible")


def test_bad_arguments_are_rejected(multi_objective_study: Study) -> None:
    single = tansaku.create_study()
    with pytest.raises(ValueError, match="single objective"):
        plot_hypervolume_history(single, [1.0])
    with pytest.raises(ValueError, match="single objective"):
        mpl_plot(single, [1.0])
    with pytest.raises(ValueError, match="reference_point"):
        plot_hypervolume_history(multi_objective_study, [1.0, 1.0, 1.0])
