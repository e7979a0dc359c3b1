"""Choosing the blob store from settings: URLs, `*_FILE` secrets, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from clinscribe.config import Settings
from clinscribe.errors import ConfigError
from clinscribe.security import crypto
from clinscribe.storage.blobs import LocalBlobStore
from clinscribe.storage.s3 import S3BlobStore
from clinscribe.storage.s3objects import S3Location
from clinscribe.storage.select import blob_store, s3_options
from tests.conftest import make_settings


def test_no_blob_url_keeps_blobs_under_the_data_dir(settings: Settings) -> None:
    store = blob_store(settings, crypto.key_ring(settings))
    assert isinstance(store, LocalBlobStore) and store.root == settings.blob_dir


def test_an_s3_url_selects_the_s3_store_with_bucket_and_prefix(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, blob_url="s3://records/clinic-a/", s3_endpoint_url="http://127.0.0.1:1"
    )
    store = blob_store(settings, crypto.key_ring(settings))
    assert isinstance(store, S3BlobStore)
    assert store.location == S3Location("records", "clinic-a/")
    assert S3Location.parse("s3://records") == S3Location("records", "")


@pytest.mark.parametrize("url", ["file:///srv/blobs", "s3:///no-bucket", "records/blobs"])
def test_a_blob_url_that_is_not_s3_is_a_config_error(tmp_path: Path, url: str) -> None:
    settings = make_settings(tmp_path, blob_url=url)
    with pytest.raises(ConfigError, match="s3://bucket/prefix"):
        blob_store(settings, crypto.key_ring(settings))


def test_credentials_and_endpoint_can_come_from_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "key").write_text("AKIDEXAMPLE\n")
    (tmp_path / "secret").write_text("very-secret\n")
    (tmp_path / "url").write_text("s3://bucket/p\n")
    monkeypatch.setenv("CLINSCRIBE_S3_ACCESS_KEY_FILE", str(tmp_path / "key"))
    monkeypatch.setenv("CLINSCRIBE_S3_SECRET_KEY_FILE", str(tmp_path / "secret"))
    monkeypatch.setenv("CLINSCRIBE_BLOB_URL_FILE", str(tmp_path / "url"))
    monkeypatch.setenv("CLINSCRIBE_S3_REGION", "eu-west-3")
    settings = Settings(data_dir=tmp_path)
    options = s3_options(settings)
    assert (options.access_key, options.secret_key) == ("AKIDEXAMPLE", "very-secret")
    assert settings.blob_url == "s3://bucket/p" and options.region == "eu-west-3"
    assert "very-secret" not in repr(settings)  # secrets stay masked
    # A value and its file together are ambiguous: refused, naming the setting.
    monkeypatch.setenv("CLINSCRIBE_S3_ACCESS_KEY", "DIRECT")
    with pytest.raises(ConfigError, match="S3_ACCESS_KEY or CLINSCRIBE_S3_ACCESS_KEY_FILE"):
        Settings(data_dir=tmp_path)


def test_an_unreadable_settings_file_is_named_without_its_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINSCRIBE_S3_SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises((ConfigError, ValidationError), match="CLINSCRIBE_S3_SECRET_KEY_FILE"):
        Settings(data_dir=tmp_path)


@pytest.mark.parametrize(
    ("name", "value"),
    [("s3_retry_mode", "legacy"), ("s3_part_mb", 4), ("broker_breaker_failures", 0)],
)
def test_out_of_range_store_and_breaker_settings_are_refused(
    tmp_path: Path, name: str, value: object
) -> None:
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, **{name: value})  # type: ignore[arg-type]


def test_backup_refuses_when_blobs_are_in_s3(settings: Settings, tmp_path: Path) -> None:
    from clinscribe.maintenance.backup import BackupError, create

    in_s3 = settings.model_copy(update={"blob_url": "s3://bucket/blobs"})
    with pytest.raises(BackupError, match="S3 store"):
        create(in_s3, tmp_path / "out.tar.gz")
    assert not (tmp_path / "out.tar.gz").exists()
