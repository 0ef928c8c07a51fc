"""BaseJournalBackend: where a journal's records are kept (a file, Redis)."""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import Any


class BaseJournalBackend(abc.ABC):
    """An append-only list of JSON records shared by every worker of a journal.

    Records are numbered from 0 in the order the backend holds them; every reader sees the
    same records in the same order.
    """

    @abc.abstractmethod
    def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
        """Return the complete records from number ``log_number_from`` on, in order."""

    @abc.abstractmethod
    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        """Append ``logs`` as one unit: no other writer's record lands between them."""
