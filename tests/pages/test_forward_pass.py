"""AppTest of pages/forward_pass.py (run standalone: its controls use the page key "app").

Paths passed to AppTest.from_file are relative to this file. Every view is checked once at its
defaults against the experiment (lab.experiments.forward_pass), which the engine tests pin to
lab.network and lab.theory; small networks come in through the URL so the file stays fast.
"""

from __future__ import annotations

import json
import re

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from lab.controls.forward_pass import CONTROLS
from lab.experiments.forward_pass import (
    HISTOGRAM_PANELS,
    Config,
    config_from_values,
    fit_network_view,
    network_config,
    run,
)
from pages.ui.forward_charts import LAYER_COLUMNS, LAYERS_TABLE_KEY, PANEL_WIDTH
from pages.ui.text_width import TITLE_MARGIN, TITLE_PX_PER_CHAR
from pages.ui.widgets import widget_key

TIMEOUT = 60
#: A small custom network, quick to simulate.
SMALL = {"view": "network", "layers": "2", "width": "16", "samples": "60"}


def page(**query: str) -> AppTest:
    at = AppTest.from_file("../../pages/forward_pass.py", default_timeout=TIMEOUT)
    at.query_params.update(query)
    return at.run()


def key(name: str) -> str:
    return widget_key(name, page="app")


def text(element) -> str:
    """An element's text without the backslashes ``pages.ui.text.plain`` escapes with."""
    return re.sub(r"\\(.)", r"\1", element.value)


def specs(at: AppTest) -> list[dict]:
    """Every chart's Vega-Lite spec, with the named datasets Streamlit ships separately (as
    Arrow) put back under "datasets" as lists of records."""
    out = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        spec["datasets"] = {
            dataset.name: pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()
            for dataset in chart.proto.datasets
        }
        out.append(spec)
    return out


def titles(at: AppTest) -> list[str]:
    out = []
    for spec in specs(at):
        title = spec.get("title") or spec["layer"][0].get("title", {})
        out.append(title.get("text") if isinstance(title, dict) else title)
    return out


def bar_layer(spec: dict) -> tuple[dict, list[dict]]:
    """The bars of a histogram_chart spec and their dataset's rows."""
    (bars,) = [layer for layer in spec["layer"] if layer["mark"]["type"] == "bar"]
    return bars, spec["datasets"][bars.get("data", spec.get("data"))["name"]]


def bar_counts(spec: dict) -> list[float]:
    """The per-bin counts of a histogram_chart spec (its bars' dataset)."""
    return [row["count"] for row in bar_layer(spec)[1]]


def url_warnings(at: AppTest) -> list[str]:
    return [text(w) for w in at.warning if text(w).startswith("URL parameter")]


# --------------------------------------------------------------------------- defaults


def test_default_view_is_the_five_layer_experiment_and_matches_the_engine():
    at = page()
    assert not at.exception and not at.error and not url_warnings(at)
    assert at.title[0].value == "Forward pass"
    assert any(r"\operatorname{Var}(z_l) = n_{l-1}" in m.value for m in at.latex)
    view = run(Config()).network
    (panels,) = view.histograms.panels["pre"]
    charts = specs(at)
    assert len(charts) == len(panels) + 3  # histograms, std, variance, five classic inits
    assert titles(at)[: len(panels)] == [panel.title for panel in panels]
    for spec, panel in zip(charts, panels, strict=False):
        assert bar_counts(spec) == list(panel.counts)
        # Each panel's axis is its own layer's range, with the band [-3, 3] drawn on it.
        bars, _ = bar_layer(spec)
        assert bars["encoding"]["x"]["scale"]["domain"] == [panel.edges[0], panel.edges[-1]]
        assert any(layer["mark"]["type"] == "rect" for layer in spec["layer"])
    ranges = [panel.edges[-1] - panel.edges[0] for panel in panels]
    assert ranges[-1] < ranges[0] / 2  # Xavier + ReLU: the last layer's axis is far narrower
    # Xavier + ReLU loses a factor 0.71 per layer: vanishing at 5 layers, shown in amber.
    assert not at.success and not view.state.healthy
    assert view.state.message.startswith("vanishing signal and gradient: ")
    (verdict,) = [w for w in at.warning if view.state.message in text(w)]
    table = at.dataframe[0].value
    assert list(table["scheme"]) == [row["scheme"] for row in view.comparison_rows]
    assert list(table["state"]) == ["dead", "vanishing", "exploding", "vanishing", "healthy"]
    fixed = f"Fixed by this experiment: {view.samples:,} samples, {view.layers} layers"
    assert any(text(c).startswith(fixed) for c in at.sidebar.caption)
    assert not at.info  # no budget note


