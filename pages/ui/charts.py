"""Altair charts that show what a log axis or a fixed range cannot: pre-binned histograms with
explicit out-of-range and inf/NaN counts, and log-scale lines with zeros and inf/NaN marked
instead of silently dropped. ``vega_spec`` turns a chart into a cacheable Vega-Lite dict."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import altair as alt
import pandas as pd
import streamlit as st

from lab.validation import check_float, check_int


def _short(value: float) -> str:
    return f"{value:g}"


# --------------------------------------------------------------------------- charts

#: Colour for annotations (out-of-range counts, dropped points): readable on light and dark.
ANNOTATION_COLOR = "#e8590c"


def show_chart(chart: alt.TopLevelMixin) -> None:
    """Render an Altair chart at the container's width."""
    if not isinstance(chart, alt.TopLevelMixin):
        raise ValueError(f"chart must be an Altair chart; got {type(chart).__name__}")
    st.altair_chart(chart, width="stretch")


def vega_spec(chart: alt.TopLevelMixin, *, validate: bool = True) -> dict:
    """The chart's Vega-Lite dict, without Altair's default 300 x 300 view config.

    Pages build it inside ``st.cache_data``, once per configuration: building (and validating)
    Altair charts costs tens of milliseconds each, too slow to repeat on every rerun.
    """
    spec = chart.to_dict(validate=validate)
    config = spec.get("config", {})
    config.pop("view", None)
    if not config:
        spec.pop("config", None)
    return spec


def show_spec(spec: dict) -> None:
    """Render a cached Vega-Lite dict at the container's width (as ``show_chart`` does)."""
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
) -> alt.LayerChart:
    """Bars for pre-binned data (``numpy.histogram``'s edges and counts).

    Values outside [edges[0], edges[-1]] (``below``, ``above``) and inf/NaN (``nonfinite``)
    cannot sit on the axis: they are written on the chart at the matching edge and in the
    subtitle. Tooltips give each bin's range, count and share of all values. The y axis ends at
    ``histogram_top``; with ``y_max``, exactly at the higher of the two (no rounding to a nice
    tick), so that charts given the largest ``histogram_top`` of a set (or the top of an
    overlay) share one y axis.
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
    bars = (
        alt.Chart(bins)
        .mark_bar(opacity=0.9, orient="vertical", stroke=None)
        .encode(
            x=alt.X("left:Q", title=x_title, scale=alt.Scale(domain=[low, high], nice=False)),
            x2="right:Q",
            y=alt.Y(
                "count:Q",
                title=y_title,
                scale=alt.Scale(domainMax=top, nice=False)
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
    left_note = f"◀ {below:,} below {low:g}" if below else ""
    right_parts = [f"{above:,} above {high:g} ▶"] if above else []
    if nonfinite:
        right_parts.append(f"{nonfinite:,} inf/NaN")
    right_note = " · ".join(right_parts)
    layers: list[alt.Chart] = [bars]
    if left_note:
        layers.append(_edge_text(low, left_note, "left"))
    if right_note:
        layers.append(_edge_text(high, right_note, "right", line=1 if left_note else 0))
    notes = [note for note in (left_note.lstrip("◀ "), *right_parts) if note]
    subtitle = "Not on the axis: " + "; ".join(n.rstrip(" ▶") for n in notes) if notes else ""
    return alt.layer(*layers).properties(title=_title(title, subtitle), height=height)


def histogram_top(
    counts: Sequence[float], *, below: int = 0, above: int = 0, nonfinite: int = 0
) -> float:
    """Top of ``histogram_chart``'s y axis: the tallest bar plus headroom for the edge notes
    (one text line each for values below and above the bins, 20% of the height per line)."""
    note_lines = int(bool(below)) + int(bool(above or nonfinite))
    return float(max(counts, default=0.0)) * (1.0 + 0.2 * note_lines) or 1.0


def _edge_text(x: float, text: str, align: Literal["left", "right"], line: int = 0) -> alt.Chart:
    data = pd.DataFrame({"x": [x], "note": [text]})
    return (
        alt.Chart(data)
        .mark_text(align=align, baseline="top", dx=4 if align == "left" else -4, dy=4 + 14 * line)
        .encode(
            x="x:Q",
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
) -> alt.LayerChart:
    """Lines on a log y axis, one per ``color`` group, for values spanning decades.

    A log axis cannot show 0, negative numbers, inf or NaN. Those points are left out of the
    line (which breaks there instead of bridging the gap) and marked explicitly: a dashed rule
    at the first such x with a label such as ``0 at layer 7`` or ``inf/NaN from layer 9``, also
    repeated in the subtitle. Tooltips give the exact values. ``colors`` gives the groups'
    colours in order of first appearance; ``legend`` replaces Vega's default colour legend
    (e.g. ``alt.Legend(orient="bottom")`` leaves a narrow chart its full width).
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
    line = (
        alt.Chart(plotted)
        .mark_line(point=True)
        .encode(
            x=x_axis,
            y=alt.Y("y:Q", title=y_title, scale=alt.Scale(type="log"), axis=alt.Axis(format="~g")),
            color=alt.Color(
                "series:N",
                title=color,
                scale=series_scale,
                legend=None if color is None else legend if legend is not None else alt.Legend(),
            ),
            detail="segment:N",
            tooltip=[
                alt.Tooltip("series:N", title=color or "series"),
                alt.Tooltip("x:Q", title=x_title),
                alt.Tooltip("exact:N", title=y_title),
            ],
        )
    )
    notes = _unplottable_notes(data, x_title, show_series=color is not None)
    layers: list[alt.Chart] = [line]
    if notes:
        marks = pd.DataFrame(notes)
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
        for align, side in (("left", marks["x"] <= middle), ("right", marks["x"] > middle)):
            if side.any():
                layers.append(
                    alt.Chart(marks[side])
                    .mark_text(align=align, baseline="top", dx=4 if align == "left" else -4)
                    .encode(
                        x="x:Q",
                        y=alt.Y("pixel_y:Q", scale=None),
                        text="note:N",
                        color=alt.value(ANNOTATION_COLOR),
                        tooltip=alt.Tooltip("note:N", title="not on the log axis"),
                    )
                )
    subtitle = "Not on the log axis: " + "; ".join(n["note"] for n in notes) if notes else ""
    return alt.layer(*layers).properties(title=_title(title, subtitle), height=height)


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
            notes.append({"x": xs[0], "series": series, "note": f"{prefix}{label} {where}"})
    return notes


def _title(title: str, subtitle: str) -> alt.TitleParams:
    # The subtitle lists what the axes cannot show; the annotation colour reads on both themes.
    return alt.TitleParams(
        text=title, subtitle=subtitle or [], subtitleColor=ANNOTATION_COLOR, anchor="start"
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
