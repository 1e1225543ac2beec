"""Charts of the Forward pass page, built from ``lab.experiments.forward_pass`` results.

``line_spec`` draws a ``LineChart`` on a log axis (``pages.ui.charts.log_line_chart``) and, when
the chart has a theory, its dashed mean-field lines in the same colours; ``histogram_spec`` draws
one ``Panel``. Both return Vega-Lite dicts built once per chart of a shared result
(``pages.ui.memo.once_per_object``): building Altair charts costs tens of milliseconds each, too
slow to repeat for a dozen charts on every rerun; ``rows_table`` does the same for the tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from lab.experiments.forward_pass import LineChart, Panel
from lab.health import SATURATION_SLOPE
from pages.ui.charts import LINE_DASH, histogram_chart, log_line_chart, show_spec, vega_spec
from pages.ui.memo import arrow_table, once_per_object
from pages.ui.text import plain

#: Plot heights (title, axes and legend come on top, ``vega_spec(plot_height=True)``).
HISTOGRAM_HEIGHT = 150
#: Width of one histogram panel: four side by side at 1400 px, two at 800 px, one on a phone.
PANEL_WIDTH = 215
LINE_HEIGHT = 260
#: Legend below the plot, one entry per line: a chart keeps its width on a phone.
LEGEND = alt.Legend(orient="bottom", direction="vertical", labelLimit=320)
#: Colours by trend (LineChart.trends), strongest first: blues shrink, reds grow, grey holds.
#: Every one has a contrast of at least 2.2 on the light theme's white and on the dark theme's
#: near-black page (the darkest blue and red had 2.0 and 2.3 on the dark one, the palest 1.7 on
#: white).
TREND_COLORS = {
    "decays": ("#0b5cad", "#1c7ed6", "#4292c6", "#5fa8dc", "#76b3de"),
    "holds": ("#6c757d", "#9aa1a9"),
    "grows": ("#b3191e", "#de2d26", "#f0513a", "#fb6a4a", "#fa8466"),
}
#: Session-state key of Forward pass's "Every layer's numbers" expander (True: open).
LAYERS_TABLE_KEY = "forward_pass_layers"
#: Specs kept per process (a page shows up to 18 histograms and 3 line charts).
CACHED_SPECS = 256


@once_per_object(CACHED_SPECS)
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
        legend=LEGEND,
        colors=_trend_colors(chart.trends) if chart.trends else None,
        # The dashed theory shares the axis: ticks up to its top (1e120 past an overflow).
        axis_values=[y for series in chart.theory for y in series.y],
    )
    order = [series.name for series in chart.series]
    dashed = _theory_lines(chart, order)
    chart = lines if dashed is None else lines + dashed
    return vega_spec(chart, validate=False, plot_height=True)


def _trend_colors(trends: Sequence[str]) -> list[str]:
    """A colour per series: the decaying ones in blues (the first, fastest, darkest), the
    growing ones in reds (the last, fastest, darkest), the holding ones in grey."""
    colors: list[str] = []
    decays = trends.count("decays")
    for index, trend in enumerate(trends):
        palette = TREND_COLORS[trend]
        rank = trends[:index].count(trend)
        if trend == "grows":  # ascending order: the fastest growth comes last
            rank = trends.count("grows") - 1 - rank
        elif trend == "decays":
            rank = min(rank, decays - 1)
        colors.append(palette[min(rank, len(palette) - 1)])
    return colors


def _theory_lines(chart: LineChart, order: Sequence[str]) -> alt.Chart | None:
    rows = [
        {"x": x, "y": y, "series": series.name, "exact": repr(y)}
        for series in chart.theory
        for x, y in zip(series.x, series.y, strict=True)
        if math.isfinite(y) and y > 0
    ]
    if not rows:
        return None
    scale = alt.Scale(domain=list(order))
    if chart.trends:
        scale = alt.Scale(domain=list(order), range=_trend_colors(chart.trends))
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_line(strokeDash=list(LINE_DASH), strokeWidth=2, opacity=0.85)
        .encode(
            x="x:Q",
            y=alt.Y("y:Q", scale=alt.Scale(type="log")),
            color=alt.Color("series:N", title=chart.legend, scale=scale),
            detail="series:N",
            tooltip=[
                alt.Tooltip("series:N", title="theory"),
                alt.Tooltip("x:Q", title="layer"),
                alt.Tooltip("exact:N", title="value"),
            ],
        )
    )


@once_per_object(CACHED_SPECS)
def histogram_spec(panel: Panel, height: int = HISTOGRAM_HEIGHT) -> dict:
    """One layer's histogram on its own range with the band marked; values off the axis and
    inf/NaN counted on the chart."""
    chart = histogram_chart(
        panel.edges,
        panel.counts,
        panel.title,
        below=panel.below,
        above=panel.above,
        nonfinite=panel.nonfinite,
        x_title=panel.x_title,
        height=height,
        band=panel.band,
    )
    return vega_spec(chart, validate=False, plot_height=True)


def show_line(chart: LineChart) -> None:
    """Draw a LineChart at the container's width, and under it which of its lines lie on top
    of each other (``LineChart.overlap_note``)."""
    show_spec(line_spec(chart))
    if chart.overlap_note:
        st.caption(plain(chart.overlap_note))


def show_panel_grid(panels: Sequence[Panel]) -> None:
    """Histogram panels of PANEL_WIDTH side by side, wrapping to as many rows as the page's
    width needs (fixed columns squeeze each panel to a sliver at 800 px)."""
    row = st.container(horizontal=True, horizontal_alignment="left", gap="small")
    for panel in panels:
        with row.container(width=PANEL_WIDTH):
            show_spec(histogram_spec(panel))


def show_panel_pairs(left: Sequence[Panel], right: Sequence[Panel]) -> None:
    """Two networks' panels side by side, one layer per row."""
    for first, second in zip(left, right, strict=True):
        for column, panel in zip(st.columns(2), (first, second), strict=True):
            with column:
                show_spec(histogram_spec(panel))


