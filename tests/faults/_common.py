"""What the fault tests share: seeds, where a storage of each kind lives, running children."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults._workers import HANG_BOUND_S
from tests.storages import servers

REPO = Path(__file__).resolve().parents[2]
WORKERS = Path(__file__).resolve().parent / "_workers.py"
KINDS = ["sqlite", "postgresql", "mysql", "journal_file", "journal_redis"]
RDB_KINDS = ["sqlite", "postgresql", "mysql"]
# Seeds of the full suite (``make test-faults``); ``make test`` runs the first only.
ALL_SEEDS = list(range(10))


def seeds() -> list[int]:
    """The seeds to run: TANSAKU_FAULT_SEEDS is unset (seed 0), ``all``, or ``3,7``."""
    chosen = os.environ.get("TANSAKU_FAULT_SEEDS", "").strip()
    if not chosen:
        return ALL_SEEDS[:1]
    if chosen == "all":
        return ALL_SEEDS
    return [int(seed) for seed in chosen.split(",")]


def new_location(kind: str, tmp_path: Path) -> str:
    """Where the processes of a test find a new, empty storage of ``kind``.

    A database URL, a journal file's path, or ``"REDIS_URL PREFIX"`` (as ``_workers.py``
    takes it).
    """
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'faults.db'}"
    if kind == "journal_file":
        return str(tmp_path / "faults.log")
    if kind == "journal_redis":
        args = servers.new_redis_backend_args()
        return f"{args['url']} {args['prefix']}"
    if kind == "postgresql":
        return servers.shared_postgresql().create_database("faults")
    if kind == "mysql":
        return servers.shared_mysql().create_database("faults")
    raise ValueError(f"unknown storage kind {kind!r}")


def worker_env() -> dict[str, str]:
    """The environment of a child: this repository's tansaku first."""
    return dict(os.environ, PYTHONPATH=str(REPO))


def start_worker(*arguments: str, **popen: object) -> subprocess.Popen[bytes]:
    """Start ``_workers.py`` with ``arguments`` (stdout and stderr piped unless given)."""
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, str(WORKERS), *arguments], env=worker_env(), **popen
    )


def finish(process: subprocess.Popen[bytes], what: str, timeout: float = HANG_BOUND_S) -> str:
    """Wait for ``process`` to exit 0 within ``timeout`` seconds (a hang bound); its stdout."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(
            f"{what} hung: not done within {timeout:.0f}s\n{err.decode(errors='replace')[-3000:]}"
        )
    if process.returncode != 0:
        text = err.decode(errors="replace").strip()
        last = text.splitlines()[-1] if text else ""
        pytest.fail(f"{what} failed (exit code {process.returncode}): {last}\n{text[-3000:]}")
    return out.decode()


def run_worker(*arguments: str, what: str, timeout: float = HANG_BOUND_S) -> str:
    """Run ``_workers.py`` with ``arguments``; fail the test if it hangs or fails."""
    return finish(start_worker(*arguments), what, timeout)
