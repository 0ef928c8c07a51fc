"""Helpers of the CLI tests."""

from __future__ import annotations

import contextlib
import io
import logging
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import tansaku.logging
from tansaku.storages import BaseStorage

STORAGE_ENV_VARS = ("TANSAKU_STORAGE", "OPTUNA_STORAGE", "TANSAKU_DASHBOARD_TOKEN")
# The warning filters a fresh interpreter starts with (Python's defaults, no -W options).
_STARTUP_FILTERS = (
    ("default", DeprecationWarning, "__main__"),
    ("ignore", DeprecationWarning, None),
    ("ignore", PendingDeprecationWarning, None),
    ("ignore", ImportWarning, None),
    ("ignore", ResourceWarning, None),
)


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


@contextlib.contextmanager
def _fresh_process_state(cwd: Path, env: dict[str, str] | None) -> Iterator[None]:
    """What a new process would start with, for one command: its working directory, the
    environment without storage variables, the default warning filters and tansaku's logger
    as configured on import; all restored afterwards."""
    root = logging.getLogger("tansaku")
    saved_logger = (root.level, list(root.handlers), root.propagate)
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        try:
            tansaku.logging.set_verbosity(tansaku.logging.INFO)
            tansaku.logging.enable_default_handler()  # a no-op unless a test took it away
            root.propagate = False
            patch.chdir(cwd)
            for name in STORAGE_ENV_VARS:
                patch.delenv(name, raising=False)
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            warnings.resetwarnings()
            for action, category, module in reversed(_STARTUP_FILTERS):
                warnings.filterwarnings(action, category=category, module=module or "")
            yield
        finally:
            for handler in root.handlers:
                if handler not in saved_logger[1]:  # --log-file's
                    handler.close()
            root.setLevel(saved_logger[0])
            root.handlers[:] = saved_logger[1]
            root.propagate = saved_logger[2]


def run_in_process(
    cwd: Path, args: tuple[str, ...], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``tansaku ARGS...`` through ``main(argv)`` in this process, as the console script runs
    it: its exit status (argparse's ``SystemExit`` included), stdout and stderr."""
    from tansaku.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        _fresh_process_state(cwd, env),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    return subprocess.CompletedProcess(
        ["tansaku", *args], code, stdout.getvalue(), stderr.getvalue()
    )
