"""Pages and static assets of the clinician web UI (a client of the `/api/v1` REST API).

The shell is one HTML page; everything else is static JavaScript and CSS served from this
package, so a `default-src 'self'` Content-Security-Policy holds with no inline code.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from clinscribe import __version__
from clinscribe.accounts import sso
from clinscribe.config import Settings

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
SHELL = HERE / "templates" / "index.html"
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=1)
def _shell_source() -> str:
    return SHELL.read_text(encoding="utf-8")


def render_shell(settings: Settings) -> str:
    """The page shell with the few settings the browser needs, HTML-escaped into attributes."""
    values = {
        "version": __version__,
        "oidc_issuer": settings.oidc_issuer or "",
        "sso": "on" if sso.enabled(settings) else "off",
    }
    page = _shell_source()
    for key, value in values.items():
        page = page.replace("{{" + key + "}}", html.escape(value, quote=True))
    return page


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The single page; views are chosen client-side from the URL fragment."""
    settings: Settings = request.app.state.settings
    return HTMLResponse(render_shell(settings), headers={"cache-control": "no-cache"})


@router.get("/static/{path:path}")
def static(path: str) -> Response:
    """A file under the package's static folder (never outside it)."""
    target = (STATIC / path).resolve()
    if not target.is_relative_to(STATIC) or not target.is_file():
        return Response(status_code=404)
    media_type = MEDIA_TYPES.get(target.suffix, "application/octet-stream")
    return FileResponse(target, media_type=media_type, headers={"cache-control": "no-cache"})
