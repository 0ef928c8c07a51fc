"""Robust summaries over repeats: medians, spreads, ratios, rank tests."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

ALPHA = 0.05


@dataclass(frozen=True)
class Summary:
    """Median and min-max spread of one implementation's repeats of one cell."""

    median: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return {"median": self.median, "low": self.low, "high": self.high, "n": self.n}


def median(values: Sequence[float]) -> float:
    """Median that tolerates +inf (a censored value) and returns NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    low, high = ordered[middle - 1], ordered[middle]
    if math.isinf(low) or math.isinf(high):
        return high if math.isinf(high) else low
    return (low + high) / 2


def summarize(values: Sequence[float]) -> Summary | None:
    """Median and [min, max] of ``values``; None when there is nothing to summarize."""
    finite_or_inf = [v for v in values if not math.isnan(v)]
    if not finite_or_inf:
        return None
    return Summary(median(finite_or_inf), min(finite_or_inf), max(finite_or_inf), len(values))


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator`` when both are finite and the denominator is positive."""
    if numerator is None or denominator is None:
        return None
    if not (math.isfinite(numerator) and math.isfinite(denominator)) or denominator <= 0:
        return None
    return numerator / denominator


def paired_ratios(numerators: dict[int, float], denominators: dict[int, float]) -> Summary | None:
    """Per-repeat ratios of runs made back to back; their spread shows the ratio's noise.

    Repeat ``r`` of both implementations ran next to each other in time, so their ratio
    cancels most of a shared machine's slow phases.
    """
    ratios = [
        r
        for rep in sorted(set(numerators) & set(denominators))
        if (r := ratio(numerators[rep], denominators[rep])) is not None
    ]
    return summarize(ratios)


def geometric_mean(values: Sequence[float]) -> float | None:
    positive = [v for v in values if v is not None and math.isfinite(v) and v > 0]
    if not positive:
        return None
    return math.exp(sum(math.log(v) for v in positive) / len(positive))


def rank_compare(
    ours: Sequence[float], theirs: Sequence[float], *, lower_is_better: bool = True
) -> tuple[str, float]:
    """Two-sided Mann-Whitney U test of ``ours`` against ``theirs``.

    Returns:
        ("win" | "tie" | "loss", p-value), from the point of view of ``ours``; a difference
        counts only when p < 0.05.
    """
    from scipy.stats import mannwhitneyu

    if len(ours) < 2 or len(theirs) < 2:
        return "tie", 1.0
    if len(set(ours) | set(theirs)) == 1:
        return "tie", 1.0
    result = mannwhitneyu(ours, theirs, alternative="two-sided")
    p_value = float(result.pvalue)
    if p_value >= ALPHA:
        return "tie", p_value
    # U counts pairs where ours > theirs; above half means ours is larger.
    ours_larger = float(result.statistic) > len(ours) * len(theirs) / 2
    better = not ours_larger if lower_is_better else ours_larger
    return ("win" if better else "loss"), p_value


def compare_impls(
    values: dict[str, dict[int, float]], impls: Sequence[str]
) -> dict[str, dict[str, object] | None]:
    """Summaries per implementation and ratios of the first one to each other one.

    Args:
        values: implementation -> repeat -> measured value (only implementations with data).
        impls: implementations in report order; the first is the one the ratios are about.

    Returns:
        ``{"summary": {impl: Summary dict}, "ratio": {other: {"value", "paired"}}}``.
    """
    summaries = {
        impl: (s.as_dict() if (s := summarize(list(values[impl].values()))) else None)
        for impl in impls
        if impl in values
    }
    base = impls[0]
    ratios: dict[str, object] = {}
    for other in impls[1:]:
        if base not in values or other not in values:
            continue
        base_summary, other_summary = summaries.get(base), summaries.get(other)
        value = ratio(
            base_summary["median"] if base_summary else None,
            other_summary["median"] if other_summary else None,
        )
        paired = paired_ratios(values[base], values[other])
        ratios[other] = {"value": value, "paired": paired.as_dict() if paired else None}
    return {"summary": summaries, "ratio": ratios}
