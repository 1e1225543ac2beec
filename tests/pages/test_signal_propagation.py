"""AppTest of pages/signal_propagation.py inside the app shell (its link to the Quantization page
needs the navigation). Expected numbers come from the engine (lab.experiments.signal_propagation)
with the page's configuration; small networks via query parameters keep the file fast."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from lab.controls.network import WIDTH
from lab.controls.registry import SIMULATION_PAGES
from lab.controls.signal_propagation import CONTROLS
from lab.experiments.signal_propagation import SIMULATED, THEORY, config_from_values, run
from lab.network import fit_samples
from pages.ui.charts import LINE_DASH
from tests.pages.deep_links import open_link, shown_values

TIMEOUT = 60  # the first run imports the engine and Altair; CI machines can be busy
PAGE_FILE = "pages/signal_propagation.py"
PAGE_KEY = "signal_propagation"
SMALL = {"layers": "6", "width": "64", "samples": "100"}
CHARTS = 4  # forward std, dL/da, dL/dW, network view


def open_page(**query: str) -> AppTest:
    """The app on the Signal propagation page with these URL parameters."""
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT).run()
    at.query_params.update(query)
    at.switch_page(PAGE_FILE).run()
    assert not at.exception
    return at


def shown(at: AppTest, *names: str) -> dict[str, object]:
    return shown_values(at, PAGE_KEY, names or CONTROLS.names)


def warnings(at: AppTest) -> list[str]:
    """The warnings as a student reads them (without the backslashes that keep them literal)."""
    return [re.sub(r"\\(.)", r"\1", warning.value) for warning in at.warning]


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def expected(**query: str):
    """The engine's result for the page opened with ``query``."""
    return run(config_from_values(CONTROLS.parse_query(query).values))


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


def line_values(spec: dict, series: str) -> dict[int, float]:
    """{layer: std} of one line of a log_line_chart spec (only the plottable points)."""
    source = spec["layer"][0].get("data", spec.get("data"))  # a lone layer uses the top level's
    data = spec["datasets"][source["name"]]
    return {int(row["x"]): row["y"] for row in data if row["series"] == series}


def view(at: AppTest) -> tuple:
    """Everything a student sees that depends on the controls."""
    captions = tuple(caption.value for caption in at.caption)
    specs = json.dumps(chart_specs(at), sort_keys=True, default=str)
    return tuple(sorted(metrics(at).items())), captions, specs


def link_query(at: AppTest) -> dict[str, str]:
    (link,) = at.page_link
    assert link.proto.page == "quantization"
    return dict(parse_qsl(link.proto.query_string))


# --------------------------------------------------------------------------- default view


def test_default_view_shows_the_engines_cards_charts_table_and_link():
    at = open_page()
    assert at.title[0].value == "Signal propagation"
    assert warnings(at) == [] and len(at.error) == 0 and len(at.info) == 0
    defaults = CONTROLS.applied(CONTROLS.defaults())
    assert dict(at.query_params) == CONTROLS.query(defaults)
    result = run(config_from_values({}))
    assert metrics(at) == {card.label: card.value for card in result.cards}
    assert metrics(at)["Signal state"] == "healthy" and metrics(at)["Match verdict"] == "match"
    specs = chart_specs(at)
    assert len(specs) == CHARTS
    simulated = line_values(specs[0], SIMULATED)
    theory = line_values(specs[0], THEORY)
    assert simulated == dict(enumerate(result.forward.simulated))
    # He + ReLU: theory post std sqrt(1 - 1/pi) = 0.8256 at every layer (reference.md).
    assert sorted(theory) == list(range(21))
    assert all(abs(theory[layer] - 0.8256) < 1e-3 for layer in range(1, 21))
    (table,) = at.dataframe
    assert list(table.value["layer"]) == list(range(1, 21))
    assert list(table.value["status"]) == [row["status"] for row in result.table]
    assert any(r"\operatorname{Var}(z_l)" in latex.value for latex in at.latex)
    quantization = SIMULATION_PAGES["quantization"]
    assert link_query(at) == quantization.query(defaults)


# --------------------------------------------------------------------------- deep links


def test_a_deep_link_shows_exactly_its_values_and_no_warning():
    query = {"init": "normal", "std": "0.5", "activation": "tanh", "layers": "30"}
    at = open_page(**query)
    assert warnings(at) == [] and len(at.error) == 0
    assert shown(at, *query) == {"init": "normal", "std": 0.5, "activation": "tanh", "layers": 30}
    assert {name: at.query_params[name] for name in query} == query
    result = expected(**query)
    assert result.heading == "Normal (std 0.5) + tanh, 30 layers of 256 units"
    assert at.subheader[0].value == result.heading
    assert metrics(at) == {card.label: card.value for card in result.cards}


def test_an_undeclared_parameter_gives_one_warning_naming_it():
    at = open_page(neurons="5", **SMALL)
    (warning,) = warnings(at)
    assert warning.startswith("URL parameter 'neurons' is not used on this page")
    assert "neurons" not in at.query_params
    assert len(at.get("vega_lite_chart")) == CHARTS


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("layers", "1000", "must be an integer in [1, 100]"),
        ("width", "2048", "must be an integer in [2, 512]"),
        ("input_std", "nan", "must be a finite number in [0.001, 1000]"),
        ("bias_std", "0.3", "must be one of 0, 0.01, 0.02"),
    ],
)
def test_a_bad_value_gives_one_warning_and_the_default(name, text, reason):
    at = open_page(**{name: text})
    (warning,) = warnings(at)
    default = CONTROLS[name].format(CONTROLS[name].default)
    assert warning.startswith(f"URL parameter {name}={text!r} ignored: it {reason}")
    assert warning.endswith(f"; using the default {default}.")
    assert shown(at, name) == {name: CONTROLS[name].default}
    assert at.query_params[name] == default
    assert len(at.get("vega_lite_chart")) == CHARTS


