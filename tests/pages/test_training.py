"""AppTest of pages/training.py inside the app shell. Expected numbers come from the engine
(lab.experiments.training) with the page's configuration; small networks and few epochs via
query parameters keep the file fast (the default view trains the default five networks once)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import pages.ui.training_charts as training_charts
from lab.controls.training import CONTROLS
from lab.experiments.training import config_from_values, run
from pages.ui.charts import AXIS_LABEL
from pages.ui.text_width import PHONE_WIDTH
from pages.ui.training_charts import (
    CURVE_MIN_WIDTH,
    GRADIENTS_TAB,
    PANEL_MIN_WIDTH,
    REGIONS_TAB,
    SYMMETRY_TAB,
    TABS_KEY,
)
from pages.ui.widgets import fold_key, widget_key
from tests.pages.chart_readability import (
    chart_specs,
    charts_with_widths,
    encodings,
    readability_problems,
    rerun_without_building,
)
from tests.pages.deep_links import every_tab, shown_values

TIMEOUT = 90  # the default view trains five networks; CI machines can be busy
PAGE_FILE = "pages/training.py"
PAGE_KEY = "training"
SMALL = {"layers": "2", "width": "6", "epochs": "6", "samples": "60"}
#: The longest legend labels and panel titles the page can get: Keras's truncated normals,
#: PyTorch's default and schemes with a gain.
LONG_LABELS = {
    "inits": "glorot_truncated_normal,he_truncated_normal,lecun_truncated_normal,"
    "torch_linear_default,xavier_normal,orthogonal",
    "gain": "1.5",
}


def open_page(**query: str) -> AppTest:
    """The app on the Training page with these URL parameters."""
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT).run()
    at.query_params.update(query)
    at.switch_page(PAGE_FILE).run()
    assert not at.exception
    return at


def warnings(at: AppTest) -> list[str]:
    """The warnings as a student reads them (without the backslashes that keep them literal)."""
    return [re.sub(r"\\(.)", r"\1", warning.value) for warning in at.warning]


def expected(**query: str):
    return run(config_from_values(CONTROLS.parse_query(query).values))


def charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


def charts_per_tab(at: AppTest) -> dict[str, int]:
    """{tab: charts drawn with that tab open}, the loss and accuracy curves included."""
    return {label: charts(at) for label in every_tab(at, TABS_KEY)}


def open_tab(at: AppTest, label: str) -> AppTest:
    at.session_state[TABS_KEY] = label
    at.run()
    assert not at.exception
    return at


def table(at: AppTest):
    (frame,) = at.dataframe
    return frame.value


def test_default_view_shows_the_engines_outcomes_and_every_chart():
    at = open_page()
    assert at.title[0].value == "Training"
    assert warnings(at) == [] and len(at.error) == 0 and len(at.info) == 0
    assert dict(at.query_params) == CONTROLS.query(CONTROLS.applied(CONTROLS.defaults()))
    result = run(config_from_values({}))
    assert at.subheader[0].value == result.heading
    frame = table(at)
    assert list(frame["initialization"]) == [o.label for o in result.outcomes]
    assert list(frame["to_target"]) == [o.wasted for o in result.outcomes]
    assert list(frame["health"]) == [o.health for o in result.outcomes]
    # He + ReLU at depth 8 is healthy and reaches the target; zeros never do (dead, "never").
    assert frame["health"][0] == "healthy" and frame["to_target"][4] == "never"
    assert frame["verdict"][4] == "never"
    # No cell reads "None": a network that never reaches the target is "—" behind, and one
    # whose loss overflowed has a "diverged" final loss (N(0, 1) here).
    assert list(frame["behind"]) == [
        "—" if o.behind is None else f"{o.behind:,}" for o in result.outcomes
    ]
    diverged = [o.label for o in result.outcomes if o.diverged_epoch is not None]
    assert diverged == ["N(0, 1)"] and frame["train_loss"][2] == "diverged"
    assert not frame.isna().any().any()
    # The notes under the loss and the accuracy charts, each naming the curves hidden there.
    captions = [caption.value for caption in at.caption]
    assert result.loss_note in captions and result.accuracy_note in captions
    assert "the same accuracy from epoch 1 on" in result.accuracy_note
    lines = [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown]
    assert result.fastest in lines
    # Loss and accuracy, then one lazy tab at a time: gradients (open first), decision
    # regions, symmetry; a closed tab draws nothing.
    assert [tab.label for tab in at.tabs] == [GRADIENTS_TAB, REGIONS_TAB, SYMMETRY_TAB]
    assert charts(at) == 2 + 5
    assert charts_per_tab(at) == {GRADIENTS_TAB: 2 + 5, REGIONS_TAB: 2 + 5, SYMMETRY_TAB: 2 + 1}
    lines = [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown]
    assert f"- {result.symmetry_lines[4]}" in lines
    assert "exactly identical after 200 epochs (largest distance 0)" in result.symmetry_lines[4]


def test_a_deep_link_shows_exactly_its_values_and_no_warning():
    query = {
        "dataset": "circles",
        "inits": "xavier_normal,constant",
        "gain": "1.5",
        "value": "0.3",
        "activation": "tanh",
        "optimizer": "adam",
        "learning_rate": "0.005",
        "batch_size": "16",
        "seed": "7",
        **SMALL,
    }
    at = open_page(**query)
    assert warnings(at) == [] and len(at.error) == 0
    shown = shown_values(at, PAGE_KEY, query)
    assert shown == {
        "dataset": "circles",
        "inits": ("xavier_normal", "constant"),
        "gain": 1.5,
        "value": 0.3,
        "activation": "tanh",
        "optimizer": "adam",
        "learning_rate": 0.005,
        "batch_size": 16,
        "seed": 7,
        "layers": 2,
        "width": 6,
        "epochs": 6,
        "samples": 60,
    }
    assert {name: at.query_params[name] for name in query} == query
    result = expected(**query)
    assert list(table(at)["initialization"]) == ["Xavier normal, gain 1.5", "Constant (0.3)"]
    assert list(table(at)["to_target"]) == [o.wasted for o in result.outcomes]
    assert charts_per_tab(at) == {GRADIENTS_TAB: 2 + 2, REGIONS_TAB: 2 + 2, SYMMETRY_TAB: 2 + 1}


def scheme_parameters(at: AppTest) -> set[str]:
    """The labels of the scheme parameters the sidebar shows."""
    labels = {CONTROLS[name].label for name in ("gain", "std", "value")}
    shown = [w.label for w in at.number_input] + [w.label for w in at.select_slider]
    return labels & set(shown)


def test_the_scheme_parameters_follow_the_compared_schemes():
    """gain, std and value are drawn, and written to the URL, only while a compared scheme
    takes them: the default compares Xavier (gain) but no N(0, σ²) and no constant."""
    at = open_page(**SMALL)
    assert scheme_parameters(at) == set()  # folded away until the student opens the section
    at.session_state[fold_key("Scheme parameters", PAGE_KEY)] = True
    at.run()
    assert scheme_parameters(at) == {CONTROLS["gain"].label}
    assert "gain" in at.query_params and not {"std", "value"} & set(at.query_params)
    at.session_state[widget_key("inits", PAGE_KEY)] = ["he_normal", "constant", "normal"]
    at.run()
    assert not at.exception
    assert scheme_parameters(at) == {CONTROLS["value"].label, CONTROLS["std"].label}
    assert at.query_params["value"] == "0.1" and "gain" not in at.query_params
    assert list(table(at)["initialization"])[1] == "Constant (0.1)"


def test_a_link_to_a_scheme_parameter_no_scheme_takes_is_dropped():
    """A URL value for a parameter none of the compared schemes takes changes nothing: the
    page draws no widget for it and leaves it out of its URL, as for any control that does
    not apply."""
    at = open_page(**SMALL, inits="he_normal", value="0.5")
    fold = fold_key("Scheme parameters", PAGE_KEY)
    assert not (fold in at.session_state and at.session_state[fold])  # the link opens nothing
    assert scheme_parameters(at) == set()
    assert "value" not in at.query_params
    assert list(table(at)["initialization"]) == ["He normal"]


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("layers", "1000", "must be an integer in [1, 100]"),
        ("width", "129", "must be an integer in [2, 128]"),
        ("inits", "he_normal,glorot", "must be one of"),
        ("learning_rate", "0.03", "must be one of 0.0001, 0.0002"),
    ],
)
def test_a_bad_value_gives_one_warning_and_the_default(name, text, reason):
    at = open_page(**({"layers": "2", "width": "6", "epochs": "4"} | {name: text}))
    (warning,) = warnings(at)
    default = CONTROLS[name].format(CONTROLS[name].default)
    assert warning.startswith(f"URL parameter {name}={text!r} ignored: it {reason}")
    assert warning.endswith(f"; using the default {default}.")
    assert shown_values(at, PAGE_KEY, [name]) == {name: CONTROLS[name].default}
    assert at.query_params[name] == default
    assert charts(at) >= 3


def test_an_undeclared_parameter_gives_one_warning_naming_it():
    at = open_page(neurons="5", **SMALL)
    (warning,) = warnings(at)
    assert warning.startswith("URL parameter 'neurons' is not used on this page")
    assert "neurons" not in at.query_params


def test_the_digits_have_no_decision_regions_and_hide_the_points_control():
    at = open_page(dataset="digits", inits="he_normal", layers="1", width="4", epochs="2")
    assert warnings(at) == []
    # loss and accuracy, then one gradient panel or the symmetry chart
    assert charts_per_tab(at) == {GRADIENTS_TAB: 2 + 1, SYMMETRY_TAB: 2 + 1}
    assert "samples" not in at.query_params
    assert REGIONS_TAB not in [tab.label for tab in at.tabs]


def test_the_symmetry_panel_asks_for_a_tied_start_when_none_is_chosen():
    at = open_tab(open_page(inits="he_normal", **SMALL), SYMMETRY_TAB)
    assert any(c.value.startswith("None of the chosen initializations") for c in at.caption)
    tied = open_tab(open_page(inits="he_normal,zeros", **SMALL), SYMMETRY_TAB)
    assert not any(c.value.startswith("None of the chosen") for c in tied.caption)


def test_changing_a_control_retrains_and_updates_the_url():
    at = open_page(inits="he_normal,zeros", **SMALL)
    before = list(table(at)["train_loss"])
    at.number_input(key=f"ctl:{PAGE_KEY}:seed").set_value(5).run()
    assert not at.exception
    assert at.query_params["seed"] == "5"
    result = expected(inits="he_normal,zeros", seed="5", **SMALL)
    after = list(table(at)["train_loss"])
    assert after == [f"{o.final_train_loss:.3g}" for o in result.outcomes]
    assert after != before


def test_the_training_quiz_page_opens(monkeypatch, tmp_path):
    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path))  # the attempt ledger stays in tmp_path
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT).run()
    at.switch_page("pages/quiz_training.py").run()
    assert not at.exception
    assert at.title[0].value == "Training quiz"
    assert any(r"\xi = -1 / \ln \chi_c" in latex.value for latex in at.latex)


def _progress_app():
    import streamlit as st

    from pages.ui.engine import cached_with_progress

    calls = st.session_state.setdefault("calls", [])

    def double(config, progress):
        calls.append(config)
        for share in (0.25, 0.5, 1.0):
            progress(share)
        return 2 * config

    run = cached_with_progress(double, text="Working…")
    st.text(f"{run(21)} {run(21)} {run(4)}")


def test_a_cached_run_computes_once_and_leaves_no_progress_bar():
    at = AppTest.from_function(_progress_app, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.text[0].value == "42 42 8"
    at.run()  # a rerun finds both results in the cache
    assert not at.exception
    assert at.session_state["calls"] == [21, 4]
    assert len(at.get("progress")) == 0  # the bar is removed once the run is done


# --------------------------------------------------------------------------- readability


@pytest.mark.parametrize("query", [{}, LONG_LABELS | SMALL], ids=["default", "long-labels"])
def test_every_title_and_legend_fits_the_narrowest_chart(query):
    at = open_page(**query)
    inits = len(table(at))
    drawn = {label: charts_with_widths(at) for label in every_tab(at, TABS_KEY)}
    # loss and accuracy in a grid of CURVE_MIN_WIDTH, the panels in grids of PANEL_MIN_WIDTH,
    # the symmetry chart full width
    curves = [min(CURVE_MIN_WIDTH, PHONE_WIDTH)] * 2
    assert [width for _, width in drawn[GRADIENTS_TAB]] == curves + [PANEL_MIN_WIDTH] * inits
    assert [width for _, width in drawn[REGIONS_TAB]] == curves + [PANEL_MIN_WIDTH] * inits
    assert [width for _, width in drawn[SYMMETRY_TAB]] == curves + [PHONE_WIDTH]
    specs = drawn[GRADIENTS_TAB] + drawn[REGIONS_TAB][2:] + drawn[SYMMETRY_TAB][2:]
    assert readability_problems(specs) == []


def test_the_readability_check_finds_what_the_page_used_to_draw():
    """The check can fail: a 160 px labelLimit, a two-column legend of long labels, a legend at
    the right, a long title in a panel and a chart in st.columns are all reported."""
    legend = {"orient": "bottom", "columns": 2, "labelLimit": 160}
    channel = {"type": "nominal", "scale": {"domain": ["Glorot truncated normal (Keras/JAX)"]}}
    spec = {
        "title": {"text": "Accuracy"},
        "layer": [{"encoding": {"color": channel | {"legend": legend}}}],
    }
    right = {
        "title": "x",
        "encoding": {
            "color": {"type": "quantitative", "legend": {"orient": "right", "gradientLength": 100}}
        },
    }
    long_title = {"title": {"text": "Glorot truncated normal (Keras/JAX): 100%"}}
    problems = readability_problems(
        [
            (spec, CURVE_MIN_WIDTH),
            (right, PANEL_MIN_WIDTH),
            (long_title, PANEL_MIN_WIDTH),
            (long_title, 0),
        ]
    )
    assert len(problems) == 5, problems
    assert "labelLimit 160 cuts a 35-character label" in problems[0]
    assert "2-column legend needs" in problems[1]
    assert "not below the plot" in problems[2]
    assert f"does not fit {PANEL_MIN_WIDTH} px" in problems[3]
    assert "in st.columns" in problems[4]


def test_a_rerun_sends_the_same_charts_without_building_them(monkeypatch):
    """The charts and the table are built once per result (its Config): a rerun, and another
    session on the same view, build nothing and send the same specs."""
    at = open_page(**SMALL)
    before = chart_specs(at)
    assert before and rerun_without_building(at, monkeypatch, training_charts) == before
    assert chart_specs(open_page(**SMALL)) == before


def test_a_folded_value_survives_closing_its_fold_and_leaving_the_page():
    """The optimizer settings are folded: a link that sets one opens the fold, a value set
    there stays after the fold is closed and after a visit to another page."""
    at = open_page(**SMALL)  # epochs=6, not the default: the "Training" fold opens
    fold = fold_key("Training", PAGE_KEY)
    assert at.session_state[fold]
    at.number_input(key=widget_key("batch_size", PAGE_KEY)).set_value(32).run()
    at.session_state[fold] = False
    at.run()
    assert not at.exception and at.query_params["batch_size"] == "32"
    assert not [w for w in at.number_input if w.key == widget_key("batch_size", PAGE_KEY)]
    at.switch_page("pages/home_page.py").run()
    at.switch_page(PAGE_FILE).run()
    assert not at.exception
    assert (at.query_params["batch_size"], at.query_params["epochs"]) == ("32", "6")
    result = expected(**SMALL, batch_size="32")
    assert list(table(at)["to_target"]) == [o.wasted for o in result.outcomes]


def log_domains(spec: object) -> list[list[float]]:
    """The domain of every log-scale y channel anywhere in the spec."""
    scales = [(encoding.get("y") or {}).get("scale") or {} for encoding in encodings(spec)]
    return [scale.get("domain") for scale in scales if scale.get("type") == "log"]


def test_the_log_axes_reach_a_decade_past_every_point():
    """By default N(0, 1)'s loss starts near 6e4: the loss axis runs to 1e5, so the point is
    inside the plot, not on its top edge; every gradient panel's axis likewise."""
    result = run(config_from_values(CONTROLS.defaults()))
    view = training_charts.training_view(result)
    curves = result.curves
    charts = [(view.loss, np.concatenate([curves.train_loss, curves.held_out_loss]))]
    charts += [
        (spec, panel.norms) for spec, panel in zip(view.gradients, result.gradients, strict=True)
    ]
    for spec, values in charts:
        values = np.asarray(values)
        shown = values[np.isfinite(values) & (values > 0)]
        if not shown.size:  # Zeros' gradient panel: nothing to draw, the panel says why
            continue
        ((low, high),) = {tuple(domain) for domain in log_domains(spec) if domain}
        assert low <= shown.min() and shown.max() < high


