"""Log axes as Vega draws them: rounded out to powers of ten.

The engine's notes about a chart (which lines lie on top of each other, what lies above an
axis) and the pages' charts measure an axis the same way, with ``decade_span``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

#: Two lines of a log-axis chart whose distance is at most this share of the axis's decades at
#: every point are drawn over one another: 1 % of a 260-px plot is 2.6 px, less than the 6-px
#: dots that mark every layer.
OVERLAP_SHARE = 0.01


def decade_span(values: Iterable[float] | np.ndarray) -> tuple[int, int] | None:
    """(k, m): the powers of ten 10^k at or below the smallest positive finite value and 10^m
    at or above the largest; None when there is no such value."""
    array = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, float)
    shown = array[np.isfinite(array) & (array > 0)]
    if shown.size == 0:
        return None
    return math.floor(math.log10(float(shown.min()))), math.ceil(math.log10(float(shown.max())))
