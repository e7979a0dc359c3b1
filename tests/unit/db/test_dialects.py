"""Database URLs, engine options and the MySQL-family column types."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, LargeBinary, MetaData, String, Table, Text
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.dialects.mysql.mariadb import MariaDBDialect
from sqlalchemy.schema import CreateTable

from clinscribe.db import dialects
from clinscribe.db.base import UTCDateTime
from clinscribe.db.session import get_engine
from clinscribe.errors import ConfigError


@pytest.mark.parametrize(
    "raw",
    [
        "mysql://clin:s3cret@db.example:3306/clinscribe",
        "mariadb://clin:s3cret@db.example:3306/clinscribe",
        "mysql+pymysql://clin:s3cret@db.example:3306/clinscribe",
        "mariadb+pymysql://clin:s3cret@db.example:3306/clinscribe",
        "mysql://clin:s3cret@db.example:3306/clinscribe?charset=latin1",
    ],
)
def test_every_mysql_family_url_is_pointed_at_pymysql_with_utf8mb4(raw: str) -> None:
    assert dialects.normalise_url(raw) == (
        "mysql+pymysql://clin:s3cret@db.example:3306/clinscribe?charset=utf8mb4"
    )


def test_a_password_with_url_escapes_survives_normalisation() -> None:
    url = dialects.normalise_url("mysql://clin:p%40ss%2Fw@db.example/clinscribe")
    assert url == "mysql+pymysql://clin:p%40ss%2Fw@db.example/clinscribe?charset=utf8mb4"


def test_postgresql_and_sqlite_urls_are_unchanged_but_for_the_driver() -> None:
    assert dialects.normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert dialects.normalise_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert dialects.normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_mysql_engines_are_strict_utc_read_committed_and_recycled() -> None:
    options = dialects.engine_options("mysql+pymysql://u@h/db?charset=utf8mb4")
    assert options["isolation_level"] == "READ COMMITTED"
    assert options["pool_pre_ping"] is True
    assert 0 < options["pool_recycle"] < 8 * 3600
    args = options["connect_args"]
    assert args["charset"] == "utf8mb4"
    assert "STRICT_ALL_TABLES" in args["sql_mode"] and "ANSI_QUOTES" not in args["sql_mode"]
    assert "time_zone = '+00:00'" in args["init_command"]
    assert "isolation_level" not in dialects.engine_options("postgresql+psycopg://u@h/db")


def _ddl(dialect: object) -> str:
    table = Table(
        "t",
        MetaData(),
        Column("body", Text()),
        Column("small", Text(1000)),
        Column("blob", LargeBinary()),
        Column("at", UTCDateTime()),
        Column("key", String(64)),
    )
    return str(CreateTable(table).compile(dialect=dialect))  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", [mysql.dialect(), MariaDBDialect()])
def test_unsized_text_and_blobs_are_long_on_mysql_and_datetimes_keep_microseconds(
    dialect: object,
) -> None:
    ddl = _ddl(dialect).replace("`", "")
    assert "body LONGTEXT" in ddl
    assert "small TEXT(1000)" in ddl
    assert "blob LONGBLOB" in ddl
    assert "at DATETIME(6)" in ddl
    assert "key VARCHAR(64)" in ddl


def test_other_databases_keep_their_text_and_blob_types() -> None:
    pg = _ddl(postgresql.dialect())
    assert "body TEXT" in pg and "blob BYTEA" in pg and "LONG" not in pg
    lite = _ddl(sqlite.dialect())
    assert "body TEXT" in lite and "blob BLOB" in lite and "LONG" not in lite


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("mysql+mysqldb://u:p@db.example/clinscribe", "use PyMySQL"),
        ("mariadb+mariadbconnector://u:p@db.example/clinscribe", "use PyMySQL"),
        ("mysql://u:p@db.example:3306", "must name a host and a database"),
        ("mysql://u:p@db.example:3306/", "must name a host and a database"),
        ("mariadb:///clinscribe", "must name a host and a database"),
        ("mysql://u:p@db.example:notaport/clinscribe", "is not a database URL"),
    ],
)
def test_a_mysql_url_without_a_database_or_with_another_driver_is_a_config_error(
    raw: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        dialects.normalise_url(raw)
    assert says in str(caught.value)
    assert "p@" not in str(caught.value)  # the password is never echoed


def test_an_engine_for_a_bad_mysql_url_is_refused_before_connecting() -> None:
    with pytest.raises(ConfigError):
        get_engine("mysql://clin:secret@db.example")
