"""Unit tests of pages/common.py that need no Streamlit runtime: the page registry, URL value
parsing and formatting, argument checks and the Altair chart specifications."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st_h
from streamlit.material_icon_names import ALL_MATERIAL_ICONS

from pages import common
from pages.common import (
    PAGES,
    SECTIONS,
    deep_link_url,
    format_param,
    get_page,
    histogram_chart,
    log_line_chart,
    log_options,
    pages_in_section,
    parse_bool_param,
    parse_choice_param,
    parse_float_param,
    parse_int_param,
    parse_multi_choice_param,
    url_warning,
)

# --------------------------------------------------------------------------- registry

#: The navigation the brief asks for: (section, title, file, url_path).
EXPECTED_PAGES = [
    ("Start", "Home", "pages/home_page.py", "home"),
    ("Simulations", "Forward pass", "pages/forward_pass.py", "forward-pass"),
    ("Simulations", "Weight distribution", "pages/weight_distribution.py", "weight-distribution"),
    ("Simulations", "Signal propagation", "pages/signal_propagation.py", "signal-propagation"),
    ("Simulations", "Gradient flow: rand vs randn", "pages/gradient_flow.py", "gradient-flow"),
    ("Simulations", "Quantization range", "pages/quantization_range.py", "quantization"),
    ("Quizzes", "Initialization formulas", "pages/quiz_formulas.py", "quiz-formulas"),
    ("Quizzes", "Signal propagation quiz", "pages/quiz_signal.py", "quiz-signal"),
    ("Quizzes", "Quantization quiz", "pages/quiz_quantization.py", "quiz-quantization"),
    ("Quizzes", "Mixed review", "pages/quiz_review.py", "quiz-review"),
    ("Quizzes", "Practice", "pages/quiz_practice.py", "practice"),
]


def test_registry_matches_the_navigation_plan():
    assert [(p.section, p.title, p.file, p.url_path) for p in PAGES] == EXPECTED_PAGES


def test_registry_entries_are_unique_and_complete():
    assert len({p.key for p in PAGES}) == len(PAGES)
    assert len({p.url_path for p in PAGES}) == len(PAGES)
    for info in PAGES:
        assert info.path.is_file(), info.file
        assert info.section in SECTIONS
        assert info.description.strip() and "\n" not in info.description
        assert info.icon.startswith(":material/") and info.icon.endswith(":")
        assert info.icon[len(":material/") : -1] in ALL_MATERIAL_ICONS, info.icon


def test_sections_keep_registry_order():
    assert [p.key for s in SECTIONS for p in pages_in_section(s)] == [p.key for p in PAGES]
    assert pages_in_section("Start") == (get_page("home"),)


def test_unknown_page_and_section_are_rejected():
    with pytest.raises(ValueError, match="page_key must be one of .*; got 'nope'"):
        get_page("nope")
    with pytest.raises(ValueError, match="section must be one of Start, Simulations, Quizzes"):
        pages_in_section("Extras")


# --------------------------------------------------------------------------- URL values

INT_RANGE = "layers must be an integer in \\[1, 100\\]"


@pytest.mark.parametrize("text", ["abc", "", "nan", "inf", "-5", "1e9", "3.5", "0", "101", "0x10"])
def test_bad_int_text_names_parameter_and_range(text):
    with pytest.raises(ValueError, match=INT_RANGE):
        parse_int_param("layers", text, 1, 100)


@pytest.mark.parametrize(("text", "value"), [("7", 7), (" 42 ", 42), ("+1", 1), ("100", 100)])
def test_int_text_is_parsed(text, value):
    assert parse_int_param("layers", text, 1, 100) == value


@pytest.mark.parametrize("text", ["abc", "", "nan", "inf", "-inf", "0.05", "11", "1e9"])
def test_bad_float_text_names_parameter_and_range(text):
    with pytest.raises(ValueError, match="std must be a finite number in \\[0.1, 10\\]"):
        parse_float_param("std", text, 0.1, 10.0)


def test_float_text_is_parsed_and_matched_to_options():
    assert parse_float_param("std", "2.5", 0.1, 10.0) == 2.5
    options = [0.1, 0.2, 0.5]
    # 0.1 + 0.2 - 0.2 != 0.1 in binary; the parsed value must come back as the option itself.
    assert parse_float_param("std", repr(0.1 + 0.2 - 0.2), 0.1, 10.0, options) is options[0]
    with pytest.raises(ValueError, match="std must be one of 0.1, 0.2, 0.5; got 0.3"):
        parse_float_param("std", "0.3", 0.1, 10.0, options)


def test_choice_and_bool_text():
    assert parse_choice_param("act", "tanh", ["relu", "tanh"]) == "tanh"
    with pytest.raises(ValueError, match="act must be one of relu, tanh; got 'Tanh'"):
        parse_choice_param("act", "Tanh", ["relu", "tanh"])
    assert parse_bool_param("bias", "TRUE") is True
    assert parse_bool_param("bias", "false") is False
    with pytest.raises(ValueError, match="bias must be one of true, false"):
        parse_bool_param("bias", "1")


def test_multi_choice_text():
    options = ["xavier", "he", "lecun"]
    assert parse_multi_choice_param("schemes", "he,xavier,he", options) == ["he", "xavier"]
    assert parse_multi_choice_param("schemes", "", options) == []
    with pytest.raises(ValueError, match="schemes must be one of xavier, he, lecun; got 'x'"):
        parse_multi_choice_param("schemes", "he,x", options)
    assert format_param(["he", "lecun"]) == "he,lecun"
    with pytest.raises(ValueError, match="value items must not contain ','"):
        format_param(["a,b"])


def test_url_warning_wording():
    with pytest.raises(ValueError) as info:
        parse_int_param("layers", "abc", 1, 100)
    message = url_warning("layers", "abc", info.value, 10)
    assert message == (
        "URL parameter layers='abc' ignored: layers must be an integer in [1, 100]; using 10."
    )
    assert url_warning("s", "x", ValueError("s must be one of a; got 'x'"), []) == (
        "URL parameter s='x' ignored: s must be one of a; using no selection."
    )


def test_format_param():
    assert format_param(True) == "true"
    assert format_param(np.int64(12)) == "12"
    assert format_param(0.001) == "0.001"
    assert format_param(np.float32(0.1)) == repr(float(np.float32(0.1)))
    assert format_param("tanh") == "tanh"
    for bad in (math.inf, math.nan, None, [1]):
        with pytest.raises(ValueError, match="value must be"):
            format_param(bad)


@given(st_h.floats(allow_nan=False, allow_infinity=False))
def test_float_url_text_round_trips_exactly(value):
    # repr gives the shortest text that parses back to the same double.
    assert parse_float_param("x", format_param(value), -math.inf, math.inf) == value


@given(st_h.integers(-(10**30), 10**30))
def test_int_url_text_round_trips_exactly(value):
    assert parse_int_param("n", format_param(value), -(10**30), 10**30) == value


def test_log_options_are_the_125_grid_with_endpoints_and_default():
    grid = log_options(1e-5, 1.0, 0.003)
    expected = [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 3e-3, 5e-3]
    expected += [1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1.0]
    assert grid == pytest.approx(expected, rel=1e-12)
    assert log_options(0.3, 30.0, 1.0)[0] == 0.3 and log_options(0.3, 30.0, 1.0)[-1] == 30.0
    with pytest.raises(ValueError, match="low must be a finite number > 0"):
        log_options(0.0, 1.0, 0.5)


def test_deep_link_url():
    params = {"layers": 20, "act": "tanh", "bias": True, "sigma": 0.001}
    assert deep_link_url("forward_pass", params) == (
        "./forward-pass?layers=20&act=tanh&bias=true&sigma=0.001"
    )
    assert deep_link_url("home") == "./"
    with pytest.raises(ValueError, match="params key must be a URL parameter name"):
        deep_link_url("forward_pass", {"Layers": 3})
    with pytest.raises(ValueError, match="params key must not be one of Streamlit's own"):
        deep_link_url("forward_pass", {"embed": "true"})


# --------------------------------------------------------------------------- argument checks
# Validation runs before any Streamlit call, so these need no runtime.


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: common.int_control("Layers", "layers", 0, 1, 100), "default must be an integer"),
        (lambda: common.int_control("Layers", "layers", 5, 10, 1), "high must be an integer >= 10"),
        (lambda: common.int_control("", "layers", 5, 1, 10), "label must be a non-empty string"),
        (lambda: common.int_control("L", "Layers", 5, 1, 10), "name must be a URL parameter"),
        (lambda: common.int_control("L", "embed", 5, 1, 10), "name must not be one of"),
        (lambda: common.int_control("L", "n", 5, 1, 10, widget="dial"), "widget must be one of"),
        (lambda: common.int_control("L", "n", 5, 1, 10, step=0), "step must be an integer"),
        (lambda: common.float_control("S", "s", 0.5, 0.0, 1.0, log=True), "low must be a finite"),
        (lambda: common.float_control("S", "s", 2.0, 0.0, 1.0), "default must be a finite number"),
        (
            lambda: common.float_control("S", "s", 0.3, 0.0, 1.0, options=[0.1, 0.5]),
            "default must be one of 0.1, 0.5",
        ),
        (
            lambda: common.float_control("S", "s", 0.1, 0.0, 1.0, options=[0.5, 0.1]),
            "options must be strictly increasing",
        ),
        (
            lambda: common.choice_control("A", "act", {"relu": "ReLU"}, "tanh"),
            "default must be one of relu; got 'tanh'",
        ),
        (lambda: common.choice_control("A", "act", {}, "relu"), "options must be a non-empty"),
        (lambda: common.bool_control("B", "bias", "yes"), "default must be True or False"),
        (
            lambda: common.multi_choice_control("S", "s", {"a": "A"}, "a"),
            "default must be a list of options",
        ),
        (
            lambda: common.multi_choice_control("S", "s", {"a,b": "A"}, []),
            "options keys must not contain ','",
        ),
        (lambda: common.show_engine_error(TypeError("x")), "exc must be a ValueError"),
    ],
)
def test_public_functions_reject_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


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
    monkeypatch.setattr(common.st, "altair_chart", lambda chart, **kw: calls.append((chart, kw)))
    chart = histogram_chart([0, 1], [3], "t")
    common.show_chart(chart)
    assert calls == [(chart, {"width": "stretch"})]
    with pytest.raises(ValueError, match="chart must be an Altair chart; got dict"):
        common.show_chart({"mark": "bar"})


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
