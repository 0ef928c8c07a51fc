"""PBTSampler: chooses each segment's member, checkpoint and hyperparameters."""

from __future__ import annotations

import random
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tansaku._internal import system_attrs
from tansaku._internal.validation import invalid, invalid_type
from tansaku.pbt._explore import as_distribution
from tansaku.pbt._plan import (
    CONTINUE,
    EXPLOIT,
    SEGMENT_KEY,
    Config,
    Record,
    Segment,
    plan_segment,
)
from tansaku.samplers import BaseSampler, RandomSampler
from tansaku.samplers._base import IndependentSamplerMixin
from tansaku.trial import TrialState

if TYPE_CHECKING:
    from tansaku.distributions import BaseDistribution
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

_WHERE = "PBTSampler()"
_LIVE = (TrialState.RUNNING, TrialState.WAITING, TrialState.COMPLETE)


class PBTSampler(IndependentSamplerMixin):
    """Population-based training: each trial trains one segment of a population member.

    Example:
        >>> store = tansaku.artifacts.FileSystemArtifactStore("./checkpoints")
        >>> sampler = tansaku.pbt.PBTSampler(
        ...     population_size=8,
        ...     perturbation_interval=4,
        ...     hyperparam_mutations={"lr": FloatDistribution(1e-4, 1.0, log=True)},
        ... )
        >>> def objective(trial):
        ...     lr = trial.suggest_float("lr", 1e-4, 1, log=True)
        ...     model = tansaku.pbt.load_parent_checkpoint(trial, store) or new_model()
        ...     for step in tansaku.pbt.segment(trial).steps:
        ...         score = train_one_epoch(model, lr)
        ...         trial.report(score, step)
        ...     tansaku.pbt.save_checkpoint(trial, model, store)
        ...     return score
        >>> study = tansaku.create_study(direction="maximize", sampler=sampler)
        >>> study.optimize(objective, n_trials=80, n_jobs=2)

    When a trial starts, the sampler reads the segments of the study (system attr
    ``"pbt:segment"`` of each trial) and records the new trial's segment: which member it
    trains, its generation, the trial whose checkpoint it starts from (the lineage), the steps
    to train and the params. While fewer than ``population_size`` members exist a new member
    starts with params from ``base_sampler``. Otherwise the oldest free member goes on; once
    its checkpoint has trained ``burn_in_period`` steps, if its last value is in the lower
    ``quantile_fraction`` of the members' last values it exploits a random member of the upper
    quantile (that member's checkpoint and params) and explores those params (each name of
    ``hyperparam_mutations`` is resampled with ``resample_probability``, else multiplied by one
    of ``perturbation_factors``, or moved to a neighbouring choice). Params not in
    ``hyperparam_mutations`` are kept. If every member is busy (more workers than free
    members), the trial starts a new member branched from the upper quantile, so no worker waits.

    Workers (threads, processes, machines) share nothing but the storage: two trials that pick
    the same member at once both see each other's claim when they read it back, and both pick
    again, so a member's segment is never trained twice.

    Args:
        population_size: Members trained side by side; at least 2.
        perturbation_interval: Steps each segment trains (``segment(trial).steps``).
        hyperparam_mutations: Params to explore, by name: a distribution, or a list of choices.
            None explores every param with the distribution it was suggested with.
        quantile_fraction: Fraction of the members in each of the lower and upper quantiles,
            in [0, 0.5].
        resample_probability: Chance that an explored param is drawn anew rather than
            perturbed, in [0, 1].
        perturbation_factors: Factors a perturbed number is multiplied by, one drawn at a time.
        burn_in_period: Steps a checkpoint trains before its member may exploit.
        base_sampler: Draws the params of new members; a ``RandomSampler`` by default.
        seed: Seeds the sampler's decisions (and the default base sampler).
    """

    def __init__(
        self,
        population_size: int = 8,
        perturbation_interval: int = 1,
        hyperparam_mutations: Mapping[str, BaseDistribution | Sequence[Any]] | None = None,
        quantile_fraction: float = 0.25,
        resample_probability: float = 0.25,
        perturbation_factors: Sequence[float] = (0.8, 1.2),
        burn_in_period: int = 0,
        base_sampler: BaseSampler | None = None,
        seed: int | None = None,
    ) -> None:
        _check_int("population_size", population_size, 2)
        _check_int("perturbation_interval", perturbation_interval, 1)
        _check_int("burn_in_period", burn_in_period, 0)
        _check_fraction("quantile_fraction", quantile_fraction, 0.5)
        _check_fraction("resample_probability", resample_probability, 1.0)
        factors = _check_factors(perturbation_factors)
        mutations = None
        if hyperparam_mutations is not None:
            if not isinstance(hyperparam_mutations, Mapping):
                raise invalid_type(
                    _WHERE, "hyperparam_mutations", hyperparam_mutations, "a mapping or None"
                )
            mutations = {
                name: as_distribution(_WHERE, name, spec)
                for name, spec in hyperparam_mutations.items()
            }
        if base_sampler is not None and not isinstance(base_sampler, BaseSampler):
            raise invalid_type(_WHERE, "base_sampler", base_sampler, "a BaseSampler or None")
        self._config = Config(
            population_size=population_size,
            perturbation_interval=perturbation_interval,
            burn_in_period=burn_in_period,
            quantile_fraction=float(quantile_fraction),
            resample_probability=float(resample_probability),
            perturbation_factors=factors,
            mutations=mutations,
            maximize=False,
        )
        # The base sampler, under the name by which IndependentSamplerMixin passes it the hooks.
        self._independent_sampler = (
            base_sampler if base_sampler is not None else RandomSampler(seed=seed)
        )
        self._rng = random.Random(seed)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        if study._is_multi_objective():
            raise ValueError("PBTSampler does not support multi-objective optimization.")
        config = self._config
        maximize = study.direction.name == "MAXIMIZE"
        if config.maximize != maximize:
            config = Config(**{**config.__dict__, "maximize": maximize})
        excluded: set[int] = set()
        while True:
            segment = plan_segment(_records(study), trial.number, config, self._rng, excluded)
            system_attrs.set_trial_system_attr(
                study, trial._trial_id, SEGMENT_KEY, segment.to_json()
            )
            if segment.action not in (CONTINUE, EXPLOIT) or not _contested(
                study, trial.number, segment
            ):
                break
            # Another trial claims the same (member, generation): both step back and pick again.
            excluded.add(segment.member)
        if self._independent_sampler._acts_before_trial():
            super().before_trial(study, trial)

    def _acts_before_trial(self) -> bool:
        return True  # the segment is chosen and recorded before the trial samples

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if _segment_params(trial):
            return {}
        return self._independent_sampler.infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        return self._independent_sampler.sample_relative(study, trial, search_space)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        params = _segment_params(trial)
        if param_name in params:
            value = params[param_name]
            if _contains(param_distribution, value):
                return value
            warnings.warn(
                f"PBTSampler: the segment's {param_name}={value!r} is outside "
                f"{param_distribution}; drawing it from the base sampler instead.",
                UserWarning,
                stacklevel=2,
            )
        return self._independent_sampler.sample_independent(
            study, trial, param_name, param_distribution
        )

    def reseed_rng(self) -> None:
        self._rng = random.Random()
        self._independent_sampler.reseed_rng()


