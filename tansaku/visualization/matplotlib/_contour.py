"""The contour plot drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku.visualization._contour import TITLE, ContourInfo, ContourPanel, contour_info
from tansaku.visualization._utils import DEFAULT_TARGET_NAME, INFEASIBLE_COLOR
from tansaku.visualization.matplotlib._param_utils import apply_param_axis
from tansaku.visualization.matplotlib._utils import (
    empty_axes,
    matrix_axes,
    pair_axes,
    plot_style,
    start_plot,
)

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

# Filled contour bands between the lowest and the highest interpolated value.
N_LEVELS = 15


def plot_contour(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """Plot how the target varies over each pair of params, as filled contours, with
    matplotlib.

    See :func:`tansaku.visualization.plot_contour` for what is drawn. All panels share one
    colour scale, shown by one colour bar.

    Args:
        study: The study whose completed trials are plotted.
        params: The params to plot; all params of the study by default.
        target: The value to plot for a trial; needed when the study has several objectives.
        target_name: Title of the colour bar.

    Returns:
        An ``Axes`` for two params (and an empty one for fewer), or a (n, n) numpy array of
        ``Axes`` for n > 2 params, row i holding param i on the vertical axis.

    Raises:
        ValueError: ``target`` is missing on a multi-objective study, or a param is not in the
            study.
    """
    plt = start_plot("plot_contour")
    info = contour_info(study, params, target, target_name)
    with plot_style(plt):
        return _draw(plt, info)


def _draw(plt: Any, info: ContourInfo) -> Any:
    names = info.params
    cmap = plt.get_cmap("Blues_r" if info.reverse_scale else "Blues")
    levels = np.linspace(info.z_range[0], info.z_range[1], N_LEVELS + 1)
    if levels[0] == levels[-1]:
        levels = np.array([levels[0] - 0.5, levels[0] + 0.5])
    if len(names) <= 1:
        return empty_axes(plt, TITLE)
    if len(names) == 2:
        figure, ax = pair_axes(plt, TITLE)
        filled = _draw_panel(ax, info.panels[names[0], names[1]], cmap, levels)
        if filled is not None:
            figure.colorbar(filled, ax=ax).set_label(info.target_name)
        return ax
    n = len(names)
    figure, axs = matrix_axes(plt, n, TITLE)
    colored = None
    for row, y_name in enumerate(names):
        for col, x_name in enumerate(names):
            ax = axs[row, col]
            if x_name == y_name:
                ax.axis("off")
                continue
            filled = _draw_panel(ax, info.panels[x_name, y_name], cmap, levels)
            colored = colored or filled
            # Labels on the outer panels only (the diagonal is blank).
            bottom = row == n - 1 or (row == n - 2 and col == n - 1)
            left = col == 0 or (col == 1 and row == 0)
            ax.set_xlabel(x_name if bottom else "")
            ax.set_ylabel(y_name if left else "")
            if not bottom:
                ax.tick_params(labelbottom=False)
            if not left:
                ax.tick_params(labelleft=False)
    if colored is not None:
        figure.colorbar(colored, ax=axs, shrink=0.6).set_label(info.target_name)
    return axs


def _draw_panel(ax: Any, panel: ContourPanel, cmap: Any, levels: np.ndarray) -> Any:
    """Draw one panel; return its filled contours (None without a surface)."""
    ax.set_xlabel(panel.x.name)
    ax.set_ylabel(panel.y.name)
    filled = None
    if panel.grid_z is not None:
        filled = ax.contourf(
            panel.grid_x, panel.grid_y, panel.grid_z, levels=levels, cmap=cmap, extend="both"
        )
        ax.contour(
            panel.grid_x, panel.grid_y, panel.grid_z, levels=levels, colors="k", linewidths=0.3
        )
    for feasible, color in ((True, "black"), (False, INFEASIBLE_COLOR)):
        mask = panel.feasible == feasible
        ax.scatter(
            panel.xs[mask], panel.ys[mask], c=color, s=18, edgecolors="grey", linewidths=1.0
        )
    apply_param_axis(ax, panel.x, "x")
    apply_param_axis(ax, panel.y, "y")
    return filled