def test_default_network_view_runs_without_a_note():
    at = page(view="network")
    assert not at.exception and not at.error and not url_warnings(at) and not at.info
    assert at.slider(key=key("layers")).value == 12
    assert at.number_input(key=key("width")).value == 256
    assert at.number_input(key=key("samples")).value == 500
    view = run(config_from_values({"view": "network"})).network
    assert len(specs(at)) == len(view.histograms.shown) + 3
    assert any(f"{view.samples:,} samples × 256 units" in text(c) for c in at.caption)


def test_xavier_pair_defaults():
    at = page(view="xavier_pair")
    assert not at.exception and not at.error and not url_warnings(at)
    view = run(Config(view="xavier_pair")).pair
    assert len(specs(at)) == 2 * len(view.histograms.shown) + 1
    shown = {text(s).split(":")[0] for s in at.success} | {
        text(w).split(":")[0] for w in at.warning
    }
    assert shown == {"**Xavier + linear", "**Xavier + ReLU"}
    assert at.slider(key=key("pair_layers")).value == view.layers == 16


def test_sigma_sweep_defaults_and_a_single_draw():
    at = page(view="sigma_sweep")
    assert not at.exception and not at.error and not url_warnings(at)
    assert len(specs(at)) == 2
    view = run(Config(view="sigma_sweep")).sweep
    table = at.dataframe[0].value
    assert list(table["σ"]) == [row["σ"] for row in view.rows]
    assert list(table["factor per layer, measured"]) == [
        row["factor per layer, measured"] for row in view.rows
    ]
    before = specs(at)
    at.select_slider(key=key("reps")).set_value(1.0).run()
    assert specs(at) != before
    assert any("very noisy" in text(info) for info in at.info)
    assert at.query_params["reps"] == "1"


def test_sigma_sweep_takes_hes_sigma_from_the_url():
    at = page(view="sigma_sweep", sigma="0.447", reps="10")
    assert not at.exception and not at.error and not url_warnings(at)
    assert at.number_input(key=key("sigma")).value == pytest.approx(0.447)
    table = at.dataframe[0].value
    assert list(table["σ"]) == ["0.1", "0.2", "0.447 (yours)", "1", "2"]
    legend = specs(at)[0]["datasets"]
    names = {row["series"] for rows in legend.values() for row in rows if "series" in row}
    assert "σ = 0.447 (yours): × 0.999 per layer" in names
    at.number_input(key=key("sigma")).set_value(3.0).run()
    assert list(at.dataframe[0].value["σ"])[-1] == "3 (yours)"
    assert at.query_params["sigma"] == "3"


# --------------------------------------------------------------------------- deep links


def test_deep_link_shows_exactly_its_values_and_the_budget_note():
    at = page(view="network", init="he_normal", activation="tanh", layers="40", samples="10000")
    assert not at.exception and not at.error
    assert not url_warnings(at)
    assert at.segmented_control(key=key("view")).value == "network"
    assert at.selectbox(key=key("init")).value == "he_normal"
    assert at.selectbox(key=key("activation")).value == "tanh"
    assert at.slider(key=key("layers")).value == 40
    assert at.number_input(key=key("width")).value == 256
    assert at.number_input(key=key("samples")).value == 10_000
    values = {"view": "network", "init": "he_normal", "activation": "tanh", "layers": 40}
    values["samples"] = 10_000
    result = run(config_from_values(values))
    (note,) = at.info
    assert text(note) == result.budget_note
    assert text(note).startswith("40 layers × 256 units: ")


