"""A MariaDB (MySQL) server for the tests: mariadb-install-db, then mariadbd on loopback.

MariaDB speaks MySQL's protocol and SQL; tansaku reaches it with the PyMySQL driver
(``mysql+pymysql://``). Run by root, the server runs as the ``mysql`` system user (which the
Debian package creates) in a directory owned by it; run by anyone else, as that user.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import subprocess
import tempfile
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.storages._server_common import (
    START_ATTEMPTS,
    ServerUnavailableError,
    free_port,
    run_as,
    wait_for_port,
)


def _binary(*names: str) -> str:
    for name in names:
        for candidate in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/bin/{name}"):
            if candidate and os.path.exists(candidate):
                return candidate
    raise ServerUnavailableError(
        f"MariaDB binaries not found ({' / '.join(names)}); install them with "
        "`apt-get install mariadb-server`"
    )


def _install(install_db: str, data: Path, scratch: Path, user_option: list[str]) -> None:
    """Create the data directory ``data``, with a root account that needs no password."""
    run_as(
        None,
        [
            install_db,
            "--no-defaults",
            f"--datadir={data}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            f"--tmpdir={scratch}",
            *user_option,
        ],
    )


def _server_account() -> tuple[str, tuple[int, int]] | None:
    """(name, (uid, gid)) to run MariaDB as when we are root, else None (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        account = pwd.getpwnam("mysql")
    except KeyError:
        raise ServerUnavailableError(
            "running as root, and there is no 'mysql' user to run MariaDB as"
        ) from None
    return account.pw_name, (account.pw_uid, account.pw_gid)


def _scratch_directory(durable: bool) -> Path:
    # A server that need not survive a crash keeps its files in memory when it can: InnoDB
    # syncs every table it creates, and the tests create a database per test.
    parent = None if durable or not os.access("/dev/shm", os.W_OK) else "/dev/shm"
    return Path(tempfile.mkdtemp(prefix="tansaku-mysql-", dir=parent))


@dataclass
class MySQLServer:
    """A MariaDB server in ``directory`` listening on 127.0.0.1:``port``.

    Its ``root`` account connects without a password (loopback only). ``durable=False`` (the
    tests' default) keeps the data in memory (``/dev/shm``) and does not sync the log at each
    commit: the tests check behaviour, not crash safety.
    """

    directory: Path
    port: int
    process: subprocess.Popen[bytes]
    user: str = "root"
    stopped: bool = field(default=False, init=False)

    @classmethod
    def start(cls, directory: Path | None = None, durable: bool = False) -> MySQLServer:
        """Create a data directory in ``directory`` (a new temporary one) and start mariadbd.

        Raises:
            ServerUnavailableError: the binaries are missing or the server did not start.
        """
        install_db = _binary("mariadb-install-db", "mysql_install_db")
        server_binary = _binary("mariadbd", "mysqld")
        account = _server_account()
        if directory is None:
            directory = _scratch_directory(durable)
        directory.mkdir(parents=True, exist_ok=True)
        if account is not None:
            os.chown(directory, *account[1])
        data = directory / "data"
        # A temporary directory of its own: servers of parallel test processes must not meet
        # in /tmp (their temporary tables' names can collide during mariadb-install-db).
        scratch = directory / "tmp"
        scratch.mkdir(exist_ok=True)
        if account is not None:
            os.chown(scratch, *account[1])
        user_option = [] if account is None else [f"--user={account[0]}"]
        try:
            _install(install_db, data, scratch, user_option)
        except ServerUnavailableError:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        settings = [
            "--no-defaults",
            f"--datadir={data}",
            "--bind-address=127.0.0.1",
            f"--socket={directory / 'mysqld.sock'}",
            f"--pid-file={directory / 'mysqld.pid'}",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=64M",
            "--max-connections=500",
            f"--log-error={directory / 'server.log'}",
            f"--tmpdir={scratch}",
            *user_option,
        ]
        if not durable:
            settings += ["--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0"]
        last_error = ""
        for _ in range(START_ATTEMPTS):
            port = free_port()
            process = subprocess.Popen(
                [server_binary, *settings, f"--port={port}"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd="/",
            )
            try:
                wait_for_port(port, process, "mariadbd")
            except ServerUnavailableError as error:
                last_error = str(error)
                process.kill()
                process.wait()
                continue
            server = cls(directory=directory, port=port, process=process)
            atexit.register(server.stop)
            return server
        log = directory / "server.log"
        tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
        shutil.rmtree(directory, ignore_errors=True)
        raise ServerUnavailableError(f"MariaDB did not start: {last_error}\n{tail}")

    def url(self, database: str = "mysql") -> str:
        """The SQLAlchemy URL of ``database`` on this server (PyMySQL driver)."""
        return f"mysql+pymysql://{self.user}@127.0.0.1:{self.port}/{database}"

    def password_url(self, password: str, database: str = "mysql") -> str:
        """The URL of ``database`` as a user whose password is not ``password``.

        The user ``tansaku_password_user`` is (re)created with the password
        ``"right-" + password``: connecting with the URL fails with an authentication error.
        """
        import pymysql

        user = "tansaku_password_user"
        connection = pymysql.connect(host="127.0.0.1", port=self.port, user=self.user)
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP USER IF EXISTS '{user}'@'%%'", ())
                cursor.execute(
                    f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", ("right-" + password,)
                )
        finally:
            connection.close()
        quoted = urllib.parse.quote(password, safe="")
        return f"mysql+pymysql://{user}:{quoted}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "db") -> str:
        """Create a new empty database and return its URL."""
        import pymysql

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        connection = pymysql.connect(host="127.0.0.1", port=self.port, user=self.user)
        try:
            with connection.cursor() as cursor:
                # CREATE DATABASE takes no bound names; this one is made of [a-z0-9_].
                cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        finally:
            connection.close()
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and delete its directory (idempotent)."""
        if self.stopped:
            return
        self.stopped = True
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)
