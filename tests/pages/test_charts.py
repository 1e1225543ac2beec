"""The Altair chart builders of pages/ui/charts.py, checked on their Vega-Lite specs."""

from __future__ import annotations

import math

import pytest

from pages.ui import charts
from pages.ui.charts import histogram_chart, log_line_chart

# --------------------------------------------------------------------------- charts


def _layers(chart) -> list[tuple[dict, list[dict]]]:
    """(layer spec, its data rows) for each layer of a layered Altair chart."""
    spec = chart.to_dict()
    datasets = spec.get("datasets", {})
    # Altair hoists the data of a single-layer chart to the top level.
    return [
        (layer, datasets[layer.get("data", spec.get("data"))["name"]]) for layer in spec["layer"]
    ]


def test_histogram_bars_follow_edges_and_counts():
    chart = histogram_chart([-3, -1, 1, 3], [5, 90, 5], "Weights")
    (bars, rows), *annotations = _layers(chart)
    assert annotations == []
    assert [(r["left"], r["right"], r["count"]) for r in rows] == [
        (-3, -1, 5),
        (-1, 1, 90),
        (1, 3, 5),
    ]
    assert [r["share"] for r in rows] == pytest.approx([0.05, 0.9, 0.05])
    assert bars["encoding"]["x"]["scale"]["domain"] == [-3, 3]
    # Vertical bars from 0 (x and x2 are both quantitative, so the orientation must be set).
    assert bars["mark"]["orient"] == "vertical" and bars["encoding"]["y2"] == {"datum": 0}
    assert chart.to_dict()["title"]["subtitle"] == []


def test_histogram_shows_out_of_range_and_nonfinite_counts():
    chart = histogram_chart([-3, 0, 3], [40, 40], "Acts", below=12, above=5, nonfinite=3)
    (bars, rows), (left_text, left), (right_text, right) = _layers(chart)
    # The share is over every value, including the ones not drawn: 40 / 100.
    assert [r["share"] for r in rows] == pytest.approx([0.4, 0.4])
    assert left == [{"x": -3.0, "note": "◀ 12 below -3"}]
    assert right == [{"x": 3.0, "note": "5 above 3 ▶ · 3 inf/NaN"}]
    # The right note sits one line below the left one, with headroom above the tallest bar.
    assert right_text["mark"]["dy"] > left_text["mark"]["dy"]
    assert bars["encoding"]["y"]["scale"]["domainMax"] == pytest.approx(40 * 1.4)
    subtitle = chart.to_dict()["title"]["subtitle"]
    assert subtitle == "Not on the axis: 12 below -3; 5 above 3; 3 inf/NaN"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"edges": [0, 1], "counts": [1, 2]}, "edges must have len\\(counts\\) \\+ 1 = 3"),
        ({"edges": [0, 2, 1], "counts": [1, 2]}, "edges must be strictly increasing"),
        ({"edges": [0, math.nan], "counts": [1]}, "edges\\[1\\] must be a finite number"),
        ({"edges": [0, 1], "counts": [-1]}, "counts\\[0\\] must be a finite number >= 0"),
        ({"edges": [0, 1], "counts": [1], "below": -1}, "below must be an integer >= 0"),
        ({"edges": [0], "counts": []}, "counts must hold at least one bin"),
    ],
)
def test_histogram_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        histogram_chart(title="t", **kwargs)


def _line_rows():
    rows = [{"layer": layer, "std": 0.5**layer, "net": "xavier"} for layer in range(1, 7)]
    rows.append({"layer": 7, "std": 0.0, "net": "xavier"})
    rows.append({"layer": 8, "std": 0.5**8, "net": "xavier"})
    rows += [{"layer": layer, "std": 8.0**layer, "net": "big"} for layer in range(1, 9)]
    rows += [
        {"layer": 9, "std": math.inf, "net": "big"},
        {"layer": 10, "std": math.nan, "net": "big"},
    ]
    return rows


def test_log_line_chart_drops_unplottable_points_and_marks_them():
    chart = log_line_chart(_line_rows(), "layer", "std", "net", "Std per layer", "std")
    (line, points), (rule, notes), (text, _) = _layers(chart)
    assert line["encoding"]["y"]["scale"] == {"type": "log"}
    assert all(r["y"] > 0 and math.isfinite(r["y"]) for r in points)
    assert len(points) == 7 + 8  # every positive finite value, nothing else
    assert [n["note"] for n in notes] == ["xavier: 0 at layer 7", "big: inf/NaN from layer 9"]
    assert [n["x"] for n in notes] == [7, 9]
    # Both sit right of the middle of layers 1..10, so their labels extend to the left.
    assert text["mark"]["align"] == "right" and text["mark"]["dx"] < 0
    assert chart.to_dict()["title"]["subtitle"] == (
        "Not on the log axis: xavier: 0 at layer 7; big: inf/NaN from layer 9"
    )
    # The zero splits the xavier line in two: no segment bridges layer 7.
    xavier = [r for r in points if r["series"] == "xavier"]
    assert {r["segment"] for r in xavier if r["x"] < 7} != {
        r["segment"] for r in xavier if r["x"] > 7
    }
    assert line["encoding"]["detail"]["field"] == "segment"
    # Legend order follows the input, and tooltips carry exact values.
    assert line["encoding"]["color"]["scale"]["domain"] == ["xavier", "big"]
    assert next(r["exact"] for r in points if r["x"] == 8 and r["series"] == "xavier") == repr(
        0.5**8
    )


def test_log_line_chart_single_series_and_scattered_zeros():
    rows = {"layer": [1, 2, 3, 4, 5, 6, 7], "v": [1.0, 0.0, 2.0, 0.0, 3.0, 0.0, 4.0]}
    chart = log_line_chart(rows, "layer", "v", None, "Single", "value")
    (line, points), (_, notes), (text, _) = _layers(chart)
    assert [n["note"] for n in notes] == ["0 at layer 2, 4, 6"]
    assert text["mark"]["align"] == "left"
    assert line["encoding"]["color"]["legend"] is None
    assert len({r["segment"] for r in points}) == 4


def test_show_chart_renders_at_container_width(monkeypatch):
    calls = []
    monkeypatch.setattr(charts.st, "altair_chart", lambda chart, **kw: calls.append((chart, kw)))
    chart = histogram_chart([0, 1], [3], "t")
    charts.show_chart(chart)
    assert calls == [(chart, {"width": "stretch"})]
    with pytest.raises(ValueError, match="chart must be an Altair chart; got dict"):
        charts.show_chart({"mark": "bar"})


def test_log_line_chart_without_problems_has_only_the_line():
    chart = log_line_chart([{"l": 1, "v": 1e-3}, {"l": 2, "v": 1e3}], "l", "v", None, "T", "v")
    assert len(_layers(chart)) == 1
    assert chart.to_dict()["title"]["subtitle"] == []


@pytest.mark.parametrize(
    ("rows", "x", "message"),
    [
        ([{"layer": 1, "std": 1.0}], "depth", "x must be a column of rows \\(layer, std\\)"),
        ([], "layer", "rows must be a DataFrame|rows must hold at least one row"),
        ("abc", "layer", "rows must be a DataFrame"),
        ([{"layer": 1, "std": "big"}], "layer", "must hold numbers"),
    ],
)
def test_log_line_chart_rejects_bad_input(rows, x, message):
    with pytest.raises(ValueError, match=message):
        log_line_chart(rows, x, "std", None, "t", "std")
