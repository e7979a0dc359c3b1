"""The evidence pack: one signed zip an auditor can check without trusting the server.

Every file is listed in MANIFEST.json with its SHA-256 and size; MANIFEST.sig is the Ed25519
signature of those exact bytes. Verification re-hashes every file, refuses unlisted ones, and
checks the signature with a public key the auditor was given (or, failing that, the one the
pack names, which proves integrity but not origin).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from clinscribe.compliance import access, signing
from clinscribe.compliance.checks import audit_state
from clinscribe.compliance.checks_config import purge_runs
from clinscribe.compliance.controls import Context, evaluate_in
from clinscribe.compliance.redact import effective_settings
from clinscribe.compliance.results import (
    BACKUP_DRILL,
    DEPS_AUDIT,
    EvidenceError,
    Unreadable,
    load_latest,
    now,
)
from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent, Tenant
from clinscribe.db.session import session_scope
from clinscribe.retention.export import verify as verify_export

MANIFEST = "MANIFEST.json"
SIGNATURE = "MANIFEST.sig"
KIND = "clinscribe-evidence-pack"
PURGE_ACTION = "encounter.purge"  # one audit event per encounter a purge run deleted


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, default=str) + "\n").encode()


def _retention(context: Context, files: dict[str, bytes]) -> None:
    tenants = [
        {"tenant_id": t.id, "tenant": t.name, "retention_days": t.retention_days}
        for t in context.session.scalars(select(Tenant).order_by(Tenant.name))
    ]
    files["retention/tenants.json"] = _json(tenants)
    root, runs = purge_runs(context)
    listed = []
    for run in runs:
        checked = verify_export(run)
        files[f"retention/runs/{run.name}/manifest.json"] = (run / "manifest.json").read_bytes()
        listed.append(
            {
                "run": run.name,
                "verified": checked.ok,
                "files": checked.checked,
                "problems": checked.problems,
            }
        )
    # The audit log's own count of purged encounters: evidence even for runs exported elsewhere.
    purged, last = context.session.execute(
        select(func.count(), func.max(AuditEvent.occurred_at)).where(
            AuditEvent.action == PURGE_ACTION
        )
    ).one()
    audited = {"action": PURGE_ACTION, "events": purged, "last": last}
    files["retention/runs.json"] = _json(
        {"export_root": str(root), "runs": listed, "audited_purges": audited}
    )


def _latest(settings: Settings, name: str, files: dict[str, bytes]) -> str:
    try:
        value = load_latest(settings, name)
    except Unreadable as exc:
        return f"unreadable: {exc}"
    if value is None:
        return "none recorded"
    files[name] = _json(value)
    return "included"


def _check_target(out: Path) -> None:
    if out.is_dir():
        raise EvidenceError(f"{out} is a directory; name the .zip file to write")
    if not out.parent.is_dir():
        raise EvidenceError(f"cannot write {out}: no such directory {out.parent}")


def build(settings: Settings, out: Path) -> dict[str, Any]:
    """Write the signed pack to `out`; returns a summary with the public key."""
    _check_target(out)
    key, generated = signing.private_key(settings)
    public = key.public_key()
    created = now()
    files: dict[str, bytes] = {"settings.json": _json(effective_settings(settings))}
    with session_scope(settings.resolved_database_url) as session:
        context = Context(settings=settings, session=session, now=created)
        report = evaluate_in(context)
        files["controls.json"] = _json(report.as_dict())
        files["audit-chain.json"] = _json(audit_state(context))
        files["access-review.json"] = _json(access.review(session))
        _retention(context, files)
    included = {
        "backup_drill": _latest(settings, BACKUP_DRILL, files),
        "dependency_audit": _latest(settings, DEPS_AUDIT, files),
    }
    files["signing-key.pub"] = signing.public_pem(public)
    manifest = _json(
        {
            "kind": KIND,
            "format": 1,
            "created_at": created.isoformat(),
            "public_key": signing.public_b64(public),
            "key_fingerprint": signing.fingerprint(public),
            "controls_ok": report.ok,
            "latest_results": included,
            "files": {
                name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                for name, data in sorted(files.items())
            },
        }
    )
    signature = base64.b64encode(key.sign(manifest)) + b"\n"
    partial = out.with_name(f".{out.name}.partial")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in sorted(files.items()):
                archive.writestr(name, data)
            archive.writestr(MANIFEST, manifest)
            archive.writestr(SIGNATURE, signature)
        os.replace(partial, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise EvidenceError(f"cannot write {out}: {exc.strerror or exc}") from None
    return {
        "file": str(out),
        "files": len(files) + 2,
        "controls_ok": report.ok,
        "public_key": signing.public_b64(public),
        "key_fingerprint": signing.fingerprint(public),
        "key_generated": generated,
    }


def _read(path: Path) -> tuple[dict[str, bytes], bytes, bytes]:
    if not path.is_file():
        raise EvidenceError(f"no such evidence pack: {path}")
    try:
        with zipfile.ZipFile(path) as archive:
            contents = {name: archive.read(name) for name in archive.namelist()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise EvidenceError(f"{path} is not a readable zip ({type(exc).__name__})") from None
    if MANIFEST not in contents or SIGNATURE not in contents:
        raise EvidenceError(f"{path} has no {MANIFEST} and {SIGNATURE}: not an evidence pack")
    return contents, contents.pop(MANIFEST), contents.pop(SIGNATURE)


def verify(path: Path, public_key: str | None = None) -> dict[str, Any]:
    """Check every file against the manifest and the manifest against its signature."""
    contents, manifest_bytes, signature = _read(path)
    try:
        manifest = json.loads(manifest_bytes)
        listed: dict[str, dict[str, Any]] = manifest["files"]
        named_key = str(manifest["public_key"])
    except (ValueError, KeyError, TypeError):
        raise EvidenceError(f"{MANIFEST} in {path} is malformed") from None
    problems = []
    for name, meta in sorted(listed.items()):
        data = contents.get(name)
        if data is None:
            problems.append(f"{name}: missing")
        elif hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            problems.append(f"{name}: SHA-256 differs from the manifest")
    problems += [f"{name}: not in the manifest" for name in sorted(set(contents) - set(listed))]
    key = signing.parse_public(public_key if public_key else named_key)
    try:
        raw_signature = base64.b64decode(signature.strip(), validate=True)
    except binascii.Error:
        raw_signature = b""
    if not signing.verify(key, raw_signature, manifest_bytes):
        problems.append(f"{SIGNATURE}: the signature does not verify with the key")
    return {
        "ok": not problems,
        "files": len(listed),
        "problems": problems,
        "key_fingerprint": signing.fingerprint(key),
        "key_source": "given" if public_key else "named in the pack (pass --public-key to pin)",
        "created_at": manifest.get("created_at"),
    }
