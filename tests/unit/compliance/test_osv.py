"""The offline dependency audit against a small OSV database written here."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from clinscribe.compliance import osv
from clinscribe.compliance.results import EvidenceError
from tests.unit.compliance.conftest import Cli

LOCK = """# a lock file as uv writes it
Flask-Login==0.6.2
    # via app
jinja2==3.1.2
zope.interface==6.0
requests[socks]==2.31.0 ; python_version >= "3.8"
urllib3==2.0.7 \\
    --hash=sha256:abc
"""


def advisory(ident: str, name: str, **affected: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "aliases": [f"CVE-{ident}"],
        "summary": f"problem {ident}",
        "affected": [{"package": {"ecosystem": "PyPI", "name": name}, **affected}],
    }


def ecosystem(*events: dict[str, str]) -> list[dict[str, Any]]:
    return [{"type": "ECOSYSTEM", "events": list(events)}]


ADVISORIES = [
    # introduced/fixed: 3.1.2 sits inside [3.0, 3.1.3)
    advisory("A-1", "Jinja2", ranges=ecosystem({"introduced": "3.0"}, {"fixed": "3.1.3"})),
    # already fixed below our pin
    advisory("A-2", "jinja2", ranges=ecosystem({"introduced": "0"}, {"fixed": "2.11.3"})),
    # last_affected is inclusive: 6.0 is affected, and the name normalises (zope-interface)
    advisory(
        "A-3", "zope_interface", ranges=ecosystem({"introduced": "5.0"}, {"last_affected": "6.0"})
    ),
    # last_affected below the pin: not affected
    advisory("A-4", "urllib3", ranges=ecosystem({"introduced": "0"}, {"last_affected": "2.0.6"})),
    # an explicit versions list, no ranges (flask_login == Flask-Login)
    advisory("A-5", "flask_login", versions=["0.6.1", "0.6.2"]),
    # two ranges: the pin falls in the gap between them
    advisory(
        "A-6",
        "requests",
        ranges=ecosystem(
            {"introduced": "0"}, {"fixed": "2.20.0"}, {"introduced": "2.32.0"}, {"fixed": "2.32.2"}
        ),
    ),
    # another ecosystem with the same name
    {
        **advisory("A-7", "requests"),
        "affected": [{"package": {"ecosystem": "npm", "name": "requests"}, "versions": ["2.31.0"]}],
    },
    # withdrawn: skipped although it would match
    {**advisory("A-8", "jinja2", versions=["3.1.2"]), "withdrawn": "2024-01-01T00:00:00Z"},
]


def write_zip(path: Path, documents: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in documents.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.lock"
    path.write_text(LOCK)
    return path


@pytest.fixture
def osv_zip(tmp_path: Path) -> Path:
    docs = {f"{a['id']}.json": json.dumps(a).encode() for a in ADVISORIES}
    return write_zip(tmp_path / "all.zip", docs)


def test_ranges_versions_last_affected_and_withdrawn_advisories_are_evaluated(
    osv_zip: Path, lock: Path
) -> None:
    result = osv.audit(osv_zip, lock)
    found = {(f["id"], f["package"], f["version"], f["fixed"]) for f in result["findings"]}
    assert found == {
        ("A-1", "jinja2", "3.1.2", "3.1.3"),
        ("A-3", "zope-interface", "6.0", None),
        ("A-5", "flask-login", "0.6.2", None),
    }
    assert result["findings"][0]["aliases"] == ["CVE-A-5"]
    assert (result["packages"], result["advisories"], result["withdrawn"]) == (5, 8, 1)


def test_an_unpacked_database_folder_reads_the_same(
    osv_zip: Path, lock: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(osv_zip) as archive:
        archive.extractall(folder)
    assert osv.audit(folder, lock) == osv.audit(osv_zip, lock)


@pytest.mark.parametrize(
    ("documents", "message"),
    [
        ({"X-1.json": b"{not json"}, "X-1.json is not valid JSON"),
        ({"X-2.json": b'["a list"]'}, "X-2.json is not an advisory"),
        ({"X-3.json": b'{"id": "X-3", "affected": {"package": 1}}'}, "malformed 'affected'"),
        ({"X-4.json": b'{"id": "X-4", "affected": ["not an object"]}'}, "X-4.json is malformed"),
        ({"readme.txt": b"no advisories here"}, "holds no OSV advisories"),
    ],
)
def test_a_malformed_database_is_a_clear_error(
    tmp_path: Path, lock: Path, documents: dict[str, bytes], message: str
) -> None:
    with pytest.raises(EvidenceError, match=message):
        osv.audit(write_zip(tmp_path / "bad.zip", documents), lock)


def test_the_command_saves_its_results_and_exits_non_zero_on_findings(
    cli: Cli, osv_zip: Path, lock: Path, tmp_path: Path
) -> None:
    ran = cli("admin", "audit-deps", "--db", str(osv_zip), "--lock", str(lock))
    assert ran.code == 1
    assert "jinja2==3.1.2  A-1 (CVE-A-1)  fixed in 3.1.3" in ran.out
    assert ran.err.strip() == "clinscribe: error: 3 known vulnerabilities in pinned packages"
    controls = cli("admin", "validate-controls", "--json")
    audit = next(c for c in json.loads(controls.out)["controls"] if c["id"] == "dependency-audit")
    assert audit["status"] == "fail"
    assert audit["evidence"]["vulnerable"] == [
        "flask-login==0.6.2",
        "jinja2==3.1.2",
        "zope-interface==6.0",
    ]

    clean = tmp_path / "clean.lock"
    clean.write_text("jinja2==3.1.3\n")
    assert cli("admin", "audit-deps", "--db", str(osv_zip), "--lock", str(clean)).code == 0


def test_bad_inputs_are_one_line_errors(cli: Cli, lock: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(b"PK\x03\x04 truncated")
    cases = {
        "is not a readable OSV zip": ["--db", str(corrupt), "--lock", str(lock)],
        "no such OSV database": ["--db", str(tmp_path / "missing.zip"), "--lock", str(lock)],
        "cannot read the lock file": ["--db", str(corrupt), "--lock", str(tmp_path / "none")],
    }
    for message, args in cases.items():
        ran = cli("admin", "audit-deps", *args)
        assert ran.code == 1 and message in ran.err and ran.err.count("\n") == 1, ran.err
