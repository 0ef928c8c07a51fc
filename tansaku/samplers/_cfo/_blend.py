"""BlendSearchSampler: TPE proposes start points, CFO threads search locally around them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku.samplers._base import BaseSampler
from tansaku.samplers._cfo._sampler import CFOSampler, _Plan, _Space
from tansaku.samplers._cfo._threads import Move, Thread, initial_step
from tansaku.samplers._tpe import TPESampler
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study


class BlendSearchSampler(CFOSampler):
    """Cost-frugal search that blends a global searcher (TPE) with local CFO threads.

    BlendSearch (Wang, Wu, Huang and Saied, ICLR 2021) starts like :class:`CFOSampler`, at
    the low-cost point, and keeps one *global* thread beside the local ones: a global trial
    takes TPE's proposal, and once it completes it starts a new local CFO thread from its
    point if its loss is below the median best loss of the live local threads (or no thread
    is live): a point no better than the threads already searching would only split the
    budget further. Threads that converge are dropped (the global search supplies new starts,
    so there is no restart).

    Which thread makes the next trial is the paper's priority rule, in this form: each thread
    (the global one counting as one) has a best loss ``f``, a total cost ``c`` of its finished
    trials, and a speed of improvement ``v = (f_first - f) / c`` (loss gained per unit of cost
    since its first trial). Its *projected loss* after a further cost ``D`` is ``f - v * D``,
    where ``D`` is the largest cost of one trial so far; the thread with the lowest projected
    loss goes next. A thread with fewer than two finished trials has no speed yet and goes
    first (local threads before the global one, older before newer), so every new start is
    tried and TPE gets data. The global proposal is kept cost-frugal as in the paper: each
    param of ``low_cost_partial_config`` is capped, in the unit cube, at the largest value any
    finished trial used plus the largest step of a live thread, so TPE cannot jump to a
    configuration far costlier than the search has tried.

    Everything else (the space, categoricals, the cost, shared state and seeding) is as in
    :class:`CFOSampler`; a global trial's params outside the search space come from the
    global searcher too. The threads are rebuilt from the trials, but the default TPE draws
    from its own generator, seeded once per sampler instance: a resumed study, or several
    workers, continue the same threads while TPE's proposals follow TPE's own seeding.

    Args:
        low_cost_partial_config: As in :class:`CFOSampler`.
        cost_attr: As in :class:`CFOSampler`; here it steers the choice between threads.
        seed: As in :class:`CFOSampler`; it seeds the default global searcher too.
        independent_sampler: As in :class:`CFOSampler`.
        step_min: As in :class:`CFOSampler`.
        global_sampler: The global searcher; by default a multivariate ``TPESampler`` with
            ``n_startup_trials`` random trials and ``seed``.
        n_startup_trials: Random proposals of the default global searcher.

    Raises:
        TypeError, ValueError: as :class:`CFOSampler`; ``global_sampler`` is not a sampler.
    """

    _where = "BlendSearchSampler"

    def __init__(
        self,
        *,
        low_cost_partial_config: Mapping[str, Any] | None = None,
        cost_attr: str | None = None,
        seed: int | None = None,
        independent_sampler: BaseSampler | None = None,
        step_min: float | None = None,
        global_sampler: BaseSampler | None = None,
        n_startup_trials: int = 10,
    ) -> None:
        super().__init__(
            low_cost_partial_config=low_cost_partial_config,
            cost_attr=cost_attr,
            seed=seed,
            independent_sampler=independent_sampler,
            step_min=step_min,
        )
        if global_sampler is not None and not isinstance(global_sampler, BaseSampler):
            raise TypeError(
                f"{self._where}: global_sampler must be a sampler or None, got "
                f"{global_sampler!r} of type {type(global_sampler).__name__}"
            )
        self._global_sampler = global_sampler or TPESampler(
            seed=seed, n_startup_trials=n_startup_trials, multivariate=True
        )

    def reseed_rng(self) -> None:
        super().reseed_rng()
        self._global_sampler.reseed_rng()

    def _independent(self, plan: _Plan) -> BaseSampler:
        return self._global_sampler if plan.kind == "global" else self._independent_sampler

    def _choose(
        self,
        study: Study,
        trial: FrozenTrial,
        space: _Space,
        moves: list[Move],
        by_number: dict[int, FrozenTrial],
        rng: np.random.Generator,
    ) -> _Plan:
        if not any(move.kind == "start" for move in moves):
            return _Plan("start", {"thread": trial.number, "kind": "start"})
        if space.dimension == 0:
            return _Plan("global", {"thread": trial.number, "kind": "global"})
        threads = self._threads(space, moves)
        alive = sorted((t for t in threads.values() if not t.converged), key=lambda t: t.id)
        chosen = _by_priority(alive, [m for m in moves if m.kind == "global"], moves)
        if chosen is not None:
            return self._local_step(chosen, space, by_number, rng)
        return self._global(study, trial, space, alive, moves)

    def _global(
        self,
        study: Study,
        trial: FrozenTrial,
        space: _Space,
        alive: list[Thread],
        moves: list[Move],
    ) -> _Plan:
        """TPE's proposal, its cost params capped near what the search has tried."""
        proposal = self._global_sampler.sample_relative(study, trial, space.relative)
        for name, distribution in space.relative.items():
            if name not in proposal:
                proposal[name] = self._global_sampler.sample_independent(
                    study, trial, name, distribution
                )
        capped = [n for n in space.transform.names if n in self._low_cost]
        if capped:
            step = max((t.step for t in alive), default=initial_step(space.dimension))
            tried = [m.point for m in moves if m.point is not None and m.loss is not None]
            row = space.transform.transform(proposal)
            for name in capped:
                column = space.transform.names.index(name)
                ceiling = max((float(p[column]) for p in tried), default=0.0) + step
                row[column] = min(float(np.clip(row[column], 0.0, 1.0)), ceiling)
            proposal.update(space.transform.untransform(np.clip(row, 0.0, 1.0)))
        return _Plan("global", {"thread": trial.number, "kind": "global"}, proposal)


def _by_priority(
    alive: list[Thread], global_moves: list[Move], moves: list[Move]
) -> Thread | None:
    """The local thread with the lowest projected loss, or None when the global one wins."""
    largest_cost = max((m.cost for m in moves if m.loss is not None), default=0.0)
    finished = [m for m in global_moves if m.loss is not None]
    if len(finished) < 2:
        global_projected = -math.inf
    else:
        first = finished[0].loss
        best = min(m.loss for m in finished if m.loss is not None)
        cost = sum(m.cost for m in finished)
        assert first is not None
        gained = first - best if math.isfinite(first - best) else 0.0
        speed = max(gained, 0.0) / max(cost, 1e-12)
        global_projected = best - speed * largest_cost
    best_thread: Thread | None = None
    best_projected = math.inf
    for thread in alive:
        if thread.n_finished < 2:
            projected = -math.inf
        else:
            projected = thread.best_loss - thread.improvement_speed() * largest_cost
        if best_thread is None or projected < best_projected:
            best_thread, best_projected = thread, projected
    if best_thread is None or global_projected < best_projected:
        return None
    return best_thread
