"""The contour plot: the target interpolated over each pair of params, with the trials on top."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.study_direction import StudyDirection
from tansaku.logging import get_logger
from tansaku.visualization._param_utils import (
    ParamAxis,
    is_reverse_scale,
    param_axis,
    plotly_matrix,
    plotly_values,
    select_params,
    style_plotly_axes,
    trials_with,
)
from tansaku.visualization._utils import (
    DEFAULT_TARGET_NAME,
    INFEASIBLE_COLOR,
    is_feasible,
    plotly_go,
    plotted_trials,
)

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

_logger = get_logger(__name__)

TITLE = "Contour Plot"
# Grid points along a numeric axis; a categorical axis has one per category.
GRID_SIZE = 100
COLOR_SCALE = "Blues"


@dataclass(frozen=True)
class ContourPanel:
    """One pair of params: the trials that have both, and the target interpolated on a grid.

    Attributes:
        x: The axis of the horizontal param.
        y: The axis of the vertical param.
        xs: Position of each trial on ``x`` (the value; the index for a category).
        ys: Position of each trial on ``y``.
        zs: The trials' target values.
        feasible: Whether each trial satisfies its constraints.
        grid_x: Grid positions along ``x`` (values, evenly spaced in log10 on a log axis).
        grid_y: Grid positions along ``y``.
        grid_z: The interpolated target, shape (len(grid_y), len(grid_x)); None when a param
            has fewer than two distinct values among these trials, so there is no surface.
    """

    x: ParamAxis
    y: ParamAxis
    xs: np.ndarray
    ys: np.ndarray
    zs: np.ndarray
    feasible: np.ndarray
    grid_x: np.ndarray
    grid_y: np.ndarray
    grid_z: np.ndarray | None
    # Why the panel has no surface (no trial shares the pair, or a param has one value).
    note: str | None = None


@dataclass(frozen=True)
class ContourInfo:
    """Everything the contour plot draws.

    Attributes:
        params: The params, sorted; a single contour for two, a matrix for more, nothing for
            fewer.
        panels: The panel of each (x param, y param) pair with different params.
        target_name: Title of the colour bar.
        reverse_scale: Whether the colour scale is reversed (better values dark).
        z_range: Lowest and highest interpolated value over all panels, shared by their colours.
    """

    params: list[str]
    panels: dict[tuple[str, str], ContourPanel]
    target_name: str
    reverse_scale: bool
    z_range: tuple[float, float]


def contour_info(
    study: Study,
    params: list[str] | None,
    target: Callable[[FrozenTrial], float] | None,
    target_name: str,
    where: str = "plot_contour",
    quiet: bool = False,
) -> ContourInfo:
    """Compute the panels of the contour plot (see :func:`plot_contour`).

    Each panel without a surface says why in its ``note``, which is also logged as a warning
    unless ``quiet`` (the HTML report shows the notes on the page instead).
    """
    trials, values = plotted_trials(study, target, target_name, where)
    direction = study.direction if target is None else None
    empty = ContourInfo([], {}, target_name, is_reverse_scale(direction), (0.0, 1.0))
    if not trials:
        return empty
    names = select_params(trials, params, where)
    if params is not None and len(names) <= 1:
        _logger.warning("The length of params must be greater than 1.")
    if len(names) <= 1:
        return empty
    panels: dict[tuple[str, str], ContourPanel] = {}
    for x_name in names:
        for y_name in names:
            if x_name != y_name:
                panel = _panel(trials, values, x_name, y_name, direction)
                panels[x_name, y_name] = panel
                if panel.note is not None and not quiet:
                    _logger.warning(panel.note)
    grids = [p.grid_z for p in panels.values() if p.grid_z is not None]
    z_range = (
        (min(float(g.min()) for g in grids), max(float(g.max()) for g in grids))
        if grids
        else (0.0, 1.0)
    )
    return ContourInfo(names, panels, target_name, is_reverse_scale(direction), z_range)


def _panel(
    trials: list[FrozenTrial],
    values: np.ndarray,
    x_name: str,
    y_name: str,
    direction: StudyDirection | None,
) -> ContourPanel:
    keep, kept = trials_with(trials, [x_name, y_name])
    # Axes span every trial that has the param, so that a conditional pair that no trial
    # shares still gets its axes (and every panel of a param the same range).
    x_axis = param_axis(trials, x_name, numeric_choices_as_numbers=True)
    y_axis = param_axis(trials, y_name, numeric_choices_as_numbers=True)
    xs = x_axis.positions([t.params[x_name] for t in kept])
    ys = y_axis.positions([t.params[y_name] for t in kept])
    zs = values[keep]
    grid_x, grid_y = _grid(x_axis), _grid(y_axis)
    grid_z = None
    note = None
    if len(np.unique(xs)) >= 2 and len(np.unique(ys)) >= 2:
        grid_z = interpolate(x_axis, y_axis, xs, ys, zs, grid_x, grid_y, direction)
    elif not kept:
        note = f"No completed trial has both params {x_name} and {y_name}."
    else:
        lacking = x_name if len(np.unique(xs)) < 2 else y_name
        note = f"Param {lacking} unique value length is less than 2."
    return ContourPanel(
        x=x_axis,
        y=y_axis,
        xs=xs,
        ys=ys,
        zs=zs,
        feasible=np.array([is_feasible(t) for t in kept], dtype=bool),
        grid_x=grid_x,
        grid_y=grid_y,
        grid_z=grid_z,
        note=note,
    )


def _grid(axis: ParamAxis) -> np.ndarray:
    if axis.is_categorical:
        return np.arange(len(axis.categories), dtype=float)
    return axis.from_unit(np.linspace(0.0, 1.0, GRID_SIZE))


def interpolate(
    x_axis: ParamAxis,
    y_axis: ParamAxis,
    xs: np.ndarray,
    ys: np.ndarray,
    zs: np.ndarray,
    grid_x: np.ndarray,
    grid_y: np.ndarray,
    direction: StudyDirection | None,
) -> np.ndarray:
    """The target on the grid (len(grid_y), len(grid_x)): piecewise linear between the trials
    (Delaunay triangles, in the unit square of both axes, log10 on a log axis), and the
    nearest trial's value outside their convex hull.

    Trials at the same point are merged into one: the best value for the study's direction,
    or the last one for a custom target, whose sense is unknown.
    """
    from scipy.interpolate import griddata
    from scipy.spatial import Delaunay, QhullError

    points = np.column_stack([x_axis.to_unit(xs), y_axis.to_unit(ys)])  # (n, 2)
    unique, inverse = np.unique(points, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    if direction == StudyDirection.MINIMIZE:
        merged = np.full(len(unique), np.inf)
        np.minimum.at(merged, inverse, zs)
    elif direction == StudyDirection.MAXIMIZE:
        merged = np.full(len(unique), -np.inf)
        np.maximum.at(merged, inverse, zs)
    else:
        # np.unique on the reversed labels finds each point's last trial.
        last = len(inverse) - 1 - np.unique(inverse[::-1], return_index=True)[1]
        merged = zs[last]
    unit_x, unit_y = x_axis.to_unit(grid_x), y_axis.to_unit(grid_y)
    nearest: np.ndarray = griddata(
        unique, merged, tuple(np.meshgrid(unit_x, unit_y)), method="nearest"
    )
    try:
        simplices = Delaunay(unique).simplices  # (n_triangles, 3)
    except (QhullError, ValueError):  # fewer than 3 points, or all on one line
        return nearest
    linear = _rasterize(unique[simplices], merged[simplices], unit_x, unit_y)
    return np.where(np.isnan(linear), nearest, linear)


# Bound on the (triangle, grid point) pairs tested at once, to bound memory on long slivers.
_MAX_PAIRS = 1 << 20


def _rasterize(
    corners: np.ndarray, values: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray
) -> np.ndarray:
    """Linear interpolation of ``values`` (n_triangles, 3) over the triangles ``corners``
    (n_triangles, 3, 2) at the points of the ascending grid ``grid_x`` x ``grid_y``; NaN
    outside every triangle. Each triangle tests only the grid points of its bounding box, by
    their barycentric coordinates."""
    eps = 1e-9
    surface = np.full((len(grid_y), len(grid_x)), np.nan)
    low, high = corners.min(axis=1), corners.max(axis=1)  # (n_triangles, 2)
    x0 = np.searchsorted(grid_x, low[:, 0] - eps, side="left")
    x1 = np.searchsorted(grid_x, high[:, 0] + eps, side="right")
    y0 = np.searchsorted(grid_y, low[:, 1] - eps, side="left")
    y1 = np.searchsorted(grid_y, high[:, 1] + eps, side="right")
    widths = x1 - x0
    counts = widths * (y1 - y0)  # grid points in each bounding box
    ends = np.cumsum(counts)
    start = 0
    while start < len(corners):
        # The triangles [start, stop) hold at most _MAX_PAIRS pairs (at least one triangle).
        limit = (ends[start - 1] if start else 0) + _MAX_PAIRS
        stop = max(start + 1, int(np.searchsorted(ends, limit, side="right")))
        chunk = np.arange(start, stop)
        owner = np.repeat(chunk, counts[chunk])  # (n_pairs,) triangle of each pair
        offset = np.arange(len(owner)) - np.repeat(ends[chunk] - counts[chunk], counts[chunk])
        offset += ends[start - 1] if start else 0
        column = x0[owner] + offset % widths[owner]
        row = y0[owner] + offset // widths[owner]
        a, b, c = corners[owner, 0], corners[owner, 1], corners[owner, 2]  # (n_pairs, 2) each
        ab, ac = b - a, c - a
        aq = np.column_stack([grid_x[column], grid_y[row]]) - a
        det = ab[:, 0] * ac[:, 1] - ac[:, 0] * ab[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            w_b = (aq[:, 0] * ac[:, 1] - ac[:, 0] * aq[:, 1]) / det
            w_c = (ab[:, 0] * aq[:, 1] - aq[:, 0] * ab[:, 1]) / det
        w_a = 1.0 - w_b - w_c
        inside = (w_a >= -eps) & (w_b >= -eps) & (w_c >= -eps)
        v = values[owner]
        z = w_a * v[:, 0] + w_b * v[:, 1] + w_c * v[:, 2]
        surface[row[inside], column[inside]] = z[inside]
        start = stop
    return surface


def plot_contour(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """Plot how the target varies over each pair of params, as filled contours.

    The target is interpolated linearly between the trials (and held at the nearest trial's
    value beyond them); the trials are drawn on top, infeasible ones in grey. Two params give
    one contour; more give a matrix with one contour per pair. A trial is drawn in a panel
    only if it has both params, so conditional params are handled. Log-scaled params are on
    log axes, categorical ones on category axes.

    Args:
        study: The study whose completed trials are plotted.
        params: The params to plot; all params of the study by default.
        target: The value to plot for a trial; needed when the study has several objectives.
        target_name: Title of the colour bar.

    Returns:
        A ``plotly.graph_objects.Figure``; empty when the study has no completed trials or
        fewer than two params are plotted (with a logged warning).

    Raises:
        ValueError: ``target`` is missing on a multi-objective study, or a param is not in the
            study.
    """
    go = plotly_go("plot_contour")
    info = contour_info(study, params, target, target_name)
    return _figure(go, info)


def _figure(go: Any, info: ContourInfo) -> Any:
    names = info.params
    if len(names) <= 1:
        return go.Figure(layout={"title": TITLE})
    if len(names) == 2:
        panel = info.panels[names[0], names[1]]
        figure = go.Figure(data=_traces(go, panel, info, True), layout={"title": TITLE})
        style_plotly_axes(figure, panel.x, panel.y, {})
        figure.update_xaxes(title_text=names[0])
        figure.update_yaxes(title_text=names[1])
        return figure
    n = len(names)
    figure = plotly_matrix("plot_contour", n, TITLE)
    showscale = True
    for row, y_name in enumerate(names, start=1):
        for col, x_name in enumerate(names, start=1):
            at = {"row": row, "col": col}
            if x_name == y_name:
                figure.update_xaxes(visible=False, **at)
                figure.update_yaxes(visible=False, **at)
                continue
            panel = info.panels[x_name, y_name]
            for trace in _traces(go, panel, info, showscale):
                figure.add_trace(trace, **at)
            showscale = showscale and panel.grid_z is None
            style_plotly_axes(figure, panel.x, panel.y, at)
            if col == 1 or (col == 2 and row == 1):
                figure.update_yaxes(title_text=y_name, **at)
            if row == n or (row == n - 1 and col == n):
                figure.update_xaxes(title_text=x_name, **at)
    return figure


def _traces(go: Any, panel: ContourPanel, info: ContourInfo, showscale: bool) -> list[Any]:
    traces = []
    if panel.grid_z is not None:
        traces.append(
            go.Contour(
                x=plotly_values(panel.x, panel.grid_x),
                y=plotly_values(panel.y, panel.grid_y),
                z=panel.grid_z,
                zmin=info.z_range[0],
                zmax=info.z_range[1],
                colorscale=COLOR_SCALE,
                reversescale=info.reverse_scale,
                showscale=showscale,
                colorbar={"title": {"text": info.target_name}},
                contours_coloring="heatmap",
                line_smoothing=1.3,
                hoverinfo="skip",
            )
        )
    for feasible, name, color in (
        (True, "Feasible Trial", "black"),
        (False, "Infeasible Trial", INFEASIBLE_COLOR),
    ):
        mask = panel.feasible == feasible
        traces.append(
            go.Scatter(
                x=plotly_values(panel.x, panel.xs[mask]),
                y=plotly_values(panel.y, panel.ys[mask]),
                mode="markers",
                name=name,
                marker={"color": color, "line": {"width": 1.5, "color": "Grey"}},
                text=[f"{info.target_name}: {z:.6g}" for z in panel.zs[mask]],
                showlegend=False,
            )
        )
    return traces
