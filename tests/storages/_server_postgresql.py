"""A PostgreSQL server for the tests, created with initdb and run with pg_ctl on loopback."""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.storages._server_common import (
    START_ATTEMPTS,
    START_TIMEOUT_S,
    ServerUnavailableError,
    free_port,
    run_as,
)


def _postgresql_bin_dir() -> Path:
    """The directory of initdb/pg_ctl: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    on_path = shutil.which("initdb")
    if on_path is not None and shutil.which("pg_ctl") is not None:
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
        reverse=True,
    )
    if not candidates:
        raise ServerUnavailableError(
            "PostgreSQL binaries not found (no initdb on PATH nor in /usr/lib/postgresql/*/bin);"
            " install them with `apt-get install postgresql`"
        )
    return Path(candidates[0]).parent


def _server_account() -> tuple[int, int] | None:
    """(uid, gid) to run PostgreSQL as when we are root, else None (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        raise ServerUnavailableError(
            "running as root, and there is no 'postgres' user to run PostgreSQL as"
        ) from None
    return account.pw_uid, account.pw_gid


@dataclass
class PostgreSQLServer:
    """A PostgreSQL server in ``directory`` listening on 127.0.0.1:``port``.

    Its superuser ``postgres`` connects without a password (trust authentication, loopback
    only); the members of the role ``PASSWORD_GROUP`` must give their password (see
    :meth:`password_url`). ``durable=False`` (the tests' default) turns fsync off: the tests
    check behaviour, not crash safety, and this keeps creating databases cheap.
    """

    directory: Path
    port: int
    bin_dir: Path
    account: tuple[int, int] | None
    user: str = "postgres"
    stopped: bool = field(default=False, init=False)
    schema_template: str = field(default="", init=False)

    # Members of this group role must authenticate with a password (scram-sha-256), for the
    # tests of what errors and logs show of a password.
    PASSWORD_GROUP = "tansaku_password_users"

    @classmethod
    def start(cls, directory: Path | None = None, durable: bool = False) -> PostgreSQLServer:
        """Create a cluster in ``directory`` (a new temporary one by default) and start it.

        Raises:
            ServerUnavailableError: the binaries are missing or the server did not start.
        """
        bin_dir = _postgresql_bin_dir()
        account = _server_account()
        if directory is None:
            # Not under pytest's tmp_path: that is private to root, and the server may run as
            # the postgres user, which must reach its directory.
            directory = Path(tempfile.mkdtemp(prefix="tansaku-pg-"))
        directory.mkdir(parents=True, exist_ok=True)
        if account is not None:
            os.chown(directory, *account)
        data = directory / "data"
        run_as(
            account,
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )
        hba = data / "pg_hba.conf"
        # The first matching line wins: this one, before initdb's trust lines.
        hba.write_text(
            f"host all +{cls.PASSWORD_GROUP} 127.0.0.1/32 scram-sha-256\n" + hba.read_text()
        )
        settings = ["-c", "listen_addresses=127.0.0.1", "-k", str(directory)]
        if not durable:
            settings += ["-c", "fsync=off", "-c", "full_page_writes=off"]
        last_error = ""
        for _ in range(START_ATTEMPTS):
            port = free_port()
            try:
                run_as(
                    account,
                    [
                        str(bin_dir / "pg_ctl"),
                        "start",
                        "-w",
                        "-t",
                        str(int(START_TIMEOUT_S)),
                        "-D",
                        str(data),
                        "-l",
                        str(directory / "server.log"),
                        "-o",
                        " ".join(["-p", str(port), *settings]),
                    ],
                )
            except ServerUnavailableError as error:
                last_error = str(error)
                continue
            server = cls(directory=directory, port=port, bin_dir=bin_dir, account=account)
            atexit.register(server.stop)
            return server
        log = directory / "server.log"
        tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
        raise ServerUnavailableError(f"PostgreSQL did not start: {last_error}\n{tail}")

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server (psycopg 3 driver)."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def password_url(self, password: str, database: str = "postgres", right: bool = False) -> str:
        """The URL of ``database`` as a new role that must give a password, ``password``.

        The role's password is ``password`` when ``right``, else ``"right-" + password``, so
        that connecting with the URL fails with an authentication error. With ``right`` the
        role owns ``database`` (and so may create tables in it).
        """
        import psycopg
        from psycopg import sql

        name = f"tansaku_pw_{uuid.uuid4().hex[:12]}"
        role, group = sql.Identifier(name), sql.Identifier(self.PASSWORD_GROUP)
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (self.PASSWORD_GROUP,)
            ).fetchone()
            if exists is None:
                connection.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(group))
            connection.execute(
                sql.SQL("CREATE ROLE {} LOGIN IN ROLE {} PASSWORD {}").format(
                    role, group, sql.Literal(password if right else "right-" + password)
                )
            )
            if right and database != "postgres":
                connection.execute(
                    sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(database), role)
                )
        quoted = urllib.parse.quote(password, safe="")
        return f"postgresql+psycopg://{name}:{quoted}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "db", with_schema: bool = False) -> str:
        """Create a new database and return its URL.

        Args:
            prefix: The start of the database's name (the rest is random).
            with_schema: Copy it from a template holding the tables a new RDBStorage creates
                (a copy costs a third of creating the tables), else create it empty.
        """
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        template = ""
        if with_schema:
            if not self.schema_template:
                self._create_schema_template()
            template = f' TEMPLATE "{self.schema_template}"'
        # CREATE DATABASE takes no bound names; these are made of [a-z0-9_] here.
        self._execute(f'CREATE DATABASE "{name}"{template}')
        return self.url(name)

    def _create_schema_template(self) -> None:
        from tansaku.storages._rdb import RDBStorage

        name = "tansaku_schema_template"
        self._execute(f'CREATE DATABASE "{name}"')
        storage = RDBStorage(self.url(name))
        # A template must have no open connections while it is copied.
        storage.engine.dispose()
        self.schema_template = name

    def _execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(statement)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Stop the server and delete its directory (idempotent)."""
        if self.stopped:
            return
        self.stopped = True
        data = str(self.directory / "data")
        pg_ctl = str(self.bin_dir / "pg_ctl")
        try:
            run_as(self.account, [pg_ctl, "stop", "-m", "fast", "-D", data])
        except ServerUnavailableError:
            # Stopping failed: fine if the server is down anyway (pg_ctl status exits with 3,
            # "no server running"); the tests that used it have passed or failed by now.
            kwargs: dict[str, Any] = {}
            if self.account is not None:
                kwargs = {"user": self.account[0], "group": self.account[1], "extra_groups": []}
            status = subprocess.run(
                [pg_ctl, "status", "-D", data], capture_output=True, cwd="/", check=False, **kwargs
            )
            if status.returncode != 3:
                raise
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
