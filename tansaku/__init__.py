"""tansaku: define-by-run hyperparameter optimization with an Optuna-compatible API.

Example:
    >>> import tansaku
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", -10, 10)
    ...     return (x - 2) ** 2
    >>> study = tansaku.create_study()
    >>> study.optimize(objective, n_trials=100)
    >>> study.best_params
"""

from tansaku import (
    distributions,
    exceptions,
    logging,
    pruners,
    samplers,
    search_space,
    storages,
    study,
    trial,
)
from tansaku.exceptions import TrialPruned
from tansaku.study import (
    Study,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from tansaku.trial import Trial, create_trial
from tansaku.version import __version__

# Subpackages whose imports are heavy (plotly, scikit-learn): loaded on first attribute access.
_LAZY_SUBPACKAGES = frozenset(
    {
        "artifacts",
        "importance",
        "integration",
        "parallel",
        "pbt",
        "terminator",
        "validation",
        "visualization",
    }
)


def __getattr__(name: str) -> object:
    if name in _LAZY_SUBPACKAGES:
        import importlib

        return importlib.import_module(f"tansaku.{name}")
    raise AttributeError(f"module 'tansaku' has no attribute {name!r}")


__all__ = [
    "Study",
    "Trial",
    "TrialPruned",
    "__version__",
    "artifacts",
    "copy_study",
    "create_study",
    "create_trial",
    "delete_study",
    "distributions",
    "exceptions",
    "get_all_study_names",
    "get_all_study_summaries",
    "importance",
    "integration",
    "load_study",
    "logging",
    "parallel",
    "pbt",
    "pruners",
    "samplers",
    "search_space",
    "storages",
    "study",
    "terminator",
    "trial",
    "validation",
    "visualization",
]
