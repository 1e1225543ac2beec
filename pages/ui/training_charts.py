"""Charts and the outcome table of the Training page, built from ``lab.experiments.training``.

``training_view(result)`` builds everything the page draws from one result once
(``pages.ui.memo.once_per``, keyed by the result's Config, which determines it): the Vega-Lite
dicts (building Altair charts costs tens of milliseconds each) and the outcome table as an
Arrow table (``st.dataframe`` then sends it without converting a DataFrame). A rerun and every
other session with the same Config get the same objects and build nothing. Each initialization
keeps its colour on every chart (``INIT_COLORS``, in the order of ``Curves.labels``).

Every rerun still sends the charts' rows (Streamlit hashes each message), so the rows are
compact: they go as Arrow with their small dtypes (``_Typed``; Altair's own inline data would
widen every column to 64 bits), names are small integer codes that a Vega ``calculate`` turns
back into text, and the decision grid is sent as cell indices, its coordinates computed in the
browser.

Layout: the page sets the loss and accuracy side by side and the per-initialization panels
``PANEL_COLUMNS`` to a row in grids that drop a column before a chart would be narrower than
``CURVE_MIN_WIDTH`` or ``PANEL_MIN_WIDTH``; a phone stacks them at ``PHONE_WIDTH``. Titles and
legends are sized for those widths with Streamlit's Vega theme (Source Sans: 16 px bold titles,
14 px legend labels): a title line is at most ``TITLE_CHARS`` characters (panel titles wrap), a
legend label its width in the text model (``pages.ui.text_width``), and a legend takes two columns
only when both fit beside the y axis.
"""

from __future__ import annotations

import hashlib
import json
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa
from streamlit import dataframe_util

from lab.axes import decade_span
from lab.experiments.training import (
    HELD_OUT,
    TRAIN,
    BoundaryPanel,
    Curves,
    GradientPanel,
    Result,
)
from lab.text import MISSING_TEXT
from pages.ui.charts import ANNOTATION_COLOR, AXIS_LABEL, LINE_VIRIDIS, outlined_text, vega_spec
from pages.ui.memo import arrow_table, once_per
from pages.ui.text_width import (
    PHONE_WIDTH,
    TITLE_MARGIN,
    TITLE_PX_PER_CHAR,
    legend_columns,
    legend_label_limit,
)

#: One colour per initialization (Tableau 10 with a darker gold for its yellow, which had a
#: contrast of 1.6 on white): 2.2 or more on both themes' pages.
INIT_COLORS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#c29d1c", "#b07aa1")
INIT_COLORS += ("#9c755f",)
#: Class colours of the decision regions; a cell whose logits overflowed is grey.
CLASS_COLORS = ("#1c7ed6", "#f08c00", "#2f9e44")
NO_PREDICTION = "no prediction (overflow)"
NO_PREDICTION_COLOR = "#868e96"
#: The decision regions' plot is white on both themes: the cells' colours fade to it as the
#: network is less sure ("paler"), where the dark theme's page would have darkened them.
REGIONS_BACKGROUND = "#ffffff"
REFERENCE_COLOR = "#868e96"
#: Written on a gradient panel with no norm above 0 (all exactly 0 or after divergence).
NO_GRADIENT = "no finite norm above 0 to draw"

#: The lazy tabs after the Training page's curves (only the open one is drawn), and the
#: session-state key of the open one.
GRADIENTS_TAB = "Gradient norm per layer"
REGIONS_TAB = "Decision regions"
SYMMETRY_TAB = "Symmetry"
TABS_KEY = "training_tab"

