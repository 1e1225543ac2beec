"""AppTest of the Gradient flow page inside the app shell (paths relative to this file).

Every displayed number is compared with lab.experiments.gradient_flow.run called directly.
Most tests open the page with small sizes through the URL to stay fast; results are cached per
process.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from lab.activations import get_activation
from lab.experiments.gradient_flow import Config, run
from lab.gradient_flow import network_config
from lab.health import SATURATION_SLOPE, flat_threshold
from lab.network import simulate
from pages.ui.gradient_charts import TABS_KEY
from pages.ui.widgets import widget_key

TIMEOUT = 60
PAGE = "pages/gradient_flow.py"
DEFAULT_QUERY = {
    "layers": "10",
    "width": "50",
    "features": "64",
    "seed": "0",
    "uniform": "rand",
    "n": "20",
    "runs": "0",
}
#: A small configuration for the tests that do not need the defaults.
SMALL = {"layers": "4", "width": "10", "features": "8"}
SWEEPS = ["Varying the number of layers", "Varying neurons per layer", "Varying input features"]
#: The pair's two charts, then per sweep each network's first-layer gradient on its own axis.
CHART_TITLES = [
    "Gradient magnitude per layer, mean |dL/dW|",
    "Where the pre-activations land",
    *["randn: N(0, 1)", "rand: U[0, 1)"] * len(SWEEPS),
]
#: Drawn on every run: the pair's two charts. A run sends only the open tab's content.
PAIR_TITLES = CHART_TITLES[:2]
#: The page's tabs (pages/gradient_flow.py); the open one's key is gradient_charts.TABS_KEY.
WHY, SWEEPS_TAB, RUNS_TAB = "Why", "Sweeps", "Many runs"


def open_page(**query: str) -> AppTest:
    """The app opened on the page with ``query`` in the URL, as a pasted link would (the shell
    runs once first: before a run AppTest only finds pages by file name)."""
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT)
    at.run()
    at.query_params.update(query)
    at.switch_page(PAGE)
    return at.run()


def key(name: str) -> str:
    return widget_key(name, page="gradient_flow")


def open_tab(at: AppTest, label: str) -> AppTest:
    """The page with tab ``label`` open, as a click on it does."""
    at.session_state[TABS_KEY] = label
    at.run()
    assert not at.exception
    return at


def unescaped(text: str) -> str:
    """A message as the student reads it (pages.ui.text.plain escapes markdown)."""
    return re.sub(r"\\(.)", r"\1", text)


def warnings(at: AppTest) -> list[str]:
    return [unescaped(w.value) for w in at.warning]


def specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def titles(at: AppTest) -> list[str]:
    return [spec["title"]["text"] for spec in specs(at)]


def chart_frames(at: AppTest, index: int) -> list:
    """The data frames behind chart ``index`` (Streamlit ships them as Arrow)."""
    chart = at.get("vega_lite_chart")[index]
    return [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets]


def line_points(at: AppTest, index: int):
    """The plotted points of log_line_chart ``index`` (not its zero band or zeros)."""
    (points,) = [f for f in chart_frames(at, index) if "segment" in f and "band" not in f]
    return points


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


def expected(**query: str):
    values = {name: int(v) if v.isdigit() else v for name, v in query.items() if name != "n"}
    return run(Config(**values))


# --------------------------------------------------------------------------- default view


def test_default_view_shows_the_rand_comparison():
    at = open_page()
    assert not at.exception
    assert len(at.warning) == 0 and len(at.error) == 0
    assert at.title[0].value == "Gradient flow: rand vs randn"
    assert at.query_params == DEFAULT_QUERY
    # The first view sends the pair's charts and the open tab, "Why": no sweep, no button.
    assert titles(at) == PAIR_TITLES and len(at.button) == 0
    assert any(r"\operatorname{Var}\big(U(-b,b)\big) = \frac{b^2}{3}" in m.value for m in at.latex)
    result = run(Config())
    shown = metrics(at)
    assert shown["rand: U[0, 1)"] == "0"
    assert shown["randn: N(0, 1)"] == f"{result.pair.normal.final_gradient:.3g}"
    assert shown["normal / uniform"] == "∞"
    assert shown["larger gradient"] == "normal"
    # The gradient chart: randn's line per layer, rand's zeros marked instead of dropped.
    assert specs(at)[0]["title"]["subtitle"] == (
        "Not on the log axis: rand: U[0, 1): 0 from layer 1"
    )
    points = line_points(at, 0)
    assert points["y"].tolist() == pytest.approx(result.pair.normal.gradient.tolist(), rel=1e-12)
    # The |z| chart: saturated shares from the engine, shared bins.
    assert specs(at)[1]["title"]["subtitle"] == [
        "Saturated (|z| > 1.82, tanh′ < 0.1):",
        f"rand: U[0, 1) {result.pair.uniform.z.saturated_share:.1%}; "
        f"randn: N(0, 1) {result.pair.normal.z.saturated_share:.1%}",
    ]
    bars = chart_frames(at, 1)[0]
    rand_bars = bars[bars["scheme"] == "rand: U[0, 1)"]
    assert rand_bars["count"].tolist() == result.pair.uniform.z.counts.tolist()
    # rand's gradient is exactly 0 at every layer: said in words, not only drawn.
    assert any("exactly 0 in every layer" in box.value for box in at.info)
    table = at.dataframe[0].value
    assert table["weights"].tolist() == ["rand: U[0, 1)", "randn: N(0, 1)"]
    assert table["weight variance"].tolist() == pytest.approx([1 / 12, 1.0])
    # Sweeps: each network's first-layer gradient on its own log axis (a ratio was ∞ at 17 of
    # 20 points); rand's exact zeros as crosses on the zero band, seeds named in the caption.
    open_tab(at, SWEEPS_TAB)
    assert titles(at) == CHART_TITLES and len(at.latex) == 0  # the "Why" tab is not sent
    assert [m.value for m in at.markdown if m.value.strip("*") in SWEEPS] == [
        f"**{title}**" for title in SWEEPS
    ]
    for index, swept in enumerate(result.sweeps):
        line = line_points(at, 2 + 2 * index)
        assert line["y"].tolist() == pytest.approx(swept.normal_final.tolist(), rel=1e-12)
        zeros = [f for f in chart_frames(at, 3 + 2 * index) if "band" in f]
        dead = [int(v) for v, g in zip(swept.values, swept.uniform_final, strict=True) if g == 0]
        assert (zeros[0]["x"].tolist() if zeros else []) == dead
    features = result.sweeps[2]
    assert len(features.values) == 10 and not features.uniform_final.any()  # rand: all 0
    assert any("over seeds 0 to 2" in c.value for c in at.caption)


# --------------------------------------------------------------------------- deep links


def test_saturated_share_is_lab_health_definition_on_the_same_z():
    # The table, the chart and the caption count a unit as saturated where lab.health does:
    # tanh' below SATURATION_SLOPE of its maximum tanh'(0) = 1 (|z| > atanh(sqrt(0.9)) = 1.818),
    # checked on the very z values of the page's two networks (same config and seed).
    query = SMALL | {"uniform": "matched", "seed": "4"}
    at = open_page(**query)
    assert not at.exception
    result = expected(**query)
    config = result.config
    tanh = get_activation("tanh")
    table = at.dataframe[0].value
    flows = (result.pair.uniform, result.pair.normal)
    for row, flow in zip(table.to_dict("records"), flows, strict=True):
        kept = simulate(network_config(flow.scheme, config.seed, keep=True, **config.sizes))
        z = np.concatenate([layer.astype(np.float64).ravel() for layer in kept.pre_activations])
        share = float(np.mean(tanh.derivative(z) < SATURATION_SLOPE * tanh.derivative(0.0)))
        assert row["saturated share"] == pytest.approx(share, abs=1e-12)
    columns = json.loads(at.dataframe[0].proto.columns)
    assert columns["saturated share"]["label"] == "saturated (|z| > 1.82)"
    assert f"{flat_threshold(tanh):.3g}" == "1.82"
    assert any(
        c.value.startswith(
            "Saturated: a unit whose slope tanh′(z) = 1 − tanh²(z) is below 10% of its "
            "maximum tanh′(0) = 1, which is |z| > 1.82"
        )
        for c in at.caption
    )
    # The threshold marked on the |z| chart is the same one.
    marker = [f for f in chart_frames(at, 1) if "note" in f]
    assert marker[0]["x"].tolist() == [flat_threshold(tanh)]
    assert marker[0]["note"].tolist() == ["|z| = 1.82: tanh′ = 0.1, saturated beyond"]


def test_deep_link_shows_exactly_its_values_and_the_budget_note():
    query = {"layers": "20", "width": "100", "features": "128", "uniform": "matched", "runs": "100"}
    at = open_page(**query)
    assert not at.exception
    assert warnings(at) == []
    assert at.slider(key=key("layers")).value == 20
    assert at.slider(key=key("width")).value == 100
    assert at.segmented_control(key=key("uniform")).value == "matched"
    assert at.number_input(key=key("runs")).value == 100
    assert at.query_params == DEFAULT_QUERY | query
    result = expected(**query)
    shown = metrics(at)
    assert shown["Simulations (pairs)"] == "100"
    assert shown["Normal wins"] == (
        f"{result.stats.normal_wins} of 100 ({result.stats.normal_win_share:.0%})"
    )
    assert shown["normal / uniform"] == f"{result.pair.ratio:.3g}×"
    # The 100 runs fit only with fewer seeds per sweep point: the page says so in one line.
    assert result.budget_note.startswith("Each sweep point:")
    assert [box.value for box in at.info] == [result.budget_note]
    # The runs: each network's first-layer gradient per run, on its own axis.
    matched = "matched variance U(-√3, √3)"
    # A link with collected runs opens on the tab that shows them.
    assert titles(at) == [*PAIR_TITLES, "randn: N(0, 1)", matched]


def test_heaviest_link_collects_fewer_runs_and_says_so():
    query = {"layers": "20", "width": "100", "features": "128", "runs": "200"}
    at = open_page(**query)
    assert not at.exception and warnings(at) == []
    result = expected(**query)
    assert at.info[0].value == result.budget_note
    assert "runs instead of 200" in result.budget_note
    assert metrics(at)["Simulations (pairs)"] == str(result.runs.used)
    assert any("At most 200 runs" in c.value for c in at.caption)


def test_old_neurons_parameter_gives_one_warning_naming_it():
    at = open_page(neurons="80")
    assert not at.exception
    (warning,) = warnings(at)
    assert warning.startswith("URL parameter 'neurons' is not used on this page and was ignored")
    assert "layers, width, features, seed, uniform, n, runs" in warning
    assert at.slider(key=key("width")).value == 50


BAD_QUERIES = [
    ("width", "101", "must be an integer in [1, 100]", "50"),
    ("layers", "abc", "must be an integer in [1, 20]", "10"),
    ("uniform", "bell", "must be one of rand, centered, matched", "rand"),
    ("runs", "-3", "must be an integer in [0, 200]", "0"),
]


@pytest.mark.parametrize(("name", "text", "reason", "default"), BAD_QUERIES)
def test_bad_value_gives_one_warning_and_the_default(name, text, reason, default):
    at = open_page(**{name: text})
    assert not at.exception
    assert warnings(at) == [
        f"URL parameter {name}={text!r} ignored: it {reason}; using the default {default}."
    ]
    assert at.query_params == DEFAULT_QUERY
    assert titles(at) == PAIR_TITLES


def test_copied_url_reproduces_the_view():
    first = open_page(**SMALL)
    first.slider(key=key("layers")).set_value(5)
    first.segmented_control(key=key("uniform")).set_value("centered")
    first.number_input(key=key("seed")).set_value(3)
    first.slider(key=key("n")).set_value(4)
    first.run()
    open_tab(first, RUNS_TAB)
    first.button[1].click().run()
    copied_url = dict(first.query_params)
    assert copied_url == SMALL | {
        "layers": "5",
        "seed": "3",
        "uniform": "centered",
        "n": "4",
        "runs": "4",
    }
    second = open_page(**copied_url)
    assert warnings(second) == []
    assert view(second) == view(first)


# --------------------------------------------------------------------------- controls, buttons

CONTROL_CHANGES = [
    ("layers", "slider", 6),
    ("width", "slider", 20),
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
    result = expected(**(SMALL | {name: str(value)}))
    points = line_points(at, 0)
    normal = points[points["series"] == result.pair.normal.scheme.label]
    assert normal["y"].tolist() == pytest.approx(result.pair.normal.gradient.tolist(), rel=1e-12)


def test_run_buttons_collect_runs_that_survive_reruns():
    at = open_page(**SMALL, n="5")
    open_tab(at, RUNS_TAB)
    assert [b.label for b in at.button] == ["Run once", "Run 5 times", "Reset"]
    assert titles(at) == PAIR_TITLES  # no statistics yet
    at.button[0].click().run()  # Run once
    assert at.query_params["runs"] == "1"
    at.button[1].click().run()  # Run 5 times
    assert at.query_params["runs"] == "6"
    at.run()  # an unrelated rerun keeps them
    assert at.number_input(key=key("runs")).value == 6
    stats = expected(**SMALL, runs="6").stats
    shown = metrics(at)
    assert shown["Simulations (pairs)"] == "6"
    assert shown["Normal wins"] == f"{stats.normal_wins} of 6 ({stats.normal_win_share:.0%})"
    assert shown["Normal: avg first-layer gradient"] == f"{stats.normal_mean:.3g}"
    assert any(len(frame) == 6 for frame in chart_frames(at, len(PAIR_TITLES)))
    at.button[2].click().run()  # Reset
    assert at.query_params["runs"] == "0"
    assert titles(at) == PAIR_TITLES
    assert [b.label for b in at.button] == ["Run once", "Run 5 times", "Reset"]  # tab kept


def test_more_runs_from_the_sidebar_open_the_tab_that_shows_them():
    """Each run sends only the open tab; collected runs asked for elsewhere (a link, the
    sidebar's count) must not stay hidden behind a closed tab."""
    at = open_page(**SMALL)
    assert titles(at) == PAIR_TITLES and len(at.metric) == 4  # the pair's metrics only
    at.number_input(key=key("runs")).set_value(3).run()
    assert [b.label for b in at.button][:1] == ["Run once"]
    assert metrics(at)["Simulations (pairs)"] == "3"
    open_tab(at, WHY)
    at.run()  # the same count again: the tab the student chose stays
    assert len(at.button) == 0 and "Simulations (pairs)" not in metrics(at)


def test_run_count_stops_at_the_declared_limit():
    at = open_page(**SMALL, runs="195", n="20")
    at.button[1].click().run()
    assert not at.exception
    assert at.query_params["runs"] == "200"
    assert any("At most 200 runs" in c.value for c in at.caption)


def test_the_why_tab_says_what_a_variance_of_1_does_at_this_width():
    """One unit per layer: few units saturate and the gradient shrinks towards the input, and
    the "Why" tab says so instead of a fixed "most tanh units saturate"."""
    at = open_page(width="1", uniform="matched")
    assert not at.exception and not at.error
    note = run(Config(width=1, uniform="matched")).variance_note
    (why,) = [m.value for m in at.markdown if "Scaling the variance with the fan-in" in m.value]
    assert note in why
    assert "most tanh units saturate" not in why
