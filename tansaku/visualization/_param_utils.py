"""What the plots of parameters share: the choice of params, one axis per param (linear, log
or categories) and where each trial sits on it, and the Pareto ranks of multi-objective trials.

Everything here is pure over trials and arrays; plotly and matplotlib only draw the result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tansaku._internal.optional import import_optional
from tansaku._internal.study_direction import StudyDirection
from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

if TYPE_CHECKING:
    from tansaku.trial import FrozenTrial

# Share of an axis' span added on each side, so that the extreme points are not on the frame.
PADDING_RATIO = 0.05

Scale = Literal["linear", "log", "category"]


def plotly_subplots(feature: str) -> ModuleType:
    """``plotly.subplots``, or an ImportError naming the extra needed for ``feature``."""
    return import_optional("plotly.subplots", feature, "visualization")


@dataclass(frozen=True)
class ParamAxis:
    """How one parameter is laid out on an axis.

    Attributes:
        name: The parameter's name, the axis title.
        scale: ``"log"`` for params sampled on a log scale, ``"category"`` for categorical
            params drawn as categories, ``"linear"`` otherwise.
        categories: For ``"category"``, the labels (``str`` of each choice) of the choices that
            some trial took, in the order of the distribution's choices; empty otherwise.
        low: Lower end of the padded range, in data units (category positions are 0, 1, ...).
        high: Upper end of the padded range, in data units.
    """

    name: str
    scale: Scale
    categories: tuple[str, ...]
    low: float
    high: float

    @property
    def is_log(self) -> bool:
        return self.scale == "log"

    @property
    def is_categorical(self) -> bool:
        return self.scale == "category"

    def positions(self, values: Sequence[Any]) -> np.ndarray:
        """Where ``values`` of the param sit on the axis: the category index for categories,
        the value itself (as float) otherwise."""
        if self.is_categorical:
            index = {label: i for i, label in enumerate(self.categories)}
            return np.array([index[str(v)] for v in values], dtype=float)
        return np.array([float(v) for v in values], dtype=float)

    def to_unit(self, positions: np.ndarray) -> np.ndarray:
        """Map positions to [0, 1] over the padded range, in log10 for a log axis; the space in
        which distances between trials are compared (e.g. for interpolation)."""
        low, high = self.low, self.high
        if self.is_log:
            positions, low, high = np.log10(positions), math.log10(low), math.log10(high)
        if high == low:
            return np.full(len(positions), 0.5)
        return (positions - low) / (high - low)

    def from_unit(self, units: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_unit`."""
        if self.is_log:
            low, high = math.log10(self.low), math.log10(self.high)
            return np.power(10.0, low + units * (high - low))
        return self.low + units * (self.high - self.low)

    @property
    def plotly_range(self) -> list[float]:
        """The padded range as plotly wants it (log10 of the ends on a log axis)."""
        if self.is_log:
            return [math.log10(self.low), math.log10(self.high)]
        return [self.low, self.high]


def first_distribution(trials: Sequence[FrozenTrial], param: str) -> Any | None:
    """The distribution of ``param`` in the first trial that has it, or None."""
    for trial in trials:
        distribution = trial.distributions.get(param)
        if distribution is not None:
            return distribution
    return None


def has_numeric_choices(distribution: CategoricalDistribution) -> bool:
    """Whether every choice is a number (booleans are not), so the choices have an order."""
    return all(
        isinstance(choice, int | float) and not isinstance(choice, bool)
        for choice in distribution.choices
    )


