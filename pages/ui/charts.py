"""Altair charts that show what a log axis or a fixed range cannot: pre-binned histograms with
explicit out-of-range and inf/NaN counts, and log-scale lines with zeros and inf/NaN marked
instead of silently dropped. ``vega_spec`` turns a chart into a cacheable Vega-Lite dict."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import altair as alt
import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from lab.validation import check_float, check_int


def _short(value: float) -> str:
    return f"{value:g}"


# --------------------------------------------------------------------------- charts

#: Colour for annotations (out-of-range counts, dropped points): readable on light and dark.
ANNOTATION_COLOR = "#e8590c"
#: The outline under a label that lines may cross, so that it stays readable: the colour of the
#: chart's background (Vega's built-in ``background`` signal, which Streamlit's theme sets), so
#: the outline is white on the light theme and the page's near-black on the dark one.
LABEL_HALO = {"expr": "background"}
#: Tick labels of any axis: plain numbers from 0.001 to 100,000, e-notation beyond ("1e+10",
#: "2.5e-7"). Vega's own "~g" prints "10000000000" for some ticks of a log scale, and takes its
#: precision from the tick step on a linear one (a step of 40 printed 60 as "6e+1").
AXIS_LABEL = (
    "abs(datum.value) >= 1e5 || (datum.value != 0 && abs(datum.value) < 1e-3)"
    " ? format(datum.value, '~e') : format(datum.value, '~g')"
)
#: A subtitle's colour where a chart sets none: Vega's default is black, which the dark theme's
#: near-black page hides (Streamlit's theme colours titles, not subtitles). This grey has a
#: contrast of 3.7 on white and 4.9 on the dark theme's #171614, as ``ANNOTATION_COLOR`` (3.6
#: and 5.1) does.
SUBTITLE_COLOR = "#808495"
#: Viridis for lines and ticks coloured by layer, cut to the part that reads on both themes
#: (contrast 2.3 or more on white and on the dark theme's page): its dark end (1.2 on the dark
#: page) and its yellow end (1.3 on white) go.
LINE_VIRIDIS = alt.SchemeParams("viridis", extent=[0.25, 0.7])
#: Colour of a reference band (``histogram_chart(band=...)``): a neutral grey on both themes.
BAND_COLOR = "#868e96"
#: Dash and gap (px) of a dashed line: a theory drawn over a simulation.
LINE_DASH = (6, 4)


#: Vega's autosize that keeps a chart's ``height`` for the plot and adds the title, the axes
#: and the legend around it (Streamlit's default, "fit", squeezes all of them into the height:
#: a legend below the plot left a strip of a plot and pushed the title out of the frame).
PLOT_HEIGHT_AUTOSIZE = {"type": "fit-x", "contains": "padding"}


def show_chart(chart: alt.TopLevelMixin, *, plot_height: bool = False) -> None:
    """Render an Altair chart at the container's width; ``plot_height``: its height is the
    plot's (``PLOT_HEIGHT_AUTOSIZE``).

    Builds the spec on every call: pages render through specs built once per result
    (``vega_spec`` inside ``pages.ui.memo.once_per`` or ``once_per_object``, then
    ``show_spec``); this is for charts whose data changes on every run.
    """
    if not isinstance(chart, alt.TopLevelMixin):
        raise ValueError(f"chart must be an Altair chart; got {type(chart).__name__}")
    show_spec(vega_spec(chart, plot_height=plot_height))


#: Altair's default theme sizes every view 300 x 300; Streamlit sizes charts itself.
_DEFAULT_VIEW = {"continuousWidth": 300, "continuousHeight": 300}


def vega_spec(
    chart: alt.TopLevelMixin, *, validate: bool = False, plot_height: bool = False
) -> dict:
    """The chart's Vega-Lite dict as ``st.vega_lite_chart`` takes it, without Altair's default
    300 x 300 view size and with ``SUBTITLE_COLOR`` for subtitles that set no colour; with
    ``plot_height``, its height is the plot's (``PLOT_HEIGHT_AUTOSIZE``).

    Pages build it once per result (``pages.ui.memo.once_per`` or ``once_per_object``) and
    render it with ``show_spec``: building an Altair chart costs tens of milliseconds, and
    validating it against the Vega-Lite schema as much again. Validation is therefore off at run
    time (``validate=True`` turns it on); tests/pages/test_vega_specs.py validates every spec
    the pages render against the schema Altair ships. The inline datasets are stored as Arrow
    IPC bytes, the form Streamlit sends them in (``st.vega_lite_chart`` passes bytes through),
    so that a rerun does not convert them again.
    """
    spec = chart.to_dict(validate=validate)
    config = spec.get("config", {})
    view = config.get("view", {})
    for name, value in _DEFAULT_VIEW.items():
        if view.get(name) == value:
            del view[name]
    if "view" in config and not view:
        del config["view"]
    spec["config"] = config
    config.setdefault("title", {}).setdefault("subtitleColor", SUBTITLE_COLOR)
    if plot_height:
        spec["autosize"] = dict(PLOT_HEIGHT_AUTOSIZE)
    datasets = spec.get("datasets")
    if isinstance(datasets, dict):
        spec["datasets"] = {
            name: _arrow(rows) if isinstance(rows, list) else rows
            for name, rows in datasets.items()
        }
    return spec


def _arrow(rows: list) -> object:
    """Records as the Arrow IPC bytes ``st.vega_lite_chart`` would make of them on every run;
    GeoJSON features (dicts with "type" and "geometry") stay as they are, as Streamlit keeps
    them."""
    if rows and isinstance(rows[0], dict) and "type" in rows[0] and "geometry" in rows[0]:
        return rows
    return dataframe_util.convert_anything_to_arrow_bytes(rows)


def show_spec(spec: dict) -> None:
    """Render a (cached) Vega-Lite dict from ``vega_spec`` at the container's width."""
    st.vega_lite_chart(spec, width="stretch")