def test_the_heaviest_network_keeps_its_samples_and_the_page_says_what_was_left_out():
    query = {"view": "network", "layers": "100", "width": "512", "samples": "10000"}
    at = page(**query)
    assert not at.exception and not at.error and not url_warnings(at)
    values = {"view": "network", "layers": 100, "width": 512, "samples": 10_000}
    config = config_from_values(values)
    budget = fit_network_view(network_config(config))
    used = budget.samples.used
    assert used >= 800 and budget.compared == ()  # the six networks together fitted 2
    (note,) = at.info
    assert text(note) == budget.note
    assert "The 5 classic inits do not run beside your network" in text(note)
    assert any(f"{used:,} samples × 512 units per layer" in text(c) for c in at.caption)
    # No comparison chart or table: the histograms, the std and the variance charts only.
    # The one table left is the expander's "Every layer's numbers", sent once it is opened.
    assert len(specs(at)) == HISTOGRAM_PANELS + 2 and len(at.dataframe) == 0
    at.session_state[LAYERS_TABLE_KEY] = True
    at.run()
    assert len(at.dataframe) == 1
    # Every column under a readable label: no engine key ("pre_mean", "post_frac_zero").
    columns = json.loads(at.dataframe[0].proto.columns)
    shown = list(at.dataframe[0].value.columns)
    assert set(shown) <= set(LAYER_COLUMNS) and set(columns) - {"_index"} == set(LAYER_COLUMNS)
    assert columns["pre_mean"]["label"] == "z mean"
    assert columns["post_frac_zero"]["type_config"]["format"] == "percent"
    labels = ", ".join(budget.labels[init] for init in budget.dropped)
    assert any(text(c).endswith(f"lab's budget: {labels}.") for c in at.caption)


def test_one_layer_and_one_sample_are_named_in_the_singular():
    at = page(view="network", layers="1", width="16", samples="1")
    assert not at.exception and not at.error
    assert any(
        text(c).startswith("Xavier/Glorot normal + ReLU: 1 sample × 16 units per layer")
        for c in at.caption
    )
    pair = page(view="xavier_pair", pair_layers="1")
    assert any("after 1 layer, to 2^(−1/2)" in text(m) for m in pair.markdown)
    shown = [text(e) for e in (*at.caption, *at.markdown, *pair.caption, *pair.markdown)]
    assert not [t for t in shown if re.search(r"\b1 (samples|layers|units|inputs)\b", t)]


def test_readme_link_sets_the_scheme_and_the_activation():
    at = page(init="he_normal", activation="relu")
    assert not at.exception and not at.error and not url_warnings(at)
    assert at.selectbox(key=key("activation")).value == "relu"
    assert any(text(c).startswith("He/Kaiming normal + ReLU: ") for c in at.caption)


def test_an_undeclared_parameter_gives_one_warning_naming_it_and_the_parameters():
    at = page(act="relu")
    assert not at.exception
    (warning,) = url_warnings(at)
    assert warning.startswith("URL parameter 'act' is not used on this page")
    assert warning.endswith(f"its parameters are: {', '.join(CONTROLS.names)}.")
    assert at.selectbox(key=key("activation")).value == CONTROLS["activation"].default


def test_a_bad_value_gives_one_warning_and_the_default():
    at = page(**SMALL | {"layers": "abc"})
    assert not at.exception
    (warning,) = url_warnings(at)
    assert warning == (
        "URL parameter layers='abc' ignored: it must be an integer in [1, 100]; "
        "using the default 12."
    )
    assert at.slider(key=key("layers")).value == 12
    assert at.query_params["layers"] == "12"


# --------------------------------------------------------------------------- controls


def test_scheme_and_slope_parameters_appear_when_they_apply_and_change_the_view():
    at = page(**SMALL | {"init": "normal", "activation": "leaky_relu", "std": "0.2"})
    assert not at.exception and not url_warnings(at)
    assert at.select_slider(key=key("std")).value == 0.2
    assert at.select_slider(key=key("leaky_slope")).value == 0.01
    before = specs(at)
    at.select_slider(key=key("std")).set_value(0.5)
    at.select_slider(key=key("leaky_slope")).set_value(0.1)
    at.segmented_control(key=key("hist")).set_value("post").run()
    assert specs(at) != before
    assert any("Normal (std 0.5) + Leaky ReLU (a=0.1)" in text(c) for c in at.caption)
    assert (at.query_params["std"], at.query_params["leaky_slope"]) == ("0.5", "0.1")
    assert at.query_params["hist"] == "post"
    at.selectbox(key=key("init")).select("he_normal").run()
    assert "std" not in at.query_params and at.query_params["mode"] == "fan_in"


