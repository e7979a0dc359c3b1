"""A tenant's OpenEMR connection: stored sealed, shown without secrets, checked on demand."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from clinscribe.accounts import service as accounts
from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.models import Tenant
from clinscribe.errors import ClinscribeError
from clinscribe.openemr.connection import check_schema, connect, parse_url
from clinscribe.openemr.core import roles
from clinscribe.openemr.core.schema import REQUIRED
from clinscribe.openemr.schemas import (
    ConnectionPatch,
    ConnectionRead,
    ConnectionStatus,
    ConnectionUpdate,
    RoleMapIn,
)
from clinscribe.security.associated import openemr_url_aad
from clinscribe.security.crypto import key_ring
from clinscribe.security.principal import Principal


class OpenEmrNotConfigured(ClinscribeError):
    """The tenant has no OpenEMR connection."""

    status_code = 404
    code = "openemr_not_configured"


def database_url(*, settings: Settings, tenant: Tenant) -> str:
    """The tenant's OpenEMR URL, unsealed for one use; never returned or logged."""
    if not tenant.openemr_url_encrypted:
        raise OpenEmrNotConfigured("no OpenEMR connection is configured for this tenant")
    sealed = tenant.openemr_url_encrypted
    return key_ring(settings).decrypt(sealed, openemr_url_aad(tenant.id)).decode()


def _read(settings: Settings, tenant: Tenant) -> ConnectionRead:
    if not tenant.openemr_url_encrypted:
        return ConnectionRead(configured=False)
    target = parse_url(database_url(settings=settings, tenant=tenant))
    return ConnectionRead(
        configured=True,
        host=target.host,
        port=target.port,
        database=target.database,
        write_back="soap" if tenant.openemr_write_back == "soap" else "none",
        facility_id=tenant.openemr_facility_id,
        write_lists=bool(tenant.openemr_write_lists),
        role_map=RoleMapIn.model_validate(role_map(tenant).as_dict()),
    )


def role_map(tenant: Tenant) -> roles.RoleMap:
    """The tenant's OpenEMR role map (the default when none was set)."""
    return roles.loads(tenant.openemr_role_map)


def get_connection(*, session: Session, settings: Settings, principal: Principal) -> ConnectionRead:
    principal.require("tenant:write")  # even host names are for admins
    tenant = accounts.own_tenant(session=session, principal=principal)
    return _read(settings, tenant)


def put_connection(
    *, session: Session, settings: Settings, principal: Principal, data: ConnectionUpdate
) -> ConnectionRead:
    """Store (replace) the connection; the URL is validated, then sealed to this tenant row."""
    principal.require("tenant:write")
    tenant = accounts.own_tenant(session=session, principal=principal)
    parse_url(data.database_url)  # 422 before anything is stored
    ring = key_ring(settings)
    tenant.openemr_url_encrypted = ring.encrypt(
        data.database_url.strip().encode(), openemr_url_aad(tenant.id)
    )
    tenant.openemr_write_back = data.write_back
    tenant.openemr_facility_id = data.facility_id
    tenant.openemr_write_lists = data.write_lists
    tenant.openemr_role_map = _dumped(data.role_map)
    session.flush()
    audit.record(
        session,
        action="tenant.openemr.update",
        principal=principal,
        object_type="tenant",
        object_id=tenant.id,
    )
    return _read(settings, tenant)


def _dumped(data: RoleMapIn | None) -> str | None:
    if data is None:
        return None
    return roles.dumps(
        roles.RoleMap(authorized=data.authorized, default=data.default, users=data.users)
    )


def patch_connection(
    *, session: Session, settings: Settings, principal: Principal, data: ConnectionPatch
) -> ConnectionRead:
    """Change write-back, facility or role map of an existing connection (URL untouched)."""
    principal.require("tenant:write")
    tenant = accounts.own_tenant(session=session, principal=principal)
    if not tenant.openemr_url_encrypted:
        raise OpenEmrNotConfigured("no OpenEMR connection is configured for this tenant")
    if data.write_back is not None:
        tenant.openemr_write_back = data.write_back
    if "facility_id" in data.model_fields_set:
        tenant.openemr_facility_id = data.facility_id
    if data.write_lists is not None:
        tenant.openemr_write_lists = data.write_lists
    if data.role_map is not None:
        tenant.openemr_role_map = _dumped(data.role_map)
    session.flush()
    audit.record(
        session,
        action="tenant.openemr.update",
        principal=principal,
        object_type="tenant",
        object_id=tenant.id,
    )
    return _read(settings, tenant)


def check(*, settings: Settings, tenant: Tenant) -> ConnectionStatus:
    """Connect and check every table and column the bridge uses (raises naming what is wrong)."""
    url = database_url(settings=settings, tenant=tenant)
    target = parse_url(url)
    with connect(url) as conn:
        version = str(conn.execute(text("SELECT VERSION()")).scalar_one())
        check_schema(conn)
    return ConnectionStatus(
        status="ok",
        host=target.host,
        database=target.database,
        server_version=version,
        tables_checked=len(REQUIRED),
    )


def status(*, session: Session, settings: Settings, principal: Principal) -> ConnectionStatus:
    principal.require("tenant:write")
    tenant = accounts.own_tenant(session=session, principal=principal)
    return check(settings=settings, tenant=tenant)
