"""AppTest of the Weight distribution page, run inside the app shell (streamlit_app.py).

Paths passed to AppTest.from_file are relative to this file. Exact values are pinned to
../shared/reference.md (Xavier 1024 -> 512, He fan_in 1024, conv 3x3 64 -> 128).
"""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from lab import budget
from lab.controls.weight_distribution import CONTROLS
from lab.experiments.weight_distribution import Config, cost
from lab.weights import DEFAULT_COMPARED
from pages.ui.weight_charts import TABS, TABS_KEY
from pages.ui.widgets import widget_key

TIMEOUT = 30
PAGE = "pages/weight_distribution.py"
PAGE_KEY = "weight_distribution"
SHAPE_CHARTS = 4  # the rand-vs-randn tab
SHAPES_TAB = TABS[1]
#: Small and quick configuration for the tests that do not check the defaults.
QUICK = {"samples": "2000", "init": "he_normal,he_truncated_normal"}


def open_page(**query: str) -> AppTest:
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT).run()
    at.switch_page(PAGE)
    at.query_params.update(query)
    return at.run()


def open_shapes(at: AppTest) -> AppTest:
    """Open the lazy rand-vs-randn tab, as a click does (its content is sent only then)."""
    at.session_state[TABS_KEY] = SHAPES_TAB
    return at.run()


def key(name: str) -> str:
    return widget_key(name, page=PAGE_KEY)


def specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def table(at: AppTest):
    """The 'Exact against sampled' table as a DataFrame indexed by scheme label."""
    return at.dataframe[0].value.set_index("scheme")


def latex(at: AppTest) -> str:
    """The page's formulas: LaTeX inside markdown (``$...$``, so that narrow screens wrap)."""
    return "\n".join(element.value for element in at.markdown if "$" in element.value)


def x_domain(spec: dict) -> list[float]:
    return spec["layer"][0]["encoding"]["x"]["scale"]["domain"]


def y_max(spec: dict) -> float:
    return spec["layer"][0]["encoding"]["y"]["scale"]["domainMax"]


def marks(spec: dict) -> list[str]:
    return [layer["mark"]["type"] for layer in spec["layer"]]


def texts(elements) -> list[str]:
    """The text of alerts as a reader sees it (pages.ui.text.plain escapes punctuation)."""
    return [re.sub(r"\\(.)", r"\1", element.value) for element in elements]


def check_clean(at: AppTest) -> None:
    assert not at.exception
    assert len(at.error) == 0, [e.value for e in at.error]


# --------------------------------------------------------------------------- default view


def test_default_view_shows_four_schemes_on_one_axis():
    at = open_page()
    check_clean(at)
    assert len(at.warning) == 0 and len(at.info) == 0  # no budget note either
    assert at.title[0].value == "Weight distribution"
    assert at.sidebar.multiselect(key=key("init")).value == list(DEFAULT_COMPARED)
    charts = specs(at)
    # The schemes' tab only: the closed rand-vs-randn tab sends nothing until it is opened.
    assert len(charts) == len(DEFAULT_COMPARED)
    scheme_charts = charts
    # One x-axis for all schemes: the widest natural range, He normal's 4 std = 4 * 0.0441942.
    domains = {tuple(x_domain(spec)) for spec in scheme_charts}
    assert len(domains) == 1
    (low, high), *_ = domains
    assert high == -low == pytest.approx(4 * 0.0441942, rel=1e-6)
    for spec in scheme_charts:
        assert spec["title"]["text"] == "20,000 sampled weights"
        assert marks(spec)[0] == "bar" and "line" in marks(spec)  # histogram + exact density
    # One y-axis too, tall enough for the highest bar: a narrow law has taller bars.
    assert len({y_max(spec) for spec in scheme_charts}) == 1
    assert y_max(scheme_charts[0]) >= 1000  # 20,000 weights, ~6% in the central bin
    # Uniform bounds and truncation points are marked with rules.
    assert "rule" not in marks(scheme_charts[0])
    assert "rule" in marks(scheme_charts[1]) and "rule" in marks(scheme_charts[3])

    rows = table(at)
    assert list(rows.index) == [
        "Xavier/Glorot normal",
        "Xavier/Glorot uniform",
        "He/Kaiming normal",
        "He truncated normal (Keras/JAX)",
    ]
    xavier, uniform, he = (rows.loc[label] for label in rows.index[:3])
    assert xavier["std exact"] == pytest.approx(0.0360844, rel=1e-6)
    assert uniform["b / cut"] == "0.0625" and xavier["b / cut"] == "—"  # a normal has no bound
    assert he["Var exact"] == pytest.approx(0.00195313, rel=1e-5)
    # Sampled within 5% of exact (rel. standard error of a variance at N = 20,000 is <= 1%).
    assert (rows["Var sampled"] / rows["Var exact"] - 1).abs().max() < 0.05
    assert (rows["KS p"].astype(float) > 1e-3).all()
    text = latex(at)
    assert r"n_\text{in} = 1024" in text and r"n_\text{out} = 512" in text
    assert r"b = \sqrt{3}\,\sigma = 0.0625" in text
    assert at.query_params["init"] == ",".join(DEFAULT_COMPARED)


