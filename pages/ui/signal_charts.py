"""Charts of the Signal propagation page, built from ``lab.experiments.signal_propagation``.

``series_spec`` draws one ``LayerSeries`` (simulation and theory on a log axis, via
``pages.ui.charts.log_line_chart``); ``network_view_spec`` draws the network view's rows. Both
return cached Vega-Lite dicts: building Altair charts costs tens of milliseconds each, too slow
to repeat on every rerun.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd
import streamlit as st

from lab.experiments.signal_propagation import SIMULATED, THEORY, LayerSeries
from pages.ui.charts import by_pickle, log_line_chart, vega_spec

#: Series colours and the overflow mark: readable on light and dark themes.
SIMULATION_COLOR = "#1c7ed6"
THEORY_COLOR = "#f08c00"
OVERFLOW_COLOR = "#e03131"
NODE_STROKE = "#868e96"
#: Plot height of a line chart (title, axes and legend come on top, ``plot_height``).
LINE_HEIGHT = 240
VIEW_HEIGHT = 220
#: Node area (px²) bounds of the network view.
LARGEST_NODE = 480.0
SMALLEST_NODE = 6.0
CACHED_SPECS = 64
#: A series and the view's rows (a tuple of dicts) are keyed by their pickle (``by_pickle``:
#: Streamlit's hasher walks every value, about 2 ms a rerun for the view).
HASH_FUNCS = {LayerSeries: by_pickle, tuple: by_pickle}


@st.cache_data(max_entries=CACHED_SPECS, show_spinner=False, hash_funcs=HASH_FUNCS)
def series_spec(series: LayerSeries) -> dict:
    """The simulated std per layer and, when the theory applies, its line underneath, in the
    same two colours on every chart; exact zeros (a gradient that died) on the zero band. The
    legend sits below, one entry per line, so a narrow chart keeps its width and both entries."""
    rows = []
    colors = []
    named = ((THEORY, series.theory, THEORY_COLOR), (SIMULATED, series.simulated, SIMULATION_COLOR))
    for name, values, color in named:
        if values is None:
            continue
        colors.append(color)
        rows += [
            {"layer": layer, "series": name, "std": value}
            for layer, value in zip(series.layers, values, strict=True)
        ]
    chart = log_line_chart(
        rows,
        "layer",
        "std",
        "series",
        series.title,
        series.y_title,
        x_title="layer",
        height=LINE_HEIGHT,
        colors=colors,
        legend=alt.Legend(orient="bottom", direction="vertical", title=None, labelLimit=300),
        zero_band=True,
    )
    return vega_spec(chart, validate=False, plot_height=True)


@st.cache_data(max_entries=CACHED_SPECS, show_spinner=False, hash_funcs=HASH_FUNCS)
def network_view_spec(
    rows: Sequence[Mapping[str, object]], layers: int, decades: float, title: str
) -> dict:
    """One column of nodes per layer (0 = the input): size and colour read the layer's std on
    a log scale clipped at ±``decades`` around the input's; an inf/NaN layer is a red cross.
    Node sizes follow the drawn width, so columns do not overlap on a phone."""
    view = pd.DataFrame(list(rows))
    x_axis = alt.X(
        "layer:Q",
        title="layer (0 = input)",
        axis=alt.Axis(format="d", tickMinStep=1),
        scale=alt.Scale(domain=[-0.5, layers + 0.5], nice=False),
    )
    y_axis = alt.Y("node:O", axis=None)
    tooltip = [
        alt.Tooltip("layer:Q", title="layer"),
        alt.Tooltip("std_text:N", title="std of a_l"),
        alt.Tooltip("log_ratio:Q", title="log10(std / input std), clipped", format=".3f"),
        alt.Tooltip("state:N", title="state"),
    ]
    # Largest node area (px²): a circle 80% as wide as one layer's column of the plot.
    largest = f"clamp(pow(0.8 * width / {layers + 1}, 2), {SMALLEST_NODE}, {LARGEST_NODE})"
    nodes = (
        alt.Chart(view[view["kind"] != "overflow"])
        .mark_circle(opacity=1.0, stroke=NODE_STROKE, strokeWidth=1)
        .encode(
            x=x_axis,
            y=y_axis,
            color=alt.Color(
                "log_ratio:Q",
                scale=alt.Scale(scheme="viridis", domain=[-decades, decades]),
                # A legend below the plot squeezes Vega's ordinal y axis to one row: keep it right.
                title=["log10(std /", "input std)"],
                legend=alt.Legend(gradientLength=120),
            ),
            # Size reads "level" (the same log scale mapped to [0, 1]): a size without legend on
            # the colour's own field would make Vega-Lite drop the merged colour legend too.
            size=alt.Size(
                "level:Q",
                scale=alt.Scale(domain=[0, 1], range=[SMALLEST_NODE, alt.ExprRef(largest)]),
                legend=None,
            ),
            tooltip=tooltip,
        )
    )
    crosses = (
        alt.Chart(view[view["kind"] == "overflow"])
        .mark_point(
            shape="cross", filled=True, size=alt.ExprRef(f"{largest} / 2"), color=OVERFLOW_COLOR
        )
        .encode(x=x_axis, y=y_axis, tooltip=tooltip)
    )
    chart = alt.layer(nodes, crosses).properties(
        title=alt.TitleParams(title, anchor="start"),
        height=VIEW_HEIGHT,
        view=alt.ViewBackground(strokeWidth=0),
    )
    return vega_spec(chart, validate=False)
