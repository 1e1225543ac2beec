"""A deep link opened as the very first visit of a fresh server still shows the linked view.

This test starts its own server (not the shared, warmed-up one) so that the deep link is the
server's first script run, the case the README describes: Streamlit may show its legacy
"Page not found" notice once, but the page and its controls must be the linked ones.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import (
    REPO_ROOT,
    VIEWPORT,
    free_port,
    start_streamlit,
    stop_streamlit,
    wait_for_app,
    wait_healthy,
)

pytestmark = pytest.mark.browser


def test_first_visit_deep_link_reproduces_the_view(browser, tmp_path):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"
    process = start_streamlit(REPO_ROOT / "streamlit_app.py", port, log_path)
    try:
        wait_healthy(base_url, process, log_path)
        context = browser.new_context(base_url=base_url, viewport=VIEWPORT)
        tab = context.new_page()
        tab.goto("/signal-propagation?init=xavier_normal&activation=relu&layers=12")
        wait_for_app(tab)
        assert tab.locator("h1").first.inner_text().strip() == "Signal propagation"
        assert tab.get_by_text("Xavier/Glorot normal + ReLU, 12 layers").count() >= 1
        # The shell ran: its navigation and the student box are in the sidebar.
        assert tab.locator('[data-testid="stSidebarNav"]').get_by_text("Quantization range").count()
        assert tab.get_by_text("Student name or ID").count() >= 1
        # A second visit on the same server is clean.
        second = context.new_page()
        second.goto("/forward-pass?init=he_normal")
        wait_for_app(second)
        assert second.get_by_role("dialog").filter(has_text="Page not found").count() == 0
        assert second.locator("h1").first.inner_text().strip() == "Forward pass"
        context.close()
    finally:
        stop_streamlit(process)
