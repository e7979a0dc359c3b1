"""TOTP second factor: enrolment, sign-in's second step, step-up, and the tenant's MFA policy.

Who must step up: a sensitive action (see `api.deps.STEP_UP`) needs a second factor within the
tenant's `step_up_minutes` from users who have one enrolled or whose role the tenant makes
MFA-mandatory. Users with neither are not asked (they have no factor to give; the tenant
decides by making their role mandatory). API keys are machine credentials and never step up.
A provider's sign-in counts when its `amr` names a second factor (`SECOND_FACTOR_AMR`).
"""

from __future__ import annotations

import time

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clinscribe.accounts import auth
from clinscribe.accounts.lockout import Lockout, mfa_key
from clinscribe.accounts.schemas import (
    MfaCode,
    MfaConfirmed,
    MfaEnrolment,
    MfaStatus,
    TenantSecurityRead,
    TenantSecurityUpdate,
    TokenPair,
)
from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import ROLES, MfaRecoveryCode, Tenant, User, UserMfa
from clinscribe.errors import (
    Forbidden,
    InvalidMfaCode,
    MfaAlreadyEnrolled,
    MfaNotEnrolled,
    MfaRequired,
    Unauthorized,
)
from clinscribe.security import totp
from clinscribe.security.associated import mfa_secret_aad
from clinscribe.security.crypto import key_ring
from clinscribe.security.passwords import hash_one_time_code, verify_password
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable

# RFC 8176 methods that prove a second factor (a one-time code, a hardware or software key,
# a smart card, a text message, or the provider's own "mfa"/"mca" summary).
SECOND_FACTOR_AMR = frozenset({"mfa", "mca", "otp", "hwk", "swk", "sc", "sms"})


class BadCode(InvalidMfaCode):
    """A refused code; `user` is whose lockout counter it goes to (counted after rollback)."""

    status_code = 401
    code = "invalid_mfa_code"

    def __init__(self, user: User) -> None:
        super().__init__("the code is wrong, expired or already used")
        self.user = user


def _user_of(session: Session, principal: Principal) -> User:
    if principal.user_id is None or principal.kind not in ("user", "oidc"):
        raise Forbidden("only a signed-in user has a second factor")
    return get_readable(session, User, principal.user_id, principal, what="user")


def _confirmed(session: Session, user: User) -> UserMfa:
    row = session.get(UserMfa, user.id)
    if row is None or row.confirmed_at is None:
        raise MfaNotEnrolled("no second factor is enrolled")
    return row


def required_roles(tenant: Tenant) -> frozenset[str]:
    return frozenset(r for r in (tenant.mfa_required_roles or "").split(",") if r)


def _mandatory(session: Session, principal: Principal) -> bool:
    tenant = session.get(Tenant, principal.tenant_id)
    return tenant is not None and (principal.role or "") in required_roles(tenant)


def has_fresh_factor(principal: Principal) -> bool:
    return bool(principal.amr & SECOND_FACTOR_AMR)


def enrolment_pending(*, session: Session, principal: Principal) -> bool:
    """A user whose role must use a second factor and who has none yet (enrolment only)."""
    if principal.kind not in ("user", "oidc") or principal.user_id is None:
        return False
    if has_fresh_factor(principal) or not _mandatory(session, principal):
        return False
    return not auth.has_second_factor(session, principal.user_id)


def require_recent(*, session: Session, settings: Settings, principal: Principal) -> None:
    """The step-up check: a second factor within the tenant's window, from those who have one."""
    if principal.kind not in ("user", "oidc") or principal.user_id is None:
        return  # API keys (machine credentials) and the development guest never step up
    if not (auth.has_second_factor(session, principal.user_id) or _mandatory(session, principal)):
        return
    minutes = security(session=session, settings=settings, principal=principal).step_up_minutes
    age = time.time() - (principal.auth_time or 0)
    if not has_fresh_factor(principal) or age > minutes * 60:
        raise MfaRequired(
            f"this action needs a second factor within the last {minutes} minutes; "
            "step up with POST /api/v1/auth/mfa/step-up and retry"
        )


def _check(session: Session, settings: Settings, user: User, body: MfaCode) -> str:
    """Accept a TOTP code (never the same time-step twice) or an unused recovery code.

    Returns the `amr` method used. Locked users are refused before any code is looked at.
    """
    Lockout(settings).check(session, mfa_key(user.id))
    row = _confirmed(session, user)
    if body.code is not None:
        secret = key_ring(settings).decrypt(row.secret_encrypted, mfa_secret_aad(user.id))
        step = totp.matching_step(secret.decode(), body.code)
        if step is None or (row.last_step is not None and step <= row.last_step):
            raise BadCode(user)
        row.last_step = step
        method = "otp"
    else:
        typed = totp.normalise_recovery_code(body.recovery_code or "")
        unused = session.scalars(
            select(MfaRecoveryCode).where(
                MfaRecoveryCode.user_id == user.id, MfaRecoveryCode.used_at.is_(None)
            )
        ).all()
        match = next((c for c in unused if verify_password(c.code_hash, typed)), None)
        if match is None:
            raise BadCode(user)
        match.used_at = utcnow()
        method = "mfa"  # no RFC 8176 value for a recovery code; it stands for the factor
    Lockout(settings).succeeded(session, mfa_key(user.id))
    session.flush()
    return method


def record_failure(*, session: Session, settings: Settings, failure: InvalidMfaCode) -> None:
    """Count a refused code toward the user's lockout and audit it (the caller commits)."""
    user = failure.user if isinstance(failure, BadCode) else None
    if user is not None:
        Lockout(settings).failed(session, mfa_key(user.id), user=user)
    audit.record(
        session,
        action="auth.mfa.bad_code",
        outcome="denied",
        tenant_id=user.tenant_id if user else None,
        actor_type="user" if user else "anonymous",
        actor_id=user.id if user else None,
        object_type="user" if user else "sign_in",
        object_id=user.id if user else None,
    )


