"""How wide the charts' text is drawn: the lab's model of Vega's text widths in Streamlit's
theme, so that titles and legend labels are sized to fit instead of cut.

tests/browser/test_widths.py measures the per-character widths on a canvas in Chromium, and
tests/pages/chart_readability.py checks every chart of a page against this model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: The width of a chart in a 390 px phone's main column (px).
PHONE_WIDTH = 358
#: Text sizes in Streamlit's Vega theme (Source Sans), measured on a canvas in Chromium for every
#: name and title the charts can show, with a margin: a bold 16 px title takes at most
#: TITLE_PX_PER_CHAR pixels per character (measured up to 8.2, "LeCun normal"), a 14 px legend
#: label LABEL_PX_PER_CHAR (measured up to 6.8).
TITLE_PX_PER_CHAR = 8.5
LABEL_PX_PER_CHAR = 7.0
#: A title's margin, the y axis's labels and title left of a bottom legend, a legend entry's
#: symbol and the gap before its label, and the gap between two legend columns (px).
TITLE_MARGIN = 30
Y_AXIS_WIDTH = 90
LEGEND_SYMBOL = 20
LEGEND_COLUMN_GAP = 16


def legend_label_limit(labels: Sequence[str]) -> int:
    """Pixels the longest of ``labels`` takes in a legend (``LABEL_PX_PER_CHAR``)."""
    return math.ceil(max((len(label) for label in labels), default=1) * LABEL_PX_PER_CHAR)


def legend_columns(labels: Sequence[str], width: int) -> int:
    """2 when two columns of ``labels`` fit beside the y axis of a chart ``width`` px wide,
    else 1."""
    entry = LEGEND_SYMBOL + legend_label_limit(labels)
    return 2 if Y_AXIS_WIDTH + 2 * entry + LEGEND_COLUMN_GAP <= width else 1
