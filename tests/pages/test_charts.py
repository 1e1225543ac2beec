"""The Altair chart builders of pages/ui/charts.py, checked on their Vega-Lite specs."""

from __future__ import annotations

import math

import altair as alt
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
    # One note per subtitle line, so that a narrow panel does not cut them.
    subtitle = chart.to_dict()["title"]["subtitle"]
    assert subtitle == ["Not on the axis: 12 below -3", "5 above 3", "3 inf/NaN"]


def test_histogram_band_is_shaded_within_the_axis_with_its_ends_marked():
    chart = histogram_chart([-8, 0, 8], [10, 10], "Wide", band=(-3, 3))
    (rect, rect_rows), (rules, rule_rows), (bars, _) = _layers(chart)
    assert rect["mark"]["type"] == "rect" and bars["mark"]["type"] == "bar"
    assert (rect_rows[0]["x"], rect_rows[0]["x2"]) == (-3, 3)
    assert [r["x"] for r in rule_rows] == [-3, 3]
    assert chart.to_dict()["title"]["subtitle"] == []
    # A layer that shrank: the band covers the whole axis, and the subtitle says so.
    narrow = histogram_chart([-0.1, 0, 0.1], [10, 10], "Narrow", band=(-3, 3))
    (rect, rect_rows), (bars, _) = _layers(narrow)
    assert (rect_rows[0]["x"], rect_rows[0]["x2"]) == (-0.1, 0.1)
    assert narrow.to_dict()["title"]["subtitle"] == ["the whole axis lies inside [-3, 3]"]
    # A band off the axis is named, not drawn.
    off = histogram_chart([5, 6, 7], [1, 1], "Off", band=(-3, 3), below=4)
    assert [layer["mark"]["type"] for layer, _ in _layers(off)][0] == "bar"
    assert off.to_dict()["title"]["subtitle"] == [
        "Not on the axis: 4 below 5",
        "[-3, 3] lies left of this axis",
    ]
    with pytest.raises(ValueError, match="band must be two increasing finite numbers"):
        histogram_chart([0, 1], [1], "t", band=(3, -3))


def test_histogram_without_values_in_its_bins_says_so():
    chart = histogram_chart([-1, 0, 1], [0, 0], "Overflow", nonfinite=7, band=(-3, 3))
    texts = [rows for layer, rows in _layers(chart) if layer["mark"]["type"] == "text"]
    assert [{"x": 0.0, "note": "no value in this range"}] in texts
    # Its axis stands in for values that are not there: no band on it, and no word of one
    # (an overflowed layer read "the whole axis lies inside [-3, 3]", as if it were small).
    assert "rect" not in [layer["mark"]["type"] for layer, _ in _layers(chart)]
    assert chart.to_dict()["title"]["subtitle"] == ["Not on the axis: 7 inf/NaN"]


def test_every_layer_of_a_histogram_keeps_the_axis_to_its_bins():
    """Bins that all lie above 0: the band, its ends, the notes and the bars all name the bins'
    domain without zero. A layer that did not widened the merged axis to 0 (Vega-Lite's rect
    default), and the band then covered only part of an axis it claimed to fill."""
    chart = histogram_chart([0.95, 1.1, 1.25], [1, 1], "Sigmoid", band=(-3, 3), above=2)
    for layer, _ in _layers(chart):
        scale = layer["encoding"]["x"]["scale"]
        assert (scale["domain"], scale["zero"], scale["nice"]) == ([0.95, 1.25], False, False)


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
    (line, points), (rule, notes), (halo, _), (text, _) = _layers(chart)
    assert line["encoding"]["y"]["scale"] == {"type": "log"}
    assert all(r["y"] > 0 and math.isfinite(r["y"]) for r in points)
    assert len(points) == 7 + 8  # every positive finite value, nothing else
    assert [n["note"] for n in notes] == ["xavier: 0 at layer 7", "big: inf/NaN from layer 9"]
    assert [n["x"] for n in notes] == [7, 9]
    # Both sit right of the middle of layers 1..10, so their labels extend to the left.
    assert text["mark"]["align"] == "right" and text["mark"]["dx"] < 0
    # Under the label, the same text outlined in the chart's background: a line crossing the
    # label's row (a theory drawn over an overflow) leaves it readable.
    assert halo["mark"]["stroke"] == charts.LABEL_HALO and halo["mark"]["strokeWidth"] >= 3
    assert {k: halo["mark"][k] for k in ("align", "dx", "baseline")} == {
        k: text["mark"][k] for k in ("align", "dx", "baseline")
    }
    assert halo["encoding"] == text["encoding"]
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
    (line, points), (_, notes), _halo, (text, _) = _layers(chart)
    assert [n["note"] for n in notes] == ["0 at layer 2, 4, 6"]
    assert text["mark"]["align"] == "left"
    assert line["encoding"]["color"]["legend"] is None
    assert len({r["segment"] for r in points}) == 4


