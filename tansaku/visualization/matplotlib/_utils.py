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


def new_axes(plt: ModuleType, title: str, xlabel: str, ylabel: str) -> Any:
    """A new figure's axes with the plot's title and axis labels."""
    _, ax = plt.subplots(tight_layout=True)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax
