"""Sign-in, token refresh and turning a presented credential into a Principal."""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.accounts.lockout import Lockout, SignInLocked, account_key
from clinscribe.accounts.schemas import MfaChallenge, TokenPair
from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import ApiKey, RefreshToken, Tenant, User, UserMfa
from clinscribe.errors import Forbidden, Unauthorized
from clinscribe.security import api_keys, oidc, smart, tokens
from clinscribe.security.passwords import dummy_hash, verify_password
from clinscribe.security.principal import Principal


def issue_pair(
    session: Session,
    settings: Settings,
    user: User,
    *,
    amr: Sequence[str] = (),
    auth_time: int | None = None,
) -> TokenPair:
    """An access + refresh pair recording how (`amr`) and when (`auth_time`) the user signed in."""
    when = auth_time or int(time.time())
    access, _ = tokens.issue(
        settings,
        subject=user.id,
        tenant_id=user.tenant_id,
        role=user.role,
        token_type="access",
        amr=amr,
        auth_time=when,
    )
    refresh, claims = tokens.issue(
        settings,
        subject=user.id,
        tenant_id=user.tenant_id,
        role=user.role,
        token_type="refresh",
        amr=amr,
        auth_time=when,
    )
    session.add(RefreshToken(id=claims.jti, user_id=user.id, expires_at=claims.expires_at))
    session.flush()
    return TokenPair(
        access_token=access, refresh_token=refresh, expires_in=settings.access_token_minutes * 60
    )


def _signed_in(
    session: Session,
    settings: Settings,
    user: User,
    *,
    via: str,
    amr: Sequence[str] = ("pwd",),
    auth_time: int | None = None,
) -> TokenPair:
    """A successful sign-in (password or single sign-on): audited, then a new token pair."""
    audit.record(
        session,
        action="auth.login",
        tenant_id=user.tenant_id,
        actor_type=via,
        actor_id=user.id,
        object_type="user",
        object_id=user.id,
    )
    return issue_pair(session, settings, user, amr=amr, auth_time=auth_time)


def has_second_factor(session: Session, user_id: str) -> bool:
    """Whether the user has a confirmed TOTP enrolment."""
    row = session.get(UserMfa, user_id)
    return row is not None and row.confirmed_at is not None


def password_accepted(
    session: Session, settings: Settings, user: User, *, via: str
) -> TokenPair | MfaChallenge:
    """A right password: a session, or (second factor enrolled) a ticket for its second step."""
    if not has_second_factor(session, user.id):
        return _signed_in(session, settings, user, via=via)
    ticket, _ = tokens.issue(
        settings,
        subject=user.id,
        tenant_id=user.tenant_id,
        role=user.role,
        token_type="mfa",
        amr=("pwd",),
    )
    return MfaChallenge(mfa_token=ticket, expires_in=settings.mfa_token_minutes * 60)


def ticket_holder(
    session: Session, settings: Settings, ticket: str
) -> tuple[User, tokens.TokenClaims]:
    """The user a second-step ticket (`password_accepted`) was issued to, still active."""
    claims = tokens.decode(settings, ticket, "mfa")
    user = session.get(User, claims.subject)
    if user is None or not user.is_active or user.tenant_id != claims.tenant_id:
        raise Unauthorized("user unknown or disabled")
    return user, claims


def signed_in(session: Session, settings: Settings, user: User, *, via: str) -> TokenPair:
    """A sign-in another system vouched for (a SMART launch from the EHR): audited, token pair."""
    return _signed_in(session, settings, user, via=via, amr=("ext",))


class PasswordSignInFailed(Unauthorized):
    """A refused password sign-in; `reason` and the account are for the audit log only."""

    status_code = 401
    code = "unauthorized"

    def __init__(self, reason: str, user: User | None = None, lock_key: str = "") -> None:
        super().__init__("invalid email or password")
        self.reason = reason
        self.user = user
        self.tenant_id = user.tenant_id if user is not None else None
        self.user_id = user.id if user is not None else None
        self.lock_key = lock_key


