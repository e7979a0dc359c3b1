"""The page shell and static assets keep to a strict CSP and never reach off the machine."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clinscribe.config import Settings
from clinscribe.web.routes import STATIC
from tests.live import served_app


@pytest.fixture
def web(settings: Settings) -> Iterator[TestClient]:
    oidc = settings.model_copy(update={"oidc_issuer": 'https://sso.example.org/"><script>'})
    with TestClient(served_app(oidc)) as client:
        yield client


def test_the_shell_has_no_inline_code_and_a_self_only_policy(web: TestClient) -> None:
    page = web.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    html = page.text
    assert all('src="' in tag for tag in re.findall(r"<script[^>]*>", html))
    assert not re.search(r"\sstyle=|\son[a-z]+=", html)
    # Settings land escaped in attributes, never as markup.
    assert '<script>"' not in html and "&quot;&gt;&lt;script&gt;" in html


def test_static_files_are_served_and_nothing_outside_the_folder(web: TestClient) -> None:
    js = web.get("/static/js/app.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert web.get("/static/css/app.css").headers["content-type"].startswith("text/css")
    assert web.get("/static/../routes.py").status_code == 404
    assert web.get("/static/%2e%2e/routes.py").status_code == 404
    assert web.get("/static/js/missing.js").status_code == 404


def test_assets_name_no_remote_address_and_use_no_inline_styles_or_eval() -> None:
    files = [p for p in Path(STATIC).rglob("*") if p.suffix in (".js", ".css", ".svg")]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        urls = re.findall(r"https?://[^\s\"'`)]+", text)
        remote = [u for u in urls if "w3.org/2000/svg" not in u]
        assert not remote, (path, remote)
        assert "innerHTML" not in text and "eval(" not in text and "new Function" not in text
        assert "@import" not in text and "url(" not in text, path