@once_per_object(CACHED_SPECS)
def rows_table(rows: Sequence[dict[str, object]]) -> pa.Table:
    """A view's table rows as an Arrow table, built once per shared result."""
    return arrow_table(rows)


#: The per-layer table's columns (``lab.network.SimulationResult.rows``): label and help.
LAYER_COLUMNS: dict[str, tuple[str, str]] = {
    "layer": ("layer", "Layer l; the input is layer 0."),
    "width": ("units", "Units in the layer."),
    "pre_mean": ("z mean", "Mean of the pre-activations z_l."),
    "pre_std": ("z std", "Standard deviation of z_l."),
    "pre_var": ("Var(z)", "Variance of z_l."),
    "post_mean": ("a mean", "Mean of the activations a_l = phi(z_l)."),
    "post_std": ("a std", "Standard deviation of a_l."),
    "post_var": ("Var(a)", "Variance of a_l."),
    "post_rms": ("a RMS", "Root mean square of a_l: the scale Xavier and He keep."),
    "post_max_abs": ("max |a|", "Largest |a_l|."),
    "post_frac_zero": ("a = 0", "Share of a_l exactly 0 (ReLU's off units)."),
    "nonfinite": ("inf/NaN", "Values of z_l and a_l that are inf or NaN."),
    "saturated": (
        "saturated",
        f"Share of units whose slope is below {SATURATION_SLOPE:.0%} of its maximum (tanh, "
        "sigmoid).",
    ),
}


#: Formats of the per-layer table's columns other than ``%.4g``: counts and shares.
LAYER_FORMATS = {
    "layer": "%d",
    "width": "%d",
    "nonfinite": "%d",
    "post_frac_zero": "percent",
    "saturated": "percent",
}


def layer_column_config() -> dict[str, object]:
    """st.dataframe's column_config for the per-layer table: readable labels, help, formats."""
    return {
        name: st.column_config.NumberColumn(
            label, help=text, format=LAYER_FORMATS.get(name, "%.4g")
        )
        for name, (label, text) in LAYER_COLUMNS.items()
    }
