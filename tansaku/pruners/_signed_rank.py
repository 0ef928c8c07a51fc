"""The one-sided Wilcoxon signed-rank test as ``scipy.stats.wilcoxon(d, alternative=...,
zero_method="zsplit")`` computes it, without its per-call overhead.

The same p-values, decided the same way: with no zero and no tied ``|d|``, the exact null
distribution for up to 50 differences (kept per size) and the normal approximation above; with
zeros or ties, the normal approximation with the tie correction for more than 13 differences,
and scipy itself (an exhaustive permutation test) for 13 or fewer.
"""

from __future__ import annotations

import functools
import math
from typing import Literal

import numpy as np

# Sizes up to which scipy's "auto" method uses the exact distribution (no zeros, no ties), and
# the permutation test (zeros or ties).
_EXACT_MAX_N = 50
_PERMUTATION_MAX_N = 13


@functools.lru_cache(maxsize=_EXACT_MAX_N)
def _upper_tail(n: int) -> np.ndarray:
    """``P(R+ >= k)`` for ``k = 0 .. n(n+1)/2 + 1`` under the null, for ``n`` differences.

    The counts of subsets of ``{1..n}`` by their sum are integers below 2**53, so these
    probabilities are exact dyadic fractions: any order of summation gives the same floats.
    """
    top = n * (n + 1) // 2
    counts = np.zeros(top + 1, dtype=np.int64)
    counts[0] = 1
    for rank in range(1, n + 1):
        counts[rank:] = counts[rank:] + counts[:-rank]  # times (1 + x**rank)
    tail = np.zeros(top + 2)
    tail[:-1] = np.cumsum(counts[::-1])[::-1] / float(2**n)
    tail.setflags(write=False)
    return tail


def signed_rank_pvalue(diff: np.ndarray, alternative: Literal["less", "greater"]) -> float:
    """The p-value that the differences ``diff`` are centred at 0 against ``alternative``.

    Args:
        diff: Finite paired differences, shape ``(n,)`` with ``n >= 1``.
        alternative: ``"greater"``: the differences tend to be positive; ``"less"``: negative.
    """
    n = diff.size
    magnitude = np.abs(diff)
    order = np.argsort(magnitude, kind="stable")
    sorted_magnitude = magnitude[order]  # (n,)
    has_zero = bool(sorted_magnitude[0] == 0)
    new_group = np.empty(n, dtype=bool)  # True where a run of equal |d| starts
    new_group[0] = True
    np.not_equal(sorted_magnitude[1:], sorted_magnitude[:-1], out=new_group[1:])
    has_ties = not bool(new_group.all())

    if not (has_zero or has_ties) and n <= _EXACT_MAX_N:
        positive = diff[order] > 0
        rank_sum = int(np.sum(np.nonzero(positive)[0] + 1))
        tail = _upper_tail(n)
        if alternative == "greater":
            return float(tail[rank_sum])
        return float(1.0 - tail[rank_sum + 1])
    if (has_zero or has_ties) and n <= _PERMUTATION_MAX_N:
        from scipy.stats import wilcoxon

        result = wilcoxon(diff, alternative=alternative, zero_method="zsplit")
        return float(result.pvalue)

    # Normal approximation. Ranks are multiples of 1/2 and the tie sizes integers, so these
    # sums are exact whatever their order.
    starts = np.flatnonzero(new_group)  # (n_groups,)
    sizes = np.diff(np.append(starts, n))  # (n_groups,)
    average_rank = starts + (sizes + 1) / 2.0  # (n_groups,)
    ranks = np.empty(n)
    ranks[order] = np.repeat(average_rank, sizes)
    r_plus = float(np.sum(ranks[diff > 0])) + float(np.sum(ranks[diff == 0])) / 2
    count = float(n)
    mean = count * (count + 1.0) * 0.25
    variance = count * (count + 1.0) * (2.0 * count + 1.0)
    tie_correction = float(np.sum(sizes.astype(float) ** 3 - sizes))
    se = math.sqrt((variance - tie_correction / 2) / 24)
    z = (r_plus - mean) / se
    from scipy.special import ndtr

    return float(ndtr(z) if alternative == "less" else ndtr(-z))
