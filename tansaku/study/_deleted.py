"""A study deleted while this process uses it: one error that says which study is gone.

Another process (or another storage object, or thread) may delete a study while this one runs
its trials. The storage then answers the next write or read with a KeyError about a trial id
or a study id; the study layer turns it into one that names the study, by name and id.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from tansaku.study._study import Study


class DeletedStudyError(KeyError):
    """The study was deleted from its storage while this process used it.

    A KeyError, as the storage's own error was, so that code catching that still works.
    """

    def __str__(self) -> str:
        # KeyError shows its argument as a repr (quoted); this one is a sentence.
        return str(self.args[0])


class naming_deleted_study:  # lower case: it reads as a function, ``with naming_...(...)``
    """Re-raise a KeyError of the block as DeletedStudyError when the study is gone.

    A KeyError for any other reason (the study is still there) passes unchanged. The check
    reads the storage only when a KeyError was raised. (A class rather than a generator
    context manager: it wraps every ask and tell, and costs a quarter as much.)

    Args:
        study: The study the block works on.
        trial_id: The trial the block works on, if any: trials are deleted only with their
            study, so a missing trial means its study is gone even if a new study has since
            taken the same name and id.
    """

    __slots__ = ("_study", "_trial_id")

    def __init__(self, study: Study, trial_id: int | None = None) -> None:
        self._study = study
        self._trial_id = trial_id

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> Literal[False]:
        del error_type, traceback  # the context manager protocol's; the error tells it all
        if error is None or not isinstance(error, KeyError):
            return False
        if isinstance(error, DeletedStudyError):
            return False
        study, trial_id = self._study, self._trial_id
        if not _is_gone(study, trial_id):
            return False
        where = "" if trial_id is None else f" (it held the trial with trial_id {trial_id})"
        raise DeletedStudyError(
            f"Study {study.study_name!r} (study_id {study._study_id}) no longer exists in "
            f"the storage{where}: it was deleted, e.g. by another process, while this one "
            f"used it. The storage said: {error}"
        ) from error


def _is_gone(study: Study, trial_id: int | None) -> bool:
    storage = study._storage
    try:
        if storage.get_study_name_from_id(study._study_id) != study.study_name:
            return True
        if trial_id is None:
            return False
        # A fresh read by number (storages keep no cache of it) finds whether the trial id
        # is still this study's.
        number = storage.get_trial_number_from_id(trial_id)
        return storage.get_trial_id_from_study_id_trial_number(study._study_id, number) != trial_id
    except KeyError:
        return True
