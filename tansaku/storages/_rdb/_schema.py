"""The stored schema version: create a new database at the head, refuse one of another version,
upgrade an older one with the alembic migrations shipped in ``alembic/versions``.

The revision ids are Optuna's (``v0.9.0.a`` of Optuna 0.9 to ``v3.2.0.a`` of Optuna 3.2 to 5.0),
so that the version a database records means the same to tansaku and to Optuna: a database
that any Optuna release since 0.9 wrote upgrades here.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, insert, inspect, text, update
from sqlalchemy.engine import Connection

from tansaku._internal.redact import redact_url
from tansaku.storages._rdb._models import SCHEMA_VERSION, Base, VersionInfoModel
from tansaku.version import __version__

_SCRIPT_LOCATION = str(Path(__file__).resolve().parent / "alembic")
HEAD_REVISION = "v3.2.0.a"
# Oldest first; each entry is one script in alembic/versions.
ALL_REVISIONS = (
    "v0.9.0.a",
    "v1.2.0.a",
    "v1.3.0.a",
    "v2.4.0.a",
    "v2.6.0.a",
    "v3.0.0.a",
    "v3.0.0.b",
    "v3.0.0.c",
    "v3.0.0.d",
    "v3.2.0.a",
)
# What a storage URL may hold in place of the schema version (Optuna's template), e.g.
# "sqlite:///study-{SCHEMA_VERSION}.db": one database file per schema version.
_URL_TEMPLATE_FIELD = "{SCHEMA_VERSION}"


def fill_url_template(url: str) -> str:
    """``url`` with ``{SCHEMA_VERSION}`` replaced by the schema version this tansaku writes.

    Only that exact field is replaced; other braces (say, in a password) stay as they are.
    """
    return url.replace(_URL_TEMPLATE_FIELD, str(SCHEMA_VERSION))


def current_revision(connection: Connection) -> str | None:
    """The alembic revision a database records, or None when it records none."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def prepare(engine: Engine, url: str, create_tables: bool, check: bool) -> None:
    """Create the tables of a new database, then check that its version is the head.

    Raises:
        RuntimeError: the database is at another schema version, or is not a storage database.
    """
    with engine.begin() as connection:
        has_studies = inspect(connection).has_table("studies")
        revision = current_revision(connection)
        if not has_studies and revision is None and create_tables:
            Base.metadata.create_all(connection)
            connection.execute(
                insert(VersionInfoModel).values(
                    version_info_id=1,
                    schema_version=SCHEMA_VERSION,
                    library_version=f"tansaku-{__version__}",
                )
            )
            _stamp_head(connection)
            return
        library_version = _library_version(connection) if revision != HEAD_REVISION else None
    if check:
        check_revision(revision, url, has_studies, library_version)


def check_revision(
    revision: str | None, url: str, has_studies: bool = True, library_version: str | None = None
) -> None:
    """Raise RuntimeError, saying what to do, unless ``revision`` is the head.

    ``library_version`` is the release that wrote the database (version_info), if known.
    """
    if revision == HEAD_REVISION:
        return
    where = f"The database at {redact_url(url)}"
    if revision is None:
        if not has_studies:
            return  # skip_table_creation on an empty database: nothing to check yet
        raise RuntimeError(
            f"{where} has a 'studies' table but records no schema version (no "
            "alembic_version table): it is not a tansaku or Optuna storage database"
        )
    if revision in ALL_REVISIONS:
        written_by = f" (written by {library_version})" if library_version else ""
        raise RuntimeError(
            f"{where} is at schema version {revision}{written_by}, older than the "
            f"{HEAD_REVISION} this tansaku uses. Upgrade it, after a backup, with "
            f"`tansaku storage upgrade --storage {redact_url(url)}` (or in Python: "
            f"tansaku.storages.RDBStorage({redact_url(url)!r}, skip_compatibility_check=True)"
            ".upgrade())"
        )
    raise RuntimeError(
        f"{where} is at schema version {revision!r}, which this tansaku does not know "
        f"(it uses {HEAD_REVISION}): it was written by a newer tansaku or Optuna; upgrade "
        "tansaku to open it"
    )


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate a database up to ``revision`` (the head by default), in one
    transaction: a migration that fails leaves the database as it was (on databases with
    transactional DDL: SQLite and PostgreSQL)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        if revision == "head" and inspect(connection).has_table("version_info"):
            # Optuna names the release that last set the schema up in its error messages.
            connection.execute(
                update(VersionInfoModel).values(
                    schema_version=SCHEMA_VERSION, library_version=f"tansaku-{__version__}"
                )
            )


def _library_version(connection: Connection) -> str | None:
    """The release that wrote the database, as version_info records it ("1.1.0"), or None."""
    if not inspect(connection).has_table("version_info"):
        return None
    found = connection.execute(text("SELECT library_version FROM version_info")).first()
    if found is None or not found[0]:
        return None
    version = str(found[0])
    return version if version.startswith("tansaku") else f"Optuna {version}"


def _stamp_head(connection: Connection) -> None:
    # What `alembic stamp head` writes, without loading the scripts on every new database.
    connection.execute(
        text(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        )
    )
    connection.execute(
        text("INSERT INTO alembic_version (version_num) VALUES (:revision)"),
        {"revision": HEAD_REVISION},
    )
