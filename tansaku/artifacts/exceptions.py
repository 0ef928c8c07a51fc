"""Errors raised by artifact stores."""

from __future__ import annotations

from tansaku.exceptions import TansakuError

__all__ = ["ArtifactNotFound"]


class ArtifactNotFound(TansakuError):
    """The artifact store holds no artifact with the requested id.

    Stores raise it from ``open_reader`` and ``remove``; ``Backoff`` passes it on at once
    instead of retrying, since asking again will not make the artifact appear.
    """