def test_show_chart_renders_at_container_width(monkeypatch):
    calls = []
    monkeypatch.setattr(charts.st, "vega_lite_chart", lambda spec, **kw: calls.append((spec, kw)))
    chart = histogram_chart([0, 1], [3], "t")
    charts.show_chart(chart)
    assert calls == [(charts.vega_spec(chart), {"width": "stretch"})]
    with pytest.raises(ValueError, match="chart must be an Altair chart; got dict"):
        charts.show_chart({"mark": "bar"})


def test_log_line_chart_zero_band_puts_every_zero_below_the_axis():
    rows = {"x": [1, 2, 3, 4], "g": [1e-3, 1e-1, 0.0, 0.0]}
    chart = log_line_chart(rows, "x", "g", None, "Gradient", "g", zero_band=True)
    (band, strip), (marks, zeros), (line, points) = _layers(chart)
    assert band["mark"]["type"] == "rect" and marks["mark"]["shape"] == "cross"
    assert [r["x"] for r in zeros] == [3, 4]
    middle = zeros[0]["band"]
    # The band lies below the smallest value and inside the axis; its middle is the tick 0.
    domain = line["encoding"]["y"]["scale"]["domain"]
    assert domain[0] == strip[0]["y"] < middle < strip[0]["y2"] < 1e-3 < 1e-1 < domain[1]
    axis = line["encoding"]["y"]["axis"]
    assert axis["values"] == [middle, 1e-3, 1e-2, 1e-1]
    assert axis["labelExpr"].startswith(f"datum.value == {middle!r} ? '0'")
    assert marks["encoding"]["y"]["axis"] == axis  # one axis for every layer
    assert [r["y"] for r in points] == [1e-3, 1e-1]
    # No dashed rule for the zeros (the band shows them), still named in the subtitle.
    assert chart.to_dict()["title"]["subtitle"] == "Not on the log axis: 0 from x 3"
    # All zeros: the band alone, no ticks on the empty log part.
    dead = log_line_chart({"x": [1, 2], "g": [0.0, 0.0]}, "x", "g", None, "D", "g", zero_band=True)
    (_, _), (_, zeros), (line, points) = _layers(dead)
    assert len(zeros) == 2 and points == []
    assert line["encoding"]["y"]["axis"]["values"] == [zeros[0]["band"]]


def test_log_line_chart_zero_band_keeps_the_series_legend():
    """The crosses of the zero band are drawn before the line; with no legend of their own
    Vega-Lite dropped the merged legend, and a chart of two series had no key."""
    rows = [
        {"x": 1, "v": 1e-3, "s": "randn"},
        {"x": 2, "v": 1e-2, "s": "randn"},
        {"x": 1, "v": 0.0, "s": "rand"},
        {"x": 2, "v": 0.0, "s": "rand"},
    ]
    legend = alt.Legend(orient="bottom")
    chart = log_line_chart(rows, "x", "v", "s", "G", "v", zero_band=True, legend=legend)
    (_, _), (marks, _), (line, _) = _layers(chart)
    assert marks["encoding"]["color"] == line["encoding"]["color"]
    assert line["encoding"]["color"]["legend"] == {"orient": "bottom"}
    spec = charts.vega_spec(chart, validate=True)
    assert spec["layer"][1]["encoding"]["color"]["title"] == "s"


