"""Any setting from a file: `CLINSCRIBE_X_FILE`, or a file named after it in
`CLINSCRIBE_SECRETS_DIR` (Secret volumes, Vault Agent templates)."""

from pathlib import Path

import pytest

from clinscribe.config import Settings
from clinscribe.errors import ConfigError

KEY = "k1:" + "A" * 44


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_setting_is_read_from_its_file_without_the_trailing_newline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINSCRIBE_JWT_SECRET_FILE", str(write(tmp_path / "jwt", "s3cret-value\n")))
    monkeypatch.setenv(
        "CLINSCRIBE_ENCRYPTION_KEYS_FILE", str(write(tmp_path / "k", f'["{KEY}"]\n'))
    )
    monkeypatch.setenv("CLINSCRIBE_JOB_MAX_ATTEMPTS_FILE", str(write(tmp_path / "n", "7")))
    settings = Settings()
    assert settings.jwt_secret is not None
    assert settings.jwt_secret.get_secret_value() == "s3cret-value"
    assert [k.get_secret_value() for k in settings.encryption_keys] == [KEY]
    assert settings.job_max_attempts == 7


def test_a_secrets_directory_supplies_settings_the_environment_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "CLINSCRIBE_API_KEY_PEPPER", "pepper-from-a-volume")
    write(tmp_path / "CLINSCRIBE_DATABASE_URL", "postgresql://app:pw@db/clinscribe\n")
    monkeypatch.setenv("CLINSCRIBE_SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("CLINSCRIBE_DATABASE_URL", "postgresql://app@other/clinscribe")
    settings = Settings()
    assert settings.api_key_pepper is not None
    assert settings.api_key_pepper.get_secret_value() == "pepper-from-a-volume"
    assert settings.database_url == "postgresql://app@other/clinscribe"  # the environment wins


def test_a_value_and_its_file_together_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINSCRIBE_JWT_SECRET", "inline")
    monkeypatch.setenv("CLINSCRIBE_JWT_SECRET_FILE", str(write(tmp_path / "jwt", "from-file")))
    with pytest.raises(ConfigError, match="CLINSCRIBE_JWT_SECRET or CLINSCRIBE_JWT_SECRET_FILE"):
        Settings()


def test_an_unreadable_or_malformed_file_is_named_without_its_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINSCRIBE_JWT_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="CLINSCRIBE_JWT_SECRET_FILE: cannot read"):
        Settings()
    monkeypatch.delenv("CLINSCRIBE_JWT_SECRET_FILE")
    monkeypatch.setenv(
        "CLINSCRIBE_ENCRYPTION_KEYS_FILE", str(write(tmp_path / "keys", "k1:not-json-secret"))
    )
    with pytest.raises(ConfigError) as caught:
        Settings()
    assert "not valid JSON" in str(caught.value) and "not-json-secret" not in str(caught.value)
