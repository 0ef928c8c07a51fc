"""CFOSampler and BlendSearchSampler: cost-frugal search that starts cheap and moves locally.

The names are those of the two methods in their papers (and in FLAML, where users meet them):
CFO is the local search alone, restarted when it converges; BlendSearch adds a global searcher
(TPE) whose points start new local threads. They share everything but the choice of the next
move, so BlendSearchSampler is CFOSampler with that choice overridden.
"""

from __future__ import annotations

import math
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.system_attrs import set_trial_system_attr
from tansaku._internal.validation import invalid, invalid_type
from tansaku.distributions import BaseDistribution, CategoricalDistribution
from tansaku.samplers._base import BaseSampler, IndependentSamplerMixin
from tansaku.samplers._cfo._moves import TAG_KEY, read_move, unit_direction
from tansaku.samplers._cfo._threads import Move, Thread, replay
from tansaku.samplers._qmc import _NumberSeededRandomSampler
from tansaku.search_space import IntersectionSearchSpace, _SearchSpaceTransform
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study

# Plans kept for trials being sampled (one per running trial of this process), dropped whole
# past this many (they are rebuilt from the study's trials when missing).
_MAX_PLANS = 1024
# Spread of a restart around the low-cost point, in unit-cube coordinates.
_RESTART_SIGMA = 0.1


@dataclass
class _Plan:
    """What one trial is to the search: its tag and the params it samples relatively."""

    kind: str
    tag: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Space:
    """The relative search space of a trial and its unit-cube transform (numerical params)."""

    relative: dict[str, BaseDistribution]
    numeric: dict[str, BaseDistribution]
    categorical: dict[str, CategoricalDistribution]
    transform: _SearchSpaceTransform

    @property
    def dimension(self) -> int:
        return self.transform.n_columns


