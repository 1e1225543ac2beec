"""Charts of the Forward pass page, built from ``lab.experiments.forward_pass`` results.

``line_spec`` draws a ``LineChart`` on a log axis (``pages.ui.charts.log_line_chart``) and, when
the chart has a theory, its dashed mean-field lines in the same colours; ``histogram_spec`` draws
one ``Panel``. Both return cached Vega-Lite dicts: building Altair charts costs tens of
milliseconds each, too slow to repeat for a dozen charts on every rerun.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd
import streamlit as st

from lab.experiments.forward_pass import LineChart, Panel
from pages.ui.charts import histogram_chart, log_line_chart, show_spec, vega_spec

HISTOGRAM_HEIGHT = 250
LINE_HEIGHT = 320
#: Dash pattern of the theory lines (pixels on, off).
THEORY_DASH = (6, 4)
#: Specs kept per process (a page shows up to 18 histograms and 3 line charts).
CACHED_SPECS = 256


@st.cache_data(max_entries=CACHED_SPECS, show_spinner=False)
def line_spec(chart: LineChart, height: int = LINE_HEIGHT) -> dict:
    """The chart's simulated series as solid lines with dots and, if ``chart.theory`` holds
    any, the theory dashed on top in the same colours. Theory points a log axis cannot show
    (0, inf, NaN) are left out of the dashed lines; the simulated ones are marked by
    ``log_line_chart``."""
    legend = chart.legend
    rows = [
        {"layer": x, "value": y, legend: series.name}
        for series in chart.series
        for x, y in zip(series.x, series.y, strict=True)
    ]
    lines = log_line_chart(
        pd.DataFrame(rows),
        "layer",
        "value",
        legend,
        chart.title,
        chart.y_title,
        x_title="layer",
        height=height,
    )
    order = [series.name for series in chart.series]
    dashed = _theory_lines(chart, order)
    return vega_spec(lines if dashed is None else lines + dashed, validate=False)


def _theory_lines(chart: LineChart, order: Sequence[str]) -> alt.Chart | None:
    rows = [
        {"x": x, "y": y, "series": series.name, "exact": repr(y)}
        for series in chart.theory
        for x, y in zip(series.x, series.y, strict=True)
        if math.isfinite(y) and y > 0
    ]
    if not rows:
        return None
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_line(strokeDash=list(THEORY_DASH), strokeWidth=2, opacity=0.85)
        .encode(
            x="x:Q",
            y=alt.Y("y:Q", scale=alt.Scale(type="log")),
            color=alt.Color("series:N", title=chart.legend, scale=alt.Scale(domain=list(order))),
            detail="series:N",
            tooltip=[
                alt.Tooltip("series:N", title="theory"),
                alt.Tooltip("x:Q", title="layer"),
                alt.Tooltip("exact:N", title="value"),
            ],
        )
    )


@st.cache_data(max_entries=CACHED_SPECS, show_spinner=False)
def histogram_spec(panel: Panel, height: int = HISTOGRAM_HEIGHT) -> dict:
    """One layer's histogram, values off the window and inf/NaN counted on the chart."""
    chart = histogram_chart(
        panel.edges,
        panel.counts,
        panel.title,
        below=panel.below,
        above=panel.above,
        nonfinite=panel.nonfinite,
        x_title=panel.x_title,
        height=height,
    )
    return vega_spec(chart, validate=False)


def show_line(chart: LineChart) -> None:
    """Draw a LineChart at the container's width."""
    show_spec(line_spec(chart))


def show_panel_grid(panels: Sequence[Panel], per_row: int) -> None:
    """Histogram panels in rows of ``per_row`` columns."""
    for start in range(0, len(panels), per_row):
        columns = st.columns(per_row)
        for column, panel in zip(columns, panels[start : start + per_row], strict=False):
            with column:
                show_spec(histogram_spec(panel))


def show_panel_pairs(left: Sequence[Panel], right: Sequence[Panel]) -> None:
    """Two networks' panels side by side, one layer per row."""
    for first, second in zip(left, right, strict=True):
        for column, panel in zip(st.columns(2), (first, second), strict=True):
            with column:
                show_spec(histogram_spec(panel))
