"""Connections to a tenant's OpenEMR database (SQLAlchemy over PyMySQL) and the schema check."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from clinscribe.errors import ClinscribeError, Unprocessable
from clinscribe.openemr.core.schema import missing

# PyMySQL is the one driver we ship; a URL naming MySQL or MariaDB is pointed at it.
_SCHEMES = {"mysql", "mariadb", "mysql+pymysql", "mariadb+pymysql"}
CONNECT_TIMEOUT_SECONDS = 5


class OpenEmrUnavailable(ClinscribeError):
    """The OpenEMR database could not be reached or failed mid-statement."""

    status_code = 502
    code = "openemr_unavailable"


class OpenEmrSchemaDrift(ClinscribeError):
    """The OpenEMR database lacks a table or column the bridge uses."""

    status_code = 409
    code = "openemr_schema_drift"


@dataclass(frozen=True)
class Target:
    url: URL
    host: str
    port: int
    database: str


def parse_url(raw: str) -> Target:
    """The admin's URL as a PyMySQL URL; a clear 422 for anything that is not one."""
    try:
        url = make_url(raw.strip())
    except ArgumentError as exc:
        raise Unprocessable("database_url is not a database URL") from exc
    if url.drivername not in _SCHEMES:
        raise Unprocessable("database_url must start with mysql:// or mariadb://")
    if not url.host or not url.database:
        raise Unprocessable("database_url must name a host and a database")
    url = url.set(drivername="mysql+pymysql", query={"charset": "utf8mb4"})
    return Target(url=url, host=url.host or "", port=url.port or 3306, database=url.database or "")


def _openemr_session(dbapi_connection: Any, _record: Any) -> None:
    # OpenEMR runs every connection with sql_mode = '' and its data relies on it (zero dates,
    # columns without defaults); writing under MariaDB's strict default would fail where it doesn't.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET SESSION sql_mode = ''")
        cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")


_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


def engine_for(raw_url: str) -> Engine:
    """One pooled engine per distinct URL (the sealed URL is opened per call, not kept)."""
    target = parse_url(raw_url)
    key = target.url.render_as_string(hide_password=False)
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = create_engine(
                target.url,
                pool_pre_ping=True,
                pool_recycle=1800,
                pool_size=2,
                max_overflow=4,
                connect_args={
                    "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                    "read_timeout": 30,
                    "write_timeout": 30,
                },
            )
            event.listen(engine, "connect", _openemr_session)
            _ENGINES[key] = engine
        return engine


def dispose_all() -> None:
    """Close every pooled connection (tests dropping their database, shutdown)."""
    with _LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()


@contextmanager
def connect(raw_url: str) -> Iterator[Connection]:
    """A connection in a transaction: committed on success, rolled back on any error."""
    try:
        with engine_for(raw_url).begin() as conn:
            yield conn
    except DBAPIError as exc:
        # Never the driver's text: it can quote statement values (PHI) or the URL.
        raise OpenEmrUnavailable(
            f"OpenEMR database error ({type(exc.orig).__name__})", code=_code(exc)
        ) from exc
    except SQLAlchemyError as exc:
        raise OpenEmrUnavailable(f"OpenEMR database error ({type(exc).__name__})") from exc


def _code(exc: DBAPIError) -> str | None:
    args = getattr(exc.orig, "args", ())
    number = args[0] if args and isinstance(args[0], int) else None
    # 1044/1045: access denied (bad credentials); 1142/1143: a table or column this user may
    # not use (a GRANT missing); 1049: unknown database; 1054/1146: unknown column or table (the
    # schema is not the one the bridge knows). Everything else reads as unavailable.
    if number in (1044, 1045, 1142, 1143):
        return "openemr_access_denied"
    if number == 1049:
        return "openemr_unknown_database"
    if number in (1054, 1146):
        return "openemr_schema_drift"
    return None


def check_schema(conn: Connection) -> None:
    """Raise `OpenEmrSchemaDrift` naming every missing table or column the bridge uses."""
    rows = conn.execute(
        text(
            "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE()"
        )
    ).all()
    absent = missing((str(r[0]), str(r[1])) for r in rows)
    if absent:
        raise OpenEmrSchemaDrift("OpenEMR schema lacks: " + ", ".join(absent))
