"""Charts of the Phase diagram page, built from ``lab.experiments.phase_diagram``.

``plane_spec`` draws the (sigma_w^2, sigma_b^2) plane as a heatmap of chi1 or of the depth scale
xi, the edge of chaos, the regions' names and the points (a click on a point opens Signal
propagation: Vega-Lite's ``href`` channel with the declared link); ``trainability_spec`` draws
the accuracy grid with the 6 xi line. Both return Vega-Lite dicts built once per result and
heatmap (``pages.ui.memo.once_per``, keyed by the result's Config or the grid's request, which
determine them) and shared, unchanged, by every rerun and session; ``points_table`` is the
points' table as an Arrow table, built once the same way.

Titles are short enough for a 390 px phone (the detail goes in the subtitle), and the colour
legends sit below the plot.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa

from lab.experiments.phase_diagram import Plane, Result, TrainabilityPanel, depth_text
from pages.ui.charts import outlined_text, vega_spec
from pages.ui.memo import arrow_table, once_per

PLANE_HEIGHT = 480
TRAINABILITY_HEIGHT = 400
EDGE_COLOR = "#111111"
#: The 6 xi line (red reads on viridis and on the white above the grid) and the edge rule.
LINE_COLOR = "#e03131"
RULE_COLOR = "#ffffff"
POINT_FILL = "#ffffff"
POINT_STROKE = "#111111"
#: A label's outline: white under black letters reads on every colour of the heatmap and on
#: either theme's page around it.
LABEL_OUTLINE = "#ffffff"
MISSING_COLOR = "#adb5bd"
#: The heatmaps a plane can show, each with its title's symbol.
HEATMAP_SYMBOLS = {"chi1": "χ₁", "xi": "ξ"}
#: The two kinds of boundary between order and chaos, as the line's tooltip names them: solid
#: and dashed (``Plane.edge_jump``).
BOUNDARY_KINDS = ("edge of chaos (χ₁ = 1)", "χ₁ jumps past 1: no edge")


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


def plane_spec(result: Result, heatmap: str) -> dict:
    """The heatmap (``heatmap``: "chi1" or "xi") with the edge of chaos, the region names and
    the points (each a link to Signal propagation), built once per result and heatmap."""
    if heatmap not in HEATMAP_SYMBOLS:
        raise ValueError(f"heatmap must be one of {', '.join(HEATMAP_SYMBOLS)}; got {heatmap!r}")
    return _plane_spec((result, heatmap))


@once_per(lambda job: (job[0].config, job[1]))
def _plane_spec(job: tuple[Result, str]) -> dict:
    result, heatmap = job
    cells = _cells(result)
    x_scale = alt.Scale(domain=[0, result.sw2_max], nice=False)
    y_scale = alt.Scale(domain=[0, result.sb2_max], nice=False)
    x = alt.X("sw2:Q", title="σ_w² = n Var(W)", scale=x_scale)
    y = alt.Y("sb2:Q", title="σ_b² = Var(b)", scale=y_scale)
    labels: list[float] | None = None  # Vega's own
    if heatmap == "chi1":
        field, legend_title = "chi1", "χ₁"
        color_scale = alt.Scale(type="log", scheme="redblue", reverse=True, domainMid=1.0)
        labels = legend_values(cells["chi1"])
    else:
        field, legend_title = "xi", "ξ (layers)"
        color_scale = alt.Scale(
            type="log", scheme="viridis", domainMax=result.xi_shown_max, clamp=True
        )
    tooltip = [
        alt.Tooltip("centre_sw2:Q", title="σ_w²", format=".3g"),
        alt.Tooltip("centre_sb2:Q", title="σ_b²", format=".3g"),
        alt.Tooltip("chi1:Q", title="χ₁", format=".4g"),
        alt.Tooltip("xi_text:N", title="ξ (layers)"),
        alt.Tooltip("phase:N", title="phase"),
    ]
    defined = f"isValid(datum.{field}) && datum.{field} > 0"
    cell = alt.Chart(cells).encode(x=x, x2="sw2_end:Q", y=y, y2="sb2_end:Q", tooltip=tooltip)
    # Undefined cells get a layer of their own: Vega-Lite drops a mark whose colour field is
    # null before any condition could colour it.
    missing = cell.transform_filter(f"!({defined})").mark_rect(strokeWidth=0, color=MISSING_COLOR)
    heat = (
        cell.transform_filter(defined)
        .mark_rect(strokeWidth=0)
        .encode(
            color=alt.Color(
                f"{field}:Q",
                scale=color_scale,
                title=legend_title,
                legend=alt.Legend(
                    orient="bottom",
                    direction="horizontal",
                    gradientLength=220,
                    **({} if labels is None else {"values": labels}),
                ),
            )
        )
    )
    layers: list[alt.Chart] = [missing, heat]
    plane = result.plane
    if plane.edge_sw2.size:
        layers.append(
            alt.Chart(_boundary_rows(plane))
            .mark_line(color=EDGE_COLOR, strokeWidth=3, clip=True)
            .encode(
                x="sw2:Q",
                y="sb2:Q",
                order="order:Q",
                detail="kind:N",
                strokeDash=alt.StrokeDash(
                    "kind:N",
                    scale=alt.Scale(domain=list(BOUNDARY_KINDS), range=[[1, 0], [7, 4]]),
                    legend=None,
                ),
                tooltip=alt.Tooltip("kind:N", title="line"),
            )
        )
    for text, sw2, sb2, align in result.region_labels:
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
            for index, marker in enumerate(result.markers)
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
    # points sit close together on a phone. A thin leader joins each label to its point, so a
    # label two rows up is not read as a point of its own. The leaders go first, under every
    # label's white outline.
    rows = [(row, markers[markers["row"] == row]) for row in range(len(markers))]
    for row, chosen in rows[1:]:
        layers.append(
            alt.Chart(chosen)
            .mark_rule(color=POINT_STROKE, strokeWidth=1, yOffset=-7, y2Offset=-14 - 15 * row)
            .encode(x="sw2:Q", y="sb2:Q", y2="sb2:Q")
        )
    for row, chosen in rows:
        layers += _halo_text(chosen, "label:N", align="left", dx=-4, dy=-14 - 15 * row, size=12)
    chart = alt.layer(*layers).properties(
        title=alt.TitleParams(
            f"{HEATMAP_SYMBOLS[heatmap]} over the plane",
            subtitle=(
                "no edge of chaos inside this plane"
                if plane.edge_sw2.size == 0
                else ["black line: the edge of chaos", "dashed: χ₁ jumps past 1, no edge"]
                if plane.edge_jump.any()
                else "black line: the edge of chaos"
            ),
            anchor="start",
        ),
        height=PLANE_HEIGHT,
    )
    return vega_spec(chart, validate=False)


@once_per(lambda result: result.config)
def points_table(result: Result) -> pa.Table:
    """One row per point: its label, σ_w², σ_b², χ₁, ξ (text), phase and trainable depth (text),
    under the page's column names."""
    return arrow_table(
        [
            {
                "point": p.label,
                "sw2": p.sw2,
                "sb2": p.sb2,
                "chi1": p.chi1,
                "xi": p.xi_text,
                "phase": p.phase,
                "depth": p.depth_text,
            }
            for p in result.points
        ]
    )