def test_rand_vs_randn_section_shows_the_moments():
    at = open_page(**QUICK)
    check_clean(at)
    assert [tab.label for tab in at.tabs] == ["Schemes against their exact law", SHAPES_TAB]
    assert len(at.tabs[1].get("vega_lite_chart")) == 0  # lazy: sent once opened
    open_shapes(at)
    check_clean(at)
    # Only the open tab is sent: the shapes' charts and table, not the schemes'.
    assert len(at.tabs[0].get("vega_lite_chart")) == 0
    assert len(at.tabs[1].get("vega_lite_chart")) == SHAPE_CHARTS
    (shapes,) = (frame.value.set_index("law") for frame in at.dataframe)
    assert shapes.loc["rand: U[0, 1)", "exact mean"] == 0.5
    assert shapes.loc["rand: U[0, 1)", "exact variance"] == pytest.approx(1 / 12)
    assert shapes.loc["U(-1, 1)", "exact variance"] == pytest.approx(1 / 3)
    assert shapes.loc["U(-√3, √3): variance 1", "exact variance"] == pytest.approx(1.0)
    assert shapes.loc["randn: N(0, 1)", "exact variance"] == 1.0
    text = " ".join(m.value for m in at.markdown)
    assert "not the missing bell shape" in text and "central limit theorem" in text
    shape_charts = specs(at)
    # A control's rerun keeps the open tab.
    at.sidebar.multiselect(key=key("init")).select("lecun_uniform").run()
    assert len(specs(at)) == SHAPE_CHARTS
    assert {tuple(x_domain(spec)) for spec in shape_charts} == {(-4.0, 4.0)}
    # Shared y: rand's 2,000 draws pile into the 16 bins of [0, 1), 125 each.
    assert {y_max(spec) for spec in shape_charts} == {y_max(shape_charts[0])}
    assert y_max(shape_charts[0]) >= 125


# --------------------------------------------------------------------------- deep links


def test_deep_link_shows_exactly_its_values_without_warning():
    at = open_page(init="he_normal", fan_in="300", fan_out="100", mode="fan_out")
    check_clean(at)
    assert len(at.warning) == 0
    sidebar = at.sidebar
    assert sidebar.multiselect(key=key("init")).value == ["he_normal"]
    assert sidebar.slider(key=key("fan_in")).value == 300
    assert sidebar.slider(key=key("fan_out")).value == 100
    assert sidebar.segmented_control(key=key("mode")).value == "fan_out"
    assert sidebar.segmented_control(key=key("layer")).value == "dense"
    # He with mode fan_out: 2 / fan_out.
    assert table(at).loc["He/Kaiming normal", "Var exact"] == pytest.approx(2 / 100)
    assert len(specs(at)) == 1
    for name, text in {"init": "he_normal", "fan_in": "300", "mode": "fan_out"}.items():
        assert at.query_params[name] == text


