"""What every matplotlib plot shares: the lazy matplotlib import, the style and the axes."""

from __future__ import annotations

import importlib.util
from contextlib import AbstractContextManager
from types import ModuleType
from typing import Any

from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.optional import import_optional

# The look shared by every matplotlib plot, close to the plotly figures' grey grid.
STYLE = "ggplot"
# Inches; matplotlib's default figure is 6.4 x 4.8.
WIDE_FIGURE_WIDTH = 9.0
FIGURE_HEIGHT = 4.8


def is_available() -> bool:
    """Whether matplotlib can be imported, so that the plots of this module can be drawn."""
    return importlib.util.find_spec("matplotlib") is not None


def pyplot(feature: str) -> ModuleType:
    """``matplotlib.pyplot``, or an ImportError naming the extra needed for ``feature``."""
    return import_optional("matplotlib.pyplot", feature, "visualization")


def start_plot(feature: str) -> ModuleType:
    """``matplotlib.pyplot`` for the plot ``feature``, after the ExperimentalWarning that the
    matplotlib plots carry (as in Optuna, whose users may filter it)."""
    plt = pyplot(feature)
    warn_experimental(f"tansaku.visualization.matplotlib.{feature}", stacklevel=4)
    return plt


def plot_style(plt: ModuleType) -> AbstractContextManager[Any]:
    """The style to draw in; used as a context so that the user's global style is untouched."""
    context: AbstractContextManager[Any] = plt.style.context(STYLE)
    return context


def new_axes(
    plt: ModuleType, title: str, xlabel: str, ylabel: str, legend_outside: bool = False
) -> Any:
    """A new figure's axes with the plot's title and axis labels; a wider figure when the
    legend goes to the right of the axes, so that the plot keeps its width."""
    size = (WIDE_FIGURE_WIDTH, FIGURE_HEIGHT) if legend_outside else None
    _, ax = plt.subplots(tight_layout=True, figsize=size)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def empty_axes(plt: ModuleType, title: str) -> Any:
    """The axes of a plot with nothing to draw: a default figure with the plot's title."""
    _, ax = plt.subplots()
    ax.set_title(title)
    return ax


def pair_axes(plt: ModuleType, title: str) -> tuple[Any, Any]:
    """The figure and axes of a plot of one pair of params, with room for a colour bar."""
    figure, ax = plt.subplots(figsize=(7.0, 5.5), layout="constrained")
    ax.set_title(title)
    return figure, ax


def matrix_axes(plt: ModuleType, n: int, title: str) -> tuple[Any, Any]:
    """The figure and (n, n) axes of a plot with one panel per pair of params."""
    figure, axs = plt.subplots(
        n, n, figsize=(2.6 * n + 1.5, 2.4 * n), squeeze=False, layout="constrained"
    )
    figure.suptitle(title)
    return figure, axs
