"""A fresh OpenEMR-shaped MariaDB database per test, with made-up accounts and patients.

The tables come from `openemr_subset.sql` (this project's own DDL for the part of OpenEMR the
bridge touches); the rows are synthetic. MariaDB must be running: the tests fail, never skip.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pymysql
import pytest

from clinscribe.openemr.connection import dispose_all
from clinscribe.openemr.core.hashes import openemr_bcrypt

MARIADB = os.environ.get("CLINSCRIBE_TEST_MARIADB", "mysql://root@127.0.0.1:3306")
DDL = Path(__file__).with_name("openemr_subset.sql")

PASSWORDS = {
    "admin": "pass",
    "physician": "Physician-Pass-1",
    "legacybf": "legacy-pass",
    "legacy": "sha1-pass",
    "oldmd5": "md5-pass",
    "retired": "Retired-Pass-1",
}


def _legacy_bcrypt(plain: str) -> str:
    """What OpenEMR 4.1.2 stored: crypt(plain, '$2a$05$' + 21 salt chars + '$')."""
    salt = b"$2a$05$" + b"fN04ovuQan2/aipyY4M7r" + b"."
    return bcrypt.hashpw(plain.encode(), salt).decode()


def _rows() -> list[tuple[str, tuple[object, ...]]]:
    p = PASSWORDS
    sha1_salt = "$SHA1$WPd9Nce.XdL/ZuCl8Tf1E"
    salted = (
        "$SHA1$"
        + hashlib.sha1((sha1_salt + p["legacy"]).encode(), usedforsecurity=False).hexdigest()
    )
    md5 = hashlib.md5(p["oldmd5"].encode(), usedforsecurity=False).hexdigest()
    users = (
        "INSERT INTO users (id, username, password, authorized, fname, lname, facility_id, "
        "active, npi) VALUES (%s, %s, %s, %s, %s, %s, 3, %s, %s)"
    )
    secure = "INSERT INTO users_secure (id, username, password) VALUES (%s, %s, %s)"
    patient = (
        "INSERT INTO patient_data (pid, pubpid, fname, mname, lname, DOB, sex, uuid) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    )
    encounter = (
        "INSERT INTO form_encounter (date, reason, facility, facility_id, pid, encounter, "
        "provider_id, uuid) VALUES (%s, %s, 'Riverside Clinic', 3, %s, %s, 2, %s)"
    )
    return [
        ("INSERT INTO sequences (id) VALUES (3)", ()),
        (
            "INSERT INTO facility (id, name, city, state) "
            "VALUES (3, 'Riverside Clinic', 'Ely', 'NV')",
            (),
        ),
        (users, (1, "admin", "NoLongerUsed", 1, "Administrator", "", 1, None)),
        (users, (2, "physician", "NoLongerUsed", 1, "Nadia", "Quill", 1, "1234567893")),
        (users, (3, "legacy", "NoLongerUsed", 0, "Lena", "Oldham", 1, None)),
        (users, (4, "legacybf", "NoLongerUsed", 1, "Bram", "Fenwick", 1, None)),
        (users, (5, "oldmd5", md5, 0, "Otto", "Marsh", 1, None)),
        (users, (6, "retired", "NoLongerUsed", 1, "Rita", "Vale", 0, None)),
        (secure, (1, "admin", openemr_bcrypt(p["admin"], rounds=4))),
        (secure, (2, "physician", openemr_bcrypt(p["physician"], rounds=4))),
        (secure, (3, "legacy", salted)),
        (secure, (4, "legacybf", _legacy_bcrypt(p["legacybf"]))),
        (secure, (6, "retired", openemr_bcrypt(p["retired"], rounds=4))),
        (patient, (1, "MRN-1001", "Ivy", "", "Harlow", "1961-04-02", "Female", uuid.uuid4().bytes)),
        (patient, (2, "MRN-1002", "Omar", "J", "Benali", "1978-11-23", "Male", uuid.uuid4().bytes)),
        (patient, (3, "3", "Kit", "", "Sorensen", "2001-07-09", "", uuid.uuid4().bytes)),
        (encounter, ("2026-11-30 09:15:00", "Cough", 1, 2, uuid.uuid4().bytes)),
        (encounter, ("2026-12-01 14:00:00", "Knee pain", 2, 3, uuid.uuid4().bytes)),
    ]


def ddl_statements() -> list[str]:
    """The CREATE TABLE statements of the subset DDL (comment lines dropped)."""
    text = "\n".join(ln for ln in DDL.read_text().splitlines() if not ln.startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def _server() -> dict[str, object]:
    rest = MARIADB.split("://", 1)[1]
    user, _, hostport = rest.rpartition("@")
    host, _, port = hostport.partition(":")
    return {"host": host, "port": int(port or 3306), "user": user or "root", "password": ""}


@pytest.fixture
def openemr_url() -> Iterator[str]:
    """A database created for this test, loaded with the subset DDL and the rows above."""
    name = f"openemr_it_{uuid.uuid4().hex[:8]}"
    admin = pymysql.connect(**_server(), autocommit=True)  # type: ignore[arg-type]
    try:
        with admin.cursor() as cur:
            cur.execute(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
            )
        db = pymysql.connect(**_server(), database=name, autocommit=True)  # type: ignore[arg-type]
        with db.cursor() as cur:
            for statement in ddl_statements():
                cur.execute(statement)
            for sql, args in _rows():
                cur.execute(sql, args)
        db.close()
        yield f"{MARIADB}/{name}"
    finally:
        dispose_all()
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


def raw(url: str) -> pymysql.Connection:  # type: ignore[type-arg]
    """A direct connection to the test database (to inspect or break it)."""
    name = url.rsplit("/", 1)[1]
    return pymysql.connect(**_server(), database=name, autocommit=True)  # type: ignore[arg-type]
