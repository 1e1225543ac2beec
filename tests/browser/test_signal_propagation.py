"""The Signal propagation page in a real browser: charts drawn, no error, a control changes them,
and the largest network on a phone-sized screen."""

from __future__ import annotations

import pytest

from lab.controls.network import WIDTH
from tests.browser.conftest import (
    CHART,
    VIEWPORT,
    assert_no_errors,
    choose_option,
    open_page,
    picture_changed,
    screenshot,
    wait_for_app,
)

pytestmark = pytest.mark.browser

URL_PATH = "signal-propagation"
CHART_COUNT = 4  # forward std, dL/da, dL/dW, network view


def metric(page, label: str):
    """Locator of the value of the st.metric whose label is ``label``."""
    card = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return card.get_by_test_id("stMetricValue")


def metric_value(page, label: str) -> str:
    """The value shown by the st.metric whose label is ``label``."""
    return metric(page, label).inner_text().strip()


def test_default_view_draws_every_chart_without_errors(page):
    from playwright.sync_api import expect

    open_page(page, URL_PATH)
    assert_no_errors(page)
    expect(page.locator("h1").first).to_have_text("Signal propagation")
    charts = page.locator(CHART)
    expect(charts).to_have_count(CHART_COUNT)
    for index in range(CHART_COUNT):
        assert charts.nth(index).locator("canvas, svg").count() > 0
    assert metric_value(page, "Signal state") == "healthy"
    assert metric_value(page, "Mean-field phase") == "critical"
    assert screenshot(page, "signal_propagation_default").stat().st_size > 10_000


def test_switching_to_xavier_changes_the_chart_and_the_verdict(page):
    from playwright.sync_api import expect

    open_page(page, URL_PATH, "layers=12")
    forward_chart = page.locator(CHART).first
    before = forward_chart.screenshot()
    # The shot scrolled the page to the chart; a selectbox does not open while the page is
    # scrolled away from the top.
    page.get_by_test_id("stMain").evaluate("main => main.scrollTo(0, 0)")

    sidebar = page.get_by_test_id("stSidebar")
    combobox = sidebar.get_by_role("combobox", name="Weight initialization")
    choose_option(page, combobox, "Xavier/Glorot normal")
    # The rerun writes the new value to the URL; wait for it, then for the run to finish.
    page.wait_for_url("**init=xavier_normal**")
    wait_for_app(page)
    expect(metric(page, "Signal state")).to_have_text("vanishing")

    assert_no_errors(page)
    expect(page.locator(CHART)).to_have_count(CHART_COUNT)
    assert metric_value(page, "Match verdict") == "mismatch"
    assert picture_changed(forward_chart, before)
    assert screenshot(page, "signal_propagation_xavier_relu").stat().st_size > 10_000


def test_overflow_is_a_result_with_crosses_in_the_network_view(page):
    open_page(page, URL_PATH, "init=large_random&layers=50")
    assert_no_errors(page)
    assert metric_value(page, "Signal state") == "overflow"
    assert metric_value(page, "Final-layer std") == "inf/NaN"
    warning = page.get_by_test_id("stAlertContentWarning").first.inner_text()
    assert "overflow: inf/NaN at layer" in warning
    assert screenshot(page, "signal_propagation_overflow").stat().st_size > 10_000


def test_the_largest_network_on_a_phone_runs_with_a_budget_note(page):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 900})
    open_page(page, URL_PATH, f"layers=100&width={WIDTH.high}&samples=10000")
    assert_no_errors(page)
    note = page.get_by_test_id("stAlertContentInfo")
    expect(note).to_have_count(1)
    assert f"100 layers × {WIDTH.high:,} units: " in note.inner_text()  # after the icon's name
    charts = page.locator(CHART)
    expect(charts).to_have_count(CHART_COUNT)
    # Nothing wider than the screen: charts, formulas and cards fit (the table scrolls inside).
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    assert screenshot(page, "signal_propagation_phone").stat().st_size > 10_000


def test_log_chart_labels_keep_the_dark_themes_background(browser, app_url):
    """A label a line may cross sits on an outline of the chart's own background: on the dark
    theme no white patch appears around it (the outline was white on both themes)."""
    import io

    from PIL import Image  # Streamlit's own dependency

    context = browser.new_context(base_url=app_url, viewport=VIEWPORT, color_scheme="dark")
    try:
        page = context.new_page()
        # Every layer overflows: dL/da's chart labels its inf/NaN rule inside the plot.
        open_page(page, URL_PATH, "init=large_random&activation=relu&layers=100")
        assert_no_errors(page)
        gradient_chart = page.locator(CHART).nth(1)
        pixels = Image.open(io.BytesIO(gradient_chart.screenshot())).convert("RGB")
        near_white = sum(1 for p in pixels.get_flattened_data() if min(p) >= 248)
        # The dark theme's lightest ink is its text, #edebe8 (no channel above 237, and
        # anti-aliasing only darkens it); a white outline around one label is hundreds of
        # pixels at 255.
        assert near_white == 0
        assert screenshot(page, "signal_propagation_dark_labels").stat().st_size > 10_000
    finally:
        context.close()