def histogram_chart(
    edges: Sequence[float],
    counts: Sequence[float],
    title: str,
    *,
    below: int = 0,
    above: int = 0,
    nonfinite: int = 0,
    x_title: str = "value",
    y_title: str = "count",
    height: int = 260,
    y_max: float | None = None,
    band: tuple[float, float] | None = None,
) -> alt.LayerChart:
    """Bars for pre-binned data (``numpy.histogram``'s edges and counts).

    ``band`` (low, high) shades a reference interval behind the bars, cut to the bins' range,
    with dashed rules at its ends that fall inside the range (so that it still shows, as a line,
    when the axis is far wider than the band); the subtitle says so when it covers the whole
    axis or lies outside it. With no value in the bins the chart says so in its middle; with
    no value at all (every one inf/NaN) its axis stands in for nothing, so it has no band.

    Values outside [edges[0], edges[-1]] (``below``, ``above``) and inf/NaN (``nonfinite``)
    cannot sit on the axis: they are written on the chart at the matching edge and in the
    subtitle. Tooltips give each bin's range, count and share of all values. The y axis ends at
    ``histogram_top``; with ``y_max``, SHARED_TOP_MARGIN above the higher of the two (no
    rounding to a nice tick), so that charts given the largest ``histogram_top`` of a set (or
    the top of an overlay) share one y axis and its tallest bar does not touch the top.
    """
    title = _check_text("title", title)
    edge_values = _finite_list("edges", edges)
    count_values = [
        check_float(f"counts[{i}]", count, 0.0)
        for i, count in enumerate(_as_list("counts", counts))
    ]
    if len(edge_values) != len(count_values) + 1:
        raise ValueError(
            f"edges must have len(counts) + 1 = {len(count_values) + 1} entries; "
            f"got {len(edge_values)}"
        )
    if len(count_values) == 0:
        raise ValueError("counts must hold at least one bin; got 0")
    for i in range(1, len(edge_values)):
        if edge_values[i] <= edge_values[i - 1]:
            raise ValueError(
                f"edges must be strictly increasing; got edges[{i}] = {edge_values[i]:g} "
                f"after {edge_values[i - 1]:g}"
            )
    below = check_int("below", below, 0)
    above = check_int("above", above, 0)
    nonfinite = check_int("nonfinite", nonfinite, 0)
    x_title = _check_text("x_title", x_title)
    y_title = _check_text("y_title", y_title)
    height = check_int("height", height, 50, 2000)
    if band is not None:
        band_values = _finite_list("band", band)
        if len(band_values) != 2 or not band_values[0] < band_values[1]:
            raise ValueError(f"band must be two increasing finite numbers (low, high); got {band}")
        band = (band_values[0], band_values[1])
    top = histogram_top(count_values, below=below, above=above, nonfinite=nonfinite)
    if y_max is not None:
        top = max(top, check_float("y_max", y_max, 0.0))

    total = sum(count_values) + below + above + nonfinite
    bins = pd.DataFrame(
        {
            "left": edge_values[:-1],
            "right": edge_values[1:],
            "count": count_values,
            "share": [count / total if total else 0.0 for count in count_values],
            "bin": [
                f"[{a:.6g}, {b:.6g})"
                for a, b in zip(edge_values[:-1], edge_values[1:], strict=True)
            ],
        }
    )
    low, high = edge_values[0], edge_values[-1]
    # Every layer's x names this scale: a layer without it widened the axis to 0 (Vega-Lite's
    # default for rects), beyond the bins and the band.
    x_scale = alt.Scale(domain=[low, high], nice=False, zero=False)
    bars = (
        alt.Chart(bins)
        .mark_bar(opacity=0.9, orient="vertical", stroke=None)
        .encode(
            x=alt.X(
                "left:Q",
                title=x_title,
                scale=x_scale,
                # Plain numbers, powers of ten far from 1 (AXIS_LABEL); few ticks on a
                # narrow panel.
                axis=alt.Axis(labelExpr=AXIS_LABEL, labelOverlap=True, tickCount=5),
            ),
            x2="right:Q",
            y=alt.Y(
                "count:Q",
                title=y_title,
                scale=alt.Scale(domainMax=top * (1.0 + SHARED_TOP_MARGIN), nice=False)
                if y_max is not None
                else alt.Scale(domainMax=top),
            ),
            y2=alt.datum(0),
            tooltip=[
                alt.Tooltip("bin:N", title="bin"),
                alt.Tooltip("count:Q", title=y_title),
                alt.Tooltip("share:Q", title="share of all values", format=".3~%"),
            ],
        )
    )
    left_note = f"◀ {below:,} below {low:.3g}" if below else ""
    right_parts = [f"{above:,} above {high:.3g} ▶"] if above else []
    if nonfinite:
        right_parts.append(f"{nonfinite:,} inf/NaN")
    right_note = " · ".join(right_parts)
    layers: list[alt.Chart] = []
    band_note = ""
    # A panel without one finite value has a stand-in axis: no band to place on it.
    if band is not None and sum(count_values) + below + above > 0:
        band_layers, band_note = _band_layers(band, low, high, x_scale)
        layers.extend(band_layers)
    layers.append(bars)
    if left_note:
        layers.append(_edge_text(low, left_note, "left", x_scale=x_scale))
    if right_note:
        layers.append(
            _edge_text(high, right_note, "right", line=1 if left_note else 0, x_scale=x_scale)
        )
    if sum(count_values) == 0:  # nothing on the axis: say so rather than show an empty frame
        empty = pd.DataFrame({"x": [(low + high) / 2], "note": ["no value in this range"]})
        layers.append(
            alt.Chart(empty)
            .mark_text(baseline="middle", color=ANNOTATION_COLOR, fontSize=13)
            .encode(x=alt.X("x:Q", scale=x_scale), y=alt.value(height / 2), text="note:N")
        )
    # One note per subtitle line: a narrow panel truncates a long line.
    notes = [note.rstrip(" ▶") for note in (left_note.lstrip("◀ "), *right_parts) if note]
    subtitle = [f"Not on the axis: {notes[0]}", *notes[1:]] if notes else []
    if band_note:
        subtitle.append(band_note)
    return alt.layer(*layers).properties(title=_title(title, subtitle), height=height)


