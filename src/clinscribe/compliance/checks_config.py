"""The configuration controls: debug, secrets, transport, sign-in, MFA, allowlists, retention.

MFA and IP allowlists are per-tenant policies on the tenants table, read by column name: a build
without the column reports the control as `absent`, one with it is checked.
"""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, select

from clinscribe.compliance.controls import Context, Outcome, register
from clinscribe.config import MIN_SECRET_BYTES
from clinscribe.db.models import Tenant

# Values that are someone's example, never a secret (compared case-insensitively).
PLACEHOLDERS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "password",
        "test",
        "dev",
        "example",
        "default",
        "replace-me",
        "your-secret-here",
        "insecure",
    }
)
SECRET_SETTINGS = ("jwt_secret", "api_key_pepper", "blind_index_key", "document_url_secret")
# Per-tenant policy columns of the tenants table, read by name (see `_tenant_policies`).
MFA_COLUMN = "mfa_required_roles"  # comma-joined roles that must use a second factor
ALLOWLIST_COLUMN = "ip_allowlist"  # JSON list of CIDR networks; None or [] allows any


def _secret_state(value: SecretStr | None) -> str:
    if value is None:
        return "missing"
    raw = value.get_secret_value()
    if raw.strip().lower() in PLACEHOLDERS or len(set(raw)) <= 2:
        return "placeholder"
    if len(raw.encode()) < MIN_SECRET_BYTES:
        return "too_short"
    return "set"


@register(
    "default-secrets",
    "No default, placeholder or short secrets are in use",
    ("HIPAA §164.312(d)", "ASVS 4.0.3 V2.10.4", "V6.4.1"),
)
def default_secrets(context: Context) -> Outcome:
    settings = context.settings
    states = {
        f"CLINSCRIBE_{n.upper()}": _secret_state(getattr(settings, n)) for n in SECRET_SETTINGS
    }
    if not settings.jwt_algorithm.startswith("HS"):
        states.pop("CLINSCRIBE_JWT_SECRET")  # asymmetric tokens: key files, checked for prod
    bad = {n: s for n, s in states.items() if s in ("placeholder", "too_short")}
    missing = [n for n, s in states.items() if s == "missing"]
    # A missing document-link secret is derived from the JWT secret, so it is no gap.
    missing = [n for n in missing if n != "CLINSCRIBE_DOCUMENT_URL_SECRET"]
    evidence: dict[str, Any] = {"secrets": states}
    if bad:
        return "fail", evidence
    if missing:
        # Dev generates a random secret per data dir; prod must be given each one.
        evidence["note"] = "generated development secrets are in use for " + ", ".join(missing)
        return ("fail" if settings.profile == "prod" else "warn"), evidence
    return "pass", evidence


@register(
    "debug-off",
    "Debug output, SQL echo and anonymous access are off",
    ("ASVS 4.0.3 V14.3.2", "ASVS 4.0.3 V7.1.1", "HIPAA §164.312(a)(1)"),
)
def debug_off(context: Context) -> Outcome:
    settings = context.settings
    found = {
        "profile": settings.profile,
        "log_level": settings.log_level.upper(),
        "database_echo": settings.database_echo,
        "allow_guest": settings.allow_guest,
    }
    # SQL echo logs bound parameters, and those are PHI: a failure in any profile.
    problems = ["database_echo"] if settings.database_echo else []
    if found["log_level"] == "DEBUG":
        problems.append("log_level")
    if settings.allow_guest:
        problems.append("allow_guest")
    evidence = {**found, "problems": problems}
    if "database_echo" in problems or (problems and settings.profile == "prod"):
        return "fail", evidence
    return ("warn" if problems or settings.profile != "prod" else "pass"), evidence


@register(
    "transport-security",
    "TLS is required (HSTS) and only known proxies may set the client address",
    ("HIPAA §164.312(e)(1)", "HIPAA §164.312(e)(2)(ii)", "ASVS 4.0.3 V9.1.1", "V14.4.5"),
)
def transport_security(context: Context) -> Outcome:
    settings = context.settings
    invalid = []
    for proxy in settings.trusted_proxies:
        try:
            address = ipaddress.ip_address(proxy)
        except ValueError:
            invalid.append(proxy)
            continue
        if address.is_unspecified:
            invalid.append(proxy)
    not_https = [
        name
        for name, url in (
            ("CLINSCRIBE_OIDC_ISSUER", settings.oidc_issuer),
            ("CLINSCRIBE_OIDC_REDIRECT_BASE", settings.oidc_redirect_base),
            ("CLINSCRIBE_OIDC_JWKS_URL", settings.oidc_jwks_url),
        )
        if url and not url.startswith("https://")
    ]
    evidence = {
        "hsts": settings.profile == "prod",
        "trusted_proxies": list(settings.trusted_proxies),
        "invalid_proxies": invalid,
        "plain_http_urls": not_https,
    }
    if invalid or (not_https and settings.profile == "prod"):
        return "fail", evidence
    if settings.profile != "prod" or not_https:
        evidence["note"] = "HSTS is sent in the prod profile only; TLS ends at the proxy"
        return "warn", evidence
    return "pass", evidence


