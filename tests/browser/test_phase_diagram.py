"""The Phase diagram's plane in a real browser: cells without a depth scale are drawn grey, as
the caption says, not left out (Vega-Lite drops a mark whose colour field is null)."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest

from pages.ui.phase_charts import MISSING_COLOR
from tests.browser.conftest import CHART, assert_no_errors, open_page

pytestmark = pytest.mark.browser

URL_PATH = "phase-diagram"


def shares(picture: bytes) -> tuple[float, float]:
    """The shares of the picture's pixels in MISSING_COLOR (within 6 of each channel) and
    not white (drawn)."""
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(picture)).convert("RGB"), dtype=int)
    grey = np.array([int(MISSING_COLOR[i : i + 2], 16) for i in (1, 3, 5)])
    drawn = np.any(pixels < 245, axis=-1)
    return float(np.mean(np.all(np.abs(pixels - grey) <= 6, axis=-1))), float(np.mean(drawn))


def plane_grey_share(page, query: str) -> float:
    """Open the page with ``query``; the grey share of its plane chart once the heatmap is
    drawn (at least 30 % of the picture not white, where the heatmap fills about half; polled
    for up to 15 s)."""
    open_page(page, URL_PATH, query)
    assert_no_errors(page)
    plane = page.locator(CHART).first
    plane.locator("canvas, svg").first.wait_for()
    deadline = time.monotonic() + 15
    while True:
        grey, drawn = shares(plane.screenshot())
        if drawn >= 0.3:
            return grey
        assert time.monotonic() < deadline, f"the plane was not drawn ({drawn:.0%} of it)"
        page.wait_for_timeout(250)


def test_gelus_chaotic_cells_are_grey_in_the_depth_scale_view(page):
    # GELU's variance grows without bound right of the boundary: no q*, no xi. About half of
    # the plane's area; the chart's axes, title and legend take the rest of the picture.
    assert plane_grey_share(page, "activation=gelu&heatmap=xi") >= 0.2
    # tanh has a finite xi in every cell: nothing grey.
    assert plane_grey_share(page, "activation=tanh&heatmap=xi") < 0.01
