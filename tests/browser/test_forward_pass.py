"""Browser test of the Forward pass page: charts render, a control changes them, screenshots."""

from __future__ import annotations

import pytest

from tests.browser.conftest import (
    CHART,
    assert_no_errors,
    open_page,
    picture_changed,
    screenshot,
    wait_for_app,
)

pytestmark = pytest.mark.browser

URL = "forward-pass"


def test_default_view_renders_and_a_control_changes_the_histograms(page):
    from playwright.sync_api import expect

    open_page(page, URL)
    assert_no_errors(page)
    expect(page.locator("h1").first).to_have_text("Forward pass")
    charts = page.locator(CHART)
    # 5 histograms, std, variance and the five-inits chart.
    expect(charts).to_have_count(8)
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100
    assert screenshot(page, "forward_pass_default").stat().st_size > 10_000
    first_before = charts.first.screenshot()

    page.get_by_role("radio", name="a (activation)").click()
    wait_for_app(page)
    page.wait_for_url("**hist=post**")
    assert_no_errors(page)
    expect(charts).to_have_count(8)
    assert picture_changed(charts.first, first_before)
    assert screenshot(page, "forward_pass_post").stat().st_size > 10_000


@pytest.mark.parametrize(
    ("query", "name", "count"),
    [
        ("view=sigma_sweep", "forward_pass_sigma_sweep", 2),
        ("view=xavier_pair", "forward_pass_xavier_pair", 11),
        (
            "view=network&init=large_random&act=linear&layers=50&width=64&samples=200",
            "forward_pass_overflow",
            12,
        ),
    ],
)
def test_other_views_render(page, query, name, count):
    from playwright.sync_api import expect

    open_page(page, URL, query)
    assert_no_errors(page)
    expect(page.locator(CHART)).to_have_count(count)
    assert screenshot(page, name).stat().st_size > 10_000
