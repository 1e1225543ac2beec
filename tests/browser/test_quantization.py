"""Browser test of the Quantization range page: charts render, no error, a control changes the
chart, the panels fit a phone's width; screenshots in artifacts/screenshots/ (quantization*.png)."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import (
    APP_TIMEOUT_MS,
    CHART,
    assert_no_errors,
    choose_option,
    open_page,
    screenshot,
    wait_for_app,
)

pytestmark = pytest.mark.browser

URL = "quantization"
#: The panels' legend, one panel per format (five by default) and the FP16 dynamic-range bar.
DEFAULT_CHARTS = 7
#: A phone's viewport.
PHONE = {"width": 390, "height": 844}


def _chart_svgs(page) -> list[str]:
    """The rendered markup of every chart, to compare before and after a change."""
    return page.locator(CHART).evaluate_all(
        "charts => charts.map(chart => chart.innerHTML.length + ':' + chart.textContent)"
    )


def test_default_view_renders_every_chart(page):
    from playwright.sync_api import expect

    open_page(page, URL)
    assert_no_errors(page)
    expect(page.locator("h1").first).to_have_text("Quantization range")
    expect(page.get_by_role("textbox", name="Student ID", exact=True)).to_have_count(1)
    expect(page.locator(CHART)).to_have_count(DEFAULT_CHARTS)
    for chart in page.locator(CHART).all():
        assert chart.locator("canvas, svg").count() >= 1
    # He + ReLU: no format breaks.
    expect(page.get_by_text("None of the selected formats breaks")).to_be_visible()
    assert screenshot(page, "quantization").stat().st_size > 20_000


def test_exploding_init_overflows_fp16_and_the_charts_change(page):
    from playwright.sync_api import expect

    open_page(page, URL, "layers=12&width=128&samples=256")
    before = _chart_svgs(page)
    choose_option(
        page, page.get_by_role("combobox", name="Weight initialization"), "Large random (std 1.0)"
    )
    # The rerun may not have started yet when the click returns: wait for its result first.
    overflow = page.get_by_text("FP16 overflows first, at layer").first
    expect(overflow).to_be_visible(timeout=APP_TIMEOUT_MS)
    wait_for_app(page)
    assert_no_errors(page)
    # Vega redraws a moment after the run ends: give the charts time to change.
    deadline = time.monotonic() + 15
    while _chart_svgs(page) == before and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert _chart_svgs(page) != before
    assert screenshot(page, "quantization_large_random").stat().st_size > 20_000


def test_first_layer_calibration_of_a_vanishing_network(page):
    from playwright.sync_api import expect

    open_page(page, URL, "init=xavier_normal&activation=relu&calibration=first_layer")
    assert_no_errors(page)
    expect(page.get_by_text("INT8 (calibrated on layer 1) loses").first).to_be_visible()
    assert screenshot(page, "quantization_xavier_first_layer").stat().st_size > 20_000


def test_every_chart_fits_a_phone(page):
    from playwright.sync_api import expect

    page.set_viewport_size(PHONE)
    open_page(page, URL, "init=large_random&layers=12&width=64&samples=64")
    assert_no_errors(page)
    expect(page.locator(CHART)).to_have_count(DEFAULT_CHARTS)
    # The panels wrap onto one a row instead of running off the right edge (the drawing itself,
    # which can be wider than its clipped element).
    for chart in page.locator(CHART).all():
        box = chart.locator("canvas, svg").first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert screenshot(page, "quantization_phone").stat().st_size > 20_000
