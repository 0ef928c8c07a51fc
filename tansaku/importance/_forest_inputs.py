"""What the forest-based evaluators learn from: the trials as a feature matrix and a target.

The assessed params are those every completed trial has with the same domain (or the given
``params``, whose domain must not change between the trials that have them all). Numerical
params are one column each, on the scale they are sampled on (log for a log param), bounded by
their domain; a categorical param is one 0/1 column per choice. Params with a one-value domain
are left out: they cannot matter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.optional import import_optional
from tansaku._internal.validation import invalid
from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.importance._base import (
    check_params_argument,
    completed_trials,
    domain_key,
    require_target_for_several_objectives,
    target_values,
)
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study

# The extra that installs scikit-learn for the forest-based evaluators.
SKLEARN_EXTRA = "importance"


@dataclass(frozen=True)
class ForestInputs:
    """The assessed params and, when there are enough trials, the data to fit a forest on."""

    names: list[str]
    """Every assessed param, sorted by name (the ones with a one-value domain included)."""
    modelled: list[str]
    """The assessed params that get columns: those whose domain has more than one value."""
    features: np.ndarray
    """One row per usable trial, the columns of the modelled params: (n_trials, n_columns)."""
    bounds: np.ndarray
    """The domain of each column, on the column's scale: (n_columns, 2)."""
    column_param: np.ndarray
    """Index into ``modelled`` of the param of each column: (n_columns,)."""
    values: np.ndarray
    """The target of each usable trial: (n_trials,)."""


def check_forest_arguments(where: str, n_trees: int, max_depth: int) -> ModuleType:
    """Check a forest's size arguments and that scikit-learn is installed.

    Returns:
        ``sklearn.ensemble``.

    Raises:
        ValueError: ``n_trees`` or ``max_depth`` is not a positive int.
        ImportError: scikit-learn is not installed.
    """
    for argument, value in (("n_trees", n_trees), ("max_depth", max_depth)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise invalid(where, argument, value, "must be an int >= 1")
    return import_optional("sklearn.ensemble", where, SKLEARN_EXTRA)


def fit_forest(
    inputs: ForestInputs, n_trees: int, max_depth: int, seed: int | None, where: str
) -> Any:
    """A scikit-learn random forest regressor fitted to ``inputs`` (fully grown trees, each on
    a bootstrap sample, every feature considered at every split)."""
    ensemble = import_optional("sklearn.ensemble", where, SKLEARN_EXTRA)
    forest = ensemble.RandomForestRegressor(
        n_estimators=n_trees,
        max_depth=max_depth,
        min_samples_split=2,
        min_samples_leaf=1,
        random_state=seed,
    )
    return forest.fit(inputs.features, inputs.values)


def forest_inputs(
    study: Study,
    params: list[str] | None,
    target: Callable[[FrozenTrial], float] | None,
    where: str,
) -> ForestInputs:
    """Read the assessed params and the usable trials of ``study`` for ``where``.

    Usable trials are COMPLETE, have every assessed param and a finite target.

    Raises:
        ValueError: The study has several objectives and no ``target`` is given; no completed
            trial has all of ``params``; the domain of one of ``params`` changed.
        TypeError: ``params`` is not a list of names; ``target`` returns something other than
            one float.
    """
    require_target_for_several_objectives(study, target, where)
    check_params_argument(params)
    completed = completed_trials(study)
    space = _search_space(completed, params)
    names = list(space)
    modelled = [name for name in names if not space[name].single()]
    trials = [trial for trial in completed if all(name in trial.params for name in names)]
    values = target_values(trials, target) if names else np.zeros(0)
    finite = np.isfinite(values)
    if not finite.all():
        trials = [trial for trial, keep in zip(trials, finite) if keep]
        values = values[finite]
    columns: list[np.ndarray] = []
    bounds: list[tuple[float, float]] = []
    column_param: list[int] = []
    for index, name in enumerate(modelled):
        for column, low_high in _encode(name, space[name], trials):
            columns.append(column)
            bounds.append(low_high)
            column_param.append(index)
    features = np.column_stack(columns) if columns else np.zeros((len(trials), 0))
    return ForestInputs(
        names=names,
        modelled=modelled,
        features=features,
        bounds=np.array(bounds, dtype=float).reshape(-1, 2),
        column_param=np.array(column_param, dtype=np.intp),
        values=values,
    )


def _search_space(
    trials: Sequence[FrozenTrial], params: list[str] | None
) -> dict[str, BaseDistribution]:
    """The assessed params and their domains, sorted by name."""
    if params is None:
        return _intersection(trials)
    wanted = list(dict.fromkeys(params))
    if not wanted:
        return {}
    space: dict[str, BaseDistribution] | None = None
    for trial in trials:
        distributions = trial.distributions
        if not all(name in distributions for name in wanted):
            continue
        if space is None:
            space = {name: distributions[name] for name in wanted}
            continue
        changed = [name for name in wanted if distributions[name] != space[name]]
        if changed:
            raise ValueError(
                f"get_param_importances: params={wanted!r} includes {changed!r}, whose domain "
                "changed between trials; the forest-based evaluators need one domain per param"
            )
    if space is None:
        raise ValueError(
            f"get_param_importances: params={wanted!r} must all occur in one completed trial; "
            "none has all of them"
        )
    return dict(sorted(space.items()))


def _intersection(trials: Sequence[FrozenTrial]) -> dict[str, BaseDistribution]:
    """The params that every trial in ``trials`` has with the same domain, sorted by name."""
    if not trials:
        return {}
    first = trials[0].distributions
    keys = {name: domain_key(distribution) for name, distribution in first.items()}
    for trial in trials[1:]:
        distributions = trial.distributions
        keys = {
            name: key
            for name, key in keys.items()
            if name in distributions
            and (domain_key(distributions[name]) == key or distributions[name] == first[name])
        }
    return {name: first[name] for name in sorted(keys)}


def _encode(
    name: str, distribution: BaseDistribution, trials: Sequence[FrozenTrial]
) -> list[tuple[np.ndarray, tuple[float, float]]]:
    """The columns of one param and their bounds: one per numerical param (log-scaled for a
    log domain), one 0/1 column per choice of a categorical."""
    if isinstance(distribution, CategoricalDistribution):
        to_internal = distribution.to_internal_repr
        chosen = np.array([to_internal(trial.params[name]) for trial in trials], dtype=np.intp)
        one_hot = np.eye(len(distribution.choices))[chosen]  # (n_trials, n_choices)
        return [(one_hot[:, k], (0.0, 1.0)) for k in range(len(distribution.choices))]
    assert isinstance(distribution, (FloatDistribution, IntDistribution))
    column = np.array([trial.params[name] for trial in trials], dtype=float)
    low, high = float(distribution.low), float(distribution.high)
    if distribution.log:
        return [(np.log(column), (float(np.log(low)), float(np.log(high))))]
    return [(column, (low, high))]