def param_axis(
    trials: Sequence[FrozenTrial], param: str, numeric_choices_as_numbers: bool = False
) -> ParamAxis:
    """The axis of ``param`` over the trials that have it (at least one must).

    Args:
        trials: The trials drawn.
        param: The parameter.
        numeric_choices_as_numbers: Draw a categorical param whose choices are all numbers on a
            numeric axis rather than as categories.
    """
    distribution = first_distribution(trials, param)
    present = [t.params[param] for t in trials if param in t.params]
    if isinstance(distribution, CategoricalDistribution) and not (
        numeric_choices_as_numbers and has_numeric_choices(distribution)
    ):
        taken = {str(v) for v in present}
        order: dict[str, None] = {}
        for trial in trials:
            choices = trial.distributions.get(param)
            if isinstance(choices, CategoricalDistribution):
                order.update((str(c), None) for c in choices.choices if str(c) in taken)
        categories = tuple(order)
        padding = max((len(categories) - 1) * PADDING_RATIO, 0.5 if len(categories) == 1 else 0)
        return ParamAxis(param, "category", categories, -padding, len(categories) - 1 + padding)
    numbers = np.array([float(v) for v in present], dtype=float)
    low, high = float(numbers.min()), float(numbers.max())
    is_log = isinstance(distribution, FloatDistribution | IntDistribution) and distribution.log
    if is_log:
        log_low, log_high = math.log10(low), math.log10(high)
        # A single value still gets a range to sit in: half a decade, or half a unit, aside.
        padding = (log_high - log_low) * PADDING_RATIO or 0.5
        return ParamAxis(param, "log", (), 10 ** (log_low - padding), 10 ** (log_high + padding))
    padding = (high - low) * PADDING_RATIO or 0.5
    return ParamAxis(param, "linear", (), low - padding, high + padding)


def select_params(
    trials: Sequence[FrozenTrial], params: Sequence[str] | None, where: str
) -> list[str]:
    """The params to draw, sorted: ``params``, or every param some trial has.

    Raises:
        ValueError: some of ``params`` no drawn trial has; the message names them.
    """
    present = {name for trial in trials for name in trial.params}
    if params is None:
        return sorted(present)
    missing = [name for name in params if name not in present]
    if missing:
        raise ValueError(
            f"{where}: params {missing} do not exist in the completed trials of the study; "
            f"the study's params are {sorted(present)}"
        )
    return sorted(set(params))


def trials_with(
    trials: Sequence[FrozenTrial], params: Sequence[str]
) -> tuple[np.ndarray, list[FrozenTrial]]:
    """Mask of the trials that have every one of ``params`` (conditional params may be
    missing from some), and those trials."""
    keep = np.array([all(p in t.params for p in params) for t in trials], dtype=bool)
    return keep, [t for t, k in zip(trials, keep) if k]


def is_reverse_scale(direction: StudyDirection | None) -> bool:
    """Whether a colour scale runs reversed, so that the better values get the dark end: for a
    minimized objective, or a custom target (``direction`` None) whose sense is unknown."""
    return direction != StudyDirection.MAXIMIZE


def format_number(value: float) -> str:
    """A short label for a tick: three significant digits."""
    return f"{value:.3g}"


def plotly_values(axis: ParamAxis, positions: np.ndarray) -> list[Any]:
    """Positions on ``axis`` as plotly takes them: the category labels on a category axis."""
    if axis.is_categorical:
        return [axis.categories[int(p)] for p in positions]
    values: list[Any] = positions.tolist()
    return values


def style_plotly_axis(update: Any, axis: ParamAxis, at: dict[str, int]) -> None:
    """Give one axis of a plotly panel (``update`` is the figure's ``update_xaxes`` or
    ``update_yaxes``; ``at`` = row/col, or empty for a single plot) the param's axis type
    (linear, log or category, with the categories in order) and padded range."""
    if axis.is_categorical:
        update(
            type="category",
            categoryorder="array",
            categoryarray=list(axis.categories),
            range=axis.plotly_range,
            **at,
        )
    else:
        update(type=axis.scale, range=axis.plotly_range, **at)


def style_plotly_axes(
    figure: Any, x_axis: ParamAxis, y_axis: ParamAxis, at: dict[str, int]
) -> None:
    """:func:`style_plotly_axis` for both axes of a panel of two params."""
    style_plotly_axis(figure.update_xaxes, x_axis, at)
    style_plotly_axis(figure.update_yaxes, y_axis, at)


def plotly_matrix(feature: str, n: int, title: str) -> Any:
    """A plotly figure of n x n panels, one per pair of params, sized to stay readable."""
    subplots = plotly_subplots(feature)
    figure = subplots.make_subplots(
        rows=n, cols=n, horizontal_spacing=min(0.1, 0.3 / n), vertical_spacing=min(0.1, 0.25 / n)
    )
    figure.update_layout(title=title, width=max(700, 260 * n), height=max(600, 240 * n))
    return figure
