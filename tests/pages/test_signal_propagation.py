"""AppTest of pages/signal_propagation.py, run inside the app shell (its link to the Quantization
page needs the navigation). Small networks via query parameters keep the file fast."""

from __future__ import annotations

import json

import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from lab.diagnosis import match_verdict
from pages.common import widget_key

TIMEOUT = 60
PAGE_FILE = "pages/signal_propagation.py"
PAGE_KEY = "signal_propagation"
SMALL = {"layers": "6", "width": "64", "samples": "100"}
DEFAULT_TEXT = {
    "init": "he_normal",
    "activation": "relu",
    "layers": "20",
    "width": "256",
    "input_std": "1.0",
    "samples": "500",
    "seed": "0",
    "bias_std": "0.0",
}
DEFAULT_VALUES = {
    "init": "he_normal",
    "activation": "relu",
    "layers": 20,
    "width": 256,
    "input_std": 1.0,
    "samples": 500,
    "seed": 0,
    "bias_std": 0.0,
}
CHARTS = 4  # forward std, dL/da, dL/dW, network view


def open_page(**query: str) -> AppTest:
    """The app on the Signal propagation page with these URL parameters."""
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT).run()
    at.query_params.update(query)
    at.switch_page(PAGE_FILE).run()
    assert not at.exception
    return at


def key(name: str) -> str:
    return widget_key(name, page=PAGE_KEY)


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def chart_specs(at: AppTest) -> list[dict]:
    """Each chart's Vega-Lite spec, with its datasets (sent separately, as Arrow) put back in."""
    specs = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        spec["datasets"] = {
            dataset.name: convert_arrow_bytes_to_pandas_df(dataset.data.data).to_dict("records")
            for dataset in chart.proto.datasets
        }
        specs.append(spec)
    return specs


def view(at: AppTest) -> tuple:
    """Everything a student sees that depends on the controls."""
    captions = tuple(caption.value for caption in at.caption)
    specs = json.dumps(chart_specs(at), sort_keys=True, default=str)
    return tuple(sorted(metrics(at).items())), captions, specs


def line_values(spec: dict, series: str) -> dict[int, float]:
    """{layer: std} of one line of a log_line_chart spec (only the plottable points)."""
    source = spec["layer"][0].get("data", spec.get("data"))  # a lone layer uses the top level's
    data = spec["datasets"][source["name"]]
    return {int(row["x"]): row["y"] for row in data if row["series"] == series}


# --------------------------------------------------------------------------- default view


def test_default_view_shows_cards_charts_table_and_link():
    at = open_page()
    assert at.title[0].value == "Signal propagation"
    assert len(at.warning) == 0 and len(at.error) == 0
    assert at.query_params == DEFAULT_TEXT
    cards = metrics(at)
    assert cards["Signal state"] == "healthy"
    assert cards["Recommended for ReLU"] == "He/Kaiming normal"
    assert cards["Match verdict"] == "match"
    assert cards["Mean-field phase"] == "critical"
    assert cards["Ratio to input (RMS)"] != "inf/NaN"
    specs = chart_specs(at)
    assert len(specs) == CHARTS
    forward = specs[0]
    simulated = line_values(forward, "simulation")
    theory = line_values(forward, "theory (infinite width)")
    assert sorted(simulated) == list(range(21)) and sorted(theory) == list(range(21))
    # He + ReLU: theory post std sqrt(1 - 1/pi) = 0.8256 at every layer (reference.md), and
    # the simulation is not flat at one value.
    assert all(abs(theory[layer] - 0.8256) < 1e-3 for layer in range(1, 21))
    assert len({round(value, 6) for value in simulated.values()}) > 10
    (table,) = at.dataframe
    assert list(table.value["layer"]) == list(range(1, 21))
    assert set(table.value["status"]) == {"healthy"}
    (link,) = at.page_link
    assert link.proto.page == "quantization"
    assert dict(pair.split("=") for pair in link.proto.query_string.split("&")) == {
        name: DEFAULT_TEXT[name]
        for name in ("init", "activation", "layers", "width", "input_std", "seed", "samples")
    }
    assert any(r"\operatorname{Var}(z_l)" in latex.value for latex in at.latex)


# --------------------------------------------------------------------------- cards per init


def test_xavier_relu_vanishes_and_mismatches():
    at = open_page(init="xavier_normal", layers="12", samples="200")
    cards = metrics(at)
    assert cards["Signal state"] == "vanishing"
    assert cards["Match verdict"] == "mismatch"
    assert cards["Mean-field phase"] == "ordered"
    # Ratio ~ 1/64 after 12 layers (reference.md): well below the vanishing threshold.
    assert float(cards["Ratio to input (RMS)"]) < 0.05
    reason = match_verdict("xavier_normal", "relu", width=256).reason
    assert reason in [caption.value for caption in at.caption]


def test_he_relu_is_healthy():
    at = open_page(init="he_normal", layers="12", samples="200")
    cards = metrics(at)
    assert (cards["Signal state"], cards["Match verdict"]) == ("healthy", "match")
    assert 0.5 < float(cards["Ratio to input (RMS)"]) < 2.0


