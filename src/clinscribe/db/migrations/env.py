"""Alembic environment: batch mode everywhere so SQLite can alter tables too."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from clinscribe.db import dialects, models  # noqa: F401  (registers the tables)
from clinscribe.db.base import Base
from clinscribe.db.session import get_engine

config = context.config


def _run(connection: Connection) -> None:
    if dialects.is_mysql(connection.dialect.name):
        dialects.ensure_database_collation(connection)
        # End the transaction the check began: with one open, Alembic would leave its own
        # version-table writes for a commit nobody makes.
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("sqlalchemy.url is not set")
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with get_engine(url).connect() as conn:
        _run(conn)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