def test_markdown_in_a_url_value_is_shown_literally():
    at = open_page(init="[x](http://evil)", **SMALL)
    (warning,) = at.warning
    assert "[x](http" not in warning.proto.body  # escaped: the renderer draws no link
    assert "URL parameter init='[x](http://evil)' ignored" in warnings(at)[0]
    assert shown(at, "init") == {"init": CONTROLS["init"].default}


def test_deep_link_round_trip_reproduces_the_view():
    first = open_page(**SMALL)
    first.selectbox(key=f"ctl:{PAGE_KEY}:init").select("xavier_uniform")
    first.selectbox(key=f"ctl:{PAGE_KEY}:activation").select("tanh")
    first.select_slider(key=f"ctl:{PAGE_KEY}:bias_std").set_value(0.05)
    first.run()
    copied = dict(first.query_params)
    assert copied["init"] == "xavier_uniform" and copied["bias_std"] == "0.05"
    second = open_page(**copied)
    assert warnings(second) == []
    assert dict(second.query_params) == copied
    assert view(second) == view(first)


@pytest.mark.parametrize(
    ("name", "widget", "value"),
    [
        ("init", "selectbox", "lecun_normal"),
        ("layers", "slider", 9),
        ("width", "number_input", 96),
        ("seed", "number_input", 7),
    ],
)
def test_each_control_changes_the_view_and_the_url(name, widget, value):
    at = open_page(**SMALL)
    before = view(at)
    element = getattr(at, widget)(key=f"ctl:{PAGE_KEY}:{name}")
    if widget == "selectbox":
        element.select(value)
    else:
        element.set_value(value)
    at.run()
    assert not at.exception
    assert at.query_params[name] == str(value)
    assert view(at) != before


# --------------------------------------------------------------------------- results


def test_overflow_is_a_result_with_its_layer():
    at = open_page(init="large_random", layers="50", samples="100")
    result = expected(init="large_random", layers="50", samples="100")
    assert warnings(at) == list(result.warnings)
    layer = int(warnings(at)[0].removeprefix("overflow: inf/NaN at layer ").split(":")[0])
    assert metrics(at)["Signal state"] == "overflow"
    forward, _, _, network = chart_specs(at)
    assert max(line_values(forward, SIMULATED)) == layer - 1
    assert f"{SIMULATED}: inf/NaN from layer {layer}" in forward["title"]["subtitle"]
    kinds = {row["kind"] for rows in network["datasets"].values() for row in rows}
    assert "overflow" in kinds


def test_weights_with_a_mean_have_no_theory_line():
    at = open_page(init="rand", activation="tanh", **SMALL)
    assert metrics(at)["Mean-field phase"] == "not applicable"
    assert any(c.value.startswith("No theory line: rand has mean 0.5") for c in at.caption)
    assert line_values(chart_specs(at)[0], THEORY) == {}


def test_the_largest_network_runs_with_a_budget_note():
    query = {"layers": "100", "width": str(WIDTH.high), "samples": "10000"}
    at = open_page(**query)
    assert warnings(at) == [] and len(at.error) == 0
    (note,) = [info.value for info in at.info]
    config = config_from_values(CONTROLS.parse_query(query).values)
    assert note == fit_samples(config.network())[1].note
    assert note.startswith(f"100 layers × {WIDTH.high:,} units: ") and "instead of 10,000" in note
    # The request stays in the URL and the widget; the note says what ran.
    assert at.query_params["samples"] == "10000" and shown(at, "samples") == {"samples": 10_000}
    assert len(at.get("vega_lite_chart")) == CHARTS


# --------------------------------------------------------------------------- link


def test_the_quantization_link_carries_the_network_and_opens_it():
    query = {
        "init": "xavier_uniform",
        "gain": "2",
        "activation": "leaky_relu",
        "leaky_slope": "0.2",
        "layers": "8",
        "width": "64",
        "samples": "100",
        "bias_std": "0.05",
        "seed": "3",
    }
    at = open_page(**query)
    carried = link_query(at)
    assert carried == query | {"input_std": "1"}
    target = open_link("./quantization?" + at.page_link[0].proto.query_string)
    assert len(target.warning) == 0
    quantization = SIMULATION_PAGES["quantization"]
    assert shown_values(target, "quantization", carried) == {
        name: quantization[name].parse(text) for name, text in carried.items()
    }


def test_the_theory_is_dashed_over_the_simulation():
    """He + ReLU: theory and simulation agree, so a solid theory line under the simulation's
    was hidden. The theory comes second (drawn on top) and dashed, the simulation solid."""
    at = open_page(**SMALL)
    for spec in chart_specs(at)[:3]:
        (line,) = [layer for layer in spec["layer"] if layer["mark"]["type"] == "line"]
        dash = line["encoding"]["strokeDash"]["scale"]
        assert dash["domain"] == [SIMULATED, THEORY]
        assert dash["range"][0] == [1, 0] and dash["range"][1] == list(LINE_DASH)
        rows = spec["datasets"][line.get("data", spec.get("data"))["name"]]
        order = list(dict.fromkeys(row["series"] for row in rows))
        assert order == [SIMULATED, THEORY]  # Vega draws the groups in this order
    theory = line_values(chart_specs(at)[0], THEORY)
    simulated = line_values(chart_specs(at)[0], SIMULATED)
    assert theory.keys() == simulated.keys() and len(theory) > 1
