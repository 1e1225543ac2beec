"""AppTest of the quiz links: every template's "Explore this in ..." link (two variants each)
opens its simulation page with exactly the linked values in the page's widgets and no URL
warning; the quiz page draws each link from the question; every page's declaration has the URL
path the app serves it at."""

from __future__ import annotations

from urllib.parse import parse_qsl

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lab.controls.core import Value
from lab.controls.registry import SIMULATION_PAGES
from pages.ui.quiz import question_choice_key, quiz_session_key
from pages.ui.registry import HOME_KEY, PAGES, get_page
from pages.ui.widgets import widget_key
from quizzes.bank import TEMPLATES
from quizzes.pages import ALL_PAGES
from quizzes.session import QuizSession

TIMEOUT = 30
VARIANTS = 2
#: AppTest element types of the widgets pages.ui.widgets draws.
WIDGET_TYPES = (
    "slider",
    "select_slider",
    "number_input",
    "selectbox",
    "radio",
    "button_group",
    "toggle",
    "checkbox",
    "multiselect",
)


def _links() -> list:
    """One case per distinct link among every template's first ``VARIANTS`` variants."""
    cases: dict[tuple, str] = {}
    for template in TEMPLATES.values():
        for seed in range(VARIANTS):
            link = template.page_link(template.variant_params(np.random.default_rng(seed)))
            if link is not None:
                page, query = link
                cases.setdefault((page, tuple(sorted(query.items()))), f"{template.id}-{seed}")
    return [
        pytest.param(page, dict(items), id=f"{page}:{name}")
        for (page, items), name in cases.items()
    ]


def shown_values(at: AppTest, page: str) -> dict[str, Value]:
    """{control name: value} of the page's drawn control widgets (a multiselect as a tuple)."""
    prefix = widget_key("", page)
    shown: dict[str, Value] = {}
    for kind in WIDGET_TYPES:
        for widget in at.get(kind):
            key = getattr(widget, "key", None)
            if key and key.startswith(prefix):
                value = widget.value
                shown[key[len(prefix) :]] = tuple(value) if isinstance(value, list) else value
    return shown


def url_warnings(at: AppTest) -> list[str]:
    return [warning.value for warning in at.warning if "URL parameter" in warning.value]


@pytest.mark.parametrize(("page", "query"), _links())
def test_link_opens_its_page_with_exactly_the_linked_values(page: str, query: dict[str, str]):
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT).run()
    at.query_params.update(query)
    at.switch_page(get_page(page).file).run()
    assert not at.exception
    assert url_warnings(at) == []
    expected = SIMULATION_PAGES[page].parse_query(query).values
    shown = shown_values(at, page)
    assert {name: shown.get(name) for name in query} == {name: expected[name] for name in query}
    assert {name: at.query_params.get(name) for name in query} == query


def test_practice_draws_each_question_link_from_the_question():
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT).run()
    at.sidebar.text_input(key="student").input("Ada").run()
    at.switch_page("pages/quiz_practice.py").run()
    assert not at.exception
    # A name without a student ID is no identity: practice runs anonymously.
    session_key = quiz_session_key("anonymous", "formulas", "practice")
    session: QuizSession = at.session_state[session_key]
    linked = 0
    for question_id in session.question_ids:
        # Practice shows one question at a time: pick each in turn.
        at.selectbox(key=question_choice_key(session_key)).select(question_id).run()
        assert not at.exception
        question, params = session.question(question_id), session.current_params(question_id)
        link = question.page_link(params)
        expected = []
        # A question whose only variant is also a graded quiz's links once it is answered.
        if link is not None and not session.same_as_graded(question_id):
            page, query = link
            expected.append((get_page(page).url_path, query, question.link_help(params)))
        drawn = [
            (link.proto.page, dict(parse_qsl(link.proto.query_string)), link.proto.help)
            for link in at.page_link
            if link.value.startswith("Explore this in ")
        ]
        assert drawn == expected, question_id
        linked += len(expected)
    assert linked >= 10


def test_every_page_has_one_declaration_with_its_served_url_path():
    assert set(ALL_PAGES) == {info.key for info in PAGES}
    for info in PAGES:
        # st.navigation serves the default (home) page at the root URL, "".
        served = "" if info.key == HOME_KEY else info.url_path
        assert ALL_PAGES[info.key].url_path == served, info.key
        assert ALL_PAGES[info.key].page == info.key
