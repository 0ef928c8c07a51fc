"""An artifact store in an S3 bucket (AWS S3 or any S3-compatible server), through boto3."""

from __future__ import annotations

import io
import shutil
from typing import TYPE_CHECKING, Any, BinaryIO

from tansaku._internal.optional import import_optional
from tansaku.artifacts.exceptions import ArtifactNotFound

if TYPE_CHECKING:
    S3Client = Any  # the type stubs (mypy-boto3-s3) are not a dependency


class Boto3ArtifactStore:
    """Keep artifacts as objects in the S3 bucket ``bucket_name``, keyed by artifact id.

    Example:
        >>> store = Boto3ArtifactStore("my-bucket")
        >>> upload_artifact(artifact_store=store, file_path="model.pt", study_or_trial=trial)

    Args:
        bucket_name: The bucket; it must exist.
        client: A boto3 S3 client (e.g. one with an ``endpoint_url`` for MinIO); by default
            ``boto3.client("s3")`` with the usual AWS configuration.
        avoid_buf_copy: Upload straight from the file object. By default its bytes are copied
            to memory first, because boto3's ``upload_fileobj`` may close the object it is given.

    Raises:
        ImportError: boto3 is not installed.
    """

    def __init__(
        self, bucket_name: str, client: S3Client | None = None, *, avoid_buf_copy: bool = False
    ) -> None:
        boto3 = import_optional("boto3", "Boto3ArtifactStore", "s3")
        self.bucket = bucket_name
        self.client = client if client is not None else boto3.client("s3")
        self._avoid_buf_copy = avoid_buf_copy

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """Open the object for reading (a streaming body; the caller closes it)."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=artifact_id)
        except Exception as error:
            if _is_not_found(error):
                raise ArtifactNotFound(self._not_found(artifact_id)) from error
            raise
        return response["Body"]  # type: ignore[no-any-return]

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Upload the bytes of ``content_body`` as the object ``artifact_id``."""
        source = content_body
        if not self._avoid_buf_copy:
            source = io.BytesIO()
            shutil.copyfileobj(content_body, source)
            source.seek(0)
        self.client.upload_fileobj(source, self.bucket, artifact_id)

    def remove(self, artifact_id: str) -> None:
        """Delete the object.

        S3 reports success for a key that does not exist, so, as in Optuna, removing an
        unknown id raises nothing here.
        """
        self.client.delete_object(Bucket=self.bucket, Key=artifact_id)

    def _not_found(self, artifact_id: str) -> str:
        return f"artifact_id={artifact_id!r} was not found in S3 bucket {self.bucket!r}"


def _is_not_found(error: Exception) -> bool:
    """Whether a botocore ClientError says that the key (or bucket) does not exist."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    code = response.get("Error", {}).get("Code")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code == "NoSuchKey" or status == 404
