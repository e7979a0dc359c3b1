"""The OpenEMR tables and columns the bridge reads or writes, and what a database lacks of them.

Only columns present since OpenEMR 7.0.0 are listed (see the fixture README's release table), so a
7.0.x database that has not taken the later upgrades still passes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# The bridge's own bookkeeping table lives in the OpenEMR database, created on first write-back.
LEDGER_TABLE = "clinscribe_writeback"
# And the encounters write-back created for encounters that began in Clinscribe.
ENCOUNTER_LEDGER_TABLE = "clinscribe_encounter"

REQUIRED: Mapping[str, tuple[str, ...]] = {
    "users": (
        "id",
        "uuid",
        "username",
        "fname",
        "lname",
        "email",
        "authorized",
        "active",
        "facility_id",
        "npi",
    ),
    "users_secure": ("id", "username", "password"),
    "facility": ("id", "name", "city", "state"),
    # `uuid` is the FHIR id a SMART launch names the patient and encounter by.
    "patient_data": ("id", "uuid", "pid", "pubpid", "fname", "mname", "lname", "DOB", "sex"),
    "form_encounter": (
        "id",
        "uuid",
        "date",
        "reason",
        "facility",
        "facility_id",
        "pid",
        "encounter",
        "sensitivity",
        "pc_catid",
        "provider_id",
        "class_code",
    ),
    "forms": (
        "id",
        "date",
        "encounter",
        "form_name",
        "form_id",
        "pid",
        "user",
        "groupname",
        "authorized",
        "deleted",
        "formdir",
    ),
    "form_soap": (
        "id",
        "date",
        "pid",
        "user",
        "groupname",
        "authorized",
        "activity",
        "subjective",
        "objective",
        "assessment",
        "plan",
    ),
    "form_vitals": (
        "id",
        "uuid",
        "date",
        "pid",
        "user",
        "groupname",
        "authorized",
        "activity",
        "bps",
        "bpd",
        "weight",
        "height",
        "temperature",
        "pulse",
        "respiration",
        "BMI",
        "oxygen_saturation",
    ),
    "lists": (
        "id",
        "uuid",
        "date",
        "type",
        "title",
        "begdate",
        "enddate",
        "diagnosis",
        "activity",
        "comments",
        "pid",
        "user",
        "groupname",
    ),
    "sequences": ("id",),
}


def missing(present: Iterable[tuple[str, str]]) -> list[str]:
    """`table` or `table.column` for each required item absent from (table, column) pairs.

    Names compare case-insensitively, as MariaDB does on the default (Linux, lower-case-table-names
    0) install for columns; table names are matched case-insensitively too, to name drift plainly.
    """
    have: dict[str, set[str]] = {}
    for table, column in present:
        have.setdefault(table.lower(), set()).add(column.lower())
    out: list[str] = []
    for table, columns in REQUIRED.items():
        cols = have.get(table.lower())
        if cols is None:
            out.append(table)
            continue
        out.extend(f"{table}.{c}" for c in columns if c.lower() not in cols)
    return out
