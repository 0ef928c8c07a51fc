"""Retry an artifact store's operations with exponentially growing pauses."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from tansaku._internal.validation import invalid
from tansaku.artifacts.exceptions import ArtifactNotFound

if TYPE_CHECKING:
    from tansaku.artifacts._protocol import ArtifactStore

_logger = logging.getLogger(__name__)
_T = TypeVar("_T")


class Backoff:
    """Wrap an artifact store so that failed operations are tried again after a pause.

    Attempt ``i`` (from 0) that fails is followed by a pause of
    ``min(min_delay * multiplier ** i, max_delay)`` seconds, up to ``max_retries`` attempts in
    all; the last failure is raised. ``ArtifactNotFound`` is raised at once: trying again will
    not make the artifact appear.

    Example:
        >>> store = Backoff(Boto3ArtifactStore("my-bucket"), max_retries=5)

    Unlike Optuna's, ``remove`` stops after the first success (Optuna's tries again after a
    successful removal, and then reports the artifact missing).

    Args:
        backend: The store to wrap.
        max_retries: The number of attempts, at least 1.
        multiplier: The growth of the pause from one attempt to the next, > 0.
        min_delay: The first pause, in seconds, > 0.
        max_delay: The longest pause, in seconds, > ``min_delay``.
    """

    def __init__(
        self,
        backend: ArtifactStore,
        *,
        max_retries: int = 10,
        multiplier: float = 2,
        min_delay: float = 0.1,
        max_delay: float = 30,
    ) -> None:
        where = "Backoff()"
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 1:
            raise invalid(where, "max_retries", max_retries, "must be an int >= 1")
        if not multiplier > 0:
            raise invalid(where, "multiplier", multiplier, "must be > 0")
        if not min_delay > 0:
            raise invalid(where, "min_delay", min_delay, "must be > 0")
        if not max_delay > min_delay:
            raise invalid(where, "max_delay", max_delay, f"must be > min_delay={min_delay!r}")
        self._backend = backend
        self._max_retries = max_retries
        self._multiplier = multiplier
        self._min_delay = min_delay
        self._max_delay = max_delay

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """Open the artifact for reading, retrying failures."""
        return self._retry("open", artifact_id, lambda: self._backend.open_reader(artifact_id))

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Store the bytes of ``content_body``, rewinding it before each new attempt."""
        start = content_body.tell()

        def attempt() -> None:
            content_body.seek(start)
            self._backend.write(artifact_id, content_body)

        self._retry("write", artifact_id, attempt)

    def remove(self, artifact_id: str) -> None:
        """Delete the artifact, retrying failures."""
        self._retry("remove", artifact_id, lambda: self._backend.remove(artifact_id))

    def _retry(self, action: str, artifact_id: str, operation: Callable[[], _T]) -> _T:
        for attempt in range(self._max_retries):
            try:
                return operation()
            except ArtifactNotFound:
                raise
            except Exception as error:
                if attempt == self._max_retries - 1:
                    raise
                delay = min(self._min_delay * self._multiplier**attempt, self._max_delay)
                _logger.warning(
                    f"Failed to {action} artifact {artifact_id!r} (attempt {attempt + 1} of "
                    f"{self._max_retries}): {error!r}; trying again in {delay:.3g} s."
                )
                time.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")
