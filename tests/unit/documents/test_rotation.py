"""Key rotation re-seals documents: their page text, results, facts and stored files."""

from __future__ import annotations

import base64
import os
import shutil
import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.maintenance import rotation
from tests.conftest import make_settings
from tests.support import build_tenant
from tests.unit.documents import samples
from tests.unit.documents.test_api import ingest

COLUMNS = (
    ("documents", "filename"),
    ("document_pages", "text"),
    ("document_pages", "words_json"),
    ("lab_observations", "value_printed"),
    ("document_facts", "text"),
)


def _key(kid: str) -> str:
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def _kids(db: Path) -> set[str]:
    con = sqlite3.connect(db)
    try:
        found: set[str] = set()
        for table, column in COLUMNS:
            rows = con.execute(f"SELECT {column} FROM {table}").fetchall()
            assert rows, table
            found |= {value.split(":")[1] for (value,) in rows}
        return found
    finally:
        con.close()


def test_rotation_moves_document_rows_and_files_to_the_new_key(
    tmp_path: Path, sqlite_template: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(sqlite_template, data / "clinscribe.db")
    old, new = _key("k1"), _key("k2")
    before = make_settings(data, encryption_keys=[old])
    world = build_tenant(before)
    pdf = samples.text_pdf([samples.LAB_LINES])
    with TestClient(create_app(before, start_worker=False)) as client:
        report = ingest(client, before, world, pdf)
        ingest(client, before, world, samples.LETTER.encode())
    assert _kids(data / "clinscribe.db") == {"k1"}
    after = make_settings(data, encryption_keys=[new, old])
    summary = rotation.rotate(after).as_dict()
    assert summary["tables"]["document_pages"]["resealed"] == 2
    assert summary["tables"]["blobs"]["resealed"] >= 2
    assert _kids(data / "clinscribe.db") == {"k2"}
    only_new = make_settings(data, encryption_keys=[new])
    with TestClient(create_app(only_new, start_worker=False)) as client:
        headers = world.auth("clinician")
        page = client.get(f"/api/v1/documents/{report}/pages/1", headers=headers).json()
        assert "Glucose" in page["text"]
        link = client.get(f"/api/v1/documents/{report}/download-url", headers=headers).json()
        assert client.get(link["url"]).content == pdf