def _band_layers(
    band: tuple[float, float], low: float, high: float, x_scale: alt.Scale
) -> tuple[list[alt.Chart], str]:
    """The shaded part of ``band`` inside [low, high], rules at its ends inside the range and a
    label; plus a subtitle line when the band covers the whole range or misses it."""
    start, stop = max(band[0], low), min(band[1], high)
    label = f"[{band[0]:g}, {band[1]:g}]"
    if start >= stop:
        side = "left" if band[1] <= low else "right"
        return [], f"{label} lies {side} of this axis"
    layers: list[alt.Chart] = [
        alt.Chart(pd.DataFrame({"x": [start], "x2": [stop], "note": [f"band {label}"]}))
        .mark_rect(color=BAND_COLOR, opacity=0.15)
        .encode(
            x=alt.X("x:Q", scale=x_scale), x2="x2:Q", tooltip=alt.Tooltip("note:N", title="shaded")
        )
    ]
    ends = [{"x": x, "note": f"{x:g}: end of the band {label}"} for x in band if low < x < high]
    if ends:
        layers.append(
            alt.Chart(pd.DataFrame(ends))
            .mark_rule(color=BAND_COLOR, strokeDash=[3, 3], strokeWidth=1.5)
            .encode(x=alt.X("x:Q", scale=x_scale), tooltip=alt.Tooltip("note:N", title="band"))
        )
    note = f"the whole axis lies inside {label}" if start == low and stop == high else ""
    return layers, note


