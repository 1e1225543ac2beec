"""AppTest of pages/ui: widgets drawn from declarations and mirrored in the URL, page scopes,
declared links, text-only errors, charts and the engine cache. Demo apps live in apps/."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from pages.ui.widgets import fold_key, widget_key

TIMEOUT = 30


def controls_demo(**query: str) -> AppTest:
    at = AppTest.from_file("apps/controls_demo.py", default_timeout=TIMEOUT)
    at.query_params.update(query)
    return at.run()


def rendered(body: str) -> str:
    """What a reader sees of an escaped markdown body: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", body)


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
    "schemes": ("xavier", "he"),
}
DEFAULT_TEXT = {
    "layers": "10",
    "width": "256",
    "std": "1",
    "sigma": "0.01",
    "act": "relu",
    "mode": "in",
    "bias": "false",
    "schemes": "xavier,he",
}


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
        "act": "relu",
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
        "act": "relu",
        "mode": "out",
        "bias": True,
        "schemes": ("lecun", "xavier"),
    }
    assert at.slider(key=key("layers")).value == 42
    assert at.select_slider(key=key("sigma")).value == 0.0002
    assert at.query_params == query


def test_a_control_that_does_not_apply_is_hidden_left_out_of_the_url_and_at_its_default():
    at = controls_demo(act="tanh", mode="out")
    assert len(at.warning) == 0
    assert at.session_state["demo_values"]["mode"] == "in"
    assert "mode" not in at.query_params
    assert not [w for w in at.segmented_control if w.key == key("mode")]
    # Back to ReLU: the mode control reappears with the value the student left.
    at.selectbox(key=key("act")).select("relu").run()
    assert at.session_state["demo_values"]["mode"] == "out"


BAD_VALUES = [
    ("layers", text, "must be an integer in [1, 100]")
    for text in ["abc", "", "nan", "inf", "-5", "1e9", "3.5"]
] + [
    ("width", "0", "must be an integer in [1, 4096]"),
    ("std", "nan", "must be a finite number in [0.1, 10]"),
    ("std", "-inf", "must be a finite number in [0.1, 10]"),
    ("std", "20", "must be a finite number in [0.1, 10]"),
    ("sigma", "0.003", "must be one of 1e-05, 5e-05"),
    ("act", "softmax", "must be one of relu, tanh, linear"),
    ("mode", "sideways", "must be one of in, out"),
    ("bias", "maybe", "must be true or false"),
    ("schemes", "xavier,bogus", "must be one of xavier, he, lecun"),
]


@pytest.mark.parametrize(("name", "text", "reason"), BAD_VALUES)
def test_bad_url_value_gives_one_warning_and_the_default(name, text, reason):
    at = controls_demo(**{name: text})
    assert not at.exception
    (warning,) = [w.value for w in at.warning]
    # Shown literally: the markdown escapes are the only change to the text.
    shown = rendered(warning)
    assert shown.startswith(f"URL parameter {name}={text!r} ignored: it {reason}")
    assert shown.endswith(f"; using the default {DEFAULT_TEXT[name]}.")
    assert at.session_state["demo_values"] == DEFAULTS
    assert at.query_params[name] == DEFAULT_TEXT[name]
    # The warning is shown once: the URL now holds the default, so a rerun is quiet.
    at.run()
    assert len(at.warning) == 0


def test_an_undeclared_parameter_gives_one_warning_naming_the_page_parameters():
    at = controls_demo(act="relu", neurons="50")
    (warning,) = [rendered(w.value) for w in at.warning]
    assert warning == (
        "URL parameter 'neurons' is not used on this page and was ignored; its parameters are: "
        "layers, width, std, sigma, act, mode, bias, schemes."
    )
    assert "neurons" not in at.query_params
    at.run()
    assert len(at.warning) == 0


def test_markdown_and_html_in_a_url_value_are_shown_as_text():
    hostile = "[click](http://evil.example) ![i](http://evil.example/i.png) <b>x</b> :red[y] $z$"
    at = controls_demo(act=hostile)
    (warning,) = at.warning
    body = warning.proto.body
    for token in ("[click]", "![i]", "<b>", ":red[", "$z$"):
        # Each markdown/HTML control character reaches the renderer escaped.
        assert token not in body
    assert "http\\:" in body or "http\\://" in body


def open_fold(at: AppTest, title: str = "More") -> AppTest:
    """``at`` after the student opens the folded section ``title``."""
    at.session_state[fold_key(title, "app")] = True
    return at.run()


def test_widget_changes_are_written_back_to_the_url():
    at = open_fold(controls_demo())
    at.slider(key=key("layers")).set_value(33)
    at.number_input(key=key("width")).set_value(512)
    at.slider(key=key("std")).set_value(0.5)
    at.select_slider(key=key("sigma")).set_value(0.5)
    at.segmented_control(key=key("mode")).set_value("out")
    at.toggle(key=key("bias")).set_value(True)
    at.multiselect(key=key("schemes")).set_value([])
    at.run()
    assert at.query_params == {
        "layers": "33",
        "width": "512",
        "std": "0.5",
        "sigma": "0.5",
        "act": "relu",
        "mode": "out",
        "bias": "true",
        "schemes": "",
    }
    # The widget keeps its value on later reruns; the URL does not drag it back.
    at.run()
    assert at.session_state["demo_values"]["layers"] == 33


