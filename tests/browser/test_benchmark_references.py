"""The browser benchmark's reference pages (benchmarks/pages.py) serve what their names say: a
ratio against a reference that broke would read as a page that got faster."""

from __future__ import annotations

import re

import pytest

from benchmarks.pages import REFERENCES, _cold_load, _server, reference_script
from pages.ui.registry import PAGES
from tests.browser.conftest import assert_no_errors, open_page, wait_for_app

pytestmark = pytest.mark.browser

#: Whether each reference draws a chart.
DRAWS_A_CHART = {"empty page": False, "one tiny chart": True, "app + tiny chart": True}


def test_the_references_are_the_ones_checked_here():
    assert [key for key, _ in REFERENCES] == list(DRAWS_A_CHART)


@pytest.mark.parametrize(("key", "text"), REFERENCES, ids=[key for key, _ in REFERENCES])
def test_a_reference_page_loads_and_draws_what_its_name_says(browser, tmp_path, key, text):
    with _server(reference_script(tmp_path, key, text), tmp_path) as (url, pid):
        load = _cold_load(browser, url, "", pid)
    assert load.chart is DRAWS_A_CHART[key]
    assert load.seconds > 0 and load.server_cpu > 0


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
    text = dict(REFERENCES)["app + tiny chart"]
    with _server(reference_script(tmp_path, "app + tiny chart", text), tmp_path) as (url, _):
        context = browser.new_context(base_url=url)
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
