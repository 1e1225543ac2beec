"""AppTest of the app shell, the home page and the deep-link controls of pages/common.py.

Paths passed to AppTest.from_file are relative to this file.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from pages.common import HOME_KEY, PAGES, REPO_ROOT, widget_key

TIMEOUT = 30


def app() -> AppTest:
    return AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT)


def controls_demo(**query: str) -> AppTest:
    at = AppTest.from_file("apps/controls_demo.py", default_timeout=TIMEOUT)
    at.query_params.update(query)
    return at.run()


def key(name: str) -> str:
    """Widget key of a control in the standalone demo (page key "app")."""
    return widget_key(name, page="app")


DEFAULTS = {
    "layers": 10,
    "width": 256,
    "std": 1.0,
    "sigma": 0.01,
    "act": "relu",
    "mode": "in",
    "bias": False,
    "schemes": ["xavier", "he"],
}
DEFAULT_TEXT = {
    "layers": "10",
    "width": "256",
    "std": "1.0",
    "sigma": "0.01",
    "act": "relu",
    "mode": "in",
    "bias": "false",
    "schemes": "xavier,he",
}

# --------------------------------------------------------------------------- shell and home


def test_home_runs_and_links_every_page():
    at = app().run()
    assert not at.exception
    assert at.title[0].value == "Weight Initialization Lab"
    links = {(link.value, link.proto.page) for link in at.page_link}
    expected = {(info.title, info.url_path) for info in PAGES if info.key != HOME_KEY}
    assert links == expected
    captions = {caption.value for caption in at.caption}
    assert all(info.description in captions for info in PAGES if info.key != HOME_KEY)
    assert any(r"\operatorname{Var}(W) = \frac{\text{scale}}{n}" in m.value for m in at.latex)


def test_student_box_is_in_the_sidebar_and_survives_page_switches():
    at = app().run()
    box = at.sidebar.text_input(key="student")
    assert box.label == "Student name or ID"
    box.input("Ada Lovelace").run()
    at.switch_page("pages/quiz_formulas.py").run()
    assert not at.exception
    assert at.session_state["student"] == "Ada Lovelace"
    assert at.sidebar.text_input(key="student").value == "Ada Lovelace"


def test_shell_survives_reruns():
    # AppTest resets Streamlit's legacy pages/-folder flag before every run, as a freshly
    # started server has it; the shell must still draw its sidebar on every rerun.
    at = app().run()
    at.run()
    assert not at.exception
    assert len(at.sidebar.text_input) == 1


def test_no_page_file_is_named_like_a_url_path():
    # On a server's first script run Streamlit serves pages/<stem>.py directly at /<stem> (its
    # legacy folder mode); a page file named like one of the app's URL paths would then run
    # without the shell. Every file in pages/ must therefore differ from every url_path.
    stems = {path.stem for path in (REPO_ROOT / "pages").glob("*.py")}
    assert stems.isdisjoint({info.url_path for info in PAGES})


def test_every_page_opens_with_its_registry_title():
    at = app().run()
    for info in PAGES:
        if info.key == HOME_KEY:
            continue
        at.switch_page(info.file).run()
        assert not at.exception, info.key
        assert at.title[0].value == info.title


# --------------------------------------------------------------------------- deep-link controls


def test_defaults_without_url_parameters_are_written_to_the_url():
    at = controls_demo()
    assert not at.exception
    assert at.session_state["demo_values"] == DEFAULTS
    assert len(at.warning) == 0
    assert at.query_params == DEFAULT_TEXT


def test_valid_url_parameters_are_applied():
    query = {
        "layers": "42",
        "width": "1024",
        "std": "2.5",
        "sigma": "0.0002",
        "act": "tanh",
        "mode": "out",
        "bias": "true",
        "schemes": "lecun,xavier",
    }
    at = controls_demo(**query)
    assert len(at.warning) == 0
    assert at.session_state["demo_values"] == {
        "layers": 42,
        "width": 1024,
        "std": 2.5,
        "sigma": 0.0002,
        "act": "tanh",
        "mode": "out",
        "bias": True,
        "schemes": ["lecun", "xavier"],
    }
    assert at.slider(key=key("layers")).value == 42
    assert at.select_slider(key=key("sigma")).value == 0.0002
    assert at.query_params == query


BAD_VALUES = [
    ("layers", text, "layers must be an integer in [1, 100]")
    for text in ["abc", "", "nan", "inf", "-5", "1e9", "3.5"]
] + [
    ("width", "0", "width must be an integer in [1, 4096]"),
    ("std", "nan", "std must be a finite number in [0.1, 10]"),
    ("std", "-inf", "std must be a finite number in [0.1, 10]"),
    ("std", "20", "std must be a finite number in [0.1, 10]"),
    ("sigma", "0.003", "sigma must be one of 1e-05, 2e-05"),
    ("act", "softmax", "act must be one of relu, tanh, linear"),
    ("mode", "sideways", "mode must be one of in, out"),
    ("bias", "maybe", "bias must be one of true, false"),
    ("schemes", "xavier,bogus", "schemes must be one of xavier, he, lecun"),
]


@pytest.mark.parametrize(("name", "text", "reason"), BAD_VALUES)
def test_bad_url_value_gives_one_warning_and_the_default(name, text, reason):
    at = controls_demo(**{name: text})
    assert not at.exception
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith(f"URL parameter {name}={text!r} ignored: {reason}")
    assert warning.endswith(f"; using {DEFAULT_TEXT[name]}.")
    assert at.session_state["demo_values"] == DEFAULTS
    assert at.query_params[name] == DEFAULT_TEXT[name]
    # The warning is shown once: the URL now holds the default, so a rerun is quiet.
    at.run()
    assert len(at.warning) == 0


def test_widget_changes_are_written_back_to_the_url():
    at = controls_demo()
    at.slider(key=key("layers")).set_value(33)
    at.number_input(key=key("width")).set_value(512)
    at.slider(key=key("std")).set_value(0.5)
    at.select_slider(key=key("sigma")).set_value(0.5)
    at.selectbox(key=key("act")).select("linear")
    at.segmented_control(key=key("mode")).set_value("out")
    at.toggle(key=key("bias")).set_value(True)
    at.multiselect(key=key("schemes")).set_value([])
    at.run()
    assert at.query_params == {
        "layers": "33",
        "width": "512",
        "std": "0.5",
        "sigma": "0.5",
        "act": "linear",
        "mode": "out",
        "bias": "true",
        "schemes": "",
    }
    # The widget keeps its value on later reruns; the URL does not drag it back.
    at.run()
    assert at.session_state["demo_values"]["layers"] == 33


def test_deep_link_round_trip_reproduces_the_view():
    first = controls_demo()
    first.slider(key=key("layers")).set_value(77)
    first.select_slider(key=key("sigma")).set_value(5e-5)
    first.selectbox(key=key("act")).select("tanh")
    first.toggle(key=key("bias")).set_value(True)
    first.multiselect(key=key("schemes")).set_value(["he", "lecun"])
    first.run()
    copied_url = dict(first.query_params)

    second = controls_demo(**copied_url)
    assert len(second.warning) == 0
    assert second.session_state["demo_values"] == first.session_state["demo_values"]
    assert second.session_state["demo_values"]["sigma"] == 5e-5
    assert second.session_state["demo_values"]["schemes"] == ["he", "lecun"]
    assert second.query_params == copied_url


def test_url_changed_from_outside_overrides_the_widget():
    # As when st.page_link opens the current page with new query parameters.
    at = controls_demo()
    at.slider(key=key("layers")).set_value(20).run()
    at.query_params["layers"] = "55"
    at.run()
    assert at.session_state["demo_values"]["layers"] == 55


def test_scope_drops_other_pages_parameters_and_remembers_values():
    at = AppTest.from_file("apps/scope_demo.py", default_timeout=TIMEOUT).run()
    assert at.query_params == {"alpha": "1"}
    at.slider(key=widget_key("alpha", page="first")).set_value(5).run()
    at.session_state["demo_page"] = "second"
    at.run()
    assert at.query_params == {"beta": "2"}
    assert at.session_state["demo_value"] == 2
    # Navigation clears the URL; coming back restores the value the student left.
    at.query_params.clear()
    at.session_state["demo_page"] = "first"
    at.run()
    assert at.session_state["demo_value"] == 5
    assert at.query_params == {"alpha": "5"}


# --------------------------------------------------------------------------- links, errors, charts


def test_links_errors_and_charts():
    at = AppTest.from_file("apps/misc_demo.py", default_timeout=TIMEOUT).run()
    assert not at.exception
    (link,) = at.page_link
    assert (link.value, link.proto.page) == ("Deep tanh", "forward-pass")
    assert link.proto.query_string == "layers=20&act=tanh&bias=true"
    # One line, the engine's message, no traceback.
    assert [e.value for e in at.error] == ["layers must be an integer in [1, 100]; got 0"]
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2
    histogram, lines = (json.loads(chart.proto.spec) for chart in charts)
    assert histogram["title"]["subtitle"] == "Not on the axis: 12 below -3; 3 inf/NaN"
    assert lines["title"]["subtitle"] == (
        "Not on the log axis: xavier: 0 at layer 6; large: inf/NaN from layer 4"
    )


def test_cached_simulate_calls_the_engine_once_per_argument_set(monkeypatch):
    import lab.network
    from pages.common import cached_simulate

    calls = []

    def fake_simulate(*, layers):
        calls.append(layers)
        if layers < 1:
            raise ValueError(f"layers must be an integer in [1, 100]; got {layers}")
        return {"layers": layers}

    monkeypatch.setattr(lab.network, "simulate", fake_simulate)
    cached_simulate.clear()
    at = AppTest.from_file("apps/cache_demo.py", default_timeout=TIMEOUT).run()
    at.run()
    assert calls == [3]
    assert at.session_state["demo_result"] == {"layers": 3}
    at.session_state["demo_layers"] = 0
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["layers must be an integer in [1, 100]; got 0"]
    at.run()  # errors are not cached: the engine is asked again
    assert calls == [3, 0, 0]
    cached_simulate.clear()