def test_the_loss_chart_draws_the_engines_bounded_axis():
    """The loss chart's log axis is the engine's (lab.experiments.training.loss_axis), lines
    above it clipped at its top: 100 layers put N(0, 1)'s first loss at 1e89."""
    result = run(config_from_values({"layers": 100, "width": 128, "epochs": 2}))
    spec = training_charts.training_view(result).loss
    ((low, high),) = {tuple(domain) for domain in log_domains(spec) if domain}
    assert (low, high) == result.loss_axis and high < 1e80
    assert "the axis's top" in result.loss_note


def test_log_axes_label_large_losses_in_powers_of_ten():
    """The default loss axis reaches 1e5 (N(0, 1)'s first loss, 4.9e4); its labels are
    e-notation from 1e5 on, as on every chart of the lab, not "100000"."""
    result = run(config_from_values({}))
    spec = training_charts.training_view(result).loss
    axes = [
        channel["axis"]
        for encoding in encodings(spec)
        for channel in encoding.values()
        if isinstance(channel, dict)
        and channel.get("scale", {}).get("type") == "log"
        and "axis" in channel
    ]
    assert axes and all(axis["labelExpr"] == AXIS_LABEL for axis in axes)
    assert max(max(axis["values"]) for axis in axes) >= 1e5