def test_large_random_overflow_is_a_result_with_its_layer():
    at = open_page(init="large_random", layers="50", samples="100")
    cards = metrics(at)
    assert cards["Signal state"] == "overflow"
    assert cards["Final-layer std"] == "inf/NaN"
    assert cards["Mean-field phase"] == "chaotic"
    warnings = [warning.value for warning in at.warning]
    assert any(text.startswith("overflow: inf/NaN at layer ") for text in warnings)
    layer = int(warnings[0].removeprefix("overflow: inf/NaN at layer ").split(":")[0])
    assert 1 < layer < 50
    assert any(caption.value.startswith(f"overflow at layer {layer}") for caption in at.caption)
    # The forward chart stops the simulation at the overflow and says so.
    forward = chart_specs(at)[0]
    assert max(line_values(forward, "simulation")) == layer - 1
    assert f"simulation: inf/NaN from layer {layer}" in forward["title"]["subtitle"]
    network = chart_specs(at)[3]
    kinds = {row["kind"] for rows in network["datasets"].values() for row in rows}
    assert "overflow" in kinds


def test_zero_weights_are_dead_and_never_match():
    at = open_page(init="zeros", **SMALL)
    cards = metrics(at)
    assert cards["Signal state"] == "dead"
    assert cards["Match verdict"] == "never"
    assert cards["Final-layer std"] == "0"
    forward = chart_specs(at)[0]
    assert "simulation: 0 from layer 1" in forward["title"]["subtitle"]


def test_weights_with_a_mean_have_no_theory_line():
    at = open_page(init="rand", activation="tanh", **SMALL)
    assert metrics(at)["Mean-field phase"] == "not applicable"
    captions = [caption.value for caption in at.caption]
    assert any(text.startswith("No theory line: rand has mean 0.5") for text in captions)
    assert line_values(chart_specs(at)[0], "theory (infinite width)") == {}


# --------------------------------------------------------------------------- every control


CONTROL_CHANGES = [
    ("init", "selectbox", "lecun_normal"),
    ("activation", "selectbox", "tanh"),
    ("layers", "slider", 9),
    ("width", "number_input", 96),
    ("input_std", "select_slider", 2.0),
    ("samples", "number_input", 150),
    ("seed", "number_input", 7),
    ("bias_std", "select_slider", 0.1),
]


@pytest.mark.parametrize(("name", "widget", "value"), CONTROL_CHANGES)
def test_each_control_changes_the_view_and_the_url(name, widget, value):
    at = open_page(**SMALL)
    before = view(at)
    element = getattr(at, widget)(key=key(name))
    if widget == "selectbox":
        element.select(value)
    else:
        element.set_value(value)
    at.run()
    assert not at.exception
    assert at.query_params[name] == str(value)
    assert view(at) != before


# --------------------------------------------------------------------------- deep links


def test_deep_link_round_trip_reproduces_the_view():
    first = open_page(**SMALL)
    first.selectbox(key=key("init")).select("xavier_uniform")
    first.selectbox(key=key("activation")).select("tanh")
    first.slider(key=key("layers")).set_value(8)
    first.select_slider(key=key("input_std")).set_value(0.5)
    first.number_input(key=key("seed")).set_value(3)
    first.select_slider(key=key("bias_std")).set_value(0.05)
    first.run()
    copied = dict(first.query_params)
    assert copied["init"] == "xavier_uniform" and copied["bias_std"] == "0.05"

    second = open_page(**copied)
    assert len(second.warning) == 0
    assert dict(second.query_params) == copied
    assert view(second) == view(first)


BAD_QUERIES = [
    ("init", "magic", "init must be one of zeros, "),
    ("activation", "softmax", "activation must be one of linear, relu, "),
    ("layers", "1000", "layers must be an integer in [1, 100]"),
    ("layers", "abc", "layers must be an integer in [1, 100]"),
    ("width", "1", "width must be an integer in [2, 2048]"),
    ("width", "4.5", "width must be an integer in [2, 2048]"),
    ("input_std", "1e6", "input_std must be a finite number in [0.001, 1000]"),
    ("input_std", "nan", "input_std must be a finite number in [0.001, 1000]"),
    ("input_std", "0.3", "input_std must be one of 0.001, 0.002"),
    ("samples", "0", "samples must be an integer in [1, 10000]"),
    ("seed", "-1", "seed must be an integer in [0, 999999]"),
    ("seed", "1e6", "seed must be an integer in [0, 999999]"),
    ("bias_std", "0.3", "bias_std must be one of 0, 0.01, 0.02"),
    ("bias_std", "-inf", "bias_std must be a finite number in [0, 1]"),
]


@pytest.mark.parametrize(("name", "text", "reason"), BAD_QUERIES)
def test_bad_query_value_gives_one_warning_and_the_default(name, text, reason):
    at = open_page(**{name: text})
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith(f"URL parameter {name}={text!r} ignored: {reason}")
    assert warning.endswith(f"; using {DEFAULT_TEXT[name]}.")
    assert at.session_state[key(name)] == DEFAULT_VALUES[name]
    assert at.query_params[name] == DEFAULT_TEXT[name]
    assert len(at.get("vega_lite_chart")) == CHARTS


def test_memory_budget_is_one_line_saying_what_to_shrink():
    at = open_page(layers="100", width="2048", samples="10000")
    (error,) = [e.value for e in at.error]
    assert "over the memory budget" in error
    assert "reduce samples (10000), width (2048) or layers (100)" in error
    assert "\n" not in error
    assert len(at.get("vega_lite_chart")) == 0
