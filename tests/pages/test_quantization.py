"""AppTest of the Quantization range page (pages/quantization_range.py), inside the app shell.

Expected numbers come from the engine (lab.network.simulate, lab.formats), computed here with
the page's configuration. Paths passed to AppTest.from_file are relative to this file.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from lab.formats import (
    FORMATS,
    analyze_layers,
    first_failure,
    int8_sqnr_examples,
    uniform_int8_sqnr_db,
)
from lab.network import NetworkConfig, simulate
from pages.common import widget_key

TIMEOUT = 120  # the first run analyses 2.6 million values; CI machines can be busy
PAGE = "pages/quantization_range.py"
#: A small network for the tests that do not need the default one (fast to analyse).
SMALL = {"layers": "6", "width": "32", "samples": "64"}
DEFAULT_TEXT = {
    "init": "he_normal",
    "activation": "relu",
    "layers": "20",
    "width": "256",
    "input_std": "1.0",
    "samples": "512",
    "seed": "0",
    "calibration": "per_layer",
    "formats": "fp16,bf16,e4m3,e5m2,int8",
}
PANEL_TITLES = ["FP16", "BF16", "FP8 E4M3", "FP8 E5M2", "INT8"]


def open_page(page: str = PAGE, **query: str) -> AppTest:
    """The app opened on ``page`` with ``query`` in the URL, as a pasted link would.

    The shell runs once first: before a run AppTest can only find pages whose url_path is
    their file name (see AppTest.switch_page)."""
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    at.switch_page(page)
    return at.run()


def key(name: str) -> str:
    return widget_key(name, page="quantization")


def specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def chart_rows(at: AppTest, index: int) -> list[dict]:
    """Every data row of chart ``index`` (Streamlit ships the datasets as Arrow bytes)."""
    chart = at.get("vega_lite_chart")[index]
    return [
        row
        for dataset in chart.proto.datasets
        for row in convert_arrow_bytes_to_pandas_df(dataset.data.data).to_dict("records")
    ]


def markdown(at: AppTest) -> str:
    return "\n".join(element.value for element in at.markdown)


def layer_table(at: AppTest):
    return at.dataframe[0].value


def view(at: AppTest) -> tuple:
    """Everything the page shows that depends on the controls."""
    return (
        json.dumps(specs(at), sort_keys=True),
        [
            dataset.data.data
            for chart in at.get("vega_lite_chart")
            for dataset in chart.proto.datasets
        ],
        layer_table(at).to_json(),
        markdown(at),
        tuple(element.value for element in at.success),
    )


def engine(calibration: str = "per_layer", **overrides):
    """The page's simulation and per-layer reports, computed directly."""
    settings = {"init": "he_normal", "activation": "relu", "layers": 20, "width": 256}
    settings |= {"input_std": 1.0, "samples": 512, "seed": 0} | overrides
    result = simulate(NetworkConfig(keep_activations=True, **settings))
    return result, analyze_layers(result.activations, calibration)


# --------------------------------------------------------------------------- default view


def test_default_view_he_relu_breaks_nothing():
    at = open_page()
    assert not at.exception
    assert len(at.warning) == 0 and len(at.error) == 0
    assert at.title[0].value == "Quantization range"
    assert at.query_params == DEFAULT_TEXT
    panels, bar = specs(at)
    assert [panel["title"]["text"] for panel in panels["concat"]] == PANEL_TITLES
    assert bar["title"]["text"] == "FP16 dynamic range and this network's layers"
    # He + ReLU keeps every layer near unit scale: no format breaks.
    assert [s.value for s in at.success] == [
        "None of the selected formats breaks in any of the 20 layers."
    ]
    table = layer_table(at)
    assert list(table["layer"]) == list(range(1, 21))
    for column in ("FP16 overflow", "BF16 overflow", "FP8 E4M3 overflow", "INT8 clipped"):
        assert (table[column] == 0).all(), column
    assert "**FP16**: :green[nothing overflows" in markdown(at)


def test_table_holds_the_engine_numbers():
    at = open_page(**SMALL, calibration="first_layer")
    _, reports = engine("first_layer", layers=6, width=32, samples=64)
    table = layer_table(at)
    assert list(table["INT8 SQNR (dB)"]) == pytest.approx([r.int8.sqnr_db for r in reports])
    assert list(table["INT8 clipped"]) == pytest.approx([r.int8.frac_clipped for r in reports])
    assert list(table["largest |a|"]) == pytest.approx([r.max_abs for r in reports])
    assert list(table["FP8 E4M3 → 0"]) == pytest.approx(
        [r.casts["float8_e4m3fn"].frac_flushed_to_zero for r in reports]
    )
    assert list(table["FP16 subnormal"]) == pytest.approx(
        [r.casts["float16"].frac_subnormal for r in reports]
    )


