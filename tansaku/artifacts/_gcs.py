"""An artifact store in a Google Cloud Storage bucket."""

from __future__ import annotations

import io
from typing import Any, BinaryIO

from tansaku._internal.optional import import_optional
from tansaku.artifacts.exceptions import ArtifactNotFound


class GCSArtifactStore:
    """Keep artifacts as blobs in the Google Cloud Storage bucket ``bucket_name``.

    Example:
        >>> store = GCSArtifactStore("my-bucket")
        >>> upload_artifact(artifact_store=store, file_path="model.pt", study_or_trial=trial)

    Args:
        bucket_name: The bucket; it must exist.
        client: A ``google.cloud.storage.Client``; by default one built from the environment's
            credentials.

    Raises:
        ImportError: google-cloud-storage is not installed.
    """

    def __init__(self, bucket_name: str, client: Any | None = None) -> None:
        storage = import_optional(
            "google.cloud.storage", "GCSArtifactStore", "gcs", package="google-cloud-storage"
        )
        self.bucket_name = bucket_name
        self.client = client if client is not None else storage.Client()
        self.bucket_obj = self.client.bucket(bucket_name)

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """Read the blob into memory and return it as a file object."""
        blob = self.bucket_obj.get_blob(artifact_id)
        if blob is None:
            raise ArtifactNotFound(self._not_found(artifact_id))
        return io.BytesIO(blob.download_as_bytes())

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Upload the bytes of ``content_body`` as the blob ``artifact_id``."""
        self.bucket_obj.blob(artifact_id).upload_from_string(content_body.read())

    def remove(self, artifact_id: str) -> None:
        """Delete the blob."""
        try:
            self.bucket_obj.delete_blob(artifact_id)
        except Exception as error:
            # google.api_core's NotFound carries the HTTP status; its import is not needed.
            if getattr(error, "code", None) == 404:
                raise ArtifactNotFound(self._not_found(artifact_id)) from error
            raise

    def _not_found(self, artifact_id: str) -> str:
        return f"artifact_id={artifact_id!r} was not found in GCS bucket {self.bucket_name!r}"