def test_gain_link_reaches_xavier():
    at = open_page(init="xavier_normal", gain=repr(5 / 3), samples="2000")
    check_clean(at)
    assert len(at.warning) == 0
    assert at.sidebar.number_input(key=key("gain")).value == pytest.approx(5 / 3, rel=1e-15)
    rows = table(at)
    assert rows.loc["Xavier/Glorot normal", "Var exact"] == pytest.approx(
        (5 / 3) ** 2 * 2 / 1536, rel=1e-12
    )
    assert at.query_params["gain"] == repr(5 / 3)


def test_old_parameter_name_warns_once_and_lists_the_parameters():
    at = open_page(schemes="he_normal", samples="2000")
    check_clean(at)
    (warning,) = texts(at.warning)
    assert "'schemes'" in warning and "not used on this page" in warning
    assert ", ".join(CONTROLS.names) in warning
    assert at.sidebar.multiselect(key=key("init")).value == list(DEFAULT_COMPARED)


BAD_QUERIES = [
    ("fan_in", "0", "must be an integer in [1, 4096]", 1024),
    ("fan_in", "abc", "must be an integer in [1, 4096]", 1024),
    ("fan_out", "1e9", "must be an integer in [1, 4096]", 512),
    ("layer", "sphere", "must be one of dense, conv", "dense"),
    ("mode", "fan_avg", "must be one of fan_in, fan_out", "fan_in"),
    ("slope", "nan", "must be a finite number in [0, 1]", 0.0),
    ("gain", "0", "must be a finite number in [0.1, 4]", 1.0),
    ("samples", "10", "must be an integer in [1000, 200000]", 20_000),
    ("seed", "-1", "must be an integer in [0, 999999]", 0),
    ("init", "zeros", "must be one of xavier_normal", list(DEFAULT_COMPARED)),
    ("init", "he_normal,bogus", "must be one of xavier_normal", list(DEFAULT_COMPARED)),
]
WIDGETS = {
    "fan_in": "slider",
    "fan_out": "slider",
    "layer": "segmented_control",
    "mode": "segmented_control",
    "slope": "number_input",
    "gain": "number_input",
    "samples": "slider",
    "seed": "number_input",
    "init": "multiselect",
}


@pytest.mark.parametrize(("name", "text", "reason", "default"), BAD_QUERIES)
def test_bad_query_value_warns_once_and_uses_the_default(name, text, reason, default):
    # He takes mode and slope, Xavier the gain: each scheme parameter's widget is drawn.
    query = {"samples": "2000", "init": "he_normal,xavier_normal"} | {name: text}
    at = open_page(**query)
    check_clean(at)
    (warning,) = texts(at.warning)
    assert warning.startswith(f"URL parameter {name}={text!r} ignored: it {reason}")
    widget = getattr(at.sidebar, WIDGETS[name])(key=key(name))
    assert widget.value == default
    assert len(at.get("vega_lite_chart")) >= 2  # the schemes' histograms
    at.run()
    assert len(at.warning) == 0