@pytest.mark.parametrize("values", [{}, {"layers": 30, "epochs": 20}])
def test_every_log_axis_has_a_tick_at_its_top(values):
    """The highest line of a gradient panel (often the read-out's) sits in the top decade; the
    ticks were every k-th decade from the bottom, so the top label could be decades below it.
    Every log axis now has a tick at the top of its domain, and at most LOG_TICKS of them."""
    result = run(config_from_values(values))
    view = training_charts.training_view(result)
    checked = 0
    for spec in [view.loss, *view.gradients]:
        for encoding in encodings(spec):
            for channel in encoding.values():
                if not isinstance(channel, dict) or "values" not in channel.get("axis", {}):
                    continue
                scale = channel.get("scale", {})
                if scale.get("type") != "log" or "domain" not in scale:
                    continue
                ticks = channel["axis"]["values"]
                assert max(ticks) == pytest.approx(scale["domain"][1], rel=1e-12)
                assert len(ticks) <= training_charts.LOG_TICKS
                checked += 1
    assert checked >= 4


def test_every_initializations_colour_reads_on_both_themes():
    """Eight initializations at once: each one's lines keep a contrast of at least 2.2 on the
    light theme's white and on the dark theme's page (the sixth was a yellow of 1.6 on white)."""
    from tests.pages.chart_readability import BACKGROUNDS, color_ranges, contrast

    inits = "zeros,constant,small_random,large_random,normal,rand,xavier_normal,he_normal"
    at = open_page(dataset="xor", samples="100", inits=inits, layers="2", epochs="2")
    loss = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    colors = set(color_ranges(loss))
    assert len(colors) == len(inits.split(","))
    worst = {c: min(contrast(c, b) for b in BACKGROUNDS) for c in colors}
    assert min(worst.values()) >= 2.2, worst


@pytest.mark.parametrize("index", [0, 1], ids=["loss target", "accuracy chance"])
def test_reference_labels_sit_on_an_outline_the_curves_cannot_cross(index):
    """The target and chance labels lie in the curves' way (a loss curve ran through "target
    0.173"): each is drawn twice, first as a thick outline in the chart's background, then as
    text, with one encoding, so that a curve under it does not cut the letters."""
    from pages.ui.charts import LABEL_HALO

    at = open_page(dataset="xor", samples="100", inits="he_normal", layers="2", epochs="2")
    spec = json.loads(at.get("vega_lite_chart")[index].proto.spec)
    labels = [
        layer
        for layer in spec["layer"]
        if isinstance(layer.get("mark"), dict)
        and layer["mark"]["type"] == "text"
        and layer["encoding"]["text"].get("field") == "label"
    ]
    halo, text = labels
    assert halo["mark"]["stroke"] == LABEL_HALO and halo["mark"]["strokeWidth"] >= 3
    assert "stroke" not in text["mark"]
    assert halo["encoding"] == text["encoding"]
    assert spec["layer"].index(halo) < spec["layer"].index(text)
