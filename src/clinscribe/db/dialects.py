"""What differs between the databases Clinscribe runs on: SQLite, PostgreSQL, MariaDB/MySQL.

URLs are normalised to the one driver shipped per server (psycopg, PyMySQL), and MySQL-family
connections are set up to behave like PostgreSQL where the code relies on it:

- utf8mb4 throughout, and tables in a binary, no-pad collation: 'abc' and 'ABC' (and 'abc ')
  are different values, as on PostgreSQL. A case-insensitive collation would let an OIDC
  subject or any other case-sensitive key match another row's.
- strict SQL mode: an over-long or malformed value is an error, never silently truncated.
- READ COMMITTED, PostgreSQL's default: the job claim and the audit head lock are written for
  it, and it avoids InnoDB's gap locks, which deadlock concurrent inserts into a unique index.
- the session time zone is UTC, so server-side NOW() agrees with the stored UTC datetimes.
- unsized TEXT and BLOB are LONGTEXT/LONGBLOB: MySQL's plain TEXT stops at 64 KB, less than a
  sealed hour-long transcript. This applies to every model and migration, present and future.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, LargeBinary, Text, text
from sqlalchemy.dialects.mysql.base import MySQLTypeCompiler
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.compiler import compiles

from clinscribe.errors import ConfigError

MYSQL_DIALECTS = frozenset({"mysql", "mariadb"})
MYSQL_SCHEMES = frozenset({"mysql", "mariadb", "mysql+pymysql", "mariadb+pymysql"})

# No ANSI_QUOTES: SQLAlchemy quotes identifiers with backticks and literals with single quotes.
SQL_MODE = (
    "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION"
)
CHARSET = "utf8mb4"
# Binary and NO PAD: byte-for-byte equality, like PostgreSQL's default collation for `=`.
MARIADB_COLLATION = "utf8mb4_nopad_bin"
MYSQL_COLLATION = "utf8mb4_0900_bin"
# Below the server's default wait_timeout (8 h) and typical proxy idle limits.
POOL_RECYCLE_SECONDS = 1800


def is_mysql(dialect_name: str) -> bool:
    return dialect_name in MYSQL_DIALECTS


def normalise_url(raw: str) -> str:
    """The URL with the shipped driver named: `postgresql://` -> psycopg, `mysql://` and
    `mariadb://` -> PyMySQL with utf8mb4. Other URLs (SQLite) are returned unchanged.

    A MySQL-family URL naming another driver or no database is a `ConfigError`: PyMySQL is
    the one driver shipped, and without a database every statement fails later, less clearly.
    """
    if raw.startswith("postgresql://"):
        return "postgresql+psycopg://" + raw.removeprefix("postgresql://")
    scheme = raw.split("://", 1)[0]
    if scheme.split("+", 1)[0] not in MYSQL_DIALECTS:
        return raw
    if scheme not in MYSQL_SCHEMES:
        raise ConfigError(
            "CLINSCRIBE_DATABASE_URL: MariaDB/MySQL URLs use PyMySQL; "
            "start them with mysql:// or mariadb://"
        )
    try:
        url: URL = make_url(raw)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise ConfigError("CLINSCRIBE_DATABASE_URL is not a database URL") from exc
    if not url.host or not url.database:
        raise ConfigError(
            "CLINSCRIBE_DATABASE_URL must name a host and a database "
            "(mysql://user:password@host:3306/clinscribe)"
        )
    query = dict(url.query)
    query["charset"] = CHARSET
    url = url.set(drivername="mysql+pymysql", query=query)
    return url.render_as_string(hide_password=False)


def engine_options(url: str) -> dict[str, Any]:
    """`create_engine` keyword arguments for a normalised server URL."""
    options: dict[str, Any] = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}
    if url.startswith("mysql+pymysql://"):
        options.update(
            pool_recycle=POOL_RECYCLE_SECONDS,
            isolation_level="READ COMMITTED",
            connect_args={
                "charset": CHARSET,
                "sql_mode": SQL_MODE,
                "init_command": "SET time_zone = '+00:00'",
            },
        )
    return options


def collation_for(connection: Connection) -> str:
    is_mariadb = bool(getattr(connection.dialect, "is_mariadb", False))
    return MARIADB_COLLATION if is_mariadb else MYSQL_COLLATION


def ensure_database_collation(connection: Connection) -> None:
    """Make the current database's defaults utf8mb4 and binary before tables are created.

    Tables take the database's default collation when created; the server default
    (utf8mb4_general_ci on MariaDB) is case-insensitive. ALTER DATABASE commits implicitly;
    the caller ends the transaction the check began. Changes nothing once the defaults are right.
    """
    wanted = collation_for(connection)
    current, name = connection.execute(text("SELECT @@collation_database, DATABASE()")).one()
    if current != wanted:
        quoted = connection.dialect.identifier_preparer.quote_identifier(str(name))
        connection.exec_driver_sql(
            f"ALTER DATABASE {quoted} CHARACTER SET {CHARSET} COLLATE {wanted}"
        )


@compiles(Text, "mysql")
@compiles(Text, "mariadb")
def _long_text(type_: Text, compiler: MySQLTypeCompiler, **kw: Any) -> str:
    if type_.length is None:
        return "LONGTEXT"
    return compiler.visit_TEXT(type_, **kw)  # type: ignore[arg-type]  # the generic Text


@compiles(LargeBinary, "mysql")
@compiles(LargeBinary, "mariadb")
def _long_blob(type_: LargeBinary, compiler: MySQLTypeCompiler, **kw: Any) -> str:
    if type_.length is None:
        return "LONGBLOB"
    return compiler.visit_BLOB(type_, **kw)