#: Room above a shared y axis's top value, as a share of it: without it the set's tallest bar
#: touched the plot's top edge (Vega's own rounding to a nice tick gives an unshared axis room).
SHARED_TOP_MARGIN = 0.05


def histogram_top(
    counts: Sequence[float], *, below: int = 0, above: int = 0, nonfinite: int = 0
) -> float:
    """Top of ``histogram_chart``'s y axis: the tallest bar plus headroom for the edge notes
    (one text line each for values below and above the bins, 20% of the height per line)."""
    note_lines = int(bool(below)) + int(bool(above or nonfinite))
    return float(max(counts, default=0.0)) * (1.0 + 0.2 * note_lines) or 1.0


def _edge_text(
    x: float, text: str, align: Literal["left", "right"], line: int = 0, *, x_scale: alt.Scale
) -> alt.Chart:
    data = pd.DataFrame({"x": [x], "note": [text]})
    return (
        alt.Chart(data)
        .mark_text(align=align, baseline="top", dx=4 if align == "left" else -4, dy=4 + 14 * line)
        .encode(
            x=alt.X("x:Q", scale=x_scale),
            y=alt.value(0),
            text="note:N",
            color=alt.value(ANNOTATION_COLOR),
            tooltip=alt.Tooltip("note:N", title="outside the bins"),
        )
    )


