"""Signing in with an OpenEMR account, checked against the tenant's OpenEMR `users_secure`.

The checks follow OpenEMR's `AuthUtils`: an active `users` row with exactly this username
(`BINARY`, so case matters), the `users_secure` row of the same username and id, then the hash.
The password is only ever handed to `core.hashes.verify`; it is never stored, logged or audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import RowMapping, text
from sqlalchemy.orm import Session

from clinscribe.accounts import auth as accounts_auth
from clinscribe.accounts.lockout import Lockout, SignInLocked, account_key
from clinscribe.accounts.schemas import MfaChallenge, TokenPair
from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.models import Tenant, User
from clinscribe.errors import Unauthorized
from clinscribe.openemr import service
from clinscribe.openemr.connection import connect
from clinscribe.openemr.core import hashes
from clinscribe.security.scoping import owned_by

INVALID = "invalid OpenEMR username or password"

_ACCOUNT = text(
    "SELECT u.id, u.username, u.fname, u.lname, u.email, u.authorized, u.active, "
    "u.password AS old, "
    "s.id AS secure_id, s.password AS hash "
    "FROM users u LEFT JOIN users_secure s ON BINARY s.username = BINARY u.username "
    "WHERE BINARY u.username = :username"
)


@dataclass(frozen=True)
class Account:
    """The OpenEMR account that passed every check."""

    id: int
    username: str
    full_name: str
    authorized: bool
    email: str | None = None


class OpenEmrSignInFailed(Unauthorized):
    """A refused OpenEMR sign-in; `reason` is for the audit log, never for the client."""

    status_code = 401
    code = "unauthorized"  # the same answer as a local sign-in refusal: nothing to probe

    def __init__(self, reason: str, *, tenant_id: str | None = None) -> None:
        super().__init__(INVALID)
        self.reason = reason
        self.tenant_id = tenant_id
        self.lock_key = ""


def check_account(url: str, username: str, password: str) -> Account:
    """The account if `password` is right for `username`; else `OpenEmrSignInFailed`."""
    with connect(url) as conn:
        row = conn.execute(_ACCOUNT, {"username": username}).mappings().first()
    if row is None:
        hashes.dummy_check(password)  # the same work for an unknown name: no user enumeration
        raise OpenEmrSignInFailed("unknown_user")
    stored = row["hash"]
    if row["secure_id"] is None and hashes.kind_of(row["old"]) in (
        hashes.HashKind.MD5,
        hashes.HashKind.SHA1,
    ):
        stored = row["old"]  # before OpenEMR 4.1.2 the unsalted hash sat in users.password
    elif row["secure_id"] is not None and int(row["secure_id"]) != int(row["id"]):
        hashes.dummy_check(password)
        raise OpenEmrSignInFailed("id_mismatch")
    # OpenEMR 6 dropped users_secure.salt: a salted-SHA1 row cannot be checked (salt=None).
    ok = hashes.verify(password, stored, salt=None)
    if not ok:
        raise OpenEmrSignInFailed(
            "unverifiable_hash"
            if hashes.kind_of(stored) is hashes.HashKind.SALTED_SHA1
            else "bad_password"
        )
    if int(row["active"] or 0) != 1:
        raise OpenEmrSignInFailed("inactive")  # checked after the hash: same timing either way
    return account_of(row)


def account_of(row: RowMapping) -> Account:
    """An `Account` from a `users` row (id, username, fname, lname, email, authorized)."""
    name = " ".join(p for p in (row["fname"], row["lname"]) if p) or str(row["username"])
    email = str(row["email"] or "").strip().lower()
    return Account(
        id=int(row["id"]),
        username=str(row["username"]),
        full_name=name,
        authorized=int(row["authorized"] or 0) == 1,
        email=email if "@" in email else None,
    )


def _provision(session: Session, tenant: Tenant, account: Account, role: str) -> User:
    local = None
    if account.email:
        # The tenant's own OpenEMR vouches for its accounts' addresses, so an unlinked local
        # account of THIS tenant with the same email is that person: link it, do not duplicate.
        local = session.execute(
            owned_by(User, tenant.id).where(User.email == account.email)
        ).scalar_one_or_none()
    if local is not None and local.openemr_user_id is None:
        if not local.is_active:
            raise OpenEmrSignInFailed("disabled_locally", tenant_id=tenant.id)
        local.openemr_user_id = account.id
        action, user = "user.link", local
    else:
        user = User(
            tenant_id=tenant.id,
            # A placeholder address: an email another account (or tenant) holds is not reused.
            email=f"openemr-{account.id}.{tenant.id}@openemr.invalid",
            full_name=account.full_name,
            role=role,
            openemr_user_id=account.id,
        )
        session.add(user)
        action = "user.provision"
    session.flush()
    audit.record(
        session,
        action=action,
        tenant_id=tenant.id,
        actor_type="openemr",
        actor_id=user.id,
        object_type="user",
        object_id=user.id,
    )
    return user


def linked_user(session: Session, tenant: Tenant, account: Account) -> User:
    """The local user of an OpenEMR account: linked or provisioned on first use, role synced.

    OpenEMR (through the tenant's role map) owns the role of a linked user: a change there, or
    in the map, applies at the next sign-in; a role set here by hand is overwritten then.
    """
    role = service.role_map(tenant).role_for(
        username=account.username, authorized=account.authorized
    )
    user = session.execute(
        owned_by(User, tenant.id).where(User.openemr_user_id == account.id)
    ).scalar_one_or_none()
    if user is None:
        user = _provision(session, tenant, account, role)
    elif not user.is_active:
        raise OpenEmrSignInFailed("disabled_locally", tenant_id=tenant.id)
    if user.role != role:
        user.role = role
        audit.record(
            session,
            action="user.role.openemr",
            tenant_id=tenant.id,
            actor_type="openemr",
            actor_id=user.id,
            object_type="user",
            object_id=user.id,
        )
    return user


def login(
    *, session: Session, settings: Settings, tenant_id: str, username: str, password: str
) -> TokenPair | MfaChallenge:
    """Check the OpenEMR credentials and issue our usual token pair (linking on first use).

    Failures count toward the same sign-in lockout as password sign-in, under the tenant and
    user name presented (known or not).
    """
    lock = Lockout(settings)
    key = account_key("openemr", tenant_id, username)
    lock.check(session, key)
    try:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None or not tenant.openemr_url_encrypted:
            hashes.dummy_check(password)
            raise OpenEmrSignInFailed("no_openemr_tenant")
        url = service.database_url(settings=settings, tenant=tenant)
        try:
            account = check_account(url, username, password)
        except OpenEmrSignInFailed as failure:
            failure.tenant_id = tenant.id
            raise
        user = linked_user(session, tenant, account)
    except OpenEmrSignInFailed as failure:
        failure.lock_key = key  # counted by `record_failure`, after the rollback
        raise
    lock.succeeded(session, key)
    return accounts_auth.password_accepted(session, settings, user, via="openemr")


def record_failure(
    *,
    session: Session,
    settings: Settings,
    failure: OpenEmrSignInFailed | SignInLocked,
    tenant_id: str | None = None,
) -> None:
    """Count a refused sign-in toward the lockout and audit it (the request was rolled back)."""
    reason = failure.reason if isinstance(failure, OpenEmrSignInFailed) else "locked"
    if isinstance(failure, OpenEmrSignInFailed) and failure.lock_key:
        Lockout(settings).failed(session, failure.lock_key)
    known = failure.tenant_id if isinstance(failure, OpenEmrSignInFailed) else None
    audit.record(
        session,
        action=f"auth.openemr.{reason}",
        outcome="denied",
        tenant_id=known or (tenant_id if session.get(Tenant, tenant_id or "") else None),
        actor_type="anonymous",
        object_type="sign_in",
    )
