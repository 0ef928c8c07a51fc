"""One study's CMA-ES run as a worker holds it: the current generation in memory, kept in step
with the state stored in the study's system attrs (see ``_codec`` and ``_generations``)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku import logging as tansaku_logging
from tansaku._internal.study_direction import StudyDirection
from tansaku._internal.system_attrs import set_study_system_attr, set_trial_system_attr
from tansaku._internal.validation import invalid
from tansaku.distributions import BaseDistribution
from tansaku.samplers._cmaes import _codec, _restarts
from tansaku.samplers._cmaes._codec import TRIAL_KEY, Run
from tansaku.samplers._cmaes._core import CmaState, Constants, Draws, Eigen, proposal
from tansaku.samplers._cmaes._generations import Ledger, Tagged, usable_value
from tansaku.samplers._cmaes._lr_adapt import LrState, adapt
from tansaku.samplers._cmaes._margin import apply_margin, margin_alpha
from tansaku.samplers._cmaes._restarts import RestartState
from tansaku.samplers._cmaes._space import UnitBox, user_sigma
from tansaku.samplers._cmaes._warm_start import warm_start
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study

_logger = tansaku_logging.get_logger(__name__)
_DEFAULT_SIGMA = 1 / 6  # of each param's range (the box's width)


@dataclass(frozen=True)
class RunSettings:
    """The sampler's arguments that shape a run."""

    x0: dict[str, Any] | None
    sigma0: float | None
    popsize: int | None
    inc_popsize: int
    restart_strategy: str | None
    separable: bool
    margin: bool
    lr_adapt: bool
    source_trials: tuple[FrozenTrial, ...] | None
    consider_pruned: bool


def default_popsize(n: int) -> int:
    """4 + floor(3 ln n) (eq. 48)."""
    return 4 + int(3 * np.log(n))


