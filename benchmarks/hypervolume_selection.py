"""How close the approximate hypervolume subset selection comes to the exact greedy one.

With four or more objectives and more than ``EXACT_SELECTION_MAX_ROWS`` rows,
:func:`tansaku._pareto.select_by_hypervolume` (the multi-objective TPE split, PED-ANOVA) scores
each candidate by an upper bound of its gain instead of the exact gain. This measures what that
costs: on DTLZ2 point sets (uniform position variables, distance variables within 0.075 of
their optimum, so most points are mutually non-dominated, as late in a many-objective TPE run),
the hypervolume of the subset picked (10% of the points, as TPE's default gamma) relative to
the exact greedy subset's, beside a random subset's, and the CPU time of each selection::

    python -m benchmarks.hypervolume_selection --out benchmarks/results/mo_tpe

Writes ``hypervolume_selection.md``.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from tansaku._pareto import fronts_until, hypervolume, reference_point
from tansaku._pareto._contributions import select_by_overlap_bound, select_lazy_greedy

# (objectives, points): the exact selection of 9 objectives from 1000 points takes minutes.
CASES = ((4, 300), (4, 1000), (5, 300), (5, 1000), (9, 300))
SEEDS = (0, 1, 2)


def dtlz2_points(n: int, m: int, seed: int) -> np.ndarray:
    """DTLZ2 values of n points on max(6, m + 1) variables (Deb et al. 2005)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, max(6, m + 1)))
    x[:, m - 1 :] = 0.5 + 0.15 * (x[:, m - 1 :] - 0.5)
    radius = 1.0 + np.sum((x[:, m - 1 :] - 0.5) ** 2, axis=1)
    values = np.repeat(radius[:, None], m, axis=1)
    for k in range(m):
        values[:, k] *= np.prod(np.cos(0.5 * np.pi * x[:, : m - 1 - k]), axis=1)
        if k:
            values[:, k] *= np.sin(0.5 * np.pi * x[:, m - 1 - k])
    return values


def _timed(select, *args):  # type: ignore[no-untyped-def]
    start = time.process_time()
    picked = select(*args)
    return picked, time.process_time() - start


def measure(m: int, n: int, seed: int) -> dict[str, float]:
    loss = dtlz2_points(n, m, seed)
    k = math.ceil(0.1 * n)
    fronts = fronts_until(loss, k)
    last = loss[fronts[-1]]
    k_last = k - sum(len(front) for front in fronts[:-1])
    reference = reference_point(loss)
    exact, exact_s = _timed(select_lazy_greedy, last, k_last, reference)
    approximate, approximate_s = _timed(select_by_overlap_bound, last, k_last, reference)
    random = np.random.default_rng(seed).choice(len(last), k_last, replace=False)
    best = hypervolume(last[exact], reference)
    return {
        "front": len(last),
        "k": k_last,
        "exact_ms": 1000 * exact_s,
        "approximate_ms": 1000 * approximate_s,
        "approximate": hypervolume(last[approximate], reference) / best,
        "random": hypervolume(last[random], reference) / best,
    }


def _span(values: list[float]) -> str:
    return f"{min(values):.3f}-{max(values):.3f}"


def render(rows: list[tuple[int, int, list[dict[str, float]]]]) -> str:
    lines = [
        "## Approximate hypervolume subset selection against the exact greedy one",
        "",
        "DTLZ2 point sets, seeds " + ", ".join(map(str, SEEDS)) + "; the hypervolume of the "
        "subset picked relative to the exact greedy subset's (min-max over seeds), and the "
        "median CPU ms of one selection.",
        "",
        "| objectives | points | front | picked | approximate / exact | random / exact "
        "| exact ms | approximate ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m, n, results in rows:
        columns = {key: [r[key] for r in results] for key in results[0]}
        lines.append(
            f"| {m} | {n} | {int(np.median(columns['front']))} | {int(columns['k'][0])} "
            f"| {_span(columns['approximate'])} | {_span(columns['random'])} "
            f"| {np.median(columns['exact_ms']):.1f} "
            f"| {np.median(columns['approximate_ms']):.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="directory for the .md file")
    args = parser.parse_args()
    rows = [(m, n, [measure(m, n, seed) for seed in SEEDS]) for m, n in CASES]
    text = render(rows)
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "hypervolume_selection.md").write_text(text)


if __name__ == "__main__":
    main()
