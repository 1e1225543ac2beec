"""Charts of the Weight distribution page: each scheme's histogram with its exact density and
its bounds or cut points, and the rand-vs-randn shapes; every chart of a set shares one y axis.

Built once per result (``pages.ui.memo.once_per``, keyed by the experiment's Config) and shared
by every rerun and session: building fifteen Altair charts would cost most of a rerun.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd
import pyarrow as pa

from lab.experiments.weight_distribution import Config, Result
from lab.text import MISSING_TEXT
from lab.weights import Marker, ShapeSummary, WeightSummary
from pages.ui.charts import ANNOTATION_COLOR, histogram_chart, histogram_top, vega_spec
from pages.ui.memo import arrow_table, once_per

#: The page's two lazy tabs (only the open one is sent), and the open one's session-state key:
#: a rerun (a control) keeps it open.
TABS = ("Schemes against their exact law", "rand vs randn")
TABS_KEY = "weight_distribution_tab"

#: Heights of the whole chart element (Streamlit 1.67 fits title and axes inside it).
SCHEME_CHART_HEIGHT = 300
SHAPE_CHART_HEIGHT = 260
RULE_COLOR = "#868e96"  # mid grey: visible on light and dark backgrounds
#: Columns of the exact-against-sampled table and of the rand-vs-randn table.
SCHEME_COLUMNS = (
    "scheme",
    "n",
    "Var exact",
    "Var sampled",
    "std exact",
    "std sampled",
    "b / cut",
    "max |w|",
    "mean",
    "KS D",
    "KS p",
)
#: Columns without a number for some schemes (no bound or cut for a normal law, no KS test for
#: orthogonal weights), sent as text in their format, with ``lab.text.MISSING_TEXT`` where there
#: is none (a number column would show a grey "None").
OPTIONAL_FORMATS = {"n": ".6g", "b / cut": ".5g", "KS D": ".3g", "KS p": ".3g"}
SHAPE_COLUMNS = (
    "law",
    "numpy",
    "exact mean",
    "sampled mean",
    "exact variance",
    "sampled variance",
)


def _density_line(grid, curve, pdf) -> alt.Chart:
    """The exact density, scaled to the expected number of weights per bin."""
    data = pd.DataFrame({"x": grid, "expected": curve, "pdf": pdf, "order": range(len(grid))})
    return (
        alt.Chart(data)
        .mark_line(color=ANNOTATION_COLOR, strokeWidth=2)
        .encode(
            x="x:Q",
            y="expected:Q",
            order="order:Q",
            tooltip=[
                alt.Tooltip("x:Q", title="weight", format=".5g"),
                alt.Tooltip("pdf:Q", title="exact density", format=".5g"),
                alt.Tooltip("expected:Q", title="expected count per bin", format=".5g"),
            ],
        )
    )


def _marker_layers(markers: tuple[Marker, ...]) -> list[alt.Chart]:
    """Dashed rules at the bounds or cut points, labelled outside-in at the top of the plot."""
    if not markers:
        return []
    marks = pd.DataFrame({"x": [m.x for m in markers], "label": [m.label for m in markers]})
    layers = [
        alt.Chart(marks)
        .mark_rule(color=RULE_COLOR, strokeDash=[5, 4], strokeWidth=1.5)
        .encode(x="x:Q", tooltip=alt.Tooltip("label:N", title="marker"))
    ]
    for part, align, dx in (
        (marks[marks["x"] < 0], "right", -4),
        (marks[marks["x"] >= 0], "left", 4),
    ):
        if not part.empty:
            layers.append(
                alt.Chart(part)
                .mark_text(align=align, baseline="top", dx=dx, dy=18, color=RULE_COLOR)
                .encode(x="x:Q", y=alt.value(0), text="label:N")
            )
    return layers


def scheme_spec(summary: WeightSummary, y_max: float) -> dict:
    """One scheme's histogram, exact density (when the weights are independent draws) and
    markers, with the y axis reaching at least ``y_max``."""
    base = histogram_chart(
        summary.edges,
        summary.counts,
        f"{summary.samples:,} sampled weights",
        below=summary.below,
        above=summary.above,
        x_title="weight value",
        y_title="weights per bin",
        height=SCHEME_CHART_HEIGHT,
        y_max=y_max,
    )
    chart = base
    if summary.curve_counts is not None:
        chart += _density_line(summary.grid, summary.curve_counts, summary.pdf)
    for layer in _marker_layers(summary.markers):
        chart += layer
    return vega_spec(chart)


def shape_spec(shape: ShapeSummary, y_max: float) -> dict:
    """One rand-vs-randn law: histogram and exact density."""
    base = histogram_chart(
        shape.edges,
        shape.counts,
        shape.label,
        below=shape.below,
        above=shape.above,
        x_title="value",
        y_title="draws per bin",
        height=SHAPE_CHART_HEIGHT,
        y_max=y_max,
    )
    return vega_spec(base + _density_line(shape.grid, shape.curve_counts, shape.pdf))


def _shared_top(top: float, summaries) -> float:
    """The y-axis top every chart of a set gets: the tallest bar or curve point of the set, or
    the highest chart's headroom for its edge notes."""
    return max(
        [top] + [histogram_top(s.counts.tolist(), below=s.below, above=s.above) for s in summaries]
    )


