"""Charts and the tables of the Quantization range page, drawn from an experiment result
(lab.experiments.quantization.Result): no arithmetic on the numbers here, only layout.

``chart_specs`` and ``tables`` are built once per result (``pages.ui.memo.once_per``, keyed by
its Config) and shared by every rerun and session: building Altair charts takes longer than the
rest of a rerun, and pandas tables were converted to Arrow on every one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from lab.experiments.quantization import BAR_STATISTICS, STATISTICS, Column, Panel, Result
from lab.formats import FORMAT_ZONES
from pages.ui.charts import LINE_VIRIDIS, vega_spec
from pages.ui.memo import arrow_table, once_per
from pages.ui.text_width import legend_label_limit

#: Session-state key of the Quantization page's format limits expander (True: open).
LIMITS_KEY = "quantization_limits"

#: Fill colours of the format zones (FORMAT_ZONES order), readable at low opacity on light and
#: dark backgrounds.
ZONE_COLORS = ("#e03131", "#2f9e44", "#f59f00", "#748ffc")
#: Opaque, light fills of the dynamic-range bar (DYNAMIC_RANGE_ZONES order: flush to 0,
#: subnormal, normal, overflow), the hues of the panels' zones.
BAR_COLORS = ("#91a7ff", "#ffd43b", "#51cf66", "#ff6b6b")
#: Line colours of the statistics (largest, RMS, small), apart from the zone fills.
STATISTIC_COLORS = ("#1971c2", "#9c36b5", "#e8590c")
#: Vega's legend layout: the legends below a chart one under the other, from its left edge.
STACKED_LEGENDS = alt.ExprRef("{bottom: {direction: 'vertical', anchor: 'start'}}")
#: Opacity of the zone fills, so that the lines over them stand out.
ZONE_OPACITY = 0.22
#: Width (px) of one panel: three fit a row of the wide layout next to the sidebar, one a phone.
PANEL_WIDTH = 290
#: Height (px) of one panel, its title and axes included.
PANEL_HEIGHT = 300
#: Width (px) of the panels' legend.
LEGEND_WIDTH = 150
_ZONE_SCALE = alt.Scale(domain=list(FORMAT_ZONES), range=list(ZONE_COLORS))
_STATISTIC_SCALE = alt.Scale(domain=list(STATISTICS.values()), range=list(STATISTIC_COLORS))


def _zone_layer(panel: Panel, axis: tuple[float, float], layers: int) -> alt.Chart:
    """The format's zones as shaded rectangles (already cut to the axis by the engine), on an
    x axis over every layer (INT8 has no zones where a layer has no finite nonzero value)."""
    frame = pd.DataFrame(
        [
            {
                "zone": b.band.zone,
                "low": b.band.low,
                "high": b.band.high,
                "x0": b.first - 0.5,
                "x1": b.last + 0.5,
                "detail": b.band.detail,
            }
            for b in panel.bands
        ],
        columns=["zone", "low", "high", "x0", "x1", "detail"],
    )
    return (
        alt.Chart(frame)
        .mark_rect(opacity=ZONE_OPACITY)
        .encode(
            x=alt.X(
                "x0:Q",
                title="layer",
                scale=alt.Scale(domain=[0.5, layers + 0.5], nice=False),
                axis=alt.Axis(format="d"),
            ),
            x2="x1:Q",
            y=alt.Y(
                "low:Q",
                title="|a|",
                scale=alt.Scale(type="log", domain=list(axis), nice=False),
                axis=alt.Axis(format="~e"),
            ),
            y2="high:Q",
            fill=alt.Fill("zone:N", scale=_ZONE_SCALE, legend=None),
            tooltip=alt.Tooltip("detail:N", title="zone"),
        )
    )


def _line_layers(result: Result) -> list[alt.Chart]:
    """The statistics per layer: lines that break where a value leaves the log axis, and a
    dashed rule where each gap starts (the page writes result.range_note under the panels)."""
    points = pd.DataFrame([vars(p) for p in result.points])
    points["segment"] = (~points["on_axis"]).groupby(points["statistic"]).cumsum()
    points["segment"] = points["statistic"] + "#" + points["segment"].astype(str)
    color = alt.Color("statistic:N", scale=_STATISTIC_SCALE, legend=None)
    lines = (
        alt.Chart(points[points["on_axis"]])
        .mark_line(point=True)
        .encode(
            x=alt.X("layer:Q", title="layer"),
            y=alt.Y("value:Q", title="|a|"),
            color=color,
            detail="segment:N",
            tooltip=[
                alt.Tooltip("statistic:N"),
                alt.Tooltip("layer:Q"),
                alt.Tooltip("value:Q", title="|a|", format=".4~g"),
            ],
        )
    )
    if not result.gaps:
        return [lines]
    gaps = pd.DataFrame([vars(g) for g in result.gaps])
    rules = (
        alt.Chart(gaps)
        .mark_rule(strokeDash=[4, 3], strokeWidth=1.5)
        .encode(
            x=alt.X("layer:Q", title="layer"),
            color=color,
            tooltip=alt.Tooltip("note:N", title="not on the log axis"),
        )
    )
    return [lines, rules]


def range_panels(result: Result, *, height: int = PANEL_HEIGHT) -> list[alt.LayerChart]:
    """One chart per shown format, ``height`` pixels with its title and axes: each layer's
    magnitudes over the format's zones on the result's shared log axis. No legends:
    ``panel_legend`` draws one for all of them."""
    lines = _line_layers(result)
    return [
        alt.layer(_zone_layer(panel, result.axis, result.layers), *lines).properties(
            title=alt.TitleParams(panel.label, anchor="start"), height=height
        )
        for panel in result.panels
    ]


def panel_legend(*, width: int = LEGEND_WIDTH, height: int = PANEL_HEIGHT) -> alt.LayerChart:
    """The panels' legend on its own, ``width`` x ``height`` pixels: the zones' fills and the
    statistics' lines."""
    zones = (
        alt.Chart(pd.DataFrame({"zone": list(FORMAT_ZONES)}))
        .mark_square(opacity=0)  # nothing drawn: only the legend
        .encode(
            fill=alt.Fill(
                "zone:N", title="zone", scale=_ZONE_SCALE, legend=alt.Legend(symbolOpacity=0.5)
            )
        )
    )
    statistics = (
        alt.Chart(pd.DataFrame({"statistic": list(STATISTICS.values())}))
        .mark_line(point=alt.OverlayMarkDef(opacity=0), opacity=0)
        .encode(
            color=alt.Color(
                "statistic:N",
                title="statistic",
                scale=_STATISTIC_SCALE,
                legend=alt.Legend(symbolOpacity=1),
            )
        )
    )
    return (
        alt.layer(zones, statistics)
        .properties(width=width, height=height)
        .configure_view(strokeWidth=0)
        .configure_legend(orient="left")
    )