def legend_values(values: pd.Series) -> list[float]:
    """Labels of a log colour bar over the positive ``values``: every power of ten inside it
    (1, the edge of chaos, among them) and its two ends (the smallest rounded up to one
    significant digit, the largest down to two) unless within a tenth of a decade of one.
    Vega's own labels stopped at 1 on tanh's chi1 bar, whose chaotic part reaches 1.4."""
    shown = values[np.isfinite(values) & (values > 0)]
    if shown.empty:
        return []
    low, high = float(shown.min()), float(shown.max())
    decades = [10.0**k for k in range(math.ceil(math.log10(low)), math.floor(math.log10(high)) + 1)]
    ends = [_round_significant(low, 1, math.ceil), _round_significant(high, 2, math.floor)]
    apart = [end for end in ends if all(abs(math.log10(end / decade)) >= 0.1 for decade in decades)]
    return sorted({*decades, *apart})


def _round_significant(value: float, digits: int, direction) -> float:
    """``value`` rounded to ``digits`` significant digits with ``direction`` (math.ceil or
    math.floor), so that the label stays inside the bar."""
    scale = 10.0 ** (math.floor(math.log10(value)) - digits + 1)
    return float(f"{direction(value / scale) * scale:.{digits}g}")


def _boundary_rows(plane: Plane) -> pd.DataFrame:
    """The boundary's points in order along sb2, each with its kind; where the kind changes
    the point is in both lines, so that the solid and the dashed part meet."""
    rows = []
    kinds = [BOUNDARY_KINDS[int(jump)] for jump in plane.edge_jump]
    for index, (sw2, sb2, kind) in enumerate(
        zip(plane.edge_sw2, plane.edge_sb2, kinds, strict=True)
    ):
        rows.append({"sw2": sw2, "sb2": sb2, "order": index, "kind": kind})
        if index + 1 < len(kinds) and kinds[index + 1] != kind:
            rows.append({"sw2": sw2, "sb2": sb2, "order": index, "kind": kinds[index + 1]})
    return pd.DataFrame(rows)


