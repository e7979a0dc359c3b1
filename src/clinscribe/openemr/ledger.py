"""The bridge's own tables in the OpenEMR database: what was written, once, and where.

`clinscribe_writeback` has one row per signed note version (unique key on note and version),
written in the same transaction as the forms it records, so a retried or duplicated write finds
its row and writes nothing twice. `clinscribe_encounter` does the same for the encounters
write-back creates for encounters that began in Clinscribe (unique key on our encounter id).
Both are created on first use; a site whose write-back user may not create tables creates them
beforehand from `DDL` (the README prints it).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, RowMapping, text

from clinscribe.openemr.connection import connect
from clinscribe.openemr.core.schema import ENCOUNTER_LEDGER_TABLE, LEDGER_TABLE

DDL: Mapping[str, str] = {
    LEDGER_TABLE: """
CREATE TABLE IF NOT EXISTS `clinscribe_writeback` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `note_id` varchar(36) NOT NULL,
  `note_version` int(11) NOT NULL,
  `pid` bigint(20) NOT NULL,
  `encounter` bigint(20) NOT NULL,
  `form_soap_id` bigint(20) NOT NULL,
  `forms_id` bigint(20) NOT NULL,
  `form_vitals_id` bigint(20) DEFAULT NULL,
  `vitals_forms_id` bigint(20) DEFAULT NULL,
  `vitals_digest` char(64) DEFAULT NULL,
  `lists_added` int(11) NOT NULL DEFAULT 0,
  `superseded_by_version` int(11) DEFAULT NULL,
  `written_at` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_note_version` (`note_id`, `note_version`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci""",
    ENCOUNTER_LEDGER_TABLE: """
CREATE TABLE IF NOT EXISTS `clinscribe_encounter` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `encounter_id` varchar(36) NOT NULL,
  `pid` bigint(20) NOT NULL,
  `encounter` bigint(20) NOT NULL,
  `form_encounter_id` bigint(20) NOT NULL,
  `forms_id` bigint(20) NOT NULL,
  `created_at` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_encounter_id` (`encounter_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci""",
}

# Columns later than the first ledger (a database written by an earlier release gains them).
_ADDED = {
    "form_vitals_id": "bigint(20) DEFAULT NULL",
    "vitals_forms_id": "bigint(20) DEFAULT NULL",
    "vitals_digest": "char(64) DEFAULT NULL",
    "lists_added": "int(11) NOT NULL DEFAULT 0",
}

_READY: set[str] = set()
_LOCK = threading.Lock()


def ensure(url: str) -> None:
    """Create the ledger tables if missing (once per process and database).

    DDL commits implicitly in MariaDB, so it never shares a write's transaction. Existing tables
    are not touched with DDL at all, so a user without CREATE works once they exist.
    """
    with _LOCK:
        if url in _READY:
            return
    with connect(url) as conn:
        rows = conn.execute(
            text(
                "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (:a, :b)"
            ),
            {"a": LEDGER_TABLE, "b": ENCOUNTER_LEDGER_TABLE},
        ).all()
        have: dict[str, set[str]] = {}
        for table, column in rows:
            have.setdefault(str(table).lower(), set()).add(str(column).lower())
        for table, ddl in DDL.items():
            if table not in have:
                conn.execute(text(ddl))
        old = have.get(LEDGER_TABLE)
        if old is not None:
            for column, spec in _ADDED.items():
                if column not in old:
                    conn.execute(text(f"ALTER TABLE `{LEDGER_TABLE}` ADD COLUMN `{column}` {spec}"))
    with _LOCK:
        _READY.add(url)


def forget() -> None:
    """Forget which databases have their tables (tests that drop and recreate databases)."""
    with _LOCK:
        _READY.clear()


@dataclass(frozen=True)
class Written:
    """A ledger row: the forms one signed note version became."""

    encounter: int
    form_soap_id: int
    forms_id: int
    form_vitals_id: int | None
    vitals_forms_id: int | None
    vitals_digest: str | None
    lists_added: int


def _written(row: RowMapping) -> Written:
    def opt(key: str) -> int | None:
        value = row[key]
        return None if value is None else int(str(value))

    return Written(
        encounter=int(str(row["encounter"])),
        form_soap_id=int(str(row["form_soap_id"])),
        forms_id=int(str(row["forms_id"])),
        form_vitals_id=opt("form_vitals_id"),
        vitals_forms_id=opt("vitals_forms_id"),
        vitals_digest=None if row["vitals_digest"] is None else str(row["vitals_digest"]),
        lists_added=int(str(row["lists_added"])),
    )


_COLUMNS = (
    "encounter, form_soap_id, forms_id, form_vitals_id, vitals_forms_id, vitals_digest, lists_added"
)


def find(conn: Connection, note_id: str, version: int) -> Written | None:
    """The row of this note version, if it was written."""
    row = (
        conn.execute(
            text(
                f"SELECT {_COLUMNS} FROM clinscribe_writeback "  # noqa: S608  # nosec B608 - constant columns
                "WHERE note_id = :n AND note_version = :v"
            ),
            {"n": note_id, "v": version},
        )
        .mappings()
        .first()
    )
    return None if row is None else _written(row)


def latest_before(conn: Connection, note_id: str, version: int) -> Written | None:
    """The newest written version of this note before `version` (what an amendment supersedes)."""
    row = (
        conn.execute(
            text(
                f"SELECT {_COLUMNS} FROM clinscribe_writeback "  # noqa: S608  # nosec B608 - constant columns
                "WHERE note_id = :n AND note_version < :v ORDER BY note_version DESC LIMIT 1"
            ),
            {"n": note_id, "v": version},
        )
        .mappings()
        .first()
    )
    return None if row is None else _written(row)


def record(conn: Connection, note_id: str, version: int, pid: int, written: Written) -> None:
    """Mark earlier versions superseded and add this version's row (same transaction)."""
    conn.execute(
        text(
            "UPDATE clinscribe_writeback SET superseded_by_version = :v "
            "WHERE note_id = :n AND note_version < :v AND superseded_by_version IS NULL"
        ),
        {"n": note_id, "v": version},
    )
    conn.execute(
        text(
            "INSERT INTO clinscribe_writeback (note_id, note_version, pid, encounter, "
            "form_soap_id, forms_id, form_vitals_id, vitals_forms_id, vitals_digest, "
            "lists_added) VALUES (:n, :v, :pid, :enc, :soap, :forms, :vit, :vforms, :digest, "
            ":lists)"
        ),
        {
            "n": note_id,
            "v": version,
            "pid": pid,
            "enc": written.encounter,
            "soap": written.form_soap_id,
            "forms": written.forms_id,
            "vit": written.form_vitals_id,
            "vforms": written.vitals_forms_id,
            "digest": written.vitals_digest,
            "lists": written.lists_added,
        },
    )


def encounter_for(conn: Connection, encounter_id: str) -> int | None:
    """The OpenEMR encounter number write-back created for our encounter, if any."""
    value = conn.execute(
        text("SELECT encounter FROM clinscribe_encounter WHERE encounter_id = :e"),
        {"e": encounter_id},
    ).scalar()
    return None if value is None else int(value)


def record_encounter(
    conn: Connection, encounter_id: str, pid: int, encounter: int, ids: tuple[int, int]
) -> None:
    """Remember the encounter created for ours (its form_encounter and forms row ids)."""
    conn.execute(
        text(
            "INSERT INTO clinscribe_encounter (encounter_id, pid, encounter, form_encounter_id, "
            "forms_id) VALUES (:e, :pid, :enc, :fe, :forms)"
        ),
        {"e": encounter_id, "pid": pid, "enc": encounter, "fe": ids[0], "forms": ids[1]},
    )
