"""A Redis server for the tests: redis-server on loopback, without persistence."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from tests.storages._server_common import (
    START_ATTEMPTS,
    ServerUnavailableError,
    free_port,
    wait_for_port,
)


@dataclass
class RedisServer:
    """A redis-server in ``directory`` on 127.0.0.1:``port``, without persistence."""

    directory: Path
    port: int
    process: subprocess.Popen[bytes]
    stopped: bool = field(default=False, init=False)

    @classmethod
    def start(cls, directory: Path | None = None) -> RedisServer:
        """Start redis-server in ``directory`` (a new temporary one by default).

        Raises:
            ServerUnavailableError: the binary is missing or the server did not start.
        """
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.path.exists(binary):
            raise ServerUnavailableError(
                "redis-server not found; install it with `apt-get install redis-server`"
            )
        if directory is None:
            directory = Path(tempfile.mkdtemp(prefix="tansaku-redis-"))
        directory.mkdir(parents=True, exist_ok=True)
        last_error = ""
        for _ in range(START_ATTEMPTS):
            port = free_port()
            log = (directory / "server.log").open("ab")
            process = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    str(directory),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=directory,
            )
            log.close()
            try:
                wait_for_port(port, process, "redis-server")
            except ServerUnavailableError as error:
                last_error = str(error)
                process.kill()
                process.wait()
                continue
            server = cls(directory=directory, port=port, process=process)
            atexit.register(server.stop)
            return server
        tail = (directory / "server.log").read_text(errors="replace")[-1500:]
        raise ServerUnavailableError(f"redis-server did not start: {last_error}\n{tail}")

    def url(self, db: int = 0) -> str:
        """The ``redis://`` URL of database ``db`` on this server."""
        return f"redis://127.0.0.1:{self.port}/{db}"

    def password_url(self, password: str, db: int = 0) -> str:
        """The URL of database ``db`` as a user whose password is not ``password``.

        The ACL user ``tansaku_password_user`` is (re)created with the password
        ``"right-" + password``: a command sent with the URL fails with an authentication error.
        The default user keeps working without a password for the other tests.
        """
        import redis

        user = "tansaku_password_user"
        client = redis.Redis.from_url(self.url(db))
        try:
            client.acl_setuser(
                user,
                enabled=True,
                reset=True,
                passwords=["+right-" + password],
                keys=["*"],
                commands=["+@all"],
            )
        finally:
            client.close()
        quoted = urllib.parse.quote(password, safe="")
        return f"redis://{user}:{quoted}@127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        """Stop the server and delete its directory (idempotent)."""
        if self.stopped:
            return
        self.stopped = True
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)