def show_panels(panels: Sequence[dict], legend: dict, *, width: int = PANEL_WIDTH) -> None:
    """The legend's spec, then the panels' side by side, ``width`` pixels each, wrapping onto
    more rows when the page is narrow (one a row on a phone)."""
    with st.container(horizontal=True, gap="medium"):
        st.vega_lite_chart(legend, width=legend["width"])
        for spec in panels:
            st.vega_lite_chart(spec, width=width)


def dynamic_range_bar(result: Result, *, row_height: int = 40) -> alt.LayerChart:
    """The FP16 dynamic-range bar (result.fp16) with ticks at every layer's BAR_STATISTICS.
    Each zone's range is in the legend (a label on a narrow bar would overlap its neighbour)."""
    bar = result.fp16
    zones_row = f"{bar.label} zones"
    rows = [zones_row, *(STATISTICS[name] for name in BAR_STATISTICS)]
    bands = pd.DataFrame([vars(band) for band in bar.bands])
    bands["row"] = zones_row
    bands["name"] = bands["zone"] + ": " + bands["label"]
    x_scale = alt.Scale(type="log", domain=[bar.axis_low, bar.axis_high], nice=False)
    y = alt.Y("row:N", title=None, sort=rows)
    # Every zone's label whole; the layers' colour bar goes below the zones' legend, not beside
    # it, where a phone's width cut it off.
    legend = alt.Legend(
        orient="bottom",
        direction="vertical",
        columns=1,
        labelLimit=legend_label_limit(bands["name"]),
    )
    zones = (
        alt.Chart(bands)
        .mark_bar(opacity=1.0)
        .encode(
            x=alt.X("low:Q", title="|a| (log scale)", scale=x_scale, axis=alt.Axis(format="~e")),
            x2="high:Q",
            y=y,
            color=alt.Color(
                "name:N",
                title=f"{bar.label} zone",
                sort=list(bands["name"]),
                scale=alt.Scale(domain=list(bands["name"]), range=list(BAR_COLORS)),
                legend=legend,
            ),
            tooltip=[
                alt.Tooltip("zone:N"),
                alt.Tooltip("label:N", title="|a|"),
                alt.Tooltip("detail:N", title="what a cast does"),
            ],
        )
    )
    layers: list[alt.Chart] = [zones]
    if result.fp16_markers:
        markers = pd.DataFrame([vars(p) for p in result.fp16_markers])
        layers.append(
            alt.Chart(markers)
            .mark_tick(thickness=2, size=24)
            .encode(
                x=alt.X("value:Q", scale=x_scale),
                y=alt.Y("statistic:N", title=None, sort=rows),
                stroke=alt.Stroke(
                    "layer:Q",
                    title="layer",
                    scale=alt.Scale(scheme=LINE_VIRIDIS),
                    # Layer numbers are whole: "~d" ticks (one layer read "1.000000").
                    legend=alt.Legend(
                        orient="bottom", gradientLength=120, format="d", tickMinStep=1
                    ),
                ),
                tooltip=[
                    alt.Tooltip("statistic:N", title="marker"),
                    alt.Tooltip("layer:Q"),
                    alt.Tooltip("value:Q", title="|a|", format=".4~g"),
                ],
            )
        )
    title = f"This network's layers on {bar.label}'s range"
    return (
        alt.layer(*layers)
        .properties(
            title=alt.TitleParams(title, subtitle=result.fp16_note or [], anchor="start"),
            height=alt.Step(row_height),
        )
        .configure_legend(layout=STACKED_LEGENDS)
    )


