"""Upload a file to an artifact store and record it on its trial or study."""

from __future__ import annotations

import contextlib
import mimetypes
import os
import uuid
from typing import TYPE_CHECKING

from tansaku._internal.validation import invalid, invalid_type
from tansaku.artifacts._meta import DEFAULT_MIMETYPE, ArtifactMeta, meta_attr
from tansaku.artifacts._target import resolve_target
from tansaku.trial import Trial

if TYPE_CHECKING:
    from tansaku.artifacts._protocol import ArtifactStore
    from tansaku.storages import BaseStorage
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

_WHERE = "upload_artifact()"


def upload_artifact(
    *,
    artifact_store: ArtifactStore,
    file_path: str,
    study_or_trial: Trial | FrozenTrial | Study,
    storage: BaseStorage | None = None,
    mimetype: str | None = None,
    encoding: str | None = None,
) -> str:
    """Copy a file into ``artifact_store`` and record it on a trial or a study.

    The trial (or study) gets the system attr ``"artifacts:<id>"`` that Optuna uses, so
    ``get_all_artifact_meta`` in either library finds the artifact.

    Example:
        >>> store = FileSystemArtifactStore("./artifacts")
        >>> def objective(trial):
        ...     model = train(trial.suggest_float("lr", 1e-4, 1e-1, log=True))
        ...     model.save("model.pt")
        ...     upload_artifact(artifact_store=store, file_path="model.pt", study_or_trial=trial)
        ...     return model.loss

    Unlike Optuna, every check runs before anything is written: a missing file or a finished
    trial leaves neither metadata without bytes nor bytes without metadata.

    Args:
        artifact_store: Where the bytes go.
        file_path: The file to upload.
        study_or_trial: The running trial, frozen trial (with ``storage``) or study it belongs to.
        storage: The storage of a ``FrozenTrial``; by default the trial's or study's own.
        mimetype: The MIME type to record; guessed from the file name when None.
        encoding: The content encoding to record; guessed from the file name when None.

    Returns:
        The new artifact's id (a UUID4 string).

    Raises:
        FileNotFoundError: ``file_path`` is not an existing file.
        TypeError: ``study_or_trial`` is not a Trial, FrozenTrial or Study.
        ValueError: a FrozenTrial is given without ``storage``.
        tansaku.exceptions.UpdateFinishedTrialError: the trial has finished.
    """
    target = resolve_target(_WHERE, study_or_trial, storage)
    if not isinstance(file_path, str | os.PathLike):
        raise invalid_type(_WHERE, "file_path", file_path, "a path (str or os.PathLike)")
    if not os.path.isfile(file_path):
        rule = "is a directory, not a file" if os.path.isdir(file_path) else "does not exist"
        raise FileNotFoundError(str(invalid(_WHERE, "file_path", file_path, rule)))
    target.check_writable(_WHERE)

    filename = os.path.basename(file_path)
    guessed_mimetype, guessed_encoding = mimetypes.guess_type(filename)
    meta = ArtifactMeta(
        artifact_id=str(uuid.uuid4()),
        filename=filename,
        mimetype=mimetype or guessed_mimetype or DEFAULT_MIMETYPE,
        encoding=encoding or guessed_encoding,
    )
    with open(file_path, "rb") as content:
        artifact_store.write(meta.artifact_id, content)
    key, value = meta_attr(meta)
    try:
        if target.trial_id is not None:
            if isinstance(study_or_trial, Trial):
                # Through the handle, so that its cached record shows the attr too.
                study_or_trial.set_system_attr(key, value)
            else:
                target.storage.set_trial_system_attr(target.trial_id, key, value)
        else:
            assert target.study_id is not None
            target.storage.set_study_system_attr(target.study_id, key, value)
    except BaseException:
        # The trial finished between the check and the write: drop the orphaned bytes.
        _remove_quietly(artifact_store, meta.artifact_id)
        raise
    return meta.artifact_id


def _remove_quietly(artifact_store: ArtifactStore, artifact_id: str) -> None:
    # The error that matters is the one being raised already.
    with contextlib.suppress(Exception):
        artifact_store.remove(artifact_id)
