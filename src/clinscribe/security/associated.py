"""Associated data for sealed secrets: binds each ciphertext to the row and column it lives in.

Kept here, below every service, so key rotation re-seals a secret with exactly the associated
data its owner used, without importing the owner.
"""

from __future__ import annotations


def llm_key_aad(tenant_id: str) -> str:
    """A tenant's LLM refinement API key."""
    return f"tenants:{tenant_id}:llm_key"


def endpoint_aad(tenant_id: str) -> str:
    """A tenant's EHR endpoint credentials."""
    return f"ehr_endpoints:{tenant_id}:auth"


def openemr_url_aad(tenant_id: str) -> str:
    """A tenant's OpenEMR database URL (it carries the database password)."""
    return f"tenants:{tenant_id}:openemr_url"


def smart_secret_aad(tenant_id: str) -> str:
    """A tenant's SMART App Launch client secret (OpenEMR's OAuth client)."""
    return f"tenants:{tenant_id}:smart_secret"


def smart_verifier_aad(launch_id: str) -> str:
    """The PKCE verifier of one pending SMART launch."""
    return f"smart_launches:{launch_id}:verifier"


def mfa_secret_aad(user_id: str) -> str:
    """A user's TOTP shared secret."""
    return f"user_mfa:{user_id}:secret"