def test_log_line_chart_zero_band_labels_values_too_close_for_a_tick():
    """A theory line at 6.7e-46 on every layer, beside zeros: no 1-2-5 step lies within the
    few percent around it, and the axis showed only its '0'. The value itself gets a tick."""
    rows = [
        {"x": 1, "v": 6.7e-46, "s": "theory"},
        {"x": 2, "v": 6.7e-46, "s": "theory"},
        {"x": 1, "v": 0.0, "s": "simulation"},
    ]
    chart = log_line_chart(rows, "x", "v", "s", "G", "v", zero_band=True)
    (_, _), (_, zeros), (line, _) = _layers(chart)
    assert line["encoding"]["y"]["axis"]["values"] == [zeros[0]["band"], 6.7e-46]


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        # Vega thinned this axis to 40, 0.6, 0.008, 1e-4: powers of ten instead.
        (1e-4, 40, [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]),
        (1e-45, 1e-5, [1e-45, 1e-38, 1e-31, 1e-24, 1e-17, 1e-10]),
        (0.1, 0.9, [0.1, 0.2, 0.5, 1.0]),
        (0.998, 1.02, [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]),
    ],
)
def test_log_axis_ticks_are_powers_of_ten_or_one_two_five(low, high, ticks):
    rows = [{"x": 1, "v": low}, {"x": 2, "v": high}]
    (line, _), *_ = _layers(log_line_chart(rows, "x", "v", None, "T", "v"))
    assert line["encoding"]["y"]["axis"]["values"] == pytest.approx(ticks)


def test_plot_height_keeps_the_height_for_the_plot():
    chart = histogram_chart([0, 1], [3], "t", height=120)
    assert "autosize" not in charts.vega_spec(chart)
    spec = charts.vega_spec(chart, plot_height=True)
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert spec["height"] == 120


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


def test_a_shared_y_axis_leaves_room_above_its_tallest_bar():
    """Charts of a set share y_max, the tallest bar of the set: the axis ends 5 % above it, so
    that bar does not touch the plot's top edge (Weight distribution's U[0, 1) bars did)."""
    chart = histogram_chart([0, 1, 2], [30, 50], "Shared", y_max=50)
    ((bars, _), *_) = _layers(chart)
    assert bars["encoding"]["y"]["scale"]["domainMax"] == pytest.approx(50 * 1.05)
    assert bars["encoding"]["y"]["scale"]["nice"] is False


def test_histogram_ticks_are_plain_numbers_near_1():
    """An axis format of "~g" takes its precision from the tick step: a panel from -80 to 80
    labelled its ticks "-6e+1" and "2e+1". The labels come from an expression instead, which
    prints plain numbers from 0.001 to 100,000 whatever the step."""
    chart = histogram_chart([-80, 0, 80], [10, 10], "z of layer 3")
    (bars,) = [layer for layer, _ in _layers(chart) if layer["mark"]["type"] == "bar"]
    axis = bars["encoding"]["x"]["axis"]
    assert "format" not in axis
    assert "format(datum.value, '~g')" in axis["labelExpr"]
    assert "abs(datum.value) >= 1e5" in axis["labelExpr"]


def test_log_line_chart_ticks_cover_values_another_layer_draws():
    """Forward pass draws the theory as its own dashed layer on the simulation's axis: after an
    overflow the simulation stops near 1e28 while the theory climbs to 1e120, and the ticks
    stopped at the simulation's top, leaving three quarters of the axis unlabelled."""
    rows = {"layer": [1, 2, 3], "value": [1e4, 1e16, 1e28], "net": ["a", "a", "a"]}
    alone = log_line_chart(rows, "layer", "value", "net", "t", "std")
    covered = log_line_chart(
        rows, "layer", "value", "net", "t", "std", axis_values=[1e4, 1e60, 1e120, math.inf, 0.0]
    )
    (line, _), *_ = _layers(alone)
    assert max(line["encoding"]["y"]["axis"]["values"]) <= 1e28
    (line, _), *_ = _layers(covered)
    ticks = line["encoding"]["y"]["axis"]["values"]
    assert ticks[0] == 1e4 and 1e100 <= max(ticks) <= 1e120
