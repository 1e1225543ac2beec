"""Smoke test in a real browser: every page of the registry opens without an error."""

from __future__ import annotations

import re

import pytest

from pages.ui.registry import HOME_KEY, PAGES
from tests.browser.conftest import assert_no_errors, open_page, screenshot, wait_for_app

pytestmark = pytest.mark.browser

STUDENT_BOX = {"role": "textbox", "name": "Your name", "exact": True}


@pytest.mark.parametrize("info", PAGES, ids=[info.key for info in PAGES])
def test_every_page_opens_without_errors(page, info):
    from playwright.sync_api import expect

    open_page(page, "" if info.key == HOME_KEY else info.url_path)
    assert_no_errors(page)
    expected = "Weight Initialization Lab" if info.key == HOME_KEY else info.title
    expect(page.locator("h1").first).to_have_text(expected)
    # The shell's sidebar is on every page, and no dialog (e.g. "Page not found") covers it.
    expect(page.get_by_role(**STUDENT_BOX)).to_have_count(1)
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert screenshot(page, info.key).stat().st_size > 10_000


def test_student_name_survives_navigation(page):
    from playwright.sync_api import expect

    open_page(page, "")
    box = page.get_by_role(**STUDENT_BOX)
    box.fill("Ada Lovelace")
    box.press("Enter")
    wait_for_app(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Forward pass").click()
    # The page writes its controls to the URL, so match the path and ignore the query.
    page.wait_for_url(re.compile(r"/forward-pass(\?|$)"))
    wait_for_app(page)
    expect(page.locator("h1").first).to_have_text("Forward pass")
    expect(page.get_by_role(**STUDENT_BOX)).to_have_value("Ada Lovelace")
