"""Charts of the Phase diagram page, built from ``lab.experiments.phase_diagram``.

``plane_spec`` draws the (sigma_w^2, sigma_b^2) plane as a heatmap of chi1 or of the depth scale
xi, the edge of chaos, the regions' names and the points (a click on a point opens Signal
propagation: Vega-Lite's ``href`` channel with the declared link); ``trainability_spec`` draws
the accuracy grid with the 6 xi line. Both return cached Vega-Lite dicts; the first argument
is the cache key, the data arguments (determined by it) start with ``_`` and are not hashed.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lab.experiments.phase_diagram import Result, TrainabilityPanel, depth_text
from pages.ui.charts import vega_spec

PLANE_HEIGHT = 480
TRAINABILITY_HEIGHT = 400
EDGE_COLOR = "#111111"
#: The 6 xi line (red reads on viridis and on the white above the grid) and the edge rule.
LINE_COLOR = "#e03131"
RULE_COLOR = "#ffffff"
POINT_FILL = "#ffffff"
POINT_STROKE = "#111111"
MISSING_COLOR = "#adb5bd"
CACHED_SPECS = 32


def _cells(result: Result) -> pd.DataFrame:
    plane = result.plane
    xs, ys = np.meshgrid(plane.sw2, plane.sb2)
    xi = plane.xi.ravel()
    shown = np.where(np.isinf(xi), result.xi_shown_max, np.minimum(xi, result.xi_shown_max))
    return pd.DataFrame(
        {
            "sw2": xs.ravel() - result.sw2_step / 2,
            "sw2_end": xs.ravel() + result.sw2_step / 2,
            "sb2": ys.ravel() - result.sb2_step / 2,
            "sb2_end": ys.ravel() + result.sb2_step / 2,
            "centre_sw2": xs.ravel(),
            "centre_sb2": ys.ravel(),
            "chi1": plane.chi1.ravel(),
            "xi": np.where(np.isfinite(shown), shown, np.nan),
            "xi_text": [depth_text(float(value)) for value in xi],
            "phase": plane.phase.ravel(),
        }
    )


@st.cache_data(max_entries=CACHED_SPECS, show_spinner=False)
def plane_spec(key: object, _result: Result, heatmap: str) -> dict:
    """The heatmap (``heatmap``: "chi1" or "xi") with the edge of chaos, the region names and
    the points (each a link to Signal propagation)."""
    cells = _cells(_result)
    x_scale = alt.Scale(domain=[0, _result.sw2_max], nice=False)
    y_scale = alt.Scale(domain=[0, _result.sb2_max], nice=False)
    x = alt.X("sw2:Q", title="σ_w² = n Var(W)", scale=x_scale)
    y = alt.Y("sb2:Q", title="σ_b² = Var(b)", scale=y_scale)
    if heatmap == "chi1":
        field, legend_title = "chi1", "χ₁"
        color_scale = alt.Scale(type="log", scheme="redblue", reverse=True, domainMid=1.0)
    else:
        field, legend_title = "xi", "ξ (layers)"
        color_scale = alt.Scale(
            type="log", scheme="viridis", domainMax=_result.xi_shown_max, clamp=True
        )
    tooltip = [
        alt.Tooltip("centre_sw2:Q", title="σ_w²", format=".3g"),
        alt.Tooltip("centre_sb2:Q", title="σ_b²", format=".3g"),
        alt.Tooltip("chi1:Q", title="χ₁", format=".4g"),
        alt.Tooltip("xi_text:N", title="ξ (layers)"),
        alt.Tooltip("phase:N", title="phase"),
    ]
    heat = (
        alt.Chart(cells)
        .mark_rect(strokeWidth=0)
        .encode(
            x=x,
            x2="sw2_end:Q",
            y=y,
            y2="sb2_end:Q",
            color=alt.condition(
                f"isValid(datum.{field}) && datum.{field} > 0",
                alt.Color(
                    f"{field}:Q",
                    scale=color_scale,
                    title=legend_title,
                    legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=220),
                ),
                alt.value(MISSING_COLOR),
            ),
            tooltip=tooltip,
        )
    )
    layers: list[alt.Chart] = [heat]
    plane = _result.plane
    if plane.edge_sw2.size:
        edge = pd.DataFrame(
            {"sw2": plane.edge_sw2, "sb2": plane.edge_sb2, "order": range(plane.edge_sw2.size)}
        )
        layers.append(
            alt.Chart(edge)
            .mark_line(color=EDGE_COLOR, strokeWidth=3, clip=True)
            .encode(
                x="sw2:Q", y="sb2:Q", order="order:Q", tooltip=alt.value("edge of chaos (χ₁ = 1)")
            )
        )
    for text, sw2, sb2, align in _result.region_labels:
        region = pd.DataFrame([{"text": text, "sw2": sw2, "sb2": sb2}])
        layers += _halo_text(region, "text:N", align=align, size=13)
    markers = pd.DataFrame(
        [
            {
                "label": marker.short,
                "name": marker.name,
                "sw2": marker.sw2,
                "sb2": marker.sb2,
                "url": marker.href,
                "action": "click to open it in Signal propagation",
                "row": index,
            }
            for index, marker in enumerate(_result.markers)
        ]
    )
    layers.append(
        alt.Chart(markers)
        .mark_point(
            filled=True,
            size=140,
            fill=POINT_FILL,
            stroke=POINT_STROKE,
            strokeWidth=2,
            clip=False,
            cursor="pointer",
        )
        .encode(
            x="sw2:Q",
            y="sb2:Q",
            href="url:N",
            tooltip=[
                alt.Tooltip("name:N", title="point"),
                alt.Tooltip("sw2:Q", title="σ_w²", format=".4g"),
                alt.Tooltip("sb2:Q", title="σ_b²", format=".4g"),
                alt.Tooltip("action:N", title="link"),
            ],
        )
    )
    # One text row per marker, stacked above the points, each starting at its point's x: the
    # points sit close together on a phone.
    for row in range(len(markers)):
        chosen = markers[markers["row"] == row]
        layers += _halo_text(chosen, "label:N", align="left", dx=-4, dy=-14 - 15 * row, size=12)
    chart = alt.layer(*layers).properties(
        title=alt.TitleParams(
            f"{'χ₁' if heatmap == 'chi1' else 'ξ'} over the plane; black line: the edge of chaos",
            anchor="start",
        ),
        height=PLANE_HEIGHT,
    )
    return vega_spec(chart, validate=False)


def _halo_text(
    frame: pd.DataFrame, text: str, *, align: str, dx: int = 0, dy: int = 0, size: int = 12
) -> list[alt.Chart]:
    """Text readable on any colour: a thick white outline under black letters."""
    common = {"align": align, "dx": dx, "dy": dy, "fontSize": size, "fontWeight": "bold"}
    base = alt.Chart(frame).encode(x="sw2:Q", y="sb2:Q", text=text)
    return [
        base.mark_text(stroke="#ffffff", strokeWidth=4, strokeJoin="round", **common),
        base.mark_text(color="#111111", **common),
    ]


@st.cache_data(max_entries=CACHED_SPECS, show_spinner=False)
def trainability_spec(key: object, _panel: TrainabilityPanel) -> dict:
    """Training accuracy over (sigma_w^2, depth), with the 6 xi line and the edge of chaos."""
    rows = []
    for i, depth in enumerate(_panel.depths):
        for j, sw2 in enumerate(_panel.sw2):
            rows.append(
                {
                    "sw2": _panel.sw2_edges[j],
                    "sw2_end": _panel.sw2_edges[j + 1],
                    "depth": _panel.depth_edges[i],
                    "depth_end": _panel.depth_edges[i + 1],
                    "centre_sw2": float(sw2),
                    "layers": int(depth),
                    "accuracy": float(_panel.accuracy[i, j]),
                }
            )
    cells = pd.DataFrame(rows)
    x_scale = alt.Scale(
        domain=[float(_panel.sw2_edges[0]), float(_panel.sw2_edges[-1])], nice=False
    )
    # The axis reaches above the grid (up to twice its depth) where the line does.
    finite = np.isfinite(_panel.line_depth)
    top = float(_panel.depth_edges[-1])
    line_top = float(np.max(_panel.line_depth[finite])) if finite.any() else top
    y_scale = alt.Scale(
        domain=[float(_panel.depth_edges[0]), min(max(top, line_top), 2 * top)], nice=False
    )
    heat = (
        alt.Chart(cells)
        .mark_rect(stroke="#ffffff", strokeWidth=0.5)
        .encode(
            x=alt.X("sw2:Q", title="σ_w²", scale=x_scale),
            x2="sw2_end:Q",
            y=alt.Y("depth:Q", title="depth (hidden layers)", scale=y_scale),
            y2="depth_end:Q",
            color=alt.Color(
                "accuracy:Q",
                scale=alt.Scale(scheme="viridis", domain=[0, 1]),
                title="training accuracy",
                legend=alt.Legend(
                    format="%", orient="bottom", direction="horizontal", gradientLength=220
                ),
            ),
            tooltip=[
                alt.Tooltip("centre_sw2:Q", title="σ_w²", format=".3g"),
                alt.Tooltip("layers:Q", title="depth"),
                alt.Tooltip("accuracy:Q", title="training accuracy", format=".1%"),
            ],
        )
    )
    line = pd.DataFrame(
        {
            "sw2": _panel.line_sw2[finite],
            "depth": np.minimum(_panel.line_depth[finite], _panel.depth_edges[-1] * 10),
            "order": np.arange(int(finite.sum())),
        }
    )
    label = f"{_panel.trainable_depth_scales:g} ξ"
    layers = [
        heat,
        alt.Chart(line)
        .mark_line(color=LINE_COLOR, strokeWidth=3, clip=True)
        .encode(
            x="sw2:Q",
            y="depth:Q",
            order="order:Q",
            tooltip=alt.value(f"{label}: the deepest trainable depth"),
        ),
    ]
    if math.isfinite(_panel.edge_sw2):
        # The rule spans the grid's depths only: above them the background is white.
        edge = pd.DataFrame(
            {"sw2": [_panel.edge_sw2], "low": [float(_panel.depth_edges[0])], "high": [top]}
        )
        layers.append(
            alt.Chart(edge)
            .mark_rule(color=RULE_COLOR, strokeDash=[6, 4], strokeWidth=2)
            .encode(x="sw2:Q", y="low:Q", y2="high:Q", tooltip=alt.value("edge of chaos"))
        )
    chart = alt.layer(*layers).properties(
        title=alt.TitleParams(f"Training accuracy; red line: {label}", anchor="start"),
        height=TRAINABILITY_HEIGHT,
    )
    return vega_spec(chart, validate=False)
