"""QMCSampler: points of a low-discrepancy (Sobol' or Halton) sequence, one per trial.

A quasi-Monte Carlo sequence fills the unit cube more evenly than independent uniform draws
(its discrepancy falls like ``(log n)^d / n`` rather than ``1 / sqrt(n)``), so a fixed budget
of trials covers the search space with fewer gaps and clumps than random search.
The points come from ``scipy.stats.qmc``, imported on first use.
"""

from __future__ import annotations

import random
import secrets
import threading
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku import logging as tansaku_logging
from tansaku._internal.caches import forget_on_escape
from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.system_attrs import read as read_system_attr
from tansaku._internal.system_attrs import set_study_system_attr
from tansaku._internal.validation import invalid, invalid_type
from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    distribution_to_json,
    json_to_distribution,
)
from tansaku.samplers._base import BaseSampler, IndependentSamplerMixin
from tansaku.samplers._random import RandomSampler, sample_uniform
from tansaku.search_space import _SearchSpaceTransform
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study

_logger = tansaku_logging.get_logger(__name__)

_QMC_TYPES = ("sobol", "halton")
# The study system attr holding the search space, as its first completed trial defined it.
SEARCH_SPACE_KEY = "qmc:search_space"
# Points drawn from the engine at once (a power of two keeps Sobol's balance); drawing 1024
# costs about as much as building the engine (~1.5 ms for Sobol in 10 dimensions), so a trial
# pays ~1.5 us for its point instead of ~1.5 ms for a fresh engine fast-forwarded to it.
_BLOCK = 1024
_MAX_BLOCKS = 8


