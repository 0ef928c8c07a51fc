"""The param plots of a study without completed trials: an empty figure and a warning."""

from __future__ import annotations

from typing import Any

import pytest

import tansaku.visualization as plotly_plots
import tansaku.visualization.matplotlib as matplotlib_plots
from tests.visualization.conftest import experimental, warned

PARAM_PLOTS = ["plot_contour", "plot_parallel_coordinate", "plot_rank", "plot_slice"]


@pytest.mark.parametrize("plot", PARAM_PLOTS)
@pytest.mark.parametrize("make", ["empty_study", "failed_study"])
def test_a_study_without_completed_trials_gives_an_empty_plot_and_a_warning(
    plot: str,
    make: str,
    request: pytest.FixtureRequest,
    caplog_tansaku: pytest.LogCaptureFixture,
    render: Any,
    recwarn: pytest.WarningsRecorder,
) -> None:
    study = request.getfixturevalue(make)
    figure = getattr(plotly_plots, plot)(study)
    assert len(figure.data) == 0
    render(figure)
    ax = getattr(matplotlib_plots, plot)(study)
    assert not ax.has_data()
    render(ax)
    assert warned(caplog_tansaku, "does not have any completed trials")
    assert experimental(recwarn)
