"""Browser test of the gradient-flow page: it renders, reacts to the uniform-kind switch, and
keeps the many-runs statistics after reruns."""

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

URL_PATH = "gradient-flow"
#: Five charts without collected runs: gradient per layer, |z| histogram, three sweeps.
DEFAULT_CHARTS = 5


def test_gradient_flow_page_renders_and_reacts(page):
    from playwright.sync_api import expect

    open_page(page, URL_PATH)
    assert_no_errors(page)
    expect(page.locator("h1").first).to_have_text("Gradient flow: rand vs randn")
    charts = page.locator(CHART)
    expect(charts).to_have_count(DEFAULT_CHARTS)
    for index in range(DEFAULT_CHARTS):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["height"] > 150 and box["width"] > 200
    screenshot(page, "gradient_flow_rand")
    gradient_before = charts.first.screenshot()
    ratio_metric = page.get_by_test_id("stMetric").nth(2)
    expect(ratio_metric).to_contain_text("∞")

    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("radio", name="matched variance U(-√3, √3)").click()
    page.wait_for_url("**uniform=matched**")
    wait_for_app(page)
    assert_no_errors(page)
    expect(ratio_metric).not_to_contain_text("∞")
    assert picture_changed(charts.first, gradient_before)

    page.get_by_role("button", name="Run 20 times").click()
    page.wait_for_url("**runs=20**")
    wait_for_app(page)
    assert_no_errors(page)
    expect(page.get_by_text("Simulations (pairs)")).to_have_count(1)
    expect(charts).to_have_count(DEFAULT_CHARTS + 1)
    screenshot(page, "gradient_flow_matched_runs")


def test_deep_link_opens_the_configuration(page):
    from playwright.sync_api import expect

    open_page(page, URL_PATH, "uniform=centered&layers=6&neurons=30&runs=5")
    assert_no_errors(page)
    expect(page.get_by_text("Simulations (pairs)")).to_have_count(1)
    expect(page.locator(CHART)).to_have_count(DEFAULT_CHARTS + 1)
    screenshot(page, "gradient_flow_centered")
