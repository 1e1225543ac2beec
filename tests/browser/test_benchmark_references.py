"""The browser benchmark's reference pages (benchmarks/pages.py) serve what their names say: a
ratio against a reference that broke would read as a page that got faster."""

from __future__ import annotations

import re

import pytest

from benchmarks.pages import (
    APP_FLOOR_KEY,
    EMPTY_KEY,
    REFERENCES,
    TINY_CHART_KEY,
    _cold_load,
    _server,
    reference_script,
)
from pages.ui.registry import PAGES
from tests.browser.conftest import VIEWPORT, assert_no_errors, open_page, wait_for_app

pytestmark = pytest.mark.browser

#: Whether each reference draws a chart.
DRAWS_A_CHART = {EMPTY_KEY: False, TINY_CHART_KEY: True, APP_FLOOR_KEY: True}


@pytest.mark.parametrize(("key", "text"), REFERENCES, ids=[key for key, _ in REFERENCES])
def test_a_reference_page_loads_and_draws_what_its_name_says(browser, tmp_path, key, text):
    with _server(reference_script(tmp_path, key, text), tmp_path) as (url, pid):
        load = _cold_load(browser, url, "", pid)
    assert load.chart is DRAWS_A_CHART[key]
    assert load.server_cpu > 0  # the server's CPU is read from the process that served it


def test_the_app_floor_is_the_app_shell_around_one_chart(browser, page, tmp_path):
    from playwright.sync_api import expect

    def menu(tab) -> list[str]:
        """Every entry of the sidebar's menu, once it is expanded."""
        navigation = tab.get_by_test_id("stSidebarNav")
        more = navigation.get_by_role("button", name=re.compile(r"View \d+ more"))
        if more.count():
            more.click()
            expect(more).to_have_count(0)
        return navigation.get_by_role("link").all_inner_texts()

    open_page(page, "")
    app_menu = menu(page)
    assert len(app_menu) == len(PAGES)
    text = dict(REFERENCES)[APP_FLOOR_KEY]
    with _server(reference_script(tmp_path, APP_FLOOR_KEY, text), tmp_path) as (url, _):
        context = browser.new_context(base_url=url, viewport=VIEWPORT)
        try:
            floor = context.new_page()
            floor.goto("/")
            wait_for_app(floor)
            assert_no_errors(floor)
            expect(floor.get_by_test_id("stVegaLiteChart")).to_have_count(1)
            expect(floor.get_by_role("textbox", name="Your name", exact=True)).to_have_count(1)
            # The app's menu, with the floor's page first.
            assert menu(floor) == ["One tiny chart", *app_menu]
        finally:
            context.close()
