"""Operations shared by migrations where the databases differ (rules: docs/architecture.md,
"Databases")."""

from __future__ import annotations

from alembic import op

from clinscribe.db.dialects import is_mysql


def on_mysql() -> bool:
    """Whether the migration runs against MariaDB/MySQL."""
    return is_mysql(op.get_bind().dialect.name)


def drop_indexes(table: str, *names: str) -> None:
    """Drop indexes of a table that is dropped next.

    Skipped on MariaDB/MySQL: it refuses to drop an index a foreign key needs, and dropping
    the table drops its indexes anyway.
    """
    if on_mysql():
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in names:
            batch_op.drop_index(name)