class CFOSampler(IndependentSamplerMixin):
    """Cost-frugal search: start at a low-cost point, move by randomized direct search.

    For objectives whose cost grows with some params (trees, layers, epochs), CFO (Wu, Wang
    and Huang, AAAI 2021) starts where training is cheap and lets the loss pull the search
    towards costlier configurations only as far as they pay. Trial 0 takes the values of
    ``low_cost_partial_config`` (the other params from the independent sampler). From then
    on a *thread* holds an incumbent ``x`` and a step ``s`` in the unit cube of the study's
    search space (log-scaled params on the log scale, ints on their grid): each iteration
    draws a direction ``u`` uniformly on the unit sphere and tries ``x + s*u``; if that is not
    better it tries ``x - s*u``. A better point becomes the incumbent. After
    ``min(2**(d-1), 2d)`` failed iterations in a row the step halves, and once it is below
    ``step_min`` the thread has converged and a new one restarts near the low-cost point (its
    cost params a little above their low-cost values, the others uniformly at random).

    The search space is the intersection search space (``tansaku.search_space``) of the
    study's completed trials; params outside it (conditional ones, new ones) and everything
    before the first trial completes come from ``independent_sampler``. Categorical params
    are resampled rather than embedded: a local step keeps the incumbent's choices, except
    that a plus step redraws each categorical uniformly with probability ``1 / n_params``.

    The per-trial cost (a user attr named by ``cost_attr``, else the trial's duration) does
    not steer CFO's own steps, which the paper keeps cheap by starting low and moving by
    bounded steps; BlendSearchSampler uses it to choose between its threads.

    Nothing is kept between trials but caches: every trial the search plans carries a JSON
    tag in its system attrs (thread, kind, incumbent, direction, step), and the threads are
    rebuilt from the tagged trials in trial-number order. Several workers on one storage, and
    a study resumed later, therefore continue the same search; a seed fixes every draw, which
    depends on the seed and the trial number only. With several workers a trial's outcome
    is folded in by its number rather than by when it finished, and two workers may both
    step from the same incumbent: the search stays valid, if less sequential than the paper's.

    Args:
        low_cost_partial_config: Param name to its low-cost value, for the params whose cost
            grows with their value (e.g. ``{"n_estimators": 4, "max_leaves": 4}``). Each value
            must lie in its param's distribution; each name must be a param of the study.
        cost_attr: The user attr holding each trial's cost (set by the objective with
            ``trial.set_user_attr``); None uses the trial's duration. Deterministic costs
            (e.g. the number of trees times leaves) make runs reproducible.
        seed: Seed of every draw, an int >= 0; None draws one.
        independent_sampler: Samples the params outside the search space; by default uniform
            draws seeded by ``seed`` and the trial number.
        step_min: The step below which a thread has converged, in unit-cube coordinates.
            None: half the finest grid spacing when every param is on a grid, else
            ``1e-3 * sqrt(d)``.

    Raises:
        TypeError: ``low_cost_partial_config`` is not a dict with str keys; ``seed`` or
            ``cost_attr`` has the wrong type; ``independent_sampler`` is not a sampler.
        ValueError: ``seed`` or ``step_min`` is negative. A low-cost value outside its
            param's distribution raises at the ``suggest`` of that param; a low-cost name
            that no finished trial has raises at the first ``suggest`` after a trial completed.
    """

    _where = "CFOSampler"

    def __init__(
        self,
        *,
        low_cost_partial_config: Mapping[str, Any] | None = None,
        cost_attr: str | None = None,
        seed: int | None = None,
        independent_sampler: BaseSampler | None = None,
        step_min: float | None = None,
    ) -> None:
        where = self._where
        config = {} if low_cost_partial_config is None else low_cost_partial_config
        if not isinstance(config, Mapping) or not all(isinstance(k, str) for k in config):
            raise invalid_type(
                where, "low_cost_partial_config", config, "a dict from param name to value"
            )
        if cost_attr is not None and not isinstance(cost_attr, str):
            raise invalid_type(where, "cost_attr", cost_attr, "a str or None")
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, Integral):
                raise invalid_type(where, "seed", seed, "an int or None")
            if seed < 0:
                raise invalid(where, "seed", seed, "must be >= 0")
        if independent_sampler is not None and not isinstance(independent_sampler, BaseSampler):
            raise invalid_type(where, "independent_sampler", independent_sampler, "a sampler")
        if step_min is not None and not (step_min > 0 and math.isfinite(step_min)):
            raise invalid(where, "step_min", step_min, "must be a finite number > 0")
        self._low_cost = dict(config)
        self._cost_attr = cost_attr
        self._seed = None if seed is None else int(seed)
        self._salt = secrets.randbits(63) if seed is None else int(seed)
        self._independent_sampler = independent_sampler or _NumberSeededRandomSampler(seed)
        self._step_min = step_min
        self._lock = threading.RLock()
        self._spaces: dict[tuple[int, int], IntersectionSearchSpace] = {}
        self._plans: dict[tuple[int, int, int], _Plan] = {}

    # -- pickling (for process pools): the caches are rebuilt ----------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        state["_spaces"] = {}
        state["_plans"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def reseed_rng(self) -> None:
        self._salt = secrets.randbits(63)
        self._independent_sampler.reseed_rng()

    # -- BaseSampler ----------------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        self._raise_error_if_multi_objective(study)
        with self._lock:
            return dict(self._space(study).relative)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        with self._lock:
            plan = self._plan(study, trial)
            return {k: v for k, v in plan.params.items() if k in search_space}

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        self._raise_error_if_multi_objective(study)
        with self._lock:
            plan = self._plan(study, trial)
        if plan.kind == "start" and param_name in self._low_cost:
            return self._low_cost_value(param_name, param_distribution)
        return self._independent(plan).sample_independent(
            study, trial, param_name, param_distribution
        )

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        with self._lock:
            self._plans.pop((id(study._storage), study._study_id, trial.number), None)
        super().after_trial(study, trial, state, values)

    # -- planning -------------------------------------------------------------------------------
    def _independent(self, plan: _Plan) -> BaseSampler:
        """The sampler of the params the plan does not give."""
        return self._independent_sampler

    def _space(self, study: Study) -> _Space:
        key = (id(study._storage), study._study_id)
        folded = self._spaces.get(key)
        if folded is None:
            folded = self._spaces[key] = IntersectionSearchSpace()
        relative = {n: d for n, d in folded.calculate(study).items() if not d.single()}
        numeric = {n: d for n, d in relative.items() if not isinstance(d, CategoricalDistribution)}
        categorical = {n: d for n, d in relative.items() if isinstance(d, CategoricalDistribution)}
        transform = _SearchSpaceTransform(numeric, transform_0_1=True)
        return _Space(relative, numeric, categorical, transform)

    def _plan(self, study: Study, trial: FrozenTrial) -> _Plan:
        """The plan of ``trial``, made (and its tag stored) on the first call for it."""
        key = (id(study._storage), study._study_id, trial.number)
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        space = self._space(study)
        trials = [t for t in study.get_trials(deepcopy=False) if t.number != trial.number]
        self._check_low_cost_names(trials)
        moves = [
            read_move(
                t,
                t.system_attrs[TAG_KEY],
                space.transform,
                study.direction,
                self._cost_attr,
                self._where,
            )
            for t in trials
            if isinstance(t.system_attrs.get(TAG_KEY), dict)
        ]
        rng = np.random.default_rng([self._salt, trial.number])
        plan = self._choose(study, trial, space, moves, {t.number: t for t in trials}, rng)
        if plan.tag is not None and trial.state == TrialState.RUNNING:
            set_trial_system_attr(study, trial._trial_id, TAG_KEY, plan.tag)
        if len(self._plans) >= _MAX_PLANS:
            self._plans.clear()
        self._plans[key] = plan
        return plan

    def _choose(
        self,
        study: Study,
        trial: FrozenTrial,
        space: _Space,
        moves: list[Move],
        by_number: dict[int, FrozenTrial],
        rng: np.random.Generator,
    ) -> _Plan:
        """CFO's next move: the latest live thread's step, else a (re)start."""
        if not any(move.kind == "start" for move in moves):
            return _Plan("start", {"thread": trial.number, "kind": "start"})
        if space.dimension == 0:
            return _Plan("independent")
        threads = self._threads(space, moves)
        alive = [t for t in threads.values() if not t.converged]
        if alive:
            return self._local_step(max(alive, key=lambda t: t.id), space, by_number, rng)
        if any(m.kind in ("start", "restart") and m.loss is None for m in moves):
            return _Plan("independent")  # a (re)start is running: let it finish first
        return self._restart(trial, space, rng)

    def _threads(self, space: _Space, moves: list[Move]) -> dict[int, Thread]:
        # Restarts are starts too, to the fold.
        as_starts = [replace(m, kind="start") if m.kind == "restart" else m for m in moves]
        return replay(as_starts, space.dimension, self._resolved_step_min(space))

    def _resolved_step_min(self, space: _Space) -> float:
        if self._step_min is not None:
            return self._step_min
        spacings = [_grid_spacing(d) for d in space.numeric.values()]
        if spacings and all(s is not None for s in spacings):
            return 0.5 * min(s for s in spacings if s is not None)
        return 1e-3 * math.sqrt(space.dimension)

    def _local_step(
        self,
        thread: Thread,
        space: _Space,
        by_number: dict[int, FrozenTrial],
        rng: np.random.Generator,
    ) -> _Plan:
        """The plus or minus side of an iteration of ``thread``."""
        due = thread.due_minus
        if due is not None and due.direction is not None and due.step is not None:
            direction = np.asarray(due.direction)
            point = thread.incumbent - due.step * direction
            tag = {
                "thread": thread.id,
                "kind": "minus",
                "origin": thread.incumbent_number,
                "pair": due.number,
                "step": due.step,
            }
            resample = False
        else:
            direction = unit_direction(rng, space.dimension)
            point = thread.incumbent + thread.step * direction
            tag = {
                "thread": thread.id,
                "kind": "plus",
                "origin": thread.incumbent_number,
                "direction": [float(v) for v in direction],
                "step": thread.step,
            }
            resample = True
        params = space.transform.untransform(np.clip(point, 0.0, 1.0))
        incumbent = by_number.get(thread.incumbent_number)
        for name, distribution in space.categorical.items():
            kept = None if incumbent is None else incumbent.params.get(name)
            redraw = resample and rng.random() < 1.0 / len(space.relative)
            if kept is None or redraw or kept not in distribution.choices:
                kept = distribution.choices[int(rng.integers(len(distribution.choices)))]
            params[name] = kept
        return _Plan(str(tag["kind"]), tag, params)

    def _restart(self, trial: FrozenTrial, space: _Space, rng: np.random.Generator) -> _Plan:
        """A new thread near the low-cost point: cost params a little above their low-cost
        values, the others uniformly at random."""
        point = rng.random(space.dimension)
        names = space.transform.names
        for column, name in enumerate(names):
            if name in self._low_cost:
                anchor = self._low_cost_coordinate(name, space.numeric[name])
                point[column] = anchor + abs(rng.normal(0.0, _RESTART_SIGMA))
        params = space.transform.untransform(np.clip(point, 0.0, 1.0))
        for name, distribution in space.categorical.items():
            if name in self._low_cost:
                params[name] = self._low_cost_value(name, distribution)
            else:
                params[name] = distribution.choices[int(rng.integers(len(distribution.choices)))]
        return _Plan("restart", {"thread": trial.number, "kind": "restart"}, params)

    # -- the low-cost point ---------------------------------------------------------------------
    def _low_cost_value(self, name: str, distribution: BaseDistribution) -> Any:
        value = self._low_cost[name]
        try:
            inside = distribution._contains(distribution.to_internal_repr(value))
        except (TypeError, ValueError):
            inside = False
        if not inside:
            raise invalid(
                self._where,
                f"low_cost_partial_config[{name!r}]",
                value,
                f"must lie in the distribution of param {name!r}, {distribution}",
            )
        return value

    def _low_cost_coordinate(self, name: str, distribution: BaseDistribution) -> float:
        value = self._low_cost_value(name, distribution)
        single = _SearchSpaceTransform({name: distribution}, transform_0_1=True)
        return float(single.transform({name: value})[0])

    def _check_low_cost_names(self, trials: Sequence[FrozenTrial]) -> None:
        finished = [t for t in trials if t.state == TrialState.COMPLETE]
        if not finished or not self._low_cost:
            return
        known = {name for t in trials for name in t.distributions}
        unknown = sorted(set(self._low_cost) - known)
        if unknown:
            raise invalid(
                self._where,
                "low_cost_partial_config",
                self._low_cost,
                f"names {unknown}, which no trial of the study has suggested "
                f"(its params: {sorted(known)})",
            )


def _grid_spacing(distribution: BaseDistribution) -> float | None:
    """The distance between neighbouring grid points in the unit cube, None off a grid."""
    single = _SearchSpaceTransform({"x": distribution}, transform_0_1=True)
    low = getattr(distribution, "low", None)
    step = getattr(distribution, "step", None)
    if low is None or step is None:
        return None
    high = distribution.high  # type: ignore[attr-defined]
    # On a log scale the finest spacing is at the top of the range.
    below = max(high - step, low) if getattr(distribution, "log", False) else low
    gap = single.transform({"x": min(below + step, high)})[0] - single.transform({"x": below})[0]
    return float(gap) if gap > 0 else None