def log_line_chart(
    rows: pd.DataFrame | Sequence[Mapping[str, object]] | Mapping[str, Sequence[object]],
    x: str,
    y: str,
    color: str | None,
    title: str,
    y_title: str,
    *,
    x_title: str | None = None,
    height: int = 300,
    colors: Sequence[str] | None = None,
    legend: alt.Legend | None = None,
    zero_band: bool = False,
    points_only: bool = False,
    dashed: Sequence[str] = (),
    axis_values: Sequence[float] = (),
) -> alt.LayerChart:
    """Lines on a log y axis, one per ``color`` group, for values spanning decades.

    A log axis cannot show 0, negative numbers, inf or NaN. Those points are left out of the
    line (which breaks there instead of bridging the gap) and marked explicitly: a dashed rule
    at the first such x with a label such as ``0 at layer 7`` or ``inf/NaN from layer 9``, also
    repeated in the subtitle. With ``zero_band`` exact zeros are drawn instead as ✕ on a grey
    band below the axis's lowest value, at a tick labelled 0 (``ZERO_BAND_SHARE`` of the
    height), so that every x with a 0 is visible. Tooltips give the exact values. ``colors``
    gives the groups' colours in order of first appearance; ``legend`` replaces Vega's default
    colour legend (e.g. ``alt.Legend(orient="bottom")`` leaves a narrow chart its full width).
    ``points_only``: dots without lines (independent runs). ``dashed``: the groups drawn with
    dashed lines (``LINE_DASH``), e.g. a theory drawn over the simulation it predicts: where the
    two agree, both stay visible. ``axis_values``: values another layer draws on the same axis
    (a theory added on top), which the ticks cover too (not with ``zero_band``, whose domain
    and ticks follow the plotted values).
    """
    frame = _as_frame(rows)
    x = _check_column("x", x, frame)
    y = _check_column("y", y, frame)
    if color is not None:
        color = _check_column("color", color, frame)
    title = _check_text("title", title)
    y_title = _check_text("y_title", y_title)
    x_title = x if x_title is None else _check_text("x_title", x_title)
    height = check_int("height", height, 50, 2000)
    try:
        x_values = pd.to_numeric(frame[x], errors="raise").astype(float)
        y_values = pd.to_numeric(frame[y], errors="raise").astype(float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"columns {x!r} and {y!r} must hold numbers; got {error}") from None
    if not x_values.map(math.isfinite).all():
        raise ValueError(f"x column {x!r} must hold finite numbers; got {list(frame[x])}")
    series = frame[color].astype(str) if color is not None else pd.Series([y_title] * len(frame))
    data = pd.DataFrame({"x": x_values.to_numpy(), "y": y_values.to_numpy(), "series": series})
    series_order = list(dict.fromkeys(data["series"]))
    data["rank"] = data["series"].map({name: i for i, name in enumerate(series_order)})
    data = data.sort_values(["rank", "x"], kind="stable").reset_index(drop=True)
    data["kind"] = [_value_kind(value) for value in data["y"]]
    data["exact"] = [_exact_text(value) for value in data["y"]]
    data["segment"] = (data["kind"] != "ok").groupby(data["series"]).cumsum()
    data["segment"] = data["series"] + "#" + data["segment"].astype(str)

    series_scale = alt.Scale(domain=series_order)
    if colors is not None:
        series_scale = alt.Scale(
            domain=series_order, range=[_check_str("colors", c) for c in colors]
        )
    integer_x = bool((data["x"] == data["x"].round()).all())
    # "d" for layer numbers: Vega derives "~g"'s precision from the tick step, so a step of 10
    # would print layer 10 as "1e+1". The domain spans every x, plotted or not, so a series of
    # zeros or inf/NaN does not squeeze the axis.
    x_axis = alt.X(
        "x:Q",
        title=x_title,
        scale=alt.Scale(domain=[float(data["x"].min()), float(data["x"].max())], nice=False),
        axis=alt.Axis(format="d", tickMinStep=1) if integer_x else alt.Axis(format="~g"),
    )
    plotted = data[data["kind"] == "ok"]
    zeros = data[data["kind"] == "zero"]
    positives = [v for v in plotted["y"] if v > 0]
    positives += [float(v) for v in axis_values if math.isfinite(v) and v > 0]
    # Explicit ticks: Vega thins a short log axis to odd values such as 40, 0.6, 0.008.
    y_scale = alt.Scale(type="log")
    y_axis = alt.Axis(labelExpr=AXIS_LABEL, values=_log_ticks(positives))
    band = None
    if zero_band and not zeros.empty:
        domain, ticks, band = _zero_band_geometry(list(plotted["y"]))
        y_scale = alt.Scale(type="log", domain=domain, nice=False)
        # The band's middle gets a tick labelled 0, as on a broken axis.
        y_axis = alt.Axis(
            labelExpr=f"datum.value == {band[2]!r} ? '0' : ({AXIS_LABEL})",
            values=[band[2], *ticks],
        )
    # Every layer coloured by series carries the same encoding and legend: Vega-Lite merges
    # them, and a layer drawn first with none (the zero band's crosses) took the line's away.
    series_color = alt.Color(
        "series:N",
        title=color,
        scale=series_scale,
        legend=None if color is None else legend if legend is not None else alt.Legend(),
    )
    line = (
        alt.Chart(plotted).mark_point(filled=True, size=40, opacity=1)
        if points_only
        else alt.Chart(plotted).mark_line(point=True)
    ).encode(
        x=x_axis,
        y=alt.Y("y:Q", title=y_title, scale=y_scale, axis=y_axis),
        color=series_color,
        detail="segment:N",
        **_dash_encoding(series_order, dashed),
        tooltip=[
            alt.Tooltip("series:N", title=color or "series"),
            alt.Tooltip("x:Q", title=x_title),
            alt.Tooltip("exact:N", title=y_title),
        ],
    )
    notes = _unplottable_notes(data, x_title, show_series=color is not None)
    layers: list[alt.Chart] = [line]
    if band is not None:
        y_of = lambda field: alt.Y(field, title=y_title, scale=y_scale, axis=y_axis)  # noqa: E731
        layers[:0] = _zero_band_layers(zeros, band, x_axis, y_of, series_color, x_title)
    ruled = [note for note in notes if band is None or note["kind"] != "zero"]
    if ruled:
        marks = pd.DataFrame(ruled)
        marks["pixel_y"] = [4 + 14 * i for i in range(len(marks))]
        rule = (
            alt.Chart(marks)
            .mark_rule(strokeDash=[4, 3], strokeWidth=1.5)
            .encode(
                x="x:Q",
                color=alt.Color("series:N", scale=series_scale, legend=None),
                tooltip=alt.Tooltip("note:N", title="not on the log axis"),
            )
        )
        # Labels in the right half of the x range go left of their rule, so they stay inside.
        middle = (data["x"].min() + data["x"].max()) / 2
        layers.append(rule)
        # Each label sits on an outline of the chart's background (a halo): a line drawn across
        # the label's row (a theory over an overflowed simulation) leaves it readable.
        for align, side in (("left", marks["x"] <= middle), ("right", marks["x"] > middle)):
            if side.any():
                text = alt.Chart(marks[side]).encode(
                    x="x:Q",
                    y=alt.Y("pixel_y:Q", scale=None),
                    text="note:N",
                    tooltip=alt.Tooltip("note:N", title="not on the log axis"),
                )
                placed = {"align": align, "baseline": "top", "dx": 4 if align == "left" else -4}
                layers += outlined_text(text, ANNOTATION_COLOR, **placed)
    subtitle = "Not on the log axis: " + "; ".join(n["note"] for n in notes) if notes else ""
    return alt.layer(*layers).properties(title=_title(title, subtitle), height=height)