def status(*, session: Session, principal: Principal) -> MfaStatus:
    user = _user_of(session, principal)
    return MfaStatus(
        enrolled=auth.has_second_factor(session, user.id), required=_mandatory(session, principal)
    )


def enrol(*, session: Session, settings: Settings, principal: Principal) -> MfaEnrolment:
    """Start (or restart) enrolment with a new secret; nothing is active until confirmed."""
    user = _user_of(session, principal)
    row = session.get(UserMfa, user.id)
    if row is not None and row.confirmed_at is not None:
        raise MfaAlreadyEnrolled("a second factor is already enrolled; remove it first")
    secret = totp.new_secret()
    sealed = key_ring(settings).encrypt(secret.encode(), mfa_secret_aad(user.id))
    if row is None:
        session.add(UserMfa(user_id=user.id, tenant_id=user.tenant_id, secret_encrypted=sealed))
    else:
        row.secret_encrypted, row.last_step = sealed, None
    session.flush()
    audit.record(
        session, action="mfa.enrol", principal=principal, object_type="user", object_id=user.id
    )
    uri = totp.provisioning_uri(secret, account=user.email, issuer=settings.mfa_issuer)
    return MfaEnrolment(otpauth_uri=uri, qr_code=totp.qr_svg_data_uri(uri), secret=secret)


def confirm(
    *, session: Session, settings: Settings, principal: Principal, code: str
) -> MfaConfirmed:
    """The first code activates the factor: ten recovery codes (shown once) and a session."""
    user = _user_of(session, principal)
    row = session.get(UserMfa, user.id)
    if row is None:
        raise MfaNotEnrolled("start with POST /api/v1/auth/mfa/enrol")
    if row.confirmed_at is not None:
        raise MfaAlreadyEnrolled("a second factor is already enrolled")
    Lockout(settings).check(session, mfa_key(user.id))
    secret = key_ring(settings).decrypt(row.secret_encrypted, mfa_secret_aad(user.id)).decode()
    step = totp.matching_step(secret, code)
    if step is None:
        raise BadCode(user)
    row.confirmed_at, row.last_step = utcnow(), step
    codes = totp.new_recovery_codes()
    session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
    session.add_all(
        MfaRecoveryCode(user_id=user.id, code_hash=hash_one_time_code(c)) for c in codes
    )
    audit.record(
        session, action="mfa.confirm", principal=principal, object_type="user", object_id=user.id
    )
    pair = auth.issue_pair(session, settings, user, amr=("pwd", "otp"))
    return MfaConfirmed(recovery_codes=codes, session=pair)


def disable(*, session: Session, settings: Settings, principal: Principal, body: MfaCode) -> None:
    """Remove the factor; it takes a current code (or a recovery code), not just a session."""
    user = _user_of(session, principal)
    _check(session, settings, user, body)
    session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
    session.execute(delete(UserMfa).where(UserMfa.user_id == user.id))
    audit.record(
        session, action="mfa.remove", principal=principal, object_type="user", object_id=user.id
    )


def verify(*, session: Session, settings: Settings, mfa_token: str, body: MfaCode) -> TokenPair:
    """Sign-in's second step: the ticket from the password step plus a code → a session."""
    user, claims = auth.ticket_holder(session, settings, mfa_token)
    method = _check(session, settings, user, body)
    audit.record(
        session,
        action="auth.login",
        tenant_id=user.tenant_id,
        actor_type="user",
        actor_id=user.id,
        object_type="user",
        object_id=user.id,
    )
    return auth.issue_pair(session, settings, user, amr=(*claims.amr, method))


def step_up(
    *, session: Session, settings: Settings, principal: Principal, body: MfaCode
) -> TokenPair:
    """A fresh session whose second factor is current (for sensitive actions)."""
    user = _user_of(session, principal)
    method = _check(session, settings, user, body)
    audit.record(
        session, action="auth.step_up", principal=principal, object_type="user", object_id=user.id
    )
    return auth.issue_pair(session, settings, user, amr=("pwd", method))


def security(*, session: Session, settings: Settings, principal: Principal) -> TenantSecurityRead:
    tenant = session.get(Tenant, principal.tenant_id)
    if tenant is None:
        raise Unauthorized("tenant unknown")
    return TenantSecurityRead(
        mfa_required_roles=sorted(required_roles(tenant)),
        step_up_minutes=tenant.step_up_minutes or settings.mfa_step_up_minutes,
    )


def update_security(
    *, session: Session, settings: Settings, principal: Principal, data: TenantSecurityUpdate
) -> TenantSecurityRead:
    """Admins choose the MFA-mandatory roles and the step-up window; audited."""
    principal.require("tenant:write")
    tenant = session.get(Tenant, principal.tenant_id)
    if tenant is None:
        raise Unauthorized("tenant unknown")
    tenant.mfa_required_roles = ",".join(r for r in ROLES if r in data.mfa_required_roles) or None
    tenant.step_up_minutes = data.step_up_minutes
    session.flush()
    audit.record(
        session,
        action="tenant.security.update",
        principal=principal,
        object_type="tenant",
        object_id=tenant.id,
    )
    return security(session=session, settings=settings, principal=principal)


def read_security(
    *, session: Session, settings: Settings, principal: Principal
) -> TenantSecurityRead:
    principal.require("tenant:read")
    return security(session=session, settings=settings, principal=principal)
