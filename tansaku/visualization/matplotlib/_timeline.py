"""The timeline drawn with matplotlib."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tansaku.visualization._timeline import CATEGORY_COLORS, TITLE, timeline_bars
from tansaku.visualization.matplotlib._utils import new_axes, plot_style, start_plot

if TYPE_CHECKING:
    from tansaku.study import Study


def plot_timeline(study: Study, n_recent_trials: int | None = None) -> Any:
    """Plot each trial as a horizontal bar from its start to its end, coloured by its state.

    Args:
        study: The study whose trials are plotted.
        n_recent_trials: Plot only the last this many trials; None plots all of them.

    Returns:
        The matplotlib ``Axes``; for a study without trials it is empty and a warning is
        logged.

    Raises:
        ValueError: If ``n_recent_trials`` is 0 or negative.
    """
    bars = timeline_bars(study, n_recent_trials)
    plt = start_plot("plot_timeline")
    import matplotlib.dates
    import matplotlib.patches
    import matplotlib.ticker

    with plot_style(plt):
        ax = new_axes(plt, TITLE, "Datetime", "Trial", legend_outside=bool(bars))
        if not bars:
            return ax
        ax.barh(
            y=[b.number for b in bars],
            width=[b.end - b.start for b in bars],
            left=[b.start for b in bars],
            color=[CATEGORY_COLORS[b.category] for b in bars],
        )
        handles = [
            matplotlib.patches.Patch(color=color, label=category)
            for category, color in CATEGORY_COLORS.items()
            if any(b.category == category for b in bars)
        ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0))
        first = min(b.start for b in bars)
        last = max(b.end for b in bars)
        margin = (last - first) * 0.05
        ax.set_xlim(left=first - margin, right=last + margin)
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        # Concise labels adapt to the span, from days down to fractions of a second.
        locator = matplotlib.dates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(matplotlib.dates.ConciseDateFormatter(locator))
    return ax