class StudyRun:
    """The run of one study in this worker: the ledger of its trials and its current state."""

    def __init__(self, settings: RunSettings) -> None:
        self._settings = settings
        self._ledger = Ledger(settings.consider_pruned)
        self._boxes: dict[tuple[tuple[str, BaseDistribution], ...], UnitBox] = {}
        self._run: Run | None = None
        self._eigen: Eigen | None = None
        self._draws: Draws | None = None
        self._last_space: Mapping[str, BaseDistribution] | None = None
        self._last_box: UnitBox | None = None
        self._constants: dict[tuple[int, int], Constants] = {}
        self._maximize = False
        self._folded_for: int | None = None  # the id of the trial the history was read for

    @property
    def n_usable(self) -> int:
        """Finished trials that count towards ``n_startup_trials``."""
        return self._ledger.n_usable

    def fold(self, study: Study, trial: FrozenTrial) -> Mapping[str, BaseDistribution] | None:
        """Take in the trials that finished since the last call, once per ``trial`` sampled.

        The relative search space and the sample of a trial are so made from one look at the
        history (as TPE does): a trial that finishes in between counts from the next trial on.

        Returns:
            The intersection search space of the finished trials (the same object while no
            trial changed it), or None before any trial completed.
        """
        if trial._trial_id != self._folded_for:
            self._folded_for = trial._trial_id
            self._maximize = study.direction == StudyDirection.MAXIMIZE
            self._ledger.advance(study)
        return self._ledger.space

    def sample(
        self,
        study: Study,
        trial: FrozenTrial,
        search_space: Mapping[str, BaseDistribution],
        rng: random.Random,
    ) -> dict[str, Any]:
        """Draw ``trial``'s params from the current generation, tagging the trial with it."""
        box = self._box(search_space)
        run = self._catch_up(study, trial, box)
        assert self._draws is not None
        x = self._draws.draw(rng)
        tag = _codec.trial_tag(run.generation, x)
        set_trial_system_attr(study, trial._trial_id, TRIAL_KEY, tag)
        self._ledger.drawn(trial.number, tag, run.generation, x.tolist())
        return box.decode(x)

    # -- keeping in step with the stored run ----------------------------------------------------
    def _box(self, search_space: Mapping[str, BaseDistribution]) -> UnitBox:
        if search_space is self._last_space and self._last_box is not None:
            return self._last_box  # the sampler hands out one dict while the space holds
        key = tuple(sorted(search_space.items()))
        box = self._boxes.get(key)
        if box is None:
            if len(self._boxes) >= 8:
                self._boxes.clear()
            box = self._boxes[key] = UnitBox(search_space)
        self._last_space, self._last_box = search_space, box
        return box

    def _catch_up(self, study: Study, trial: FrozenTrial, box: UnitBox) -> Run:
        run = self._run
        if run is None or self._ledger.max_generation > run.generation:
            # Another worker has moved the run (or this worker has just joined the study).
            stored = _codec.latest(study._storage.get_study_system_attrs(study._study_id))
            if stored is not None and (run is None or stored.generation > run.generation):
                run = self._adopt(stored)
        if run is None or run.space != box.signature:
            first = self._initial(box, 0 if run is None else run.generation + 1)
            run = self._adopt(first)
            self._store(study, run)
        while True:
            closing = self._ledger.closing(
                run.generation, run.popsize, trial.number, lambda t: _fits(t, box)
            )
            if closing is None:
                return run
            run = self._adopt(self._next(run, box, closing))
            self._store(study, run)
            self._ledger.forget_before(run.generation)

    def _adopt(self, run: Run) -> Run:
        self._run = run
        self._eigen = Eigen(run.cma.cov)
        self._draws = Draws(run.cma, self._eigen)
        return run

    def _store(self, study: Study, run: Run) -> None:
        stored = _codec.encode(run)
        set_study_system_attr(study, _codec.state_key(run.generation), stored)

    # -- the runs themselves --------------------------------------------------------------------
    def _consts(self, n: int, popsize: int) -> Constants:
        key = (n, popsize)
        consts = self._constants.get(key)
        if consts is None:
            consts = self._constants[key] = Constants.of(n, popsize, self._settings.separable)
        return consts

    def _initial(self, box: UnitBox, generation: int) -> Run:
        settings = self._settings
        popsize = settings.popsize or default_popsize(box.n)
        cma = self._initial_state(box, _initial_mean(box, settings.x0), 1.0, popsize)
        return Run(
            generation=generation,
            space=box.signature,
            popsize=popsize,
            cma=cma,
            restart=RestartState(),
            lr=LrState.initial(box.n) if settings.lr_adapt else None,
        )

    def _initial_state(
        self, box: UnitBox, mean: np.ndarray, sigma_factor: float, popsize: int
    ) -> CmaState:
        settings = self._settings
        cov = None
        sigma = _DEFAULT_SIGMA
        if settings.sigma0 is not None:
            sigma, cov = user_sigma(box, settings.sigma0)
        elif settings.source_trials is not None:
            started = warm_start(box, settings.source_trials, maximize=self._maximize)
            if started is not None:
                mean, sigma, cov = started
                cov = (cov + cov.T) / 2
        if settings.separable and cov is not None:
            cov = np.diag(cov).copy()
        elif settings.separable:
            cov = np.ones(box.n)
        cma = CmaState.initial(mean, sigma * sigma_factor, cov)
        if settings.margin:
            cma = apply_margin(cma, box, margin_alpha(box.n, popsize))
        return cma

    def _next(self, run: Run, box: UnitBox, tagged: list[Tagged]) -> Run:
        """The run after the generation of ``tagged`` closes: a pure function of its inputs."""
        settings = self._settings
        closing = [entry.trial for entry in tagged]
        x = np.array([entry.x for entry in tagged])  # (popsize, n)
        names = itemgetter(*box.names)  # a tuple from each trial's params, in C
        params = np.array([names(t.params) for t in closing], dtype=float).reshape(x.shape)
        # A trial whose params differ from its point (fixed or enqueued params) counts where
        # its params are.
        moved = box.values(x) != params
        if moved.any():
            x = np.where(moved, np.array([box.encode(t.params) for t in closing]), x)
        values = np.array([usable_value(t, settings.consider_pruned) for t in closing])
        values = -values if self._maximize else values  # CMA-ES minimizes
        order = np.argsort(values, kind="stable")  # ties: the lower trial number first
        ranked, ranked_values = x[order], values[order]

        assert self._eigen is not None
        consts = self._consts(box.n, run.popsize)
        cma, _ = proposal(run.cma, self._eigen, consts, ranked)
        lr = run.lr
        if lr is not None:
            cma, lr = adapt(run.cma, self._eigen, cma, lr)
        if settings.margin:
            cma = apply_margin(cma, box, margin_alpha(box.n, run.popsize))
        restart = _restarts.record(run.restart, ranked_values, box.n)
        popsize = run.popsize
        reason = None
        finite = np.isfinite(cma.cov).all() and np.isfinite(cma.mean).all() and cma.sigma > 0
        if not finite:
            reason = "the distribution degenerated"
        elif settings.restart_strategy is not None:
            same_params = bool((box.values(ranked) == box.values(ranked[:1])).all())
            reason = _restarts.stagnation(
                cma, Eigen(cma.cov), consts, ranked_values, restart, same_params
            )
        if reason is not None:
            rng = _restarts.restart_rng(run.generation, ranked_values)
            factor = 1.0
            if settings.restart_strategy is not None:
                restart, popsize, factor = _restarts.next_run(
                    settings.restart_strategy,
                    restart,
                    settings.popsize or default_popsize(box.n),
                    settings.inc_popsize,
                    rng,
                )
            else:
                restart = RestartState()
            _logger.info(
                f"CMA-ES restarts after generation {run.generation} ({reason}) with "
                f"popsize {popsize}."
            )
            mean = rng.random(box.n)
            cma = self._initial_state(box, mean, factor, popsize)
            lr = LrState.initial(box.n) if settings.lr_adapt else None
        # Every array here is exactly as it reads back from storage (floats are stored by
        # their exact bits, C is symmetric to the bit), so all workers continue from equal bits.
        return Run(run.generation + 1, run.space, popsize, cma, restart, lr)


def _fits(tagged: Tagged, box: UnitBox) -> bool:
    params = tagged.trial.params
    return len(tagged.x) == box.n and all(name in params for name in box.names)


def _initial_mean(box: UnitBox, x0: Mapping[str, Any] | None) -> np.ndarray:
    """The centre of the box, or ``x0`` (checked against the space) where it is given."""
    mean = np.full(box.n, 0.5)
    if x0 is None:
        return mean
    unknown = sorted(set(x0) - set(box.names))
    if unknown:
        raise invalid(
            "CmaEsSampler",
            "x0",
            x0,
            f"must name only float and int params of the search space {box.names}; "
            f"{unknown} are not among them",
        )
    for i, (name, dist) in enumerate(zip(box.names, box.distributions)):
        if name not in x0:
            continue
        low, high = dist.low, dist.high  # type: ignore[attr-defined]
        if not low <= x0[name] <= high:
            raise invalid(
                "CmaEsSampler", f"x0[{name!r}]", x0[name], f"must lie in [{low}, {high}]"
            )
        mean[i] = box.encode({**dict(zip(box.names, box.values(mean))), name: x0[name]})[i]
    return mean