def test_deep_link_round_trip_reproduces_the_view():
    first = open_fold(controls_demo())
    first.slider(key=key("layers")).set_value(77)
    first.select_slider(key=key("sigma")).set_value(5e-5)
    first.toggle(key=key("bias")).set_value(True)
    first.multiselect(key=key("schemes")).set_value(["he", "lecun"])
    first.run()
    copied_url = dict(first.query_params)

    second = controls_demo(**copied_url)
    assert len(second.warning) == 0
    assert second.session_state["demo_values"] == first.session_state["demo_values"]
    assert second.session_state["demo_values"]["sigma"] == 5e-5
    assert second.query_params == copied_url


def test_url_changed_from_outside_overrides_the_widget():
    # As when st.page_link opens the current page with new query parameters.
    at = controls_demo()
    at.slider(key=key("layers")).set_value(20).run()
    at.query_params["layers"] = "55"
    at.run()
    assert at.session_state["demo_values"]["layers"] == 55


def test_locked_controls_are_disabled_and_the_url_cannot_change_them():
    at = AppTest.from_file("apps/controls_demo.py", default_timeout=TIMEOUT)
    at.session_state["demo_locked"] = {"layers": 20, "act": "tanh"}
    at.query_params.update({"layers": "90", "act": "linear"})
    at.run()
    assert at.session_state["demo_values"]["layers"] == 20
    assert at.session_state["demo_values"]["act"] == "tanh"
    assert at.slider(key=key("layers")).disabled
    assert at.selectbox(key=key("act")).disabled
    assert at.query_params["layers"] == "20"


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


def test_declared_links_text_errors_and_charts():
    at = AppTest.from_file("apps/misc_demo.py", default_timeout=TIMEOUT).run()
    assert not at.exception
    (link,) = at.page_link
    assert (link.value, link.proto.page) == ("Deep tanh", "signal-propagation")
    assert link.proto.query_string == "layers=20&activation=tanh"
    # One line each, the engine's message, no traceback; markdown is escaped, not rendered.
    first, second = (e.value for e in at.error)
    assert rendered(first) == "layers must be an integer in [1, 100]; got 0"
    assert "](" not in second and rendered(second).startswith("see [this](http")
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2
    histogram, lines = (json.loads(chart.proto.spec) for chart in charts)
    assert histogram["title"]["subtitle"] == ["Not on the axis: 12 below -3", "3 inf/NaN"]
    assert lines["title"]["subtitle"] == (
        "Not on the log axis: xavier: 0 at layer 6; large: inf/NaN from layer 4"
    )


def test_cached_runs_the_engine_once_per_config_and_never_caches_errors():
    at = AppTest.from_file("apps/cache_demo.py", default_timeout=TIMEOUT)
    at.session_state["demo_clear"] = True
    at.run()
    at.session_state["demo_clear"] = False
    at.run()
    assert at.session_state["demo_calls"] == [3]
    assert at.session_state["demo_result"] == {"layers": 3}
    assert [t.value for t in at.text] == ["drawn after the engine call"]
    at.session_state["demo_layers"] = 0
    at.run()
    assert not at.exception
    assert [rendered(e.value) for e in at.error] == ["layers must be an integer in [1, 100]; got 0"]
    assert not at.text  # the run stopped at the refused settings
    at.run()  # errors are not cached: the engine is asked again
    assert at.session_state["demo_calls"] == [3, 0, 0]


def test_a_closed_fold_draws_no_widget_and_its_controls_keep_their_values():
    """A folded section's widgets are drawn only while it is open; closed, its controls still
    hold their values, in the page and in the URL, run after run."""
    at = controls_demo()
    assert [e.label for e in at.expander] == ["More"]
    assert not at.toggle and not at.multiselect  # folded away: not sent
    assert at.session_state["demo_values"]["schemes"] == ("xavier", "he")
    open_fold(at)
    at.toggle(key=key("bias")).set_value(True)
    at.multiselect(key=key("schemes")).set_value(["lecun"])
    at.run()
    at.session_state[fold_key("More", "app")] = False
    for _ in range(3):  # the closed fold's values survive the runs that drop its widgets
        at.run()
        assert not at.exception and not at.toggle
        assert at.session_state["demo_values"]["bias"] is True
        assert at.session_state["demo_values"]["schemes"] == ("lecun",)
        assert (at.query_params["bias"], at.query_params["schemes"]) == ("true", "lecun")


def test_a_link_that_sets_a_folded_control_opens_its_fold():
    at = controls_demo(bias="true")
    assert at.toggle(key=key("bias")).value is True
    assert at.session_state["demo_values"]["bias"] is True
    plain = controls_demo(bias="false")  # the default: the fold stays closed
    assert not plain.toggle


def test_a_lock_on_a_folded_control_opens_its_fold_with_the_widget_disabled():
    """An assignment that fixes a folded control shows it: the fold opens, the widget is
    disabled and the URL holds the locked value."""
    at = AppTest.from_file("apps/controls_demo.py", default_timeout=TIMEOUT)
    at.session_state["demo_locked"] = {"bias": True}
    at.run()
    toggle = at.toggle(key=key("bias"))
    assert toggle.value is True and toggle.disabled
    assert at.query_params["bias"] == "true"