def test_deep_link_round_trip_reproduces_the_view():
    first = open_page(**QUICK)
    first.sidebar.segmented_control(key=key("layer")).set_value("conv").run()
    first.sidebar.slider(key=key("c_in")).set_value(32).run()
    first.sidebar.multiselect(key=key("init")).select("xavier_uniform").run()
    first.sidebar.number_input(key=key("slope")).set_value(0.25).run()
    first.sidebar.number_input(key=key("seed")).set_value(9).run()
    copied_url = dict(first.query_params)
    assert copied_url["layer"] == "conv" and copied_url["c_in"] == "32"
    assert "fan_in" not in copied_url  # a dense-only control leaves the URL

    second = open_page(**copied_url)
    check_clean(second)
    assert len(second.warning) == 0
    assert second.sidebar.multiselect(key=key("init")).value == [
        "he_normal",
        "he_truncated_normal",
        "xavier_uniform",
    ]
    assert second.sidebar.number_input(key=key("slope")).value == 0.25
    assert second.sidebar.number_input(key=key("seed")).value == 9
    assert specs(second) == specs(first)
    assert table(second).equals(table(first))
    assert latex(second) == latex(first)
    assert dict(second.query_params) == copied_url


# --------------------------------------------------------------------------- controls


def test_fan_sliders_change_xavier_but_fan_out_leaves_he_alone():
    at = open_page(samples="2000", init="xavier_normal,he_normal")
    at.sidebar.slider(key=key("fan_in")).set_value(256).run()
    rows = table(at)
    assert rows.loc["Xavier/Glorot normal", "Var exact"] == pytest.approx(2 / (256 + 512))
    assert rows.loc["He/Kaiming normal", "Var exact"] == pytest.approx(2 / 256)
    at.sidebar.slider(key=key("fan_out")).set_value(1024).run()
    rows = table(at)
    assert rows.loc["Xavier/Glorot normal", "Var exact"] == pytest.approx(2 / (256 + 1024))
    assert rows.loc["He/Kaiming normal", "Var exact"] == pytest.approx(2 / 256)
    assert at.query_params["fan_in"] == "256" and at.query_params["fan_out"] == "1024"


def test_conv_mode_uses_channels_times_kernel_area():
    at = open_page(**QUICK)
    at.sidebar.segmented_control(key=key("layer")).set_value("conv").run()
    check_clean(at)
    # reference.md: conv 3x3, 64 -> 128 channels has fan_in 576.
    assert r"= 64\cdot3^2 = 576" in latex(at)
    assert table(at).loc["He/Kaiming normal", "n"] == "576"
    assert table(at).loc["He/Kaiming normal", "Var exact"] == pytest.approx(2 / 576)
    at.sidebar.slider(key=key("kernel")).set_value(5).run()
    assert r"= 64\cdot5^2 = 1600" in latex(at)
    assert table(at).loc["He/Kaiming normal", "Var exact"] == pytest.approx(2 / 1600)


def test_scheme_selection_sets_the_charts():
    at = open_page(**QUICK)
    assert len(specs(at)) == 2
    at.sidebar.multiselect(key=key("init")).select("lecun_uniform").run()
    assert len(specs(at)) == 3
    assert list(table(at).index)[-1] == "LeCun uniform"
    assert at.query_params["init"] == "he_normal,he_truncated_normal,lecun_uniform"
    at.sidebar.multiselect(key=key("init")).set_value([]).run()
    check_clean(at)
    assert len(specs(at)) == 0
    assert any("Pick at least one scheme" in info.value for info in at.info)
    assert len(at.dataframe) == 0
    assert len(specs(open_shapes(at))) == SHAPE_CHARTS  # rand vs randn stays
    assert len(at.dataframe) == 1


def test_he_mode_and_slope_change_only_the_schemes_that_take_them():
    at = open_page(samples="2000", init="he_normal,he_truncated_normal,xavier_normal")
    at.sidebar.segmented_control(key=key("mode")).set_value("fan_out").run()
    rows = table(at)
    assert rows.loc["He/Kaiming normal", "Var exact"] == pytest.approx(2 / 512)
    assert rows.loc["He truncated normal (Keras/JAX)", "Var exact"] == pytest.approx(2 / 512)
    assert rows.loc["Xavier/Glorot normal", "Var exact"] == pytest.approx(2 / 1536)
    at.sidebar.number_input(key=key("slope")).set_value(0.5).run()
    rows = table(at)
    # He et al. 2015: 2 / ((1 + a^2) n) = 1.6 / 512 for a = 0.5; Keras' truncated He ignores a.
    assert rows.loc["He/Kaiming normal", "Var exact"] == pytest.approx(1.6 / 512)
    assert rows.loc["He truncated normal (Keras/JAX)", "Var exact"] == pytest.approx(2 / 512)


