"""Browser test of the gradient-flow page: it renders, reacts to the uniform-kind switch, keeps
the many-runs statistics after reruns, opens deep links, and fits a phone's screen."""

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
#: Eight charts without collected runs: gradient per layer, |z| histogram, and per sweep one
#: chart for each network. Collected runs add one chart per network. The sweeps and the runs
#: sit in tabs that are drawn when opened: a first view draws the first two.
DEFAULT_CHARTS = 8
FIRST_VIEW_CHARTS = 2
RUN_CHARTS = 2


def drawn_charts(page) -> int:
    """Charts with a drawing (canvas or svg) in them."""
    return page.locator(f"{CHART} canvas, {CHART} svg").count()


def shown_and_drawn(page) -> int:
    """Charts on show (not in a closed tab) with a drawing in them."""
    return page.evaluate(
        """(chart) => [...document.querySelectorAll(chart)]
            .filter(element => element.checkVisibility())
            .filter(element => element.querySelector("canvas, svg")).length""",
        CHART,
    )


def open_tab(page, label: str) -> None:
    page.get_by_role("tab", name=label).click()
    wait_for_app(page)


PHONE = {"width": 390, "height": 844}


def test_gradient_flow_page_renders_and_reacts(page):
    from playwright.sync_api import expect

    open_page(page, URL_PATH)
    assert_no_errors(page)
    expect(page.locator("h1").first).to_have_text("Gradient flow: rand vs randn")
    charts = page.locator(CHART)
    expect(charts).to_have_count(DEFAULT_CHARTS)
    assert drawn_charts(page) == FIRST_VIEW_CHARTS
    open_tab(page, "Sweeps")
    assert drawn_charts(page) == DEFAULT_CHARTS
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

    open_tab(page, "Many runs")
    page.get_by_role("button", name="Run 20 times").click()
    page.wait_for_url("**runs=20**")
    wait_for_app(page)
    assert_no_errors(page)
    expect(page.get_by_text("Simulations (pairs)")).to_have_count(1)
    expect(charts).to_have_count(DEFAULT_CHARTS + RUN_CHARTS)
    # The rerun keeps the open tab: the runs' charts are on show and drawn.
    expect(page.get_by_role("tab", name="Many runs")).to_have_attribute("aria-selected", "true")
    assert shown_and_drawn(page) == FIRST_VIEW_CHARTS + RUN_CHARTS
    screenshot(page, "gradient_flow_matched_runs")


def test_deep_link_opens_the_configuration(page):
    from playwright.sync_api import expect

    open_page(page, URL_PATH, "uniform=centered&layers=6&width=30&runs=5")
    assert_no_errors(page)
    expect(page.get_by_test_id("stAlertContentWarning")).to_have_count(0)
    expect(page.get_by_text("Simulations (pairs)")).to_have_count(1)
    expect(page.locator(CHART)).to_have_count(DEFAULT_CHARTS + RUN_CHARTS)
    screenshot(page, "gradient_flow_centered")


#: Elements a student reads; none may reach past a phone's screen edge (the table scrolls).
READ_ELEMENTS = f'{CHART}, [data-testid="stMetric"], [data-testid="stButton"]'


def test_phone_width_keeps_charts_formulas_and_metrics_on_screen(page):
    from playwright.sync_api import expect

    page.set_viewport_size(PHONE)
    open_page(page, URL_PATH, "uniform=matched&runs=3")
    assert_no_errors(page)
    expect(page.locator(CHART)).to_have_count(DEFAULT_CHARTS + RUN_CHARTS)
    outside = page.evaluate(
        """([selector, width]) => [...document.querySelectorAll(selector)]
            .filter(element => element.getBoundingClientRect().right > width)
            .map(element => element.getAttribute("data-testid"))""",
        [READ_ELEMENTS, PHONE["width"]],
    )
    assert outside == []
    # A formula wider than its block scrolls sideways, its end hidden; 4 px is KaTeX's slack.
    hidden = page.evaluate(
        """() => [...document.querySelectorAll(".katex-display")]
            .filter(block => block.scrollWidth > block.clientWidth + 4)
            .map(block => block.innerText.slice(0, 40))"""
    )
    assert hidden == []
    screenshot(page, "gradient_flow_phone")
