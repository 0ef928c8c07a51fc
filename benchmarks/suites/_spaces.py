"""Search spaces for the overhead suite: cheap objectives, so the library's cost is what shows."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

Objective = Callable[[Any, int], "float | tuple[float, ...]"]


def float10(trial: Any, n_objectives: int) -> float | tuple[float, ...]:
    """Ten floats in [-5, 5]; a sphere, and spheres shifted by 1, 2, ... as the other
    objectives."""
    xs = [trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(10)]
    first = sum(x * x for x in xs)
    if n_objectives == 1:
        return first
    return (first, *(sum((x - k) ** 2 for x in xs) for k in range(1, n_objectives)))


_OPTIMIZER_PENALTY = {"adam": 0.0, "rmsprop": 0.3}
_ACTIVATION_PENALTY = {"relu": 0.0, "tanh": 0.2, "gelu": 0.05, "silu": 0.1}


def mixed(trial: Any, n_objectives: int) -> float | tuple[float, ...]:
    """An HPO-shaped space: 5 floats (2 log, 1 stepped, 1 conditional), 3 ints (1 log,
    1 stepped), 2 categoricals; ``momentum`` exists only when ``optimizer == "sgd"``."""
    learning_rate = trial.suggest_float("learning_rate", 1e-5, 1e-1, log=True)
    weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    warmup = trial.suggest_float("warmup_fraction", 0.0, 0.3, step=0.01)
    n_layers = trial.suggest_int("n_layers", 1, 8)
    n_units = trial.suggest_int("n_units", 16, 1024, log=True)
    batch_size = trial.suggest_int("batch_size", 16, 256, step=16)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam", "rmsprop"])
    activation = trial.suggest_categorical("activation", ["relu", "tanh", "gelu", "silu"])
    if optimizer == "sgd":
        optimizer_penalty = (trial.suggest_float("momentum", 0.0, 0.99) - 0.9) ** 2
    else:
        optimizer_penalty = _OPTIMIZER_PENALTY[optimizer]
    loss = (
        (math.log10(learning_rate) + 3.0) ** 2
        + (math.log10(weight_decay) + 4.0) ** 2 / 4.0
        + (dropout - 0.2) ** 2
        + (warmup - 0.1) ** 2
        + (n_layers - 3) ** 2 / 10.0
        + (math.log2(n_units) - 7.0) ** 2 / 10.0
        + ((batch_size - 64) / 64.0) ** 2 / 10.0
        + optimizer_penalty
        + _ACTIVATION_PENALTY[activation]
    )
    if n_objectives == 1:
        return loss
    cost = n_layers * n_units / 1024.0 + 64.0 / batch_size
    # Beyond two: trade-offs between the two at other weights.
    others = ((k * loss + cost) / (k + 1) + k * dropout for k in range(1, n_objectives - 1))
    return (loss, cost, *others)


def correlated6(trial: Any, n_objectives: int) -> float | tuple[float, ...]:
    """Six floats in [0, 1]; objective k is the squared distance to (k / m, ..., k / m), so the
    m objectives are strongly correlated (the multi-objective TPE cells)."""
    xs = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(6)]
    values = tuple(sum((x - k / n_objectives) ** 2 for x in xs) for k in range(n_objectives))
    return values[0] if n_objectives == 1 else values


def dtlz2(trial: Any, n_objectives: int) -> float | tuple[float, ...]:
    """DTLZ2 (Deb et al. 2005) on max(6, m) floats in [0, 1]: m - 1 position variables (the
    6 of the suite need at least m - 1 of them, so 9 objectives take 9 variables) and the rest
    distance variables; its front is the positive part of the unit sphere."""
    m = n_objectives
    xs = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(max(6, m))]
    radius = 1.0 + sum((x - 0.5) ** 2 for x in xs[m - 1 :])
    values = []
    for k in range(m):
        value = radius
        for x in xs[: m - 1 - k]:
            value *= math.cos(0.5 * math.pi * x)
        if k:
            value *= math.sin(0.5 * math.pi * xs[m - 1 - k])
        values.append(value)
    return values[0] if m == 1 else tuple(values)


SPACES: dict[str, Objective] = {
    "float10": float10,
    "mixed": mixed,
    "correlated6": correlated6,
    "dtlz2": dtlz2,
}
SPACE_LABELS = {
    "float10": "10 floats",
    "mixed": "mixed + conditional",
    "correlated6": "6 floats, correlated objectives",
    "dtlz2": "DTLZ2",
}
