"""What a chart would cut inside its canvas at the narrowest width a page gives it: titles, legend
labels and legends checked against the lab's text model (``pages.ui.text_width``); and a
rerun that must send the same charts without building any. Shared by the Training and Phase
diagram page tests; the contrast of a colour on both themes' pages."""

from __future__ import annotations

import json
import math

from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Column, Grid

from pages.ui.text_width import (
    LABEL_PX_PER_CHAR,
    LEGEND_COLUMN_GAP,
    LEGEND_SYMBOL,
    PHONE_WIDTH,
    TITLE_MARGIN,
    TITLE_PX_PER_CHAR,
    Y_AXIS_WIDTH,
)


def charts_with_widths(at: AppTest) -> list[tuple[dict, int]]:
    """Every rendered spec with the narrowest width (px) it can get: its grid's smallest
    column (the grid drops a column first), at most a phone's column; PHONE_WIDTH outside a
    grid. A chart in st.columns has no such bound (0): columns only stack below 640 px, so at
    800 px three of them were 135 px wide."""
    found: list[tuple[dict, int]] = []

    def walk(node, width: int) -> None:
        if isinstance(node, Grid):
            width = min(width, node.proto.min_column_width_px)
        elif isinstance(node, Column):
            width = 0
        if getattr(node, "type", None) == "vega_lite_chart":
            found.append((json.loads(node.proto.spec), width))
        for child in getattr(node, "children", {}).values():
            walk(child, width)

    walk(at.main, PHONE_WIDTH)
    return found


def title_lines(spec: dict) -> list[str]:
    """Every line of the chart's title and subtitle."""
    title = spec.get("title", "")
    parts = [title] if not isinstance(title, dict) else [title.get("text"), title.get("subtitle")]
    lines: list[str] = []
    for part in parts:
        lines += [part] if isinstance(part, str) else list(part or [])
    return [line for line in lines if line]


def encodings(spec: object) -> list[dict]:
    """Every ``encoding`` anywhere in the spec (layers, concatenations), outermost first."""
    found: list[dict] = []
    if isinstance(spec, dict):
        if isinstance(spec.get("encoding"), dict):
            found.append(spec["encoding"])
        for value in spec.values():
            found += encodings(value)
    elif isinstance(spec, list):
        for value in spec:
            found += encodings(value)
    return found


def legends(spec: object) -> list[tuple[dict, dict]]:
    """(channel definition, legend) of every legend anywhere in the spec (conditions too)."""
    found: list[tuple[dict, dict]] = []
    for encoding in encodings(spec):
        for channel in encoding.values():
            if not isinstance(channel, dict):  # a list of tooltips
                continue
            for definition in (channel, channel.get("condition")):
                if isinstance(definition, dict) and isinstance(definition.get("legend"), dict):
                    found.append((definition, definition["legend"]))
    return found


def readability_problems(charts: list[tuple[dict, int]]) -> list[str]:
    """What would be cut inside a chart's canvas at its narrowest width, with the lab's text
    model (``pages.ui.text_width``: Source Sans in Streamlit's Vega theme): a title line
    wider than the chart, a legend not below the plot, a legend label longer than its
    ``labelLimit`` (Vega cuts it with "…"), a legend wider than the space beside the y axis."""
    problems = []
    for spec, width in charts:
        name = (title_lines(spec) or ["untitled"])[0]
        if width <= 0:
            problems.append(f"{name}: in st.columns, no narrowest width")
            continue
        for line in title_lines(spec):
            if TITLE_MARGIN + len(line) * TITLE_PX_PER_CHAR > width:
                problems.append(f"{name}: title line {line!r} does not fit {width} px")
        for channel, legend in legends(spec):
            if legend.get("orient") != "bottom":
                problems.append(f"{name}: legend {legend.get('orient')!r}, not below the plot")
            if channel.get("type") == "nominal":
                labels = channel["scale"]["domain"]
                longest = max(len(label) for label in labels)
                limit = legend.get("labelLimit", 0)
                if limit < math.ceil(longest * LABEL_PX_PER_CHAR):
                    problems.append(f"{name}: labelLimit {limit} cuts a {longest}-character label")
                columns = legend.get("columns", len(labels))
                needed = Y_AXIS_WIDTH + columns * (LEGEND_SYMBOL + limit)
                needed += (columns - 1) * LEGEND_COLUMN_GAP
                if needed > width:
                    problems.append(f"{name}: {columns}-column legend needs {needed} of {width} px")
            elif Y_AXIS_WIDTH + legend.get("gradientLength", 200) > width:
                problems.append(f"{name}: colour bar wider than {width} px")
    return problems


def chart_specs(at: AppTest) -> list[str]:
    """The Vega-Lite specs the page's last run sent, in order."""
    return [chart.proto.spec for chart in at.get("vega_lite_chart")]


def rerun_without_building(at: AppTest, monkeypatch, module: object) -> list[str]:
    """Rerun ``at`` with ``module.vega_spec`` raising if called (a chart built again); the
    specs the rerun sent. The test compares them with the first run's."""

    def no_build(*args, **kwargs):
        raise AssertionError("a chart was built again")

    monkeypatch.setattr(module, "vega_spec", no_build)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return chart_specs(at)


#: The pages' backgrounds: the light theme's white and the dark theme's near-black.
BACKGROUNDS = ("#ffffff", "#171614")


def contrast(color: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(hex_color: str) -> float:
        channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(color), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def color_ranges(spec: object) -> list[str]:
    """Every colour a "color" channel's scale lists in its range, anywhere in the spec."""
    found: list[str] = []
    if isinstance(spec, dict):
        color = spec.get("color")
        if isinstance(color, dict):
            found += [c for c in color.get("scale", {}).get("range", []) if isinstance(c, str)]
        for value in spec.values():
            found += color_ranges(value)
    elif isinstance(spec, list):
        for value in spec:
            found += color_ranges(value)
    return found
