"""Which member a new trial continues, from which checkpoint, with which hyperparameters.

Pure functions over the study's segments (no storage): the sampler reads the segments, asks
:func:`plan_segment` for a plan, and records it on the new trial.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tansaku.distributions import BaseDistribution
from tansaku.pbt._explore import explore

# The system attr that holds a segment's plan (a JSON dict, see Segment.to_json).
SEGMENT_KEY = "pbt:segment"
# The system attr that holds a segment's checkpoint (a JSON dict, see _checkpoint.py).
CHECKPOINT_KEY = "pbt:checkpoint"

START, CONTINUE, EXPLOIT, BRANCH = "start", "continue", "exploit", "branch"


@dataclass(frozen=True)
class Segment:
    """One trial's part of a member's training: its place in the lineage and its steps.

    Attributes:
        member: The member it trains: the number of the trial that started the member.
        generation: 0 for a member's first segment, then one more for each segment after.
        parent: The number of the trial whose checkpoint (and hyperparameters, explored when
            ``action`` is ``"exploit"`` or ``"branch"``) it starts from; None for a start.
        action: ``"start"`` (a new member from the base sampler's params), ``"continue"``
            (the member's own last checkpoint, same params), ``"exploit"`` (a better member's
            checkpoint and explored params) or ``"branch"`` (a new member that exploits, when
            every member is busy).
        start_step: The training steps the checkpoint has done already (0 for a start).
        end_step: The step this segment trains to: ``start_step + perturbation_interval``.
        params: The params chosen for the trial (empty for a start: the base sampler draws).
    """

    member: int
    generation: int
    parent: int | None
    action: str
    start_step: int
    end_step: int
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> range:
        """The steps this segment trains and reports, ``start_step + 1`` to ``end_step``."""
        return range(self.start_step + 1, self.end_step + 1)

    def to_json(self) -> dict[str, Any]:
        """The segment as a JSON-compatible dict (what the trial's system attr holds)."""
        return {
            "member": self.member,
            "generation": self.generation,
            "parent": self.parent,
            "action": self.action,
            "start_step": self.start_step,
            "end_step": self.end_step,
            "params": dict(self.params),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Segment:
        """The segment that :meth:`to_json` wrote."""
        return cls(
            member=int(data["member"]),
            generation=int(data["generation"]),
            parent=None if data["parent"] is None else int(data["parent"]),
            action=str(data["action"]),
            start_step=int(data["start_step"]),
            end_step=int(data["end_step"]),
            params=dict(data["params"]),
        )


@dataclass(frozen=True)
class Record:
    """A trial that holds a segment, as the planner sees it.

    Attributes:
        number: The trial number.
        segment: Its segment.
        live: Running, waiting or complete: its claim on ``(member, generation)`` holds.
        value: Its objective value when complete, else None.
        params: The params it was given.
        distributions: The distributions of its params.
    """

    number: int
    segment: Segment
    live: bool
    value: float | None
    params: dict[str, Any]
    distributions: dict[str, BaseDistribution]


@dataclass(frozen=True)
class Config:
    """The options of :class:`tansaku.pbt.PBTSampler` that the planner uses."""

    population_size: int
    perturbation_interval: int
    burn_in_period: int
    quantile_fraction: float
    resample_probability: float
    perturbation_factors: tuple[float, ...]
    mutations: dict[str, BaseDistribution] | None
    maximize: bool


def members(records: Sequence[Record]) -> dict[int, Record]:
    """Each member's latest complete segment (the one a continuation starts from)."""
    latest: dict[int, Record] = {}
    for record in records:
        if record.value is None:
            continue
        best = latest.get(record.segment.member)
        if best is None or record.segment.generation > best.segment.generation:
            latest[record.segment.member] = record
    return latest


def quantiles(latest: Mapping[int, Record], config: Config) -> tuple[list[int], list[int]]:
    """The members in the lower and upper quantile, by their latest value (as Ray Tune).

    Each quantile holds ``ceil(n * quantile_fraction)`` members, at most half of them, so a
    member is never in both.
    """
    ranked = sorted(latest, key=lambda m: (_score(latest[m].value, config), m))  # worst first
    n_in_quantile = math.ceil(len(ranked) * config.quantile_fraction)
    n_in_quantile = min(n_in_quantile, len(ranked) // 2)
    if n_in_quantile == 0:
        return [], []
    return ranked[:n_in_quantile], ranked[-n_in_quantile:]


def _score(value: float | None, config: Config) -> float:
    assert value is not None
    return value if config.maximize else -value


def free_members(records: Sequence[Record], number: int, excluded: set[int]) -> list[Record]:
    """Latest complete segments that no other live trial continues yet, oldest first.

    Oldest first (lowest generation, then earliest trial) keeps the members level: none is left
    behind while the others train on. Trial ``number`` (the one being planned) and the members
    of ``excluded`` are left out.
    """
    highest_claim: dict[int, int] = {}
    for record in records:
        if record.live and record.number != number:
            member, generation = record.segment.member, record.segment.generation
            highest_claim[member] = max(highest_claim.get(member, -1), generation)
    free = [
        record
        for member, record in members(records).items()
        if member not in excluded and highest_claim.get(member) == record.segment.generation
    ]
    return sorted(free, key=lambda r: (r.segment.generation, r.number))


def plan_segment(
    records: Sequence[Record],
    number: int,
    config: Config,
    rng: random.Random,
    excluded: set[int],
) -> Segment:
    """The segment that trial ``number`` trains, given the study's ``records``.

    A new member starts while the population is smaller than ``population_size``. Otherwise
    the oldest free member goes on: with its own checkpoint and params, or, past the burn-in
    and in the lower quantile, with the checkpoint of a random member of the upper quantile and
    its params explored. When every member is busy (more workers than free members), a new
    member branches from the upper quantile so that no worker waits.
    """
    interval = config.perturbation_interval
    others = [r for r in records if r.number != number]
    n_members = len({r.segment.member for r in others if r.live})
    if n_members < config.population_size:
        return Segment(number, 0, None, START, 0, interval)
    latest = members(others)
    lower, upper = quantiles(latest, config)
    free = free_members(others, number, excluded)
    if not free:
        if not upper:
            return Segment(number, 0, None, START, 0, interval)
        donor = latest[upper[rng.randrange(len(upper))]]
        return _from(donor, number, 0, BRANCH, config, rng)
    parent = free[0]
    member, generation = parent.segment.member, parent.segment.generation + 1
    if parent.segment.end_step >= config.burn_in_period and member in lower and upper:
        donor = latest[upper[rng.randrange(len(upper))]]
        return _from(donor, member, generation, EXPLOIT, config, rng)
    start = parent.segment.end_step
    return Segment(
        member, generation, parent.number, CONTINUE, start, start + interval, dict(parent.params)
    )


def _from(
    donor: Record, member: int, generation: int, action: str, config: Config, rng: random.Random
) -> Segment:
    """A segment that starts from ``donor``'s checkpoint with its params explored."""
    mutations = config.mutations if config.mutations is not None else donor.distributions
    params = explore(
        donor.params, mutations, rng, config.resample_probability, config.perturbation_factors
    )
    start = donor.segment.end_step
    return Segment(
        member,
        generation,
        donor.number,
        action,
        start,
        start + config.perturbation_interval,
        params,
    )
