"""Names vulture cannot see used: the public API that users' code calls, and attributes that a
library reads. Check the package with ``vulture`` from the repository root (settings in
pyproject.toml); every other finding is code to delete or fix, not a name to add here.
"""

# ruff: noqa: B018
from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# Module __getattr__ / __dir__ (PEP 562): how the lazily imported public names resolve.
_.__getattr__
_.__dir__

# Public API of Optuna 5.0 that users call (tansaku.study, tansaku.trial, tansaku.samplers,
# tansaku.search_space) and tansaku's own report page.
_.NOT_SET  # StudyDirection
_.best_params
_.set_user_attr
_.set_metric_names
_.enqueue_trial
_.add_trials
_.suggest_int
_.suggest_categorical
_.suggest_uniform
_.suggest_loguniform
_.suggest_discrete_uniform
_.report
_.should_prune
_.set_constraint
_.duration
_.is_exhausted  # GridSampler
_.hyperopt_parameters  # TPESampler
_.calculate  # IntersectionSearchSpace, GroupDecomposedSearchSpace
_.plot_contour
_.plot_edf
_.plot_hypervolume_history
_.plot_intermediate_values
_.plot_parallel_coordinate
_.plot_param_importances
_.plot_pareto_front
_.plot_rank
_.plot_slice
_.plot_terminator_improvement
_.plot_timeline

# Private names that samplers written for Optuna call (README, "extension points").
_._get_trials
_._raise_error_if_multi_objective

# logging.LogRecord.msg: set by RedactingFilter, read by logging when it formats the record.
_.msg

# Helpers of tansaku._internal whose callers are in tansaku/storages, which this check excludes.
_.deprecated_class
_.url_secrets
_.call_redacted

# Ray Tune's Searcher contract, which Ray Tune calls on tansaku.integration.TansakuSearch.
_.set_search_properties
_.suggest
_.on_trial_result
_.on_trial_complete
_.save
_.restore

# Decorators of optuna-integration's tracking callbacks, which users apply to their objective.
_.track_in_mlflow
_.track_in_wandb
# warnings.showwarning: set by the CLI's main for one command, read by warnings.warn.
_.showwarning

# plotly's Scatter.error_y: set on a trace, read by plotly when it draws the figure.
_.error_y
