"""Browser tests: a real `streamlit run app.py` driven by Playwright in Chromium.

Chromium is found at $CHROMIUM_PATH, /usr/bin/chromium, or Playwright's own install;
without one these tests are skipped with a loud reason (under CI they fail instead).
Screenshots go to test-artifacts/ at the repository root.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def find_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.path.exists(candidate):
            return candidate
    try:  # Playwright's own browser, if someone installed it
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            path = p.chromium.executable_path
            return path if path and os.path.exists(path) else None
    except Exception:  # noqa: BLE001
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App:
    """A Streamlit server of this repository on a free port."""

    def __init__(self, env: dict):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = ARTIFACTS / f"streamlit-{self.port}.log"
        ARTIFACTS.mkdir(exist_ok=True)
        self._log = open(self.log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.started = time.perf_counter()
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.close()
        raise RuntimeError(f"streamlit did not start; see {self.log}")

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


@pytest.fixture(scope="session")
def chromium_path():
    path = find_chromium()
    if path is None:
        skip_or_fail("NO CHROMIUM FOUND: browser tests skipped. Install Debian's chromium "
                    "(apt-get install -y chromium) or set CHROMIUM_PATH.")
    return path


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    env = dict(os.environ)
    env["CVLAB_RUNS_DIR"] = str(tmp_path_factory.mktemp("e2e-runs"))
    server = App(env)
    server.runs_dir = Path(env["CVLAB_RUNS_DIR"])
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=[
            "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync",
            # the camera is Chromium's own fake device (a moving test pattern); a context
            # must still be granted the "camera" permission to use it
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def wait_ready(page, timeout: float = 60_000):
    page.wait_for_selector(READY, timeout=timeout)


def MAIN(page):  # noqa: N802 - reads like a selector
    """The page's main area (not the sidebar, where e.g. Recognize has its own-model
    uploader): ``MAIN(page).locator('input[type="file"]')`` is the picture uploader."""
    return page.locator('[data-testid="stMain"]')


def screenshot(page, name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def draw_seven(page) -> None:
    """Draw a 7 (the bar, then the diagonal) on the page's drawing canvas with the mouse
    (fabric.js: the last canvas element receives the mouse)."""
    box = page.locator("canvas").last.bounding_box()
    assert box and box["width"] >= 200
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + 60, y0 + 50)
    page.mouse.down()
    page.mouse.move(x0 + 220, y0 + 50, steps=20)
    page.mouse.move(x0 + 120, y0 + 250, steps=25)
    page.mouse.up()