def test_samples_and_seed_change_the_draws_not_the_exact_values():
    at = open_page(**QUICK)
    before = table(at)
    first_chart = specs(at)[0]
    at.sidebar.number_input(key=key("seed")).set_value(5).run()
    after = table(at)
    assert (after["Var exact"] == before["Var exact"]).all()
    assert (after["Var sampled"] != before["Var sampled"]).all()
    # Altair names each dataset by a hash of its content: new draws, new histogram data.
    assert specs(at)[0]["data"]["name"] != first_chart["data"]["name"]
    at.sidebar.slider(key=key("samples")).set_value(5000).run()
    assert specs(at)[0]["title"]["text"] == "5,000 sampled weights"


def test_orthogonal_shows_singular_values_and_no_ks():
    at = open_page(samples="2000", init="orthogonal")
    check_clean(at)
    row = table(at).loc["Orthogonal"]
    assert row["Var exact"] == pytest.approx(1 / 1024)
    assert row["KS p"] == row["KS D"] == "—"  # text, never a grey "None"
    captions = " ".join(c.value for c in at.caption)
    assert "singular values of the sampled block equal 1 to 6 digits" in captions
    assert "its chart has no orange density line" in captions
    assert "no ks test: the entries of an orthogonal matrix" in captions.lower()
    assert "line" not in marks(specs(at)[0])  # no exact density for dependent entries


def test_over_budget_request_runs_with_fewer_samples_and_says_so(monkeypatch):
    # A budget too small for 50,000 weights per scheme (the real one holds every request).
    config = Config(schemes=("he_normal",), samples=50_000, seed=4242)
    monkeypatch.setattr(budget, "MAX_PEAK_BYTES", cost(config, 10_000).peak_bytes)
    at = open_page(init="he_normal", samples="50000", seed="4242")
    check_clean(at)
    (note,) = texts(at.info)
    assert note.startswith("1 scheme on a 1,024 × 512 layer: ")
    assert note.endswith(" weights per scheme instead of 50,000, to stay within the lab's budget.")
    title = specs(at)[0]["title"]["text"]
    assert title != "50,000 sampled weights" and title.endswith("sampled weights")
    # The control keeps what the student asked for.
    assert at.sidebar.slider(key=key("samples")).value == 50_000


def test_far_apart_laws_are_drawn_on_their_own_axes():
    at = open_page(fan_in="1", fan_out="4096", init="xavier_uniform,he_uniform", samples="2000")
    check_clean(at)
    xavier, he = specs(at)[:2]
    assert x_domain(he)[1] == pytest.approx(64 * x_domain(xavier)[1], rel=1e-3)
    assert y_max(xavier) > y_max(he)
    assert any("Each chart has its own axes" in c for c in texts(at.caption))


def test_a_one_weight_layer_leaves_orthogonal_out_and_shows_the_others():
    # Every fan is allowed, and so is orthogonal: a 1 x 1 layer cannot be orthogonal, so it is
    # left out with one line and the other schemes are drawn (the page showed only an error).
    at = open_page(init="orthogonal,he_uniform", fan_in="1", fan_out="1")
    check_clean(at)
    assert any("Orthogonal left out: a 1 × 1 orthogonal matrix" in text for text in texts(at.info))
    assert list(table(at).index) == ["He/Kaiming uniform"]
    alone = open_page(init="orthogonal", fan_in="1", fan_out="1")
    check_clean(alone)
    assert "Pick another scheme or a larger layer in the sidebar." in texts(alone.info)
