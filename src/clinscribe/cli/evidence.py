"""`clinscribe admin` security evidence: controls, backup drill, dependency audit, signed packs."""

from __future__ import annotations

from pathlib import Path

import click

from clinscribe.cli.common import CliError, emit, json_option, load_settings
from clinscribe.compliance import drill, osv, pack, service
from clinscribe.compliance.results import DEPS_AUDIT, now, save_latest
from clinscribe.storage.blobs import sha256_of

MARKS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "absent": "ABSENT"}


@click.command("validate-controls")
@json_option
def validate_controls(as_json: bool) -> None:
    """Check every security control; exit 1 when a required one fails or is absent."""
    report = service.validate(load_settings())
    payload = report.as_dict()
    if as_json:
        emit(payload, True, "")
    else:
        for c in report.controls:
            flag = "*" if c.required else " "
            click.echo(f"{MARKS[c.status]:<6} {flag} {c.id:<20} {c.title}")
        click.echo("(* required)")
    if not report.ok:
        raise CliError("required controls failing: " + ", ".join(payload["failing_required"]))


@click.command("backup-drill")
@click.argument("out_dir", metavar="DIR", type=click.Path(file_okay=False))
@click.option(
    "--scratch",
    default=None,
    type=click.Path(file_okay=False),
    help="Where the restored copy is made (then removed) [system temporary directory].",
)
@json_option
def backup_drill(out_dir: str, scratch: str | None, as_json: bool) -> None:
    """Back up, restore into scratch, verify the copy; results (JSON) go to DIR."""
    result = drill.run(load_settings(), Path(out_dir), Path(scratch) if scratch else None)
    rows = sum(t["restored"] or 0 for t in result.get("tables", {}).values())
    line = (
        f"drill {'passed' if result['ok'] else 'FAILED'}: {len(result.get('tables', {}))} tables, "
        f"{rows} rows, {result.get('blobs', {}).get('count', 0)} blobs, audit chain "
        f"{'intact' if result.get('audit', {}).get('ok') else 'broken'}; results in "
        f"{result['file']}"
    )
    emit(result, as_json, line)
    if not result["ok"]:
        raise CliError("backup drill failed: " + "; ".join(result["problems"]))


@click.command("evidence-pack")
@click.argument("out", metavar="OUT.zip", type=click.Path())
@json_option
def evidence_pack(out: str, as_json: bool) -> None:
    """Write a signed zip of security evidence; prints the signing public key."""
    summary = pack.build(load_settings(), Path(out))
    if summary["key_generated"]:
        click.echo("generated a new evidence signing key under the data dir", err=True)
    emit(
        summary,
        as_json,
        f"wrote {summary['file']} ({summary['files']} files); public key {summary['public_key']}",
    )


@click.command("verify-evidence-pack")
@click.argument("pack_file", metavar="PACK.zip", type=click.Path())
@click.option("--public-key", default=None, help="Base64 Ed25519 key, PEM, or a PEM file.")
@json_option
def verify_evidence_pack(pack_file: str, public_key: str | None, as_json: bool) -> None:
    """Check the pack's manifest and signature; exit 1 on any mismatch."""
    result = pack.verify(Path(pack_file), public_key)
    line = f"evidence pack intact: {result['files']} files, key {result['key_fingerprint']}"
    emit(result, as_json, line)
    if not result["ok"]:
        raise CliError("evidence pack does not verify: " + "; ".join(result["problems"][:3]))


@click.command("audit-deps")
@click.option("--db", "db", required=True, help="OSV database: the PyPI all.zip, or it unpacked.")
@click.option("--lock", default="requirements.lock", show_default=True, help="Pinned packages.")
@json_option
def audit_deps(db: str, lock: str, as_json: bool) -> None:
    """Match pinned packages against an offline OSV database; exit 1 when any is affected."""
    settings = load_settings()
    database, lock_file = Path(db), Path(lock)
    result = osv.audit(database, lock_file)
    result = {
        "kind": "clinscribe-dependency-audit",
        "checked_at": now().isoformat(),
        "lock": str(lock_file),
        "lock_sha256": sha256_of(lock_file),
        "database": database.name,
        "database_sha256": sha256_of(database) if database.is_file() else None,
        **result,
    }
    save_latest(settings, DEPS_AUDIT, result)
    findings = result["findings"]
    if as_json:
        emit(result, True, "")
    else:
        for f in findings:
            fix = f"fixed in {f['fixed']}" if f["fixed"] else "no fix"
            aliases = f" ({', '.join(f['aliases'])})" if f["aliases"] else ""
            click.echo(f"{f['package']}=={f['version']}  {f['id']}{aliases}  {fix}")
        click.echo(
            f"{len(findings)} advisories affect {result['packages']} pinned packages "
            f"({result['advisories']} advisories read, {result['withdrawn']} withdrawn)"
        )
    if findings:
        raise CliError(f"{len(findings)} known vulnerabilities in pinned packages")


COMMANDS = (validate_controls, backup_drill, evidence_pack, verify_evidence_pack, audit_deps)
