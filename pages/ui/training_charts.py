"""Charts of the Training page, built from ``lab.experiments.training``.

Every builder returns a cached Vega-Lite dict (building Altair charts costs tens of
milliseconds each). The first argument ``key`` (the page's Config) is the cache key; the data
arguments, determined by it, start with ``_`` and are not hashed. Each initialization keeps
its colour on every chart (``INIT_COLORS``, in the order of ``Curves.labels``).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lab.experiments.training import HELD_OUT, TRAIN, BoundaryPanel, Curves, GradientPanel
from pages.ui.charts import ANNOTATION_COLOR, vega_spec

#: One colour per initialization (Tableau 10, readable on light and dark themes).
INIT_COLORS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1")
INIT_COLORS += ("#9c755f",)
#: Class colours of the decision regions; a cell whose logits overflowed is grey.
CLASS_COLORS = ("#1c7ed6", "#f08c00", "#2f9e44")
NO_PREDICTION = "no prediction (overflow)"
NO_PREDICTION_COLOR = "#868e96"
REFERENCE_COLOR = "#868e96"
#: Heights (px) of the charts' plot, axes and title; each legend row adds LEGEND_ROW. Axis
#: titles stay short: Vega also fits a long rotated y title into the height.
CURVE_HEIGHT = 360
PANEL_HEIGHT = 360
BOUNDARY_HEIGHT = 250
LEGEND_COLUMNS = 2
#: The symmetry chart's axis is linear below this distance and logarithmic above.
SYMLOG_CONSTANT = 0.01
SYMLOG_TICKS = (0, 0.01, 0.1, 1, 10, 100, 1000)
LEGEND_ROW = 22
CACHED_SPECS = 64


def _epoch_axis(last_epoch: int) -> alt.X:
    """The epoch axis every training chart shares: whole epochs from 0 to the last one."""
    return alt.X(
        "epoch:Q",
        title="epoch",
        axis=alt.Axis(format="d", tickMinStep=1),
        scale=alt.Scale(domain=[0, last_epoch], nice=False),
    )


def _init_scale(labels: Sequence[str]) -> alt.Scale:
    return alt.Scale(domain=list(labels), range=list(INIT_COLORS[: len(labels)]))


def _legend() -> alt.Legend:
    return alt.Legend(orient="bottom", title=None, columns=LEGEND_COLUMNS, labelLimit=150)


def _height(plot: int, entries: int) -> int:
    """The chart's height: Vega fits the plot, the axes and the legend into it (Streamlit's
    "fit" sizing), so every legend row adds its own height to the plot's."""
    rows = -(-entries // LEGEND_COLUMNS)
    return plot + LEGEND_ROW * rows


def _curve_rows(curves: Curves, field: str) -> pd.DataFrame:
    parts = (
        (TRAIN, getattr(curves, f"train_{field}")),
        (HELD_OUT, getattr(curves, f"held_out_{field}")),
    )
    rows = []
    for part, values in parts:
        for label, line in zip(curves.labels, values, strict=True):
            rows += [
                {"epoch": int(e), "init": label, "part": part, "value": float(v)}
                for e, v in zip(curves.epochs, line, strict=True)
                if np.isfinite(v)
            ]
    return pd.DataFrame(rows, columns=["epoch", "init", "part", "value"])


def _with_ends(chart: alt.Chart, frame: pd.DataFrame, keys: list[str], x: str) -> alt.LayerChart:
    """``chart``'s lines and a dot at the last point of each, so that a curve cut short after
    one epoch (a diverged run) still shows."""
    last = frame.loc[frame.groupby(keys)[x].idxmax()] if len(frame) else frame
    return alt.layer(chart, chart.mark_point(filled=True, size=36, opacity=1).properties(data=last))


def _lines(frame: pd.DataFrame, curves: Curves, y: alt.Y, fmt: str) -> alt.LayerChart:
    lines = (
        alt.Chart(frame)
        .mark_line(strokeWidth=2)
        .encode(
            x=_epoch_axis(int(curves.epochs[-1])),
            y=y,
            color=alt.Color("init:N", scale=_init_scale(curves.labels), legend=_legend()),
            strokeDash=alt.StrokeDash(
                "part:N",
                scale=alt.Scale(domain=[TRAIN, HELD_OUT], range=[[1, 0], [5, 3]]),
                legend=None,
            ),
            detail="part:N",
            tooltip=[
                alt.Tooltip("init:N", title="initialization"),
                alt.Tooltip("part:N", title="data"),
                alt.Tooltip("epoch:Q", title="epoch"),
                alt.Tooltip("value:Q", title="value", format=fmt),
            ],
        )
    )
    return _with_ends(lines, frame, ["init", "part"], "epoch")


def _title(text: str, subtitle: str = "") -> alt.TitleParams:
    return alt.TitleParams(
        text=text, subtitle=subtitle or [], subtitleColor=ANNOTATION_COLOR, anchor="start"
    )


def _reference(value: float, label: str) -> list[alt.Chart]:
    data = pd.DataFrame({"y": [value], "label": [label]})
    rule = alt.Chart(data).mark_rule(strokeDash=[2, 2], color=REFERENCE_COLOR).encode(y="y:Q")
    text = (
        alt.Chart(data)
        .mark_text(align="right", baseline="bottom", dy=-3, color=REFERENCE_COLOR)
        .encode(y="y:Q", x=alt.value("width"), text="label:N")
    )
    return [rule, text]


@st.cache_data(max_entries=CACHED_SPECS, show_spinner=False)
def loss_spec(key: object, _curves: Curves, _target: float) -> dict:
    """Training (solid) and held-out (dashed) loss of every initialization on a log axis, with
    the target loss (a loss of exactly 0 or not finite is left out: the page says so)."""
    frame = _curve_rows(_curves, "loss")
    frame = frame[frame["value"] > 0.0]
    y = alt.Y(
        "value:Q", title="loss (log)", scale=alt.Scale(type="log"), axis=alt.Axis(format="~g")
    )
    chart = alt.layer(
        _lines(frame, _curves, y, ".4g"), *_reference(_target, f"target {_target:.3g}")
    ).properties(
        title=_title("Cross-entropy loss"), height=_height(CURVE_HEIGHT, len(_curves.labels))
    )
    return vega_spec(chart, validate=False)


@st.cache_data(max_entries=CACHED_SPECS, show_spinner=False)
def accuracy_spec(key: object, _curves: Curves, _chance: float) -> dict:
    """Training (solid) and held-out (dashed) accuracy, with the chance level."""
    frame = _curve_rows(_curves, "accuracy")
    y = alt.Y(
        "value:Q",
        title="accuracy",
        scale=alt.Scale(domain=[0, 1]),
        axis=alt.Axis(format="%"),
    )
    chart = alt.layer(
        _lines(frame, _curves, y, ".1%"), *_reference(_chance, f"chance {_chance:.0%}")
    ).properties(title=_title("Accuracy"), height=_height(CURVE_HEIGHT, len(_curves.labels)))
    return vega_spec(chart, validate=False)


@st.cache_data(max_entries=CACHED_SPECS, show_spinner=False)
def gradient_spec(key: object, _panel: GradientPanel) -> dict:
    """The Frobenius norm of dL/dW_l per weight layer over training on a log axis, one line per
    layer coloured by its depth (the read-out is layer L + 1); exact zeros and values after
    divergence are left out (the panel's note names them)."""
    rows = []
    for column, layer in enumerate(_panel.layers):
        rows += [
            {"epoch": int(e), "layer": int(layer), "norm": float(v)}
            for e, v in zip(_panel.epochs, _panel.norms[:, column], strict=True)
            if np.isfinite(v) and v > 0.0
        ]
    frame = pd.DataFrame(rows, columns=["epoch", "layer", "norm"])
    layers = [int(_panel.layers[0]), int(_panel.layers[-1])]
    chart = (
        alt.Chart(frame)
        .mark_line(strokeWidth=1.5)
        .encode(
            x=_epoch_axis(int(_panel.epochs[-1])),
            y=alt.Y(
                "norm:Q",
                title="‖dL/dW‖ (log)",
                scale=alt.Scale(type="log"),
                axis=alt.Axis(format="~g"),
            ),
            color=alt.Color(
                "layer:Q",
                scale=alt.Scale(scheme="viridis", domain=layers),
                legend=alt.Legend(orient="bottom", direction="horizontal", title="layer"),
            ),
            detail="layer:Q",
            tooltip=[
                alt.Tooltip("layer:Q", title="weight layer"),
                alt.Tooltip("epoch:Q", title="epoch"),
                alt.Tooltip("norm:Q", title="gradient norm", format=".4g"),
            ],
        )
    )
    chart = _with_ends(chart, frame, ["layer"], "epoch").properties(
        title=_title(_panel.label), height=PANEL_HEIGHT
    )
    return vega_spec(chart, validate=False)


@st.cache_data(max_entries=CACHED_SPECS, show_spinner=False)
def boundary_spec(
    key: object,
    _panel: BoundaryPanel,
    _points: np.ndarray,
    _labels: np.ndarray,
    _class_names: tuple[str, ...],
) -> dict:
    """The predicted class on the grid (paler where the network is less sure) under the
    training points, coloured by their class."""
    xs, ys = np.meshgrid(_panel.grid_x, _panel.grid_y)
    classes = _panel.grid_class.ravel()
    names = [_class_names[c] if c >= 0 else NO_PREDICTION for c in classes]
    cells = pd.DataFrame(
        {
            "x": xs.ravel() - _panel.cell_x,
            "x2": xs.ravel() + _panel.cell_x,
            "y": ys.ravel() - _panel.cell_y,
            "y2": ys.ravel() + _panel.cell_y,
            "class": names,
            "p": np.nan_to_num(_panel.grid_probability.ravel(), nan=1.0),
        }
    )
    points = pd.DataFrame(
        {
            "x": _points[:, 0],
            "y": _points[:, 1],
            "class": [_class_names[int(c)] for c in _labels],
        }
    )
    domain = [*_class_names, NO_PREDICTION]
    colors = alt.Scale(
        domain=domain, range=[*CLASS_COLORS[: len(_class_names)], NO_PREDICTION_COLOR]
    )
    x_scale = alt.Scale(domain=[float(cells["x"].min()), float(cells["x2"].max())], nice=False)
    y_scale = alt.Scale(domain=[float(cells["y"].min()), float(cells["y2"].max())], nice=False)
    regions = (
        alt.Chart(cells)
        .mark_rect(strokeWidth=0)
        .encode(
            x=alt.X("x:Q", scale=x_scale, axis=None),
            x2="x2:Q",
            y=alt.Y("y:Q", scale=y_scale, axis=None),
            y2="y2:Q",
            color=alt.Color("class:N", scale=colors, legend=None),
            opacity=alt.Opacity(
                "p:Q", scale=alt.Scale(domain=[0.3, 1.0], range=[0.1, 0.55]), legend=None
            ),
            tooltip=[
                alt.Tooltip("class:N", title="predicted"),
                alt.Tooltip("p:Q", title="probability", format=".2f"),
            ],
        )
    )
    dots = (
        alt.Chart(points)
        .mark_circle(size=14, opacity=1.0, stroke="#ffffff", strokeWidth=0.4)
        .encode(
            x=alt.X("x:Q", scale=x_scale),
            y=alt.Y("y:Q", scale=y_scale),
            color=alt.Color("class:N", scale=colors, legend=None),
            tooltip=[alt.Tooltip("class:N", title="true class")],
        )
    )
    title = f"{_panel.label}: {_panel.final_train_accuracy:.0%}"
    if not np.isfinite(_panel.final_train_accuracy):
        title = f"{_panel.label}: diverged"
    chart = alt.layer(regions, dots).properties(
        title=_title(title), height=BOUNDARY_HEIGHT, view=alt.ViewBackground(strokeWidth=0)
    )
    return vega_spec(chart, validate=False)


@st.cache_data(max_entries=CACHED_SPECS, show_spinner=False)
def symmetry_spec(key: object, _curves: Curves) -> dict:
    """The largest distance between two units of any hidden layer, per initialization, on a
    symmetric-log axis: linear near 0, so that exactly 0 sits on the axis and a small distance
    (N(0, 0.01²) weights) stands clear of it, logarithmic beyond."""
    rows = []
    for label, line in zip(_curves.labels, _curves.unit_distance, strict=True):
        rows += [
            {"epoch": int(e), "init": label, "distance": float(v)}
            for e, v in zip(_curves.epochs, line, strict=True)
            if np.isfinite(v)
        ]
    frame = pd.DataFrame(rows, columns=["epoch", "init", "distance"])
    chart = (
        alt.Chart(frame)
        .mark_line(strokeWidth=2)
        .encode(
            x=_epoch_axis(int(_curves.epochs[-1])),
            y=alt.Y(
                "distance:Q",
                title="distance",
                scale=alt.Scale(type="symlog", constant=SYMLOG_CONSTANT),
                axis=alt.Axis(format="~g", values=list(SYMLOG_TICKS)),
            ),
            color=alt.Color("init:N", scale=_init_scale(_curves.labels), legend=_legend()),
            tooltip=[
                alt.Tooltip("init:N", title="initialization"),
                alt.Tooltip("epoch:Q", title="epoch"),
                alt.Tooltip("distance:Q", title="largest distance", format=".6g"),
            ],
        )
    )
    chart = _with_ends(chart, frame, ["init"], "epoch").properties(
        title=_title("Largest distance between two units of a hidden layer"),
        height=_height(CURVE_HEIGHT, len(_curves.labels)),
    )
    return vega_spec(chart, validate=False)
