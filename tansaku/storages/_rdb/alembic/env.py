"""Alembic environment of the storage schema: runs on the connection tansaku hands it."""

from __future__ import annotations

from alembic import context


def _run() -> None:
    connection = context.config.attributes["connection"]
    # Batch mode lets ALTER-style operations work on SQLite (it rebuilds the table).
    context.configure(connection=connection, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


_run()
