"""Browser test of the Forward pass page: charts render, a control changes them, every view
renders at phone, tablet and desktop widths, screenshots."""

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
#: Phone, tablet and desktop widths.
WIDTHS = (390, 800, 1400)


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
        # The RMS chart and 9 of the 16 layers of each network.
        ("view=xavier_pair", "forward_pass_xavier_pair", 19),
        (
            "view=network&init=large_random&activation=linear&layers=50&width=64&samples=200",
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


#: A network over the lab's budget: 40 layers of 256 units, 10,000 samples asked for.
DEEP = {"view": "network", "init": "he_normal", "activation": "tanh", "layers": 40}
DEEP_QUERY = "&".join(f"{name}={value}" for name, value in DEEP.items()) + "&samples=10000"


@pytest.mark.parametrize("width", WIDTHS)
def test_a_deep_network_with_a_budget_note_fits_every_width(page, width):
    from playwright.sync_api import expect

    from lab.experiments.forward_pass import (
        HISTOGRAM_PANELS,
        config_from_values,
        fit_network_view,
        network_config,
    )
    from lab.presets import panel_layers

    # The engine's budget for this URL (no simulation): the student's network keeps the most
    # samples that fit, and the comparison networks, dropped first, do not run at all.
    budget = fit_network_view(network_config(config_from_values({**DEEP, "samples": 10_000})))
    assert budget.samples.scaled and budget.samples.used < 10_000
    assert budget.compared == () and budget.dropped
    page.set_viewport_size({"width": width, "height": 900})
    open_page(page, URL, DEEP_QUERY)
    assert_no_errors(page)
    expect(page.get_by_text("40 layers × 256 units: ")).to_have_count(1)
    expect(page.get_by_test_id("stAlertContentInfo")).to_contain_text(budget.note)
    left_out = page.get_by_text("Not run beside a network this large")
    expect(left_out).to_have_count(1)
    for init in budget.dropped:
        expect(left_out).to_contain_text(budget.labels[init])
    charts = page.locator(CHART)
    # The histogram panels, the std and the variance charts; no comparison chart.
    expect(charts).to_have_count(len(panel_layers(40, HISTOGRAM_PANELS)) + 2)
    main = page.locator('[data-testid="stMain"]').bounding_box()
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100
        # Nothing sticks out of the page to the right.
        assert box["x"] + box["width"] <= main["x"] + main["width"] + 1
    assert screenshot(page, f"forward_pass_deep_{width}").stat().st_size > 10_000