def outlined_text(
    base: alt.Chart, color: str, *, outline: str | dict = LABEL_HALO, **mark: object
) -> list[alt.Chart]:
    """``base``'s text drawn twice, a thick ``outline`` (default the chart's background,
    ``LABEL_HALO``) under letters in ``color``: a line through the text's row does not cut it."""
    return [
        base.mark_text(stroke=outline, strokeWidth=4, strokeJoin="round", **mark),
        base.mark_text(color=color, **mark),
    ]


#: Share of a log chart's height that ``log_line_chart(zero_band=True)`` gives the band of exact
#: zeros, and the gap between it and the lowest value.
ZERO_BAND_SHARE = 0.18
ZERO_BAND_GAP = 0.08


def _zero_band_geometry(
    values: Sequence[float],
) -> tuple[list[float], list[float], tuple[float, float, float]]:
    """(y domain, tick values, (band bottom, band top, band middle)) of a log axis over the
    positive ``values`` with the zero band below them. Ticks: powers of ten (at most six),
    or 1-2-5 steps when the values span less than two decades; none without a positive
    value; the smallest and largest value themselves when no such step falls among them."""
    positives = [v for v in values if math.isfinite(v) and v > 0]
    low = math.log10(min(positives)) if positives else 0.0
    high = math.log10(max(positives)) if positives else 0.0
    span = max(high - low, 1.0)
    top, bottom = high + 0.06 * span, low - 0.06 * span
    total = (top - bottom) / (1 - ZERO_BAND_SHARE - ZERO_BAND_GAP)
    band_top = bottom - ZERO_BAND_GAP * total
    band_bottom = band_top - ZERO_BAND_SHARE * total
    ticks = [
        tick
        for tick in (_log_ticks([10**bottom, 10**top]) if positives else [])
        if bottom <= math.log10(tick) <= top
    ]
    if positives and not ticks:  # values within a few percent: no 1-2-5 step among them
        ticks = sorted({min(positives), max(positives)})
    middle = (band_bottom + band_top) / 2
    return [10**band_bottom, 10**top], ticks, (10**band_bottom, 10**band_top, 10**middle)


