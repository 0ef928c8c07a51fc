"""Run ``tansaku ARGS...`` as a user's shell would: through ``main(argv)``, the function the
console script and ``python -m tansaku`` call, in this process (a fresh interpreter per command
costs about a second), or through the real entry points for the tests that check them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import tansaku
from tests.cli._cli import STORAGE_ENV_VARS, run_in_process

ENTRY_POINT = Path(sys.executable).parent / "tansaku"
Run = Callable[..., subprocess.CompletedProcess[str]]


def _environment(extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in STORAGE_ENV_VARS}
    # The console script must import the tansaku under test (a worktree's, through PYTHONPATH).
    root = str(Path(tansaku.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env.update(extra or {})
    return env


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """Return a function that runs ``tansaku ARGS...`` in ``tmp_path`` and returns the result.

    Keyword arguments: ``env`` (variables added to the environment, which has no storage
    variable), ``entry_point`` (run the installed console script in a subprocess), ``module``
    (run ``python -m tansaku`` in a subprocess).
    """

    def run_tansaku(
        *args: str,
        env: dict[str, str] | None = None,
        entry_point: bool = False,
        module: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        if not (entry_point or module):
            return run_in_process(tmp_path, args, env)
        if entry_point and not ENTRY_POINT.exists():
            pytest.fail(
                f"the console script {ENTRY_POINT} is missing: reinstall tansaku "
                "(pip install -e .) so that [project.scripts] creates it"
            )
        command = [sys.executable, "-m", "tansaku"] if module else [str(ENTRY_POINT)]
        return subprocess.run(
            [*command, *args],
            cwd=tmp_path,
            env=_environment(env),
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run_tansaku


@pytest.fixture(params=["sqlite", "journal"])
def storage_path(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The path of a new storage file (SQLite or journal) that the CLI resolves by its form."""
    if request.param == "sqlite":
        return str(tmp_path / "study.db")
    return str(tmp_path / "study.log")
