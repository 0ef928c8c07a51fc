"""Values the user gives for a param (a grid, fixed params, an enqueued trial): used as given,
with a warning when the distribution the objective asks for does not contain them."""

from __future__ import annotations

import warnings

from tansaku.distributions import BaseDistribution


def warn_if_outside(
    distribution: BaseDistribution, internal: float, what: str, stacklevel: int
) -> None:
    """Warn (UserWarning) that ``what`` lies outside ``distribution`` when ``internal``, its
    internal form, does; ``stacklevel`` counts from the caller of this function."""
    if not distribution._contains(internal):
        warnings.warn(
            f"{what} is outside {distribution!r}; it is used as given.",
            UserWarning,
            stacklevel=stacklevel + 1,
        )