@register(
    "signin-lockout",
    "Repeated failed sign-ins lock the account and requests are rate limited",
    ("HIPAA §164.312(d)", "ASVS 4.0.3 V2.2.1", "ASVS 4.0.3 V11.1.4"),
)
def signin_lockout(context: Context) -> Outcome:
    settings = context.settings
    evidence = {
        "lockout_attempts": settings.signin_lockout_attempts,
        "lockout_minutes": settings.signin_lockout_minutes,
        "rate_limit_per_minute": settings.rate_limit_per_minute,
        "rate_limit_ip_per_minute": settings.rate_limit_ip_per_minute,
        "backend": settings.rate_limit_backend,
    }
    if not settings.signin_lockout_attempts:
        return "fail", evidence
    limited = settings.rate_limit_per_minute and settings.rate_limit_ip_per_minute
    return ("pass" if limited else "warn"), evidence


def _tenant_policies(context: Context, column: str) -> dict[str, Any] | None:
    """Each tenant's value of a per-tenant policy column; None when this build has no such
    column (the feature is absent). Read by name so a build that adds it is checked at once."""
    if not hasattr(Tenant, column):
        return None
    tenants = context.session.scalars(select(Tenant).order_by(Tenant.name)).all()
    return {t.id: getattr(t, column) for t in tenants}


def _absent(column: str) -> Outcome:
    return "absent", {"note": f"this build has no per-tenant {column} policy"}


@register(
    "mfa",
    "Multi-factor authentication is required (at least for administrators)",
    ("HIPAA §164.312(d)", "ASVS 4.0.3 V2.7", "V4.3.1"),
)
def mfa(context: Context) -> Outcome:
    policies = _tenant_policies(context, MFA_COLUMN)
    if policies is None:
        return _absent(MFA_COLUMN)
    roles = {tenant: sorted(r for r in (v or "").split(",") if r) for tenant, v in policies.items()}
    without = [t for t, r in roles.items() if "admin" not in r]
    # Counts only: the API serves this report to every tenant's administrators.
    evidence = {"tenants": len(roles), "tenants_without_admin_mfa": len(without)}
    return ("warn" if without or not roles else "pass"), evidence


@register(
    "ip-allowlist",
    "API access is limited to allowlisted networks",
    ("HIPAA §164.312(a)(1)", "HIPAA §164.312(e)(1)"),
)
def ip_allowlist(context: Context) -> Outcome:
    policies = _tenant_policies(context, ALLOWLIST_COLUMN)
    if policies is None:
        return _absent(ALLOWLIST_COLUMN)
    open_tenants = unreadable = 0
    for raw in policies.values():
        try:
            parsed = json.loads(raw) if raw else []
        except ValueError:
            unreadable += 1
            continue
        open_tenants += not (isinstance(parsed, list) and parsed)
    # Counts only: the API serves this report to every tenant's administrators.
    evidence = {
        "tenants": len(policies),
        "tenants_open_to_any_network": open_tenants,
        "unreadable_allowlists": unreadable,
    }
    if unreadable:
        return "fail", evidence
    return ("warn" if open_tenants or not policies else "pass"), evidence


def purge_runs(context: Context) -> tuple[Path, list[Path]]:
    """The export root and its purge runs with a manifest, newest first (shared with the pack)."""
    if "purge_runs" not in context.cache:
        settings = context.settings
        root = settings.retention_export_dir or settings.data_dir / "exports"
        found = root.glob("purge-*") if root.is_dir() else iter(())
        runs = sorted((p for p in found if (p / "manifest.json").is_file()), reverse=True)
        context.cache["purge_runs"] = (root, runs)
    value: tuple[Path, list[Path]] = context.cache["purge_runs"]
    return value


def run_time(run: Path) -> datetime | None:
    """The start of a purge run from its directory name (purge-YYYYmmddTHHMMSSZ-<id>)."""
    try:
        stamp = datetime.strptime(run.name.split("-")[1], "%Y%m%dT%H%M%SZ")
    except (IndexError, ValueError):
        return None
    return stamp.replace(tzinfo=UTC)


@register(
    "retention",
    "Every tenant has a retention period and purges run on a schedule",
    ("ASVS 4.0.3 V8.3.8", "HIPAA §164.310(d)(2)(i)", "HIPAA §164.316(b)(2)(i)"),
)
def retention(context: Context) -> Outcome:
    session = context.session
    tenants = session.scalar(select(func.count()).select_from(Tenant)) or 0
    with_period = (
        session.scalar(
            select(func.count()).select_from(Tenant).where(Tenant.retention_days.is_not(None))
        )
        or 0
    )
    _, runs = purge_runs(context)
    last = run_time(runs[0]) if runs else None
    evidence = {
        "tenants": tenants,
        "tenants_with_retention": with_period,
        "purge_every_hours": context.settings.retention_purge_hours,
        "purge_runs": len(runs),
        "last_purge_run": last.isoformat() if last else None,
    }
    if tenants and not with_period:
        return "absent", {**evidence, "note": "no tenant has a retention period"}
    if with_period < tenants or not context.settings.retention_purge_hours:
        return "warn", evidence
    return "pass", evidence
