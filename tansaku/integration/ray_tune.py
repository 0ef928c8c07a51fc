"""Search with tansaku's samplers inside Ray Tune: a Ray Tune ``Searcher`` backed by a study.

Example:
    >>> from ray import tune
    >>> from tansaku.integration.ray_tune import TansakuSearch
    >>> search = TansakuSearch(sampler=tansaku.samplers.TPESampler(seed=0),
    ...                        storage="sqlite:///tune.db", study_name="tune")
    >>> tuner = tune.Tuner(
    ...     train,
    ...     param_space={"lr": tune.loguniform(1e-4, 1e-1), "layers": tune.randint(1, 4)},
    ...     tune_config=tune.TuneConfig(search_alg=search, metric="loss", mode="min",
    ...                                 num_samples=30),
    ... )
    >>> tuner.fit()

Each Ray trial is one tansaku trial of the study, so a Ray Tune run can be read with tansaku's
plots, CLI and dashboard like any other study.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tansaku._internal.validation import invalid, invalid_type
from tansaku.integration._ray_space import (
    config_from_params,
    distributions_from_ray_space,
    has_ray_domains,
)
from tansaku.logging import get_logger
from tansaku.study import StudyDirection, create_study
from tansaku.trial import Trial, TrialState

if TYPE_CHECKING:
    from tansaku.distributions import BaseDistribution
    from tansaku.samplers import BaseSampler
    from tansaku.storages import BaseStorage
    from tansaku.study import Study

try:
    from ray import cloudpickle
    from ray.tune.search import Searcher
except ImportError as error:
    raise ImportError(
        'tansaku.integration.ray_tune needs Ray Tune: pip install "ray[tune]" '
        "(or pip install tansaku[cluster])"
    ) from error

_logger = get_logger(__name__)

_WHERE = "TansakuSearch"
_DIRECTIONS = {"min": StudyDirection.MINIMIZE, "max": StudyDirection.MAXIMIZE}
# The state save() writes, by version, so a later format can still read this one.
_STATE_VERSION = 1
# The user attr that holds each tansaku trial's Ray trial id.
RAY_TRIAL_ID_ATTR = "ray_trial_id"

DefineByRun = Callable[[Trial], "Mapping[str, Any] | None"]


class TansakuSearch(Searcher):
    """A Ray Tune searcher whose suggestions come from a tansaku study and its sampler.

    ``suggest`` starts a tansaku trial (``study.ask``), records Ray's trial id in its user attr
    ``"ray_trial_id"`` and hands its params to Ray as the trial's config; every result Ray
    reports is recorded as an intermediate value of that trial (step: ``training_iteration``);
    when the Ray trial ends the tansaku trial is told: COMPLETE with the metric's last value,
    or FAIL when the Ray trial errored or its last result has no finite value for the metric.
    Any sampler works, and the study may live in any storage.

    Pruning: a Ray searcher cannot stop a trial (that is the job of Ray's trial schedulers,
    e.g. ASHA), so no pruner is consulted here. The intermediate values are in the study, so a
    tansaku pruner reads them as usual, and trials a Ray scheduler stopped early end COMPLETE
    with the last value they reported, as Ray hands it to the searcher.

    Args:
        space: The search space. Either a define-by-run function called with each tansaku
            :class:`~tansaku.trial.Trial` (it calls ``trial.suggest_*``; it may return a dict
            of constants to add to the config), or a dict of Ray Tune domains
            (``tune.uniform``, ``loguniform``, ``quniform``, ``randint``, ``lograndint``,
            ``qrandint``, ``choice``; nested dicts allowed, names joined with ``/``). None takes
            the domains of the ``param_space`` given to ``tune.Tuner``.
        metric: The result key to optimize; None takes ``TuneConfig(metric=...)``.
        mode: ``"min"`` or ``"max"``; None takes ``TuneConfig(mode=...)``, or the direction of
            ``study``.
        sampler: The sampler of the study this searcher creates (TPE by default).
        storage: Where that study lives: a URL (``"sqlite:///tune.db"``) or a storage; None
            keeps it in memory.
        study_name: That study's name; an existing study of that name is continued.
        study: An existing single-objective study to use instead of creating one (then
            ``sampler``, ``storage`` and ``study_name`` must be None).

    Raises:
        ValueError: an argument is out of range, ``study`` has several objectives or
            ``mode`` contradicts its direction, or a Ray domain has no tansaku equivalent.
        TypeError: ``space`` is neither callable nor a dict.
    """

    def __init__(
        self,
        space: DefineByRun | Mapping[str, Any] | None = None,
        metric: str | None = None,
        mode: str | None = None,
        *,
        sampler: BaseSampler | None = None,
        storage: str | BaseStorage | None = None,
        study_name: str | None = None,
        study: Study | None = None,
    ) -> None:
        _check_metric(metric)
        _check_mode(mode)
        if study is not None:
            given = {"sampler": sampler, "storage": storage, "study_name": study_name}
            for name, value in given.items():
                if value is not None:
                    raise invalid(_WHERE, name, value, "must be None when study is given")
            if len(study.directions) != 1:
                raise invalid(
                    _WHERE, "study", study, "must have one objective (Ray Tune optimizes one)"
                )
            mode = _check_direction(mode, study)
        super().__init__(metric=metric, mode=mode)
        self._define_by_run: DefineByRun | None = None
        self._distributions: dict[str, BaseDistribution] | None = None
        self._set_space(space)
        # Kept as given, so a study is created only once metric and mode are known.
        self._study_arguments: dict[str, Any] = {
            "sampler": sampler,
            "storage": storage,
            "study_name": study_name,
        }
        self._study = study
        # Ray trial id -> the tansaku trial it runs.
        self._trials: dict[str, Trial] = {}
        # Ray trial id -> the last step reported to its tansaku trial.
        self._last_steps: dict[str, int] = {}

    @property
    def study(self) -> Study:
        """The study this searcher asks and tells (created at the first suggestion)."""
        return self._ensure_study("study")

    # -- Ray's Searcher contract ----------------------------------------------------------------
    def set_search_properties(
        self, metric: str | None, mode: str | None, config: dict[str, Any], **spec: Any
    ) -> bool:
        """Take the metric, mode and ``param_space`` of ``tune.Tuner`` (called by Ray Tune).

        Returns False, as Ray's contract asks, when ``config`` holds domains but this searcher
        already has a space; Ray then reports the conflict.
        """
        if config and has_ray_domains(config):
            if self._has_space():
                return False
            self._set_space(config)
        _check_metric(metric)
        _check_mode(mode)
        if metric is not None:
            self._metric = metric
        if mode is not None:
            if self._study is not None:
                _check_direction(mode, self._study)
            self._mode = mode
        return True

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        """Start a tansaku trial for Ray trial ``trial_id`` and return its config."""
        if not self._has_space():
            raise RuntimeError(
                f"{_WHERE}.suggest: no search space: pass space= to TansakuSearch or a "
                "param_space with Ray domains to tune.Tuner"
            )
        if self._metric is None:
            raise RuntimeError(
                f"{_WHERE}.suggest: metric is not set: pass metric= to TansakuSearch or to "
                "tune.TuneConfig"
            )
        study = self._ensure_study("suggest")
        trial = study.ask(self._distributions)
        extra: Mapping[str, Any] | None = None
        if self._define_by_run is not None:
            try:
                extra = self._define_by_run(trial)
            except BaseException:
                study.tell(trial, state=TrialState.FAIL)
                raise
            if extra is not None and not isinstance(extra, Mapping):
                study.tell(trial, state=TrialState.FAIL)
                raise invalid_type(_WHERE, "space(trial)", extra, "a dict of constants or None")
        # Links the study's trial to Ray's results (trial_id is in each Ray result).
        trial.set_user_attr(RAY_TRIAL_ID_ATTR, trial_id)
        self._trials[trial_id] = trial
        config = config_from_params(trial.params)
        config.update(extra or {})
        return config

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        """Record the metric of an intermediate result on the trial (called by Ray Tune)."""
        trial = self._trials.get(trial_id)
        value = _metric_value(result, self._metric)
        step = result.get("training_iteration")
        if trial is None or value is None or not isinstance(step, int):
            return
        # A trial Ray restarts from scratch reports its steps again: keep the first values.
        if step > self._last_steps.get(trial_id, -1):
            trial.report(value, step)
            self._last_steps[trial_id] = step

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        """Tell the study how the Ray trial ended (called by Ray Tune)."""
        trial = self._trials.pop(trial_id, None)
        self._last_steps.pop(trial_id, None)
        if trial is None:
            return
        study = self._ensure_study("on_trial_complete")
        value = None if error else _metric_value(result or {}, self._metric)
        if value is None:
            if not error:
                _logger.warning(
                    f"Trial {trial.number} failed: Ray trial {trial_id} ended without a finite "
                    f"value for metric {self._metric!r}."
                )
            study.tell(trial, state=TrialState.FAIL)
        else:
            study.tell(trial, value)

    # -- saving ---------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        """The searcher's state: metric, mode, space, the study and the trials still running.

        The study is kept as it pickles: a study in memory with all its trials, one in an RDB
        or journal storage by its URL or file (the trials stay in that storage). A
        define-by-run space is kept too (by value when it is a lambda or a closure).
        """
        return {
            "version": _STATE_VERSION,
            "metric": self._metric,
            "mode": self._mode,
            "define_by_run": self._define_by_run,
            "distributions": self._distributions,
            "study_arguments": self._study_arguments,
            "study": self._study,
            "running": {ray_id: trial._trial_id for ray_id, trial in self._trials.items()},
            "last_steps": dict(self._last_steps),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Take back a state from :meth:`get_state`."""
        if state.get("version") != _STATE_VERSION:
            raise ValueError(
                f"{_WHERE}.set_state: state version {state.get('version')!r} is not "
                f"{_STATE_VERSION}: it was not saved by this version of TansakuSearch"
            )
        self._metric = state["metric"]
        self._mode = state["mode"]
        self._define_by_run = state["define_by_run"]
        self._distributions = state["distributions"]
        self._study_arguments = state["study_arguments"]
        self._study = state["study"]
        self._trials = {}
        self._last_steps = dict(state["last_steps"])
        if self._study is not None:
            for ray_id, trial_id in state["running"].items():
                self._trials[ray_id] = Trial(self._study, trial_id)

    def save(self, checkpoint_path: str) -> None:
        """Write the state to ``checkpoint_path`` (Ray Tune calls this at its checkpoints)."""
        # cloudpickle, as Ray's own checkpoints: a define-by-run lambda or closure is kept by
        # value.
        with open(checkpoint_path, "wb") as file:
            cloudpickle.dump(self.get_state(), file)

    def restore(self, checkpoint_path: str) -> None:
        """Read back a state written by :meth:`save`: the study, space and running trials."""
        with open(checkpoint_path, "rb") as file:
            self.set_state(cloudpickle.load(file))

    def __getstate__(self) -> dict[str, Any]:
        # Ray pickles the searcher with the tuner's state: the same state as save().
        return self.get_state()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.set_state(state)

    # -- helpers --------------------------------------------------------------------------------
    def _has_space(self) -> bool:
        return self._define_by_run is not None or self._distributions is not None

    def _set_space(self, space: DefineByRun | Mapping[str, Any] | None) -> None:
        if space is None:
            return
        if isinstance(space, Mapping):
            self._distributions = distributions_from_ray_space(space)
            if not self._distributions:
                raise invalid(_WHERE, "space", dict(space), "must hold at least one Ray domain")
        elif callable(space):
            self._define_by_run = space
        else:
            raise invalid_type(
                _WHERE, "space", space, "a define-by-run function, a dict of Ray domains or None"
            )

    def _ensure_study(self, where: str) -> Study:
        if self._study is None:
            if self._mode is None:
                raise RuntimeError(
                    f"{_WHERE}.{where}: mode is not set: pass mode= to TansakuSearch or to "
                    "tune.TuneConfig"
                )
            self._study = create_study(
                direction=_DIRECTIONS[self._mode], load_if_exists=True, **self._study_arguments
            )
        return self._study


def _metric_value(result: Mapping[str, Any], metric: str | None) -> float | None:
    """The metric's value in ``result`` as a finite float, or None."""
    value = result.get(metric) if metric is not None else None
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _check_metric(metric: Any) -> None:
    if metric is not None and not isinstance(metric, str):
        raise invalid_type(_WHERE, "metric", metric, "a str (one result key) or None")


def _check_mode(mode: Any) -> None:
    if mode is not None and mode not in _DIRECTIONS:
        raise invalid(_WHERE, "mode", mode, "must be 'min', 'max' or None")


def _check_direction(mode: str | None, study: Study) -> str:
    """The mode that matches ``study``'s direction; a contradicting ``mode`` is refused."""
    study_mode = "max" if study.direction == StudyDirection.MAXIMIZE else "min"
    if mode is not None and mode != study_mode:
        raise invalid(
            _WHERE,
            "mode",
            mode,
            f"contradicts the study's direction {study.direction.name} (mode={study_mode!r})",
        )
    return study_mode
