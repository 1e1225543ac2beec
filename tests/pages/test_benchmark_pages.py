"""The first-view table of benchmarks/pages.py gives a verdict only where its target applies."""

from __future__ import annotations

import pytest

from benchmarks.pages import FIRST_VIEW_TARGET, first_view_status


@pytest.mark.parametrize(
    ("key", "ratio", "chart", "status"),
    [
        ("training", FIRST_VIEW_TARGET, True, "ok"),
        ("training", FIRST_VIEW_TARGET + 0.01, True, "MISSED"),
        ("forward_pass", 1.0, False, "MISSED"),  # a simulation page that showed no chart
        ("practice", 1.58, False, ""),  # no chart, no target: not "ok" beside 1.58
        ("home", 3.0, False, ""),
        ("empty page", 1.0, False, ""),  # a reference
    ],
)
def test_the_first_view_verdict_is_given_only_to_simulation_pages(key, ratio, chart, status):
    assert first_view_status(key, ratio, chart) == status
