"""Record each trial of a study as an MLflow run: its params, objective values and tags.

Example:
    >>> from tansaku.integration.mlflow import MLflowCallback
    >>> mlflc = MLflowCallback(tracking_uri="sqlite:///mlflow.db", metric_name="accuracy")
    >>> study = tansaku.create_study(study_name="mnist", direction="maximize")
    >>> study.optimize(objective, n_trials=20, callbacks=[mlflc])

The MLflow experiment is named after the study (``create_experiment=True``); each trial is one
run named after the trial number. Optuna 5.0 deprecates this callback; tansaku keeps it and
does not warn.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.validation import invalid_type
from tansaku.integration._imports import missing_framework
from tansaku.integration._tracking import (
    checked_flag,
    checked_kwargs,
    checked_metric_name,
    metric_names,
)

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial, Trial

try:
    import mlflow
    from mlflow.utils.validation import MAX_TAG_VAL_LENGTH
except ImportError as error:
    raise missing_framework("tansaku.integration.mlflow", "mlflow", "mlflow") from error

_WHERE = "MLflowCallback"
# The trial system attr under which track_in_mlflow leaves the id of the run it opened, so that
# the callback logs into that run rather than a new one (the key Optuna uses).
RUN_ID_ATTRIBUTE_KEY = "mlflow_run_id"


class MLflowCallback:
    """Log each finished trial to MLflow as one run: params, objective values and tags.

    Every trial, whatever its state, becomes a run named after its number (unless
    ``mlflow_kwargs`` names it) holding the trial's params, its objective values as metrics
    (none for a trial without values), and tags: ``number``, ``datetime_start``,
    ``datetime_complete``, ``state``, ``direction`` (the study's directions), one
    ``<param>_distribution`` per param, and the trial's (and, if asked, the study's) user attrs.
    Tag values longer than MLflow accepts are cut, ending with ``...``.

    Args:
        tracking_uri: Where MLflow stores runs (``mlflow.set_tracking_uri``); None keeps
            MLflow's current tracking URI.
        metric_name: The metric name of the objective value; for several objectives one name
            each, in the order the objective returns them, or one str that is numbered
            (``value_0``, ``value_1``, ...).
        create_experiment: Log into an MLflow experiment named after the study (created when
            missing). With False, runs go to MLflow's active experiment, or to the one that
            ``mlflow_kwargs["experiment_id"]`` names.
        mlflow_kwargs: Arguments of ``mlflow.start_run`` for each trial's run
            (``experiment_id``, ``run_name``, ``nested``, ``tags``, ``description``, ...); the
            callback sets ``run_id`` itself. Unlike Optuna, which passes only a few of them on,
            every argument given is used, by the callback and by ``track_in_mlflow`` alike.
        tag_study_user_attrs: Add the study's user attrs to each run's tags; they win over
            other tags of the same name.
        tag_trial_user_attrs: Add the trial's user attrs to its run's tags.

    Raises:
        TypeError: an argument has the wrong type, or ``mlflow_kwargs`` holds a key that
            ``mlflow.start_run`` does not take (or ``run_id``).
        ValueError: ``metric_name`` is an empty list or repeats a name. A list whose length
            differs from the number of objective values raises ValueError when a trial is
            logged.
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        metric_name: str | Sequence[str] = "value",
        create_experiment: bool = True,
        mlflow_kwargs: dict[str, Any] | None = None,
        tag_study_user_attrs: bool = False,
        tag_trial_user_attrs: bool = True,
    ) -> None:
        if tracking_uri is not None and not isinstance(tracking_uri, str):
            raise invalid_type(_WHERE, "tracking_uri", tracking_uri, "a str or None")
        self._tracking_uri = tracking_uri
        self._metric_name = checked_metric_name(_WHERE, metric_name)
        self._create_experiment = checked_flag(_WHERE, "create_experiment", create_experiment)
        self._mlflow_kwargs = checked_kwargs(
            _WHERE,
            "mlflow_kwargs",
            mlflow_kwargs,
            accepted=list(inspect.signature(mlflow.start_run).parameters),
            reserved=("run_id",),
        )
        self._tag_study_user_attrs = checked_flag(
            _WHERE, "tag_study_user_attrs", tag_study_user_attrs
        )
        self._tag_trial_user_attrs = checked_flag(
            _WHERE, "tag_trial_user_attrs", tag_trial_user_attrs
        )
        # MLflow's tracking URI and active experiment are process-wide; its active run is
        # per thread. The lock keeps one thread's set-up from interleaving with another's.
        self._lock = threading.Lock()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        metrics = {}
        if trial.values is not None:
            # Named before any run starts, so that a mismatch leaves no half-logged run.
            names = metric_names(_WHERE, self._metric_name, len(trial.values))
            metrics = dict(zip(names, trial.values))
        with self._lock:
            experiment_id = self._initialize_experiment(study)
            run_id = trial.system_attrs.get(RUN_ID_ATTRIBUTE_KEY)
            with self._start_run(trial.number, experiment_id, run_id):
                mlflow.log_metrics(metrics)
                mlflow.log_params(trial.params)
                mlflow.set_tags(self._tags(study, trial))

    def track_in_mlflow(self) -> Callable:
        """Make the objective run inside its trial's MLflow run.

        What the decorated objective logs with ``mlflow.log_*`` lands in the run that the
        callback then completes with the trial's params, values and tags. The objective runs
        outside the callback's lock, so ``n_jobs > 1`` still runs trials side by side (MLflow
        keeps one active run per thread).

        Returns:
            A decorator for the objective function.
        """
        warn_experimental("MLflowCallback.track_in_mlflow")

        def decorator(func: Callable[[Trial], Any]) -> Callable[[Trial], Any]:
            @functools.wraps(func)
            def wrapper(trial: Trial) -> Any:
                with self._lock:
                    experiment_id = self._initialize_experiment(trial.study)
                    run = self._start_run(trial.number, experiment_id, None)
                with run:
                    trial.set_system_attr(RUN_ID_ATTRIBUTE_KEY, run.info.run_id)
                    return func(trial)

            return wrapper

        return decorator

    def _initialize_experiment(self, study: Study) -> str | None:
        """Point MLflow at the tracking URI and the study's experiment; that experiment's id."""
        if self._tracking_uri is not None:
            mlflow.set_tracking_uri(self._tracking_uri)
        if not self._create_experiment:
            return None
        return str(mlflow.set_experiment(study.study_name).experiment_id)

    def _start_run(self, number: int, experiment_id: str | None, run_id: str | None) -> Any:
        kwargs = dict(self._mlflow_kwargs)
        if run_id is not None:
            # Reopening the run track_in_mlflow started: it already has its experiment.
            kwargs.pop("experiment_id", None)
            return mlflow.start_run(run_id=run_id, **kwargs)
        if experiment_id is not None:
            kwargs.setdefault("experiment_id", experiment_id)
        kwargs.setdefault("run_name", str(number))
        return mlflow.start_run(**kwargs)

    def _tags(self, study: Study, trial: FrozenTrial) -> dict[str, str]:
        directions = [direction.name for direction in study.directions]
        tags: dict[str, Any] = {
            "number": trial.number,
            "datetime_start": trial.datetime_start,
            "datetime_complete": trial.datetime_complete,
            "state": trial.state.name,
            "direction": directions[0] if len(directions) == 1 else directions,
        }
        tags.update({f"{name}_distribution": d for name, d in trial.distributions.items()})
        if self._tag_trial_user_attrs:
            tags.update(trial.user_attrs)
        if self._tag_study_user_attrs:
            tags.update(study.user_attrs)
        return {key: _fit_tag(str(value)) for key, value in tags.items()}


def _fit_tag(value: str) -> str:
    """``value``, cut to the longest tag value MLflow stores, ending with ``...`` if cut."""
    if len(value) <= MAX_TAG_VAL_LENGTH:
        return value
    return value[: MAX_TAG_VAL_LENGTH - 3] + "..."


__all__ = ["MLflowCallback"]
