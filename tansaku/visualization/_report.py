"""A study's report: one self-contained HTML file with its main plots, best trials and
parameter importances, readable offline."""

from __future__ import annotations

import html
import importlib
import math
import os
import pathlib
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tansaku.exceptions import ExperimentalWarning
from tansaku.logging import get_logger
from tansaku.visualization._param_importances import (
    ImportanceChart,
    importance_chart,
    importance_figure,
)
from tansaku.visualization._utils import (
    DEFAULT_TARGET_NAME,
    json_safe,
    objective_target,
    plotly_go,
)

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

_logger = get_logger(__name__)

# The plots that take a parameter list show at most this many, the most important first, so
# that a study of many parameters still gives a readable page.
_MAX_PARAMS = {"plot_parallel_coordinate": 10, "plot_slice": 8, "plot_contour": 4}
# The slice plot puts its panels side by side: the report draws them this many at a time, so
# that each keeps a readable width on a page 1200 px wide or less (down to 800).
_SLICES_PER_ROW = 3
# An x-axis title (a param's name) longer than this is broken into lines at its separators:
# under a panel of a slice or contour plot it would run into the next panel's title.
_TITLE_LINE_CHARS = 14
_MAX_BEST_ROWS = 50
# The room-for-improvement plot fits a GP at every completed trial: about 0.03 s each at 100
# trials and growing, so a larger study would spend most of a report's time there.
_MAX_TERMINATOR_TRIALS = 200
_FIGURE_HEIGHT = 520

# The page is as wide as the window up to 1200 px; a table wider than that scrolls in its own
# box (a best trial of many parameters), and the plots take the page's width (see add_figure).
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222;
       padding: 0 1em; box-sizing: border-box; }
