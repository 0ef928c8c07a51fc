"""Study: a named optimization task whose trials live in a storage."""

from __future__ import annotations

import threading
from collections.abc import Callable, Container, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tansaku import logging as tansaku_logging
from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.study_direction import StudyDirection
from tansaku.distributions import BaseDistribution
from tansaku.exceptions import UpdateFinishedTrialError
from tansaku.pruners import BasePruner, _filter_study
from tansaku.samplers import BaseSampler
from tansaku.storages import BaseStorage, get_storage
from tansaku.storages._heartbeat import fail_stale_trials
from tansaku.study import _tell
from tansaku.study._deleted import naming_deleted_study
from tansaku.study._multi_objective import is_feasible, pareto_front_trials
from tansaku.trial import FrozenTrial, Trial, TrialState, create_trial

if TYPE_CHECKING:
    import pandas as pd

_logger = tansaku_logging.get_logger(__name__)

ObjectiveFuncType = Callable[[Trial], float | Sequence[float]]

# Study system attr under which metric names are kept (Optuna's key, so studies interoperate).
METRIC_NAMES_KEY = "study:metric_names"
# Trial system attr of an enqueued trial that holds the params to use.
FIXED_PARAMS_KEY = "fixed_params"


class Study:
    """A named optimization task: runs trials, keeps them in a storage, knows the best.

    Create one with :func:`tansaku.create_study` or load one with :func:`tansaku.load_study`.

    Raises:
        KeyError: no study named ``study_name`` exists in ``storage``.
    """

    def __init__(
        self,
        study_name: str,
        storage: str | BaseStorage,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
    ) -> None:
        self.study_name = study_name
        backend = get_storage(storage)
        try:
            study_id = backend.get_study_id_from_name(study_name)
        except KeyError:
            names = [s.study_name for s in backend.get_all_studies()]
            raise KeyError(
                f"No study named {study_name!r} in the storage; it has {len(names)} "
                f"stud{'y' if len(names) == 1 else 'ies'}: {names[:10]}"
            ) from None
        self._study_id = study_id
        self._storage = backend
        self._directions = backend.get_study_directions(study_id)
        self.sampler = sampler if sampler is not None else _default_sampler()
        self.pruner = pruner if pruner is not None else _default_pruner()
        self._stop_flag = False
        self._thread_local = threading.local()
        # Distributions built by suggest calls, by their arguments: trials of a study usually
        # suggest the same ranges, so each is validated once. Shared by this study's threads.
        self._distribution_cache: dict[Any, BaseDistribution] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_thread_local"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._thread_local = threading.local()

    def _in_optimize_loop(self) -> bool:
        """Whether the calling thread runs this study's :meth:`optimize`."""
        return bool(getattr(self._thread_local, "in_optimize_loop", False))

    # -- objectives -----------------------------------------------------------------------------
    def _is_multi_objective(self) -> bool:
        return len(self._directions) > 1

    @property
    def direction(self) -> StudyDirection:
        """The direction of a single-objective study.

        Raises:
            RuntimeError: the study has several objectives (use ``directions``).
        """
        if self._is_multi_objective():
            raise RuntimeError(
                "Study.direction is for single-objective studies; this study has "
                f"{len(self._directions)} objectives: use Study.directions"
            )
        return self._directions[0]

    @property
    def directions(self) -> list[StudyDirection]:
        """The direction of each objective."""
        return list(self._directions)

    # -- best -----------------------------------------------------------------------------------
    @property
    def best_trial(self) -> FrozenTrial:
        """The best COMPLETE (and feasible, when constraints are set) trial.

        Raises:
            RuntimeError: the study has several objectives (use ``best_trials``).
            ValueError: no (feasible) trial has completed yet.
        """
        return self._best_trial().__deepcopy__({})

    def _best_trial(self) -> FrozenTrial:
        if self._is_multi_objective():
            raise RuntimeError(
                "A single best trial cannot be retrieved from a multi-objective study; "
                "use Study.best_trials for the Pareto front"
            )
        try:
            best = self._storage.get_best_trial(self._study_id)
        except ValueError:
            raise ValueError(
                f"Study {self.study_name!r} has no completed trials yet, so it has no best trial"
            ) from None
        if is_feasible(best):
            return best
        feasible = [
            t
            for t in self._storage.get_all_trials(
                self._study_id, deepcopy=False, states=(TrialState.COMPLETE,)
            )
            if is_feasible(t)
        ]
        if not feasible:
            raise ValueError(f"Study {self.study_name!r} has no feasible completed trials yet")
        pick = max if self._directions[0] == StudyDirection.MAXIMIZE else min
        return pick(feasible, key=_first_value)

    @property
    def best_value(self) -> float:
        """The objective value of :attr:`best_trial`."""
        value = self._best_trial().value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        """The params of :attr:`best_trial`."""
        return dict(self._best_trial().params)

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The COMPLETE trials on the Pareto front (feasible ones only, when constraints are
        set); for one objective, every trial tied for the best value."""
        completed = self._storage.get_all_trials(
            self._study_id, deepcopy=False, states=(TrialState.COMPLETE,)
        )
        feasible = [t for t in completed if is_feasible(t)]
        return [t.__deepcopy__({}) for t in pareto_front_trials(feasible, self._directions)]

    # -- trials ---------------------------------------------------------------------------------
    @property
    def trials(self) -> list[FrozenTrial]:
        """Copies of all trials, ordered by number."""
        return self.get_trials(deepcopy=True)

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """Return the trials, ordered by number, optionally only those in ``states``.

        Args:
            deepcopy: Return copies the caller may modify. With False the trials are shared
                with the storage and must be treated as read-only (much faster on big studies).
            states: Only the trials in these states.
        """
        return self._storage.get_all_trials(self._study_id, deepcopy=deepcopy, states=states)

    def _get_trials(
        self,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
        use_cache: bool = False,
    ) -> list[FrozenTrial]:
        """:meth:`get_trials` under the name samplers written for Optuna call.

        Part of the extension contract (with ``_storage``, ``_study_id`` and a trial's
        ``_trial_id``). ``use_cache`` is accepted and changes nothing: every storage already
        keeps the finished trials it has read in memory, and reads only what is new.
        """
        del use_cache
        return self.get_trials(deepcopy=deepcopy, states=states)

    # -- attrs ----------------------------------------------------------------------------------
    @property
    def user_attrs(self) -> dict[str, Any]:
        """The study's user attrs."""
        return self._storage.get_study_user_attrs(self._study_id)

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable ``value`` to the study under ``key``."""
        self._storage.set_study_user_attr(self._study_id, key, value)

    @property
    def metric_names(self) -> list[str] | None:
        """The names of the objectives set with :meth:`set_metric_names`, or None."""
        names = self._storage.get_study_system_attrs(self._study_id).get(METRIC_NAMES_KEY)
        return list(names) if names is not None else None

    def set_metric_names(self, metric_names: list[str]) -> None:
        """Name the objectives, in the order of ``directions``.

        Raises:
            ValueError: the number of names differs from the number of objectives.

        Warns:
            ExperimentalWarning: as in Optuna, where the method is experimental.
        """
        warn_experimental("Study.set_metric_names")
        if len(metric_names) != len(self._directions):
            raise ValueError(
                f"set_metric_names: got {len(metric_names)} names for "
                f"{len(self._directions)} objectives"
            )
        self._storage.set_study_system_attr(self._study_id, METRIC_NAMES_KEY, list(metric_names))

    # -- running --------------------------------------------------------------------------------
    def optimize(
        self,
        func: ObjectiveFuncType,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: Iterable[Callable[[Study, FrozenTrial], None]] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
    ) -> None:
        """Run trials of ``func`` until ``n_trials`` ran, ``timeout`` seconds passed, the
        sampler exhausted its space, or :meth:`stop` was called.

        Args:
            func: The objective: takes a :class:`Trial`, returns a float (or one per objective).
            n_trials: How many trials to run in this call; None for no limit.
            timeout: Stop starting trials after this many seconds; None for no limit.
            n_jobs: Threads running trials at once; -1 for one per CPU.
            catch: Exception types that fail a trial without stopping the study.
            callbacks: Called as ``callback(study, frozen_trial)`` after each trial.
            gc_after_trial: Run the garbage collector after each trial.
            show_progress_bar: Show a tqdm progress bar.

        Raises:
            RuntimeError: called from inside another ``optimize`` of the same thread.
        """
        from tansaku.study._optimize import optimize

        optimize(
            self,
            func,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=n_jobs,
            catch=catch,
            callbacks=callbacks,
            gc_after_trial=gc_after_trial,
            show_progress_bar=show_progress_bar,
        )

    def ask(self, fixed_distributions: dict[str, BaseDistribution] | None = None) -> Trial:
        """Start a trial and return it; end it with :meth:`tell`.

        An enqueued trial is started first, if there is one.

        Args:
            fixed_distributions: Params to suggest right away, by name.

        Raises:
            DeletedStudyError: (a KeyError) the study was deleted from the storage, e.g. by
                another process.
        """
        with naming_deleted_study(self):
            fail_stale_trials(self)
            return self._ask(fixed_distributions)

    def _ask(self, fixed_distributions: dict[str, BaseDistribution] | None) -> Trial:
        storage = self._storage
        trial_id = self._pop_waiting_trial_id()
        if trial_id is None:
            trial_id = storage.create_new_trial(self._study_id)
        try:
            frozen = storage.get_trial(trial_id)
            sampler = self.sampler
            if sampler._acts_before_trial():
                sampler.before_trial(_filter_study(self, frozen), frozen)
                # before_trial may have written attrs to the trial.
                frozen = storage.get_trial(trial_id)
            trial = Trial._from_frozen(self, trial_id, frozen)
            for name, distribution in (fixed_distributions or {}).items():
                trial._suggest(name, distribution)
        except BaseException:
            # The caller gets no handle to tell this trial with: it must not stay RUNNING.
            _tell.fail_if_running(self, trial_id)
            raise
        return trial

    def _pop_waiting_trial_id(self) -> int | None:
        storage = self._storage
        for waiting in storage.get_all_trials(
            self._study_id, deepcopy=False, states=(TrialState.WAITING,)
        ):
            try:
                if storage.set_trial_state_values(waiting._trial_id, TrialState.RUNNING):
                    return waiting._trial_id
            except UpdateFinishedTrialError:
                continue  # another worker claimed and finished it since the read
        return None

    def tell(
        self,
        trial: Trial | int,
        values: float | Sequence[float] | None = None,
        state: TrialState | None = None,
        skip_if_finished: bool = False,
    ) -> FrozenTrial:
        """End a trial started with :meth:`ask`.

        Args:
            trial: The trial, or its number.
            values: The objective value(s); needed for COMPLETE. Without a state, values that
                are missing, NaN, not numbers or of the wrong count end the trial FAIL with a
                UserWarning.
            state: COMPLETE (the default when values are given), PRUNED or FAIL.
            skip_if_finished: Return quietly when the trial has already finished.

        Returns:
            A copy of the finished trial.

        Raises:
            ValueError: the trial is not RUNNING (it has finished, and not
                ``skip_if_finished``; or it is WAITING), the arguments contradict each other
                (e.g. values with FAIL), or ``state=COMPLETE`` comes with values that are
                missing, NaN, not numbers or of the wrong count (the trial stays RUNNING).
        """
        try:
            told = _tell.tell(self, trial, values, state, skip_if_finished)
        except UpdateFinishedTrialError as error:
            # Optuna's tell raises ValueError here; programs written for it catch that.
            raise ValueError(str(error)) from None
        return told.__deepcopy__({})

    def _unfiltered_study(self) -> Study:
        """The study with all its trials: itself.

        A pruner's view of the study restricted to some trials (``pruners._filter_study``)
        returns the study it views, for decisions about the whole study, such as a finite
        sampler's "every point is taken".
        """
        return self

    def stop(self) -> None:
        """Finish the running :meth:`optimize` after the trials in progress.

        Raises:
            RuntimeError: called outside an objective or callback of ``optimize``.
        """
        if not self._in_optimize_loop():
            raise RuntimeError(
                "Study.stop is supposed to be invoked inside an objective function or a "
                "callback of Study.optimize."
            )
        self._stop_flag = True

    # -- adding trials --------------------------------------------------------------------------
    def enqueue_trial(
        self,
        params: dict[str, Any],
        user_attrs: dict[str, Any] | None = None,
        skip_if_exists: bool = False,
    ) -> None:
        """Queue a trial with given params; the next :meth:`ask` starts it.

        Params that the objective suggests but ``params`` lacks are sampled as usual.

        Args:
            params: Param values by name.
            user_attrs: User attrs for the trial.
            skip_if_exists: Do nothing if a trial with these params exists already.
        """
        if skip_if_exists and self._has_trial_with_params(params):
            _logger.info(f"Trial with params {params} already exists; not enqueued again.")
            return
        template = create_trial(
            state=TrialState.WAITING,
            system_attrs={FIXED_PARAMS_KEY: dict(params)},
            user_attrs=user_attrs,
        )
        self._storage.create_new_trial(self._study_id, template_trial=template)

    def _has_trial_with_params(self, params: dict[str, Any]) -> bool:
        for trial in self._storage.get_all_trials(self._study_id, deepcopy=False):
            known = trial.params
            if trial.state is TrialState.WAITING:
                known = trial.system_attrs.get(FIXED_PARAMS_KEY, {})
            if known.keys() == params.keys() and all(known[k] == params[k] for k in params):
                return True
        return False

    def add_trial(self, trial: FrozenTrial) -> None:
        """Add a finished trial made elsewhere (e.g. with :func:`tansaku.create_trial`).

        Raises:
            ValueError: the trial is inconsistent or has the wrong number of values.
        """
        trial._validate()
        if trial.values is not None and len(trial.values) != len(self._directions):
            raise ValueError(
                f"add_trial: the trial has {len(trial.values)} values but the study has "
                f"{len(self._directions)} objectives"
            )
        self._storage.create_new_trial(self._study_id, template_trial=trial)

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        """Add several finished trials; see :meth:`add_trial`."""
        for trial in trials:
            self.add_trial(trial)

    def trials_dataframe(
        self,
        attrs: tuple[str, ...] = (
            "number",
            "value",
            "datetime_start",
            "datetime_complete",
            "duration",
            "params",
            "user_attrs",
            "system_attrs",
            "state",
        ),
        multi_index: bool = False,
    ) -> pd.DataFrame:
        """Return the trials as a pandas DataFrame, one row per trial (needs pandas)."""
        from tansaku.study._dataframe import trials_dataframe

        return trials_dataframe(self, attrs, multi_index)


def _first_value(trial: FrozenTrial) -> float:
    values = trial.values
    assert values is not None  # a COMPLETE trial has its values
    return values[0]


def _default_sampler() -> BaseSampler:
    """TPESampler with its defaults, for one objective and several alike (as Optuna 5.0).

    Its ``multivariate=None`` default models the params jointly for one objective and one at
    a time for several; the first 10 trials are random draws.
    """
    from tansaku import samplers

    return samplers.TPESampler()


def _default_pruner() -> BasePruner:
    from tansaku import pruners

    return pruners.MedianPruner()
