"""Every quiz link to a simulation is a contract: its URL parameters are declared by the target
page, parse there without a warning, and set the question's own numbers, and its help text
claims the question's numbers only when it sets all of them."""

from __future__ import annotations

import numpy as np
import pytest

from lab.controls.network import init_params
from lab.controls.registry import SIMULATION_PAGES
from lab.theory import effective_sw2
from quizzes.bank import TEMPLATES
from quizzes.bank_signal import HE_RELU_PRE_STD
from quizzes.questions import (
    LINK_SET_UP,
    LINK_WITH_NUMBERS,
    NumericQuestion,
    Question,
    question_numbers,
)

VARIANTS = 5
LINKED = [template for template in TEMPLATES.values() if template.page is not None]
#: The claim only LINK_WITH_NUMBERS may make.
CLAIM = "with this question's numbers"


def variants(template: Question) -> list[dict]:
    """``VARIANTS`` variants of a template, each from its own fixed seed."""
    return [template.variant_params(np.random.default_rng(seed)) for seed in range(VARIANTS)]


def linked_sw2(values: dict) -> float:
    """sigma_w^2 = n Var(W) of the linked network's square layers (lab.theory.effective_sw2)."""
    width = values["width"]
    return effective_sw2(values["init"], width, width, init_params(values)).sw2


def carried_numbers(params: dict, values: dict, from_url: frozenset[str]) -> set[str]:
    """The question's numbers the link sets: a control of the same name read from the URL, or
    sigma_w^2 set through the scheme's gain."""
    carried = {name for name in question_numbers(params) if name in from_url}
    if "sw2" in params and "gain" in from_url:
        carried.add("sw2")
    return carried


def test_most_templates_link_to_a_simulation():
    # A bank whose links vanished would pass every per-link test below.
    assert len(LINKED) >= 40


@pytest.mark.parametrize("template", LINKED, ids=lambda template: template.id)
def test_link_parses_on_its_page_and_sets_the_question_numbers(template: Question):
    for params in variants(template):
        page, query = template.page_link(params)
        spec = SIMULATION_PAGES[page]
        parsed = spec.parse_query(query)
        assert parsed.warnings == (), (template.id, query)
        assert parsed.from_url == frozenset(query), (template.id, query)
        # Every linked control is used with the other linked values (none is ignored).
        assert set(query) <= set(spec.applied(parsed.values)), (template.id, query)
        carried = carried_numbers(params, parsed.values, parsed.from_url)
        for name in carried - {"sw2"}:
            assert parsed.values[name] == params[name], (template.id, name, query)
        if "sw2" in carried:
            assert linked_sw2(parsed.values) == pytest.approx(params["sw2"], rel=1e-12)


@pytest.mark.parametrize("template", LINKED, ids=lambda template: template.id)
def test_link_help_claims_the_numbers_only_when_it_sets_them(template: Question):
    for params in variants(template):
        page, query = template.page_link(params)
        parsed = SIMULATION_PAGES[page].parse_query(query)
        numbers = set(question_numbers(params))
        help_text = template.link_help(params)
        assert help_text and "\n" not in help_text and len(help_text) <= 200
        if help_text == LINK_WITH_NUMBERS:
            assert numbers, template.id
            assert carried_numbers(params, parsed.values, parsed.from_url) == numbers, (
                template.id,
                params,
                query,
            )
        else:
            assert CLAIM not in help_text, (template.id, help_text)
            assert help_text != LINK_SET_UP or not numbers, (template.id, params)


def test_input_std_is_linked_only_when_the_page_offers_it():
    spec = SIMULATION_PAGES[HE_RELU_PRE_STD.page]
    for input_std, offered in ((2.0, True), (3.0, False)):
        params = {"layers": 8, "width": 128, "input_std": input_std}
        _, query = HE_RELU_PRE_STD.page_link(params)
        assert ("input_std" in query) is offered
        assert (HE_RELU_PRE_STD.link_help(params) == LINK_WITH_NUMBERS) is offered
        if offered:
            assert spec.parse_query(query).values["input_std"] == input_std


def _question(**link) -> NumericQuestion:
    return NumericQuestion(
        id="linked",
        topic="test",
        title="A linked question",
        difficulty=1,
        prompt="?",
        explanation=".",
        answer=lambda p: 1.0,
        **link,
    )


def test_a_link_the_page_does_not_declare_is_refused():
    undeclared = _question(page="signal_propagation", page_params=lambda p: {"fan_in": 3})
    with pytest.raises(ValueError, match="signal_propagation has no control 'fan_in'"):
        undeclared.page_link({})
    out_of_range = _question(page="signal_propagation", page_params=lambda p: {"layers": 0})
    with pytest.raises(ValueError, match="layers must be"):
        out_of_range.page_link({})
    not_applying = _question(page="signal_propagation", page_params=lambda p: {"std": 0.1})
    with pytest.raises(ValueError, match="std applies only when init is normal"):
        not_applying.page_link({})


def test_a_link_names_a_simulation_page_key():
    with pytest.raises(ValueError, match="page must be one of .*; got 'signal-propagation'"):
        _question(page="signal-propagation")
    with pytest.raises(ValueError, match="page_params and page_note need a page"):
        _question(page_params=lambda p: {})
    assert _question().page_link({}) is None and _question().link_help({}) is None
