"""Track a study in Weights & Biases: one run for the whole study, or one run per trial.

Example:
    >>> from tansaku.integration.wandb import WeightsAndBiasesCallback
    >>> wandbc = WeightsAndBiasesCallback(wandb_kwargs={"project": "my-project"})
    >>> study.optimize(objective, n_trials=10, callbacks=[wandbc])

Log in to W&B first for online runs (``wandb login``), or set ``WANDB_MODE=offline``. Optuna
5.0 deprecates this callback; tansaku keeps it and does not warn.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tansaku._internal.deprecation import warn_experimental
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
    import wandb
except ImportError as error:
    raise missing_framework("tansaku.integration.wandb", "wandb", "wandb") from error

_WHERE = "WeightsAndBiasesCallback"


class WeightsAndBiasesCallback:
    """Log each finished trial's params and objective values to Weights & Biases.

    By default the study is one W&B run, started when the callback is created: each trial logs
    its params and values at step ``trial.number`` (so run the study with ``n_jobs=1``: W&B
    drops steps that go back), and the run's config holds the study's ``direction``. Call
    ``wandb.finish()`` between two studies of one process.

    With ``as_multirun=True`` each trial is a run of its own, named ``trial/<number>/<name>``
    (``trial/<number>`` when W&B gives no name, as offline), whose config holds the params and
    ``direction``, whose tags add the study name to ``wandb_kwargs["tags"]``, and which also
    logs ``trial_number``; it is finished after the trial. There the values are logged at the
    run's next step rather than at ``trial.number`` (as Optuna does when ``track_in_wandb``
    is used), so that they follow what the objective logged instead of being dropped.

    Args:
        metric_name: The metric name of the objective value; for several objectives one name
            each, in the order the objective returns them, or one str that is numbered
            (``value_0``, ``value_1``, ...).
        wandb_kwargs: Arguments of ``wandb.init`` (``project``, ``entity``, ``tags``, ...).
        as_multirun: One W&B run per trial instead of one for the study.

    Raises:
        TypeError: an argument has the wrong type, or ``wandb_kwargs`` holds a key that
            ``wandb.init`` does not take.
        ValueError: ``metric_name`` is an empty list or repeats a name. A list whose length
            differs from the number of objective values raises ValueError when a trial is
            logged.
    """

    def __init__(
        self,
        metric_name: str | Sequence[str] = "value",
        wandb_kwargs: dict[str, Any] | None = None,
        as_multirun: bool = False,
    ) -> None:
        self._metric_name = checked_metric_name(_WHERE, metric_name)
        self._wandb_kwargs = checked_kwargs(
            _WHERE,
            "wandb_kwargs",
            wandb_kwargs,
            accepted=list(inspect.signature(wandb.init).parameters),
        )
        self._as_multirun = checked_flag(_WHERE, "as_multirun", as_multirun)
        if not self._as_multirun:
            self._initialize_run()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        metrics: dict[str, Any] = {}
        if trial.values is not None:
            names = metric_names(_WHERE, self._metric_name, len(trial.values))
            metrics.update(zip(names, trial.values))
        directions = [direction.name for direction in study.directions]
        if not self._as_multirun:
            run = wandb.run if wandb.run is not None else self._initialize_run()
            run.log({**trial.params, **metrics}, step=trial.number)
            run.config.update({"direction": directions})
            return
        metrics["trial_number"] = trial.number
        run = self._trial_run(trial.number)
        run.log({**trial.params, **metrics})
        run.config.update({"direction": directions, **trial.params})
        run.tags = (*self._wandb_kwargs.get("tags", ()), study.study_name)
        run.finish()

    def track_in_wandb(self) -> Callable:
        """Make what the objective logs with ``wandb.log`` land in the trial's run.

        With ``as_multirun=True`` the trial's run is started before the objective runs (with
        ``wandb_kwargs``), so the objective's own logs and the trial's params and values share
        one run; otherwise everything goes to the study's run.

        Returns:
            A decorator for the objective function.
        """
        warn_experimental("WeightsAndBiasesCallback.track_in_wandb")

        def decorator(func: Callable[[Trial], Any]) -> Callable[[Trial], Any]:
            @functools.wraps(func)
            def wrapper(trial: Trial) -> Any:
                if wandb.run is None:
                    self._trial_run(trial.number)
                return func(trial)

            return wrapper

        return decorator

    def _trial_run(self, number: int) -> Any:
        """The active run, or a new one named after trial ``number``."""
        if wandb.run is not None:
            return wandb.run
        run = self._initialize_run()
        run.name = f"trial/{number}/{run.name}" if run.name else f"trial/{number}"
        return run

    def _initialize_run(self) -> Any:
        run = wandb.init(**self._wandb_kwargs)
        # Older wandb returns a stand-in that is no Run when it cannot start one.
        if not isinstance(run, wandb.sdk.wandb_run.Run):
            raise RuntimeError(f"{_WHERE}: wandb.init returned {run!r}, not a wandb Run")
        return run


__all__ = ["WeightsAndBiasesCallback"]
