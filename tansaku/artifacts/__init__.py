"""Artifacts: files a trial or a study produces (models, plots, logs), kept beside the study.

The bytes go to an artifact store (a directory, an S3 bucket, a GCS bucket); what they are
(file name, MIME type) is recorded in the study's storage, where Optuna records it, so a study
with artifacts can move between tansaku and Optuna either way.

Example:
    >>> import os
    >>> from tansaku.artifacts import FileSystemArtifactStore, upload_artifact
    >>> os.makedirs("./artifacts", exist_ok=True)
    >>> store = FileSystemArtifactStore("./artifacts")
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", -10, 10)
    ...     with open("x.txt", "w") as f:
    ...         f.write(str(x))
    ...     upload_artifact(artifact_store=store, file_path="x.txt", study_or_trial=trial)
    ...     return x**2
"""

from tansaku.artifacts import exceptions as exceptions  # the module, as in Optuna
from tansaku.artifacts._backoff import Backoff
from tansaku.artifacts._boto3 import Boto3ArtifactStore
from tansaku.artifacts._download import download_artifact
from tansaku.artifacts._filesystem import FileSystemArtifactStore
from tansaku.artifacts._gcs import GCSArtifactStore
from tansaku.artifacts._meta import ArtifactMeta, get_all_artifact_meta
from tansaku.artifacts._upload import upload_artifact

__all__ = [
    "ArtifactMeta",
    "Backoff",
    "Boto3ArtifactStore",
    "FileSystemArtifactStore",
    "GCSArtifactStore",
    "download_artifact",
    "get_all_artifact_meta",
    "upload_artifact",
]
