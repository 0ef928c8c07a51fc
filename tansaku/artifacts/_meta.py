"""Where artifact metadata lives: one system attr per artifact, on its trial or its study.

Each artifact uploaded to a trial (or a study) leaves the system attr
``"artifacts:<artifact_id>"`` on it, whose value is a JSON *string* (not a JSON object) with
the keys ``artifact_id``, ``filename``, ``mimetype`` and ``encoding``. That is the key and the
form Optuna uses, so a study with artifacts can be read by either library.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from tansaku.artifacts._target import resolve_target

if TYPE_CHECKING:
    from tansaku.storages import BaseStorage
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial, Trial

ATTR_PREFIX = "artifacts:"
DEFAULT_MIMETYPE = "application/octet-stream"


@dataclass
class ArtifactMeta:
    """What is known about one uploaded artifact besides its bytes.

    Attributes:
        artifact_id: The id under which the artifact store keeps the bytes.
        filename: The base name of the file that was uploaded.
        mimetype: The MIME type given at upload or guessed from the file name.
        encoding: The content encoding (e.g. ``"gzip"``) given or guessed, or None.
    """

    artifact_id: str
    filename: str
    mimetype: str
    encoding: str | None


def meta_attr(meta: ArtifactMeta) -> tuple[str, str]:
    """The system attr key and value that record ``meta``."""
    return ATTR_PREFIX + meta.artifact_id, json.dumps(asdict(meta))


def get_all_artifact_meta(
    study_or_trial: Trial | FrozenTrial | Study, *, storage: BaseStorage | None = None
) -> list[ArtifactMeta]:
    """List the metadata of every artifact uploaded to a trial or a study.

    Example:
        >>> for meta in get_all_artifact_meta(study.best_trial, storage=study._storage):
        ...     print(meta.filename, meta.artifact_id)

    Args:
        study_or_trial: The trial (running or frozen) or the study the artifacts belong to.
        storage: The storage that holds the trial; needed for a ``FrozenTrial`` only.

    Returns:
        The metadata in the order the storage returns the system attrs.

    Raises:
        TypeError: ``study_or_trial`` is not a Trial, FrozenTrial or Study.
        ValueError: a FrozenTrial is given without ``storage``.
    """
    target = resolve_target("get_all_artifact_meta()", study_or_trial, storage)
    return [
        _parse(key, value)
        for key, value in target.system_attrs().items()
        if key.startswith(ATTR_PREFIX)
    ]


def _parse(key: str, value: object) -> ArtifactMeta:
    # Optuna writes a JSON string; a dict is accepted too, as a storage may hand one back.
    fields = json.loads(value) if isinstance(value, str) else value
    if not isinstance(fields, dict):
        raise ValueError(f"System attr {key!r} is not artifact metadata: {value!r}")
    return ArtifactMeta(
        artifact_id=fields["artifact_id"],
        filename=fields["filename"],
        mimetype=fields["mimetype"],
        encoding=fields["encoding"],
    )
