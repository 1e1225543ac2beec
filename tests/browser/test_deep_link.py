"""A deep link opened as the very first visit of a fresh server shows the linked page, cleanly.

Each browser test starts a server of its own (``fresh_app_url``), so that the deep link is the
server process's first script run: the run Streamlit would treat as a legacy ``pages/`` folder
run, answered with a "Page not found" notice, if streamlit_app.py did not switch that mode off at
startup (pages/ui/page_folder.py). The tests without a browser check that Streamlit still behaves
as that module describes, so that an upgrade that changes it is noticed.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.web.server.app_discovery import discover_asgi_app

from pages.ui import startup
from pages.ui.registry import PAGES
from tests.browser.conftest import REPO_ROOT, VIEWPORT, assert_no_errors, open_page
from tests.coroutines import run_coroutine

ENTRY = REPO_ROOT / "streamlit_app.py"
#: How long after the run a "Page not found" notice may still appear: the frontend shows it as a
#: dialog as soon as the message arrives, which is during the script run, so this is a margin.
NOTICE_GRACE_S = 3.0


# --------------------------------------------------------------------------- Streamlit's side


def test_a_pages_folder_still_turns_streamlit_legacy_mode_on(monkeypatch):
    # The cause: the first PagesManager of a process sees pages/ beside the entry script. If this
    # fails after a Streamlit upgrade, the legacy mode is gone or decided elsewhere: check whether
    # pages/ui/page_folder.py is still needed.
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    PagesManager(str(ENTRY))
    assert PagesManager.uses_pages_directory is True


def test_the_startup_hook_keeps_legacy_mode_off_for_the_first_session(monkeypatch):
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    # The hook's other step that outlives it (computing default results) is not this test's.
    monkeypatch.setattr(startup, "start_computing_defaults", lambda: None)

    async def start_server() -> None:
        async with startup.server_startup(None):
            PagesManager(str(ENTRY))  # what the first browser session builds

    # In a thread of its own: Playwright's sync API (an earlier test in this process) leaves
    # an event loop running in the test thread, where asyncio.run refuses to start.
    run_coroutine(start_server)
    assert PagesManager.uses_pages_directory is False


def test_streamlit_run_serves_the_entry_script_through_its_app_object():
    # ``streamlit run streamlit_app.py`` only runs the startup hook when it finds ``app``.
    found = discover_asgi_app(ENTRY)
    assert found.is_asgi_app
    assert found.import_string == "streamlit_app:app"


# --------------------------------------------------------------------------- in the browser


def assert_no_page_not_found(tab, seconds: float = NOTICE_GRACE_S) -> None:
    """No "Page not found" text anywhere on the page, now or during the next ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        notices = tab.get_by_text("Page not found")
        assert notices.count() == 0, f"'Page not found' on {tab.url}: {notices.all_inner_texts()}"
        if time.monotonic() > deadline:
            return
        time.sleep(0.25)


@pytest.mark.browser
@pytest.mark.parametrize(
    ("url_path", "query"),
    [("signal-propagation", "layers=30"), ("quiz-formulas", "")],
)
def test_first_visit_of_a_fresh_server_shows_the_linked_page(
    browser, fresh_app_url, url_path, query
):
    info = next(info for info in PAGES if info.url_path == url_path)
    context = browser.new_context(base_url=fresh_app_url, viewport=VIEWPORT)
    try:
        tab = context.new_page()
        open_page(tab, url_path, query)
        assert_no_page_not_found(tab)
        assert_no_errors(tab)
        assert tab.locator("h1").first.inner_text().strip() == info.title
        # The shell's navigation (not a legacy one built from pages/*.py) marks the linked page.
        current = tab.locator('[data-testid="stSidebarNav"] a[aria-current="page"]')
        assert current.count() == 1
        assert urlsplit(current.get_attribute("href")).path == f"/{url_path}"
        assert current.inner_text().strip().endswith(info.title)
        assert tab.get_by_text("Student ID").count() >= 1
        assert urlsplit(tab.url).path == f"/{url_path}"
        for name, values in parse_qs(query).items():
            assert parse_qs(urlsplit(tab.url).query).get(name) == values
    finally:
        context.close()