.wide { max-width: 100%; overflow-x: auto; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #777; font-size: 0.9em; }
"""


@dataclass
class _Page:
    """The report as it is assembled: HTML sections, and whether plotly.js is embedded yet."""

    sections: list[str] = field(default_factory=list)
    has_plotlyjs: bool = False

    def add_figure(self, figure: Any) -> None:
        # A plot's own width (the slice plot's 300 px a panel, the contour matrix's 260) would
        # run off a narrower page: each plot takes the page's width instead, and follows it
        # when the window is resized. Heights stay: they make the panels readable.
        figure.update_layout(width=None, autosize=True)
        figure.for_each_xaxis(_wrap_title)
        # The first figure carries the whole plotly.js bundle; the others use it.
        self.sections.append(
            figure.to_html(
                full_html=False,
                include_plotlyjs=not self.has_plotlyjs,
                default_width="100%",
                default_height=_FIGURE_HEIGHT,
                config={"displaylogo": False, "responsive": True},
            )
        )
        self.has_plotlyjs = True

    def add_note(self, text: str) -> None:
        self.sections.append(f'<p class="note">{html.escape(text)}</p>')


def _wrap_title(axis: Any) -> None:
    text = axis.title.text
    if not isinstance(text, str) or len(text) <= _TITLE_LINE_CHARS or "<" in text:
        return
    lines = [""]
    for piece in re.split(r"(?<=[_.\- /])", text):  # each separator stays on its line
        if lines[-1] and len(lines[-1]) + len(piece) > _TITLE_LINE_CHARS:
            lines.append("")
        lines[-1] += piece
    # The text is plotly's to show: plotly escapes none of it but its own tags (<br>), and a
    # name holding '<' is left alone above.
    axis.title.text = "<br>".join(lines)


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    return str(json_safe(value))


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    body = []
    for row in rows:
        cells = []
        for cell in row:
            kind = ' class="number"' if isinstance(cell, (int, float)) else ""
            cells.append(f"<td{kind}>{html.escape(_format_value(cell))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<div class="wide"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _objective_names(study: Study) -> list[str]:
    if study.metric_names:
        return list(study.metric_names)
    if len(study.directions) == 1:
        return [DEFAULT_TARGET_NAME]
    return [f"{DEFAULT_TARGET_NAME} {index}" for index in range(len(study.directions))]


def _best_trials(study: Study) -> list[FrozenTrial]:
    from tansaku.trial import TrialState

    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return []
    try:
        if len(study.directions) > 1:
            return sorted(study.best_trials, key=lambda trial: trial.number)
        return [study.best_trial]
    except ValueError:  # completed trials, none of them feasible
        return []


def _overview(study: Study) -> str:
    from tansaku.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    counts = [[state.name, sum(t.state == state for t in trials)] for state in TrialState]
    directions = ", ".join(
        f"{name}: {direction.name.lower()}"
        for name, direction in zip(_objective_names(study), study.directions)
    )
    parts = [
        f"<p>{len(trials)} trials. Objectives: {html.escape(directions)}.</p>",
        _table(["state", "trials"], [row for row in counts if row[1]]),
    ]
    if study.user_attrs:
        rows = [[key, value] for key, value in study.user_attrs.items()]
        parts.append(_table(["study attribute", "value"], rows))
    return "".join(parts)


def _best_table(study: Study, best: list[FrozenTrial]) -> str:
    if not best:
        return '<p class="note">No completed trial yet.</p>'
    params = list(dict.fromkeys(name for trial in best for name in trial.params))
    attrs = list(dict.fromkeys(key for trial in best for key in trial.user_attrs))
    header = ["trial", *_objective_names(study), *params, *(f"attr {key}" for key in attrs)]
    rows = [
        [
            trial.number,
            *(trial.values or []),
            *(trial.params.get(name, "") for name in params),
            *(trial.user_attrs.get(key, "") for key in attrs),
        ]
        for trial in best[:_MAX_BEST_ROWS]
    ]
    table = _table(header, rows)
    if len(best) > _MAX_BEST_ROWS:
        more = len(best) - _MAX_BEST_ROWS
        table += f'<p class="note">and {more} more Pareto-optimal trials.</p>'
    return table


def _importances(study: Study, page: _Page) -> list[str]:
    """Draw and tabulate the importances; return the parameters, most important first."""
    try:
        chart: ImportanceChart = importance_chart(study, None, None, None, DEFAULT_TARGET_NAME)
    except Exception as error:  # a report shows what it can; the reason is written instead
        _logger.warning(f"The report leaves out the parameter importances: {error}")
        page.add_note(f"Parameter importances could not be computed: {error}")
        return []
    if not chart.groups:
        page.add_note("Parameter importances need completed trials.")
        return []
    page.add_figure(importance_figure(plotly_go("report"), chart))
    rows = [
        [param, *(group.importances[index] for group in chart.groups)]
        for index, param in reversed(list(enumerate(chart.params)))
    ]
    page.sections.append(_table(["parameter", *(g.name for g in chart.groups)], rows))
    return list(reversed(chart.params))


def _plot_from_package(name: str, page: _Page, study: Study, **kwargs: Any) -> None:
    """Draw ``tansaku.visualization.<name>`` into the page; leave a note if it cannot be."""
    try:
        package = importlib.import_module("tansaku.visualization")
        plot: Callable[..., Any] = getattr(package, name)
    except (ImportError, AttributeError):
        page.add_note(f"{name} is not available in this version.")
        return
    try:
        page.add_figure(plot(study, **kwargs))
    except Exception as error:  # one plot that fails must not cost the whole report
        _logger.warning(f"The report leaves out {name}: {error}")
        page.add_note(f"{name} could not be drawn: {error}")


def _contour_into(page: _Page, study: Study, params: list[str], by_target: dict[str, Any]) -> None:
    """Draw the contour plot; why a panel has no surface is a note on the page, not a warning
    (a conditional space has pairs no trial shares, and that is expected)."""
    from tansaku.visualization._contour import _figure, contour_info

    try:
        go = plotly_go("report")
        info = contour_info(study, params, quiet=True, **by_target)
        page.add_figure(_figure(go, info))
    except Exception as error:  # one plot that fails must not cost the whole report
        _logger.warning(f"The report leaves out plot_contour: {error}")
        page.add_note(f"plot_contour could not be drawn: {error}")
        return
    notes = {panel.note for panel in info.panels.values() if panel.note is not None}
    for note in sorted(notes):
        page.add_note(note)


def _terminator_into(page: _Page, study: Study) -> None:
    """Draw the terminator's regret bound after each trial, with the cross-validation error
    when the best trial reported its scores; a note instead for a study too large to
    evaluate at every trial in a report's time."""
    from tansaku.trial import TrialState

    completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not completed:
        page.add_note("The room for improvement needs completed trials.")
        return
    if len(completed) > _MAX_TERMINATOR_TRIALS:
        page.add_note(
            f"plot_terminator_improvement is left out: it fits a model at each of the "
            f"{len(completed)} completed trials (the report draws it up to "
            f"{_MAX_TERMINATOR_TRIALS})."
        )
        return
    from tansaku.terminator._erroreval import CROSS_VALIDATION_SCORES_KEY

    best = _best_trials(study)
    with_error = bool(best) and CROSS_VALIDATION_SCORES_KEY in best[0].system_attrs
    with warnings.catch_warnings():
        # The terminator is experimental in Optuna, and says so; the report chose to draw it.
        warnings.simplefilter("ignore", ExperimentalWarning)
        _plot_from_package("plot_terminator_improvement", page, study, plot_error=with_error)


def report(study: Study, path: str | os.PathLike[str]) -> pathlib.Path:
    """Write one self-contained HTML file that summarizes ``study``, and return its path.

    The page holds an overview of the trials, the best trial (or, with several objectives,
    the Pareto-optimal trials) with its values, parameters and user attributes, the parameter
    importances as a plot and a table, and the main plots: optimization history (one per
    objective), intermediate values (when trials reported any), parallel coordinates, slices
    and, with two parameters or more, contours of the most important parameters; with
    several objectives also the Pareto front; with one objective, last, the room left for
    improvement after each trial (:func:`plot_terminator_improvement`). plotly.js is
    embedded once, so the file opens
    without a network; every name and value coming from the study is HTML-escaped.

    A plot that cannot be drawn for this study is replaced by a one-line note saying why.

    Args:
        study: The study to report on.
        path: Where to write the HTML file; an existing file is replaced.

    Returns:
        The path written, as a ``pathlib.Path``.

    Example:
        .. code-block:: python

            study.optimize(objective, n_trials=100)
            tansaku.visualization.report(study, "report.html")
    """
    plotly_go("report")  # a missing plotly fails here, before any work
    from tansaku.visualization._optimization_history import plot_optimization_history

    page = _Page()
    names = _objective_names(study)
    targets: list[tuple[Callable[[FrozenTrial], float] | None, str]] = [(None, names[0])]
    if len(study.directions) > 1:
        targets = [(objective_target(index), name) for index, name in enumerate(names)]

    page.sections.append("<h2>Optimization history</h2>")
    for target, target_name in targets:
        page.add_figure(plot_optimization_history(study, target=target, target_name=target_name))
    page.sections.append("<h2>Best trials</h2>")
    page.sections.append(_best_table(study, _best_trials(study)))
    page.sections.append("<h2>Parameter importances</h2>")
    ranked = _importances(study, page)

    if any(trial.intermediate_values for trial in study.get_trials(deepcopy=False)):
        page.sections.append("<h2>Intermediate values</h2>")
        _plot_from_package("plot_intermediate_values", page, study)
    first_target, first_name = targets[0]
    by_target = {"target": first_target, "target_name": first_name}
    if len(study.directions) > 1:
        page.sections.append("<h2>Pareto front</h2>")
        _plot_from_package("plot_pareto_front", page, study)
    if ranked:
        page.sections.append(f"<h2>Parameters against {html.escape(first_name)}</h2>")
        for plot_name, limit in _MAX_PARAMS.items():
            if plot_name == "plot_contour" and len(ranked) < 2:
                continue
            if plot_name == "plot_contour":
                _contour_into(page, study, ranked[:limit], by_target)
            elif plot_name == "plot_slice":
                for first in range(0, min(limit, len(ranked)), _SLICES_PER_ROW):
                    chosen = ranked[first : min(first + _SLICES_PER_ROW, limit)]
                    _plot_from_package(plot_name, page, study, params=chosen, **by_target)
            else:
                _plot_from_package(plot_name, page, study, params=ranked[:limit], **by_target)

    if len(study.directions) == 1:
        page.sections.append("<h2>Room for improvement</h2>")
        _terminator_into(page, study)

    title = html.escape(f"Study {study.study_name}")
    document = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{title}</h1>{_overview(study)}{''.join(page.sections)}</body></html>\n"
    )
    destination = pathlib.Path(path)
    destination.write_text(document, encoding="utf-8")
    return destination
