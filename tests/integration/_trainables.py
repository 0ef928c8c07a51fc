"""Ray Tune trainables of the integration tests, importable by Ray's worker processes."""

from __future__ import annotations

from typing import Any

from ray import tune

N_STEPS = 3


def quadratic(config: dict[str, Any]) -> None:
    """Loss ``(x - 2)^2 + n`` plus ``model/width`` / 100, reported at every step, shrinking."""
    base = (config["x"] - 2.0) ** 2 + config.get("n", 0) + config["model"]["width"] / 100.0
    for step in range(N_STEPS):
        tune.report({"loss": base + (N_STEPS - 1 - step)})


def maybe_failing(config: dict[str, Any]) -> None:
    """Raise where the config asks to, end on a NaN loss where it asks to, else report x^2."""
    tune.report({"loss": float(config["x"]) ** 2})
    if config.get("explode"):
        raise RuntimeError("this trial fails on purpose")
    if config.get("nan"):
        tune.report({"loss": float("nan")})


def conditional(config: dict[str, Any]) -> None:
    """A loss over a conditional space (``model/kind`` picks which params exist)."""
    model = config["model"]
    if model["kind"] == "linear":
        loss = (model["lr"] - 0.01) ** 2
    else:
        loss = 1.0 + model["depth"] / 10.0
    tune.report({"score": -loss, "tag": config["tag"]})
