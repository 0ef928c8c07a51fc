"""Local search threads of cost-frugal search, replayed from the moves a study's trials made.

The local search is the randomized direct search of CFO (Wu, Wang and Huang, "Frugal
Optimization for Cost-related Hyperparameters", AAAI 2021): from the incumbent ``x`` of a
thread, draw a direction ``u`` uniformly on the unit sphere, try ``x + step * u``; if that is
not better, try ``x - step * u``; a better point becomes the incumbent. After ``max_failures``
iterations in a row where neither side improved, the step shrinks by ``SHRINK``; once it is
below ``step_min`` the thread has converged.

Nothing here is stored: a thread is the fold of the trials that carry its tag, in trial-number
order, so every worker and every later run of a study that reads the same trials rebuilds the
same threads. Pure data in, pure data out; no study or storage objects.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

# The factor a step shrinks by after ``max_failures`` failed iterations in a row.
SHRINK = 0.5
# The initial step per unit of sqrt(dimension): a step of 0.1 * sqrt(d) moves each
# coordinate by ~0.1 of its range on average.
STEP_PER_ROOT_DIM = 0.1


@dataclass(frozen=True)
class Move:
    """What one trial was to a thread, with its outcome.

    Attributes:
        number: The trial's number.
        thread: The id of the thread it belongs to (the number of the thread's first trial).
        kind: ``"start"`` (a thread's first point), ``"plus"``, ``"minus"`` (the two sides of
            an iteration) or ``"global"`` (a point of the global searcher; it starts a thread).
        origin: The number of the incumbent trial the move stepped from (plus and minus).
        pair: The number of the plus move a minus move answers.
        direction: The unit direction of a plus move (a minus move steps against it).
        step: The step the move was made with.
        point: The trial's params as a row of the unit cube, None if it lacks one.
        loss: The value to minimize; ``inf`` for a failed or pruned trial; None while running.
        cost: What the trial cost (0 while running).
    """

    number: int
    thread: int
    kind: str
    origin: int | None = None
    pair: int | None = None
    direction: tuple[float, ...] | None = None
    step: float | None = None
    point: np.ndarray | None = None
    loss: float | None = None
    cost: float = 0.0


@dataclass
class Thread:
    """A local search thread: its incumbent, its step and what it has spent."""

    id: int
    step: float
    incumbent: np.ndarray
    incumbent_number: int
    first_loss: float
    best_loss: float
    cost: float = 0.0
    n_finished: int = 1
    failures: int = 0
    converged: bool = False
    # The failed plus move whose minus side is due (None: the next move is a new plus).
    due_minus: Move | None = None
    numbers: list[int] = field(default_factory=list)

    def improvement_speed(self) -> float:
        """Loss gained per unit of cost since the thread's first point (BlendSearch's speed)."""
        gained = self.first_loss - self.best_loss
        if not math.isfinite(gained) or gained <= 0.0:
            return 0.0
        return gained / max(self.cost, 1e-12)


def max_failures(dimension: int) -> int:
    """Failed iterations in a row before the step shrinks.

    CFO uses ``2 ** (d - 1)``, the number of orthants a direction may point into; we cap it at
    ``2 * d`` so a space of ten params does not spend 512 iterations at one step size.
    """
    return max(1, min(2 ** max(dimension - 1, 0), 2 * dimension))


def initial_step(dimension: int) -> float:
    return STEP_PER_ROOT_DIM * math.sqrt(dimension)


def replay(moves: Iterable[Move], dimension: int, step_min: float) -> dict[int, Thread]:
    """Fold the moves, in trial-number order, into the threads they belong to.

    A thread is born from its finished start move with a finite loss and a point, or from such
    a global move whose loss is below the median best loss of the threads live at that point.
    A plus move that is not better leaves its minus side due, unless a minus move for it exists
    already (running or not) or the thread's incumbent moved meanwhile (another worker's move
    improved it). A minus move that is not better counts one failed iteration.

    Args:
        moves: The tagged trials of a study, each once.
        dimension: The number of columns of the unit cube (moves of another length are
            skipped: the search space changed).
        step_min: The step below which a thread has converged.

    Returns:
        The threads by id.
    """
    ordered = sorted(moves, key=lambda move: move.number)
    answered = {move.pair for move in ordered if move.kind == "minus"}
    threads: dict[int, Thread] = {}
    limit = max_failures(dimension)
    for move in ordered:
        if move.loss is None:
            continue
        if move.kind in ("start", "global"):
            if (
                move.point is not None
                and math.isfinite(move.loss)
                and len(move.point) == dimension
                and (move.kind == "start" or _promising(move.loss, threads))
            ):
                threads[move.number] = Thread(
                    id=move.number,
                    step=initial_step(dimension),
                    incumbent=move.point,
                    incumbent_number=move.number,
                    first_loss=move.loss,
                    best_loss=move.loss,
                    cost=move.cost,
                    numbers=[move.number],
                )
            continue
        thread = threads.get(move.thread)
        if thread is None or thread.converged:
            continue
        thread.cost += move.cost
        thread.n_finished += 1
        thread.numbers.append(move.number)
        if (
            move.point is not None
            and len(move.point) == dimension
            and move.loss < thread.best_loss
        ):
            thread.incumbent = move.point
            thread.incumbent_number = move.number
            thread.best_loss = move.loss
            thread.failures = 0
            thread.due_minus = None
            continue
        if move.kind == "plus":
            mirrorable = move.direction is not None and len(move.direction) == dimension
            if (
                mirrorable
                and move.number not in answered
                and move.origin == thread.incumbent_number
            ):
                thread.due_minus = move
            continue
        # A minus side that failed: the whole iteration failed.
        if thread.due_minus is not None and thread.due_minus.number == move.pair:
            thread.due_minus = None
        thread.failures += 1
        if thread.failures >= limit:
            thread.failures = 0
            thread.step *= SHRINK
            if thread.step < step_min:
                thread.converged = True
    return threads


def _promising(loss: float, threads: dict[int, Thread]) -> bool:
    """Whether a global point's ``loss`` earns it a local thread (BlendSearch's rule).

    Only a point better than the median best loss of the live threads starts one: a global
    point no better than the threads already searching would split the budget among more
    threads without a better start.
    """
    alive = [thread.best_loss for thread in threads.values() if not thread.converged]
    return not alive or loss < float(np.median(alive))