def login(
    *, session: Session, settings: Settings, email: str, password: str
) -> TokenPair | MfaChallenge:
    """Check a password (argon2); a token pair, or a second-factor ticket when enrolled.

    Failures count toward the sign-in lockout under the email presented (known or not); the
    caller counts them with `record_failure` once it has rolled the request back.
    """
    lock = Lockout(settings)
    key = account_key("local", email.lower())
    lock.check(session, key)
    user = session.execute(select(User).where(User.email == email.lower())).scalar_one_or_none()
    if user is None or user.password_hash is None or not user.is_active:
        verify_password(dummy_hash(), password)  # same work either way: no user enumeration
        ok = False
    else:
        ok = verify_password(user.password_hash, password)
    if not ok or user is None:
        raise PasswordSignInFailed(
            "unknown_user" if user is None else "bad_password" if user.is_active else "inactive",
            user,
            key,
        )
    lock.succeeded(session, key)
    return password_accepted(session, settings, user, via="user")


def record_failure(
    *, session: Session, settings: Settings, failure: Unauthorized | SignInLocked
) -> None:
    """Count a refused password sign-in toward the lockout and audit it (caller commits)."""
    if isinstance(failure, PasswordSignInFailed):
        reason, tenant_id, user_id = failure.reason, failure.tenant_id, failure.user_id
        Lockout(settings).failed(session, failure.lock_key, user=failure.user)
    else:
        reason, tenant_id, user_id = "locked", None, None
    audit.record(
        session,
        action=f"auth.login.{reason}",
        outcome="denied",
        tenant_id=tenant_id,
        actor_type="anonymous",
        object_type="user" if user_id else "sign_in",
        object_id=user_id,
    )


def refresh(*, session: Session, settings: Settings, refresh_token: str) -> TokenPair:
    """Rotate a refresh token: the presented one is revoked, a new pair issued."""
    claims = tokens.decode(settings, refresh_token, "refresh")
    row = session.get(RefreshToken, claims.jti)
    user = session.get(User, claims.subject)
    if row is None or row.revoked_at is not None or user is None or not user.is_active:
        raise Unauthorized("refresh token revoked or unknown")
    row.revoked_at = utcnow()
    audit.record(
        session,
        action="auth.refresh",
        tenant_id=user.tenant_id,
        actor_type="user",
        actor_id=user.id,
    )
    # The sign-in's methods and time carry over: refreshing is not authenticating again.
    return issue_pair(session, settings, user, amr=claims.amr, auth_time=claims.auth_time)


def logout(*, session: Session, settings: Settings, refresh_token: str) -> None:
    claims = tokens.decode(settings, refresh_token, "refresh")
    row = session.get(RefreshToken, claims.jti)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
    audit.record(
        session,
        action="auth.logout",
        tenant_id=claims.tenant_id,
        actor_type="user",
        actor_id=claims.subject,
    )


def issue_access_token(*, settings: Settings, user: User) -> str:
    token, _ = tokens.issue(
        settings, subject=user.id, tenant_id=user.tenant_id, role=user.role, token_type="access"
    )
    return token


def _from_api_key(session: Session, settings: Settings, key: str) -> Principal:
    digest = api_keys.hash_key(settings.api_key_hmac_key(), key)
    row = session.execute(select(ApiKey).where(ApiKey.key_hash == digest)).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("invalid API key")
    scopes = frozenset(s for s in row.scopes.split(",") if s)
    smart_scopes = frozenset(s for s in scopes if smart.is_smart(s))
    return Principal(
        kind="api_key",
        tenant_id=row.tenant_id,
        actor_id=row.id,
        scopes=scopes,
        # A key holding SMART scopes is limited by them on the FHIR API (keys have no patient).
        smart_scopes=smart_scopes or None,
        rate_limit_per_minute=row.rate_limit_per_minute,
    )


