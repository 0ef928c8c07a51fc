"""The slice plot drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tansaku.visualization._slice import TITLE, SliceInfo, SlicePanel, slice_info
from tansaku.visualization._utils import DEFAULT_TARGET_NAME, INFEASIBLE_COLOR
from tansaku.visualization.matplotlib._param_utils import apply_param_axis
from tansaku.visualization.matplotlib._utils import empty_axes, plot_style, start_plot

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial


def plot_slice(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """Plot the target against the value of each param, one panel per param, with matplotlib.

    See :func:`tansaku.visualization.plot_slice` for what is drawn.

    Args:
        study: The study whose completed trials are plotted.
        params: The params to plot; all params of the study by default.
        target: The value to plot for a trial; needed when the study has several objectives.
        target_name: Title of the y axis.

    Returns:
        An ``Axes`` for one param (and an empty one for none), or a 1-D numpy array of
        ``Axes``, one per param, sharing the y axis.

    Raises:
        ValueError: ``target`` is missing on a multi-objective study, or a param is not in the
            study.
    """
    plt = start_plot("plot_slice")
    info = slice_info(study, params, target, target_name)
    with plot_style(plt):
        return _draw(plt, info)


def _draw(plt: Any, info: SliceInfo) -> Any:
    n = len(info.panels)
    if n == 0:
        return empty_axes(plt, TITLE)
    width, height = plt.rcParams["figure.figsize"]
    figure, axs = plt.subplots(
        1,
        n,
        sharey=True,
        squeeze=False,
        figsize=(max(width, (width / 2) * n), height),
        layout="constrained",
    )
    low = int(min(p.numbers.min() for p in info.panels))
    high = int(max(p.numbers.max() for p in info.panels))
    points = None
    for i, panel in enumerate(info.panels):
        points = _draw_panel(axs[0, i], panel, plt.get_cmap("Blues"), low, high)
        axs[0, i].set_ylabel(info.target_name if i == 0 else "")
    figure.colorbar(points, ax=axs[0, :]).set_label("Trial")
    if n == 1:
        axs[0, 0].set_title(TITLE)
        return axs[0, 0]
    figure.suptitle(TITLE)
    return axs[0, :]


def _draw_panel(ax: Any, panel: SlicePanel, cmap: Any, low: int, high: int) -> Any:
    ax.set_xlabel(panel.axis.name)
    feasible = panel.feasible
    points = ax.scatter(
        panel.positions[feasible],
        panel.targets[feasible],
        c=panel.numbers[feasible],
        cmap=cmap,
        vmin=low,
        vmax=high,
        edgecolors="grey",
        linewidths=0.5,
    )
    if not feasible.all():
        ax.scatter(
            panel.positions[~feasible],
            panel.targets[~feasible],
            c=INFEASIBLE_COLOR,
            label="Infeasible Trial",
        )
    apply_param_axis(ax, panel.axis, "x")
    if panel.axis.is_categorical:
        ax.tick_params(axis="x", labelrotation=30)
    return points
