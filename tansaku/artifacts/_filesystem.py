"""An artifact store in a local (or mounted network) directory: one file per artifact."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from tansaku._internal.validation import invalid
from tansaku.artifacts.exceptions import ArtifactNotFound


class FileSystemArtifactStore:
    """Keep artifacts as files named by their id in the directory ``base_path``.

    Example:
        >>> os.makedirs("./artifacts", exist_ok=True)
        >>> store = FileSystemArtifactStore("./artifacts")
        >>> upload_artifact(artifact_store=store, file_path="model.pt", study_or_trial=trial)

    Writes go to a temporary file in the same directory that is renamed once complete, so a
    reader never sees half an artifact.

    Args:
        base_path: The directory; it must exist when the store is first used.
    """

    def __init__(self, base_path: str | Path) -> None:
        self._base_path = base_path

    def _path(self, where: str, artifact_id: str) -> Path:
        base = Path(self._base_path)
        if not base.is_dir():
            raise FileNotFoundError(
                str(
                    invalid(
                        f"FileSystemArtifactStore.{where}",
                        "base_path",
                        self._base_path,
                        "must be an existing directory",
                    )
                )
            )
        path = base / artifact_id
        # An id is one plain file name: never a path that leads out of base_path.
        if (
            not isinstance(artifact_id, str)
            or artifact_id in ("", ".", "..")
            or path.name != artifact_id
            or os.sep in artifact_id
            or (os.altsep is not None and os.altsep in artifact_id)
        ):
            raise invalid(
                f"FileSystemArtifactStore.{where}",
                "artifact_id",
                artifact_id,
                "must be a plain file name (no directory parts)",
            )
        return path

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """Open the artifact for reading (the caller closes it)."""
        path = self._path("open_reader()", artifact_id)
        try:
            return open(path, "rb")
        except FileNotFoundError:
            raise ArtifactNotFound(self._not_found(artifact_id)) from None

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Store the bytes of ``content_body`` under ``artifact_id``."""
        path = self._path("write()", artifact_id)
        handle, partial_path = tempfile.mkstemp(dir=path.parent, prefix=f".{artifact_id}.")
        try:
            with os.fdopen(handle, "wb") as writer:
                shutil.copyfileobj(content_body, writer)
            os.replace(partial_path, path)
        except BaseException:
            os.unlink(partial_path)
            raise

    def remove(self, artifact_id: str) -> None:
        """Delete the artifact."""
        path = self._path("remove()", artifact_id)
        try:
            os.remove(path)
        except FileNotFoundError:
            raise ArtifactNotFound(self._not_found(artifact_id)) from None

    def _not_found(self, artifact_id: str) -> str:
        return f"artifact_id={artifact_id!r} was not found in {os.fspath(self._base_path)!r}"
