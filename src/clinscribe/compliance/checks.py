"""The data-protection controls: encryption keys, key age, audit chain, backups, dependencies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from clinscribe.audit import service as audit
from clinscribe.compliance.controls import Context, Outcome, Status, register
from clinscribe.compliance.results import (
    BACKUP_DRILL,
    DEPS_AUDIT,
    Unreadable,
    load_latest,
    parse_time,
)
from clinscribe.db.models import AuditHead, Patient
from clinscribe.errors import ClinscribeError
from clinscribe.security.crypto import key_ring

SAMPLE = 5  # sealed values opened per report: enough to prove the ring opens stored data


def audit_state(context: Context) -> dict[str, Any]:
    """The chain's verification and head, computed once per report (the pack reuses it)."""
    if "audit" not in context.cache:
        result = audit.verify(context.session)
        head = context.session.get(AuditHead, 1)
        context.cache["audit"] = {
            "ok": result.ok,
            "checked": result.checked,
            "first_bad_row": result.first_bad_id,
            "problem": result.problem,
            "head_hash": head.last_hash if head else None,
            "head_event_id": head.last_event_id if head else None,
            "event_count": head.event_count if head else None,
        }
    state: dict[str, Any] = context.cache["audit"]
    return state


@register(
    "encryption-at-rest",
    "PHI fields and blobs are encrypted with configured keys that open stored data",
    ("HIPAA §164.312(a)(2)(iv)", "HIPAA §164.312(e)(2)(ii)", "ASVS 4.0.3 V6.2.1", "V6.4.1"),
)
def encryption_at_rest(context: Context) -> Outcome:
    settings = context.settings
    try:
        ring = key_ring(settings)
    except ClinscribeError as exc:
        return "fail", {"error": exc.message}
    evidence: dict[str, Any] = {
        "configured": bool(settings.encryption_keys),
        "key_ids": sorted(ring.keys),
        "primary_key": ring.primary,
    }
    patients = context.session.scalars(select(Patient).order_by(Patient.id).limit(SAMPLE)).all()
    opened = 0
    for patient in patients:
        try:
            _ = patient.mrn, patient.given_name
        except ClinscribeError:
            evidence["sample"] = {"checked": opened + 1, "opened": opened}
            return "fail", {**evidence, "error": "a stored value does not decrypt"}
        opened += 1
    evidence["sample"] = {"checked": opened, "opened": opened}
    if not settings.encryption_keys:
        status: Status = "fail" if settings.profile == "prod" else "warn"
        return status, {**evidence, "note": "no keys configured: a development key is in use"}
    return "pass", evidence


@register(
    "key-age",
    "The encrypting key was rotated within the key age policy",
    ("HIPAA §164.312(a)(2)(iv)", "ASVS 4.0.3 V6.4.1", "V6.4.2"),
)
def key_age(context: Context) -> Outcome:
    settings = context.settings
    limit = settings.key_max_age_days
    if not settings.encryption_keys:
        return "warn", {"max_age_days": limit, "note": "no keys configured (development key)"}
    primary = key_ring(settings).primary
    since = settings.encryption_key_dates.get(primary)
    evidence: dict[str, Any] = {"primary_key": primary, "max_age_days": limit}
    if since is None:
        note = f"no date recorded for key {primary!r} in CLINSCRIBE_ENCRYPTION_KEY_DATES"
        return "warn", {**evidence, "note": note}
    age = (context.now.date() - since).days
    evidence.update({"in_service_since": since.isoformat(), "age_days": age})
    return ("fail" if age > limit else "pass"), evidence


@register(
    "audit-chain",
    "The tamper-evident audit log verifies end to end",
    ("HIPAA §164.312(b)", "HIPAA §164.312(c)(1)", "ASVS 4.0.3 V7.3.3"),
)
def audit_chain(context: Context) -> Outcome:
    state = audit_state(context)
    return ("pass" if state["ok"] else "fail"), dict(state)


def _recent(context: Context, name: str, stamp: str, max_days: int) -> dict[str, Any] | Outcome:
    """The stored result if present, readable and recent, else the outcome that says why not."""
    try:
        result = load_latest(context.settings, name)
    except Unreadable as exc:
        return "fail", {"error": str(exc)}
    if result is None:
        return "absent", {"note": f"no {name.removesuffix('.json')} results recorded"}
    at = parse_time(result.get(stamp))
    if at is None:
        return "fail", {"error": f"{name} has no valid {stamp}"}
    age = (context.now - at).total_seconds() / 86400
    result["_age_days"] = round(age, 2)
    if age > max_days:
        return (
            "fail",
            {f"last_{stamp}": at.isoformat(), "age_days": round(age, 2), "max_age_days": max_days},
        )
    return result


@register(
    "backup-drill",
    "A backup was restored and verified recently",
    ("HIPAA §164.308(a)(7)(ii)(A)", "HIPAA §164.308(a)(7)(ii)(D)", "HIPAA §164.312(c)(1)"),
)
def backup_drill(context: Context) -> Outcome:
    limit = context.settings.backup_drill_max_age_days
    result = _recent(context, BACKUP_DRILL, "finished_at", limit)
    if isinstance(result, tuple):
        return result
    evidence = {
        "last_drill": result.get("finished_at"),
        "age_days": result["_age_days"],
        "max_age_days": limit,
        "database": result.get("database"),
        "problems": result.get("problems", []),
    }
    return ("pass" if result.get("ok") is True else "fail"), evidence


@register(
    "dependency-audit",
    "Pinned dependencies were checked against a vulnerability database recently",
    ("ASVS 4.0.3 V14.2.1", "HIPAA §164.308(a)(1)(ii)(B)"),
)
def dependency_audit(context: Context) -> Outcome:
    limit = context.settings.deps_audit_max_age_days
    result = _recent(context, DEPS_AUDIT, "checked_at", limit)
    if isinstance(result, tuple):
        return result
    findings = result.get("findings", [])
    evidence = {
        "last_audit": result.get("checked_at"),
        "age_days": result["_age_days"],
        "packages": result.get("packages"),
        "advisories_read": result.get("advisories"),
        "vulnerable": sorted({f"{f['package']}=={f['version']}" for f in findings}),
    }
    return ("fail" if findings else "pass"), evidence
