"""Browser-test harness: a real ``streamlit run`` server and Debian's Chromium via Playwright.

Fixtures: ``app_url`` (session: the server's base URL), ``fresh_app_url`` (a server of the
test's own), ``browser`` (session: a Playwright Chromium), ``page`` (a fresh context and tab per
test, its base URL set to the shared server).
Helpers: ``open_page``, ``wait_for_app``, ``assert_no_errors``, ``screenshot``; the server and
browser functions are plain so that benchmarks/pages.py can reuse them.

Chromium comes from ``shutil.which("chromium")`` (never ``playwright install``). When it or
Playwright is missing the tests are skipped, or fail when ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "artifacts" / "screenshots"
HEALTH_TIMEOUT_S = 60.0
APP_TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1400, "height": 900}
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: The app has finished a script run (Streamlit sets this attribute on its root element).
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
RUNNING_ICON = '[data-testid="stStatusWidgetRunningIcon"]'
#: Placeholders of elements whose code is still loading (charts, LaTeX, ...) after the run.
SKELETON = '[data-testid="stSkeleton"]'
CHART = '[data-testid="stVegaLiteChart"]'
ERROR_SELECTORS = ('[data-testid="stException"]', '[data-testid="stAlertContentError"]')


# --------------------------------------------------------------------------- plain helpers


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_streamlit(script: Path, port: int, log_path: Path) -> subprocess.Popen:
    """Start ``streamlit run script`` headless on 127.0.0.1:port in its own process group."""
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            command,
            cwd=script.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_healthy(
    base_url: str, process: subprocess.Popen, log_path: Path, timeout: float = HEALTH_TIMEOUT_S
) -> None:
    """Wait until ``/_stcore/health`` answers ``ok``; RuntimeError with the log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"streamlit not healthy after {timeout:.0f} s:\n{_tail(log_path)}")


def stop_streamlit(process: subprocess.Popen) -> None:
    """Stop the server and everything it started (its process group)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def browser_problem() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements-dev.txt)"
    if shutil.which("chromium") is None:
        return "Debian's chromium is not on PATH (apt-get install chromium)"
    return None


def skip_or_fail(reason: str) -> None:
    """Skip locally; fail on CI (CI=true), where a missing browser is a broken setup."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run on CI: {reason}")
    pytest.skip(reason)


def launch_chromium(playwright: Any) -> Any:
    """Launch Debian's Chromium headless with the flags a sandbox-free container needs."""
    return playwright.chromium.launch(
        executable_path=shutil.which("chromium"), args=BROWSER_ARGS, headless=True
    )


def wait_for_app(page: Any, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Wait until the script run has finished, every lazily loaded element has replaced its
    skeleton and every chart on show has been drawn (a chart in a tab that is not open is
    drawn when the tab is opened)."""
    page.wait_for_selector(APP_IDLE, timeout=timeout_ms)
    page.wait_for_selector(RUNNING_ICON, state="detached", timeout=timeout_ms)
    page.wait_for_function(
        """([skeleton, chart]) => document.querySelectorAll(skeleton).length === 0
            && [...document.querySelectorAll(chart)]
                .filter(element => element.checkVisibility())
                .every(element => element.querySelector("canvas, svg"))""",
        arg=[SKELETON, CHART],
        timeout=timeout_ms,
    )


def open_page(page: Any, url_path: str, query: str = "") -> None:
    """Open ``/url_path?query`` on the page's server and wait for the app to finish."""
    query = query.lstrip("?")
    page.goto(f"/{url_path.strip('/')}" + (f"?{query}" if query else ""))
    wait_for_app(page)


def assert_no_errors(page: Any) -> None:
    """No exception box, no st.error and no "Page not found" dialog on the page."""
    for selector in ERROR_SELECTORS:
        boxes = page.locator(selector)
        texts = boxes.all_inner_texts()
        assert boxes.count() == 0, f"{selector} on {page.url}: {texts}"
    dialogs = page.get_by_role("dialog").filter(has_text="Page not found")
    assert dialogs.count() == 0, f"'Page not found' dialog on {page.url}"


def picture_changed(element: Any, before: bytes, timeout_s: float = 15.0) -> bool:
    """Whether ``element`` looks different from the PNG ``before`` within ``timeout_s``.

    Vega redraws a chart a moment after the script run has finished, so a single screenshot
    right after ``wait_for_app`` can still show the old picture.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        if element.screenshot() != before:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page PNG to artifacts/screenshots/<name>.png and return its path.

    Streamlit scrolls inside its main container, so the viewport is stretched to the content's
    height for the shot and restored afterwards.
    """
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    viewport = page.viewport_size or VIEWPORT
    height = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight,
            ...[...document.querySelectorAll('[data-testid="stMain"], section')]
                .map(element => element.scrollHeight))"""
    )
    page.set_viewport_size({"width": viewport["width"], "height": max(viewport["height"], height)})
    try:
        wait_for_app(page)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(viewport)
    return path


# --------------------------------------------------------------------------- fixtures


@contextmanager
def serve_app(log_path: Path) -> Iterator[str]:
    """A ``streamlit run streamlit_app.py`` server for the ``with`` block: its base URL."""
    problem = browser_problem()
    if problem:
        skip_or_fail(problem)
    port = free_port()
    process = start_streamlit(REPO_ROOT / "streamlit_app.py", port, log_path)
    base_url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_healthy(base_url, process, log_path)
        except RuntimeError as error:
            pytest.fail(str(error))
        yield base_url
    finally:
        stop_streamlit(process)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a ``streamlit run streamlit_app.py`` server for the whole session."""
    with serve_app(tmp_path_factory.mktemp("streamlit") / "server.log") as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright's sync API."""
    problem = browser_problem()
    if problem:
        skip_or_fail(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def fresh_app_url(tmp_path: Path) -> Iterator[str]:
    """Base URL of a server started for this test alone, so that the test's first visit is the
    server process's first script run (``app_url`` is shared and has served other tests)."""
    with serve_app(tmp_path / "server.log") as base_url:
        yield base_url


@pytest.fixture
def page(browser: Any, app_url: str) -> Iterator[Any]:
    """A fresh browser context (its own Streamlit session) and tab per test."""
    context = browser.new_context(base_url=app_url, viewport=VIEWPORT)
    tab = context.new_page()
    yield tab
    context.close()


def choose_option(page: Any, combobox: Any, option: str) -> None:
    """Open a selectbox and pick ``option``. After an element screenshot the first click on a
    selectbox only takes the focus, so the list is opened with up to three clicks."""
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):
        combobox.click()
        try:
            choice.wait_for(state="visible", timeout=2_000)
            break
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError; try the click again
            continue
    choice.click()
