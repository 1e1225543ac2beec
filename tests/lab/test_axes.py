"""lab.axes: a log axis rounded out to powers of ten, as Vega draws it."""

from __future__ import annotations

import math

from lab.axes import decade_span


def test_decade_span_rounds_out_to_powers_of_ten_and_skips_what_a_log_axis_cannot_show():
    assert decade_span([0.03, 2.0, 0.0, -5.0, math.inf, math.nan]) == (-2, 1)
    assert decade_span([1.0, 10.0]) == (0, 1)  # a power of ten is its own bound
    assert decade_span(x for x in (7.6e-20, 0.03)) == (-20, -1)
    assert decade_span([0.0, -1.0, math.nan]) is None
