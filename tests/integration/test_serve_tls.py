"""`clinscribe serve --ssl-keyfile/--ssl-certfile` serves HTTPS (a real server process)."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from clinscribe.cli import main
from tests.live import free_port


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def test_serve_answers_https_with_the_given_certificate(tmp_path: Path) -> None:
    key, cert = self_signed(tmp_path)
    port = free_port()
    env = {
        **os.environ,
        "CLINSCRIBE_DATA_DIR": str(tmp_path / "data"),
        "CLINSCRIBE_STREAM_WARMUP": "false",
    }
    args = [
        "--no-migrate",
        "--port",
        str(port),
        "--ssl-keyfile",
        str(key),
        "--ssl-certfile",
        str(cert),
    ]
    server = subprocess.Popen(
        [sys.executable, "-m", "clinscribe.cli", "serve", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    trust = ssl.create_default_context(cafile=str(cert))
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                answer = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trust, timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        assert answer.status_code == 200 and answer.json()["status"] == "ok"
        with pytest.raises(httpx.TransportError):  # plain HTTP is not spoken on that port
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).raise_for_status()
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_key_without_a_certificate_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, _ = self_signed(tmp_path)
    assert main(["serve", "--ssl-keyfile", str(key)]) != 0
    err = capsys.readouterr().err
    assert "--ssl-keyfile and --ssl-certfile go together" in err
    assert len(err.strip().splitlines()) == 1
