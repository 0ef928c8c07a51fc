"""Check that the best configurations stay good when the randomness of training changes.

A study picks its best trial from one run per configuration, so the winner may owe part of its
value to a lucky seed. ``validate_top_trials`` re-runs the objective on the top configurations
with several seeds and reports how each does on average.
"""

from __future__ import annotations

import inspect
import math
import statistics
from collections.abc import Callable, Iterable
from importlib.util import find_spec
from typing import Any

from tansaku._internal.study_direction import StudyDirection
from tansaku._internal.validation import invalid, invalid_type
from tansaku.study import Study
from tansaku.study._multi_objective import is_feasible
from tansaku.trial import FixedTrial, FrozenTrial, TrialState

__all__ = ["validate_top_trials"]

_WHERE = "validate_top_trials()"


def validate_top_trials(
    study: Study,
    objective: Callable[[FixedTrial, Any], float],
    top_k: int = 5,
    seeds: Iterable[Any] = range(5),
) -> Any:
    """Re-run the objective on the ``top_k`` best trials' params once per seed, and summarize.

    For each of the ``top_k`` best completed trials (feasible ones only, when the study has
    constraints), calls ``objective(FixedTrial(trial.params, trial.number), seed)`` for every
    seed, and reports the mean and the standard deviation of the values returned. The study
    itself is not changed: these runs are not trials.

    Example:
        >>> def objective(trial, seed=0):
        ...     model = make_model(trial.suggest_float("lr", 1e-4, 1e-1, log=True), seed=seed)
        ...     return validation_loss(model)
        >>> study = tansaku.create_study()
        >>> study.optimize(objective, n_trials=100)
        >>> table = validate_top_trials(study, objective, top_k=3, seeds=range(5))
        >>> table.iloc[0]["params"]  # the params that do best over five seeds

    Args:
        study: A single-objective study with completed trials.
        objective: Called as ``objective(fixed_trial, seed)``; returns the objective value.
        top_k: How many of the best trials to re-run (fewer when the study has fewer).
        seeds: The seeds, each passed to every run; at least one.

    Returns:
        One row per trial, best mean first (lowest when minimizing, highest when maximizing;
        ties by trial number), with the columns ``number``, ``params``, ``value`` (the value the
        study recorded), ``values`` (one per seed, in the order of ``seeds``), ``mean`` and
        ``std`` (the sample standard deviation, NaN for a single seed). A pandas DataFrame
        when pandas is installed, else a list of dicts with those keys.

    Raises:
        TypeError: ``study`` is not a Study, ``objective`` is not callable, or it returned
            something that is not a number.
        ValueError: the study has several objectives (their "top k" is a matter of
            trade-offs, not one ranking),
            ``top_k`` < 1, ``seeds`` is empty, or the study has no completed trial.
    """
    if not isinstance(study, Study):
        raise invalid_type(_WHERE, "study", study, "a Study")
    if not callable(objective) or not _accepts_two_arguments(objective):
        raise invalid_type(_WHERE, "objective", objective, "callable as objective(trial, seed)")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise invalid(_WHERE, "top_k", top_k, "must be an int >= 1")
    seed_list = list(seeds)
    if not seed_list:
        raise invalid(_WHERE, "seeds", seeds, "must hold at least one seed")
    directions = study.directions
    if len(directions) != 1:
        raise invalid(
            _WHERE,
            "study",
            study.study_name,
            f"must have one objective; it has {len(directions)} "
            f"({', '.join(d.name for d in directions)})",
        )
    maximize = directions[0] == StudyDirection.MAXIMIZE
    top = _top_trials(study, top_k, maximize)
    rows = [_validate(trial, objective, seed_list) for trial in top]
    # NaN means sort last whichever the direction.
    rows.sort(
        key=lambda row: (
            math.isnan(row["mean"]),
            -row["mean"] if maximize else row["mean"],
            row["number"],
        )
    )
    if find_spec("pandas") is None:
        return rows
    import pandas as pd

    return pd.DataFrame(rows, columns=["number", "params", "value", "values", "mean", "std"])


def _accepts_two_arguments(function: Callable[..., Any]) -> bool:
    try:
        inspect.signature(function).bind(None, None)
    except TypeError:
        return False
    except ValueError:  # no signature to inspect (some builtins): let the call tell
        return True
    return True


def _top_trials(study: Study, top_k: int, maximize: bool) -> list[FrozenTrial]:
    completed = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if is_feasible(t)
    ]
    if not completed:
        raise invalid(
            _WHERE, "study", study.study_name, "has no completed (feasible) trial to validate"
        )

    def rank(trial: FrozenTrial) -> tuple[float, int]:
        value = trial.value
        assert value is not None
        return (-value if maximize else value, trial.number)

    return sorted(completed, key=rank)[:top_k]


def _validate(
    trial: FrozenTrial, objective: Callable[[FixedTrial, Any], float], seeds: list[Any]
) -> dict[str, Any]:
    values = []
    for seed in seeds:
        returned = objective(FixedTrial(dict(trial.params), trial.number), seed)
        if isinstance(returned, bool) or not isinstance(returned, int | float):
            try:
                returned = float(returned)  # numpy scalars, 0-d arrays
            except (TypeError, ValueError):
                raise TypeError(
                    f"{_WHERE}: objective returned {returned!r} ({type(returned).__name__}) "
                    f"for trial {trial.number} with seed {seed!r}; it must return a number"
                ) from None
        values.append(float(returned))
    return {
        "number": trial.number,
        "params": dict(trial.params),
        "value": trial.value,
        "values": values,
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else math.nan,
    }
