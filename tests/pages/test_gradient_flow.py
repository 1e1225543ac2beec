"""AppTest of pages/gradient_flow.py (run standalone: its controls use the page key "app").

Every displayed number is compared with lab.gradient_flow called directly. Most tests open the
page with small sizes through the URL to stay fast; the engine results are cached per process.
"""

from __future__ import annotations

import json
import math

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from lab.gradient_flow import DEFAULT_SAMPLES, compare, many_runs
from pages.common import widget_key

TIMEOUT = 60
PAGE = "../../pages/gradient_flow.py"
DEFAULT_QUERY = {
    "layers": "10",
    "neurons": "50",
    "features": "64",
    "seed": "0",
    "uniform": "rand",
    "n": "20",
    "runs": "0",
}
#: A small configuration for the tests that do not need the defaults.
SMALL = {"layers": "4", "neurons": "10", "features": "8"}
CHART_TITLES = [
    "Gradient magnitude per layer (mean |dL/dW|), output layer on the right",
    "Where the pre-activations land",
    "Varying the number of layers",
    "Varying neurons per layer",
    "Varying input features",
]


def open_page(**query: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.query_params.update(query)
    return at.run()


def key(name: str) -> str:
    return widget_key(name, page="app")


def specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def titles(at: AppTest) -> list[str]:
    return [spec["title"]["text"] for spec in specs(at)]


def chart_frames(at: AppTest, index: int) -> list:
    """The data frames behind chart ``index`` (Streamlit ships them as Arrow)."""
    chart = at.get("vega_lite_chart")[index]
    return [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets]


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def view(at: AppTest) -> tuple:
    """What the student sees: metrics, captions, info boxes and chart specs and data."""
    data = tuple(
        tuple(frame.to_json() for frame in chart_frames(at, i))
        for i in range(len(at.get("vega_lite_chart")))
    )
    return (
        tuple(metrics(at).items()),
        tuple(c.value for c in at.caption),
        tuple(i.value for i in at.info),
        tuple(json.dumps(s, sort_keys=True) for s in specs(at)),
        data,
    )


# --------------------------------------------------------------------------- default view


def test_default_view_shows_the_rand_comparison():
    at = open_page()
    assert not at.exception
    assert len(at.warning) == 0 and len(at.error) == 0
    assert at.title[0].value == "Gradient flow: rand vs randn"
    assert at.query_params == DEFAULT_QUERY
    assert titles(at) == CHART_TITLES
    expected = compare(10, 50, 64, DEFAULT_SAMPLES, 0, "rand")
    shown = metrics(at)
    assert shown["rand: U[0, 1)"] == "0"
    assert shown["randn: N(0, 1)"] == f"{expected.normal.final_gradient:.3g}"
    assert shown["normal / uniform"] == "∞"
    assert shown["larger gradient"] == "normal"
    # The gradient chart: randn's line per layer, rand's zeros marked instead of dropped.
    gradient = specs(at)[0]
    assert gradient["title"]["subtitle"] == "Not on the log axis: rand: U[0, 1): 0 from layer 1"
    (points, *_) = chart_frames(at, 0)
    assert points["y"].tolist() == pytest.approx(expected.normal.gradient.tolist(), rel=1e-12)
    # The |z| chart: saturated shares from the engine, shared bins, a rule at |z| = 2.
    z_spec = specs(at)[1]
    assert z_spec["title"]["subtitle"] == (
        f"Saturated (|z| > 2): rand: U[0, 1) {expected.uniform.z.saturated_share:.1%}; "
        f"randn: N(0, 1) {expected.normal.z.saturated_share:.1%}"
    )
    bars = chart_frames(at, 1)[0]
    rand_bars = bars[bars["scheme"] == "rand: U[0, 1)"]
    assert rand_bars["count"].tolist() == expected.uniform.z.counts.tolist()
    # rand's gradient is exactly 0 at every layer: said in words, not only drawn.
    assert any("exactly 0 in every layer" in box.value for box in at.info)
    # Sweeps: ratios with rand's dead gradients marked as ∞.
    assert "▲ ∞: uniform gradient 0 at 10 of 10 values" in specs(at)[4]["title"]["subtitle"]
    assert any(r"\operatorname{Var}\big(U(-b,b)\big) = \frac{b^2}{3}" in m.value for m in at.latex)


def test_page_table_reports_engine_statistics():
    at = open_page(**SMALL, uniform="centered")
    expected = compare(4, 10, 8, DEFAULT_SAMPLES, 0, "centered")
    table = at.dataframe[0].value
    assert table["weights"].tolist() == ["U(-1, 1)", "randn: N(0, 1)"]
    assert table["weight variance"].tolist() == pytest.approx([1 / 3, 1.0])
    assert table["avg |z|"].tolist() == pytest.approx(
        [expected.uniform.z.mean_abs, expected.normal.z.mean_abs]
    )
    assert table["saturated (|z| > 2)"].tolist() == pytest.approx(
        [expected.uniform.z.saturated_share, expected.normal.z.saturated_share]
    )


# --------------------------------------------------------------------------- controls


CONTROL_CHANGES = [
    ("layers", "slider", 6),
    ("neurons", "slider", 20),
    ("features", "slider", 3),
    ("seed", "number_input", 5),
    ("uniform", "segmented_control", "matched"),
]


@pytest.mark.parametrize(("name", "widget", "value"), CONTROL_CHANGES)
def test_each_control_changes_what_is_shown(name, widget, value):
    at = open_page(**SMALL)
    before = view(at)
    getattr(at, widget)(key=key(name)).set_value(value).run()
    assert not at.exception
    assert at.query_params[name] == str(value)
    assert view(at) != before
    sizes = {k: int(v) for k, v in SMALL.items()} | {"seed": 0, "uniform": "rand"}
    sizes[name] = value
    expected = compare(
        sizes["layers"],
        sizes["neurons"],
        sizes["features"],
        DEFAULT_SAMPLES,
        sizes["seed"],
        sizes["uniform"],
    )
    (points, *_) = chart_frames(at, 0)
    normal = points[points["series"] == "randn: N(0, 1)"]
    assert normal["y"].tolist() == pytest.approx(expected.normal.gradient.tolist(), rel=1e-12)


def test_uniform_kind_changes_labels_and_the_verdict():
    at = open_page(**SMALL)
    at.segmented_control(key=key("uniform")).set_value("matched").run()
    shown = metrics(at)
    assert "matched variance U(-√3, √3)" in shown
    expected = compare(4, 10, 8, DEFAULT_SAMPLES, 0, "matched")
    assert shown["normal / uniform"] == f"{expected.ratio:.3g}×"
    assert shown["larger gradient"] == expected.winner
    assert not any("exactly 0" in box.value for box in at.info)


def test_runs_per_click_sets_the_button_label():
    at = open_page(**SMALL)
    at.slider(key=key("n")).set_value(7).run()
    assert [b.label for b in at.button] == ["Run once", "Run 7 times", "Reset"]
    assert at.query_params["n"] == "7"


# --------------------------------------------------------------------------- buttons and state


def test_run_buttons_collect_runs_that_survive_reruns():
    at = open_page(**SMALL, n="5")
    assert len(at.get("vega_lite_chart")) == 5  # no statistics yet
    at.button[0].click().run()  # Run once
    assert at.query_params["runs"] == "1"
    at.button[1].click().run()  # Run 5 times
    assert at.query_params["runs"] == "6"
    at.run()  # an unrelated rerun keeps them
    assert at.number_input(key=key("runs")).value == 6
    expected = many_runs(6, layers=4, neurons=10, features=8, seed=0, uniform="rand")
    shown = metrics(at)
    assert shown["Simulations (pairs)"] == "6"
    assert shown["Normal wins"] == (
        f"{expected.normal_wins} of 6 ({expected.normal_win_share:.0%})"
    )
    assert shown["Normal: avg first-layer gradient"] == f"{expected.normal_mean:.3g}"
    assert len(at.get("vega_lite_chart")) == 6
    per_run = chart_frames(at, 5)
    assert any(len(frame) == 6 for frame in per_run)
    at.button[2].click().run()  # Reset
    assert at.query_params["runs"] == "0"
    assert len(at.get("vega_lite_chart")) == 5


def test_run_count_stops_at_the_page_limit():
    at = open_page(**SMALL, runs="195", n="20")
    at.button[1].click().run()
    assert not at.exception
    assert at.query_params["runs"] == "200"
    assert any("At most 200 runs" in c.value for c in at.caption)


# --------------------------------------------------------------------------- deep links


def test_deep_link_round_trip_reproduces_the_view():
    first = open_page(**SMALL)
    first.slider(key=key("layers")).set_value(5)
    first.segmented_control(key=key("uniform")).set_value("centered")
    first.number_input(key=key("seed")).set_value(3)
    first.slider(key=key("n")).set_value(4)
    first.run()
    first.button[1].click().run()
    copied_url = dict(first.query_params)
    assert copied_url == {
        "layers": "5",
        "neurons": "10",
        "features": "8",
        "seed": "3",
        "uniform": "centered",
        "n": "4",
        "runs": "4",
    }
    second = open_page(**copied_url)
    assert len(second.warning) == 0
    assert view(second) == view(first)
    assert second.query_params == copied_url


BAD_QUERIES = [
    ("layers", "abc", "layers must be an integer in [1, 20]", "10"),
    ("layers", "0", "layers must be an integer in [1, 20]", "10"),
    ("layers", "21", "layers must be an integer in [1, 20]", "10"),
    ("neurons", "101", "neurons must be an integer in [1, 100]", "50"),
    ("neurons", "nan", "neurons must be an integer in [1, 100]", "50"),
    ("features", "0", "features must be an integer in [1, 128]", "64"),
    ("features", "2.5", "features must be an integer in [1, 128]", "64"),
    ("seed", "-1", "seed must be an integer in [0, 9999]", "0"),
    ("uniform", "bell", "uniform must be one of rand, centered, matched", "rand"),
    ("uniform", "RAND", "uniform must be one of rand, centered, matched", "rand"),
    ("n", "0", "n must be an integer in [1, 100]", "20"),
    ("runs", "-3", "runs must be an integer in [0, 200]", "0"),
    ("runs", "1000", "runs must be an integer in [0, 200]", "0"),
]


@pytest.mark.parametrize(("name", "text", "reason", "default"), BAD_QUERIES)
def test_bad_query_value_warns_and_uses_the_default(name, text, reason, default):
    at = open_page(**{name: text})
    assert not at.exception
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith(f"URL parameter {name}={text!r} ignored: {reason}")
    assert warning.endswith(f"; using {default}.")
    assert at.query_params == DEFAULT_QUERY
    assert titles(at) == CHART_TITLES
    at.run()
    assert len(at.warning) == 0


def test_statistics_number_formatting_spells_out_zero_and_infinity():
    at = open_page(**SMALL, runs="3")
    expected = many_runs(3, layers=4, neurons=10, features=8, uniform="rand")
    caption = next(c.value for c in at.caption if c.value.startswith("geometric means"))
    if expected.uniform_dead:
        assert f"gradient exactly 0 in {expected.uniform_dead} uniform" in caption
    ratio_text = "∞" if math.isinf(expected.ratio_of_means) else f"{expected.ratio_of_means:.3g}"
    assert f"ratio of the averages {ratio_text}" in caption
