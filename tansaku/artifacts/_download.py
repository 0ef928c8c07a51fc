"""Download an artifact from a store into a new file."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import TYPE_CHECKING

from tansaku._internal.validation import invalid, invalid_type

if TYPE_CHECKING:
    from tansaku.artifacts._protocol import ArtifactStore

_WHERE = "download_artifact()"


def download_artifact(*, artifact_store: ArtifactStore, file_path: str, artifact_id: str) -> None:
    """Write the artifact ``artifact_id`` from ``artifact_store`` to the new file ``file_path``.

    Example:
        >>> meta = get_all_artifact_meta(study.best_trial, storage=study._storage)[0]
        >>> download_artifact(
        ...     artifact_store=store, file_path=meta.filename, artifact_id=meta.artifact_id
        ... )

    The bytes go to a temporary file beside ``file_path`` that is renamed once complete, so an
    interrupted download never leaves a truncated file under the name asked for.

    Args:
        artifact_store: The store that holds the artifact.
        file_path: Where to write it; the file must not exist, its directory must.
        artifact_id: The id ``upload_artifact`` returned (or ``ArtifactMeta.artifact_id``).

    Raises:
        FileExistsError: ``file_path`` exists already (it is left untouched).
        FileNotFoundError: the directory of ``file_path`` does not exist.
        tansaku.artifacts.exceptions.ArtifactNotFound: the store has no such artifact.
    """
    if not isinstance(artifact_id, str):
        raise invalid_type(_WHERE, "artifact_id", artifact_id, "a str")
    if os.path.exists(file_path):
        raise FileExistsError(str(invalid(_WHERE, "file_path", file_path, "exists already")))
    directory = os.path.dirname(os.path.abspath(file_path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            str(
                invalid(
                    _WHERE, "file_path", file_path, f"is in {directory!r}, which does not exist"
                )
            )
        )
    with artifact_store.open_reader(artifact_id) as reader:
        handle, partial_path = tempfile.mkstemp(
            dir=directory, prefix=f".{os.path.basename(file_path)}.", suffix=".partial"
        )
        try:
            with os.fdopen(handle, "wb") as writer:
                shutil.copyfileobj(reader, writer)
            _publish(partial_path, file_path)
        finally:
            if os.path.exists(partial_path):
                os.unlink(partial_path)


def _publish(partial_path: str, file_path: str) -> None:
    """Give the complete download its name, without replacing a file that appeared meanwhile."""
    try:
        os.link(partial_path, file_path)  # fails with FileExistsError where a rename would not
    except FileExistsError:
        raise FileExistsError(
            str(invalid(_WHERE, "file_path", file_path, "was created during the download"))
        ) from None
    except OSError:  # a file system without hard links
        os.replace(partial_path, file_path)
