"""AppTest of the Quantization range page (pages/quantization_range.py), inside the app shell.

Expected numbers come from the engine (lab.experiments.quantization.run) with the page's
configuration. Paths passed to AppTest.from_file are relative to this file.
"""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qsl

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lab.controls.network import WIDTH
from lab.controls.quantization import CONTROLS
from lab.controls.registry import SIMULATION_PAGES
from lab.experiments.quantization import config_from_values, run
from pages.ui.quantization_charts import LIMITS_KEY
from pages.ui.text_width import PHONE_WIDTH
from pages.ui.widgets import widget_key
from tests.pages.chart_readability import (
    charts_with_widths,
    legends,
    readability_problems,
    title_lines,
)

TIMEOUT = 60  # the first run imports the engine and Altair; CI machines can be busy
PAGE = "pages/quantization_range.py"
#: A small network for the tests that do not need the default one (fast to analyse).
SMALL = {"layers": "6", "width": "32", "samples": "64"}
PANEL_TITLES = ["FP16", "BF16", "FP8 E4M3", "FP8 E5M2", "INT8"]
#: The panels' legend, a panel per format and the FP16 bar.
DEFAULT_CHARTS = 1 + len(PANEL_TITLES) + 1


def open_page(page: str = PAGE, **query: str) -> AppTest:
    """The app opened on ``page`` with ``query`` in the URL, as a pasted link would (the shell
    runs once first: before a run AppTest only finds pages by their file name)."""
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT)
    at.run()
    at.query_params.update(query)
    at.switch_page(page)
    return at.run()


def shown(at: AppTest, name: str) -> object:
    """The value control ``name``'s widget holds."""
    value = at.session_state[widget_key(name, page="quantization")]
    return tuple(value) if isinstance(value, list) else value


def warnings(at: AppTest) -> list[str]:
    """The warnings' text, without the backslashes that keep it literal in markdown."""
    return [re.sub(r"\\(.)", r"\1", warning.value) for warning in at.warning]


def panel_titles(at: AppTest) -> list[str]:
    """The titles of the format panels (the charts between the legend and the FP16 bar)."""
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    return [spec["title"]["text"] for spec in specs[1:-1]]


def markdown(at: AppTest) -> str:
    return "\n".join(element.value for element in at.markdown)


# --------------------------------------------------------------------------- views


def test_default_view_he_relu_breaks_nothing():
    at = open_page()
    assert not at.exception
    assert warnings(at) == [] and len(at.error) == 0 and len(at.info) == 0
    assert at.title[0].value == "Quantization range"
    expected = CONTROLS.query(CONTROLS.applied(CONTROLS.defaults()))
    assert dict(at.query_params) == expected
    assert panel_titles(at) == PANEL_TITLES
    assert [s.value for s in at.success] == [
        "None of the selected formats breaks in any of the 20 layers."
    ]
    assert "- **FP16**: :green[nothing overflows" in markdown(at)
    table = at.dataframe[0].value
    assert list(table["layer"]) == list(range(1, 21))
    assert (table["FP16 overflow"] == 0).all() and (table["INT8 clipped"] == 0).all()


def test_the_format_limits_table_is_sent_once_its_expander_is_opened():
    """The page's two tables are drawn on every run; the format limits only while their
    expander is open (a lazy expander), with one row per format of the result."""
    at = open_page(**SMALL)
    assert len(at.dataframe) == 2
    at.session_state[LIMITS_KEY] = True
    at.run()
    assert not at.exception and len(at.dataframe) == 3
    result = run(config_from_values(CONTROLS.parse_query(SMALL).values))
    limits = at.dataframe[2].value
    assert len(limits) == len(result.format_limits)
    assert list(limits["max"]) == [f"{row['max']:.4e}" for row in result.format_limits]
    assert "3.4028e+38" in list(limits["max"])  # FP32's, as text
    # Streamlit's number columns show an error cell for integer-valued numbers above 2^53.
    for name in limits.columns:
        if pd.api.types.is_numeric_dtype(limits[name]) and not pd.api.types.is_bool_dtype(
            limits[name]
        ):
            large = limits[name].abs() > 2**53
            assert not (large & (limits[name] % 1 == 0)).any(), name


