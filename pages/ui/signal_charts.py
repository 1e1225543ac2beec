"""Charts and the per-layer table of the Signal propagation page, built from
``lab.experiments.signal_propagation``.

``series_spec`` draws one ``LayerSeries`` (simulation and theory on a log axis, via
``pages.ui.charts.log_line_chart``); ``network_view_spec`` draws the network view's rows.
The page takes them through ``chart_specs`` and the table through ``layer_table``, both built
once per result (``pages.ui.memo.once_per``, keyed by its Config) and shared by every rerun and
session: building Altair charts costs tens of milliseconds each, and converting a pandas table
to Arrow on every rerun was a fifth of one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import altair as alt
import pandas as pd
import pyarrow as pa

from lab.experiments.signal_propagation import SIMULATED, THEORY, LayerSeries, Result
from lab.signal import layer_table_text
from pages.ui.charts import log_line_chart, vega_spec
from pages.ui.memo import arrow_table, once_per

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
#: Title of the network view.
VIEW_TITLE = "Layers left to right"
#: The per-layer table's column of saturated units, left out when the activation has none.
SATURATED_COLUMN = "frac_saturated"


@dataclass(frozen=True)
class ChartSpecs:
    """The Vega-Lite specs of one result's charts, in page order (read-only dicts)."""

    forward: dict
    grad_post: dict
    grad_weight: dict
    view: dict


def _config(result: Result) -> object:
    return result.config


@once_per(_config)
def chart_specs(result: Result) -> ChartSpecs:
    """The page's four charts for ``result``, built once per result (its Config)."""
    return ChartSpecs(
        forward=series_spec(result.forward),
        grad_post=series_spec(result.grad_post),
        grad_weight=series_spec(result.grad_weight),
        view=network_view_spec(result.view, result.network.layers, result.view_decades, VIEW_TITLE),
    )


@once_per(_config)
def layer_table(result: Result) -> pa.Table:
    """The per-layer table as the page shows it (``lab.signal.layer_table_text``: numbers as
    text), without the saturated column when the activation does not saturate; built once per
    result (its Config). The result's rows are read, never changed."""
    drop = () if result.saturation_label else (SATURATED_COLUMN,)
    return arrow_table(layer_table_text(result.table), drop=drop)


def series_spec(series: LayerSeries) -> dict:
    """The simulated std per layer and, when the theory applies, its line dashed on top, in the
    same two colours on every chart (where they agree both stay visible); exact zeros (a
    gradient that died) on the zero band. The legend sits below, one entry per line, so a
    narrow chart keeps its width and both entries."""
    rows = []
    colors = []
    named = ((SIMULATED, series.simulated, SIMULATION_COLOR), (THEORY, series.theory, THEORY_COLOR))
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
        # Short strokes as symbols, so that the theory's entry is dashed like its line.
        legend=alt.Legend(
            orient="bottom",
            direction="vertical",
            title=None,
            labelLimit=300,
            symbolType="stroke",
            symbolStrokeWidth=2,
            symbolSize=300,
        ),
        zero_band=True,
        dashed=(THEORY,) if series.theory is not None else (),
    )
    return vega_spec(chart, validate=False, plot_height=True)


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
