"""AppTest of pages/forward_pass.py (run standalone: its controls use the page key "app").

Paths passed to AppTest.from_file are relative to this file. Small networks come in through
query parameters so that the file stays fast; the default view is checked once against the
engine.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from lab import presets
from pages.common import widget_key

TIMEOUT = 60
#: A small custom network: every control of the "Your network" view, quick to simulate.
SMALL = {
    "view": "network",
    "init": "xavier_normal",
    "act": "relu",
    "layers": "2",
    "width": "16",
    "samples": "60",
    "istd": "1.0",
    "seed": "0",
    "hist": "pre",
}
#: The defaults of the "Your network" view.
NETWORK = SMALL | {"layers": "12", "width": "256", "samples": "500"}


def page(**query: str) -> AppTest:
    at = AppTest.from_file("../../pages/forward_pass.py", default_timeout=TIMEOUT)
    at.query_params.update(query)
    return at.run()


def key(name: str) -> str:
    return widget_key(name, page="app")


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


def url_warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith("URL parameter")]


def bar_counts(spec: dict) -> list[float]:
    """The per-bin counts of a histogram_chart spec (its bars' dataset)."""
    bars = spec["layer"][0]
    name = bars.get("data", spec.get("data"))["name"]
    return [row["count"] for row in spec["datasets"][name]]


# --------------------------------------------------------------------------- default view


def test_default_view_is_the_five_layer_experiment_and_matches_the_engine():
    at = page()
    assert not at.exception
    assert at.title[0].value == "Forward pass"
    assert any(r"\operatorname{Var}(z_l) = n_{l-1}" in m.value for m in at.latex)
    assert at.query_params["view"] == "five_layers"
    run = presets.five_layers("xavier_normal", "relu")
    charts = specs(at)
    assert len(charts) == 5 + 3  # five histograms, std, variance, five classic inits
    expected = [f"Layer {layer} · std {run.pre.std[layer - 1]:.3g}" for layer in range(1, 6)]
    assert titles(at)[:5] == expected
    for index, spec in enumerate(charts[:5]):
        assert bar_counts(spec) == run.pre.counts[index].tolist()
    (verdict,) = at.success
    assert run.diagnosis.message in verdict.value
    table = at.dataframe[0].value
    assert list(table["scheme"]) == [
        "Zeros",
        "Small random (std 0.01)",
        "Large random (std 1.0)",
        "Xavier/Glorot normal",
        "He/Kaiming normal",
    ]
    assert list(table["state"]) == ["dead", "vanishing", "exploding", "healthy", "healthy"]
    assert len(url_warnings(at)) == 0 and not at.error


def test_std_chart_holds_the_simulation_and_the_theory():
    at = page(**SMALL)
    run = presets.layer_histograms(
        "xavier_normal", "relu", layers=2, width=16, samples=60, input_std=1.0, seed=0
    )
    std_spec = next(s for s in specs(at) if "Std of the activations" in json.dumps(s["title"]))
    values = {name: rows for name, rows in std_spec["datasets"].items()}
    simulated = [row["y"] for rows in values.values() for row in rows if "kind" in row]
    theory = [row["y"] for rows in values.values() for row in rows if "kind" not in row]
    np.testing.assert_allclose(simulated, [run.result.input.std[0], *run.result.post.std])
    np.testing.assert_allclose(theory, [1.0, *run.theory.post_std])


# --------------------------------------------------------------------------- controls


CONTROL_CHANGES = [
    ("init", "selectbox", "he_normal"),
    ("act", "selectbox", "tanh"),
    ("layers", "slider", 3),
    ("width", "number_input", 24),
    ("samples", "number_input", 90),
    ("istd", "select_slider", 2.0),
    ("seed", "number_input", 4),
    ("hist", "segmented_control", "post"),
]


@pytest.mark.parametrize(("name", "widget", "value"), CONTROL_CHANGES)
def test_each_control_changes_the_view_and_the_url(name, widget, value):
    at = page(**SMALL)
    before = specs(at)
    control = getattr(at, widget)(key=key(name))
    if widget == "selectbox":
        control.select(value)
    else:
        control.set_value(value)
    at.run()
    assert not at.exception
    assert specs(at) != before
    expected = str(value) if not isinstance(value, float) else repr(value)
    assert at.query_params[name] == expected


def test_experiment_switch_shows_each_view():
    at = page(**SMALL | {"pair_layers": "2"})
    assert len(specs(at)) == 2 + 3
    at.segmented_control(key=key("view")).set_value("xavier_pair").run()
    assert not at.exception
    assert len(specs(at)) == 2 * 2 + 1
    assert {s.value.split(":")[0] for s in at.success} == {"**Xavier + linear", "**Xavier + ReLU"}
    at.slider(key=key("pair_layers")).set_value(1).run()
    assert len(specs(at)) == 2 * 1 + 1
    at.segmented_control(key=key("view")).set_value("sigma_sweep").run()
    assert not at.exception
    assert len(specs(at)) == 2
    sweep = presets.sigma_sweep(repeats=200, seed=0)
    table = at.dataframe[0].value
    assert list(table["σ"]) == ["1e-05", "0.001", "0.01", "0.1", "0.5"]
    assert list(table["factor per layer, measured"]) == [f"{f:.3g}" for f in sweep.measured_factor]
    before = specs(at)
    at.select_slider(key=key("reps")).set_value(1.0).run()
    assert specs(at) != before
    assert any("very noisy" in info.value for info in at.info)


def test_scheme_and_slope_parameters_appear_when_they_apply():
    at = page(**SMALL | {"init": "normal", "act": "leaky_relu", "wstd": "0.2", "slope": "0.1"})
    assert not at.exception
    assert at.select_slider(key=key("wstd")).value == 0.2
    assert at.select_slider(key=key("slope")).value == 0.1
    before = specs(at)
    at.select_slider(key=key("wstd")).set_value(0.5).run()
    assert specs(at) != before
    assert any("Normal (std 0.5) + Leaky ReLU (a=0.1)" in c.value for c in at.caption)


# --------------------------------------------------------------------------- deep links


def test_deep_link_round_trip_reproduces_the_view():
    first = page(**SMALL)
    first.selectbox(key=key("init")).select("lecun_normal")
    first.slider(key=key("layers")).set_value(3)
    first.select_slider(key=key("istd")).set_value(0.5)
    first.segmented_control(key=key("hist")).set_value("post")
    first.run()
    copied = dict(first.query_params)
    second = page(**copied)
    assert not second.exception and not url_warnings(second)
    assert specs(second) == specs(first)
    assert second.query_params == copied
    assert second.slider(key=key("layers")).value == 3


DEFAULT_TEXT = {
    "view": "five_layers",
    "init": "xavier_normal",
    "act": "relu",
    "layers": "12",
    "width": "256",
    "samples": "500",
    "istd": "1.0",
    "seed": "0",
    "hist": "pre",
}
# Every other parameter of each base is at its default, so each case falls back to one view.
BAD_QUERIES = [
    (SMALL, "view", "bogus", "view must be one of five_layers, network"),
    (SMALL, "init", "kaiming", "init must be one of zeros, constant"),
    (SMALL, "act", "softmax", "act must be one of linear, relu"),
    (NETWORK, "layers", "0", "layers must be an integer in [1, 50]"),
    (NETWORK, "layers", "51", "layers must be an integer in [1, 50]"),
    (NETWORK, "layers", "abc", "layers must be an integer in [1, 50]"),
    (NETWORK, "width", "5000", "width must be an integer in [1, 1024]"),
    (NETWORK, "samples", "0", "samples must be an integer in [1, 20000]"),
    (SMALL, "istd", "nan", "istd must be a finite number in [0.01, 100]"),
    (SMALL, "istd", "0.3", "istd must be one of 0.01, 0.02"),
    (SMALL, "seed", "-1", "seed must be an integer in [0, 10000]"),
    (SMALL, "hist", "both", "hist must be one of pre, post"),
]


@pytest.mark.parametrize(("base", "name", "text", "reason"), BAD_QUERIES)
def test_bad_query_value_gives_one_warning_and_the_default(base, name, text, reason):
    at = page(**base | {name: text})
    assert not at.exception
    (warning,) = url_warnings(at)
    assert warning.startswith(f"URL parameter {name}={text!r} ignored: {reason}")
    default = DEFAULT_TEXT[name]
    assert warning.endswith(f"; using {default}.")
    assert at.query_params[name] == default
    reference = page(**base | {name: default})
    assert specs(at) == specs(reference)


@pytest.mark.parametrize(
    ("query", "name", "text", "reason"),
    [
        ({"view": "xavier_pair"}, "pair_layers", "21", "pair_layers must be an integer in [1, 20]"),
        ({"view": "sigma_sweep"}, "reps", "3", "reps must be one of 1, 10, 50"),
        (SMALL | {"act": "leaky_relu"}, "slope", "0.7", "slope must be one of 0, 0.01"),
        (SMALL | {"init": "normal"}, "wstd", "0", "wstd must be a finite number in [0.0001, 10]"),
    ],
)
def test_bad_query_values_of_view_specific_controls(query, name, text, reason):
    at = page(**query | {name: text})
    assert not at.exception
    (warning,) = url_warnings(at)
    assert warning.startswith(f"URL parameter {name}={text!r} ignored: {reason}")


# --------------------------------------------------------------------------- absurd settings


def test_too_much_work_is_one_line_saying_what_is_allowed():
    at = page(**SMALL | {"layers": "50", "width": "1024", "samples": "20000"})
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert error.startswith("samples x width^2 x layers must be at most 1e+09 multiply-adds")
    assert "\n" not in error
    assert len(specs(at)) == 0


def test_overflow_is_shown_as_a_result():
    at = page(**SMALL | {"init": "large_random", "act": "linear", "layers": "50", "width": "64"})
    assert not at.exception and not at.error
    assert any("overflow at layer" in w.value for w in at.warning)
    subtitles = " ".join(
        json.dumps(s.get("title") or s["layer"][0].get("title")) for s in specs(at)
    )
    assert "inf/NaN" in subtitles
    assert any("Empty windows" in c.value for c in at.caption)