def _dash_encoding(series_order: Sequence[str], dashed: Sequence[str]) -> dict[str, object]:
    """A strokeDash channel that dashes the ``dashed`` groups (none: no channel)."""
    unknown = set(dashed) - set(series_order)
    if unknown:
        raise ValueError(
            f"dashed must name groups of the chart {series_order}; got {sorted(unknown)}"
        )
    if not dashed:
        return {}
    dashes = [list(LINE_DASH) if name in dashed else [1, 0] for name in series_order]
    scale = alt.Scale(domain=list(series_order), range=dashes)
    return {"strokeDash": alt.StrokeDash("series:N", scale=scale, legend=None)}


def _log_ticks(values: Sequence[float]) -> list[float]:
    """Tick values of a log axis over the positive ``values``: powers of ten (at most six,
    every k-th) when they span three or more; else 1-2-5 steps from the power of ten below
    the smallest to the one above the largest (Vega's nice log domain)."""
    if not values:
        return []
    bottom, top = math.log10(min(values)), math.log10(max(values))
    powers = list(range(math.ceil(bottom), math.floor(top) + 1))
    if len(powers) >= 3:
        return [10.0**k for k in powers[:: math.ceil(len(powers) / 6)]]
    low, high = math.floor(bottom), max(math.ceil(top), math.floor(bottom) + 1)
    return [m * 10.0**k for k in range(low, high) for m in (1, 2, 5)] + [10.0**high]


def _zero_band_layers(
    zeros: pd.DataFrame,
    band: tuple[float, float, float],
    x_axis: alt.X,
    y_of: Callable[[str], alt.Y],
    series_color: alt.Color,
    x_title: str,
) -> list[alt.Chart]:
    """The grey band of exact zeros, its label and a ✕ per zero (coloured by series, with the
    line's colour encoding and legend); ``y_of(field)`` is the chart's y encoding of a field
    (same scale and axis)."""
    bottom, top, middle = band
    note = "exactly 0: a log axis has no 0, so zeros sit on this band"
    strip = pd.DataFrame({"y": [bottom], "y2": [top], "note": [note]})
    marks = zeros.assign(band=middle)
    return [
        alt.Chart(strip)
        .mark_rect(color=BAND_COLOR, opacity=0.2)
        .encode(
            x=alt.value(0),
            x2=alt.value("width"),
            y=y_of("y:Q"),
            y2="y2:Q",
            tooltip=alt.Tooltip("note:N", title="grey band"),
        ),
        alt.Chart(marks)
        .mark_point(shape="cross", filled=True, size=70, opacity=1)
        .encode(
            x=x_axis,
            y=y_of("band:Q"),
            color=series_color,
            tooltip=[
                alt.Tooltip("series:N", title="series"),
                alt.Tooltip("x:Q", title=x_title),
                alt.Tooltip("exact:N", title="value (exactly 0)"),
            ],
        ),
    ]


