"""The rank plot drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tansaku.visualization._rank import COLOR_SCALE, RankInfo, RankPanel, rank_info
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


def plot_rank(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """Plot the trials over each pair of params, coloured by the rank of their target, with
    matplotlib.

    See :func:`tansaku.visualization.plot_rank` for what is drawn.

    Args:
        study: The study whose completed trials are plotted.
        params: The params to plot; all params of the study by default.
        target: The value to plot for a trial; needed when the study has several objectives.
        target_name: Name of the target in the title.

    Returns:
        An ``Axes`` for one or two params (and an empty one for none), or a (n, n) numpy
        array of ``Axes`` for n > 2 params, row i holding param i on the vertical axis.

    Raises:
        ValueError: ``target`` is missing on a multi-objective study, or a param is not in the
            study.
    """
    plt = start_plot("plot_rank")
    info = rank_info(study, params, target, target_name)
    with plot_style(plt):
        return _draw(plt, info)


def _draw(plt: Any, info: RankInfo) -> Any:
    names = info.params
    cmap = plt.get_cmap(COLOR_SCALE)
    if not names:
        return empty_axes(plt, info.title)
    if len(names) <= 2:
        figure, axs = pair_axes(plt, info.title)
        _draw_panel(axs, info.panels[names[0], names[-1]], cmap)
    else:
        n = len(names)
        figure, axs = matrix_axes(plt, n, info.title)
        for row, y_name in enumerate(names):
            for col, x_name in enumerate(names):
                ax = axs[row, col]
                _draw_panel(ax, info.panels[x_name, y_name], cmap)
                ax.set_xlabel(x_name if row == n - 1 else "")
                ax.set_ylabel(y_name if col == 0 else "")
                if row != n - 1:
                    ax.tick_params(labelbottom=False)
                if col != 0:
                    ax.tick_params(labelleft=False)
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    scale = ScalarMappable(norm=Normalize(0.0, 1.0), cmap=cmap)
    colorbar = figure.colorbar(scale, ax=axs, ticks=[fraction for fraction, _ in info.ticks])
    colorbar.ax.set_yticklabels([text for _, text in info.ticks])
    return axs


def _draw_panel(ax: Any, panel: RankPanel, cmap: Any) -> None:
    ax.set_xlabel(panel.x.name)
    ax.set_ylabel(panel.y.name)
    feasible = panel.feasible
    ax.scatter(
        panel.xs[feasible],
        panel.ys[feasible],
        c=panel.ranks[feasible],
        cmap=cmap,
        vmin=0.0,
        vmax=1.0,
        edgecolors="grey",
        linewidths=0.5,
    )
    if not feasible.all():
        ax.scatter(panel.xs[~feasible], panel.ys[~feasible], c=INFEASIBLE_COLOR, edgecolors="grey")
    apply_param_axis(ax, panel.x, "x")
    apply_param_axis(ax, panel.y, "y")