#: Small multiples per row on a wide screen.
PANEL_COLUMNS = 3
#: The narrowest a chart gets (px): a curve or a panel in its grid, and any chart on a 390 px
#: phone (PHONE_WIDTH, its main column; a grid's one remaining column is then as wide, even
#: below its minimum).
CURVE_MIN_WIDTH = 360
PANEL_MIN_WIDTH = 280
#: The narrowest chart with the initializations' legend (the curves and the symmetry chart).
LEGEND_CHART_WIDTH = min(CURVE_MIN_WIDTH, PHONE_WIDTH)
#: A title line fits the narrowest panel.
TITLE_CHARS = int((PANEL_MIN_WIDTH - TITLE_MARGIN) // TITLE_PX_PER_CHAR)
#: The layer legend's colour bar (px).
GRADIENT_LENGTH = 140
#: Plot heights (px): Vega adds the title, the axes and the legend around them
#: (``vega_spec(plot_height=True)``).
CURVE_HEIGHT = 240
PANEL_HEIGHT = 200
BOUNDARY_HEIGHT = 220
SYMMETRY_HEIGHT = 240
#: The symmetry chart's axis is linear below this distance and logarithmic above.
SYMLOG_CONSTANT = 0.01
SYMLOG_TICKS = (0, 0.01, 0.1, 1, 10, 100, 1000)
#: The two parts of the data, in the order of the curves' ``part`` codes.
PARTS = (TRAIN, HELD_OUT)
#: Tick labels of a log axis: at most this many powers of ten (no minor grid lines).
LOG_TICKS = 6


@dataclass(frozen=True)
class TrainingView:
    """What the Training page draws from one result: the outcome table and every chart's
    Vega-Lite dict (one decision-region and one gradient panel per initialization)."""

    table: pa.Table
    loss: dict
    accuracy: dict
    boundaries: tuple[dict, ...]
    gradients: tuple[dict, ...]
    symmetry: dict


def _config(result: Result) -> object:
    return result.config


@once_per(_config)
def training_view(result: Result) -> TrainingView:
    """The page's table and charts of ``result``, built once per result (its Config). The
    panels of a set get titles of as many lines as the longest needs, so that the plots of a
    row line up."""
    boundary_lines = max(
        (len(_title_lines(boundary_title(p))) for p in result.boundaries), default=1
    )
    gradient_lines = max((len(_title_lines(p.label)) for p in result.gradients), default=1)
    return TrainingView(
        table=outcome_table(result),
        loss=loss_spec(result.curves, result.target_loss, result.loss_axis),
        accuracy=accuracy_spec(result.curves, result.chance_accuracy),
        boundaries=tuple(
            boundary_spec(
                panel, result.points, result.point_labels, result.class_names, boundary_lines
            )
            for panel in result.boundaries
            if result.points is not None and result.point_labels is not None
        ),
        gradients=tuple(gradient_spec(panel, gradient_lines) for panel in result.gradients),
        symmetry=symmetry_spec(result.curves),
    )


def loss_text(loss: float) -> str:
    """A final loss as the table shows it, 3 significant digits, "diverged" once it overflowed:
    text, because Streamlit's number columns show an error cell above 2^53."""
    return f"{loss:.3g}" if math.isfinite(loss) else "diverged"


def share_text(share: float) -> str:
    """An accuracy as the table shows it, ``MISSING_TEXT`` when the network has none (it
    diverged)."""
    return f"{share:.1%}" if math.isfinite(share) else MISSING_TEXT


def outcome_table(result: Result) -> pa.Table:
    """One row per initialization: health at initialization, verdict, epochs to the target,
    epochs behind the fastest (``MISSING_TEXT`` for a network that never reaches it), final loss
    (``loss_text``) and accuracies (``share_text``), as text (the page's column names)."""
    return arrow_table(
        [
            {
                "initialization": o.label,
                "health": o.health,
                "verdict": o.verdict,
                "to_target": o.wasted,
                "behind": MISSING_TEXT if o.behind is None else f"{o.behind:,}",
                "train_loss": loss_text(o.final_train_loss),
                "train_accuracy": share_text(o.final_train_accuracy),
                "held_out_accuracy": share_text(o.final_held_out_accuracy),
            }
            for o in result.outcomes
        ]
    )


# --------------------------------------------------------------------------- layout helpers


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


def _legend(labels: Sequence[str]) -> alt.Legend:
    """The initializations' legend below the chart, every label whole."""
    return alt.Legend(
        orient="bottom",
        title=None,
        columns=legend_columns(labels, LEGEND_CHART_WIDTH),
        labelLimit=legend_label_limit(labels),
    )


def _title_lines(text: str) -> list[str]:
    """``text`` wrapped at word boundaries into lines that fit the narrowest panel."""
    return textwrap.wrap(text, TITLE_CHARS, break_long_words=False) or [text]


def _panel_title(text: str, lines: int = 1) -> alt.TitleParams:
    """A panel's title on at least ``lines`` lines (blank ones below the text)."""
    wrapped = _title_lines(text)
    wrapped += [" "] * (lines - len(wrapped))
    return _title(wrapped if len(wrapped) > 1 else wrapped[0])


def _title(text: str | list[str], subtitle: str = "") -> alt.TitleParams:
    return alt.TitleParams(
        text=text, subtitle=subtitle or [], subtitleColor=ANNOTATION_COLOR, anchor="start"
    )


def _decades(values: pd.Series) -> list[float]:
    """Tick values of a log axis over the positive ``values`` (``_log_scale``'s domain): powers
    of ten, at most LOG_TICKS of them (every k-th); Vega's own log ticks draw a grid line at
    every 1-9 multiple. The top of the domain always has a tick, so the highest line (often the
    read-out's gradient) is read against a label; the bottom too when a step k fits both."""
    if values.empty:
        return []
    low, high = decade_span(values.to_numpy())  # type: ignore[misc]
    powers = list(range(low, max(high, low + 1) + 1))
    step = math.ceil((len(powers) - 1) / (LOG_TICKS - 1))
    for k in range(step, 2 * step + 1):
        if (len(powers) - 1) % k == 0:
            return [10.0**p for p in powers[::k]]
    return [10.0**p for p in powers[::-1][::step][::-1]]


def _log_scale(values: pd.Series) -> alt.Scale:
    """A log scale from the power of ten at or below the smallest of the positive ``values``
    to the one at or above the largest: no point sits on the plot's edge."""
    if values.empty:
        return alt.Scale(type="log")
    low, high = decade_span(values.to_numpy())  # type: ignore[misc]
    return alt.Scale(type="log", domain=[10.0**low, 10.0 ** max(high, low + 1)], nice=False)


def _log_axis(values: pd.Series) -> alt.Axis:
    """Powers of ten (``_decades``), labelled as on every chart of the lab (``AXIS_LABEL``):
    "~g" printed the loss axis's 1e9 as "1000000000"."""
    ticks = _decades(values)
    return alt.Axis(labelExpr=AXIS_LABEL, values=ticks) if ticks else alt.Axis(labelExpr=AXIS_LABEL)


def _named(code: str, names: Sequence[str], missing: str | None = None) -> str:
    """A Vega expression: the name at index ``datum[code]`` of ``names`` (``missing`` for a
    negative code)."""
    lookup = f"{json.dumps(list(names))}[datum.{code}]"
    return lookup if missing is None else f"datum.{code} < 0 ? {json.dumps(missing)} : {lookup}"


class _Typed:
    """Rows sent as Arrow IPC bytes with their own dtypes, under a name derived from them."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.arrow = dataframe_util.convert_anything_to_arrow_bytes(frame)
        digest = hashlib.md5(self.arrow, usedforsecurity=False).hexdigest()
        self.data = alt.NamedData(name=f"rows-{digest}")


def _spec(chart: alt.TopLevelMixin, *rows: _Typed) -> dict:
    """The chart's Vega-Lite dict (its height is the plot's) with the typed rows it names."""
    spec = vega_spec(chart, validate=False, plot_height=True)
    datasets = spec.setdefault("datasets", {})
    for typed in rows:
        datasets[typed.data.name] = typed.arrow
    return spec


def _series_rows(curves: Curves, parts: Sequence[np.ndarray], column: str) -> pd.DataFrame:
    """The finite values of ``parts`` (each (initializations, epochs)) as rows: epoch, ``k``
    (the initialization's index in ``curves.labels``), ``part`` (the index in ``parts``) and
    ``column``, by part, initialization and epoch."""
    blocks = []
    for index, values in enumerate(parts):
        k, e = np.nonzero(np.isfinite(values))
        blocks.append(
            pd.DataFrame(
                {
                    "epoch": curves.epochs[e].astype(np.int32),
                    "k": k.astype(np.int8),
                    "part": np.full(k.size, index, dtype=np.int8),
                    column: values[k, e].astype(np.float64),
                }
            )
        )
    return pd.concat(blocks, ignore_index=True)


def _curve_rows(curves: Curves, field: str) -> pd.DataFrame:
    parts = (getattr(curves, f"train_{field}"), getattr(curves, f"held_out_{field}"))
    return _series_rows(curves, parts, "value")


def _with_ends(
    chart: alt.Chart, frame: pd.DataFrame, keys: list[str], x: str, *, filled: bool = True
) -> alt.LayerChart:
    """``chart``'s lines and a dot at the last point of each, so that a curve cut short after
    one epoch (a diverged run) still shows. Rings (``filled=False``) colour only the stroke, as
    the lines do: Vega draws a legend shared by fills and strokes as symbols, never as a
    colour bar."""
    last = frame.loc[frame.groupby(keys)[x].idxmax()] if len(frame) else frame
    dots = chart.mark_point(filled=filled, size=36, opacity=1, strokeWidth=2, clip=True)
    return alt.layer(chart, dots.properties(data=last))


def _lines(rows: _Typed, curves: Curves, y: alt.Y, fmt: str) -> alt.LayerChart:
    lines = (
        alt.Chart(rows.data)
        .transform_calculate(init=_named("k", curves.labels), part=_named("part", PARTS))
        .mark_line(strokeWidth=2, clip=True)  # a loss above the axis's top (``loss_axis``)
        .encode(
            x=_epoch_axis(int(curves.epochs[-1])),
            y=y,
            color=alt.Color(
                "init:N", scale=_init_scale(curves.labels), legend=_legend(curves.labels)
            ),
            strokeDash=alt.StrokeDash(
                "part:N",
                scale=alt.Scale(domain=list(PARTS), range=[[1, 0], [5, 3]]),
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
    return _with_ends(lines, rows.frame, ["k", "part"], "epoch")


def _reference(value: float, label: str) -> list[alt.Chart]:
    """A dashed rule at ``value`` with its label at the right end, on an outline of the chart's
    background (``LABEL_HALO``): the curves run through the label's row."""
    data = pd.DataFrame({"y": [value], "label": [label]})
    rule = alt.Chart(data).mark_rule(strokeDash=[2, 2], color=REFERENCE_COLOR).encode(y="y:Q")
    text = alt.Chart(data).encode(y="y:Q", x=alt.value("width"), text="label:N")
    placed = {"align": "right", "baseline": "bottom", "dy": -3}
    return [rule, *outlined_text(text, REFERENCE_COLOR, **placed)]


# --------------------------------------------------------------------------- charts


def loss_spec(curves: Curves, target: float, axis: tuple[float, float]) -> dict:
    """Training (solid) and held-out (dashed) loss of every initialization on the log ``axis``
    (``lab.experiments.training.loss_axis``; lines above it are clipped at its top), with the
    target loss (a loss of exactly 0 or not finite is left out: the page says so)."""
    frame = _curve_rows(curves, "loss")
    rows = _Typed(frame[frame["value"] > 0.0].reset_index(drop=True))
    ends = pd.Series(axis)
    y = alt.Y(
        "value:Q",
        title="loss (log)",
        scale=alt.Scale(type="log", domain=list(axis), nice=False),
        axis=_log_axis(ends),
    )
    chart = alt.layer(
        _lines(rows, curves, y, ".4g"), *_reference(target, f"target {target:.3g}")
    ).properties(title=_title("Cross-entropy loss"), height=CURVE_HEIGHT)
    return _spec(chart, rows)


def accuracy_spec(curves: Curves, chance: float) -> dict:
    """Training (solid) and held-out (dashed) accuracy, with the chance level."""
    rows = _Typed(_curve_rows(curves, "accuracy"))
    y = alt.Y(
        "value:Q",
        title="accuracy",
        scale=alt.Scale(domain=[0, 1]),
        axis=alt.Axis(format="%"),
    )
    chart = alt.layer(
        _lines(rows, curves, y, ".1%"), *_reference(chance, f"chance {chance:.0%}")
    ).properties(title=_title("Accuracy"), height=CURVE_HEIGHT)
    return _spec(chart, rows)


def gradient_spec(panel: GradientPanel, title_lines: int = 1) -> dict:
    """The Frobenius norm of dL/dW_l per weight layer over training on a log axis, one line per
    layer coloured by its depth (the read-out is layer L + 1); exact zeros and values after
    divergence are left out (the panel's note names them)."""
    e, column = np.nonzero(np.isfinite(panel.norms) & (panel.norms > 0.0))
    order = np.lexsort((e, column))  # by layer, then epoch
    e, column = e[order], column[order]
    frame = pd.DataFrame(
        {
            "epoch": panel.epochs[e].astype(np.int32),
            "layer": np.asarray(panel.layers, dtype=np.int16)[column],
            "norm": panel.norms[e, column].astype(np.float64),
        }
    )
    rows = _Typed(frame)
    layers = [int(panel.layers[0]), int(panel.layers[-1])]
    chart = (
        alt.Chart(rows.data)
        .mark_line(strokeWidth=1.5)
        .encode(
            x=_epoch_axis(int(panel.epochs[-1])),
            y=alt.Y(
                "norm:Q",
                title="‖dL/dW‖ (log)",
                scale=_log_scale(frame["norm"]),
                axis=_log_axis(frame["norm"]),
            ),
            color=alt.Color(
                "layer:Q",
                scale=alt.Scale(scheme=LINE_VIRIDIS, domain=layers),
                legend=alt.Legend(
                    type="gradient",
                    orient="bottom",
                    direction="horizontal",
                    title="layer",
                    format="d",
                    values=layers,
                    gradientLength=GRADIENT_LENGTH,
                ),
            ),
            detail="layer:Q",
            tooltip=[
                alt.Tooltip("layer:Q", title="weight layer"),
                alt.Tooltip("epoch:Q", title="epoch"),
                alt.Tooltip("norm:Q", title="gradient norm", format=".4g"),
            ],
        )
    )
    layers_drawn = [_with_ends(chart, frame, ["layer"], "epoch", filled=False)]
    if frame.empty:  # nothing above 0 to draw: say so on the chart, not only in the note
        empty = pd.DataFrame({"note": [NO_GRADIENT]})
        layers_drawn.append(
            alt.Chart(empty)
            .mark_text(align="left", dx=8, color=ANNOTATION_COLOR, fontSize=13)
            .encode(x=alt.value(0), y=alt.value(PANEL_HEIGHT / 2), text="note:N")
        )
    chart = alt.layer(*layers_drawn).properties(
        title=_panel_title(panel.label, title_lines), height=PANEL_HEIGHT
    )
    return _spec(chart, rows)


def boundary_title(panel: BoundaryPanel) -> str:
    """The initialization and its final training accuracy ("diverged" once the loss
    overflowed)."""
    if not np.isfinite(panel.final_train_accuracy):
        return f"{panel.label}: diverged"
    return f"{panel.label}: {panel.final_train_accuracy:.0%}"


def boundary_spec(
    panel: BoundaryPanel,
    points: np.ndarray,
    labels: np.ndarray,
    class_names: tuple[str, ...],
    title_lines: int = 1,
) -> dict:
    """The predicted class on the grid (paler where the network is less sure) under the
    training points, coloured by their class; the title (``boundary_title``) on at least
    ``title_lines`` lines."""
    rows, columns = panel.grid_class.shape  # rows at grid_y, columns at grid_x
    cells = _Typed(
        pd.DataFrame(
            {
                "i": np.tile(np.arange(columns, dtype=np.uint16), rows),
                "j": np.repeat(np.arange(rows, dtype=np.uint16), columns),
                "c": panel.grid_class.ravel().astype(np.int8),
                "p": np.nan_to_num(panel.grid_probability.ravel(), nan=1.0).astype(np.float32),
            }
        )
    )
    dots_rows = _Typed(
        pd.DataFrame(
            {
                "x": points[:, 0].astype(np.float32),
                "y": points[:, 1].astype(np.float32),
                "c": labels.astype(np.int8),
            }
        )
    )
    # The cells' edges: the grid is evenly spaced, cell_x and cell_y are half its steps.
    left, bottom = float(panel.grid_x[0] - panel.cell_x), float(panel.grid_y[0] - panel.cell_y)
    step_x, step_y = 2.0 * float(panel.cell_x), 2.0 * float(panel.cell_y)
    edges = {
        "x": f"{left!r} + datum.i * {step_x!r}",
        "x2": f"{left!r} + (datum.i + 1) * {step_x!r}",
        "y": f"{bottom!r} + datum.j * {step_y!r}",
        "y2": f"{bottom!r} + (datum.j + 1) * {step_y!r}",
    }
    domain = [*class_names, NO_PREDICTION]
    colors = alt.Scale(
        domain=domain, range=[*CLASS_COLORS[: len(class_names)], NO_PREDICTION_COLOR]
    )
    x_scale = alt.Scale(domain=[left, left + columns * step_x], nice=False)
    y_scale = alt.Scale(domain=[bottom, bottom + rows * step_y], nice=False)
    name = _named("c", class_names, NO_PREDICTION)
    regions = (
        alt.Chart(cells.data)
        .transform_calculate(**edges, **{"class": name})
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
        alt.Chart(dots_rows.data)
        .transform_calculate(**{"class": name})
        .mark_circle(size=14, opacity=1.0, stroke="#ffffff", strokeWidth=0.4)
        .encode(
            x=alt.X("x:Q", scale=x_scale),
            y=alt.Y("y:Q", scale=y_scale),
            color=alt.Color("class:N", scale=colors, legend=None),
            tooltip=[alt.Tooltip("class:N", title="true class")],
        )
    )
    chart = alt.layer(regions, dots).properties(
        title=_panel_title(boundary_title(panel), title_lines),
        height=BOUNDARY_HEIGHT,
        view=alt.ViewBackground(strokeWidth=0, fill=REGIONS_BACKGROUND),
    )
    return _spec(chart, cells, dots_rows)


def symmetry_spec(curves: Curves) -> dict:
    """The largest distance between two units of any hidden layer, per initialization, on a
    symmetric-log axis: linear near 0, so that exactly 0 sits on the axis and a small distance
    (N(0, 0.01²) weights) stands clear of it, logarithmic beyond."""
    rows = _Typed(_series_rows(curves, [curves.unit_distance], "distance"))
    chart = (
        alt.Chart(rows.data)
        .transform_calculate(init=_named("k", curves.labels))
        .mark_line(strokeWidth=2)
        .encode(
            x=_epoch_axis(int(curves.epochs[-1])),
            y=alt.Y(
                "distance:Q",
                title="distance",
                scale=alt.Scale(type="symlog", constant=SYMLOG_CONSTANT),
                axis=alt.Axis(format="~g", values=list(SYMLOG_TICKS)),
            ),
            color=alt.Color(
                "init:N", scale=_init_scale(curves.labels), legend=_legend(curves.labels)
            ),
            tooltip=[
                alt.Tooltip("init:N", title="initialization"),
                alt.Tooltip("epoch:Q", title="epoch"),
                alt.Tooltip("distance:Q", title="largest distance", format=".6g"),
            ],
        )
    )
    chart = _with_ends(chart, rows.frame, ["k"], "epoch").properties(
        title=_title("Largest distance between two units"), height=SYMMETRY_HEIGHT
    )
    return _spec(chart, rows)