_KIND_LABELS = {"zero": "0", "negative": "negative", "nonfinite": "inf/NaN"}


def _value_kind(value: float) -> str:
    if not math.isfinite(value):
        return "nonfinite"
    if value == 0:
        return "zero"
    return "negative" if value < 0 else "ok"


def _exact_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


def _unplottable_notes(data: pd.DataFrame, x_title: str, *, show_series: bool) -> list[dict]:
    """One note per series and kind of unplottable value: where it first occurs."""
    notes = []
    for series, group in data.groupby("series", sort=False):
        xs_all = list(group["x"])
        for kind, label in _KIND_LABELS.items():
            xs = list(group.loc[group["kind"] == kind, "x"])
            if not xs:
                continue
            tail = xs_all[xs_all.index(xs[0]) :]
            if len(xs) > 1 and xs == tail:
                where = f"from {x_title} {_short(xs[0])}"
            elif len(xs) <= 4:
                where = f"at {x_title} {', '.join(_short(v) for v in xs)}"
            else:
                where = f"at {x_title} {', '.join(_short(v) for v in xs[:4])}, …"
            prefix = f"{series}: " if show_series else ""
            notes.append(
                {"x": xs[0], "series": series, "kind": kind, "note": f"{prefix}{label} {where}"}
            )
    return notes


def _title(title: str, subtitle: str | list[str]) -> alt.TitleParams:
    # The subtitle lists what the axes cannot show; the annotation colour reads on both themes.
    # A line break in the title starts a second line (Vega draws a list of lines).
    lines = title.split("\n")
    return alt.TitleParams(
        text=lines if len(lines) > 1 else title,
        subtitle=subtitle or [],
        subtitleColor=ANNOTATION_COLOR,
        anchor="start",
    )


# --------------------------------------------------------------------------- argument checks


def _check_text(param: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{param} must be a non-empty string; got {value!r}")
    return value


def _check_str(param: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{param} must be a string; got {value!r}")
    return value


def _check_optional_str(param: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{param} must be a string or None; got {value!r}")
    return value


def _as_list(param: str, values: object) -> list:
    if isinstance(values, str | bytes | Mapping):
        raise ValueError(f"{param} must be a sequence of numbers; got {values!r}")
    try:
        return list(values)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"{param} must be a sequence of numbers; got {values!r}") from None


def _finite_list(param: str, values: object) -> list[float]:
    return [check_float(f"{param}[{i}]", v) for i, v in enumerate(_as_list(param, values))]


def _as_frame(rows: object) -> pd.DataFrame:
    if isinstance(rows, pd.DataFrame):
        frame = rows
    elif isinstance(rows, Mapping) or (
        isinstance(rows, Sequence) and all(isinstance(row, Mapping) for row in rows)
    ):
        frame = pd.DataFrame(rows)
    else:
        raise ValueError(
            f"rows must be a DataFrame, a list of dicts or a dict of lists; got {type(rows)}"
        )
    if frame.empty:
        raise ValueError("rows must hold at least one row; got 0")
    return frame.reset_index(drop=True)


def _check_column(param: str, column: object, frame: pd.DataFrame) -> str:
    if column not in frame.columns:
        raise ValueError(
            f"{param} must be a column of rows ({', '.join(map(str, frame.columns))}); "
            f"got {column!r}"
        )
    return str(column)
