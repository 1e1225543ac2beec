"""The Training and Phase diagram pages in a real browser: every chart drawn, no error, a
point of the phase diagram opens Signal propagation, and both pages fit a phone's width;
screenshots in artifacts/screenshots/ (training*.png, phase_diagram*.png)."""

from __future__ import annotations

import pytest

from pages.ui.training_charts import GRADIENTS_TAB, REGIONS_TAB, SYMMETRY_TAB
from tests.browser.conftest import (
    CHART,
    VIEWPORT,
    assert_no_errors,
    open_page,
    screenshot,
    wait_for_app,
)

pytestmark = pytest.mark.browser

TRAINING = "train"
PHASE = "phase-diagram"
#: Charts drawn with each lazy tab open: loss and accuracy, then five gradient panels, five
#: decision regions or the symmetry chart.
TRAINING_CHARTS = {GRADIENTS_TAB: 2 + 5, REGIONS_TAB: 2 + 5, SYMMETRY_TAB: 2 + 1}
#: The plane and the trainability grid.
PHASE_CHARTS = 2
#: A long first run: the default Phase diagram trains its grid (54 networks) once per server.
FIRST_RUN_MS = 240_000
PHONE = {"width": 390, "height": 844}


def open_slow(page, url_path: str, query: str = "") -> None:
    """``open_page`` for a page whose first run trains networks (a busy machine is slow)."""
    page.goto(f"/{url_path}" + (f"?{query}" if query else ""))
    wait_for_app(page, FIRST_RUN_MS)


def assert_charts_drawn(page, count: int) -> None:
    from playwright.sync_api import expect

    charts = page.locator(CHART)
    expect(charts).to_have_count(count)
    for index in range(count):
        expect(charts.nth(index).locator("canvas, svg").first).to_be_attached()


def assert_fits(page, width: int) -> None:
    """Nothing wider than the screen (tables scroll inside their frame)."""
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def open_tab(page, label: str) -> None:
    """Click a lazy tab and wait for the run it starts."""
    page.get_by_role("tab", name=label).click()
    wait_for_app(page, FIRST_RUN_MS)


def test_training_page_draws_every_chart_of_every_tab(page):
    from playwright.sync_api import expect

    open_slow(page, TRAINING)
    assert_no_errors(page)
    expect(page.locator("h1").first).to_have_text("Training")
    expect(page.get_by_text("Wasted epochs: health at initialization and outcome")).to_be_visible()
    assert_charts_drawn(page, TRAINING_CHARTS[GRADIENTS_TAB])
    assert screenshot(page, "training").stat().st_size > 50_000
    for label in (REGIONS_TAB, SYMMETRY_TAB, GRADIENTS_TAB):
        open_tab(page, label)
        assert_no_errors(page)
        assert_charts_drawn(page, TRAINING_CHARTS[label])
        expect(page.get_by_role("tab", name=label)).to_have_attribute("aria-selected", "true")
    open_tab(page, REGIONS_TAB)
    assert screenshot(page, "training_regions").stat().st_size > 50_000


def test_training_page_on_a_phone(page):
    page.set_viewport_size(PHONE)
    open_slow(page, TRAINING, "dataset=xor&inits=he_normal,constant,zeros&layers=4&epochs=40")
    assert_no_errors(page)
    assert_charts_drawn(page, 2 + 3)
    open_tab(page, REGIONS_TAB)
    assert_charts_drawn(page, 2 + 3)
    assert_fits(page, PHONE["width"])
    assert screenshot(page, "training_phone").stat().st_size > 30_000


def test_phase_diagram_draws_the_plane_and_the_grid(page):
    from playwright.sync_api import expect

    open_slow(page, PHASE)
    assert_no_errors(page)
    expect(page.locator("h1").first).to_have_text("Phase diagram")
    assert_charts_drawn(page, PHASE_CHARTS)
    assert screenshot(page, "phase_diagram").stat().st_size > 50_000


def test_phase_diagram_on_a_phone(page):
    page.set_viewport_size(PHONE)
    open_slow(page, PHASE, "heatmap=xi&gain=1.5&bias_std=0.2")
    assert_no_errors(page)
    assert_charts_drawn(page, PHASE_CHARTS)
    assert_fits(page, PHONE["width"])
    assert screenshot(page, "phase_diagram_phone").stat().st_size > 30_000


def test_clicking_a_point_opens_signal_propagation(page):
    from playwright.sync_api import expect

    open_page(page, PHASE, "gain=1.3&bias_std=0.1&steps=2")
    # The points carry Vega-Lite's href channel: a click on one navigates to its link. The
    # student's point is the one labelled with gain 1.3.
    point = page.locator(CHART).first.locator('path[aria-label*="Your point (gain 1.3)"]')
    expect(point).to_have_count(1)
    point.click(force=True)
    page.wait_for_url("**/signal-propagation?**gain=1.3**")
    wait_for_app(page)
    assert_no_errors(page)
    expect(page.locator("h1").first).to_have_text("Signal propagation")
    assert "bias_std=0.1" in page.url and "init=xavier_normal" in page.url
    assert page.get_by_test_id("stAlertContentWarning").count() == 0


def test_decision_regions_fade_to_white_on_the_dark_theme(browser, app_url):
    """The regions' cells fade as the network is less sure, "paler" as the caption says, on the
    dark theme too: their plot is white, so its pixels stay bright (on the dark page the
    translucent cells had darkened instead)."""
    import io

    from PIL import Image, ImageStat  # Streamlit's own dependency

    context = browser.new_context(base_url=app_url, viewport=VIEWPORT, color_scheme="dark")
    try:
        page = context.new_page()
        open_slow(page, TRAINING, "dataset=xor&inits=he_normal,zeros&layers=2&epochs=20")
        open_tab(page, REGIONS_TAB)
        assert_no_errors(page)
        regions = page.locator(CHART).nth(2)  # after the loss and accuracy curves
        shot = Image.open(io.BytesIO(regions.screenshot())).convert("L")
        width, height = shot.size
        plot = shot.crop((width // 4, height // 3, 3 * width // 4, 5 * height // 6))
        # Cells at opacity 0.1 to 0.55 over white are bright (luminance well above the middle
        # grey); over the dark page the same cells average below it.
        assert ImageStat.Stat(plot).mean[0] > 150
        assert screenshot(page, "training_regions_dark").stat().st_size > 10_000
    finally:
        context.close()