class QMCSampler(IndependentSamplerMixin):
    """Suggest the points of a quasi-Monte Carlo sequence, which cover a space evenly.

    The search space is the one of the study's first completed trial (the lowest-numbered one
    when the sampler first needs it), without its categorical params; once chosen it is stored in
    the study's system attrs, so every worker and every later run of the study uses the same.
    Until a trial has completed, and for trial 0, every param is drawn by
    ``independent_sampler``; so are categorical params, and params outside the first trial's
    space or whose range changed since (with a logged warning, unless
    ``warn_independent_sampling`` is False). Log-scaled params are spread evenly on the log
    scale, and ints and floats with a step take the grid point nearest to theirs.

    Trial ``n`` takes point ``n - 1`` of the sequence. Workers sharing a study therefore draw
    distinct points with no shared counter: the storage gives each trial a number of its own,
    atomically, on every backend, whereas no backend offers an atomic increment of a system
    attr (a read-then-write counter would hand two workers the same point). A study run by one
    worker uses the sequence from its first point on, so ``2**m`` trials after the first use a
    whole balanced set of Sobol' points; a trial whose params are all fixed (enqueued) still
    takes its number's point, which is then left out.

    Differences from Optuna 5.0, on purpose: the point follows the trial number rather than a
    counter in the study's system attrs, which races between workers; params are mapped in the
    order of their names, so a given seed gives other params than Optuna's; the default
    independent sampler seeds each trial's draws with ``(seed, trial number)``, where Optuna's
    ``RandomSampler(seed=seed)`` makes workers that share the seed (as they must for the
    sequence) draw the same values for their first trials and for every categorical param.

    Args:
        qmc_type: ``"sobol"`` or ``"halton"``. Sobol' points are balanced at ``n = 2**m``
            points: choose a power of two trials (plus the first) when you can.
        scramble: Randomize the sequence (Owen scrambling for Sobol', a permutation for
            Halton); without it the sequence is fixed and its first point is the lower corner.
        seed: Seed of the scrambling and of the default independent sampler, an int >= 0.
            Workers sharing a study must use the same seed, or their points come from
            different sequences. With ``scramble`` and no seed, a random one is chosen.
        independent_sampler: Draws what the sequence does not (see above). The default draws
            uniformly like ``RandomSampler``, from a generator seeded by ``seed`` and the
            trial's number, so that workers sharing a seed do not draw the same values.
        warn_asynchronous_seeding: Log a warning when ``scramble`` is on and no seed is given
            (each worker would then scramble its own way).
        warn_independent_sampling: Log a warning when a param of the study's search space is
            drawn by ``independent_sampler`` because it is new or its range changed.

    Raises:
        ValueError: ``qmc_type`` is neither ``"sobol"`` nor ``"halton"``; ``seed`` is negative.
        TypeError: ``seed`` is not an int; ``independent_sampler`` is not a sampler.
    """

    _where = "QMCSampler"

    def __init__(
        self,
        *,
        qmc_type: str = "sobol",
        scramble: bool = False,
        seed: int | None = None,
        independent_sampler: BaseSampler | None = None,
        warn_asynchronous_seeding: bool = True,
        warn_independent_sampling: bool = True,
    ) -> None:
        warn_experimental("QMCSampler")
        if qmc_type not in _QMC_TYPES:
            raise invalid("QMCSampler", "qmc_type", qmc_type, "must be 'sobol' or 'halton'")
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, Integral):
                raise invalid_type("QMCSampler", "seed", seed, "an int or None")
            if seed < 0:
                raise invalid("QMCSampler", "seed", seed, "must be >= 0")
            seed = int(seed)
        if independent_sampler is not None and not isinstance(independent_sampler, BaseSampler):
            raise invalid_type(
                "QMCSampler", "independent_sampler", independent_sampler, "a sampler or None"
            )
        self._qmc_type = qmc_type
        self._scramble = bool(scramble)
        # The seed of the scrambling: one drawn here when none is given (Sobol' and Halton
        # ignore it unscrambled).
        self._qmc_seed: int | None = seed
        if self._scramble and seed is None:
            if warn_asynchronous_seeding:
                _logger.warning(
                    "QMCSampler(scramble=True) has no seed, so it scrambles with a random one; "
                    "workers sharing a study must pass the same seed, or their points come "
                    "from different sequences."
                )
            self._qmc_seed = secrets.randbits(32)
        self._seed = seed
        self._independent_sampler = independent_sampler or _NumberSeededRandomSampler(seed)
        self._warn_independent_sampling = warn_independent_sampling
        self._lock = threading.Lock()
        self._spaces: dict[tuple[int, int], _FirstTrialSpace] = {}
        self._points = _PointBlocks(qmc_type, self._scramble, self._qmc_seed)

    # -- pickling (for process pools): the caches are rebuilt ----------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        state["_spaces"] = {}
        state["_points"] = _PointBlocks(self._qmc_type, self._scramble, self._qmc_seed)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def reseed_rng(self) -> None:
        """Reseed the independent sampler. The sequence keeps its seed: workers share it."""
        self._independent_sampler.reseed_rng()

    # -- BaseSampler ----------------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if trial.number == 0:
            return {}
        with self._lock:
            return dict(self._space(study).relative)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space or trial.number == 0:
            return {}
        with self._lock:
            space = self._space(study)
            transform = space.transform_for(search_space)
            unit = self._points.point(trial.number - 1, transform.n_columns)
        return transform.untransform(unit)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if (
            self._warn_independent_sampling
            and trial.number > 0
            and self._warns_sampled_independently()
        ):
            with self._lock:
                first = self._space(study).first
            if first is not None and not isinstance(param_distribution, CategoricalDistribution):
                self._warn_sampled_independently(
                    trial,
                    param_name,
                    "it is not in the search space of the study's first completed trial"
                    if param_name not in first
                    else "it changed its range since the study's first completed trial",
                )
        return self._independent_sampler.sample_independent(
            study, trial, param_name, param_distribution
        )

    # -- state ----------------------------------------------------------------------------------
    def _space(self, study: Study) -> _FirstTrialSpace:
        """The search space of ``study`` (called under ``self._lock``)."""
        key = (id(study._storage), study._study_id)
        space = self._spaces.get(key)
        if space is None:
            space = self._spaces[key] = _FirstTrialSpace()
        # A space half settled (``first`` known, ``relative`` not) would stay so: dropped.
        with forget_on_escape(self._spaces.pop, key, None):
            space.settle(study)
        return space


