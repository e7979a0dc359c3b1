"""The rows OpenEMR's own forms write, written the way OpenEMR writes them.

Each function runs inside the caller's transaction (write-back commits or rolls back all of
them together). Form ids come from OpenEMR's shared `sequences` counter, as `ORDataObject`
does; the `forms` row that attaches a form to an encounter is `addForm()`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from clinscribe.openemr.core.ids import comb_uuid
from clinscribe.openemr.core.lists import ListItem
from clinscribe.openemr.core.soap import SoapForm
from clinscribe.openemr.core.vitals import VitalsForm

# `groups` is outside what the bridge reads; a fresh install puts every user in 'Default'.
GROUP = "Default"
OFFICE_VISIT = 5  # pc_catid of the "Office Visit" calendar category of a fresh install


@dataclass(frozen=True)
class Author:
    """The signing clinician's OpenEMR account."""

    id: int
    username: str
    authorized: int
    facility_id: int


def generate_id(conn: Connection) -> int:
    """OpenEMR's `generate_id()`: the shared counter encounters and form ids come from.

    `LAST_INSERT_ID(expr)` makes the new value this connection's own, so two writers never get
    the same number; the row lock is held until the transaction ends, and a rolled-back
    transaction gives its number back.
    """
    conn.execute(text("UPDATE sequences SET id = LAST_INSERT_ID(id + 1)"))
    return int(conn.execute(text("SELECT LAST_INSERT_ID()")).scalar_one())


def attach(
    conn: Connection,
    *,
    author: Author,
    pid: int,
    encounter: int,
    form: tuple[str, str, int],
    date: datetime | None = None,
) -> int:
    """`addForm()`: the `forms` row for (form_name, formdir, form_id); returns `forms.id`."""
    name, formdir, form_id = form
    result = conn.execute(
        text(
            "INSERT INTO forms (date, encounter, form_name, form_id, pid, user, groupname, "
            "authorized, formdir) VALUES "
            "(COALESCE(:date, NOW()), :enc, :name, :form_id, :pid, :user, :grp, :auth, :dir)"
        ),
        {
            "date": date,
            "enc": encounter,
            "name": name,
            "form_id": form_id,
            "pid": pid,
            "user": author.username,
            "grp": GROUP,
            "auth": author.authorized,
            "dir": formdir,
        },
    )
    return int(result.lastrowid)


def create_encounter(
    conn: Connection,
    *,
    author: Author,
    pid: int,
    when: datetime,
    reason: str,
    facility: tuple[int, str | None],
) -> tuple[int, int, int]:
    """A new encounter as the encounter form saves it: (encounter number, form_encounter.id,
    forms.id). The number comes from `generate_id()`, like every encounter OpenEMR makes."""
    number = generate_id(conn)
    facility_id, facility_name = facility
    result = conn.execute(
        text(
            "INSERT INTO form_encounter (uuid, date, reason, facility, facility_id, pid, "
            "encounter, sensitivity, pc_catid, provider_id, class_code) VALUES "
            "(:uuid, :date, :reason, :fname, :fid, :pid, :enc, 'normal', :cat, :prov, 'AMB')"
        ),
        {
            "uuid": comb_uuid(),
            "date": when,
            "reason": reason,
            "fname": facility_name,
            "fid": facility_id,
            "pid": pid,
            "enc": number,
            "cat": OFFICE_VISIT,
            "prov": author.id,
        },
    )
    form_encounter_id = int(result.lastrowid)
    forms_id = attach(
        conn,
        author=author,
        pid=pid,
        encounter=number,
        form=("New Patient Encounter", "newpatient", form_encounter_id),
        date=when,
    )
    return number, form_encounter_id, forms_id


def add_soap(
    conn: Connection, *, author: Author, pid: int, encounter: int, soap: SoapForm
) -> tuple[int, int]:
    """A `form_soap` row and its `forms` row: (form_soap.id, forms.id)."""
    soap_id = generate_id(conn)
    conn.execute(
        text(
            "INSERT INTO form_soap (id, date, pid, user, groupname, authorized, activity, "
            "subjective, objective, assessment, plan) VALUES "
            "(:id, NOW(), :pid, :user, :grp, :auth, 1, :s, :o, :a, :p)"
        ),
        {
            "id": soap_id,
            "pid": pid,
            "user": author.username,
            "grp": GROUP,
            "auth": author.authorized,
            "s": soap.subjective,
            "o": soap.objective,
            "a": soap.assessment,
            "p": soap.plan,
        },
    )
    forms_id = attach(
        conn, author=author, pid=pid, encounter=encounter, form=("SOAP", "soap", soap_id)
    )
    return soap_id, forms_id


def add_vitals(
    conn: Connection, *, author: Author, pid: int, encounter: int, vitals: VitalsForm
) -> tuple[int, int]:
    """A `form_vitals` row (lb, in, °F) and its `forms` row: (form_vitals.id, forms.id)."""
    vitals_id = generate_id(conn)
    values = vitals.columns()
    names = ", ".join(f"`{c}`" for c in values)
    params = ", ".join(f":{c}" for c in values)
    conn.execute(
        text(
            "INSERT INTO form_vitals (id, uuid, date, pid, user, groupname, authorized, "  # noqa: S608  # nosec B608 - column names are VitalsForm fields
            f"activity, {names}) VALUES (:id, :uuid, NOW(), :pid, :user, :grp, :auth, 1, {params})"
        ),
        {
            "id": vitals_id,
            "uuid": comb_uuid(),
            "pid": pid,
            "user": author.username,
            "grp": GROUP,
            "auth": author.authorized,
            **values,
        },
    )
    forms_id = attach(
        conn, author=author, pid=pid, encounter=encounter, form=("Vitals", "vitals", vitals_id)
    )
    return vitals_id, forms_id


def add_list_items(conn: Connection, *, author: Author, pid: int, items: list[ListItem]) -> int:
    """Add each item the chart does not already list as active; returns how many were added."""
    added = 0
    for item in items:
        # The collation compares titles case-insensitively, as a clinician reading the list would.
        present = conn.execute(
            text(
                "SELECT 1 FROM lists WHERE pid = :pid AND type = :type AND title = :title "
                "AND activity = 1 AND enddate IS NULL LIMIT 1"
            ),
            {"pid": pid, "type": item.type, "title": item.title},
        ).first()
        if present:
            continue
        conn.execute(
            text(
                "INSERT INTO lists (uuid, date, type, title, begdate, diagnosis, activity, "
                "comments, pid, user, groupname) VALUES "
                "(:uuid, NOW(), :type, :title, NOW(), :dx, 1, :comments, :pid, :user, :grp)"
            ),
            {
                "uuid": comb_uuid(),
                "type": item.type,
                "title": item.title,
                "dx": item.diagnosis or "",
                "comments": "Accepted in a signed Clinscribe note.",
                "pid": pid,
                "user": author.username,
                "grp": GROUP,
            },
        )
        added += 1
    return added
