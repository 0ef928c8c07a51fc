"""Studies: create, load and run optimization tasks."""

from tansaku._internal.study_direction import StudyDirection
from tansaku.study._callbacks import (
    MaxTrialsCallback,
    TargetValueCallback,
    TimeBudgetCallback,
)
from tansaku.study._functions import (
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from tansaku.study._study import ObjectiveFuncType, Study
from tansaku.study._summary import StudySummary

__all__ = [
    "MaxTrialsCallback",
    "ObjectiveFuncType",
    "Study",
    "StudyDirection",
    "StudySummary",
    "TargetValueCallback",
    "TimeBudgetCallback",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]
