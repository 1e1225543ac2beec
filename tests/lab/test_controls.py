"""Declared controls: URL parsing, warnings, the link builder and conditions (lab.controls)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lab.controls.core import MAX_URL_TEXT, SHOWN_TEXT, ChoiceControl, IntControl, PageControls
from lab.controls.network import NETWORK_GROUP
from lab.controls.registry import SIMULATION_PAGES, simulation_link

SIGNAL = SIMULATION_PAGES["signal_propagation"]


def query_of(link: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(link).query, keep_blank_values=True))


@pytest.mark.parametrize("page", sorted(SIMULATION_PAGES))
def test_every_default_link_parses_back_to_the_defaults_without_warnings(page: str) -> None:
    controls = SIMULATION_PAGES[page]
    values = controls.applied(controls.defaults())
    parsed = controls.parse_query(query_of(controls.link(values)))
    assert parsed.warnings == ()
    assert parsed.values == controls.defaults()


@pytest.mark.parametrize("page", sorted(SIMULATION_PAGES))
def test_every_control_round_trips_its_extremes(page: str) -> None:
    controls = SIMULATION_PAGES[page]
    for control in controls.controls:
        candidates = [control.default]
        for attribute in ("low", "high"):
            if hasattr(control, attribute) and getattr(control, "options", None) is None:
                candidates.append(getattr(control, attribute))
        for value in candidates:
            assert control.parse(control.format(value)) == control.check(value), control.name


def test_shared_network_controls_have_one_name_and_range_on_every_network_page() -> None:
    for page in ("signal_propagation", "quantization", "forward_pass"):
        controls = SIMULATION_PAGES[page]
        for shared in NETWORK_GROUP:
            if shared.name in controls.names:
                mine = controls[shared.name]
                assert (getattr(mine, "low", None), getattr(mine, "high", None)) == (
                    getattr(shared, "low", None),
                    getattr(shared, "high", None),
                ), (page, shared.name)


def test_a_bad_value_warns_once_naming_the_range_and_the_default() -> None:
    parsed = SIGNAL.parse_query({"layers": "abc"})
    assert parsed.warnings == (
        "URL parameter layers='abc' ignored: it must be an integer in [1, 100]; "
        "using the default 20.",
    )
    assert parsed.values["layers"] == 20


def test_an_undeclared_parameter_warns_naming_the_page_parameters() -> None:
    parsed = SIGNAL.parse_query({"act": "tanh"})
    (line,) = parsed.warnings
    assert line.startswith("URL parameter 'act' is not used on this page")
    assert "activation" in line and "layers" in line


def test_a_long_value_is_refused_before_parsing_and_cut_in_the_message() -> None:
    parsed = SIGNAL.parse_query({"init": "x" * (MAX_URL_TEXT + 1), "y" * 5000: "1"})
    assert parsed.values["init"] == SIGNAL["init"].default
    assert all(len(line) < 400 for line in parsed.warnings)
    assert "x" * (SHOWN_TEXT + 1) not in " ".join(parsed.warnings)


def test_link_refuses_undeclared_names_illegal_values_and_controls_that_do_not_apply() -> None:
    with pytest.raises(ValueError, match="has no control 'act'"):
        SIGNAL.link({"act": "relu"})
    with pytest.raises(ValueError, match=r"layers must be an integer in \[1, 100\]; got 101"):
        SIGNAL.link({"layers": 101})
    with pytest.raises(ValueError, match="std applies only when init is normal"):
        SIGNAL.link({"init": "he_normal", "std": 0.5})
    with pytest.raises(ValueError, match="page must be one of"):
        simulation_link("nowhere", {})


def test_a_condition_on_several_choices_holds_when_one_of_them_is_listed() -> None:
    """Training's and Weight distribution's scheme parameters depend on the compared schemes:
    each applies when one of them takes it."""
    training, weights = SIMULATION_PAGES["training"], SIMULATION_PAGES["weight_distribution"]
    assert training["value"].applies({"inits": ("he_normal", "constant")})
    assert not training["value"].applies({"inits": ("he_normal", "normal")})
    assert not training["value"].applies({"inits": ()})
    assert training.link({"inits": ("zeros", "constant"), "value": 0.3}).endswith("value=0.3")
    with pytest.raises(
        ValueError, match="value applies only when inits includes constant; got inits=zeros,normal"
    ):
        training.link({"inits": ("zeros", "normal"), "value": 0.3})
    shown = {c.name for c in weights.active({**weights.defaults(), "init": ("xavier_normal",)})}
    assert "gain" in shown and not {"mode", "slope"} & shown


def test_link_writes_what_the_page_reads() -> None:
    link = SIGNAL.link({"init": "normal", "std": 0.5, "activation": "tanh", "layers": 30})
    assert link.startswith("./signal-propagation?")
    parsed = SIGNAL.parse_query(query_of(link))
    assert parsed.warnings == ()
    assert parsed.from_url == {"init", "std", "activation", "layers"}
    assert (parsed.values["std"], parsed.values["layers"]) == (0.5, 30)


def test_a_control_depends_only_on_controls_declared_before_it() -> None:
    with pytest.raises(ValueError, match="must declare before it"):
        PageControls("x", "x", (NETWORK_GROUP[1], NETWORK_GROUP[0]))


def test_active_follows_conditions_transitively() -> None:
    forward = SIMULATION_PAGES["forward_pass"]
    values = forward.defaults() | {"view": "sigma_sweep", "init": "normal"}
    active = {control.name for control in forward.active(values)}
    assert "init" not in active and "std" not in active  # init does not apply to the sweep
    assert "reps" in active


@given(st.text(max_size=300))
def test_any_url_text_gives_every_value_and_one_line_warnings(text: str) -> None:
    parsed = SIGNAL.parse_query({name: text for name in SIGNAL.names})
    assert set(parsed.values) == set(SIGNAL.names)
    for line in parsed.warnings:
        assert "\n" not in line and len(line) < 600


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: IntControl(name="layers", label="L", default=0, low=1, high=10),
            r"layers must be an integer in \[1, 10\]; got 0",
        ),
        (
            lambda: IntControl(name="Layers", label="L", default=1, low=1, high=10),
            "name must be a URL name",
        ),
        (
            lambda: IntControl(name="embed", label="L", default=1, low=1, high=10),
            "name must be a URL name",
        ),
        (
            lambda: IntControl(name="layers", label=" ", default=1, low=1, high=10),
            "label of layers must be",
        ),
        (
            lambda: ChoiceControl(
                name="act", label="A", default="gelu", options=(("relu", "ReLU"),)
            ),
            "act must be one of relu; got 'gelu'",
        ),
    ],
)
def test_a_bad_declaration_is_refused_naming_the_control(make, message) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="distinct names"):
        PageControls("x", "x", (NETWORK_GROUP[0], NETWORK_GROUP[0]))
