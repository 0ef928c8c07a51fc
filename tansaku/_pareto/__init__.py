"""The numeric core shared by everything that compares several objectives (losses minimized)."""

from tansaku._pareto._boxes import non_dominated_boxes
from tansaku._pareto._core import (
    fronts_until,
    hypervolume,
    loss_signs,
    pareto_front_mask,
    reference_point,
    select_by_hypervolume,
    to_loss,
)
from tansaku._pareto._ranks import nondomination_ranks

__all__ = [
    "fronts_until",
    "hypervolume",
    "loss_signs",
    "non_dominated_boxes",
    "nondomination_ranks",
    "pareto_front_mask",
    "reference_point",
    "select_by_hypervolume",
    "to_loss",
]