def _records(study: Study) -> list[Record]:
    records = []
    for trial in study.get_trials(deepcopy=False):
        data = trial.system_attrs.get(SEGMENT_KEY)
        if data is None:
            continue
        complete = trial.state == TrialState.COMPLETE
        records.append(
            Record(
                number=trial.number,
                segment=Segment.from_json(data),
                live=trial.state in _LIVE,
                value=trial.value if complete else None,
                params=dict(trial.params),
                distributions=dict(trial.distributions),
            )
        )
    return records


def _contested(study: Study, number: int, segment: Segment) -> bool:
    """Whether another live trial claims ``segment``'s (member, generation) as read back now."""
    return any(
        record.number != number
        and record.live
        and (record.segment.member, record.segment.generation)
        == (segment.member, segment.generation)
        for record in _records(study)
    )


def _segment_params(trial: FrozenTrial) -> dict[str, Any]:
    data = trial.system_attrs.get(SEGMENT_KEY)
    return {} if data is None else dict(data["params"])


def _contains(distribution: BaseDistribution, value: Any) -> bool:
    try:
        return distribution._contains(distribution.to_internal_repr(value))
    except (ValueError, TypeError):
        return False


def _check_int(argument: str, value: Any, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid_type(_WHERE, argument, value, "an int")
    if value < minimum:
        raise invalid(_WHERE, argument, value, f"must be >= {minimum}")


def _check_fraction(argument: str, value: Any, maximum: float) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise invalid_type(_WHERE, argument, value, "a float")
    if not 0.0 <= value <= maximum:
        raise invalid(_WHERE, argument, value, f"must be in [0, {maximum}]")


def _check_factors(factors: Any) -> tuple[float, ...]:
    if not isinstance(factors, Sequence) or isinstance(factors, str) or len(factors) == 0:
        raise invalid_type(
            _WHERE, "perturbation_factors", factors, "a non-empty sequence of floats"
        )
    for factor in factors:
        if not isinstance(factor, int | float) or isinstance(factor, bool) or not factor > 0:
            raise invalid(
                _WHERE, "perturbation_factors", factors, "must hold positive numbers only"
            )
    return tuple(float(f) for f in factors)