def test_the_page_draws_the_engine_result():
    query = SMALL | {"init": "xavier_normal", "layers": "12", "calibration": "first_layer"}
    at = open_page(**query)
    result = run(config_from_values(CONTROLS.parse_query(query).values))
    table = at.dataframe[0].value
    assert list(table.columns) == [column.name for column in result.columns]
    magnitude = [column.kind == "magnitude" for column in result.columns]
    for shown_row, row in zip(table.values.tolist(), result.table, strict=True):
        for shown, value, as_text in zip(shown_row, row, magnitude, strict=True):
            if as_text:  # 3 significant digits, as text (see the next test)
                assert shown == f"{value:.2e}"
            else:
                assert shown == pytest.approx(value, nan_ok=True)
    int8 = next(v for v in result.verdicts if v.label == "INT8")
    assert int8.broke and f"- **INT8**: :red[{int8.text}]." in markdown(at)
    uniform, gaussian = at.metric
    assert uniform.value == f"{result.uniform_sqnr_db:.1f} dB" == "48.1 dB"
    assert gaussian.value == f"{result.gaussian_example.sqnr_db:.1f} dB"


def test_an_exploding_networks_magnitudes_are_shown_not_error_cells():
    """Large random weights: |a| passes 2^53, where Streamlit's number columns show an error
    cell instead of the number (every double there is an integer); magnitudes go as text."""
    query = SMALL | {"init": "large_random", "layers": "20", "width": "256"}
    at = open_page(**query)
    result = run(config_from_values(CONTROLS.parse_query(query).values))
    names = [column.name for column in result.columns if column.kind == "magnitude"]
    largest = max(
        value
        for row in result.table
        for column, value in zip(result.columns, row, strict=True)
        if column.name in names and value is not None and math.isfinite(value)
    )
    assert largest > 2**53
    table = at.dataframe[0].value
    assert f"{largest:.2e}" in {text for name in names for text in table[name]}
    for name in table.columns:
        numbers = table[name]
        if pd.api.types.is_numeric_dtype(numbers) and not pd.api.types.is_bool_dtype(numbers):
            assert not (numbers.abs() > 2**53).any(), name


def test_an_exploding_network_is_shown_as_a_result():
    query = {"init": "large_random", "activation": "linear", "layers": "50", "width": "64"}
    at = open_page(**query, samples="32")
    assert not at.exception and len(at.error) == 0
    result = run(config_from_values(CONTROLS.parse_query(query | {"samples": "32"}).values))
    captions = [caption.value for caption in at.caption]
    for note in result.notes:
        assert note in captions
    assert f"{result.range_note} (dashed lines)." in captions
    assert f"**Earliest failure among the selected formats:** {result.headline}." in markdown(at)
    assert len(at.get("vega_lite_chart")) == DEFAULT_CHARTS


def test_no_format_selected_shows_a_hint_and_no_chart():
    at = open_page(**SMALL, formats="")
    assert not at.exception and warnings(at) == []
    assert [i.value for i in at.info] == ["Pick at least one format in the sidebar."]
    assert len(at.get("vega_lite_chart")) == 0


def test_the_heaviest_request_runs_with_a_note():
    at = open_page(layers="100", width=str(WIDTH.high), samples="10000")
    assert not at.exception and len(at.error) == 0 and warnings(at) == []
    (note,) = [i.value for i in at.info]
    assert note.startswith(f"100 layers × {WIDTH.high:,} units: ") and "instead of 10,000" in note
    assert len(at.get("vega_lite_chart")) == DEFAULT_CHARTS
    assert at.query_params["samples"] == "10000"  # the request stays in the link


# --------------------------------------------------------------------------- deep links


def test_a_deep_link_shows_exactly_its_values():
    query = {
        "init": "normal",
        "std": "1",
        "activation": "tanh",
        "layers": "12",
        "formats": "fp16,int8",
    }
    at = open_page(**query)
    assert not at.exception and warnings(at) == []
    values = {"init": "normal", "std": 1.0, "activation": "tanh", "layers": 12}
    assert {name: shown(at, name) for name in values} == values
    assert shown(at, "formats") == ("fp16", "int8")
    assert {name: at.query_params[name] for name in query} == query
    assert panel_titles(at) == ["FP16", "INT8"]


def test_an_undeclared_parameter_gives_one_warning():
    at = open_page(**SMALL, act="tanh")
    assert not at.exception
    (warning,) = warnings(at)
    assert warning.startswith("URL parameter 'act' is not used on this page and was ignored")
    assert "activation" in warning
    assert shown(at, "activation") == "relu"


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("layers", "abc", "must be an integer in [1, 100]"),
        ("std", "0.3", "must be one of 0.0001, 0.0002"),
        ("formats", "fp16,fp64", "must be one of fp16, bf16, e4m3, e5m2, int8"),
    ],
)
def test_a_bad_value_gives_one_warning_and_the_default(name, text, reason):
    query = SMALL | {"init": "normal", name: text}
    at = open_page(**query)
    assert not at.exception
    (warning,) = warnings(at)
    default = CONTROLS[name].default
    assert warning.startswith(f"URL parameter {name}={text!r} ignored: it {reason}")
    assert warning.endswith(f"using the default {CONTROLS[name].format(default)}.")
    assert shown(at, name) == default
    assert len(at.get("vega_lite_chart")) == DEFAULT_CHARTS


