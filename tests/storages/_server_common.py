"""What the test servers share: the error for a server that cannot start, ports, waiting."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

# Seconds to wait for a server to accept connections before declaring it failed.
START_TIMEOUT_S = 30.0
# Attempts at starting a server: another process may take the free port we picked first.
START_ATTEMPTS = 3


class ServerUnavailableError(RuntimeError):
    """A server could not be started here (the message says why)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None, what: str) -> None:
    """Return once 127.0.0.1:``port`` accepts connections; raise if ``process`` exits first."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServerUnavailableError(f"{what} exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise ServerUnavailableError(f"{what} did not accept connections within {START_TIMEOUT_S}s")


def run_as(account: tuple[int, int] | None, command: list[str]) -> None:
    """Run ``command`` as the (uid, gid) ``account`` (None: as ourselves); raise on failure."""
    kwargs: dict[str, object] = {}
    if account is not None:
        kwargs = {"user": account[0], "group": account[1], "extra_groups": []}
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            timeout=START_TIMEOUT_S + 30,
            cwd="/",
            check=False,
            **kwargs,  # type: ignore[call-overload]
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ServerUnavailableError(f"{command[0]} failed: {error}") from None
    if result.returncode != 0:
        output = (result.stdout + result.stderr).decode(errors="replace")[-1500:]
        raise ServerUnavailableError(f"{Path(command[0]).name} failed: {output}")
