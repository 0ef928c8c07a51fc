"""Which storage record an artifact belongs to: a trial's or a study's system attrs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tansaku._internal.validation import invalid, invalid_type
from tansaku.exceptions import UpdateFinishedTrialError
from tansaku.study import Study
from tansaku.trial import FrozenTrial, Trial

if TYPE_CHECKING:
    from tansaku.storages import BaseStorage


@dataclass(frozen=True)
class Target:
    """A trial (``trial_id`` set) or a study (``trial_id`` None) in ``storage``."""

    storage: BaseStorage
    study_id: int | None
    trial_id: int | None

    def system_attrs(self) -> dict[str, Any]:
        if self.trial_id is not None:
            return self.storage.get_trial_system_attrs(self.trial_id)
        assert self.study_id is not None
        return self.storage.get_study_system_attrs(self.study_id)

    def check_writable(self, where: str) -> None:
        """Raise before anything is written when the trial has finished already."""
        if self.trial_id is None:
            return
        trial = self.storage.get_trial(self.trial_id)
        if trial.state.is_finished():
            raise UpdateFinishedTrialError(
                f"{where}: trial {trial.number} has finished ({trial.state.name}); artifacts "
                "can be uploaded to a running trial or to the study only"
            )


def resolve_target(where: str, study_or_trial: Any, storage: BaseStorage | None) -> Target:
    """The record ``study_or_trial`` names, in ``storage`` or the one it carries."""
    if isinstance(study_or_trial, Trial):
        return Target(storage or study_or_trial.storage, None, study_or_trial._trial_id)
    if isinstance(study_or_trial, Study):
        return Target(storage or study_or_trial._storage, study_or_trial._study_id, None)
    if isinstance(study_or_trial, FrozenTrial):
        if storage is None:
            raise invalid(
                where,
                "storage",
                None,
                "must be given with a FrozenTrial (a frozen trial does not know its storage)",
            )
        return Target(storage, None, study_or_trial._trial_id)
    raise invalid_type(where, "study_or_trial", study_or_trial, "a Trial, FrozenTrial or Study")