class _NumberSeededRandomSampler(RandomSampler):
    """RandomSampler whose draws in a trial depend only on the seed, the trial number and the
    param name: reproducible, yet different in every trial of workers that share the seed."""

    # Its name in the warning that a param is sampled independently.
    _shown_as = "the default RandomSampler"

    def __init__(self, seed: int | None) -> None:
        super().__init__(seed)
        self._salt = secrets.randbits(64) if seed is None else seed

    def reseed_rng(self) -> None:
        self._salt = secrets.randbits(64)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        # A str seed goes through SHA-512, the same in every process (hash() is salted).
        rng = random.Random(f"{self._salt}:{trial.number}:{param_name}")
        return sample_uniform(rng, param_distribution)


class _FirstTrialSpace:
    """The search space of one study as its first completed trial defined it.

    Read from the study's system attrs, where the first worker that needed it stored it, or
    else taken from the lowest-numbered completed trial and stored there. Two workers that both
    find none stored at the same moment each take the lowest-numbered completed trial they
    see, which is the same one unless a lower-numbered trial completed in between.
    """

    def __init__(self) -> None:
        self.first: dict[str, BaseDistribution] | None = None
        self.relative: dict[str, BaseDistribution] = {}
        self._transform: _SearchSpaceTransform | None = None

    def settle(self, study: Study) -> None:
        """Find the space if it is not known yet (a no-op afterwards)."""
        if self.first is not None:
            return
        stored = read_system_attr(
            study._storage.get_study_system_attrs(study._study_id), SEARCH_SPACE_KEY
        )
        if isinstance(stored, dict):
            first = {name: json_to_distribution(text) for name, text in stored.items()}
        else:
            completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if not completed:
                return
            first = dict(completed[0].distributions)
            encoded = {name: distribution_to_json(d) for name, d in first.items()}
            set_study_system_attr(study, SEARCH_SPACE_KEY, encoded)
        self.first = first
        self.relative = {
            name: d
            for name, d in sorted(first.items())
            if not isinstance(d, CategoricalDistribution) and not d.single()
        }
        self._transform = _SearchSpaceTransform(self.relative, transform_0_1=True)

    def transform_for(self, search_space: dict[str, BaseDistribution]) -> _SearchSpaceTransform:
        """The unit-cube transform of ``search_space`` (the space's own, usually)."""
        if self._transform is not None and search_space == self.relative:
            return self._transform
        return _SearchSpaceTransform(search_space, transform_0_1=True)


class _PointBlocks:
    """Points of one sequence (type, scrambling, seed), drawn a block at a time and kept.

    Point ``i`` in ``d`` dimensions is row ``i % _BLOCK`` of block ``i // _BLOCK``: an engine
    built fresh, fast-forwarded to the block's start and drawn ``_BLOCK`` points, so a point
    depends only on ``(i, d)`` and the sequence, not on which points were drawn before.
    """

    def __init__(self, qmc_type: str, scramble: bool, seed: int | None) -> None:
        self._qmc_type = qmc_type
        self._scramble = scramble
        self._seed = seed
        self._blocks: dict[tuple[int, int], np.ndarray] = {}

    def point(self, index: int, dimension: int) -> np.ndarray:
        """Point ``index`` (from 0) of the sequence in ``dimension`` dimensions, in [0, 1)."""
        block_number, row = divmod(index, _BLOCK)
        key = (dimension, block_number)
        block = self._blocks.get(key)
        if block is None:
            if len(self._blocks) >= _MAX_BLOCKS:
                self._blocks.pop(next(iter(self._blocks)))
            block = self._blocks[key] = self._draw(block_number * _BLOCK, dimension)
        return block[row]

    def _draw(self, start: int, dimension: int) -> np.ndarray:
        from scipy.stats import qmc  # scipy loads in ~0.3 s: only when a point is needed

        engine_type = qmc.Sobol if self._qmc_type == "sobol" else qmc.Halton
        engine = engine_type(d=dimension, scramble=self._scramble, seed=self._seed)
        if start:
            engine.fast_forward(start)
        return engine.random(_BLOCK)  # (_BLOCK, dimension)