def _config(result: Result) -> Config:
    return result.config


@once_per(_config)
def chart_specs(result: Result) -> tuple[tuple[dict, ...], tuple[dict, ...]]:
    """(one spec per compared scheme, one per rand-vs-randn law) of ``result``, built once per
    result (its Config) and shared by every rerun and session."""
    summaries = [view.summary for view in result.schemes]
    if result.shared_axes:
        tops = [_shared_top(result.count_top, summaries)] * len(summaries)
    else:  # each chart on its own axes (``Result.shared_axes``)
        tops = [_shared_top(top, [s]) for top, s in zip(result.count_tops, summaries, strict=True)]
    shapes_top = _shared_top(result.shapes_top, result.shapes)
    return (
        tuple(scheme_spec(summary, top) for summary, top in zip(summaries, tops, strict=True)),
        tuple(shape_spec(shape, shapes_top) for shape in result.shapes),
    )


@dataclass(frozen=True)
class Tables:
    """The page's two tables as Arrow tables (``st.dataframe`` sends them as they are)."""

    schemes: pa.Table
    shapes: pa.Table


def optional_cell(value: float | None, column: str) -> str:
    """A cell of an ``OPTIONAL_FORMATS`` column: the number in that column's format, or
    ``MISSING_TEXT``."""
    return MISSING_TEXT if value is None else format(value, OPTIONAL_FORMATS[column])


@once_per(_config)
def tables(result: Result) -> Tables:
    """The exact-against-sampled table (one row per scheme) and the rand-vs-randn table, built
    once per result (its Config)."""
    schemes = [
        {
            "scheme": s.label,
            "n": optional_cell(s.fan, "n"),
            "Var exact": s.exact_variance,
            "Var sampled": s.sampled_variance,
            "std exact": s.exact_std,
            "std sampled": s.sampled_std,
            "b / cut": optional_cell(s.bound if s.bound is not None else s.truncation, "b / cut"),
            "max |w|": s.sampled_max_abs,
            "mean": s.sampled_mean,
            "KS D": optional_cell(s.ks_statistic, "KS D"),
            "KS p": optional_cell(s.ks_pvalue, "KS p"),
        }
        for s in (view.summary for view in result.schemes)
    ]
    shapes = [
        {
            "law": s.label,
            "numpy": s.numpy_call,
            "exact mean": s.exact_mean,
            "sampled mean": s.sampled_mean,
            "exact variance": s.exact_variance,
            "sampled variance": s.sampled_variance,
        }
        for s in result.shapes
    ]
    return Tables(
        schemes=arrow_table(schemes, SCHEME_COLUMNS), shapes=arrow_table(shapes, SHAPE_COLUMNS)
    )
