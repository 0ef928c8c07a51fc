"""The parallel coordinate plot drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku.visualization._parallel_coordinate import (
    TITLE,
    ParallelCoordinateInfo,
    parallel_coordinate_info,
)
from tansaku.visualization._utils import DEFAULT_TARGET_NAME
from tansaku.visualization.matplotlib._utils import plot_style, start_plot

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

AXIS_COLOR = "#555555"


def plot_parallel_coordinate(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """Plot each trial as a line across one vertical axis per objective and param, with
    matplotlib.

    See :func:`tansaku.visualization.plot_parallel_coordinate` for what is drawn; here, in
    addition, the lines of trials that break a constraint are dotted.

    Args:
        study: The study whose completed trials are plotted.
        params: The params to plot; all params of the study by default.
        target: The value to plot for a trial; without it, a multi-objective study shows all
            its objectives.
        target_name: Title of the objective axis and of the colour bar.

    Returns:
        The ``Axes``; empty when the study has no completed trials or no params.

    Raises:
        ValueError: a param is not in the study.
    """
    plt = start_plot("plot_parallel_coordinate")
    info = parallel_coordinate_info(study, params, target, target_name)
    with plot_style(plt):
        return _draw(plt, info)


def _draw(plt: Any, info: ParallelCoordinateInfo) -> Any:
    from matplotlib.collections import LineCollection
    from matplotlib.colors import BoundaryNorm
    from matplotlib.lines import Line2D

    n_dims = len(info.dimensions)
    figure, ax = plt.subplots(figsize=(max(6.4, 1.6 * n_dims + 2.0), 5.0), layout="constrained")
    ax.set_title(TITLE, pad=30)
    if not info.dimensions:
        return ax
    ax.set_facecolor("white")
    ax.grid(False)
    normalized = np.column_stack([d.normalized(d.values) for d in info.dimensions])  # (n, d)
    xs = np.arange(n_dims, dtype=float)
    segments = [np.column_stack([xs, row]) for row in normalized]
    cmap = plt.get_cmap("Blues_r" if info.reverse_scale else "Blues")
    lines = LineCollection(segments, cmap=cmap, linewidths=1.2, alpha=0.8)
    lines.set_array(info.colors)
    if info.is_rank_color:
        top = int(info.colors.max())
        lines.set_norm(BoundaryNorm(np.arange(-0.5, top + 1.5), cmap.N))
    if info.feasible is not None:
        lines.set_linestyle(["solid" if f else "dotted" for f in info.feasible])
        handles = [
            Line2D([0], [0], color="#2F3B52", linestyle="solid", label="Feasible"),
            Line2D([0], [0], color="#2F3B52", linestyle="dotted", label="Infeasible"),
        ]
        ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2)
    ax.add_collection(lines)
    colorbar = figure.colorbar(lines, ax=ax, pad=0.02)
    colorbar.set_label(info.color_title)
    if info.is_rank_color:
        colorbar.set_ticks(list(range(int(info.colors.max()) + 1)))
    for x, dim in zip(xs, info.dimensions):
        ax.axvline(x, color=AXIS_COLOR, linewidth=1.0, zorder=0)
        for position, text in zip(dim.normalized(dim.tickvals), dim.ticktext):
            ax.annotate(
                text,
                (x, position),
                xytext=(-4, 0),
                textcoords="offset points",
                ha="right",
                va="center",
                fontsize=8,
                color=AXIS_COLOR,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
                zorder=3,
            )
    ax.set_xlim(-0.45, n_dims - 0.8)
    ax.set_ylim(-0.05, 1.05)
    ax.set_yticks([])
    ax.set_xticks(xs, [d.label for d in info.dimensions], rotation=20 if n_dims > 5 else 0)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    return ax
