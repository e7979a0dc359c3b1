"""Settings: prod refuses unsafe configurations, naming each problem."""

from pathlib import Path

import pytest

from clinscribe.config import Settings
from clinscribe.errors import ConfigError

STRONG = "s" * 40


def prod(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "profile": "prod",
        "database_url": "postgresql://app@db/clinscribe",
        "jwt_secret": STRONG,
        "api_key_pepper": STRONG,
        "encryption_keys": ["k1:" + "A" * 44],
        "blind_index_key": "i" * 40,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def test_a_complete_prod_configuration_starts() -> None:
    prod().validate_for_prod()


@pytest.mark.parametrize(
    ("overrides", "phrase"),
    [
        ({"jwt_secret": None}, "CLINSCRIBE_JWT_SECRET"),
        ({"jwt_secret": "short"}, "CLINSCRIBE_JWT_SECRET"),
        ({"api_key_pepper": None}, "CLINSCRIBE_API_KEY_PEPPER"),
        ({"database_url": None}, "SQLite"),
        ({"encryption_keys": []}, "CLINSCRIBE_ENCRYPTION_KEYS"),
        ({"blind_index_key": "short"}, "CLINSCRIBE_BLIND_INDEX_KEY"),
        ({"allow_guest": True}, "CLINSCRIBE_ALLOW_GUEST"),
        ({"jwt_algorithm": "RS256"}, "signing keys"),
    ],
)
def test_prod_fails_fast_on_each_unsafe_setting(overrides: dict[str, object], phrase: str) -> None:
    with pytest.raises(ConfigError, match=phrase):
        prod(**overrides).validate_for_prod()


def test_env_variables_with_the_prefix_configure_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLINSCRIBE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CLINSCRIBE_ACCESS_TOKEN_MINUTES", "5")
    settings = Settings()
    assert settings.data_dir == tmp_path and settings.access_token_minutes == 5
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/clinscribe.db"


def test_dev_secrets_persist_under_the_data_dir_so_cli_and_server_agree(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).jwt_signing_secret()
    assert Settings(data_dir=tmp_path).jwt_signing_secret() == first
    assert len(first) >= 32


def test_guest_access_is_read_only_and_limited_to_one_tenant_in_dev(settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from clinscribe.api.app import create_app
    from tests.support import build_tenant

    world = build_tenant(settings)
    other = build_tenant(settings)
    guest = settings.model_copy(update={"allow_guest": True, "guest_tenant_id": world.id})
    with TestClient(create_app(guest, start_worker=False)) as client:
        assert client.get(f"/api/v1/patients/{world.patient_id}").status_code == 200
        assert client.get(f"/api/v1/patients/{other.patient_id}").status_code == 404
        created = client.post(
            "/api/v1/patients", json={"mrn": "G1", "given_name": "G", "family_name": "H"}
        )
        assert created.status_code == 403
        assert client.get("/api/v1/audit").status_code == 403