def _halo_text(
    frame: pd.DataFrame, text: str, *, align: str, dx: int = 0, dy: int = 0, size: int = 12
) -> list[alt.Chart]:
    """Text readable on any colour: a thick white outline under black letters."""
    common = {"align": align, "dx": dx, "dy": dy, "fontSize": size, "fontWeight": "bold"}
    base = alt.Chart(frame).encode(x="sw2:Q", y="sb2:Q", text=text)
    return outlined_text(base, "#111111", outline=LABEL_OUTLINE, **common)


@once_per(lambda panel: panel.request)
def trainability_spec(panel: TrainabilityPanel) -> dict:
    """Training accuracy over (sigma_w^2, depth), with the 6 xi line and the edge of chaos,
    built once per grid (its request)."""
    rows = []
    for i, depth in enumerate(panel.depths):
        for j, sw2 in enumerate(panel.sw2):
            rows.append(
                {
                    "sw2": panel.sw2_edges[j],
                    "sw2_end": panel.sw2_edges[j + 1],
                    "depth": panel.depth_edges[i],
                    "depth_end": panel.depth_edges[i + 1],
                    "centre_sw2": float(sw2),
                    "layers": int(depth),
                    "accuracy": float(panel.accuracy[i, j]),
                }
            )
    cells = pd.DataFrame(rows)
    x_scale = alt.Scale(domain=[float(panel.sw2_edges[0]), float(panel.sw2_edges[-1])], nice=False)
    # The axis reaches above the grid (up to twice its depth) where the line does.
    finite = np.isfinite(panel.line_depth)
    top = float(panel.depth_edges[-1])
    line_top = float(np.max(panel.line_depth[finite])) if finite.any() else top
    y_scale = alt.Scale(
        domain=[float(panel.depth_edges[0]), min(max(top, line_top), 2 * top)], nice=False
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
            "sw2": panel.line_sw2[finite],
            "depth": np.minimum(panel.line_depth[finite], panel.depth_edges[-1] * 10),
            "order": np.arange(int(finite.sum())),
        }
    )
    label = f"{panel.trainable_depth_scales:g} ξ"
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
    if math.isfinite(panel.edge_sw2):
        # The rule spans the grid's depths only: above them the background is white.
        edge = pd.DataFrame(
            {"sw2": [panel.edge_sw2], "low": [float(panel.depth_edges[0])], "high": [top]}
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