def _from_local_token(session: Session, settings: Settings, token: str) -> Principal:
    claims = tokens.decode(settings, token, "access")
    user = session.get(User, claims.subject)
    # The database, not the token, is the authority on role and tenant: demotions apply at once.
    if user is None or not user.is_active or user.tenant_id != claims.tenant_id:
        raise Unauthorized("user unknown or disabled")
    return Principal(
        kind="user",
        tenant_id=user.tenant_id,
        actor_id=user.id,
        user_id=user.id,
        role=user.role,
        can_view_all_encounters=user.can_view_all_encounters,
        smart_scopes=frozenset(claims.scope.split()) if claims.scope is not None else None,
        patient_context=claims.patient,
        amr=frozenset(claims.amr),
        auth_time=claims.auth_time,
    )


def issue_smart_token(
    *, settings: Settings, principal: Principal, scope: str, patient_id: str | None
) -> tuple[str, int]:
    """An access token for the same user narrowed to SMART scopes (and a launch patient).

    Only an un-narrowed user credential may ask; the caller checks the patient is readable.
    """
    if principal.user_id is None or principal.role is None or principal.smart_scopes is not None:
        raise Forbidden("only a signed-in user may issue a narrowed FHIR token")
    token, _ = tokens.issue(
        settings,
        subject=principal.user_id,
        tenant_id=principal.tenant_id,
        role=principal.role,
        token_type="access",
        scope=scope,
        patient=patient_id,
    )
    return token, settings.access_token_minutes * 60


def user_for_identity(*, session: Session, identity: oidc.OidcIdentity) -> User:
    """The local user of a provider identity, provisioned on first sign-in; role synced."""
    if session.get(Tenant, identity.tenant_id) is None:
        raise Unauthorized("token names an unknown tenant")
    user = session.execute(
        select(User).where(User.oidc_subject == identity.subject)
    ).scalar_one_or_none()
    if user is None:
        email = (identity.email or identity.subject).lower()
        # Never adopt an existing account by email: the provider's email claim is not proof
        # of owning that local account. An admin links accounts deliberately.
        if session.execute(select(User.id).where(User.email == email)).first():
            raise Unauthorized("a local account already uses this email")
        # First sign-in through the provider: provision a local user so ownership works.
        user = User(
            tenant_id=identity.tenant_id,
            email=email,
            role=identity.role,
            oidc_subject=identity.subject,
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            action="user.provision",
            tenant_id=user.tenant_id,
            actor_type="oidc",
            actor_id=user.id,
            object_type="user",
            object_id=user.id,
        )
    elif user.tenant_id != identity.tenant_id or not user.is_active:
        raise Unauthorized("user unknown or disabled")
    else:
        user.role = identity.role  # the provider owns role assignment
    return user


def sign_in_identity(
    *, session: Session, settings: Settings, identity: oidc.OidcIdentity
) -> TokenPair:
    """Browser single sign-on: the same token pair a password sign-in gets."""
    user = user_for_identity(session=session, identity=identity)
    # The provider's methods (e.g. otp) and time stand for ours: they satisfy step-up.
    return _signed_in(
        session,
        settings,
        user,
        via="oidc",
        amr=identity.amr or ("ext",),
        auth_time=identity.auth_time,
    )


def _from_oidc(session: Session, settings: Settings, token: str) -> Principal:
    identity = oidc.validate(settings, token)
    user = user_for_identity(session=session, identity=identity)
    return Principal(
        kind="oidc",
        tenant_id=user.tenant_id,
        actor_id=user.id,
        user_id=user.id,
        role=identity.role,
        can_view_all_encounters=user.can_view_all_encounters,
        amr=frozenset(identity.amr),
        auth_time=identity.auth_time,
    )


def authenticate(*, session: Session, settings: Settings, credential: str) -> Principal:
    """An API key, a local access token, or an OIDC access token → Principal."""
    if api_keys.looks_like_key(credential):
        return _from_api_key(session, settings, credential)
    if oidc.enabled(settings) and tokens.unverified_issuer(credential) == settings.oidc_issuer:
        return _from_oidc(session, settings, credential)
    return _from_local_token(session, settings, credential)
