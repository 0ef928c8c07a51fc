"""Helpers of the CLI tests."""

from __future__ import annotations

import subprocess

from tansaku.storages import BaseStorage


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The error line of a failed run: the last line of stderr, checked to be its only error."""
    lines = [line for line in result.stderr.splitlines() if "ExperimentalWarning" not in line]
    assert len(lines) == 1, result.stderr
    return lines[0]


def api_storage(path: str) -> str | BaseStorage:
    """The storage that an API call opens for the file ``path`` the CLI was given."""
    if path.endswith(".db"):
        return f"sqlite:///{path}"
    from tansaku.storages.journal import JournalFileBackend, JournalStorage

    return JournalStorage(JournalFileBackend(path))