def test_overflow_is_shown_as_a_result():
    query = {"init": "large_random", "activation": "linear", "layers": "50", "width": "64"}
    at = page(**SMALL | query)
    assert not at.exception and not at.error
    assert any("overflow at layer" in text(w) for w in at.warning)
    subtitles = " ".join(
        json.dumps(s.get("title") or s["layer"][0].get("title")) for s in specs(at)
    )
    assert "inf/NaN" in subtitles
    assert any("each panel's x axis is its layer's own range" in text(c) for c in at.caption)


@pytest.mark.parametrize("view", ["five_layers", "xavier_pair", "sigma_sweep"])
def test_network_size_controls_only_appear_in_your_network(view):
    at = page(view=view)
    assert not at.exception
    for name in ("layers", "width", "samples"):
        assert name not in at.query_params
    assert ("init" in at.query_params) == (view == "five_layers")


def test_lines_on_top_of_each_other_are_named_under_the_variance_chart():
    at = page(init="xavier_normal", activation="linear")
    assert not at.exception and not at.error
    view = run(config_from_values({"init": "xavier_normal", "activation": "linear"})).network
    note = view.variance_chart.overlap_note
    assert note.endswith("have the same value at every layer: one line hides the other.")
    captions = [text(c) for c in at.caption]
    assert captions.count(note) == 1
    # Under the variance chart, before the note on theory lines.
    assert captions[captions.index(note) + 1].startswith("Solid lines with dots")
    # Xavier + ReLU, the default: Var(z) about 3 times Var(a), on an axis of two decades.
    assert not any("one line hides the other" in text(c) for c in page().caption)


def test_post_activation_panel_titles_fit_their_panel():
    """After ReLU half the values are exactly 0, which the panel title names. On one line the
    title ran past the 215-px panel and was cut ("Layer 1 · std 0.827 · 50…"); the share now
    has a line of its own, and every line fits the text model."""
    at = page(hist="post", init="he_normal", activation="relu")
    assert not at.exception
    panels = run(config_from_values({"hist": "post", "init": "he_normal", "activation": "relu"}))
    (first,) = [panel.title for panel in panels.network.histograms.panels["post"][0][:1]]
    assert "zeros, not drawn" in first
    for spec in specs(at)[: len(panels.network.histograms.panels["post"][0])]:
        title = spec.get("title") or spec["layer"][0]["title"]
        lines = title["text"]
        assert isinstance(lines, list) and lines[1].endswith("zeros, not drawn")
        for line in lines:
            assert TITLE_MARGIN + len(line) * TITLE_PX_PER_CHAR <= PANEL_WIDTH, line


def test_sweep_lines_read_on_both_themes():
    """The σ sweep's lines (blues that shrink, reds that grow, greys that hold, up to five of
    each) keep a contrast of at least 2.2 on the light theme's white and the dark theme's page:
    the darkest blue had 2.1 on the dark page, the palest 1.7 on white."""
    from lab.presets import SIGMA_SETS
    from tests.pages.chart_readability import BACKGROUNDS, color_ranges, contrast

    # "course" with a σ of your own below He's decays five ways (every blue) and grows once;
    # "around_he" also grows twice and holds (yours): 5 blues, 2 reds, a grey.
    views = [{"sigma_set": "course", "sigma": "0.05"}, {"sigma_set": "around_he"}]
    assert {view["sigma_set"] for view in views} == set(SIGMA_SETS)
    colors = {
        color
        for view in views
        for spec in specs(page(view="sigma_sweep", **view))
        for color in color_ranges(spec)
    }
    assert len(colors) == 8
    worst = {c: min(contrast(c, b) for b in BACKGROUNDS) for c in colors}
    assert min(worst.values()) >= 2.2, worst
