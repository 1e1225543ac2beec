"""Weight distribution page in a real browser: charts drawn, no errors, controls redraw."""

from __future__ import annotations

import pytest

from tests.browser.conftest import (
    APP_TIMEOUT_MS,
    CHART,
    assert_no_errors,
    open_page,
    picture_changed,
    screenshot,
    wait_for_app,
)

pytestmark = pytest.mark.browser

URL_PATH = "weight-distribution"
#: The 4 default schemes; the 4 rand-vs-randn shapes in their own lazy tab.
DEFAULT_CHARTS = 4
SHAPE_CHARTS = 4


def test_default_view_draws_every_chart_without_errors(page):
    from playwright.sync_api import expect

    open_page(page, URL_PATH)
    assert_no_errors(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator("h1").first).to_have_text("Weight distribution")
    # The rand-vs-randn shapes sit in the second tab: sent and drawn once it is opened.
    drawn = page.locator(f"{CHART} canvas, {CHART} svg")
    expect(page.locator(CHART)).to_have_count(DEFAULT_CHARTS)
    expect(drawn).to_have_count(DEFAULT_CHARTS)
    assert screenshot(page, "weight_distribution").stat().st_size > 50_000
    page.get_by_role("tab", name="rand vs randn").click()
    # The page says "not running" until the server takes the click's run: wait for the
    # shapes' own text (sent only by that run) before waiting for the run to end.
    expect(page.get_by_text("central limit theorem", exact=False)).to_be_visible(
        timeout=APP_TIMEOUT_MS
    )
    wait_for_app(page)
    assert_no_errors(page)
    # Only the open tab's charts are on the page: the four shapes.
    expect(page.locator(CHART)).to_have_count(SHAPE_CHARTS)
    expect(drawn).to_have_count(SHAPE_CHARTS)
    for index in range(SHAPE_CHARTS):
        box = page.locator(CHART).nth(index).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100
    assert screenshot(page, "weight_distribution_shapes").stat().st_size > 30_000
    # A control's rerun keeps the open tab.
    page.get_by_test_id("stSidebar").get_by_role("radio", name="Conv 2-D").click()
    page.wait_for_url("**layer=conv**")
    wait_for_app(page)
    expect(page.get_by_role("tab", name="rand vs randn")).to_have_attribute("aria-selected", "true")
    expect(page.locator(CHART)).to_have_count(SHAPE_CHARTS)


def test_conv_mode_changes_fans_and_redraws_the_histogram(page):
    from playwright.sync_api import expect

    open_page(page, URL_PATH, "init=he_normal")
    first_chart = page.locator(CHART).first
    before = first_chart.screenshot()
    page.get_by_test_id("stSidebar").get_by_role("radio", name="Conv 2-D").click()
    # The run that follows the click has begun once the URL says so (it may wait in the
    # simulation queue behind another test's run: the page then says it is queued).
    page.wait_for_url("**layer=conv**")
    wait_for_app(page)
    assert_no_errors(page)
    # n_in = C_in k^2 = 64 * 3^2 = 576 (reference.md), written as a formula.
    expect(page.locator(".katex").filter(has_text="576").first).to_be_visible(
        timeout=APP_TIMEOUT_MS
    )
    expect(page.locator(CHART)).to_have_count(1)  # He's histogram; the shapes' tab is closed
    assert picture_changed(page.locator(CHART).first, before)
    assert "layer=conv" in page.url
    screenshot(page, "weight_distribution_conv")


def test_formulas_wrap_on_a_phone_screen(page):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 900})
    open_page(page, URL_PATH, "layer=conv&init=he_truncated_normal,xavier_uniform")
    assert_no_errors(page)
    formulas = page.locator('[data-testid="stMain"] .katex')
    expect(formulas.first).to_be_visible()
    # Every formula piece ends inside the 390-px screen: the lines wrap between pieces
    # instead of running off the right edge.
    rights = formulas.evaluate_all("nodes => nodes.map(n => n.getBoundingClientRect().right)")
    assert len(rights) >= 8 and max(rights) <= 390, rights
    screenshot(page, "weight_distribution_narrow")
