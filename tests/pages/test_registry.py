"""The page registry (pages/ui/registry.py): the navigation plan, icons, sections."""

from __future__ import annotations

import pytest
from streamlit.material_icon_names import ALL_MATERIAL_ICONS

from pages.ui.registry import PAGES, SECTIONS, get_page, pages_in_section

# --------------------------------------------------------------------------- registry

#: The navigation the brief asks for: (section, title, file, url_path).
EXPECTED_PAGES = [
    ("Start", "Home", "pages/home_page.py", "home"),
    ("Simulations", "Forward pass", "pages/forward_pass.py", "forward-pass"),
    ("Simulations", "Weight distribution", "pages/weight_distribution.py", "weight-distribution"),
    ("Simulations", "Signal propagation", "pages/signal_propagation.py", "signal-propagation"),
    ("Simulations", "Gradient flow: rand vs randn", "pages/gradient_flow.py", "gradient-flow"),
    ("Simulations", "Quantization range", "pages/quantization_range.py", "quantization"),
    ("Simulations", "Training", "pages/training.py", "train"),
    ("Simulations", "Phase diagram", "pages/phase_diagram.py", "phase-diagram"),
    ("Quizzes", "Initialization formulas", "pages/quiz_formulas.py", "quiz-formulas"),
    ("Quizzes", "Signal propagation quiz", "pages/quiz_signal.py", "quiz-signal"),
    ("Quizzes", "Quantization quiz", "pages/quiz_quantization.py", "quiz-quantization"),
    ("Quizzes", "Training quiz", "pages/quiz_training.py", "quiz-training"),
    ("Quizzes", "Mixed review", "pages/quiz_review.py", "quiz-review"),
    ("Quizzes", "Practice", "pages/quiz_practice.py", "practice"),
]


def test_registry_matches_the_navigation_plan():
    assert [(p.section, p.title, p.file, p.url_path) for p in PAGES] == EXPECTED_PAGES


def test_registry_entries_are_unique_and_complete():
    assert len({p.key for p in PAGES}) == len(PAGES)
    assert len({p.url_path for p in PAGES}) == len(PAGES)
    for info in PAGES:
        assert info.path.is_file(), info.file
        assert info.section in SECTIONS
        assert info.description.strip() and "\n" not in info.description
        assert info.icon.startswith(":material/") and info.icon.endswith(":")
        assert info.icon[len(":material/") : -1] in ALL_MATERIAL_ICONS, info.icon


def test_sections_keep_registry_order():
    assert [p.key for s in SECTIONS for p in pages_in_section(s)] == [p.key for p in PAGES]
    assert pages_in_section("Start") == (get_page("home"),)


def test_unknown_page_and_section_are_rejected():
    with pytest.raises(ValueError, match="page_key must be one of .*; got 'nope'"):
        get_page("nope")
    with pytest.raises(ValueError, match="section must be one of Start, Simulations, Quizzes"):
        pages_in_section("Extras")


# --------------------------------------------------------------------------- navigation pages


def test_a_session_keeps_its_navigation_pages_and_another_session_gets_its_own():
    from streamlit.testing.v1 import AppTest

    from pages.ui.memo import NAVIGATION_PAGES_KEY

    first = AppTest.from_file("../../streamlit_app.py", default_timeout=30).run()
    key, pages = first.session_state[NAVIGATION_PAGES_KEY]
    assert key == ("home", tuple(info.key for info in PAGES))
    first.switch_page("pages/quiz_formulas.py").run()
    assert not first.exception
    assert first.session_state[NAVIGATION_PAGES_KEY][1] is pages  # reused, not made again
    assert first.title[0].value == "Initialization formulas"
    other = AppTest.from_file("../../streamlit_app.py", default_timeout=30).run()
    others = other.session_state[NAVIGATION_PAGES_KEY][1]
    assert all(others[name] is not page for name, page in pages.items())


def test_sessions_copy_navigation_pages_made_once_per_process(monkeypatch):
    """A new session's pages are copies of the process's: no file-system lookups per session,
    and each session's own objects (``st.navigation`` marks the page it runs on them)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from pages.ui import memo

    monkeypatch.setattr(memo, "_PAGES", {})
    made: list[object] = []
    make_page = st.Page

    def counting_page(page, **kwargs):
        made.append(page)
        return make_page(page, **kwargs)

    monkeypatch.setattr(st, "Page", counting_page)
    first = AppTest.from_file("../../streamlit_app.py", default_timeout=30).run()
    assert not first.exception
    # Home's links reuse the pages that are not the default one
    assert sorted(map(str, made)) == sorted(str(info.path) for info in PAGES)
    other = AppTest.from_file("../../streamlit_app.py", default_timeout=30).run()
    other.switch_page("pages/quiz_signal.py").run()
    assert len(made) == len(PAGES)  # none made again
    assert not other.exception
    assert other.title[0].value == get_page("quiz_signal").title
    mine = first.session_state[memo.NAVIGATION_PAGES_KEY][1]
    theirs = other.session_state[memo.NAVIGATION_PAGES_KEY][1]
    for key, page in mine.items():
        assert page is not theirs[key]
        assert page is not memo._PAGES[(key, key == "home")]
        assert page.url_path == theirs[key].url_path
    for (key, default), model in memo._PAGES.items():  # st.navigation never saw them
        assert model._default == default and not model._can_be_called
        assert default == (key == "home")


def test_navigation_pages_refuse_to_keep_a_page_made_outside_a_script_run(monkeypatch):
    """Outside a run ``st.Page`` returns an empty shell; kept for the process, it would break
    every later session's navigation."""
    from pages.ui import memo

    monkeypatch.setattr(memo, "_PAGES", {})
    with pytest.raises(RuntimeError, match="needs a running script"):
        memo.navigation_pages(PAGES, "home")
    with pytest.raises(RuntimeError, match="needs a running script"):
        memo.page_of(PAGES[1])
    assert memo._PAGES == {}
