"""What an artifact store is: three operations on bytes keyed by an artifact id."""

from __future__ import annotations

from typing import BinaryIO, Protocol


class ArtifactStore(Protocol):
    """The interface every artifact store implements (duck-typed: no base class needed).

    A store keeps opaque bytes under a string id; what the bytes are (file name, MIME type)
    is kept in the study's storage, by ``upload_artifact``.
    """

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """Open the artifact for reading; raise ``ArtifactNotFound`` when there is none."""
        ...

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Store the bytes read from ``content_body`` under ``artifact_id``."""
        ...

    def remove(self, artifact_id: str) -> None:
        """Delete the artifact; raise ``ArtifactNotFound`` when there is none."""
        ...