def test_zones_come_from_the_format_limits():
    at = open_page(**SMALL)
    rows = [row for row in chart_rows(at, 0) if isinstance(row.get("detail"), str)]
    fp16 = FORMATS["float16"]
    (represented,) = [
        r for r in rows if r["band"] == "represented" and r["detail"].startswith("FP16:")
    ]
    assert represented["low"] == fp16.smallest_normal and represented["high"] == fp16.max
    (subnormal,) = [r for r in rows if r["band"] == "subnormal" and r["detail"].startswith("FP16:")]
    assert subnormal["low"] == fp16.smallest_subnormal
    # The FP16 bar carries the labels of lab.formats.dynamic_range_bands.
    labels = {row.get("label") for row in chart_rows(at, 1)}
    assert {"< 0.001", "[-3, 3]", "> 65,504"} <= labels


# --------------------------------------------------------------------------- deep links


def test_link_from_signal_propagation_shows_fp16_overflow_at_the_right_layer():
    # The parameters the Signal propagation page links with (a narrower net keeps it quick).
    query = {"init": "large_random", "activation": "relu", "layers": "30", "width": "64"}
    at = open_page(**query, input_std="1.0", samples="128", seed="0")
    assert not at.exception and len(at.warning) == 0
    assert at.selectbox(key=key("init")).value == "large_random"
    assert at.slider(key=key("layers")).value == 30
    _, reports = engine(init="large_random", layers=30, width=64, samples=128)
    overflowing = [r.layer for r in reports if r.casts["float16"].frac_overflow > 0]
    first = overflowing[0]
    sentence = first_failure(reports, ["float16"])
    assert sentence.startswith(f"FP16 overflows first, at layer {first} ")
    assert f"**FP16**: :red[{sentence}]." in markdown(at)
    column = list(layer_table(at)["FP16 overflow"])
    assert all(share == 0 for share in column[: first - 1]) and column[first - 1] > 0


def test_the_signal_propagation_link_opens_this_page_without_warnings():
    query = {"init": "xavier_uniform", "activation": "tanh"} | SMALL
    source = open_page("pages/signal_propagation.py", **query)
    assert source.title[0].value == "Signal propagation"
    (link,) = [link for link in source.page_link if link.proto.page == "quantization"]
    query = dict(parse_qsl(link.proto.query_string, keep_blank_values=True))
    assert {"init", "activation", "layers", "width", "input_std", "samples", "seed"} <= set(query)
    at = open_page(**query)
    assert not at.exception and len(at.warning) == 0
    assert {name: at.query_params[name] for name in query} == query
    assert at.selectbox(key=key("init")).value == "xavier_uniform"


def test_round_trip_reproduces_the_view():
    query = {
        "init": "xavier_normal",
        "activation": "tanh",
        "layers": "7",
        "width": "48",
        "input_std": "2.0",
        "samples": "96",
        "seed": "5",
        "calibration": "first_layer",
        "formats": "fp16,e4m3,int8",
    }
    first = open_page(**query)
    assert len(first.warning) == 0
    assert first.query_params == query
    assert first.selectbox(key=key("activation")).value == "tanh"
    assert first.select_slider(key=key("input_std")).value == 2.0
    assert first.radio(key=key("calibration")).value == "first_layer"
    assert [p["title"]["text"] for p in specs(first)[0]["concat"]] == ["FP16", "FP8 E4M3", "INT8"]
    second = open_page(**dict(first.query_params))
    assert view(second) == view(first)
    (link,) = second.page_link
    assert link.proto.page == "signal-propagation"
    assert link.proto.query_string == (
        "init=xavier_normal&activation=tanh&layers=7&width=48&input_std=2.0&samples=96&seed=5"
    )


def test_every_control_changes_the_view_and_the_url():
    at = open_page(**SMALL)
    changes = [
        ("init", lambda: at.selectbox(key=key("init")).set_value("xavier_normal"), "xavier_normal"),
        ("activation", lambda: at.selectbox(key=key("activation")).set_value("tanh"), "tanh"),
        ("layers", lambda: at.slider(key=key("layers")).set_value(8), "8"),
        ("width", lambda: at.number_input(key=key("width")).set_value(40), "40"),
        ("input_std", lambda: at.select_slider(key=key("input_std")).set_value(5.0), "5.0"),
        ("samples", lambda: at.number_input(key=key("samples")).set_value(80), "80"),
        ("seed", lambda: at.number_input(key=key("seed")).set_value(3), "3"),
        (
            "calibration",
            lambda: at.radio(key=key("calibration")).set_value("first_layer"),
            "first_layer",
        ),
        (
            "formats",
            lambda: at.multiselect(key=key("formats")).set_value(["bf16", "int8"]),
            "bf16,int8",
        ),
    ]
    for name, change, text in changes:
        before = view(at)
        change()
        at.run()
        assert not at.exception, name
        assert at.query_params[name] == text, name
        assert view(at) != before, name


