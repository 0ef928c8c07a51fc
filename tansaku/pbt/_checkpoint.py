"""Checkpoints of PBT segments, kept as artifacts of the trials that trained them.

A checkpoint is an ordinary artifact (``tansaku.artifacts.upload_artifact``) of the segment's
trial; the system attr ``"pbt:checkpoint"`` says which of the trial's artifacts it is and
whether it holds a pickled object or the user's own file.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from typing import TYPE_CHECKING, Any

from tansaku._internal.validation import invalid
from tansaku.artifacts import download_artifact, upload_artifact
from tansaku.pbt._plan import CHECKPOINT_KEY, SEGMENT_KEY, Segment

if TYPE_CHECKING:
    from tansaku.artifacts._protocol import ArtifactStore
    from tansaku.trial import FrozenTrial, Trial

_PICKLE_NAME = "pbt-checkpoint.pkl"


def segment(trial: Trial | FrozenTrial) -> Segment:
    """The segment ``trial`` trains: its member, generation, parent, steps and params.

    Raises:
        ValueError: the trial was not started by a ``PBTSampler``.
    """
    data = trial.system_attrs.get(SEGMENT_KEY)
    if data is None:
        raise invalid(
            "segment()",
            "trial",
            trial.number,
            "has no PBT segment: create the study with sampler=tansaku.pbt.PBTSampler(...)",
        )
    return Segment.from_json(data)


def save_checkpoint(trial: Trial, obj_or_path: Any, artifact_store: ArtifactStore) -> str:
    """Store the checkpoint of ``trial``'s segment, for the segments that start from it.

    Args:
        trial: The running trial.
        obj_or_path: A path (str or os.PathLike) to a file to upload as it is; anything else
            is pickled.
        artifact_store: Where the bytes go (the same store for every worker of the study).

    Returns:
        The artifact id of the checkpoint.
    """
    pickled = not isinstance(obj_or_path, str | os.PathLike)
    with tempfile.TemporaryDirectory(prefix="tansaku-pbt-") as directory:
        if pickled:
            path = os.path.join(directory, _PICKLE_NAME)
            with open(path, "wb") as file:
                pickle.dump(obj_or_path, file, protocol=pickle.HIGHEST_PROTOCOL)
        else:
            path = os.fspath(obj_or_path)
        artifact_id = upload_artifact(
            artifact_store=artifact_store,
            file_path=path,
            study_or_trial=trial,
            mimetype="application/octet-stream",
        )
    trial.set_system_attr(
        CHECKPOINT_KEY,
        {"artifact_id": artifact_id, "pickled": pickled, "filename": os.path.basename(path)},
    )
    return artifact_id


def load_parent_checkpoint(
    trial: Trial, artifact_store: ArtifactStore, file_path: str | None = None
) -> Any:
    """The checkpoint ``trial``'s segment starts from, or None for a new member.

    Args:
        trial: The running trial.
        artifact_store: The store the checkpoints were saved to.
        file_path: For a checkpoint saved from a file: where to write it (a new file). By
            default a new file in a new temporary directory.

    Returns:
        The unpickled object, the path of the downloaded file, or None when the segment
        starts a new member.

    Raises:
        ValueError: the trial has no segment, or its parent saved no checkpoint.
    """
    parent = segment(trial).parent
    if parent is None:
        return None
    study = trial.study
    storage = study._storage
    parent_trial = storage.get_trial(
        storage.get_trial_id_from_study_id_trial_number(study._study_id, parent)
    )
    checkpoint = parent_trial.system_attrs.get(CHECKPOINT_KEY)
    if checkpoint is None:
        raise invalid(
            "load_parent_checkpoint()",
            "trial",
            trial.number,
            f"starts from trial {parent}, which saved no checkpoint (call save_checkpoint at "
            "the end of every segment)",
        )
    artifact_id = checkpoint["artifact_id"]
    if checkpoint["pickled"]:
        with tempfile.TemporaryDirectory(prefix="tansaku-pbt-") as directory:
            path = os.path.join(directory, _PICKLE_NAME)
            download_artifact(
                artifact_store=artifact_store, file_path=path, artifact_id=artifact_id
            )
            with open(path, "rb") as file:
                return pickle.load(file)  # noqa: S301 - the study's own checkpoint
    if file_path is None:
        file_path = os.path.join(
            tempfile.mkdtemp(prefix="tansaku-pbt-"), str(checkpoint["filename"])
        )
    download_artifact(artifact_store=artifact_store, file_path=file_path, artifact_id=artifact_id)
    return file_path