def test_controls_change_the_view_and_the_url():
    at = open_page(**SMALL)
    before = at.dataframe[0].value.to_json()
    at.radio(key=widget_key("calibration", page="quantization")).set_value("first_layer").run()
    assert at.query_params["calibration"] == "first_layer"
    assert at.dataframe[0].value.to_json() != before
    at.multiselect(key=widget_key("formats", page="quantization")).set_value(["bf16", "int8"])
    at.run()
    assert at.query_params["formats"] == "bf16,int8"
    assert panel_titles(at) == ["BF16", "INT8"]


def test_the_link_to_signal_propagation_carries_the_network():
    query = SMALL | {"init": "xavier_normal", "gain": "2", "activation": "leaky_relu"}
    at = open_page(**query, leaky_slope="0.2", calibration="first_layer")
    (link,) = [link for link in at.get("page_link") if link.proto.page == "signal-propagation"]
    carried = dict(parse_qsl(link.proto.query_string))
    parsed = SIMULATION_PAGES["signal_propagation"].parse_query(carried)
    assert parsed.warnings == ()
    assert {name: carried[name] for name in query} == query
    assert carried["leaky_slope"] == "0.2" and "calibration" not in carried


def test_the_signal_propagation_link_opens_this_page_without_warnings():
    query = {"init": "xavier_uniform", "activation": "tanh"} | SMALL
    source = open_page("pages/signal_propagation.py", **query)
    assert source.title[0].value == "Signal propagation"
    (link,) = [link for link in source.get("page_link") if link.proto.page == "quantization"]
    carried = dict(parse_qsl(link.proto.query_string, keep_blank_values=True))
    at = open_page(**carried)
    assert not at.exception and warnings(at) == []
    assert {name: shown(at, name) for name in carried} == {
        name: CONTROLS[name].parse(text) for name, text in carried.items()
    }
    assert shown(at, "init") == "xavier_uniform" and shown(at, "activation") == "tanh"


def test_the_fp16_bar_shows_every_zone_label_whole_on_a_phone():
    """The FP16 bar's legends at a phone's width (the lab's text model): each zone's label
    whole (Vega cut "subnormal: 2.98e-8 to 6.1e-5" at its default 160 px), the layers' colour
    bar within the chart."""
    at = open_page(init="large_random")
    (bar,) = [
        spec
        for spec, _ in charts_with_widths(at)
        if title_lines(spec)[:1] == ["This network's layers on FP16's range"]
    ]
    assert len(legends(bar)) == 2  # the zones and the layers
    assert readability_problems([(bar, PHONE_WIDTH)]) == []


def test_the_fp16_bars_layer_legend_labels_whole_layers():
    """One layer: Vega labelled the layers' colour bar '1.000000'. Layers are whole numbers."""
    at = open_page(layers="1")
    (bar,) = [
        spec
        for spec, _ in charts_with_widths(at)
        if title_lines(spec)[:1] == ["This network's layers on FP16's range"]
    ]
    (layer_legend,) = [legend for channel, legend in legends(bar) if channel["field"] == "layer"]
    assert layer_legend["format"] == "d" and layer_legend["tickMinStep"] == 1


def test_the_statistics_caption_says_which_line_leaves_zeros_out():
    # The RMS counts ReLU's exact zeros; only the small |a| leaves them out. With 8 values a
    # layer's RMS (0.332) sat below its small |a| (0.404) under a caption that said the zeros
    # were left out of every line.
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=30).run()
    at.switch_page("pages/quantization_range.py")
    query = {"init": "he_normal", "activation": "relu"}
    at.query_params.update(query | {"layers": "100", "width": "8", "samples": "1"})
    at.run()
    caption = next(m.value for m in at.markdown if m.value.startswith("Lines: the largest"))
    assert "The small |a| leaves exact zeros out" in caption
    assert "it can even sit below the small |a|" in caption
    # ... as it does in this very network.
    config = config_from_values(CONTROLS.defaults() | dict(query, layers=100, width=8, samples=1))
    ranges = run(config).ranges
    assert any(r.rms < r.low_percentile for r in ranges)