def _config(result: Result) -> object:
    return result.config


@dataclass(frozen=True)
class ChartSpecs:
    """The Vega-Lite specs of one result's charts (read-only dicts): range_panels, one per
    shown format, their panel_legend, and the FP16 dynamic_range_bar."""

    panels: tuple[dict, ...]
    legend: dict
    bar: dict


@once_per(_config)
def chart_specs(result: Result) -> ChartSpecs:
    """The page's charts for ``result``, built once per result (its Config)."""
    return ChartSpecs(
        panels=tuple(vega_spec(panel) for panel in range_panels(result)),
        legend=vega_spec(panel_legend()),
        bar=vega_spec(dynamic_range_bar(result)),
    )


_FORMATS = {"layer": "%d", "magnitude": "%.2e", "share": "percent", "db": "%.1f"}


#: Columns of the SQNR examples' table, by field of ``lab.formats.SqnrExample``.
SQNR_COLUMNS = {
    "distribution": "signal",
    "samples": "values",
    "crest_factor": "crest factor c",
    "sqnr_db": "SQNR measured (dB)",
    "predicted_db": "SQNR from c (dB)",
}


@dataclass(frozen=True)
class Tables:
    """One result's tables as Arrow tables (immutable): ``layers``, the per-layer table with
    its column_config (``layer_config``); ``sqnr``, INT8's SQNR examples; ``limits``, the
    format limits (``Result.format_limits`` without the internal name)."""

    layers: pa.Table
    layer_config: dict[str, object]
    sqnr: pa.Table
    limits: pa.Table


def table_config(columns: tuple[Column, ...]) -> dict[str, object]:
    """st.dataframe's column_config for the per-layer table: magnitudes to 3 digits (as text,
    ``magnitude_text``), shares as percentages, dB to a tenth."""
    return {
        column.name: st.column_config.TextColumn(column.name, help=column.help or None)
        if column.kind == "magnitude"
        else st.column_config.NumberColumn(
            column.name, format=_FORMATS[column.kind], help=column.help or None
        )
        for column in columns
    }


def magnitude_text(value: float | None) -> str | None:
    """A magnitude as the per-layer table shows it, 3 significant digits: as text, because
    Streamlit's number columns show an error cell for a number above 2^53 (every double there
    is an integer), which an exploding network's activations pass. None stays empty."""
    if value is None or math.isnan(value):
        return None
    return f"{value:.2e}"


def layer_frame(result: Result) -> pa.Table:
    """The per-layer table (result.columns and result.table) as an Arrow table, magnitudes as
    text (``magnitude_text``)."""
    text = [column.kind == "magnitude" for column in result.columns]
    rows = [
        [magnitude_text(v) if as_text else v for v, as_text in zip(row, text, strict=True)]
        for row in result.table
    ]
    return arrow_table(rows, [c.name for c in result.columns])


#: Columns of the format limits sent as text (4 significant digits after the point): Streamlit's
#: number columns show an error cell for an integer-valued number above 2^53, such as FP32's
#: largest value, 3.4e38.
TEXT_LIMITS = ("max", "overflow_from")


@once_per(_config)
def tables(result: Result) -> Tables:
    """The page's tables for ``result``, built once per result (its Config). The result's
    rows are read, never changed (st.dataframe copies a column_config before it edits one)."""
    sqnr = [
        {title: getattr(example, field) for field, title in SQNR_COLUMNS.items()}
        for example in result.sqnr_examples
    ]
    return Tables(
        layers=layer_frame(result),
        layer_config=table_config(result.columns),
        sqnr=arrow_table(sqnr, list(SQNR_COLUMNS.values())),
        limits=arrow_table(
            [
                {**row, **{name: f"{row[name]:.4e}" for name in TEXT_LIMITS}}
                for row in result.format_limits
            ],
            drop=("name",),
        ),
    )
