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
#: The pair's two charts (gradient per layer, |z| histogram) on every run; the tabs below them
#: are sent only while open: the sweeps add one chart per sweep and network, collected runs one
#: chart per network. The first view opens "Why", which has no chart.
FIRST_VIEW_CHARTS = 2
SWEEP_CHARTS = 6
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
    expect(charts).to_have_count(FIRST_VIEW_CHARTS)
    assert drawn_charts(page) == FIRST_VIEW_CHARTS
    open_tab(page, "Sweeps")
    expect(charts).to_have_count(FIRST_VIEW_CHARTS + SWEEP_CHARTS)
    assert drawn_charts(page) == FIRST_VIEW_CHARTS + SWEEP_CHARTS
    for index in range(FIRST_VIEW_CHARTS + SWEEP_CHARTS):
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
    expect(charts).to_have_count(FIRST_VIEW_CHARTS + RUN_CHARTS)  # the sweeps' tab is closed
    # The rerun keeps the open tab: the runs' charts are on show and drawn.
    expect(page.get_by_role("tab", name="Many runs")).to_have_attribute("aria-selected", "true")
    assert shown_and_drawn(page) == FIRST_VIEW_CHARTS + RUN_CHARTS
    screenshot(page, "gradient_flow_matched_runs")


def test_deep_link_opens_the_configuration(page):
    from playwright.sync_api import expect

    open_page(page, URL_PATH, "uniform=centered&layers=6&width=30&runs=5")
    assert_no_errors(page)
    expect(page.get_by_test_id("stAlertContentWarning")).to_have_count(0)
    # A link with collected runs opens on the tab that shows them.
    expect(page.get_by_text("Simulations (pairs)")).to_have_count(1)
    expect(page.get_by_role("tab", name="Many runs")).to_have_attribute("aria-selected", "true")
    expect(page.locator(CHART)).to_have_count(FIRST_VIEW_CHARTS + RUN_CHARTS)
    screenshot(page, "gradient_flow_centered")


#: Elements a student reads; none may reach past a phone's screen edge (the table scrolls).
READ_ELEMENTS = f'{CHART}, [data-testid="stMetric"], [data-testid="stButton"]'


def off_screen(page) -> list[str]:
    """The read elements that reach past a phone's screen edge."""
    return page.evaluate(
        """([selector, width]) => [...document.querySelectorAll(selector)]
            .filter(element => element.getBoundingClientRect().right > width)
            .map(element => element.getAttribute("data-testid"))""",
        [READ_ELEMENTS, PHONE["width"]],
    )


def test_phone_width_keeps_charts_formulas_and_metrics_on_screen(page):
    from playwright.sync_api import expect

    page.set_viewport_size(PHONE)
    open_page(page, URL_PATH, "uniform=matched&runs=3")
    assert_no_errors(page)
    expect(page.locator(CHART)).to_have_count(FIRST_VIEW_CHARTS + RUN_CHARTS)
    assert off_screen(page) == []
    open_tab(page, "Sweeps")
    expect(page.locator(CHART)).to_have_count(FIRST_VIEW_CHARTS + SWEEP_CHARTS)
    assert off_screen(page) == []
    open_tab(page, "Why")
    expect(page.locator(".katex-display").first).to_be_visible()
    assert off_screen(page) == []
    # A formula wider than its block scrolls sideways, its end hidden; 4 px is KaTeX's slack.
    hidden = page.evaluate(
        """() => [...document.querySelectorAll(".katex-display")]
            .filter(block => block.scrollWidth > block.clientWidth + 4)
            .map(block => block.innerText.slice(0, 40))"""
    )
    assert hidden == []
    screenshot(page, "gradient_flow_phone")