# --------------------------------------------------------------------------- bad URLs


BAD_VALUES = [
    ("layers", "abc", "layers must be an integer in [1, 100]"),
    ("layers", "101", "layers must be an integer in [1, 100]"),
    ("width", "1", "width must be an integer in [2, 2048]"),
    ("input_std", "nan", "input_std must be a finite number in [0.001, 1000]"),
    ("input_std", "0.3", "input_std must be one of 0.001, 0.002, 0.005"),
    ("samples", "0", "samples must be an integer in [1, 10000]"),
    ("seed", "-1", "seed must be an integer in [0, 999999]"),
    ("init", "randn", "init must be one of zeros, constant"),
    ("activation", "softmax", "activation must be one of linear, relu"),
    ("calibration", "both", "calibration must be one of per_layer, first_layer"),
    ("formats", "fp16,fp64", "formats must be one of fp16, bf16, e4m3, e5m2, int8"),
]


@pytest.mark.parametrize(
    ("name", "text", "reason"), BAD_VALUES, ids=[b[0] + "=" + b[1] for b in BAD_VALUES]
)
def test_bad_url_value_gives_one_warning_and_the_default(name, text, reason):
    at = open_page(**(SMALL | {name: text}))
    assert not at.exception
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith(f"URL parameter {name}={text!r} ignored: {reason}")
    assert warning.endswith(f"; using {DEFAULT_TEXT[name]}.")
    assert at.query_params[name] == DEFAULT_TEXT[name]
    assert len(at.get("vega_lite_chart")) == 2


def test_too_big_a_network_gets_one_line_saying_what_is_allowed():
    at = open_page(samples="10000", width="2048", layers="100")
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert error.startswith("samples x width x layers must be at most 16,777,216")
    assert "got 10,000 x 2,048 x 100 = 2,048,000,000" in error
    assert len(at.get("vega_lite_chart")) == 0


# --------------------------------------------------------------------------- results


def test_float32_overflow_is_shown_as_a_result():
    query = {"init": "large_random", "activation": "linear", "layers": "50"}
    at = open_page(**query, width="64", samples="32")
    assert not at.exception and len(at.error) == 0
    result, reports = engine(init="large_random", activation="linear", layers=50, width=64,
                             samples=32)  # fmt: skip
    assert result.overflow_message is not None
    assert any(result.overflow_message in c.value for c in at.caption)
    bf16 = first_failure(reports, ["bfloat16"])
    assert bf16.startswith(
        f"The activations are already inf/NaN at layer {result.first_nonfinite_layer} "
    )
    assert f"**BF16**: :red[{bf16}]." in markdown(at)
    assert len(at.get("vega_lite_chart")) == 2


def test_a_scale_calibrated_on_layer_one_loses_a_vanishing_network():
    query = {"init": "xavier_normal", "layers": "12", "width": "64", "samples": "64"}
    at = open_page(**query, calibration="first_layer")
    _, reports = engine("first_layer", init="xavier_normal", layers=12, width=64, samples=64)
    sentence = first_failure(reports, ["int8"])
    assert sentence is not None and "loses" in sentence
    assert f"**INT8**: :red[{sentence}]." in markdown(at)
    # Per-layer calibration follows the shrinking signal: INT8 stays intact.
    at.radio(key=key("calibration")).set_value("per_layer").run()
    _, per_layer = engine(init="xavier_normal", layers=12, width=64, samples=64)
    assert first_failure(per_layer, ["int8"]) is None
    assert "**INT8**: :green[" in markdown(at)


def test_no_format_selected_shows_a_hint_and_no_chart():
    at = open_page(**SMALL, formats="")
    assert not at.exception and len(at.warning) == 0
    assert [i.value for i in at.info] == ["Pick at least one format in the sidebar."]
    assert len(at.get("vega_lite_chart")) == 0


def test_sqnr_numbers_come_from_the_engine():
    at = open_page(**SMALL)
    examples = int8_sqnr_examples()
    largest = max(e.samples for e in examples)
    gaussian = next(e for e in examples if e.distribution == "gaussian" and e.samples == largest)
    uniform, normal = at.metric
    assert uniform.value == f"{uniform_int8_sqnr_db():.1f} dB" == "48.1 dB"
    assert normal.value == f"{gaussian.sqnr_db:.1f} dB"
    table = at.dataframe[1].value
    assert list(table["SQNR measured (dB)"]) == pytest.approx([e.sqnr_db for e in examples])
